#!/usr/bin/env python3
"""Diagnostic (docs/PERFORMANCE.md): DataScannedInBytes of four runs of each report query on 1M trips. Usage: scanned_per_run.py LAKEBOX_BIN"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c, athena_vs_duckdb as avd
BIN=sys.argv[1]
srv = c.Server("lakebox", BIN, c.LAKEBOX_HEALTH, tmp_prefix="scan"); srv.start()
try:
    avd.load_lakebox(BIN, srv.endpoint, 1000000)
    a = avd.Athena(srv.endpoint, "bench")
    for name, sql, _ in avd.QUERIES:
        print(f"{name:28}", [a.run(sql)[2]["DataScannedInBytes"] for _ in range(4)])
finally:
    srv.stop()
