"""End-to-end tests of Lakebox's Amazon S3 API through real, unmodified boto3.

Every expected value is computed from the test's own inputs (MD5s, SHA-256s,
CRC32s and slices of the bytes the test uploaded), never taken from an earlier
Lakebox answer.  AWS facts relied on are cited in docstrings/comments ("S3 API
reference" = the operation's page in the Amazon S3 API Reference, whose text
is also the documentation in botocore's s3 service-2.json).

Documented Lakebox deviations from AWS (tested as such, and marked):

* keys with empty, ``.`` or ``..`` path segments are refused with 400
  ``InvalidArgument`` (objects are files under ``<data-dir>/s3/<bucket>/``);
* an object ``a`` and objects under ``a/`` cannot coexist (400 ``InvalidRequest``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import os
import urllib.error
import urllib.parse
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import (
    ACCESS_KEY,
    REGION,
    S3_CONFIG,
    SECRET_KEY,
    delete_bucket_recursive,
    unique_bucket_name,
)

MiB = 1024 * 1024
MIN_PART = 5 * MiB  # S3: every part but the last must be >= 5 MiB

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def assert_error(err: ClientError, codes: str | Iterable[str], status: int) -> None:
    """Assert a botocore ClientError has one of ``codes`` and HTTP ``status``."""
    if isinstance(codes, str):
        codes = (codes,)
    code = err.response["Error"]["Code"]
    http = err.response["ResponseMetadata"]["HTTPStatusCode"]
    assert code in codes, f"expected {tuple(codes)}, got {code!r}: {err}"
    assert http == status, f"expected HTTP {status}, got {http}: {err}"


def client_error(fn, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    return info.value


def quoted_md5(data: bytes) -> str:
    """S3's ETag of a single-part, unencrypted object: the quoted hex MD5."""
    return '"' + hashlib.md5(data).hexdigest() + '"'


def multipart_etag(parts: Iterable[bytes]) -> str:
    """S3's ETag of a multipart object: MD5 of the concatenated binary part MD5s, '-N'."""
    digests = [hashlib.md5(p).digest() for p in parts]
    return '"' + hashlib.md5(b"".join(digests)).hexdigest() + f'-{len(digests)}"'


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def crc32_b64(data: bytes) -> str:
    """x-amz-checksum-crc32: base64 of the big-endian 4-byte CRC32."""
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def sha256_b64(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def read_all(s3, bucket: str, key: str, **kw) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def list_keys(s3, bucket: str, **kw) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **kw):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return keys


