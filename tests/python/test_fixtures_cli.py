"""`lakebox fixtures taxi`: generates trips, uploads them through the S3 API and registers the Glue
table and partitions, against a running Lakebox reached only by its endpoint URL."""

import subprocess

from conftest import lakebox_bin, unique_name


def run_fixtures(endpoint: str, *args: str) -> str:
    proc = subprocess.run(
        [lakebox_bin(), "fixtures", "taxi", "--endpoint", endpoint, *args],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def objects(s3, bucket: str, prefix: str) -> dict[str, str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"][len(prefix):]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def test_hourly_csv_fixture_is_uploaded_and_registered(lakebox_endpoint, s3, glue, bucket):
    db = unique_name("fx")
    out = run_fixtures(
        lakebox_endpoint, "--rows", "3000", "--format", "csv", "--layout", "hourly", "--months", "1",
        "--start", "2024-02", "--to", f"s3://{bucket}/raw", "--register", f"{db}.trips",
    )
    assert "wrote 3000 rows" in out
    files = objects(s3, bucket, "raw/")
    rows = 0
    folders = set()
    for key in files:
        year, month, day, hour, name = key.split("/")
        assert (year, month) == ("2024", "02") and name.endswith(".csv")
        folders.add((year, month, day, hour))
        body = s3.get_object(Bucket=bucket, Key=f"raw/{key}")["Body"].read().decode()
        lines = body.splitlines()
        assert lines[0].startswith("VendorID,tpep_pickup_datetime")
        for line in lines[1:]:
            assert line.split(",")[1].startswith(f"{year}-{month}-{day} {hour}:"), key
        rows += len(lines) - 1
    assert rows == 3000

    table = glue.get_table(DatabaseName=db, Name="trips")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day", "hour"]
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert table["StorageDescriptor"]["Columns"][0] == {"Name": "vendorid", "Type": "int"}
    parts = glue.get_paginator("get_partitions").paginate(DatabaseName=db, TableName="trips")
    registered = {tuple(p["Values"]) for page in parts for p in page["Partitions"]}
    assert registered == folders


def test_the_same_seed_writes_byte_identical_objects(lakebox_endpoint, s3, bucket):
    for prefix, seed in [("a", "7"), ("b", "7"), ("c", "8")]:
        run_fixtures(lakebox_endpoint, "--rows", "2000", "--seed", seed, "--to", f"s3://{bucket}/{prefix}")
    a, b, c = (objects(s3, bucket, f"{p}/") for p in "abc")
    assert a and a == b, "same seed, same keys and ETags (MD5 of the bytes)"
    assert a.keys() == c.keys() and a != c, "another seed, other bytes"
