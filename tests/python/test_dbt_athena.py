"""dbt-athena against Lakebox, unmodified, configured only with AWS_ENDPOINT_URL.

The project in ``dbt_project/`` has a seed (uploaded to S3 and loaded by CTAS from an OpenCSV
table), a table model, an incremental model of each Hive strategy (``append`` and
``insert_overwrite`` partitioned by date), a view and schema tests. ``dbt seed && dbt run &&
dbt test`` runs twice, as a CI job does on every push. Every expected value is computed here
from ``seeds/rides.csv`` with the csv module, not by Lakebox.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import boto3
import pytest

from conftest import aws_cli_env, unique_name

PROJECT = Path(__file__).parent / "dbt_project"


def dbt(project: Path, env: dict[str, str], *args: str) -> str:
    cmd = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(project),
           "--profiles-dir", str(project)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def seed_rows() -> list[dict[str, str]]:
    with open(PROJECT / "seeds" / "rides.csv", newline="") as f:
        return list(csv.DictReader(f))


def trino_round2(x: float) -> float:
    """Trino's round(double, 2): half away from zero."""
    return math.copysign(math.floor(abs(x) * 100 + 0.5) / 100, x)


@pytest.fixture
def project(tmp_path, lakebox_endpoint):
    bucket = unique_name("dbt").replace("_", "-")
    schema = unique_name("analytics")
    env = aws_cli_env(lakebox_endpoint)
    s3 = boto3.client("s3", endpoint_url=lakebox_endpoint, aws_access_key_id="test",
                      aws_secret_access_key="test", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    work = tmp_path / "project"
    shutil.copytree(PROJECT, work)
    # The profile a team would use against AWS, with a short poll interval and no retries so a
    # failing statement fails the test at once.
    (work / "profiles.yml").write_text(
        "lakebox:\n"
        "  target: dev\n"
        "  outputs:\n"
        "    dev:\n"
        "      type: athena\n"
        f"      s3_staging_dir: s3://{bucket}/staging/\n"
        "      region_name: us-east-1\n"
        "      database: awsdatacatalog\n"
        f"      schema: {schema}\n"
        "      threads: 2\n"
        "      poll_interval: 0.1\n"
        "      num_retries: 0\n"
    )
    return {"dir": work, "env": env, "bucket": bucket, "schema": schema, "s3": s3}


def query(athena, sql: str, schema: str, bucket: str) -> list[tuple]:
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": schema},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/checks/"})["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1:]
    return [tuple(c.get("VarCharValue") for c in r["Data"]) for r in rows]


def test_seed_run_test_twice(project, athena, glue):
    rows = seed_rows()
    for _ in range(2):
        dbt(project["dir"], project["env"], "seed")
        dbt(project["dir"], project["env"], "run")
        out = dbt(project["dir"], project["env"], "test")
        assert "PASS=8" in out and "ERROR=0" in out, out

    schema, bucket = project["schema"], project["bucket"]
    q = lambda sql: query(athena, sql, schema, bucket)  # noqa: E731

    # The seed: typed by dbt from the CSV (int, varchar, date, double), empty notes are NULL.
    seed = q("SELECT ride_id, vendor, ride_date, fare, passengers, note FROM rides ORDER BY ride_id")
    assert seed == [(r["ride_id"], r["vendor"], r["ride_date"], str(float(r["fare"])), r["passengers"],
                     r["note"] or None) for r in rows]
    types = {c["Name"]: c["Type"] for c in glue.get_table(DatabaseName=schema, Name="rides")
             ["Table"]["StorageDescriptor"]["Columns"]}
    assert types == {"ride_id": "int", "vendor": "string", "ride_date": "date", "fare": "double",
                     "passengers": "int", "note": "string"}

    # The table model: rebuilt each run; dbt deleted the first run's files through S3.
    enriched = q("SELECT ride_id, fare_per_passenger, has_note FROM rides_enriched ORDER BY ride_id")
    assert enriched == [(r["ride_id"], str(trino_round2(float(r["fare"]) / int(r["passengers"]))),
                         str(bool(r["note"])).lower()) for r in rows]
    table = glue.get_table(DatabaseName=schema, Name="rides_enriched")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["classification"] == "parquet"
    location = table["StorageDescriptor"]["Location"]
    prefix = f"staging/tables/{schema}/rides_enriched/"
    listed = project["s3"].list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    folders = {o["Key"][len(prefix):].split("/")[0] for o in listed}
    assert folders == {location.rstrip("/").rsplit("/", 1)[1]}, folders

    # Incremental, append: one copy of the seed per run.
    log = q("SELECT count(*), count(DISTINCT run_id), count(DISTINCT ride_id) FROM ride_log")
    assert log == [(str(2 * len(rows)), "2", str(len(rows)))]

    # Incremental, insert_overwrite by ride_date: the second run replaced two partitions, so
    # every (vendor, date) is there once with the seed's totals.
    expected = defaultdict(lambda: [0, 0.0])
    for r in rows:
        expected[(r["vendor"], r["ride_date"])][0] += 1
        expected[(r["vendor"], r["ride_date"])][1] += float(r["fare"])
    revenue = q("SELECT vendor, rides, revenue, ride_date FROM daily_revenue ORDER BY ride_date, vendor")
    assert revenue == [(v, str(n), str(total), d) for (v, d), (n, total)
                       in sorted(expected.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
    partitions = glue.get_partitions(DatabaseName=schema, TableName="daily_revenue")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == sorted({r["ride_date"] for r in rows})

    # The view: stored as Athena stores views, versions expired by dbt down to 4 at most.
    view = glue.get_table(DatabaseName=schema, Name="vendor_summary")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert view["Parameters"]["presto_view"] == "true"
    by_vendor = defaultdict(lambda: [0, 0.0])
    for r in rows:
        by_vendor[r["vendor"]][0] += 1
        by_vendor[r["vendor"]][1] += float(r["fare"])
    summary = q("SELECT vendor, rides, revenue FROM vendor_summary ORDER BY vendor")
    assert summary == [(v, str(n), str(t)) for v, (n, t) in sorted(by_vendor.items())]
    versions = glue.get_table_versions(DatabaseName=schema, TableName="vendor_summary")["TableVersions"]
    assert 1 <= len(versions) <= 4
