#!/usr/bin/env python3
"""What one Athena API call costs, apart from the query: boto3 against raw HTTP on a fresh Lakebox.

The report benchmark times each query end to end through three boto3 calls (StartQueryExecution,
GetQueryExecution, GetQueryResults). This script separates the client's share from the server's:
it times the same calls through boto3 and through a bare `http.client` connection (the same JSON
body and X-Amz-Target, no signing), for a finished `SELECT 1` and for GetWorkGroup, and the whole
`SELECT 1` round trip both ways.

    ~/.cache/lakebox/venv/bin/python bench/api_overhead.py --out /tmp/api_overhead.md

Each cell is the median of --repeats calls after a warm-up.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import _common as c  # noqa: E402

try:
    import boto3
    from botocore.config import Config
except ImportError as e:  # pragma: no cover
    sys.exit(f"needs boto3 ({e}); run ./scripts/test --python once to create the venv")

OUTPUT = {"OutputLocation": "s3://results/"}


class Raw:
    """Athena JSON calls over one keep-alive HTTP connection, unsigned."""

    def __init__(self, endpoint: str):
        url = urllib.parse.urlparse(endpoint)
        self.conn = http.client.HTTPConnection(url.hostname, url.port)
        self.headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/athena/aws4_request, "
                             "SignedHeaders=host, Signature=0",
        }

    def call(self, op: str, body: dict) -> dict:
        self.conn.request("POST", "/", json.dumps(body), {**self.headers, "X-Amz-Target": f"AmazonAthena.{op}"})
        response = self.conn.getresponse()
        data = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{op}: {response.status} {data}")
        return data


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--out")
    args = p.parse_args()
    c.install_cleanup()
    info = c.machine_info()
    srv = c.Server("lakebox", args.lakebox_bin, c.LAKEBOX_HEALTH, tmp_prefix="api-overhead")
    srv.start()
    version = c.server_version(srv)
    starts = max(args.repeats // 4, 5)
    try:
        kw = dict(endpoint_url=srv.endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                  region_name=c.REGION)
        boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw).create_bucket(Bucket="results")
        athena = boto3.client("athena", **kw)
        raw = Raw(srv.endpoint)
        start = {"QueryString": "SELECT 1", "ResultConfiguration": OUTPUT}
        qid = athena.start_query_execution(**start)["QueryExecutionId"]

        def round_trip_boto3():
            q = athena.start_query_execution(**start)["QueryExecutionId"]
            athena.get_query_execution(QueryExecutionId=q)
            athena.get_query_results(QueryExecutionId=q)

        def round_trip_raw():
            q = raw.call("StartQueryExecution", start)["QueryExecutionId"]
            raw.call("GetQueryExecution", {"QueryExecutionId": q})
            raw.call("GetQueryResults", {"QueryExecutionId": q})

        # (call, through boto3, through raw HTTP, repeats): query starts run fewer times.
        calls = [
            ("GetWorkGroup (primary)", lambda: athena.get_work_group(WorkGroup="primary"),
             lambda: raw.call("GetWorkGroup", {"WorkGroup": "primary"}), args.repeats),
            ("GetQueryExecution (finished SELECT 1)", lambda: athena.get_query_execution(QueryExecutionId=qid),
             lambda: raw.call("GetQueryExecution", {"QueryExecutionId": qid}), args.repeats),
            ("GetQueryResults (finished SELECT 1)", lambda: athena.get_query_results(QueryExecutionId=qid),
             lambda: raw.call("GetQueryResults", {"QueryExecutionId": qid}), args.repeats),
            ("StartQueryExecution (SELECT 1, answered when done)", lambda: athena.start_query_execution(**start),
             lambda: raw.call("StartQueryExecution", start), starts),
            ("SELECT 1 end to end (Start, Get, Results)", round_trip_boto3, round_trip_raw, starts),
        ]
        rows = []
        for name, through_boto3, through_raw, repeats in calls:
            b, r = median_ms(through_boto3, repeats), median_ms(through_raw, repeats)
            rows.append([name, f"{b:.2f} ms", f"{r:.2f} ms", f"{b - r:.2f} ms"])
    finally:
        srv.stop()
    lines = c.md_header("Athena API calls: boto3 against raw HTTP (Lakebox)", " ".join([sys.executable, *sys.argv]),
                        info, [("lakebox", version, args.lakebox_bin)],
                        f"boto3 {boto3.__version__}; median of {args.repeats} calls ({starts} for the query starts) "
                        "after a warm-up; raw HTTP is one keep-alive connection, unsigned", [])
    lines += c.md_table(["Call", "boto3", "raw HTTP", "boto3's own share"], "lrrr", rows)
    c.emit(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
