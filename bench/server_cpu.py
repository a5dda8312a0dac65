#!/usr/bin/env python3
"""Diagnostic (docs/PERFORMANCE.md): the server's CPU time per query, from /proc/<pid>/stat, over
--runs StartQueryExecution calls on one keep-alive raw HTTP connection (a short query answers when
done), and optionally a `perf record` of the server during those calls.

    ~/.cache/lakebox/venv/bin/python bench/server_cpu.py --sql "SELECT 1" --runs 300
    ~/.cache/lakebox/venv/bin/python bench/server_cpu.py --runs 400 --perf /tmp/select1.data
    ~/.cache/lakebox/venv/bin/python bench/server_cpu.py --rows 10000000 \
        --sql "SELECT count(*) FROM trips WHERE year = '2024' AND month = '02'"
    perf report -i /tmp/select1.data --children --sort symbol --stdio -g none
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402
from api_overhead import OUTPUT, Raw  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--sql", default="SELECT 1")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--perf", help="also record the server with perf into this file")
    p.add_argument("--rows", type=int, default=0,
                   help="load the benchmark's taxi fixture (bench.trips, bench.zones) with this many trips first")
    args = p.parse_args()
    c.install_cleanup()
    srv = c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="server-cpu")
    srv.start()
    try:
        kw = dict(endpoint_url=srv.endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                  region_name=c.REGION)
        start = {"QueryString": args.sql, "ResultConfiguration": OUTPUT}
        if args.rows:
            import athena_vs_duckdb as avd
            avd.load_lakebox(args.lakebox_bin, srv.endpoint, args.rows)
            start["QueryExecutionContext"] = {"Database": "bench"}
        else:
            boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw).create_bucket(Bucket="results")
        raw = Raw(srv.endpoint)
        for _ in range(20):
            raw.call("StartQueryExecution", start)
        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-F", "2000", "-g", "-p", str(srv.proc.pid), "-o", args.perf],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        before, t0 = cpu_seconds(srv.proc.pid), time.perf_counter()
        for _ in range(args.runs):
            raw.call("StartQueryExecution", start)
        wall = (time.perf_counter() - t0) * 1000 / args.runs
        cpu = (cpu_seconds(srv.proc.pid) - before) * 1000 / args.runs
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        print(f"{args.sql!r}: {wall:.2f} ms a query end to end, server CPU {cpu:.2f} ms a query ({args.runs} runs)")
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
