#!/usr/bin/env python3
"""Lakebox vs moto_server: Glue Data Catalog micro-benchmark.

Runs the *same* boto3 client loop against a freshly started Lakebox and a
freshly started ``moto_server`` (one after the other, never concurrently) and
prints a Markdown table with both numbers and the ratio ``moto / lakebox``:

1. process start -> first answered HTTP request (median of N starts)
2. GetTable x1000, sequential
3. BatchCreatePartition of 10,000 partitions (100 calls of 100)
4. GetPartitions with an Expression selecting 1 % of 100,000 partitions,
   following NextToken; the returned rows are checked against the expected
   set computed from the inputs (count, values, duplicates) per server.

``--quick`` scales every workload down 10x for a smoke run.

Run it with a Python that has boto3 (and moto[server] for the moto side), e.g.

    /root/.cache/lakebox/venv/bin/python bench/glue_vs_moto.py --out /tmp/bench.md

Exit status: 0 on success, 1 if any server returned wrong results or a
benchmark step failed (the table is still printed), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as _dt
import http.client
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    LAKEBOX_HEALTH, MOTO_HEALTH, REGION, Server, cleanup_all, default_lakebox_bin,
    default_moto_server, fmt_int, fmt_ratio, install_cleanup, machine_info, md_header,
    md_notes, md_table, median_or_none, server_version,
)
from _common import run_step as _run_step  # noqa: E402

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write(
        "boto3 is required; run with the venv python, e.g.\n"
        "  /root/.cache/lakebox/venv/bin/python bench/glue_vs_moto.py ...\n"
    )
    sys.exit(2)

DATABASE = "bench"
BUCKET = "s3://lakebox-bench/warehouse"

# ~10 data columns, shared by every table (and copied into partition SDs, as
# Hive/Spark/Athena writers do).
COLUMNS = [
    {"Name": "event_id", "Type": "bigint"},
    {"Name": "user_id", "Type": "string"},
    {"Name": "event_type", "Type": "string"},
    {"Name": "event_time", "Type": "timestamp"},
    {"Name": "amount", "Type": "decimal(18,2)"},
    {"Name": "currency", "Type": "string"},
    {"Name": "country", "Type": "string"},
    {"Name": "device", "Type": "string"},
    {"Name": "properties", "Type": "map<string,string>"},
    {"Name": "is_test", "Type": "boolean"},
]
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}

# --------------------------------------------------------------------------
# workloads (identical boto3 code for both servers)


def glue_client(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    cfg = Config(
        retries={"total_max_attempts": 1},  # never hide a failure behind a retry
        max_pool_connections=16,
        connect_timeout=10,
        read_timeout=600,
    )
    return session.client("glue", endpoint_url=endpoint, config=cfg)


def table_input(name: str, partition_keys: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
        "PartitionKeys": partition_keys,
        "StorageDescriptor": {
            "Columns": COLUMNS,
            "Location": f"{BUCKET}/{DATABASE}/{name}/",
            **PARQUET,
        },
    }


def partition_input(table: str, keys: list[str], values: list[str]) -> dict[str, Any]:
    path = "/".join(f"{k}={v}" for k, v in zip(keys, values))
    return {
        "Values": values,
        "Parameters": {"numFiles": "1"},
        "StorageDescriptor": {
            "Columns": COLUMNS,
            "Location": f"{BUCKET}/{DATABASE}/{table}/{path}/",
            **PARQUET,
        },
    }


def batch_create(client, table: str, inputs: list[dict[str, Any]]) -> None:
    resp = client.batch_create_partition(
        DatabaseName=DATABASE, TableName=table, PartitionInputList=inputs)
    errors = resp.get("Errors") or []
    if errors:
        raise RuntimeError(
            f"BatchCreatePartition on {table} returned {len(errors)} errors, first: {errors[0]}")


@dataclass
class Sizes:
    starts: int
    get_table_calls: int
    batch_partitions: int  # row 3, multiple of 100
    listing_partitions: int  # row 4, multiple of 100
    listing_repeats: int
    setup_threads: int


@dataclass
class Result:
    startup_ms: list[float] = field(default_factory=list)
    get_table_s: float | None = None
    get_table_client_cpu_s: float | None = None
    batch_create_s: float | None = None
    listing_s: list[float] = field(default_factory=list)
    listing_raw_s: list[float] = field(default_factory=list)
    listing_rows: list[int] = field(default_factory=list)
    listing_pages: list[int] = field(default_factory=list)
    listing_problems: list[str] = field(default_factory=list)
    setup_s: float | None = None
    rss_mib: float | None = None
    version: str = "?"
    errors: dict[str, str] = field(default_factory=dict)


ROW3_TABLE = "events_by_region"
ROW3_KEYS = [{"Name": "region", "Type": "string"}, {"Name": "bucket", "Type": "int"}]
ROW4_TABLE = "events_sharded"
ROW4_KEYS = [{"Name": "dt", "Type": "string"}, {"Name": "shard", "Type": "int"}]
ROW4_SHARDS = 100  # shard = 0..99, so `shard = 7` selects exactly 1 %
ROW4_TARGET_SHARD = 7
ROW4_EXPRESSION = f"shard = {ROW4_TARGET_SHARD}"
ROW2_TABLE = "events"
ROW2_KEYS = [{"Name": "dt", "Type": "string"}, {"Name": "hour", "Type": "int"}]


def row3_batches(n: int) -> list[list[dict[str, Any]]]:
    """n partitions as n/100 calls of 100: region-XXX x bucket 0..99."""
    keys = [k["Name"] for k in ROW3_KEYS]
    return [
        [partition_input(ROW3_TABLE, keys, [f"region-{r:03d}", str(b)]) for b in range(100)]
        for r in range(n // 100)
    ]


def row4_dates(n: int) -> list[str]:
    start = _dt.date(2020, 1, 1)
    return [(start + _dt.timedelta(days=i)).isoformat() for i in range(n // ROW4_SHARDS)]


def row4_batches(n: int) -> list[list[dict[str, Any]]]:
    """n partitions: one call per date, each with shards 0..99."""
    keys = [k["Name"] for k in ROW4_KEYS]
    return [
        [partition_input(ROW4_TABLE, keys, [d, str(s)]) for s in range(ROW4_SHARDS)]
        for d in row4_dates(n)
    ]


def row4_expected(batches: list[list[dict[str, Any]]]) -> set[tuple[str, ...]]:
    """Expected result of ROW4_EXPRESSION, computed from the inputs themselves."""
    return {
        tuple(p["Values"])
        for batch in batches for p in batch
        if int(p["Values"][1]) == ROW4_TARGET_SHARD
    }


def run_step(res: Result, key: str, fn: Callable[[], None]) -> bool:
    return _run_step(res.errors, key, fn)


def bench_server(srv: Server, sz: Sizes) -> Result:
    res = Result()
    log = lambda msg: print(f"[{srv.name}] {msg}", file=sys.stderr, flush=True)  # noqa: E731

    # Row 1: cold start, fresh data dir each time.
    def cold_starts() -> None:
        for i in range(sz.starts):
            try:
                ms = srv.start()
                if i == 0:
                    res.version = server_version(srv)
            finally:
                srv.stop()
            res.startup_ms.append(ms)
            log(f"start {i + 1}/{sz.starts}: {ms:.1f} ms")

    run_step(res, "startup", cold_starts)

    # Fresh instance for the request benchmarks.
    if not run_step(res, "server", srv.start):
        for k in ("get_table", "batch_create", "get_partitions"):
            res.errors.setdefault(k, "server did not start")
        return res
    client = glue_client(srv.endpoint)
    try:
        def setup_catalog() -> None:
            client.create_database(DatabaseInput={"Name": DATABASE})
            for name, keys in ((ROW2_TABLE, ROW2_KEYS), (ROW3_TABLE, ROW3_KEYS),
                               (ROW4_TABLE, ROW4_KEYS)):
                client.create_table(DatabaseName=DATABASE, TableInput=table_input(name, keys))

        if not run_step(res, "setup", setup_catalog):
            for k in ("get_table", "batch_create", "get_partitions"):
                res.errors.setdefault(k, "catalog setup failed")
            return res

        # Row 2: GetTable, sequential.
        def get_table() -> None:
            for _ in range(10):  # warm-up (connection, botocore caches), not timed
                client.get_table(DatabaseName=DATABASE, Name=ROW2_TABLE)
            n = sz.get_table_calls
            c0 = time.process_time()
            t0 = time.perf_counter()
            for _ in range(n):
                client.get_table(DatabaseName=DATABASE, Name=ROW2_TABLE)
            res.get_table_s = time.perf_counter() - t0
            res.get_table_client_cpu_s = time.process_time() - c0
            log(f"GetTable x{n}: {res.get_table_s * 1000:.1f} ms")

        run_step(res, "get_table", get_table)

        # Row 3: BatchCreatePartition, sequential calls of 100.
        def batch_create_rows() -> None:
            batches = row3_batches(sz.batch_partitions)  # built before timing
            t0 = time.perf_counter()
            for b in batches:
                batch_create(client, ROW3_TABLE, b)
            res.batch_create_s = time.perf_counter() - t0
            log(f"BatchCreatePartition {sz.batch_partitions}: {res.batch_create_s:.3f} s")

        run_step(res, "batch_create", batch_create_rows)

        # Row 4: setup (untimed in the table) + filtered listing.
        batches = row4_batches(sz.listing_partitions)
        expected = row4_expected(batches)

        def setup_listing() -> None:
            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(sz.setup_threads) as pool:
                futs = [pool.submit(batch_create, client, ROW4_TABLE, b) for b in batches]
                for f in concurrent.futures.as_completed(futs):
                    f.result()
            res.setup_s = time.perf_counter() - t0
            log(f"setup: {sz.listing_partitions} partitions in {res.setup_s:.1f} s "
                f"({sz.setup_threads} threads)")

        if not run_step(res, "get_partitions", setup_listing):
            res.errors["get_partitions"] = "setup: " + res.errors["get_partitions"]
            return res

        def listing() -> None:
            for rep in range(sz.listing_repeats):
                got: list[tuple[str, ...]] = []
                pages = 0
                seen_tokens: set[str] = set()
                kwargs: dict[str, Any] = {}
                t0 = time.perf_counter()
                while True:
                    resp = client.get_partitions(
                        DatabaseName=DATABASE, TableName=ROW4_TABLE,
                        Expression=ROW4_EXPRESSION, **kwargs)
                    pages += 1
                    got.extend(tuple(p["Values"]) for p in resp.get("Partitions", []))
                    token = resp.get("NextToken")
                    if not token:
                        break
                    if token in seen_tokens:
                        raise RuntimeError(f"NextToken repeated after {pages} pages")
                    seen_tokens.add(token)
                    kwargs["NextToken"] = token
                elapsed = time.perf_counter() - t0
                res.listing_s.append(elapsed)
                res.listing_rows.append(len(got))
                res.listing_pages.append(pages)
                log(f"GetPartitions '{ROW4_EXPRESSION}' #{rep + 1}: {len(got)} rows, "
                    f"{pages} pages, {elapsed:.3f} s")
                if rep == 0:
                    res.listing_problems = check_listing(got, expected)
                    for p in res.listing_problems:
                        log(f"MISMATCH: {p}")

        run_step(res, "get_partitions", listing)

        def listing_raw() -> None:
            # The same listing through a bare HTTP client on one kept-alive connection, with the
            # stdlib's C JSON parser: what is left is (almost) the server's own time.
            for rep in range(sz.listing_repeats):
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
                rows, token = 0, None
                t0 = time.perf_counter()
                while True:
                    body: dict[str, Any] = {"DatabaseName": DATABASE, "TableName": ROW4_TABLE,
                                            "Expression": ROW4_EXPRESSION}
                    if token:
                        body["NextToken"] = token
                    conn.request("POST", "/", body=json.dumps(body), headers={
                        "X-Amz-Target": "AWSGlue.GetPartitions",
                        "Content-Type": "application/x-amz-json-1.1",
                        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/glue/aws4_request, "
                                         "SignedHeaders=host, Signature=0"})
                    resp = conn.getresponse()
                    data = json.loads(resp.read())
                    if resp.status != 200:
                        raise RuntimeError(f"raw GetPartitions: HTTP {resp.status}: {data}")
                    rows += len(data.get("Partitions", []))
                    token = data.get("NextToken")
                    if not token:
                        break
                elapsed = time.perf_counter() - t0
                conn.close()
                if rows != len(expected):
                    raise RuntimeError(f"raw GetPartitions returned {rows} rows, expected {len(expected)}")
                res.listing_raw_s.append(elapsed)
                log(f"GetPartitions raw HTTP #{rep + 1}: {rows} rows, {elapsed:.3f} s")

        run_step(res, "get_partitions_raw", listing_raw)
        res.rss_mib = srv.rss_mib()
    finally:
        client.close()
        srv.stop()
    return res


def check_listing(got: list[tuple[str, ...]], expected: set[tuple[str, ...]]) -> list[str]:
    problems = []
    if len(got) != len(expected):
        problems.append(f"returned {len(got):,} rows, expected exactly {len(expected):,}")
    got_set = set(got)
    if len(got_set) != len(got):
        problems.append(f"{len(got) - len(got_set):,} duplicate rows across pages")
    extra = got_set - expected
    if extra:
        problems.append(f"{len(extra):,} rows do not satisfy '{ROW4_EXPRESSION}', "
                        f"e.g. {sorted(extra)[0]}")
    missing = expected - got_set
    if missing:
        problems.append(f"{len(missing):,} expected rows missing, e.g. {sorted(missing)[0]}")
    return problems


# --------------------------------------------------------------------------
# report


def render(args: argparse.Namespace, sz: Sizes, cmdline: str, info: dict[str, str],
           results: dict[str, Result], servers: dict[str, Server]) -> str:
    lake, moto = results.get("lakebox"), results.get("moto")

    def cell(res: Result | None, key: str, value: float | None, fmt: Callable[[float], str],
             flag: str = "") -> str:
        if res is None:
            return "not run"
        if key in res.errors:
            return "error"
        if value is None:
            return "—"
        return fmt(value) + flag

    def val(res: Result | None, key: str, value: float | None) -> float | None:
        return None if res is None or key in res.errors else value

    rows = []
    # 1. startup
    rows.append((
        f"Start → first answered request (median of {sz.starts})",
        [(r, "startup", median_or_none(r.startup_ms) if r else None) for r in (lake, moto)],
        lambda v: f"{v:,.1f} ms",
        "",
    ))
    # 2. GetTable
    n = sz.get_table_calls
    rows.append((
        f"GetTable × {fmt_int(n)} (sequential)",
        [(r, "get_table", r.get_table_s if r else None) for r in (lake, moto)],
        lambda v: f"{v * 1000:,.0f} ms ({v * 1e6 / n:,.0f} µs/call)",
        "",
    ))
    # 3. BatchCreatePartition
    rows.append((
        f"BatchCreatePartition {fmt_int(sz.batch_partitions)} partitions "
        f"({sz.batch_partitions // 100} calls × 100)",
        [(r, "batch_create", r.batch_create_s if r else None) for r in (lake, moto)],
        lambda v: f"{v:,.2f} s",
        "",
    ))
    # 4. GetPartitions
    expected = sz.listing_partitions // ROW4_SHARDS
    rows.append((
        f"GetPartitions `{ROW4_EXPRESSION}` over {fmt_int(sz.listing_partitions)} partitions "
        f"→ {fmt_int(expected)} rows, all pages (median of {sz.listing_repeats})",
        [(r, "get_partitions", median_or_none(r.listing_s) if r else None) for r in (lake, moto)],
        lambda v: f"{v:,.3f} s",
        "get_partitions",
    ))
    # 5. the same listing without the SDK
    rows.append((
        f"Same GetPartitions listing through a bare HTTP client + `json.loads` (median of {sz.listing_repeats})",
        [(r, "get_partitions_raw", median_or_none(r.listing_raw_s) if r else None) for r in (lake, moto)],
        lambda v: f"{v * 1000:,.1f} ms",
        "",
    ))

    out = md_header(
        "Lakebox vs moto_server — Glue Data Catalog (boto3)", cmdline, info,
        [(name, r.version, servers[name].exe)
         for name, r in (("lakebox", lake), ("moto", moto)) if r is not None],
        f"Python {info['python']}, boto3 {boto3.__version__}, "
        f"botocore {botocore.__version__}; same client code for both servers, "
        "no retries, servers run one after the other")
    table = []
    for label, cells, fmt, check_key in rows:
        rendered, values = [], []
        for r, key, v in cells:
            flag = ""
            if check_key and r is not None and r.listing_problems:
                flag = " ⚠ wrong result"
            rendered.append(cell(r, key, v, fmt, flag))
            values.append(val(r, key, v))
        ratio = fmt_ratio(values[1], values[0])
        if check_key and any(r is not None and r.listing_problems for r, _, _ in cells):
            ratio += " (results differ)" if ratio != "—" else ""
        table.append([label, rendered[0], rendered[1], ratio])
    out += md_table(["Benchmark", "Lakebox", "moto", "moto / Lakebox"], "lrrr", table)

    notes = []
    for name, r in (("Lakebox", lake), ("moto", moto)):
        if r is None:
            continue
        if r.startup_ms:
            notes.append(f"{name} start samples: "
                         + ", ".join(f"{x:,.1f}" for x in r.startup_ms) + " ms")
        if r.get_table_client_cpu_s is not None:
            notes.append(f"{name} GetTable: the client itself (boto3 signing, HTTP, parsing) "
                         f"used {r.get_table_client_cpu_s * 1e6 / n:,.0f} µs CPU per call "
                         "of the wall time above")
        if r.listing_s:
            notes.append(
                f"{name} GetPartitions: {fmt_int(r.listing_rows[0])} rows in "
                f"{r.listing_pages[0]} page(s) (expected {fmt_int(expected)}); samples "
                + ", ".join(f"{x:.3f}" for x in r.listing_s) + " s")
        if r.setup_s is not None:
            notes.append(f"{name} setup (untimed above): {fmt_int(sz.listing_partitions)} "
                         f"partitions via BatchCreatePartition × 100 on {sz.setup_threads} "
                         f"threads in {r.setup_s:,.1f} s")
        if r.rss_mib is not None:
            notes.append(f"{name} server RSS after the run: {r.rss_mib:,.0f} MiB")
        for p in r.listing_problems:
            notes.append(f"**{name} GetPartitions result is wrong:** {p}")
        for k, e in r.errors.items():
            notes.append(f"**{name} {k} failed:** `{e}`")
    out += md_notes(notes)
    return "\n".join(out)


# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lakebox-bin", default=default_lakebox_bin(),
                    help="Lakebox binary (default: $LAKEBOX_BIN, else "
                         "/root/.cache/lakebox/target/release/lakebox, falling back to debug)")
    ap.add_argument("--moto-server", default=default_moto_server(),
                    help="moto_server executable (default: next to sys.executable)")
    ap.add_argument("--partitions", type=int, default=None,
                    help="partitions for the GetPartitions row (default 100000, "
                         "10000 with --quick); must be a multiple of 100")
    ap.add_argument("--quick", action="store_true",
                    help="scale every workload down 10x (smoke run)")
    ap.add_argument("--only", choices=["lakebox", "moto"], help="benchmark one server only")
    ap.add_argument("--starts", type=int, default=5, help="cold starts per server (median)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="GetPartitions listings per server (median)")
    ap.add_argument("--out", metavar="FILE", help="also write the Markdown report to FILE")
    args = ap.parse_args()

    scale = 10 if args.quick else 1
    partitions = args.partitions if args.partitions is not None else 100_000 // scale
    if partitions <= 0 or partitions % ROW4_SHARDS:
        ap.error("--partitions must be a positive multiple of 100")
    sz = Sizes(
        starts=args.starts,
        get_table_calls=1000 // scale,
        batch_partitions=10_000 // scale,
        listing_partitions=partitions,
        listing_repeats=args.repeats,
        setup_threads=8,
    )

    servers: dict[str, Server] = {}
    if args.only in (None, "lakebox"):
        exe = os.path.abspath(args.lakebox_bin)
        if not os.access(exe, os.X_OK):
            ap.error(f"Lakebox binary not found: {exe} (build it with "
                     "`cargo build --release -p lakebox`, pass --lakebox-bin, or use --only moto)")
        servers["lakebox"] = Server("lakebox", exe, LAKEBOX_HEALTH, tmp_prefix="glue-bench")
    if args.only in (None, "moto"):
        exe = os.path.abspath(args.moto_server)
        if not os.access(exe, os.X_OK):
            ap.error(f"moto_server not found: {exe} (pip install 'moto[server]', "
                     "pass --moto-server, or use --only lakebox)")
        servers["moto"] = Server("moto", exe, MOTO_HEALTH, tmp_prefix="glue-bench")

    install_cleanup()

    cmdline = shlex.join([sys.executable] + sys.argv)
    info = machine_info()
    results: dict[str, Result] = {}
    try:
        for name, srv in servers.items():
            print(f"== {name}: {srv.exe}", file=sys.stderr, flush=True)
            results[name] = bench_server(srv, sz)
    finally:
        cleanup_all()

    report = render(args, sz, cmdline, info, results, servers)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")
    failed = any(r.errors or r.listing_problems for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
