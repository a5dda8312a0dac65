#!/usr/bin/env python3
"""Taxi report queries through Lakebox's Athena API against DuckDB on the same files.

For each size (default 1M and 10M trips) the script starts a fresh Lakebox, loads the taxi fixture
(Parquet, Hive year=/month= partitions) and the zone lookup through `lakebox fixtures` (S3 and Glue
APIs), writes the byte-identical files to a local work dir for DuckDB, then runs each report query
through boto3 (StartQueryExecution, GetQueryExecution polled every 2 ms, GetQueryResults) and through
DuckDB's Python API over the local files, in the same run, one engine after the other. Every
Lakebox answer is checked against DuckDB's; a mismatch is flagged.

    ~/.cache/lakebox/venv/bin/python bench/athena_vs_duckdb.py --out /tmp/athena_vs_duckdb.md
    ~/.cache/lakebox/venv/bin/python bench/athena_vs_duckdb.py --quick      # 100k trips
    ~/.cache/lakebox/venv/bin/python bench/athena_vs_duckdb.py --suite functions --rows 1000000

The table gives the median of --repeats runs (after one untimed warm-up run of each query).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common as c  # noqa: E402

try:
    import boto3
    import duckdb
    from botocore.config import Config
except ImportError as e:  # pragma: no cover
    sys.exit(f"needs boto3 and duckdb ({e}); run ./scripts/test --python once to create the venv")

# (name, Athena SQL, DuckDB SQL). Both read the same trips: DuckDB's view renames nothing; its
# identifiers are case-insensitive as Athena's are.
QUERIES = [
    ("count of a month",
     "SELECT count(*) FROM trips WHERE year = '2024' AND month = '02'",
     "SELECT count(*) FROM trips WHERE year = '2024' AND month = '02'"),
    ("revenue by payment type",
     "SELECT payment_type, count(*), round(sum(total_amount), 2) FROM trips GROUP BY payment_type ORDER BY payment_type",
     "SELECT payment_type, count(*), round(sum(total_amount), 2) FROM trips GROUP BY payment_type ORDER BY payment_type"),
    ("tip % by hour",
     "SELECT hour(tpep_pickup_datetime) AS h, 100 * sum(tip_amount) / sum(fare_amount) FROM trips "
     "WHERE payment_type = 1 AND fare_amount > 0 GROUP BY 1 ORDER BY 1",
     "SELECT hour(tpep_pickup_datetime) AS h, 100 * sum(tip_amount) / sum(fare_amount) FROM trips "
     "WHERE payment_type = 1 AND fare_amount > 0 GROUP BY 1 ORDER BY 1"),
    ("top pickup zones (join)",
     "SELECT z.borough, z.zone, count(*) AS n FROM trips t JOIN zones z ON t.pulocationid = z.locationid "
     "GROUP BY z.borough, z.zone ORDER BY n DESC, z.zone LIMIT 10",
     "SELECT z.borough, z.zone, count(*) AS n FROM trips t JOIN zones z ON t.pulocationid = z.locationid "
     "GROUP BY z.borough, z.zone ORDER BY n DESC, z.zone LIMIT 10"),
    ("percentiles",
     "SELECT approx_percentile(trip_distance, 0.5), approx_percentile(total_amount, 0.95) FROM trips",
     "SELECT quantile_cont(trip_distance, 0.5), quantile_cont(total_amount, 0.95) FROM trips"),
    ("distinct counts",
     "SELECT count(DISTINCT pulocationid), count(DISTINCT dolocationid) FROM trips",
     "SELECT count(DISTINCT pulocationid), count(DISTINCT dolocationid) FROM trips"),
    ("trips per day",
     "SELECT date(tpep_pickup_datetime) AS d, count(*) FROM trips GROUP BY 1 ORDER BY 1",
     "SELECT CAST(tpep_pickup_datetime AS DATE) AS d, count(*) FROM trips GROUP BY 1 ORDER BY 1"),
    ("rank of zones per month",
     "SELECT month, pulocationid, n, r FROM (SELECT month, pulocationid, count(*) AS n, "
     "rank() OVER (PARTITION BY month ORDER BY count(*) DESC) AS r FROM trips GROUP BY month, pulocationid) x "
     "WHERE r <= 3 ORDER BY month, r, pulocationid",
     "SELECT month, pulocationid, n, r FROM (SELECT month, pulocationid, count(*) AS n, "
     "rank() OVER (PARTITION BY month ORDER BY count(*) DESC) AS r FROM trips GROUP BY month, pulocationid) x "
     "WHERE r <= 3 ORDER BY month, r, pulocationid"),
    ("needle filter",
     "SELECT count(*), max(total_amount) FROM trips WHERE pulocationid = 132 AND dolocationid = 138 "
     "AND passenger_count = 4",
     "SELECT count(*), max(total_amount) FROM trips WHERE pulocationid = 132 AND dolocationid = 138 "
     "AND passenger_count = 4"),
    ("full-scan aggregate",
     "SELECT count(*), sum(fare_amount), avg(trip_distance), max(tip_amount), min(tpep_pickup_datetime) FROM trips",
     "SELECT count(*), sum(fare_amount), avg(trip_distance), max(tip_amount), min(tpep_pickup_datetime) FROM trips"),
]

# Trino functions (bench --suite functions): each query folds its rows into a small answer that
# both engines must agree on. DuckDB spellings: `\\2` groups and the `g` flag for every match,
# `strftime`, `json_extract_string`, `date_sub` (whole units, as Trino's date_diff counts),
# `list_filter`, and a projection `unnest` for Trino's lateral UNNEST.
FUNCTION_QUERIES = [
    ("regexp_replace (every match, $2$1)",
     "SELECT count(DISTINCT regexp_replace(CAST(pulocationid AS varchar), '(\\d)(\\d)', '$2$1')) FROM trips",
     "SELECT count(DISTINCT regexp_replace(CAST(pulocationid AS varchar), '(\\d)(\\d)', '\\2\\1', 'g')) FROM trips"),
    ("regexp_like",
     "SELECT count_if(regexp_like(CAST(tpep_pickup_datetime AS varchar), ':00:')) FROM trips",
     "SELECT count_if(regexp_matches(CAST(tpep_pickup_datetime AS varchar), ':00:')) FROM trips"),
    ("date_format by hour",
     "SELECT date_format(tpep_pickup_datetime, '%Y-%m-%d %H') AS h, count(*) FROM trips GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
     "SELECT strftime(tpep_pickup_datetime, '%Y-%m-%d %H') AS h, count(*) FROM trips GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"),
    ("json_extract_scalar",
     "SELECT sum(CAST(json_extract_scalar('{\"a\": ' || CAST(pulocationid AS varchar) || '}', '$.a') AS bigint)) FROM trips",
     "SELECT sum(CAST(json_extract_string('{\"a\": ' || CAST(pulocationid AS varchar) || '}', '$.a') AS bigint)) FROM trips"),
    ("split_part of a concat",
     "SELECT count(DISTINCT split_part(CAST(pulocationid AS varchar) || '-' || CAST(dolocationid AS varchar), '-', 2)) FROM trips",
     "SELECT count(DISTINCT split_part(CAST(pulocationid AS varchar) || '-' || CAST(dolocationid AS varchar), '-', 2)) FROM trips"),
    ("length of substr",
     "SELECT sum(length(substr(CAST(pulocationid AS varchar), 2))) FROM trips",
     "SELECT sum(length(substr(CAST(pulocationid AS varchar), 2))) FROM trips"),
    ("date_diff in minutes",
     "SELECT sum(date_diff('minute', tpep_pickup_datetime, tpep_dropoff_datetime)) FROM trips",
     "SELECT sum(date_sub('minute', tpep_pickup_datetime, tpep_dropoff_datetime)) FROM trips"),
    ("filter with a lambda",
     "SELECT sum(cardinality(filter(ARRAY[pulocationid, dolocationid], x -> x > 100))) FROM trips",
     "SELECT sum(len(list_filter([pulocationid, dolocationid], lambda x: x > 100))) FROM trips"),
    ("CAST(varchar AS timestamp)",
     "SELECT count_if(CAST(date_format(tpep_pickup_datetime, '%Y-%m-%d %H:%i:%s') AS timestamp) = date_trunc('second', tpep_pickup_datetime)) FROM trips",
     "SELECT count_if(CAST(strftime(tpep_pickup_datetime, '%Y-%m-%d %H:%M:%S') AS TIMESTAMP) = date_trunc('second', tpep_pickup_datetime)) FROM trips"),
    ("CAST(varchar AS date)",
     "SELECT count(DISTINCT CAST(date_format(tpep_pickup_datetime, '%Y-%m-%d') AS date)) FROM trips",
     "SELECT count(DISTINCT CAST(strftime(tpep_pickup_datetime, '%Y-%m-%d') AS DATE)) FROM trips"),
    # Trino rounds a double's shortest digits half up (1.005 -> 1.01); a third of an amount in
    # cents is never a tie, so DuckDB's cast of the binary value agrees.
    ("CAST(double AS decimal)",
     "SELECT sum(CAST(total_amount / 3 AS decimal(12, 2))) FROM trips",
     "SELECT sum(CAST(total_amount / 3 AS DECIMAL(12, 2))) FROM trips"),
    ("CROSS JOIN UNNEST",
     "SELECT x, count(*) FROM trips CROSS JOIN UNNEST(ARRAY[pulocationid, dolocationid]) AS t(x) GROUP BY x ORDER BY 2 DESC, 1 LIMIT 5",
     "SELECT x, count(*) FROM (SELECT unnest([pulocationid, dolocationid]) AS x FROM trips) GROUP BY x ORDER BY 2 DESC, 1 LIMIT 5"),
]

# approx_percentile (bench --suite percentiles) against DuckDB's exact quantile_cont: ungrouped, by
# zone (265 groups) and by day (91), an array of percentiles, and weighted (DuckDB repeats rows).
PERCENTILE_QUERIES = [
    ("percentiles (two columns)",
     "SELECT approx_percentile(trip_distance, 0.5), approx_percentile(total_amount, 0.95) FROM trips",
     "SELECT quantile_cont(trip_distance, 0.5), quantile_cont(total_amount, 0.95) FROM trips"),
    ("percentiles by pickup zone",
     "SELECT pulocationid, approx_percentile(total_amount, 0.5), approx_percentile(trip_distance, 0.9) "
     "FROM trips GROUP BY 1 ORDER BY 1",
     "SELECT pulocationid, quantile_cont(total_amount, 0.5), quantile_cont(trip_distance, 0.9) "
     "FROM trips GROUP BY 1 ORDER BY 1"),
    ("percentiles by day",
     "SELECT date(tpep_pickup_datetime) AS d, approx_percentile(fare_amount, 0.5) FROM trips GROUP BY 1 ORDER BY 1",
     "SELECT CAST(tpep_pickup_datetime AS DATE) AS d, quantile_cont(fare_amount, 0.5) FROM trips GROUP BY 1 ORDER BY 1"),
    ("percentiles (an array of six)",
     "SELECT approx_percentile(fare_amount, ARRAY[0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) FROM trips",
     "SELECT quantile_cont(fare_amount, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) FROM trips"),
    ("percentiles (weighted)",
     "SELECT approx_percentile(trip_distance, passenger_count, 0.5) FROM trips WHERE passenger_count > 0",
     "SELECT quantile_cont(trip_distance, 0.5) FROM (SELECT trip_distance, unnest(range(passenger_count)) "
     "FROM trips WHERE passenger_count > 0)"),
]

# One scan of every column type the taxi table has (bench/lakebox_ab.py --suite scan --format csv|json:
# what decoding text and JSON files costs).
SCAN_QUERIES = [
    ("full scan of every type",
     "SELECT count(*), round(sum(fare_amount), 2), max(tpep_pickup_datetime), sum(passenger_count), sum(pulocationid) FROM trips",
     "SELECT count(*), round(sum(fare_amount), 2), max(tpep_pickup_datetime), sum(passenger_count), sum(pulocationid) FROM trips"),
]

# Equalities of different selectivity (bench --suite needles): Lakebox filters while decoding only
# the scans whose row-group statistics say their equalities keep at most 1 % of the rows
# (emulator/src/query/selective.rs). The airport zone 132 is skewed (airport trips are common), the
# payment/rate code pair broad; both engines run the same SQL.
NEEDLE_QUERIES = [(name, sql, sql) for name, sql in [
    ("zone pair and passengers",
     "SELECT count(*), max(total_amount) FROM trips WHERE pulocationid = 132 AND dolocationid = 138 AND passenger_count = 4"),
    ("zone pair",
     "SELECT count(*), max(total_amount) FROM trips WHERE pulocationid = 161 AND dolocationid = 236"),
    ("one pickup zone (skewed)",
     "SELECT count(*), max(total_amount), sum(trip_distance) FROM trips WHERE pulocationid = 132"),
    ("one pickup zone",
     "SELECT count(*), max(total_amount), sum(trip_distance) FROM trips WHERE pulocationid = 50"),
    ("IN list of zones",
     "SELECT count(*), max(total_amount) FROM trips WHERE pulocationid IN (10, 20, 30) AND passenger_count = 2"),
    ("payment and rate code (broad)",
     "SELECT count(*), max(total_amount) FROM trips WHERE payment_type = 1 AND ratecodeid = 1"),
]]

SUITES = {"reports": QUERIES, "functions": FUNCTION_QUERIES, "percentiles": PERCENTILE_QUERIES, "scan": SCAN_QUERIES,
          "needles": NEEDLE_QUERIES}

VERSION = ["?"]

# Approximate aggregates are compared with a tolerance: the report suite's percentiles with 2 %,
# the percentile suite with approx_percentile's documented bound (1/128 of the value).
APPROX = {"percentiles": 0.02, **{name: 1 / 128 for name, _, _ in PERCENTILE_QUERIES}}


def fixtures(lakebox_bin: str, endpoint: str, *args: str) -> None:
    proc = subprocess.run([lakebox_bin, "fixtures", *args, "--endpoint", endpoint],
                          capture_output=True, text=True, env={**os.environ, "AWS_ACCESS_KEY_ID": "test",
                                                               "AWS_SECRET_ACCESS_KEY": "test"})
    if proc.returncode != 0:
        raise RuntimeError(f"lakebox fixtures {' '.join(args)} failed: {proc.stderr}")


def same(a, b, rel: float) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-6)
    return str(a) == str(b)


def normalize(value: str | None, like):
    """An Athena text value as the Python type DuckDB gave for the same cell."""
    if value is None:
        return None
    if isinstance(like, bool):
        return value == "true"
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    if isinstance(like, list):
        return [float(v) for v in value.strip("[]").split(",")]
    if hasattr(like, "isoformat"):
        return value[:19] if len(value) >= 19 else value
    return value


def duck_text(v):
    if hasattr(v, "isoformat") and hasattr(v, "hour"):
        return v.isoformat(sep=" ")[:19]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class Athena:
    def __init__(self, endpoint: str, db: str):
        cfg = Config(region_name=c.REGION, retries={"mode": "standard", "total_max_attempts": 1})
        kw = dict(endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
        self.client = boto3.client("athena", **kw)
        self.db = db

    def run(self, sql: str) -> tuple[float, list[list[str | None]], dict]:
        t0 = time.perf_counter()
        qid = self.client.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": self.db},
            ResultConfiguration={"OutputLocation": "s3://results/"})["QueryExecutionId"]
        while True:
            e = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            state = e["Status"]["State"]
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.002)
        if state != "SUCCEEDED":
            raise RuntimeError(f"{state}: {e['Status'].get('StateChangeReason')}")
        rows = self.client.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
        elapsed = time.perf_counter() - t0
        values = [[d.get("VarCharValue") for d in r["Data"]] for r in rows[1:]]
        return elapsed, values, e["Statistics"]


def fixture_args(rows: int) -> list[str]:
    """The taxi fixture of the benchmarks: seed 42, three months, files of 1M trips."""
    return ["--rows", str(rows), "--seed", "42", "--months", "3", "--rows-per-file", "1000000"]


def load_lakebox(lakebox_bin: str, endpoint: str, rows: int, file_format: str = "parquet") -> None:
    """Creates the `lake` and `results` buckets and loads `bench.trips` (in `file_format`) and `bench.zones`."""
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                      region_name=c.REGION, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="lake")
    s3.create_bucket(Bucket="results")
    fixtures(lakebox_bin, endpoint, "taxi", *fixture_args(rows), "--format", file_format, "--to", "s3://lake/trips",
             "--register", "bench.trips")
    fixtures(lakebox_bin, endpoint, "zones", "--to", "s3://lake/zones", "--register", "bench.zones")


def bench_size(args, rows: int, work: str, notes: list[str]) -> list[list[str]]:
    srv = c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="athena-bench")
    srv.start()
    VERSION[0] = c.server_version(srv)
    try:
        local = os.path.join(work, f"trips_{rows}")
        t0 = time.perf_counter()
        load_lakebox(args.lakebox_bin, srv.endpoint, rows)
        fixtures(args.lakebox_bin, srv.endpoint, "taxi", *fixture_args(rows), "--to", f"file://{local}")
        fixtures(args.lakebox_bin, srv.endpoint, "zones", "--to", f"file://{local}_zones")
        notes.append(f"{rows:,} trips: fixtures generated and loaded (untimed) in {time.perf_counter() - t0:.1f} s")
        duck = duckdb.connect()
        duck.execute(f"SET threads = {os.cpu_count()}")
        duck.execute(f"CREATE VIEW trips AS SELECT * FROM read_parquet('{local}/**/*.parquet', "
                     "hive_partitioning = true, hive_types_autocast = false)")
        duck.execute(f"CREATE VIEW zones AS SELECT * FROM read_csv('{local}_zones/taxi_zone_lookup.csv', header = true)")
        athena = Athena(srv.endpoint, "bench")
        out = []
        for name, athena_sql, duck_sql in SUITES[args.suite]:
            athena.run(athena_sql)  # warm-up
            duck.execute(duck_sql).fetchall()
            lake_times, duck_times, engine_ms, scanned = [], [], [], 0
            got = want = None
            for _ in range(args.repeats):
                elapsed, got, stats = athena.run(athena_sql)
                lake_times.append(elapsed)
                engine_ms.append(stats.get("EngineExecutionTimeInMillis", 0))
                scanned = stats.get("DataScannedInBytes", 0)
                t0 = time.perf_counter()
                want = duck.execute(duck_sql).fetchall()
                duck_times.append(time.perf_counter() - t0)
            ok = len(got) == len(want) and all(
                len(g) == len(w) and all(same(normalize(x, y), duck_text(y), APPROX.get(name, 1e-9)) for x, y in zip(g, w))
                for g, w in zip(got, want))
            if not ok:
                notes.append(f"{rows:,} / {name}: ⚠ results differ: Lakebox {got[:3]} vs DuckDB {want[:3]}")
            lake, dk = statistics.median(lake_times), statistics.median(duck_times)
            out.append([f"{rows:,}", name + ("" if ok else " ⚠ wrong result"), f"{lake * 1000:,.0f} ms",
                        f"{statistics.median(engine_ms):,.0f} ms", f"{dk * 1000:,.0f} ms", f"{lake / dk:.2f}×",
                        f"{scanned / 1e6:,.1f} MB"])
        notes.append(f"{rows:,} trips: Lakebox RSS after the queries {srv.rss_mib():.0f} MiB "
                     f"(peak {srv.peak_rss_mib():.0f} MiB)")
        return out
    finally:
        srv.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--rows", default="1000000,10000000", help="comma-separated trip counts")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="100k trips, 2 repeats")
    p.add_argument("--suite", choices=list(SUITES), default="reports",
                   help="the report queries, Trino functions evaluated over every row, approx_percentile, a full scan, or equalities of different selectivity")
    p.add_argument("--out")
    args = p.parse_args()
    if args.quick:
        args.rows, args.repeats = "100000", 2
    c.install_cleanup()
    info = c.machine_info()
    work = tempfile.mkdtemp(prefix="athena-bench-work-")
    c.register_cleanup(lambda: subprocess.run(["rm", "-rf", work]))
    notes: list[str] = []
    rows = []
    for n in (int(x) for x in args.rows.split(",")):
        rows.extend(bench_size(args, n, work, notes))
    lake_total = {}
    duck_total = {}
    for r in rows:
        lake_total[r[0]] = lake_total.get(r[0], 0) + float(r[2].replace(",", "").split()[0])
        duck_total[r[0]] = duck_total.get(r[0], 0) + float(r[4].replace(",", "").split()[0])
    for size in lake_total:
        notes.append(f"{size} trips, whole suite: Lakebox {lake_total[size]:,.0f} ms, DuckDB {duck_total[size]:,.0f} ms, "
                     f"ratio {lake_total[size] / duck_total[size]:.2f}×")
    cmd = shlex.join([sys.executable, *sys.argv])
    lines = c.md_header(
        "Lakebox (Athena API) vs DuckDB — " + {"functions": "Trino functions over every trip",
                                                "percentiles": "approx_percentile against exact quantiles",
                                                "reports": "taxi report queries",
                                                "scan": "a full scan of every column type",
                                                "needles": "equalities from a needle to a broad pair"}[args.suite],
        cmd, info,
        [("lakebox", VERSION[0], args.lakebox_bin), ("DuckDB", duckdb.__version__, "python module")],
        f"Python {sys.version.split()[0]}, boto3 {boto3.__version__}; DuckDB reads the same Parquet files from the "
        "local work dir with `threads` = nproc",
    )
    lines += c.md_table(["Trips", "Query", "Lakebox end to end", "Lakebox engine", "DuckDB", "Lakebox / DuckDB",
                         "Data scanned"], "llrrrrr", rows)
    lines += c.md_notes(notes)
    c.emit(lines, args.out)
    return 1 if any("wrong result" in r[1] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