def status_of(resp) -> int:
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def pattern_bytes(n: int, seed: int = 0) -> bytes:
    """Deterministic, non-repeating-looking bytes (cheap to make, easy to slice)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


@pytest.fixture
def other_bucket(s3):
    name = unique_bucket_name("lb2")
    s3.create_bucket(Bucket=name)
    yield name
    delete_bucket_recursive(s3, name)


# --------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------


def test_create_head_list_and_locate_bucket(s3):
    name = unique_bucket_name()
    try:
        resp = s3.create_bucket(Bucket=name)
        assert status_of(resp) == 200
        # S3 API reference, CreateBucket: Location is the bucket's path ("/name").
        assert resp.get("Location") == f"/{name}"

        assert status_of(s3.head_bucket(Bucket=name)) == 200

        listed = s3.list_buckets()
        names = [b["Name"] for b in listed["Buckets"]]
        assert name in names
        assert names == sorted(names), "ListBuckets returns buckets in alphabetical order"
        mine = next(b for b in listed["Buckets"] if b["Name"] == name)
        age = dt.datetime.now(dt.timezone.utc) - mine["CreationDate"]
        assert dt.timedelta(minutes=-5) < age < dt.timedelta(minutes=5)
        assert listed["Owner"]["ID"]

        # A us-east-1 bucket has a null LocationConstraint.
        assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") is None
    finally:
        delete_bucket_recursive(s3, name)


def test_bucket_in_another_region_and_create_twice(lakebox_endpoint):
    """Outside us-east-1, re-creating your own bucket is 409 BucketAlreadyOwnedByYou.

    (S3 API reference, BucketAlreadyOwnedByYou: returned "in all AWS Regions
    except in the North Virginia Region"; see the us-east-1 test below.)
    """
    eu = boto3.client(
        "s3",
        endpoint_url=lakebox_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="eu-west-1",
        config=S3_CONFIG.merge(Config(region_name="eu-west-1")),
    )
    name = unique_bucket_name()
    conf = {"LocationConstraint": "eu-west-1"}
    try:
        eu.create_bucket(Bucket=name, CreateBucketConfiguration=conf)
        assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
        err = client_error(eu.create_bucket, Bucket=name, CreateBucketConfiguration=conf)
        assert_error(err, "BucketAlreadyOwnedByYou", 409)
    finally:
        delete_bucket_recursive(eu, name)


def test_create_existing_bucket_in_us_east_1_keeps_contents(s3, bucket):
    """In us-east-1 AWS answers 200 for legacy compatibility (S3 API reference,
    BucketAlreadyOwnedByYou); other S3 implementations answer 409
    BucketAlreadyOwnedByYou.  Either way the bucket and its objects survive."""
    s3.put_object(Bucket=bucket, Key="keep.txt", Body=b"kept")
    try:
        resp = s3.create_bucket(Bucket=bucket)
        assert status_of(resp) == 200
    except ClientError as err:
        assert_error(err, "BucketAlreadyOwnedByYou", 409)
    assert read_all(s3, bucket, "keep.txt") == b"kept"


@pytest.mark.parametrize("bad", ["ab", "Upper-Case-Bucket", "under_score", "-leading-hyphen", "a" * 64])
def test_invalid_bucket_names_are_rejected(s3, bad):
    """Bucket naming rules: 3-63 chars, lowercase letters, digits, dots, hyphens;
    start and end with a letter or digit.  Violations: 400 InvalidBucketName."""
    err = client_error(s3.create_bucket, Bucket=bad)
    assert_error(err, "InvalidBucketName", 400)


def test_delete_bucket_non_empty_then_empty(s3):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    try:
        s3.put_object(Bucket=name, Key="dir/obj", Body=b"x")
        err = client_error(s3.delete_bucket, Bucket=name)
        assert_error(err, "BucketNotEmpty", 409)
        assert read_all(s3, name, "dir/obj") == b"x", "a refused DeleteBucket must not touch objects"

        s3.delete_object(Bucket=name, Key="dir/obj")
        resp = s3.delete_bucket(Bucket=name)
        assert status_of(resp) == 204
    finally:
        delete_bucket_recursive(s3, name)

    # HEAD has no body: botocore reports the bare status code.
    err = client_error(s3.head_bucket, Bucket=name)
    assert_error(err, "404", 404)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    # The name is free again.
    s3.create_bucket(Bucket=name)
    delete_bucket_recursive(s3, name)


def test_missing_bucket_errors(s3):
    missing = unique_bucket_name("nope")
    assert_error(client_error(s3.head_bucket, Bucket=missing), "404", 404)
    assert_error(client_error(s3.get_object, Bucket=missing, Key="k"), "NoSuchBucket", 404)
    assert_error(client_error(s3.put_object, Bucket=missing, Key="k", Body=b"x"), "NoSuchBucket", 404)
    assert_error(client_error(s3.list_objects_v2, Bucket=missing), "NoSuchBucket", 404)
    assert_error(client_error(s3.delete_bucket, Bucket=missing), "NoSuchBucket", 404)


# --------------------------------------------------------------------------
# Put / get / head
# --------------------------------------------------------------------------


def test_put_get_small_object_round_trips(s3, bucket):
    body = bytes(range(256)) * 4 + b"\r\n\x00tail"
    resp = s3.put_object(
        Bucket=bucket,
        Key="small.bin",
        Body=body,
        ContentType="application/x-lakebox-test",
        Metadata={"k": "v", "owner": "tests"},
    )
    assert resp["ETag"] == quoted_md5(body)

    got = s3.get_object(Bucket=bucket, Key="small.bin")
    assert got["Body"].read() == body
    assert got["ETag"] == quoted_md5(body)
    assert got["ContentLength"] == len(body)
    assert got["ContentType"] == "application/x-lakebox-test"
    assert got["Metadata"] == {"k": "v", "owner": "tests"}
    age = dt.datetime.now(dt.timezone.utc) - got["LastModified"]
    assert dt.timedelta(minutes=-5) < age < dt.timedelta(minutes=5)

    head = s3.head_object(Bucket=bucket, Key="small.bin")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == quoted_md5(body)
    assert head["ContentType"] == "application/x-lakebox-test"
    assert head["Metadata"] == {"k": "v", "owner": "tests"}
    assert head["LastModified"] == got["LastModified"]


def test_overwrite_replaces_content_and_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"first", Metadata={"a": "1"}, ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="o", Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key="o")
    assert got["Body"].read() == b"second!"
    assert got["ETag"] == quoted_md5(b"second!")
    assert got["Metadata"] == {}
    assert got["ContentType"] == "binary/octet-stream"


def test_default_content_type(s3, bucket):
    """Without Content-Type S3 stores binary/octet-stream (PutObject reference)."""
    s3.put_object(Bucket=bucket, Key="untyped", Body=b"abc")
    assert s3.head_object(Bucket=bucket, Key="untyped")["ContentType"] == "binary/octet-stream"
    assert s3.get_object(Bucket=bucket, Key="untyped")["ContentType"] == "binary/octet-stream"


def test_standard_headers_round_trip(s3, bucket):
    s3.put_object(
        Bucket=bucket,
        Key="h.json",
        Body=b"{}",
        ContentType="application/json",
        ContentDisposition='attachment; filename="h.json"',
        ContentLanguage="en",
        CacheControl="max-age=60",
    )
    head = s3.head_object(Bucket=bucket, Key="h.json")
    assert head["ContentType"] == "application/json"
    assert head["ContentDisposition"] == 'attachment; filename="h.json"'
    assert head["ContentLanguage"] == "en"
    assert head["CacheControl"] == "max-age=60"


def test_empty_object(s3, bucket):
    resp = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert resp["ETag"] == quoted_md5(b"")  # "d41d8cd98f00b204e9800998ecf8427e"
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0
    [obj] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert (obj["Key"], obj["Size"], obj["ETag"]) == ("empty", 0, quoted_md5(b""))


SPECIAL_KEYS = [
    "with space.txt",
    "dir with space/and more spaces.csv",
    "unicodé/日本語/файл-😀.txt",
    "a+b+c.txt",
    "100%.txt",
    "percent%2Fliteral%20not-decoded",
    "year=2024/month=03/part-0.parquet",
    "q?x=1&y=2#frag",
    "tilde~star*quote'paren(1)!",
    "semi;colon:comma,at@dollar$",
    "deep/" * 10 + "leaf",
]


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_special_character_keys(s3, bucket, key):
    body = f"body of {key}".encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert read_all(s3, bucket, key) == body
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body)
    assert list_keys(s3, bucket) == [key]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert list_keys(s3, bucket) == []


def test_directory_marker_and_children_coexist(s3, bucket):
    """Zero-byte "folder/" markers (made by the S3 console, Hadoop, Spark) live
    next to the objects under them."""
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    s3.put_object(Bucket=bucket, Key="folder/file.txt", Body=b"child")
    assert list_keys(s3, bucket) == ["folder/", "folder/file.txt"]
    assert read_all(s3, bucket, "folder/") == b""
    assert read_all(s3, bucket, "folder/file.txt") == b"child"
    s3.delete_object(Bucket=bucket, Key="folder/")
    assert list_keys(s3, bucket) == ["folder/file.txt"]


def test_missing_key(s3, bucket):
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="nope"), "NoSuchKey", 404)
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="nope"), "404", 404)


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------


def test_default_flexible_checksum_crc32(s3, bucket):
    """boto3 >= 1.36 sends a CRC32 with every PutObject by default
    (request_checksum_calculation=when_supported); S3 echoes it."""
    body = pattern_bytes(70_000, seed=1)
    resp = s3.put_object(Bucket=bucket, Key="crc", Body=body)
    assert resp["ETag"] == quoted_md5(body)
    assert resp.get("ChecksumCRC32") == crc32_b64(body)
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    # botocore validates a returned checksum against the body while reading.
    assert got["Body"].read() == body
    assert got.get("ChecksumCRC32") == crc32_b64(body)


def test_sha256_checksum_round_trip(s3, bucket):
    body = pattern_bytes(12_345, seed=2)
    expected = sha256_b64(body)
    resp = s3.put_object(Bucket=bucket, Key="sha", Body=body, ChecksumAlgorithm="SHA256")
    assert resp["ChecksumSHA256"] == expected
    got = s3.get_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected


def test_explicit_checksum_value_is_verified(s3, bucket):
    body = b"checked payload"
    s3.put_object(Bucket=bucket, Key="k", Body=body, ChecksumSHA256=sha256_b64(body))
    assert read_all(s3, bucket, "k") == body
    wrong = sha256_b64(b"something else")
    err = client_error(s3.put_object, Bucket=bucket, Key="k", Body=b"new body", ChecksumSHA256=wrong)
    # S3 answers 400 BadDigest when a supplied checksum does not match.
    assert_error(err, ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"), 400)
    assert read_all(s3, bucket, "k") == body


def test_content_md5_mismatch_is_bad_digest(s3, bucket):
    original = b"original content"
    s3.put_object(Bucket=bucket, Key="md5", Body=original)

    # A correct Content-MD5 is accepted.
    good = b"good replacement"
    s3.put_object(Bucket=bucket, Key="md5", Body=good, ContentMD5=b64(hashlib.md5(good).digest()))
    assert read_all(s3, bucket, "md5") == good

    wrong = b64(hashlib.md5(b"not the body").digest())
    err = client_error(s3.put_object, Bucket=bucket, Key="md5", Body=b"tampered", ContentMD5=wrong)
    assert_error(err, "BadDigest", 400)
    got = s3.get_object(Bucket=bucket, Key="md5")
    assert got["Body"].read() == good
    assert got["ETag"] == quoted_md5(good)


def test_malformed_content_md5_is_invalid_digest(s3, bucket):
    err = client_error(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ContentMD5="not-base64-md5")
    assert_error(err, "InvalidDigest", 400)
    assert list_keys(s3, bucket) == []


# --- aws-chunked bodies, as sent by SDKs that use trailing checksums -------
# boto3 only uses aws-chunked trailers over HTTPS (botocore.httpchecksum), so
# these requests are built by hand: STREAMING-UNSIGNED-PAYLOAD-TRAILER is what
# the newer SDKs (Java v2, Rust, Go v2, boto3 over TLS) send.


def _aws_chunked(body: bytes, chunk: int, trailer: str | None, signed: bool) -> bytes:
    out = bytearray()
    ext = ";chunk-signature=" + "0" * 64 if signed else ""
    for i in range(0, len(body), chunk):
        piece = body[i : i + chunk]
        out += f"{len(piece):x}{ext}\r\n".encode() + piece + b"\r\n"
    out += f"0{ext}\r\n".encode()
    if trailer:
        out += trailer.encode() + b"\r\n"
    out += b"\r\n"
    return bytes(out)


def _raw_put(endpoint: str, bucket: str, key: str, payload: bytes, headers: dict[str, str]):
    url = f"{endpoint}/{bucket}/{urllib.parse.quote(key)}"
    req = AWSRequest(method="PUT", url=url, data=payload, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(req)
    r = urllib.request.Request(url, data=payload, headers=dict(req.headers.items()), method="PUT")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def test_aws_chunked_unsigned_trailer_upload(s3, bucket, lakebox_endpoint):
    body = pattern_bytes(200_000, seed=3)
    payload = _aws_chunked(body, 65_536, f"x-amz-checksum-crc32:{crc32_b64(body)}", signed=False)
    status, headers, text = _raw_put(
        lakebox_endpoint,
        bucket,
        "chunked.bin",
        payload,
        {
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(body)),
            "x-amz-trailer": "x-amz-checksum-crc32",
            "Content-Type": "application/octet-stream",
        },
    )
    assert status == 200, text
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["etag"] == quoted_md5(body)
    got = s3.get_object(Bucket=bucket, Key="chunked.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)
    assert got.get("ContentEncoding") in (None, ""), "aws-chunked is a transfer framing, not stored"
    assert got.get("ChecksumCRC32") == crc32_b64(body)


def test_aws_chunked_wrong_trailer_checksum_is_rejected(s3, bucket, lakebox_endpoint):
    s3.put_object(Bucket=bucket, Key="c", Body=b"before")
    body = b"x" * 10_000
    payload = _aws_chunked(body, 4096, f"x-amz-checksum-crc32:{crc32_b64(b'other')}", signed=False)
    status, _, text = _raw_put(
        lakebox_endpoint,
        bucket,
        "c",
        payload,
        {
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(body)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        },
    )
    assert status == 400, text
    assert b"<Code>BadDigest</Code>" in text, text
    assert read_all(s3, bucket, "c") == b"before"


def test_aws_chunked_signed_payload_upload(s3, bucket, lakebox_endpoint):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD (Java SDK v1, Hadoop S3A): chunk signatures."""
    body = pattern_bytes(150_000, seed=4)
    payload = _aws_chunked(body, 64 * 1024, None, signed=True)
    status, _, text = _raw_put(
        lakebox_endpoint,
        bucket,
        "signed-chunks.bin",
        payload,
        {
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(body)),
        },
    )
    assert status == 200, text
    got = s3.get_object(Bucket=bucket, Key="signed-chunks.bin")
    assert got["Body"].read() == body
    assert got["ETag"] == quoted_md5(body)


