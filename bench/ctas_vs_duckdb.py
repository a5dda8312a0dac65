#!/usr/bin/env python3
"""CTAS through Lakebox's Athena API against DuckDB's COPY ... PARTITION_BY on the same trips.

Starts a fresh Lakebox, loads the taxi fixture (default 10M trips, Parquet in year=/month= folders)
through `lakebox fixtures`, writes the byte-identical files to a local work dir for DuckDB, then
rewrites the whole table as Parquet partitioned by month, both ways, in the same run:

- Lakebox: `CREATE TABLE ... WITH (format = 'PARQUET', partitioned_by = ARRAY['month'],
  write_compression = ...) AS SELECT ...` through boto3 (StartQueryExecution, GetQueryExecution
  polled every 5 ms). The time includes writing the files, committing them and registering the
  table and its partitions in Glue.
- DuckDB: `COPY (SELECT ...) TO dir (FORMAT PARQUET, PARTITION_BY (month), COMPRESSION ...)` with
  as many threads as cores, on the local files.

Each cell is the median of --repeats runs (each into a new location, after one untimed warm-up).
Both outputs are read back (Lakebox's through Athena, DuckDB's with DuckDB) and compared: rows and
sums per month; a mismatch is flagged.

    ~/.cache/lakebox/venv/bin/python bench/ctas_vs_duckdb.py --out /tmp/ctas_vs_duckdb.md
    ~/.cache/lakebox/venv/bin/python bench/ctas_vs_duckdb.py --quick      # 1M trips
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common as c  # noqa: E402
from athena_vs_duckdb import Athena, duck_text, fixtures, normalize, same  # noqa: E402

try:
    import boto3
    import duckdb
    from botocore.config import Config
except ImportError as e:  # pragma: no cover
    sys.exit(f"needs boto3 and duckdb ({e}); run ./scripts/test --python once to create the venv")

COLUMNS = ("vendorid, tpep_pickup_datetime, tpep_dropoff_datetime, passenger_count, trip_distance, ratecodeid, "
           "store_and_fwd_flag, pulocationid, dolocationid, payment_type, fare_amount, extra, mta_tax, tip_amount, "
           "tolls_amount, improvement_surcharge, total_amount, congestion_surcharge, airport_fee")
CHECK = "SELECT month, count(*), round(sum(total_amount), 2), max(tpep_pickup_datetime) FROM {} GROUP BY month ORDER BY month"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--codecs", default="SNAPPY,GZIP", help="write_compression values to compare")
    p.add_argument("--quick", action="store_true", help="1M trips, 2 repeats")
    p.add_argument("--out")
    args = p.parse_args()
    if args.quick:
        args.rows, args.repeats = 1_000_000, 2
    c.install_cleanup()
    info = c.machine_info()
    work = tempfile.mkdtemp(prefix="ctas-bench-work-")
    c.register_cleanup(lambda: subprocess.run(["rm", "-rf", work]))
    notes: list[str] = []
    out_rows = []
    srv = c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="ctas-bench")
    srv.start()
    version = c.server_version(srv)
    try:
        s3 = boto3.client("s3", endpoint_url=srv.endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name=c.REGION, config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="lake")
        s3.create_bucket(Bucket="results")
        local = os.path.join(work, "trips")
        common = ["--rows", str(args.rows), "--seed", "42", "--months", "3", "--rows-per-file", "1000000"]
        t0 = time.perf_counter()
        fixtures(args.lakebox_bin, srv.endpoint, "taxi", *common, "--to", "s3://lake/trips", "--register", "bench.trips")
        fixtures(args.lakebox_bin, srv.endpoint, "taxi", *common, "--to", f"file://{local}")
        notes.append(f"{args.rows:,} trips: fixtures generated and loaded (untimed) in {time.perf_counter() - t0:.1f} s")
        duck = duckdb.connect()
        duck.execute(f"SET threads = {os.cpu_count()}")
        duck.execute(f"CREATE VIEW trips AS SELECT * FROM read_parquet('{local}/**/*.parquet', "
                     "hive_partitioning = true, hive_types_autocast = false)")
        athena = Athena(srv.endpoint, "bench")
        run = [0]

        def lakebox_ctas(codec: str) -> tuple[float, str, dict]:
            run[0] += 1
            name = f"ctas_{codec.lower()}_{run[0]}"
            sql = (f"CREATE TABLE {name} WITH (format = 'PARQUET', external_location = 's3://lake/ctas/{name}/', "
                   f"partitioned_by = ARRAY['month'], write_compression = '{codec}') AS SELECT {COLUMNS}, month FROM trips")
            elapsed, _, stats = athena.run(sql)
            return elapsed, name, stats

        def duck_copy(codec: str) -> tuple[float, str]:
            run[0] += 1
            target = os.path.join(work, f"duck_{codec.lower()}_{run[0]}")
            t0 = time.perf_counter()
            duck.execute(f"COPY (SELECT {COLUMNS}, month FROM trips) TO '{target}' "
                         f"(FORMAT PARQUET, PARTITION_BY (month), COMPRESSION {codec.lower()})")
            return time.perf_counter() - t0, target

        def size_of(path: str) -> int:
            return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

        for codec in args.codecs.split(","):
            lakebox_ctas(codec)  # warm-up
            duck_copy(codec)
            lake_times, duck_times = [], []
            for _ in range(args.repeats):
                elapsed, name, stats = lakebox_ctas(codec)
                lake_times.append(elapsed)
                d_elapsed, target = duck_copy(codec)
                duck_times.append(d_elapsed)
            # Read both outputs back and compare them month by month.
            _, got, _ = athena.run(CHECK.format(name))
            want = duck.execute(CHECK.format(
                f"read_parquet('{target}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)"
            )).fetchall()
            ok = len(got) == len(want) and all(
                len(g) == len(w) and all(same(normalize(x, y), duck_text(y), 1e-12) for x, y in zip(g, w))
                for g, w in zip(got, want))
            if not ok:
                notes.append(f"{codec}: ⚠ outputs differ: Lakebox {got} vs DuckDB {want}")
            lake_bytes = size_of(os.path.join(srv.data_dir, "s3", "lake", "ctas", name))
            duck_bytes = size_of(target)
            lake, dk = statistics.median(lake_times), statistics.median(duck_times)
            out_rows.append([codec + ("" if ok else " ⚠ wrong result"), f"{lake:,.2f} s", f"{dk:,.2f} s",
                             f"{lake / dk:.2f}×", f"{lake_bytes / 1e6:,.0f} MB", f"{duck_bytes / 1e6:,.0f} MB",
                             f"{stats.get('DataScannedInBytes', 0) / 1e6:,.0f} MB"])
            notes.append(f"{codec}: Lakebox samples {', '.join(f'{t:.2f}' for t in lake_times)} s; "
                         f"DuckDB {', '.join(f'{t:.2f}' for t in duck_times)} s")
        notes.append(f"Lakebox RSS after the runs {srv.rss_mib():.0f} MiB (peak {srv.peak_rss_mib():.0f} MiB)")
    finally:
        srv.stop()
    cmd = shlex.join([sys.executable, *sys.argv])
    lines = c.md_header(
        f"Lakebox CTAS vs DuckDB COPY ... PARTITION_BY — {args.rows:,} trips to Parquet by month", cmd, info,
        [("lakebox", version, args.lakebox_bin), ("DuckDB", duckdb.__version__, "python module")],
        f"Python {sys.version.split()[0]}, boto3 {boto3.__version__}; DuckDB reads and writes the local work dir "
        "with `threads` = nproc; Lakebox writes under its data dir",
    )
    lines += c.md_table(["Codec", "Lakebox CTAS", "DuckDB COPY", "Lakebox / DuckDB", "Lakebox output", "DuckDB output",
                         "Data scanned"], "lrrrrrr", out_rows)
    lines += c.md_notes(notes)
    c.emit(lines, args.out)
    return 1 if any("wrong result" in r[0] for r in out_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
