"""Athena queries from Python: boto3 and PyAthena (cursor, PandasCursor, ArrowCursor, unload mode) against Lakebox, with
every expected value computed by DuckDB over the same fixture files written to local disk
(`lakebox fixtures taxi --to file://...` writes byte-identical files for the same seed).

Clients are configured only with an endpoint URL (AWS_ENDPOINT_URL), as a user would."""

from __future__ import annotations

import math
import subprocess
import time

import duckdb
import pytest
from pyathena import connect
from pyathena.pandas.cursor import PandasCursor

from conftest import lakebox_bin, unique_name

ROWS = 20_000
SEED = "11"


def fixtures(endpoint: str, *args: str) -> None:
    proc = subprocess.run(
        [lakebox_bin(), "fixtures", *args, "--endpoint", endpoint], capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def taxi(lakebox_endpoint, tmp_path_factory):
    """A database with `trips` (Parquet, year/month partitions), `trips_csv` (gzip CSV) and
    `zones`, in Lakebox and as local files for DuckDB."""
    import boto3

    local = tmp_path_factory.mktemp("taxi")
    db = unique_name("taxi")
    bucket = unique_name("lake").replace("_", "-")
    s3 = boto3.client("s3", endpoint_url=lakebox_endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=f"{bucket}-results")
    common = ["--rows", str(ROWS), "--seed", SEED, "--months", "3", "--rows-per-file", "4000"]
    fixtures(lakebox_endpoint, "taxi", *common, "--to", f"s3://{bucket}/trips", "--register", f"{db}.trips")
    fixtures(lakebox_endpoint, "taxi", *common, "--to", f"file://{local}/trips")
    fixtures(lakebox_endpoint, "taxi", *common, "--format", "csv", "--gzip",
             "--to", f"s3://{bucket}/trips_csv", "--register", f"{db}.trips_csv")
    fixtures(lakebox_endpoint, "zones", "--to", f"s3://{bucket}/zones", "--register", f"{db}.zones")
    fixtures(lakebox_endpoint, "zones", "--to", f"file://{local}/zones")
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW trips AS SELECT * FROM read_parquet('{local}/trips/**/*.parquet', "
        "hive_partitioning = true, hive_types_autocast = false)"
    )
    con.execute(f"CREATE VIEW zones AS SELECT * FROM read_csv('{local}/zones/taxi_zone_lookup.csv', header = true)")
    return {"db": db, "results": f"s3://{bucket}-results/", "duck": con, "bucket": bucket}


@pytest.fixture
def cursor(taxi, lakebox_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", lakebox_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    conn = connect(s3_staging_dir=taxi["results"], region_name="us-east-1", schema_name=taxi["db"], poll_interval=0.05)
    return conn.cursor()


def duck(taxi, sql: str) -> list[tuple]:
    return taxi["duck"].execute(sql).fetchall()


def approx_rows(got, want, rel=1e-9):
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert len(g) == len(w)
        for a, b in zip(g, w):
            if isinstance(b, float) or isinstance(a, float):
                assert a == pytest.approx(b, rel=rel, abs=1e-9), (g, w)
            else:
                assert a == b, (g, w)


def test_monthly_revenue_matches_duckdb(taxi, cursor):
    sql = """SELECT year, month, count(*) AS trips, sum(total_amount) AS revenue, avg(trip_distance) AS distance
             FROM trips GROUP BY year, month ORDER BY year, month"""
    cursor.execute(sql)
    got = cursor.fetchall()
    assert [d[0] for d in cursor.description] == ["year", "month", "trips", "revenue", "distance"]
    assert [d[1] for d in cursor.description] == ["varchar", "varchar", "bigint", "double", "double"]
    approx_rows(got, duck(taxi, sql))
    assert sum(r[2] for r in got) == ROWS


def test_tips_by_hour_and_payment_type(taxi, cursor):
    cursor.execute("""SELECT hour(tpep_pickup_datetime) AS h, payment_type,
                             sum(tip_amount) / sum(fare_amount) AS tip_share
                      FROM trips WHERE fare_amount > 0 GROUP BY 1, 2 ORDER BY 1, 2""")
    want = duck(taxi, """SELECT hour(tpep_pickup_datetime) AS h, payment_type,
                                sum(tip_amount) / sum(fare_amount) FROM trips WHERE fare_amount > 0
                         GROUP BY 1, 2 ORDER BY 1, 2""")
    approx_rows(cursor.fetchall(), want)


def test_top_pickup_zones_join_the_lookup(taxi, cursor):
    sql = """SELECT z.borough, z.zone, count(*) AS trips
             FROM trips t JOIN zones z ON t.pulocationid = z.locationid
             GROUP BY z.borough, z.zone ORDER BY trips DESC, z.zone LIMIT 10"""
    cursor.execute(sql)
    want = duck(taxi, sql)
    approx_rows(cursor.fetchall(), want)


def test_distinct_counts_and_percentiles(taxi, cursor):
    cursor.execute("""SELECT count(DISTINCT pulocationid), approx_distinct(dolocationid),
                             approx_percentile(trip_distance, 0.5), approx_percentile(total_amount, 0.9)
                      FROM trips""")
    (distinct, approx, median, p90), = cursor.fetchall()
    (want_distinct, want_approx, want_median, want_p90), = duck(
        taxi, """SELECT count(DISTINCT PULocationID), count(DISTINCT DOLocationID),
                        quantile_cont(trip_distance, 0.5), quantile_cont(total_amount, 0.9) FROM trips""")
    assert distinct == want_distinct
    # approx_distinct: Trino's standard error is 2.3 %; allow three of them.
    assert abs(approx - want_approx) <= 0.07 * want_approx
    assert median == pytest.approx(want_median, rel=0.02)
    assert p90 == pytest.approx(want_p90, rel=0.02)


def floats(value) -> list[float]:
    """An array column as PyAthena gives it (the text `[1.5, 2.0]`), as floats."""
    if isinstance(value, str):
        return [float(v) for v in value.strip("[]").split(",")]
    return [float(v) for v in value]


def test_percentiles_per_group_stay_within_a_bucket_of_the_exact_ones(taxi, cursor):
    """approx_percentile's documented bound (1/128 of the value: docs/COMPATIBILITY.md) per group,
    through the partial states of several files, for an array of percentiles and with weights
    (a weight counts as that many copies: DuckDB repeats the rows instead)."""
    cursor.execute("""SELECT payment_type, approx_percentile(total_amount, ARRAY[0.1, 0.5, 0.99]),
                             approx_percentile(trip_distance, passenger_count, 0.5), count(*)
                      FROM trips WHERE passenger_count > 0 GROUP BY payment_type ORDER BY payment_type""")
    got = cursor.fetchall()
    want = duck(taxi, """SELECT payment_type, quantile_cont(total_amount, [0.1, 0.5, 0.99]), count(*)
                         FROM trips WHERE passenger_count > 0 GROUP BY payment_type ORDER BY payment_type""")
    weighted = dict(duck(taxi, """SELECT payment_type, quantile_cont(trip_distance, 0.5) FROM (
                                      SELECT payment_type, trip_distance, unnest(range(passenger_count))
                                      FROM trips WHERE passenger_count > 0) GROUP BY payment_type"""))
    assert [(g[0], g[3]) for g in got] == [(w[0], w[2]) for w in want]
    # Groups big enough to be past the exact first 256 values and into the histograms.
    assert max(g[3] for g in got) > 10_000
    for (payment_type, percentiles, median, _), (_, exact, _) in zip(got, want):
        for a, b in zip(floats(percentiles), exact, strict=True):
            assert abs(a - b) <= abs(b) / 128, (payment_type, a, b)
        assert abs(median - weighted[payment_type]) <= abs(weighted[payment_type]) / 128


def test_rank_of_zones_per_month(taxi, cursor):
    sql = """SELECT month, pulocationid, trips, rnk FROM (
               SELECT month, pulocationid, count(*) AS trips,
                      rank() OVER (PARTITION BY month ORDER BY count(*) DESC) AS rnk
               FROM trips GROUP BY month, pulocationid) ranked
             WHERE rnk <= 3 ORDER BY month, rnk, pulocationid"""
    cursor.execute(sql)
    approx_rows(cursor.fetchall(), duck(taxi, sql))


def test_trips_per_day_with_dates(taxi, cursor):
    sql = """SELECT date(tpep_pickup_datetime) AS d, count(*) FROM trips
             WHERE year = '2024' AND month = '02' GROUP BY 1 ORDER BY 1"""
    cursor.execute(sql)
    got = cursor.fetchall()
    assert cursor.description[0][1] == "date"
    approx_rows(got, duck(taxi, sql.replace("date(tpep_pickup_datetime)", "CAST(tpep_pickup_datetime AS DATE)")))
    assert len(got) == 29, "February 2024 has 29 days"


def test_gzip_csv_table_reads_the_same_trips(taxi, cursor):
    cursor.execute("SELECT count(*), sum(fare_amount), count(passenger_count) FROM trips_csv")
    want = duck(taxi, "SELECT count(*), sum(fare_amount), count(passenger_count) FROM trips")
    approx_rows(cursor.fetchall(), want)


def test_pandas_cursor_reads_the_result_file(taxi, lakebox_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", lakebox_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    conn = connect(s3_staging_dir=taxi["results"], region_name="us-east-1", schema_name=taxi["db"],
                   cursor_class=PandasCursor, poll_interval=0.05)
    df = conn.cursor().execute(
        "SELECT payment_type, count(*) AS n, max(tpep_pickup_datetime) AS last_pickup FROM trips "
        "GROUP BY payment_type ORDER BY payment_type").as_pandas()
    want = duck(taxi, "SELECT payment_type, count(*), max(tpep_pickup_datetime) FROM trips GROUP BY 1 ORDER BY 1")
    assert list(df.columns) == ["payment_type", "n", "last_pickup"]
    assert [int(v) for v in df["payment_type"]] == [w[0] for w in want]
    assert [int(v) for v in df["n"]] == [w[1] for w in want]
    # Athena timestamps have millisecond precision.
    assert [v.to_pydatetime().replace(microsecond=v.microsecond // 1000 * 1000) for v in df["last_pickup"]] == [
        w[2].replace(microsecond=w[2].microsecond // 1000 * 1000) for w in want]



def pyathena_env(monkeypatch, endpoint: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def test_pyathena_default_poll_finds_a_short_query_done(taxi, lakebox_endpoint, monkeypatch):
    """PyAthena sleeps its poll interval (one second by default) each time GetQueryExecution finds
    the query still running. StartQueryExecution answers once a short query is done, so PyAthena
    with its defaults polls once and never sleeps."""
    pyathena_env(monkeypatch, lakebox_endpoint)
    conn = connect(s3_staging_dir=taxi["results"], region_name="us-east-1", schema_name=taxi["db"])
    polls = []
    conn.client.meta.events.register("before-call.athena.GetQueryExecution", lambda **_: polls.append(1))
    cur = conn.cursor()
    # A small query (a debug build on a loaded CI machine still ends it well within the 1 s bound).
    cur.execute("SELECT count(*) FROM trips WHERE month = '02'")
    want = duck(taxi, "SELECT count(*) FROM trips WHERE month = '02'")
    assert cur.fetchall() == want
    assert cur.state == "SUCCEEDED"
    assert len(polls) == 1, f"{len(polls)} polls: the first found the query still running"


REVENUE = ("SELECT payment_type, count(*) AS n, sum(total_amount) AS revenue, max(tpep_pickup_datetime) AS last_pickup "
           "FROM trips GROUP BY payment_type ORDER BY payment_type")
DUCK_REVENUE = ("SELECT payment_type, count(*), sum(total_amount), max(tpep_pickup_datetime) FROM trips "
                "GROUP BY 1 ORDER BY 1")


def test_pandas_cursor_unload_reads_the_parquet_files(taxi, lakebox_endpoint, monkeypatch):
    """PyAthena's unload mode wraps the query in UNLOAD ... WITH (format = 'PARQUET') and reads the
    Parquet files the manifest lists, keeping the types (no CSV round trip)."""
    pyathena_env(monkeypatch, lakebox_endpoint)
    conn = connect(s3_staging_dir=taxi["results"], region_name="us-east-1", schema_name=taxi["db"],
                   cursor_class=PandasCursor, cursor_kwargs={"unload": True}, poll_interval=0.05)
    cursor = conn.cursor()
    df = cursor.execute(REVENUE).as_pandas()
    want = duck(taxi, DUCK_REVENUE)
    df = df.sort_values("payment_type").reset_index(drop=True)
    assert list(df.columns) == ["payment_type", "n", "revenue", "last_pickup"]
    assert [int(v) for v in df["payment_type"]] == [w[0] for w in want]
    assert [int(v) for v in df["n"]] == [w[1] for w in want]
    assert [float(v) for v in df["revenue"]] == pytest.approx([w[2] for w in want], rel=1e-12)
    # The files are Parquet under <staging>/unload/<id>/, listed in the manifest.
    import boto3

    s3 = boto3.client("s3", endpoint_url=lakebox_endpoint, region_name="us-east-1")
    manifest = cursor.data_manifest_location
    bucket, key = manifest.removeprefix("s3://").split("/", 1)
    files = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().split()
    assert files and all(f.endswith(".parquet") for f in files), files


def arrow_endpoint(monkeypatch, endpoint: str) -> None:
    """pyarrow's S3FileSystem ignores AWS_ENDPOINT_URL (apache/arrow#49643, open), and PyAthena's
    ArrowCursor builds one with no way to pass an endpoint: against any S3 other than AWS's it
    needs `endpoint_override`. This gives it one; everything else is PyAthena's own code."""
    from pyarrow import fs

    original = fs.S3FileSystem

    def with_endpoint(*args, **kwargs):
        kwargs.setdefault("endpoint_override", endpoint)
        return original(*args, **kwargs)

    monkeypatch.setattr(fs, "S3FileSystem", with_endpoint)


@pytest.mark.parametrize("unload", [False, True])
def test_arrow_cursor_reads_results_and_unloads(taxi, lakebox_endpoint, monkeypatch, unload):
    from pyathena.arrow.cursor import ArrowCursor

    pyathena_env(monkeypatch, lakebox_endpoint)
    arrow_endpoint(monkeypatch, lakebox_endpoint)
    conn = connect(s3_staging_dir=taxi["results"], region_name="us-east-1", schema_name=taxi["db"],
                   cursor_class=ArrowCursor, cursor_kwargs={"unload": unload}, poll_interval=0.05)
    table = conn.cursor().execute(REVENUE).as_arrow().sort_by("payment_type")
    want = duck(taxi, DUCK_REVENUE)
    assert table.column_names == ["payment_type", "n", "revenue", "last_pickup"]
    assert table.column("payment_type").to_pylist() == [w[0] for w in want]
    assert table.column("n").to_pylist() == [w[1] for w in want]
    assert table.column("revenue").to_pylist() == pytest.approx([w[2] for w in want], rel=1e-12)
    # Typed from ColumnInfo (CSV) or from the Parquet files (unload): the same either way.
    assert [str(t.type) for t in table.schema] == ["int64", "int64", "double", "timestamp[ms]"]

def run(athena, taxi, sql: str) -> dict:
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": taxi["db"]},
        ResultConfiguration={"OutputLocation": taxi["results"]})["QueryExecutionId"]
    for _ in range(2000):
        e = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if e["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return e
        time.sleep(0.02)
    raise AssertionError(f"{qid} did not finish")


def test_data_scanned_shows_partition_pruning(taxi, athena):
    full = run(athena, taxi, "SELECT sum(fare_amount) FROM trips")
    one = run(athena, taxi, "SELECT sum(fare_amount) FROM trips WHERE month = '02'")
    assert full["Status"]["State"] == one["Status"]["State"] == "SUCCEEDED"
    full_bytes = full["Statistics"]["DataScannedInBytes"]
    one_bytes = one["Statistics"]["DataScannedInBytes"]
    assert 0 < one_bytes < full_bytes / 2
    assert full["StatementType"] == "DML" and full["SubstatementType"] == "SELECT"
    for key in ("EngineExecutionTimeInMillis", "TotalExecutionTimeInMillis", "QueryQueueTimeInMillis",
                "QueryPlanningTimeInMillis"):
        assert full["Statistics"][key] >= 0
    assert full["ResultConfiguration"]["OutputLocation"] == f"{taxi['results']}{full['QueryExecutionId']}.csv"


def test_failures_carry_athena_errors(taxi, athena):
    e = run(athena, taxi, "SELECT * FROM no_such_table")
    assert e["Status"]["State"] == "FAILED"
    assert e["Status"]["StateChangeReason"] == (
        f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{taxi['db']}.no_such_table' does not exist")
    assert e["Status"]["AthenaError"] == {
        "ErrorCategory": 2, "ErrorType": 1301, "Retryable": False,
        "ErrorMessage": e["Status"]["StateChangeReason"]}
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as err:
        athena.start_query_execution(QueryString="SELECT * FROM", ResultConfiguration={"OutputLocation": taxi["results"]})
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert err.value.response["AthenaErrorCode"] == "MALFORMED_QUERY"


def test_results_via_boto3_pages_and_nulls(taxi, athena):
    e = run(athena, taxi, "SELECT passenger_count FROM trips WHERE passenger_count IS NULL LIMIT 3")
    res = athena.get_query_results(QueryExecutionId=e["QueryExecutionId"])
    rows = res["ResultSet"]["Rows"]
    assert rows[0] == {"Data": [{"VarCharValue": "passenger_count"}]}
    assert rows[1:] == [{"Data": [{}]}] * 3
    info = res["ResultSet"]["ResultSetMetadata"]["ColumnInfo"][0]
    assert info["Type"] == "bigint" and info["Precision"] == 19 and info["Nullable"] == "UNKNOWN"
    assert math.isfinite(res["UpdateCount"])


def test_executions_and_results_survive_kill_9(start_lakebox, tmp_path):
    from conftest import make_athena_client, make_s3_client

    data_dir = tmp_path / "data"
    first = start_lakebox(data_dir)
    make_s3_client(first.endpoint).create_bucket(Bucket="results")
    athena = make_athena_client(first.endpoint)
    qid = athena.start_query_execution(
        QueryString="SELECT x, x * x AS sq FROM (VALUES (1), (2), (3)) AS t(x) ORDER BY x",
        ResultConfiguration={"OutputLocation": "s3://results/"})["QueryExecutionId"]
    for _ in range(500):
        if athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "SUCCEEDED":
            break
        time.sleep(0.02)
    first.kill()
    second = start_lakebox(data_dir)
    athena = make_athena_client(second.endpoint)
    e = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    assert e["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert [[d["VarCharValue"] for d in r["Data"]] for r in rows] == [["x", "sq"], ["1", "1"], ["2", "4"], ["3", "9"]]
    assert athena.list_query_executions()["QueryExecutionIds"] == [qid]