# --------------------------------------------------------------------------
# Large objects through boto3's managed transfer
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_managed_transfer_100_mib(s3, bucket, tmp_path):
    size = 100 * MiB
    chunk = 8 * MiB
    data = os.urandom(size)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=chunk, max_concurrency=4)

    s3.upload_file(str(src), bucket, "big/object.bin", Config=config)

    n_parts = math.ceil(size / chunk)
    assert n_parts == 13
    expected_etag = multipart_etag(data[i : i + chunk] for i in range(0, size, chunk))
    assert expected_etag.endswith('-13"')
    head = s3.head_object(Bucket=bucket, Key="big/object.bin")
    assert head["ContentLength"] == size
    assert head["ETag"] == expected_etag

    dst = tmp_path / "big.down"
    s3.download_file(bucket, "big/object.bin", str(dst), Config=config)
    assert dst.stat().st_size == size
    # Compare by digest rather than holding a second 100 MiB copy in memory.
    with open(dst, "rb") as f:
        assert hashlib.file_digest(f, "sha256").digest() == hashlib.sha256(data).digest()
    [obj] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert (obj["Size"], obj["ETag"]) == (size, expected_etag)


# --------------------------------------------------------------------------
# Explicit multipart API
# --------------------------------------------------------------------------


def test_multipart_upload_lifecycle(s3, bucket):
    parts = [pattern_bytes(MIN_PART, 10), pattern_bytes(MIN_PART, 11), pattern_bytes(1024, 12)]
    key = "mp/assembled.bin"
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-parts", Metadata={"m": "1"})
    assert (up["Bucket"], up["Key"]) == (bucket, key)
    upload_id = up["UploadId"]

    etags = []
    for number, body in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        assert r["ETag"] == quoted_md5(body)
        etags.append(r["ETag"])

    # An object does not exist until the upload completes.
    assert_error(client_error(s3.head_object, Bucket=bucket, Key=key), "404", 404)

    page1 = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in page1["Parts"]] == [1, 2]
    assert [p["Size"] for p in page1["Parts"]] == [len(parts[0]), len(parts[1])]
    assert [p["ETag"] for p in page1["Parts"]] == etags[:2]
    assert page1["IsTruncated"] is True
    assert page1["NextPartNumberMarker"] == 2
    page2 = s3.list_parts(
        Bucket=bucket, Key=key, UploadId=upload_id, MaxParts=2, PartNumberMarker=page1["NextPartNumberMarker"]
    )
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in page2["Parts"]] == [(3, 1024, etags[2])]
    assert page2["IsTruncated"] is False
    # The paginator follows the same markers.
    paged = [
        p["PartNumber"]
        for page in s3.get_paginator("list_parts").paginate(
            Bucket=bucket, Key=key, UploadId=upload_id, PaginationConfig={"PageSize": 1}
        )
        for p in page.get("Parts", [])
    ]
    assert paged == [1, 2, 3]

    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, upload_id)]
    by_prefix = s3.list_multipart_uploads(Bucket=bucket, Prefix="other/").get("Uploads", [])
    assert by_prefix == []

    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    expected_etag = multipart_etag(parts)
    assert done["ETag"] == expected_etag
    assert (done["Bucket"], done["Key"]) == (bucket, key)

    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == b"".join(parts)
    assert got["ETag"] == expected_etag
    assert got["ContentLength"] == sum(map(len, parts))
    assert got["ContentType"] == "application/x-parts"
    assert got["Metadata"] == {"m": "1"}

    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    err = client_error(s3.list_parts, Bucket=bucket, Key=key, UploadId=upload_id)
    assert_error(err, "NoSuchUpload", 404)


