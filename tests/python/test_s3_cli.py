"""End-to-end tests of Lakebox's S3 API through the real aws CLI (v1).

The CLI finds Lakebox through AWS_ENDPOINT_URL (see conftest.aws_cli_env);
against an IP-address endpoint it addresses buckets path-style by itself.
``aws s3 ...`` prints text, so those commands run through
``conftest.run_aws_cli_text``; ``aws s3api ...`` answers JSON
(``conftest.run_aws_cli``).  Results are checked both from the CLI's output
and independently with boto3.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import delete_bucket_recursive, run_aws_cli_text, unique_bucket_name

MiB = 1024 * 1024


def quoted_md5(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


def multipart_etag(data: bytes, chunk: int) -> str:
    digests = [hashlib.md5(data[i : i + chunk]).digest() for i in range(0, len(data), chunk)]
    return '"' + hashlib.md5(b"".join(digests)).hexdigest() + f'-{len(digests)}"'


@pytest.fixture
def s3cli(lakebox_endpoint):
    """``s3cli("s3", "ls")`` -> CompletedProcess (text output, any exit code)."""

    def run(*args: str, **kw) -> subprocess.CompletedProcess:
        # A stalled response fails in 20 s instead of the CLI's default 60 s.
        return run_aws_cli_text(lakebox_endpoint, *args, "--cli-read-timeout", "20", **kw)

    return run


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"aws {proc.args[1:]} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}"
    return proc.stdout


def ls_entries(stdout: str) -> tuple[list[str], dict[str, int]]:
    """Parse ``aws s3 ls`` output into (PRE prefixes, {name: size})."""
    prefixes: list[str] = []
    objects: dict[str, int] = {}
    for line in stdout.splitlines():
        m = re.match(r"^\s+PRE (.+)$", line)
        if m:
            prefixes.append(m.group(1))
            continue
        m = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(\d+) (.+)$", line)
        assert m, f"unexpected ls line: {line!r}"
        objects[m.group(2)] = int(m.group(1))
    return prefixes, objects


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------


def test_mb_ls_rb(s3cli, s3):
    name = unique_bucket_name("cli")
    try:
        out = ok(s3cli("s3", "mb", f"s3://{name}"))
        assert out.strip() == f"make_bucket: {name}"
        s3.head_bucket(Bucket=name)

        listing = ok(s3cli("s3", "ls"))
        names = [line.split()[-1] for line in listing.splitlines() if line.strip()]
        assert name in names
        assert names == sorted(names)

        out = ok(s3cli("s3", "rb", f"s3://{name}"))
        assert out.strip() == f"remove_bucket: {name}"
        with pytest.raises(ClientError) as info:
            s3.head_bucket(Bucket=name)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    finally:
        delete_bucket_recursive(s3, name)


def test_rb_non_empty_needs_force(s3cli, s3):
    name = unique_bucket_name("cli")
    s3.create_bucket(Bucket=name)
    try:
        for i in range(3):
            s3.put_object(Bucket=name, Key=f"d/{i}", Body=b"x")
        refused = s3cli("s3", "rb", f"s3://{name}")
        assert refused.returncode != 0
        assert "BucketNotEmpty" in refused.stderr, refused.stderr
        ok(s3cli("s3", "rb", f"s3://{name}", "--force"))
        assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    finally:
        delete_bucket_recursive(s3, name)


# --------------------------------------------------------------------------
# cp
# --------------------------------------------------------------------------


def test_cp_small_up_and_down(s3cli, s3, bucket, tmp_path):
    data = b"id,name\n1,alpha\n2,beta\n" * 50
    src = tmp_path / "small file.csv"
    src.write_bytes(data)
    ok(
        s3cli(
            "s3", "cp", str(src), f"s3://{bucket}/in/small file.csv",
            "--content-type", "text/csv", "--metadata", "origin=cli",
            "--no-progress", "--only-show-errors",
        )
    )
    got = s3.get_object(Bucket=bucket, Key="in/small file.csv")
    assert got["Body"].read() == data
    assert got["ETag"] == quoted_md5(data)
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"origin": "cli"}

    dst = tmp_path / "down" / "copy.csv"
    out = ok(s3cli("s3", "cp", f"s3://{bucket}/in/small file.csv", str(dst), "--no-progress"))
    # The CLI prints the local path relative to its working directory.
    assert out.startswith(f"download: s3://{bucket}/in/small file.csv to "), out
    assert out.strip().endswith("down/copy.csv"), out
    assert dst.read_bytes() == data


def test_cp_stdin_and_stdout(s3cli, s3, bucket, lakebox_endpoint):
    from conftest import aws_cli_env, aws_cli_path

    data = bytes(range(256)) * 100
    env = aws_cli_env(lakebox_endpoint)
    up = subprocess.run(
        [str(aws_cli_path()), "s3", "cp", "-", f"s3://{bucket}/streamed.bin", "--only-show-errors"],
        input=data, env=env, capture_output=True, timeout=120,
    )
    assert up.returncode == 0, up.stderr
    assert s3.get_object(Bucket=bucket, Key="streamed.bin")["Body"].read() == data
    down = subprocess.run(
        [str(aws_cli_path()), "s3", "cp", f"s3://{bucket}/streamed.bin", "-"],
        env=env, capture_output=True, timeout=120,
    )
    assert down.returncode == 0, down.stderr
    assert down.stdout == data


@pytest.mark.slow
def test_cp_30_mib_multipart(s3cli, s3, bucket, tmp_path):
    """The CLI switches to multipart at 8 MiB and uploads 8 MiB parts (its defaults)."""
    data = os.urandom(30 * MiB)
    src = tmp_path / "thirty.bin"
    src.write_bytes(data)
    ok(s3cli("s3", "cp", str(src), f"s3://{bucket}/big/thirty.bin", "--no-progress", "--only-show-errors"))

    expected = multipart_etag(data, 8 * MiB)
    assert expected.endswith('-4"')
    head = s3.head_object(Bucket=bucket, Key="big/thirty.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == expected
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    dst = tmp_path / "thirty.down"
    ok(s3cli("s3", "cp", f"s3://{bucket}/big/thirty.bin", str(dst), "--no-progress", "--only-show-errors"))
    assert dst.stat().st_size == len(data)
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_cp_and_mv_between_buckets(s3cli, s3, bucket):
    other = unique_bucket_name("cli")
    s3.create_bucket(Bucket=other)
    try:
        s3.put_object(Bucket=bucket, Key="src/a.txt", Body=b"alpha", ContentType="text/plain")
        ok(s3cli("s3", "cp", f"s3://{bucket}/src/a.txt", f"s3://{other}/copied.txt", "--only-show-errors"))
        got = s3.get_object(Bucket=other, Key="copied.txt")
        assert got["Body"].read() == b"alpha"
        assert got["ContentType"] == "text/plain"

        ok(s3cli("s3", "mv", f"s3://{bucket}/src/a.txt", f"s3://{bucket}/dst/a.txt", "--only-show-errors"))
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == ["dst/a.txt"]
    finally:
        delete_bucket_recursive(s3, other)


def test_cp_missing_object_fails(s3cli, bucket, tmp_path):
    proc = s3cli("s3", "cp", f"s3://{bucket}/nope.txt", str(tmp_path / "x"), "--only-show-errors")
    assert proc.returncode != 0
    assert "404" in proc.stderr or "Not Found" in proc.stderr, proc.stderr
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------
# ls
# --------------------------------------------------------------------------


def test_ls_and_recursive(s3cli, s3, bucket):
    objects = {
        "a.txt": b"a",
        "dir/b.txt": b"bb",
        "dir/sub/c.txt": b"ccc",
        "year=2024/month=03/part-0.parquet": b"PAR1" * 10,
        "with space/d e.txt": b"dddd",
    }
    for k, v in objects.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)

    prefixes, files = ls_entries(ok(s3cli("s3", "ls", f"s3://{bucket}/")))
    assert prefixes == ["dir/", "with space/", "year=2024/"]
    assert files == {"a.txt": 1}

    prefixes, files = ls_entries(ok(s3cli("s3", "ls", f"s3://{bucket}/dir/")))
    assert prefixes == ["sub/"]
    assert files == {"b.txt": 2}

    _, files = ls_entries(ok(s3cli("s3", "ls", f"s3://{bucket}/", "--recursive")))
    assert files == {k: len(v) for k, v in objects.items()}

    summary = ok(s3cli("s3", "ls", f"s3://{bucket}/", "--recursive", "--summarize"))
    assert re.search(rf"Total Objects: {len(objects)}\b", summary), summary
    assert re.search(rf"Total Size: {sum(map(len, objects.values()))}\b", summary), summary


def test_ls_paginates(s3cli, s3, bucket):
    """The CLI lists in pages (here 50 keys each) and follows continuation tokens."""
    from concurrent.futures import ThreadPoolExecutor

    keys = [f"k/{i}" for i in range(120)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))
    _, files = ls_entries(ok(s3cli("s3", "ls", f"s3://{bucket}/", "--recursive", "--page-size", "50")))
    assert sorted(files) == sorted(keys)


# --------------------------------------------------------------------------
# sync / rm
# --------------------------------------------------------------------------


def make_tree(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for i in range(20):
        depth = ["", "a/", "a/b/", "year=2024/month=0{}/".format(i % 3 + 1)][i % 4]
        name = f"{depth}file-{i}.bin"
        files[name] = os.urandom(1 + i * 997)  # empty files: see test_cp_recursive_with_empty_files
    files["sp ace/ünï cødé.txt"] = "unicode ✓\n".encode()
    # sync compares local mtimes with S3's second-precision LastModified; files
    # written in the same second as their upload would look newer than it.
    past = time.time() - 60
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (past, past))
    return files


def test_sync_round_trip(s3cli, s3, bucket, tmp_path):
    src = tmp_path / "src"
    files = make_tree(src)
    assert len(files) == 21
    ok(s3cli("s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress", "--only-show-errors"))

    listed = {
        o["Key"]: (o["Size"], o["ETag"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }
    assert listed == {f"tree/{rel}": (len(data), quoted_md5(data)) for rel, data in files.items()}

    # Nothing changed locally: a second sync transfers nothing.
    again = ok(s3cli("s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress"))
    assert again.strip() == "", again

    # One file grows: only that one is uploaded.  (Its mtime is set in the
    # past so that the next sync, which compares it with the second-precision
    # LastModified, does not see it as newer again.)
    changed = src / "a" / "file-1.bin"
    changed.write_bytes(b"changed, and a different size")
    past = changed.stat().st_mtime - 60
    os.utime(changed, (past, past))
    files["a/file-1.bin"] = b"changed, and a different size"
    out = ok(s3cli("s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress"))
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("upload: ") and lines[0].endswith(f"a/file-1.bin to s3://{bucket}/tree/a/file-1.bin")

    dst = tmp_path / "dst"
    ok(s3cli("s3", "sync", f"s3://{bucket}/tree/", str(dst), "--no-progress", "--only-show-errors"))
    assert read_tree(dst) == read_tree(src) == files

    # --delete removes remote keys that no longer exist locally.
    (src / "a" / "b" / "file-2.bin").unlink()
    out = ok(s3cli("s3", "sync", str(src), f"s3://{bucket}/tree/", "--delete", "--no-progress"))
    assert out.strip() == f"delete: s3://{bucket}/tree/a/b/file-2.bin", out
    assert "tree/a/b/file-2.bin" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]


def test_cp_recursive_with_empty_files(s3, bucket, tmp_path, lakebox_endpoint):
    """Empty files next to non-empty ones (``__init__.py``, ``_SUCCESS`` markers).

    The CLI sends every PutObject with ``Expect: 100-continue``, also for
    empty bodies.  One transfer thread makes the CLI reuse one connection for
    all uploads, in file-name order: empty, non-empty, empty, non-empty.
    """
    from conftest import aws_cli_env, aws_cli_path

    src = tmp_path / "src"
    src.mkdir()
    files = {
        "0-_SUCCESS": b"",
        "1-part-00000.csv": b"a,b\n1,2\n" * 100,
        "2-__init__.py": b"",
        "3-part-00001.csv": b"a,b\n3,4\n" * 200,
    }
    for name, data in files.items():
        (src / name).write_bytes(data)
    config = tmp_path / "aws-config"
    config.write_text("[default]\ns3 =\n  max_concurrent_requests = 1\n")
    env = aws_cli_env(lakebox_endpoint)
    env["AWS_CONFIG_FILE"] = str(config)
    proc = subprocess.run(
        [
            str(aws_cli_path()), "s3", "cp", str(src), f"s3://{bucket}/out/", "--recursive",
            "--only-show-errors", "--cli-read-timeout", "10",
        ],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    listed = {o["Key"]: (o["Size"], o["ETag"]) for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {f"out/{n}": (len(d), quoted_md5(d)) for n, d in files.items()}


def test_rm_recursive(s3cli, s3, bucket):
    keys = [f"drop/{i}/x.txt" for i in range(15)] + ["keep/y.txt", "drop-not-a-prefix-match.txt"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    ok(s3cli("s3", "rm", f"s3://{bucket}/drop/", "--recursive", "--only-show-errors"))
    left = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert left == ["drop-not-a-prefix-match.txt", "keep/y.txt"]
    out = ok(s3cli("s3", "rm", f"s3://{bucket}/keep/y.txt"))
    assert out.strip() == f"delete: s3://{bucket}/keep/y.txt"


# --------------------------------------------------------------------------
# s3api
# --------------------------------------------------------------------------


def test_s3api_put_head_get_object(aws_cli, s3, bucket, tmp_path):
    data = b'{"event": "click"}\n' * 20
    body = tmp_path / "events.json"
    body.write_bytes(data)
    put = aws_cli(
        "s3api", "put-object", "--bucket", bucket, "--key", "raw/events.json", "--body", str(body),
        "--content-type", "application/json", "--metadata", "source=cli,run=7",
    )
    assert not isinstance(put, subprocess.CompletedProcess), put.stderr
    assert put["ETag"] == quoted_md5(data)

    head = aws_cli("s3api", "head-object", "--bucket", bucket, "--key", "raw/events.json")
    assert not isinstance(head, subprocess.CompletedProcess), head.stderr
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == quoted_md5(data)
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"source": "cli", "run": "7"}

    out = tmp_path / "got.json"
    got = aws_cli(
        "s3api", "get-object", "--bucket", bucket, "--key", "raw/events.json", "--range", "bytes=0-17", str(out)
    )
    assert not isinstance(got, subprocess.CompletedProcess), got.stderr
    assert got["ContentRange"] == f"bytes 0-17/{len(data)}"
    assert out.read_bytes() == data[:18]

    missing = aws_cli("s3api", "head-object", "--bucket", bucket, "--key", "raw/missing.json")
    assert isinstance(missing, subprocess.CompletedProcess) and missing.returncode != 0
    assert "404" in missing.stderr, missing.stderr
