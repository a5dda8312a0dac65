#!/usr/bin/env python3
"""Diagnostic: how many different answers one query gives over repeated runs on a fresh Lakebox with
the benchmark's taxi fixture (a double `sum` merged in arrival order changes in its last digits).

    ~/.cache/lakebox/venv/bin/python bench/repeat_answers.py --rows 10000000 --runs 15 \\
        --sql "SELECT sum(tip_amount) FROM trips"
"""
from __future__ import annotations

import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402
import athena_vs_duckdb as avd  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--sql", required=True)
    args = p.parse_args()
    c.install_cleanup()
    srv = c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="lakebox-repeat")
    srv.start()
    try:
        avd.load_lakebox(args.lakebox_bin, srv.endpoint, args.rows)
        athena = avd.Athena(srv.endpoint, "bench")
        answers = collections.Counter(repr(athena.run(args.sql)[1]) for _ in range(args.runs))
    finally:
        srv.stop()
    print(f"{len(answers)} distinct answers in {args.runs} runs of {args.sql!r}")
    for answer, n in answers.most_common():
        print(f"  {n:3d}x {answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