def test_multipart_part_too_small(s3, bucket):
    key = "small-parts"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    small = [b"a" * 1024, b"b" * 1024]
    etags = [
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i + 1, Body=b)["ETag"]
        for i, b in enumerate(small)
    ]
    err = client_error(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    assert_error(err, "EntityTooSmall", 400)
    assert_error(client_error(s3.head_object, Bucket=bucket, Key=key), "404", 404)


def test_multipart_failed_completions_keep_the_upload(s3, bucket):
    """InvalidPart / InvalidPartOrder leave the upload in place; it can still complete."""
    key = "retry.bin"
    parts = [pattern_bytes(MIN_PART, 20), pattern_bytes(4096, 21)]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i + 1, Body=b)["ETag"]
        for i, b in enumerate(parts)
    ]

    wrong_etag = quoted_md5(b"not a part")
    err = client_error(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": wrong_etag}]},
    )
    assert_error(err, "InvalidPart", 400)

    err = client_error(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 3, "ETag": etags[1]}]},
    )
    assert_error(err, "InvalidPart", 400)  # part 3 was never uploaded

    err = client_error(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": etags[1]}, {"PartNumber": 1, "ETag": etags[0]}]},
    )
    assert_error(err, "InvalidPartOrder", 400)

    assert_error(client_error(s3.head_object, Bucket=bucket, Key=key), "404", 404)
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]] == [1, 2]

    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": etags[1]}]},
    )
    assert done["ETag"] == multipart_etag(parts)
    assert read_all(s3, bucket, key) == b"".join(parts)


def test_multipart_reuploaded_part_replaces_the_old_one(s3, bucket):
    key = "replace-part"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"old part")
    new = b"new part body"
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=new)["ETag"]
    [part] = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert (part["PartNumber"], part["Size"], part["ETag"]) == (1, len(new), quoted_md5(new))
    s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == new
    assert got["ETag"] == multipart_etag([new])


def test_multipart_abort(s3, bucket):
    key = "aborted"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"part")
    resp = s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert status_of(resp) == 204

    assert_error(client_error(s3.list_parts, Bucket=bucket, Key=key, UploadId=upload_id), "NoSuchUpload", 404)
    err = client_error(s3.upload_part, Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=b"late")
    assert_error(err, "NoSuchUpload", 404)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert list_keys(s3, bucket) == []


def test_multipart_unknown_upload_id(s3, bucket):
    err = client_error(
        s3.upload_part, Bucket=bucket, Key="k", UploadId="no-such-upload-id", PartNumber=1, Body=b"x"
    )
    assert_error(err, "NoSuchUpload", 404)
    err = client_error(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="k",
        UploadId="no-such-upload-id",
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": quoted_md5(b"x")}]},
    )
    assert_error(err, "NoSuchUpload", 404)


def test_upload_part_copy_with_ranges(s3, bucket, other_bucket):
    source = pattern_bytes(MIN_PART + 300_000, seed=30)
    s3.put_object(Bucket=other_bucket, Key="src/source.bin", Body=source)
    key = "copied-by-parts.bin"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    ranges = [(0, MIN_PART - 1), (MIN_PART, len(source) - 1)]
    parts = []
    for number, (first, last) in enumerate(ranges, start=1):
        r = s3.upload_part_copy(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": other_bucket, "Key": "src/source.bin"},
            CopySourceRange=f"bytes={first}-{last}",
        )
        assert r["CopyPartResult"]["ETag"] == quoted_md5(source[first : last + 1])
        parts.append({"PartNumber": number, "ETag": r["CopyPartResult"]["ETag"]})
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [p["Size"] for p in listed] == [last - first + 1 for first, last in ranges]

    # A third part from the middle of the source, uploaded as part 3 but left out.
    s3.upload_part_copy(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=3,
        CopySource={"Bucket": other_bucket, "Key": "src/source.bin"},
        CopySourceRange="bytes=100-199",
    )
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag([source[a : b + 1] for a, b in ranges])
    assert read_all(s3, bucket, key) == source


