#!/usr/bin/env python3
"""One query under `perf record`: a fresh Lakebox with the benchmark's taxi fixture, the query run
`--runs` times through the Athena API (boto3) while `perf` samples the server, then the hottest
symbols. For finding where a query's time goes (docs/PERFORMANCE.md), not for timing it.

    ~/.cache/lakebox/venv/bin/python bench/profile_query.py --rows 10000000 --runs 100 \\
        --sql "SELECT count(*) FROM trips WHERE pulocationid = 132 AND dolocationid = 138"
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402
import athena_vs_duckdb as avd  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--sql", required=True)
    p.add_argument("--top", type=int, default=25, help="how many symbols to print")
    p.add_argument("--call-graph", default="fp", help="perf's unwinding: fp (default) or dwarf (slower, sees through frames without pointers)")
    p.add_argument("--keep", metavar="FILE", help="also copy perf.data to FILE (for `perf report -G`)")
    args = p.parse_args()
    c.install_cleanup()
    srv = c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="lakebox-profile")
    srv.start()  # stopped by the cleanup on exit, with its temp dir and perf.data
    avd.load_lakebox(args.lakebox_bin, srv.endpoint, args.rows)
    athena = avd.Athena(srv.endpoint, "bench")
    athena.run(args.sql)  # warm-up
    data = os.path.join(srv.tmpdir, "perf.data")
    perf = subprocess.Popen(["perf", "record", "-F", "999", "--call-graph", args.call_graph, "-o", data, "-p", str(srv.proc.pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = [athena.run(args.sql)[0] * 1000 for _ in range(args.runs)]
    perf.send_signal(signal.SIGINT)
    perf.wait()
    if args.keep:
        shutil.copyfile(data, args.keep)
    print(f"{args.runs} runs, median {statistics.median(times):.1f} ms end to end")
    report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio", "-g", "none"],
                            capture_output=True, text=True).stdout
    lines = [line for line in report.splitlines() if line.strip() and not line.startswith("#")]
    print("\n".join(lines[:args.top]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
