#!/usr/bin/env python3
"""End-to-end latency of small Athena queries through the real clients with their default settings.

PyAthena, awswrangler and dbt-athena start a query, poll GetQueryExecution, and sleep their poll
interval (one second by default) each time the query is not finished. The script times small
queries through PyAthena's cursor and awswrangler's read_sql_query (no CTAS), with their
defaults, against:

- Lakebox as it ships (StartQueryExecution answers once the query is done, up to 1 s);
- Lakebox with --start-wait-ms 0 (answers at once, as Athena does: the behaviour before);
- moto_server (the reference: its Athena answers SUCCEEDED at once and runs nothing).

    ~/.cache/lakebox/venv/bin/python bench/client_latency.py --out /tmp/client_latency.md

Each cell is the median of --repeats runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common as c  # noqa: E402

try:
    import boto3
    from botocore.config import Config
    from pyathena import connect
except ImportError as e:  # pragma: no cover
    sys.exit(f"needs boto3 and pyathena ({e}); run ./scripts/test --python once to create the venv")

QUERIES = [
    ("SELECT 1", "SELECT 1"),
    ("aggregate of 1,000 rows", "SELECT count(*), sum(x) FROM UNNEST(sequence(1, 1000)) AS t(x)"),
]


def client_env(endpoint: str) -> None:
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
                       "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": c.REGION})


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def measure(srv: c.Server, repeats: int, with_wrangler: bool) -> dict[tuple[str, str], float]:
    client_env(srv.endpoint)
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="results")
    cursor = connect(s3_staging_dir="s3://results/", region_name=c.REGION).cursor()
    out = {}
    for name, sql in QUERIES:
        out[("PyAthena", name)] = timed(lambda: (cursor.execute(sql), cursor.fetchall()), repeats)
        if with_wrangler:
            import awswrangler as wr

            out[("awswrangler", name)] = timed(
                lambda: wr.athena.read_sql_query(sql, database="default", ctas_approach=False,
                                                 s3_output="s3://results/"), repeats)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--moto-server", default=c.default_moto_server())
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out")
    args = p.parse_args()
    c.install_cleanup()
    info = c.machine_info()
    runs = [("Lakebox", c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="latency"), True),
            ("Lakebox --start-wait-ms 0",
             c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="latency",
                      extra_env={"LAKEBOX_START_WAIT_MS": "0"}), True),
            ("moto_server", c.Server("moto", args.moto_server, c.MOTO_HEALTH, tmp_prefix="latency"), False)]
    results, versions = {}, {}
    for label, srv, wrangler in runs:
        srv.start()
        try:
            versions[label] = c.server_version(srv) if srv.name == "lakebox" else c.moto_version(args.moto_server)
            results[label] = measure(srv, args.repeats, wrangler)
        finally:
            srv.stop()
    import awswrangler
    import pyathena

    cmdline = shlex.join([sys.executable, *sys.argv])
    lines = c.md_header(
        "Small queries through PyAthena and awswrangler with their default poll interval", cmdline, info,
        [("lakebox", versions["Lakebox"], args.lakebox_bin), ("moto_server", versions["moto_server"], args.moto_server)],
        f"Python {sys.version.split()[0]}, PyAthena {pyathena.__version__}, awswrangler {awswrangler.__version__}, "
        f"boto3 {boto3.__version__}; medians of {args.repeats} runs after a warm-up")
    labels = [label for label, _, _ in runs]
    rows = []
    for client in ("PyAthena", "awswrangler"):
        for name, _ in QUERIES:
            cells = [results[label].get((client, name)) for label in labels]
            rows.append([client, name, *("n/a" if v is None else f"{v:,.0f} ms" for v in cells)])
    lines += c.md_table(["Client", "Query", *labels], "ll" + "r" * len(labels), rows)
    lines += c.md_notes(["moto_server runs no query: its Athena answers SUCCEEDED at once with no rows; "
                         "awswrangler is not run against it (it reads the result file moto never writes).",
                         "awswrangler makes other calls between StartQueryExecution and its first poll, "
                         "long enough for these queries to finish either way."])
    c.emit(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