def test_upload_part_copy_range_outside_source(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    err = client_error(
        s3.upload_part_copy,
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange="bytes=5-100",
    )
    # AWS answers 400 InvalidArgument ("Range specified is not valid for source
    # object of size: 10"); 416 InvalidRange is accepted as well.
    code = err.response["Error"]["Code"]
    status = err.response["ResponseMetadata"]["HTTPStatusCode"]
    assert (code, status) in (("InvalidArgument", 400), ("InvalidRange", 416)), err


# --------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------


def test_range_requests(s3, bucket):
    body = pattern_bytes(100, seed=40)
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    cases = [
        ("bytes=0-9", body[0:10], "bytes 0-9/100"),
        ("bytes=10-", body[10:], "bytes 10-99/100"),
        ("bytes=-5", body[-5:], "bytes 95-99/100"),
        ("bytes=99-99", body[99:], "bytes 99-99/100"),
        ("bytes=90-1000", body[90:], "bytes 90-99/100"),  # last-byte-pos past the end is clamped
        ("bytes=-1000", body, "bytes 0-99/100"),  # suffix longer than the object: the whole object
    ]
    for rng, expected, content_range in cases:
        got = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert status_of(got) == 206, rng
        assert got["Body"].read() == expected, rng
        assert got["ContentRange"] == content_range, rng
        assert got["ContentLength"] == len(expected), rng
        assert got["ETag"] == quoted_md5(body), rng
        assert got.get("AcceptRanges") == "bytes", rng

    for rng in ("bytes=100-", "bytes=100-200", "bytes=500-600"):
        err = client_error(s3.get_object, Bucket=bucket, Key="r", Range=rng)
        assert_error(err, "InvalidRange", 416)


def test_range_on_multipart_object_spans_parts(s3, bucket):
    parts = [pattern_bytes(MIN_PART, 41), pattern_bytes(1000, 42)]
    whole = b"".join(parts)
    key = "mp-range"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i + 1, Body=b)["ETag"]
        for i, b in enumerate(parts)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    first, last = MIN_PART - 10, MIN_PART + 9
    got = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
    assert got["Body"].read() == whole[first : last + 1]
    assert got["ContentRange"] == f"bytes {first}-{last}/{len(whole)}"


# --------------------------------------------------------------------------
# Conditional requests
# --------------------------------------------------------------------------


def test_conditional_get(s3, bucket):
    body = b"conditional body"
    s3.put_object(Bucket=bucket, Key="c", Body=body)
    etag = quoted_md5(body)
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    past = modified - dt.timedelta(days=1)

    # Satisfied conditions return the object.
    assert read_all(s3, bucket, "c", IfMatch=etag) == body
    assert read_all(s3, bucket, "c", IfNoneMatch=quoted_md5(b"other")) == body
    assert read_all(s3, bucket, "c", IfModifiedSince=past) == body
    assert read_all(s3, bucket, "c", IfUnmodifiedSince=future) == body

    # 304 has no body; botocore reports the status code as the error code.
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag), "304", 304)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch="*"), "304", 304)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=modified), "304", 304)
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=future), "304", 304)

    err = client_error(s3.get_object, Bucket=bucket, Key="c", IfMatch=quoted_md5(b"other"))
    assert_error(err, "PreconditionFailed", 412)
    err = client_error(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert_error(err, "PreconditionFailed", 412)

    # S3 API reference (GetObject): If-Match true + If-Unmodified-Since false -> 200;
    # If-None-Match false + If-Modified-Since true -> 304.
    assert read_all(s3, bucket, "c", IfMatch=etag, IfUnmodifiedSince=past) == body
    err = client_error(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=past)
    assert_error(err, "304", 304)


def test_conditional_head(s3, bucket):
    s3.put_object(Bucket=bucket, Key="h", Body=b"head me")
    etag = quoted_md5(b"head me")
    modified = s3.head_object(Bucket=bucket, Key="h")["LastModified"]
    assert s3.head_object(Bucket=bucket, Key="h", IfMatch=etag)["ETag"] == etag
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="h", IfNoneMatch=etag), "304", 304)
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="h", IfMatch='"0000"'), "412", 412)
    past = modified - dt.timedelta(hours=1)
    assert_error(client_error(s3.head_object, Bucket=bucket, Key="h", IfUnmodifiedSince=past), "412", 412)


def test_conditional_put(s3, bucket):
    """Conditional writes (S3, 2024): If-None-Match: * only creates; If-Match compares ETags."""
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    err = client_error(s3.put_object, Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert_error(err, "PreconditionFailed", 412)
    err = client_error(s3.put_object, Bucket=bucket, Key="once", Body=b"third", IfMatch=quoted_md5(b"nope"))
    assert_error(err, "PreconditionFailed", 412)
    assert read_all(s3, bucket, "once") == b"first"
    s3.put_object(Bucket=bucket, Key="once", Body=b"fourth", IfMatch=quoted_md5(b"first"))
    assert read_all(s3, bucket, "once") == b"fourth"


# --------------------------------------------------------------------------
# Copy
# --------------------------------------------------------------------------


def test_copy_object_same_bucket_copies_metadata(s3, bucket):
    body = pattern_bytes(3000, seed=50)
    s3.put_object(Bucket=bucket, Key="src", Body=body, ContentType="text/csv", Metadata={"origin": "src"})
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == quoted_md5(body)
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == body
    assert got["ETag"] == quoted_md5(body)
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"origin": "src"}
    assert read_all(s3, bucket, "src") == body, "the source is untouched"


def test_copy_object_to_other_bucket_with_special_key(s3, bucket, other_bucket):
    key = "dir with space/ünï+cødé%=.bin"
    body = b"cross-bucket"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    s3.copy_object(Bucket=other_bucket, Key=key, CopySource={"Bucket": bucket, "Key": key})
    assert read_all(s3, other_bucket, key) == body
    # CopySource given as the "bucket/key" string form too (boto3 URL-encodes it).
    s3.copy_object(Bucket=other_bucket, Key="second", CopySource=f"{bucket}/{key}")
    assert read_all(s3, other_bucket, "second") == body


def test_copy_object_replace_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"data", ContentType="text/plain", Metadata={"a": "1"})
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        ContentType="application/json",
        Metadata={"b": "2"},
    )
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"b": "2"}
    assert head["ETag"] == quoted_md5(b"data")
    src = s3.head_object(Bucket=bucket, Key="src")
    assert (src["ContentType"], src["Metadata"]) == ("text/plain", {"a": "1"})


def test_copy_object_onto_itself(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"me", ContentType="text/plain")
    err = client_error(s3.copy_object, Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert_error(err, "InvalidRequest", 400)
    s3.copy_object(
        Bucket=bucket,
        Key="self",
        CopySource={"Bucket": bucket, "Key": "self"},
        MetadataDirective="REPLACE",
        ContentType="text/markdown",
    )
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Body"].read() == b"me"
    assert got["ContentType"] == "text/markdown"


def test_copy_object_missing_source(s3, bucket):
    err = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "absent"})
    assert_error(err, "NoSuchKey", 404)
    err = client_error(
        s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": unique_bucket_name("nope"), "Key": "k"}
    )
    assert_error(err, "NoSuchBucket", 404)


