#!/usr/bin/env python3
"""Diagnostic (docs/PERFORMANCE.md): per-query client call times and the server phases from its debug log. Usage: query_phases.py LAKEBOX_BIN ROWS REPEATS"""
import os, sys, re, time, statistics, collections
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c
import athena_vs_duckdb as avd
import boto3
from botocore.config import Config

BIN, ROWS, REPS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
srv = c.Server("lakebox", BIN, c.LAKEBOX_HEALTH, tmp_prefix="diag", extra_env={"LAKEBOX_LOG": "lakebox=debug"})
srv.start()
try:
    avd.load_lakebox(BIN, srv.endpoint, ROWS)
    cfg = Config(region_name=c.REGION, retries={"mode": "standard", "total_max_attempts": 1})
    cl = boto3.client("athena", endpoint_url=srv.endpoint, aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    qs = [("select 1", "SELECT 1")] + [(n, s) for n, s, _ in avd.QUERIES]
    res = collections.defaultdict(list)
    ids = collections.defaultdict(list)
    for name, sql in qs:
        for i in range(REPS + 1):
            t0 = time.perf_counter()
            qid = cl.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": "bench"},
                                           ResultConfiguration={"OutputLocation": "s3://results/"})["QueryExecutionId"]
            t1 = time.perf_counter()
            polls = 0
            while True:
                e = cl.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
                polls += 1
                if e["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    break
                time.sleep(0.002)
            t2 = time.perf_counter()
            cl.get_query_results(QueryExecutionId=qid)
            t3 = time.perf_counter()
            if i == 0: continue
            ids[name].append(qid)
            res[name].append(((t1-t0)*1e3, (t2-t1)*1e3, (t3-t2)*1e3, (t3-t0)*1e3, e["Statistics"]["EngineExecutionTimeInMillis"], polls))
    time.sleep(0.5)
    log = re.sub(r"\x1b\[[0-9;]*m", "", open(srv.log_path, errors="replace").read())
    srv_ph = collections.defaultdict(dict)
    for line in log.splitlines():
        m = re.search(r"query=([0-9a-f-]{36})", line)
        if not m: continue
        for k, v in re.findall(r"(\w+_us)=(\d+)", line):
            srv_ph[m.group(1)][k] = int(v)
    keys = ["submit_us", "mark_running_us", "session_us", "plan_us", "execute_us", "write_us", "finish_us", "run_us"]
    print(f"{'query':28} start  getqe  getqr  total engine polls | " + " ".join(k[:-3][:8] for k in keys))
    for name, _ in qs:
        r = res[name]
        med = [statistics.median(x[j] for x in r) for j in range(6)]
        sp = [statistics.median(srv_ph[q].get(k, 0) for q in ids[name]) / 1000 for k in keys]
        print(f"{name:28} " + " ".join(f"{v:6.1f}" for v in med[:5]) + f" {med[5]:4.0f} | " + " ".join(f"{v:8.2f}" for v in sp))
finally:
    srv.stop()