def test_copy_object_conditional_source(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"v1")
    err = client_error(
        s3.copy_object,
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceIfMatch=quoted_md5(b"v0"),
    )
    assert_error(err, "PreconditionFailed", 412)
    s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, CopySourceIfMatch=quoted_md5(b"v1")
    )
    assert read_all(s3, bucket, "dst") == b"v1"


# --------------------------------------------------------------------------
# Listing
# --------------------------------------------------------------------------

MANY = 2500


@pytest.fixture(scope="module")
def many_keys(s3):
    """A bucket with 2,500 small objects, shared by the listing tests (read-only)."""
    name = unique_bucket_name("many")
    s3.create_bucket(Bucket=name)
    # Not zero-padded: lexicographic order differs from numeric order.
    keys = [f"logs/{i}.json" for i in range(MANY)]

    def put(key: str) -> None:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, keys))
    # Not deleted afterwards: it lives in the session's temporary data dir,
    # and deleting 2,500 objects would only add seconds to the suite.
    return name, keys


@pytest.mark.slow
def test_list_objects_v2_pagination_2500(s3, many_keys):
    name, keys = many_keys
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 1000})
    )
    assert [p["KeyCount"] for p in pages] == [1000, 1000, 500]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    listed = [o for p in pages for o in p["Contents"]]
    assert [o["Key"] for o in listed] == sorted(keys)
    for o in listed[:50]:
        assert o["Size"] == len(o["Key"].encode())
        assert o["ETag"] == quoted_md5(o["Key"].encode())
    assert "NextContinuationToken" not in pages[-1]


@pytest.mark.slow
def test_list_objects_v1_marker_paging(s3, many_keys):
    name, keys = many_keys
    expected = sorted(keys)
    seen: list[str] = []
    marker = ""
    pages = 0
    while True:
        page = s3.list_objects(Bucket=name, MaxKeys=1000, Marker=marker)
        pages += 1
        contents = [o["Key"] for o in page.get("Contents", [])]
        seen.extend(contents)
        if not page["IsTruncated"]:
            break
        # Without a delimiter v1 has no NextMarker: the last key is the marker.
        marker = page.get("NextMarker") or contents[-1]
    assert seen == expected
    assert pages == math.ceil(MANY / 1000)


def test_list_with_prefix_and_delimiter(s3, bucket):
    keys = [
        "data/top.txt",
        "data/year=2023/month=12/part-0.parquet",
        "data/year=2024/month=01/part-0.parquet",
        "data/year=2024/month=02/part-0.parquet",
        "other/x",
        "root.txt",
    ]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["data/", "other/"]
    assert [o["Key"] for o in top["Contents"]] == ["root.txt"]
    assert top["KeyCount"] == 3  # KeyCount counts keys and common prefixes

    data = s3.list_objects_v2(Bucket=bucket, Prefix="data/", Delimiter="/")
    assert [o["Key"] for o in data["Contents"]] == ["data/top.txt"]
    assert [p["Prefix"] for p in data["CommonPrefixes"]] == ["data/year=2023/", "data/year=2024/"]
    assert data["Prefix"] == "data/"
    assert data["Delimiter"] == "/"

    y2024 = s3.list_objects_v2(Bucket=bucket, Prefix="data/year=2024/", Delimiter="/")
    assert "Contents" not in y2024
    assert [p["Prefix"] for p in y2024["CommonPrefixes"]] == ["data/year=2024/month=01/", "data/year=2024/month=02/"]

    flat = s3.list_objects_v2(Bucket=bucket, Prefix="data/year=2024/")
    assert [o["Key"] for o in flat["Contents"]] == keys[2:4]
    assert "CommonPrefixes" not in flat

    # A prefix that is not a "directory" boundary.
    partial = s3.list_objects_v2(Bucket=bucket, Prefix="data/ye", Delimiter="/")
    assert [p["Prefix"] for p in partial["CommonPrefixes"]] == ["data/year=2023/", "data/year=2024/"]
    assert s3.list_objects_v2(Bucket=bucket, Prefix="nothing/").get("Contents") is None

    # v1 gives the same grouping.
    v1 = s3.list_objects(Bucket=bucket, Prefix="data/", Delimiter="/")
    assert [o["Key"] for o in v1["Contents"]] == ["data/top.txt"]
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["data/year=2023/", "data/year=2024/"]


def test_delimiter_paging_counts_common_prefixes(s3, bucket):
    keys = [f"p{i}/obj" for i in range(5)] + ["z0", "z1"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    entries: list[str] = []
    pages = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}
    ):
        pages += 1
        assert page["KeyCount"] <= 2
        entries += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        entries += [o["Key"] for o in page.get("Contents", [])]
    assert sorted(entries) == [f"p{i}/" for i in range(5)] + ["z0", "z1"]
    assert len(entries) == 7
    assert pages == 4


def test_list_start_after_and_max_keys(s3, bucket):
    for k in ["a", "b", "c", "d", "e"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, StartAfter="b")["Contents"]] == ["c", "d", "e"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, StartAfter="bb")["Contents"]] == ["c", "d", "e"]
    assert s3.list_objects_v2(Bucket=bucket, StartAfter="e").get("Contents") is None

    two = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    assert [o["Key"] for o in two["Contents"]] == ["a", "b"]
    assert two["IsTruncated"] is True
    assert two["MaxKeys"] == 2
    rest = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, ContinuationToken=two["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["c", "d"]
    assert rest["ContinuationToken"] == two["NextContinuationToken"]

    zero = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert zero.get("Contents") is None
    assert zero["KeyCount"] == 0
    assert zero["MaxKeys"] == 0


def test_list_owner_only_when_asked(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    [plain] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert "Owner" not in plain
    [owned] = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"]
    assert owned["Owner"]["ID"]


def test_listing_keys_with_percent_plus_and_unicode(s3, bucket):
    """boto3 lists with EncodingType=url and decodes the answer: keys survive intact."""
    keys = ["a+b", "a b", "a%b", "a%2Bb", "dir+x/one", "dir%y/two", "ünï/ç", "eq=1/x"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    assert list_keys(s3, bucket) == sorted(keys, key=lambda k: k.encode("utf-8"))
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert sorted(p["Prefix"] for p in top["CommonPrefixes"]) == sorted(["dir+x/", "dir%y/", "ünï/", "eq=1/"])
    assert list_keys(s3, bucket, Prefix="dir%y/") == ["dir%y/two"]
    assert list_keys(s3, bucket, Prefix="a+") == ["a+b"]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket, Prefix="a")["Contents"]] == sorted(
        ["a+b", "a b", "a%b", "a%2Bb"]
    )


def test_list_in_utf8_binary_order(s3, bucket):
    """S3 lists keys in UTF-8 binary order (uppercase before lowercase, '~' after letters)."""
    keys = ["b", "B", "a/", "a-", "a0", "~", "é", "Z", "_"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    assert list_keys(s3, bucket) == sorted(keys, key=lambda k: k.encode("utf-8"))


# --------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------


def test_delete_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    assert status_of(s3.delete_object(Bucket=bucket, Key="gone")) == 204
    assert_error(client_error(s3.get_object, Bucket=bucket, Key="gone"), "NoSuchKey", 404)
    # Deleting a missing key is not an error (S3 API reference, DeleteObject).
    assert status_of(s3.delete_object(Bucket=bucket, Key="gone")) == 204
    assert status_of(s3.delete_object(Bucket=bucket, Key="never/existed")) == 204


def test_delete_objects(s3, bucket):
    for k in ["one", "two", "keep"]:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    resp = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "one"}, {"Key": "two"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in resp["Deleted"]) == ["missing", "one", "two"]
    assert resp.get("Errors", []) == []
    assert list_keys(s3, bucket) == ["keep"]


def test_delete_objects_quiet(s3, bucket):
    keys = ["q/1", "q/2", "q/3"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    assert resp.get("Deleted", []) == []
    assert resp.get("Errors", []) == []
    assert list_keys(s3, bucket) == []


def test_delete_objects_special_keys(s3, bucket):
    keys = ["sp ace", "plus+", "pct%", "ünï", "amp&lt;<>"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in resp["Deleted"]) == sorted(keys)
    assert list_keys(s3, bucket) == []


# --------------------------------------------------------------------------
# Keys Lakebox cannot store as files (documented deviations)
# --------------------------------------------------------------------------

TRAVERSAL_KEYS = ["../escape", "a/../../escape", "..", "../../../../escape", "./escape", "a//escape", "a/./escape"]


@pytest.mark.parametrize("key", TRAVERSAL_KEYS)
def test_dot_segment_keys_are_refused(s3, bucket, lakebox_data_dir, key):
    """Lakebox deviation: keys with empty/./.. segments -> 400 InvalidArgument."""
    err = client_error(s3.put_object, Bucket=bucket, Key=key, Body=b"escaped!")
    assert_error(err, "InvalidArgument", 400)
    err = client_error(s3.create_multipart_upload, Bucket=bucket, Key=key)
    assert_error(err, "InvalidArgument", 400)
    s3.put_object(Bucket=bucket, Key="src", Body=b"escaped!")
    err = client_error(s3.copy_object, Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "src"})
    assert_error(err, "InvalidArgument", 400)

    assert list_keys(s3, bucket) == ["src"]
    # Nothing landed anywhere under (or next to) the data dir.
    for root in (lakebox_data_dir, lakebox_data_dir.parent):
        escaped = [p for p in root.rglob("*") if "escape" in p.name]
        assert escaped == [], escaped


def test_object_and_prefix_of_same_name_cannot_coexist(s3, bucket):
    """Lakebox deviation: object "a" and objects under "a/" -> 400 InvalidRequest."""
    s3.put_object(Bucket=bucket, Key="a", Body=b"file")
    assert_error(client_error(s3.put_object, Bucket=bucket, Key="a/b", Body=b"x"), "InvalidRequest", 400)
    s3.put_object(Bucket=bucket, Key="d/e", Body=b"child")
    assert_error(client_error(s3.put_object, Bucket=bucket, Key="d", Body=b"x"), "InvalidRequest", 400)
    assert list_keys(s3, bucket) == ["a", "d/e"]
    assert read_all(s3, bucket, "a") == b"file"
    assert read_all(s3, bucket, "d/e") == b"child"


def test_objects_are_files_under_the_data_dir(s3, bucket, lakebox_data_dir):
    body = b"on disk"
    s3.put_object(Bucket=bucket, Key="year=2024/month=03/part-0.parquet", Body=body)
    path = lakebox_data_dir / "s3" / bucket / "year=2024" / "month=03" / "part-0.parquet"
    assert path.read_bytes() == body


# --------------------------------------------------------------------------
# Presigned URLs
# --------------------------------------------------------------------------


PRESIGN_STYLES = {
    # boto3's default for S3 presigning against a custom endpoint: SigV2 query
    # parameters (AWSAccessKeyId, Signature, Expires).
    "default": None,
    # SigV4 query parameters (X-Amz-Algorithm, X-Amz-Signature, ...).
    "s3v4": "s3v4",
}


@pytest.fixture(params=sorted(PRESIGN_STYLES))
def presigner(request, lakebox_endpoint):
    version = PRESIGN_STYLES[request.param]
    config = S3_CONFIG if version is None else S3_CONFIG.merge(Config(signature_version=version))
    return boto3.client(
        "s3",
        endpoint_url=lakebox_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=config,
    )


def test_presigned_get(s3, presigner, bucket):
    key = "presigned/ünï code+file.txt"
    body = pattern_bytes(5000, seed=60)
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    assert "Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200
        assert resp.read() == body
        assert resp.headers["ETag"] == quoted_md5(body)


def test_presigned_put(s3, presigner, bucket):
    key = "presigned/upload.txt"
    body = b"uploaded through a presigned URL"
    url = presigner.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": "text/plain"}, ExpiresIn=300
    )
    req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["ETag"] == quoted_md5(body)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"


def test_presigned_get_missing_key_is_404(presigner, bucket):
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "absent"}, ExpiresIn=300)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=30)
    assert info.value.code == 404
    assert b"<Code>NoSuchKey</Code>" in info.value.read()


# --------------------------------------------------------------------------
# HTTP connection handling
# --------------------------------------------------------------------------


def test_rejected_expect_100_continue_put_keeps_connection_usable(s3, bucket, lakebox_endpoint):
    """botocore sends PutObject/UploadPart with ``Expect: 100-continue``.  When
    the server answers with a final error status instead of 100, the client
    does not send the body, and urllib3 pools the connection for the next
    request unless the response said ``Connection: close``.  So the server must
    either keep serving that connection or announce that it closes it;
    closing silently makes the client's next request fail with
    ConnectionClosedError (RFC 9110 10.1.1; RFC 9112 9.6)."""
    import socket

    host, port = urllib.parse.urlsplit(lakebox_endpoint).netloc.rsplit(":", 1)
    body = b"never sent"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"PUT /{bucket}/../escape HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        first = _read_http_response(sock)
        assert first is not None, "no response to the rejected PUT"
        status, headers, text = first
        assert status == 400, text
        if headers.get("connection", "").lower() == "close":
            return  # announced: the client will not reuse the connection
        # Not announced: the connection must still work.
        sock.sendall(f"GET /{bucket}?list-type=2 HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        second = _read_http_response(sock)
        assert second is not None, (
            "the server closed the connection after the 400 without sending 'Connection: close'"
        )
        assert second[0] == 200, second


def _read_http_response(sock) -> tuple[int, dict[str, str], bytes] | None:
    """Read one HTTP/1.1 response with a Content-Length body; None on EOF."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    if status == 100:
        return _read_http_response_after(sock, rest)
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return status, headers, rest[:length]


def _read_http_response_after(sock, pending: bytes):
    class _Prefixed:
        def __init__(self, data):
            self.data = data

        def recv(self, n):
            if self.data:
                out, self.data = self.data, b""
                return out
            return sock.recv(n)

    return _read_http_response(_Prefixed(pending))


# --------------------------------------------------------------------------
# Durability across a crash
# --------------------------------------------------------------------------


def test_objects_survive_sigkill(start_lakebox, tmp_path):
    data_dir = tmp_path / "durable"
    lb = start_lakebox(data_dir)
    s3 = lb.s3()
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    small = pattern_bytes(10_000, seed=70)
    s3.put_object(Bucket=name, Key="dir/small.bin", Body=small, Metadata={"k": "v"}, ContentType="text/x-test")
    parts = [pattern_bytes(MIN_PART, 71), pattern_bytes(100, 72)]
    upload_id = s3.create_multipart_upload(Bucket=name, Key="mp.bin")["UploadId"]
    etags = [
        s3.upload_part(Bucket=name, Key="mp.bin", UploadId=upload_id, PartNumber=i + 1, Body=b)["ETag"]
        for i, b in enumerate(parts)
    ]
    s3.complete_multipart_upload(
        Bucket=name,
        Key="mp.bin",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    pending = s3.create_multipart_upload(Bucket=name, Key="pending")["UploadId"]
    s3.upload_part(Bucket=name, Key="pending", UploadId=pending, PartNumber=1, Body=b"half")

    lb.kill()  # SIGKILL: no shutdown hooks
    lb2 = start_lakebox(data_dir)
    s3 = lb2.s3()

    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    got = s3.get_object(Bucket=name, Key="dir/small.bin")
    assert got["Body"].read() == small
    assert got["ETag"] == quoted_md5(small)
    assert got["Metadata"] == {"k": "v"}
    assert got["ContentType"] == "text/x-test"
    got = s3.get_object(Bucket=name, Key="mp.bin")
    assert got["Body"].read() == b"".join(parts)
    assert got["ETag"] == multipart_etag(parts)
    assert list_keys(s3, name) == ["dir/small.bin", "mp.bin"]
    [part] = s3.list_parts(Bucket=name, Key="pending", UploadId=pending)["Parts"]
    assert (part["PartNumber"], part["ETag"]) == (1, quoted_md5(b"half"))


# ---- regressions from review ----------------------------------------------


def test_concurrent_conditional_creates_have_exactly_one_winner(s3, bucket):
    """`If-None-Match: *` is a compare-and-swap: of concurrent writers exactly one succeeds
    (S3 user guide, "Conditional writes"); the others get 412 (or 409)."""
    import concurrent.futures

    def attempt(i):
        try:
            s3.put_object(Bucket=bucket, Key="lock", Body=f"writer {i}".encode(), IfNoneMatch="*")
            return i
        except ClientError as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] in (409, 412), e.response
            return None

    for _ in range(5):
        s3.delete_object(Bucket=bucket, Key="lock")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            winners = [w for w in pool.map(attempt, range(8)) if w is not None]
        assert len(winners) == 1, winners
        body = s3.get_object(Bucket=bucket, Key="lock")["Body"].read()
        assert body == f"writer {winners[0]}".encode()


def test_paging_does_not_skip_keys_under_a_directory_marker(s3, bucket):
    for key in ["a/", "a/x", "a/y"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix="a/", Delimiter="/", PaginationConfig={"PageSize": 1}
    )
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert keys == ["a/", "a/x", "a/y"]


def test_a_directory_marker_holds_no_bytes_and_keeps_its_bucket(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="folder/", Body=b"data")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "BucketNotEmpty"
    s3.copy_object(Bucket=bucket, Key="copy-of-marker", CopySource={"Bucket": bucket, "Key": "folder/"})
    assert s3.get_object(Bucket=bucket, Key="copy-of-marker")["Body"].read() == b""


def test_list_multipart_uploads_pages_every_upload_once(s3, bucket):
    created = {s3.create_multipart_upload(Bucket=bucket, Key="same-key")["UploadId"] for _ in range(5)}
    seen, kwargs = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, **kwargs)
        seen += [u["UploadId"] for u in page.get("Uploads", [])]
        if not page.get("IsTruncated"):
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert sorted(seen) == sorted(created) and len(seen) == 5
    for upload_id in created:
        s3.abort_multipart_upload(Bucket=bucket, Key="same-key", UploadId=upload_id)


def test_virtual_host_style_addressing(s3, bucket, lakebox_endpoint):
    """`http://<bucket>.localhost:<port>/<key>` names the bucket in the Host header (virtual-hosted
    style, what SDKs send with addressing_style=virtual). The request goes to 127.0.0.1 with that
    Host header, since not every resolver maps *.localhost to the loopback address."""
    s3.put_object(Bucket=bucket, Key="dir/file.txt", Body=b"virtual")
    port = urllib.parse.urlparse(lakebox_endpoint).port
    for path, expected in [("/dir/file.txt", b"virtual")]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Host": f"{bucket}.localhost:{port}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.read() == expected
    listing = urllib.request.Request(
        f"http://127.0.0.1:{port}/?list-type=2", headers={"Host": f"{bucket}.localhost:{port}"}
    )
    with urllib.request.urlopen(listing, timeout=10) as response:
        body = response.read().decode()
    assert "<Key>dir/file.txt</Key>" in body and f"<Name>{bucket}</Name>" in body
