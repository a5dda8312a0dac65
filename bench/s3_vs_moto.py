#!/usr/bin/env python3
"""Lakebox vs moto_server: S3 PUT/GET throughput, with a local file copy as the limit.

Runs the *same* boto3 client code against a freshly started Lakebox and a
freshly started ``moto_server`` (one after the other, never concurrently,
each on a free 127.0.0.1 port with its own temp dir), and copies a file on
the same disk as the physical limit. Prints a Markdown table:

- PUT and GET of 1 KiB objects (500 sequential ops: ops/s and MiB/s),
  1 MiB objects (50 ops: MiB/s) and 256 MiB objects (2 ops: MiB/s). The
  256 MiB object is generated once in the temp dir (os.urandom, in chunks),
  PUT streams it from disk in a single put_object call, GET streams it to a
  file on disk in a single get_object call (no managed transfer). Each
  large row starts with one untimed operation of its kind (fresh memory is
  expensive the first time on a VM).
- a file copy of the large object with shutil.copyfile (the PUT analog) and
  a copy back of that copy (the GET analog), in MiB/s.

Every GET's bytes are checked (MD5 of what came back == MD5 of what was
put; PUT's ETag must be that MD5 too); mismatches are wrong results.

``--quick`` scales to 1 KiB x 100, 1 MiB x 10 and 32 MiB x 1.

Run it with a Python that has boto3 (and moto[server] for the moto side), e.g.

    /root/.cache/lakebox/venv/bin/python bench/s3_vs_moto.py --out /tmp/s3.md

Exit status: 0 on success, 1 if any server returned wrong bytes or a benchmark
step failed (the table is still printed), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    LAKEBOX_HEALTH, MOTO_HEALTH, REGION, Server, cleanup_all, default_lakebox_bin,
    default_moto_server, filesystem_of, fmt_int, fmt_ratio, install_cleanup, machine_info,
    md_header, md_notes, md_table, register_cleanup, run_step, server_version,
    stale_binary_warning,
)

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write(
        "boto3 is required; run with the venv python, e.g.\n"
        "  /root/.cache/lakebox/venv/bin/python bench/s3_vs_moto.py ...\n"
    )
    sys.exit(2)

KiB = 1024
MiB = 1024 * 1024
BUCKET = "lakebox-bench"
IO_CHUNK = 1 * MiB  # streaming granularity for the large object (disk <-> socket)
GEN_CHUNK = 8 * MiB  # os.urandom chunk when generating the large object
LARGE_GET_TARGET_PCT = 50.0  # the large GET should reach this share of the file copy
MIN_COPY_REPEATS = 3  # the file copy is the reference: at least this many copies even when N < 3
WRONG_EXAMPLES = 3

SERVER_LABEL = {"lakebox": "Lakebox", "moto": "moto"}


@dataclass
class Case:
    label: str  # "1 KiB"
    size: int
    n: int
    large: bool  # streamed from / to a file on disk

    @property
    def slug(self) -> str:
        return self.label.replace(" ", "").lower()

    def key(self, i: int | str) -> str:
        return f"bench/{self.slug}/{i:05d}" if isinstance(i, int) else f"bench/{self.slug}/{i}"


def size_label(size: int) -> str:
    if size % MiB == 0:
        return f"{size // MiB} MiB"
    if size % KiB == 0:
        return f"{size // KiB} KiB"
    return f"{size} B"


@dataclass
class Op:
    """One row (size x PUT/GET) for one server, or for the file copy."""
    case: Case
    op: str  # "PUT" | "GET"
    wall_s: float = 0.0  # sum of the timed operations
    client_cpu_s: float = 0.0  # this process's CPU time inside the timed operations
    server_cpu_s: float | None = None  # the server process's CPU over the whole phase
    done: int = 0
    samples_s: list[float] = field(default_factory=list)
    wrong: int = 0
    wrong_examples: list[str] = field(default_factory=list)
    conn_close: int = 0  # responses carrying `Connection: close`

    @property
    def key(self) -> str:
        return f"{self.case.label} {self.op}"

    def mib_s(self) -> float | None:
        return self.case.size * self.done / MiB / self.wall_s if self.done and self.wall_s > 0 else None

    def ops_s(self) -> float | None:
        return self.done / self.wall_s if self.done and self.wall_s > 0 else None

    def add_wrong(self, what: str) -> None:
        self.wrong += 1
        if len(self.wrong_examples) < WRONG_EXAMPLES:
            self.wrong_examples.append(what)

    def timed(self, warmup: bool = False) -> Any:
        return contextlib.nullcontext() if warmup else _Timed(self)


class _Timed:
    """Adds the wall and CPU time of its block to an Op (and counts one operation)."""

    def __init__(self, op: Op):
        self.op = op

    def __enter__(self) -> None:
        self.c0 = time.process_time()
        self.t0 = time.perf_counter()

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        elapsed = time.perf_counter() - self.t0
        cpu = time.process_time() - self.c0
        if exc_type is None:
            self.op.wall_s += elapsed
            self.op.client_cpu_s += cpu
            self.op.samples_s.append(elapsed)
            self.op.done += 1


@dataclass
class Result:
    version: str = "?"
    startup_ms: float | None = None
    ops: dict[str, Op] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    rss_mib: float | None = None
    peak_rss_mib: float | None = None
    data_dir_mib: float | None = None


class LargeReads:
    """A binary file whose read(n) returns at least IO_CHUNK bytes.

    urllib3 sends a file body in 16 KiB reads, one send() each; handing it 1 MiB
    per read keeps the client's Python overhead out of the PUT number (the bytes
    still stream from disk: at most one chunk is in memory)."""

    def __init__(self, f: Any):
        self._f = f

    def read(self, n: int | None = -1) -> bytes:
        return self._f.read(-1 if n is None or n < 0 else max(n, IO_CHUNK))

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def fileno(self) -> int:
        return self._f.fileno()


def file_md5(path: str) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MiB):
            h.update(chunk)
    return h.hexdigest()


def generate_file(path: str, size: int) -> str:
    """Write `size` random bytes to `path` in chunks; return their MD5."""
    h = hashlib.md5()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(GEN_CHUNK, left))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    return h.hexdigest()


def dir_usage_mib(path: str) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total / MiB


# --------------------------------------------------------------------------
# workloads (identical boto3 code for both servers)


def s3_client(endpoint: str, sdk_checksums: bool):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    s3cfg: dict[str, Any] = {"addressing_style": "path"}
    extra: dict[str, Any] = {}
    if not sdk_checksums:
        # Over plain HTTP botocore would SHA-256 every body to sign it, and by default it
        # also computes a CRC32 of every PUT body and checks one on every GET: client CPU
        # that is not the server's. The benchmark verifies MD5s itself, outside the timing.
        s3cfg["payload_signing_enabled"] = False
        extra = {"request_checksum_calculation": "when_required",
                 "response_checksum_validation": "when_required"}
    cfg = Config(
        retries={"total_max_attempts": 1},  # never hide a failure behind a retry
        max_pool_connections=4,  # sequential requests: one kept-alive connection is reused
        connect_timeout=10,
        read_timeout=600,
        s3=s3cfg,
        **extra,
    )
    return session.client("s3", endpoint_url=endpoint, config=cfg)


def _connection_close(resp: dict[str, Any]) -> bool:
    headers = resp.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return headers.get("connection", "").lower() == "close"


def _check_etag(op: Op, key: str, resp: dict[str, Any], md5: str) -> None:
    etag = str(resp.get("ETag", "")).strip('"')
    if etag != md5:
        op.add_wrong(f"PUT `{key}`: ETag {etag or '(none)'} ≠ MD5 {md5}")


def _check_body(op: Op, key: str, got_len: int, got_md5: str, size: int, md5: str) -> None:
    if got_len != size or got_md5 != md5:
        op.add_wrong(f"GET `{key}`: {got_len:,} bytes with MD5 {got_md5}, "
                     f"expected {size:,} bytes with MD5 {md5}")


def put_small(client, op: Op, bodies: list[bytes], md5s: list[str]) -> None:
    case = op.case
    for i, body in enumerate(bodies):
        key = case.key(i)
        with op.timed():
            resp = client.put_object(Bucket=BUCKET, Key=key, Body=body)
        op.conn_close += _connection_close(resp)
        _check_etag(op, key, resp, md5s[i])


def get_small(client, op: Op, md5s: list[str]) -> None:
    case = op.case
    for i, md5 in enumerate(md5s):
        key = case.key(i)
        with op.timed():
            resp = client.get_object(Bucket=BUCKET, Key=key)
            data = resp["Body"].read()
        op.conn_close += _connection_close(resp)
        _check_body(op, key, len(data), hashlib.md5(data).hexdigest(), case.size, md5)


# The large rows start with one untimed operation of the same kind: the first time a process
# (or the VM under it) touches a few hundred MiB of fresh memory costs far more than later
# rounds, and that would land on whichever operation comes first.
LARGE_WARMUP: list[int | str] = ["warmup"]


def put_large(client, op: Op, path: str, md5: str, warmup: bool = False) -> None:
    """PUT the large object N times (or, with `warmup`, once untimed)."""
    case = op.case
    for i in LARGE_WARMUP if warmup else range(case.n):
        key = case.key(i)
        with open(path, "rb") as f:
            with op.timed(warmup):
                resp = client.put_object(Bucket=BUCKET, Key=key, Body=LargeReads(f),
                                         ContentLength=case.size)
        op.conn_close += 0 if warmup else _connection_close(resp)
        _check_etag(op, key, resp, md5)


def get_large(client, op: Op, work: str, tag: str, md5: str, warmup: bool = False) -> None:
    """GET the large objects to a file (or, with `warmup`, the warm-up object, untimed)."""
    case = op.case
    for i in LARGE_WARMUP if warmup else range(case.n):
        key = case.key(i)
        out = os.path.join(work, f"get-{tag}-{case.slug}-{i}.bin")
        try:
            with op.timed(warmup):
                resp = client.get_object(Bucket=BUCKET, Key=key)
                with open(out, "wb") as f:
                    for chunk in resp["Body"].iter_chunks(IO_CHUNK):
                        f.write(chunk)
            op.conn_close += 0 if warmup else _connection_close(resp)
            _check_body(op, key, os.path.getsize(out), file_md5(out), case.size, md5)
        finally:
            if os.path.exists(out):
                os.remove(out)


def bench_server(srv: Server, cases: list[Case], work: str, large_path: str, large_md5: str,
                 sdk_checksums: bool) -> Result:
    res = Result()
    log = lambda msg: print(f"[{srv.name}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    all_keys = [f"{c.label} {o}" for c in cases for o in ("PUT", "GET")]

    def start() -> None:
        res.startup_ms = srv.start()
        res.version = server_version(srv)
        log(f"{res.version} listening on {srv.endpoint} after {res.startup_ms:.0f} ms")

    if not run_step(res.errors, "server", start):
        for k in all_keys:
            res.errors.setdefault(k, "server did not start")
        srv.stop()
        return res
    client = s3_client(srv.endpoint, sdk_checksums)
    try:
        def setup() -> None:
            client.create_bucket(Bucket=BUCKET)
            # Untimed warm-up: connection pool, botocore's caches, the server's first paths.
            for i in range(5):
                body = os.urandom(KiB)
                client.put_object(Bucket=BUCKET, Key=f"warmup/{i}", Body=body)
                got = client.get_object(Bucket=BUCKET, Key=f"warmup/{i}")["Body"].read()
                if got != body:
                    raise RuntimeError(f"warm-up object warmup/{i} came back different")

        if not run_step(res.errors, "setup", setup):
            for k in all_keys:
                res.errors.setdefault(k, "bucket setup failed")
            return res

        for case in cases:
            put, get = Op(case, "PUT"), Op(case, "GET")
            res.ops[put.key], res.ops[get.key] = put, get

            def phase(op: Op, fn: Callable[[], None], warmup: Callable[[], None] | None) -> bool:
                if warmup is not None and not run_step(res.errors, op.key, warmup):
                    res.errors[op.key] = "warm-up: " + res.errors[op.key]
                    return False
                c0 = srv.cpu_s()
                ok = run_step(res.errors, op.key, fn)
                c1 = srv.cpu_s()
                if c0 is not None and c1 is not None:
                    op.server_cpu_s = c1 - c0
                if ok:
                    rate = op.mib_s() or 0.0
                    extra = f", {op.ops_s():,.0f} ops/s" if not case.large else ""
                    log(f"{op.key} × {case.n}: {op.wall_s:.3f} s ({rate:,.1f} MiB/s{extra})"
                        + (f" — {op.wrong} WRONG" if op.wrong else ""))
                return ok

            if case.large:
                ok = phase(put, lambda: put_large(client, put, large_path, large_md5),
                           lambda: put_large(client, put, large_path, large_md5, warmup=True))
                get_fn: Callable[[], None] = lambda: get_large(  # noqa: E731
                    client, get, work, srv.name, large_md5)
                get_warmup: Callable[[], None] | None = lambda: get_large(  # noqa: E731
                    client, get, work, srv.name, large_md5, warmup=True)
            else:
                bodies = [os.urandom(case.size) for _ in range(case.n)]  # distinct per key
                md5s = [hashlib.md5(b).hexdigest() for b in bodies]
                ok = phase(put, lambda: put_small(client, put, bodies, md5s), None)
                get_fn = lambda: get_small(client, get, md5s)  # noqa: E731
                get_warmup = None
            if ok:
                phase(get, get_fn, get_warmup)
            else:
                res.errors[get.key] = "PUT failed"

        res.rss_mib, res.peak_rss_mib = srv.rss_mib(), srv.peak_rss_mib()
        if srv.name == "lakebox":
            res.data_dir_mib = dir_usage_mib(srv.data_dir)
    finally:
        client.close()
        srv.stop()
    return res


def bench_file_copy(case: Case, work: str, large_path: str, large_md5: str) -> Result:
    """shutil.copyfile of the large file (PUT analog), then of the copy (GET analog)."""
    res = Result()
    case = Case(case.label, case.size, max(case.n, MIN_COPY_REPEATS), large=True)
    put, get = Op(case, "PUT"), Op(case, "GET")
    res.ops[put.key], res.ops[get.key] = put, get
    names = LARGE_WARMUP + list(range(case.n))
    copies = [os.path.join(work, f"copy-{i}.bin") for i in names]

    def copy_out() -> None:
        for i, dst in zip(names, copies):
            with put.timed(i in LARGE_WARMUP):
                shutil.copyfile(large_path, dst)

    def copy_back() -> None:
        for i, src in zip(names, copies):
            back = os.path.join(work, f"readback-{i}.bin")
            try:
                with get.timed(i in LARGE_WARMUP):
                    shutil.copyfile(src, back)
                _check_body(get, back, os.path.getsize(back), file_md5(back), case.size, large_md5)
            finally:
                if os.path.exists(back):
                    os.remove(back)

    try:
        if run_step(res.errors, put.key, copy_out):
            run_step(res.errors, get.key, copy_back)
        else:
            res.errors[get.key] = "copy failed"
    finally:
        for c in copies:
            if os.path.exists(c):
                os.remove(c)
    for op in (put, get):
        if op.key not in res.errors:
            print(f"[file copy] {op.key} × {case.n}: {op.wall_s:.3f} s "
                  f"({op.mib_s() or 0:,.1f} MiB/s)", file=sys.stderr, flush=True)
    return res


# --------------------------------------------------------------------------
# report


def _op(res: Result | None, key: str) -> Op | None:
    if res is None or key in res.errors:
        return None
    return res.ops.get(key)


def render(cases: list[Case], cmdline: str, info: dict[str, str], results: dict[str, Result],
           copy: Result, servers: dict[str, Server], work_desc: str, sdk_checksums: bool,
           client_peak_rss_mib: float) -> str:
    lake, moto = results.get("lakebox"), results.get("moto")
    large = next(c for c in cases if c.large)

    def cell(res: Result | None, key: str, small: bool) -> str:
        if res is None:
            return "not run"
        if key in res.errors:
            return "error"
        op = res.ops.get(key)
        if op is None or op.mib_s() is None:
            return "—"
        text = (f"{op.ops_s():,.0f} ops/s · {op.mib_s():,.2f} MiB/s" if small
                else f"{op.mib_s():,.1f} MiB/s")
        return text + (" ⚠ wrong result" if op.wrong else "")

    def rate(res: Result | None, key: str) -> float | None:
        op = _op(res, key)
        return op.mib_s() if op is not None and not op.wrong else None

    rows = []
    for case in cases:
        for opname in ("PUT", "GET"):
            key = f"{case.label} {opname}"
            small = case.size < MiB
            lake_rate, moto_rate = rate(lake, key), rate(moto, key)
            if case.large:
                copy_cell = cell(copy, key, False)
                copy_rate = rate(copy, key)
                pct = "—"
                if lake_rate is not None and copy_rate:
                    p = 100.0 * lake_rate / copy_rate
                    pct = f"{p:,.0f} %"
                    if opname == "GET":
                        ok = p >= LARGE_GET_TARGET_PCT
                        pct += f" {'✓' if ok else '✗'} (target ≥ {LARGE_GET_TARGET_PCT:.0f} %)"
            else:
                copy_cell, pct = "—", "—"
            rows.append([f"{case.label} × {fmt_int(case.n)}", opname, cell(lake, key, small),
                         cell(moto, key, small), copy_cell, fmt_ratio(lake_rate, moto_rate), pct])

    # CPU per operation: what the client itself costs, and what the server burns.
    cpu_rows = []
    for case in cases:
        for opname in ("PUT", "GET"):
            key = f"{case.label} {opname}"
            row = [f"{case.label} {opname}"]
            for res in (lake, moto):
                op = _op(res, key)
                if op is None or not op.done:
                    row += ["—", "—"]
                    continue
                row.append(_cpu_cell(op.client_cpu_s, op))
                row.append("—" if op.server_cpu_s is None else _cpu_cell(op.server_cpu_s, op))
            cpu_rows.append(row)

    server_list = [(name, r.version, servers[name].exe)
                   for name, r in (("lakebox", lake), ("moto", moto)) if r is not None]
    checksums = ("boto3's default checksums (SHA-256 payload signing over HTTP, CRC32 on PUT, "
                 "CRC32 validation on GET)" if sdk_checksums else
                 "`UNSIGNED-PAYLOAD`, no SDK checksums (`--sdk-checksums` for boto3's defaults)")
    out = md_header(
        "Lakebox vs moto_server — S3 PUT/GET throughput (boto3)", cmdline, info, server_list,
        f"Python {info['python']}, boto3 {boto3.__version__}, botocore {botocore.__version__}; "
        "path-style addressing, one HTTP keep-alive connection pool, sequential requests, "
        f"no retries, one `put_object`/`get_object` per object (no managed transfer), {checksums}; "
        "same client code for both servers, servers run one after the other",
        extra=[
            work_desc,
            f"Objects: random bytes, a distinct body per key; the {large.label} object is generated "
            f"once in the work dir and streamed from it by PUT ({IO_CHUNK // MiB} MiB reads); "
            f"its GET streams to a file in the work dir; each {large.label} row (file copy too) "
            "starts with one untimed operation of its kind; every GET's MD5 is checked",
        ])
    out += md_table(
        ["Size × N", "Op", "Lakebox", "moto", "file copy", "Lakebox / moto",
         "Lakebox as % of file copy"], "llrrrrr", rows)
    out.append("CPU time per timed operation, and its share of the wall time (client: this Python "
               "process inside the timed calls — boto3, HTTP, file I/O; server: the server "
               "process, all threads, from the first to the last timed call, in 10 ms ticks):\n")
    out += md_table(["Row", "Lakebox client", "Lakebox server", "moto client", "moto server"],
                    "lrrrr", cpu_rows)

    notes = []
    warn = stale_binary_warning(servers["lakebox"].exe) if "lakebox" in servers else None
    if warn:
        notes.append(f"**Warning:** {warn}")
    for key in (f"{large.label} PUT", f"{large.label} GET"):
        op = _op(copy, key)
        if op is not None:
            what = "copy of the generated file" if key.endswith("PUT") else "copy of that copy"
            notes.append(f"File copy {key.split()[-1]} analog (`shutil.copyfile`, {what}, "
                         f"× {op.case.n}) samples: "
                         + ", ".join(f"{s:.3f}" for s in op.samples_s) + " s")
    for p in _wrong_notes("File copy", copy):
        notes.append(p)
    for k, e in copy.errors.items():
        notes.append(f"**File copy {k} failed:** `{e}`")
    for name, r in (("Lakebox", lake), ("moto", moto)):
        if r is None:
            continue
        if r.startup_ms is not None:
            notes.append(f"{name} answered its first request {r.startup_ms:,.0f} ms after spawn")
        lat = []
        for case in cases:
            if case.large:
                continue
            for opname in ("PUT", "GET"):
                op = _op(r, f"{case.label} {opname}")
                if op is not None and op.samples_s:
                    lat.append(f"{op.key} {_latency(op.samples_s)}")
        if lat:
            notes.append(f"{name} latency per request (median / p90 / max): " + "; ".join(lat))
        for key in (f"{large.label} PUT", f"{large.label} GET"):
            op = _op(r, key)
            if op is not None and op.samples_s:
                notes.append(f"{name} {key} samples: "
                             + ", ".join(f"{s:.3f}" for s in op.samples_s) + " s")
        closes = [(op.key, op.conn_close, op.done) for op in r.ops.values() if op.done]
        total_close = sum(c for _, c, _ in closes)
        total = sum(d for _, _, d in closes)
        if total:
            if total_close == total:
                notes.append(f"{name} answered every request with `Connection: close`, so each "
                             "one opened a new TCP connection")
            elif total_close:
                notes.append(f"{name} answered {total_close:,} of {total:,} timed requests with "
                             "`Connection: close`")
            else:
                notes.append(f"{name} kept the connection alive for every request")
        if r.rss_mib is not None:
            notes.append(f"{name} server RSS after the run: {r.rss_mib:,.0f} MiB "
                         f"(peak {r.peak_rss_mib or 0:,.0f} MiB)")
        if r.data_dir_mib is not None:
            stored = (sum(c.size * c.n for c in cases) + len(LARGE_WARMUP) * large.size
                      + 5 * KiB) / MiB
            notes.append(f"{name} data dir after the run: {r.data_dir_mib:,.0f} MiB on disk "
                         f"for {stored:,.0f} MiB of objects")
        notes.extend(_wrong_notes(name, r))
        for k, e in r.errors.items():
            notes.append(f"**{name} {k} failed:** `{e}`")
    notes.append(f"Client peak RSS (this Python process, whole run): {client_peak_rss_mib:,.0f} MiB")
    out += md_notes(notes)
    return "\n".join(out)


def _latency(samples: list[float]) -> str:
    xs = sorted(samples)
    p90 = xs[min(len(xs) - 1, int(0.9 * len(xs)))]
    return f"{statistics.median(xs) * 1e3:,.1f} / {p90 * 1e3:,.1f} / {xs[-1] * 1e3:,.1f} ms"


def _cpu_cell(seconds: float, op: Op) -> str:
    per_op = seconds / op.done
    share = 100.0 * seconds / op.wall_s if op.wall_s > 0 else 0.0
    if per_op >= 1.0:
        value = f"{per_op:,.2f} s"
    elif per_op >= 1e-3:
        value = f"{per_op * 1e3:,.1f} ms"
    else:
        value = f"{per_op * 1e6:,.0f} µs"
    return f"{value} ({share:,.0f} %)"


def _wrong_notes(name: str, r: Result) -> list[str]:
    out = []
    for op in r.ops.values():
        if op.wrong:
            out.append(f"**{name} {op.key}: {op.wrong:,} of {op.done:,} operations returned "
                       "wrong results**, e.g. " + "; ".join(op.wrong_examples))
    return out


# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lakebox-bin", default=default_lakebox_bin(),
                    help="Lakebox binary (default: $LAKEBOX_BIN, else "
                         "/root/.cache/lakebox/target/release/lakebox, falling back to debug)")
    ap.add_argument("--moto-server", default=default_moto_server(),
                    help="moto_server executable (default: next to sys.executable)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 KiB x 100, 1 MiB x 10, 32 MiB x 1")
    ap.add_argument("--large-mib", type=int, default=None,
                    help="size of the large object in MiB (default 256, 32 with --quick)")
    ap.add_argument("--only", choices=["lakebox", "moto"], help="benchmark one server only "
                    "(the file copy always runs)")
    ap.add_argument("--sdk-checksums", action="store_true",
                    help="keep boto3's default checksums and payload signing "
                         "(default: UNSIGNED-PAYLOAD, checksums only when required)")
    ap.add_argument("--out", metavar="FILE", help="also write the Markdown report to FILE")
    args = ap.parse_args()

    if args.quick:
        small_n, mid_n, large_mib, large_n = 100, 10, 32, 1
    else:
        small_n, mid_n, large_mib, large_n = 500, 50, 256, 2
    if args.large_mib is not None:
        if args.large_mib <= 1:
            ap.error("--large-mib must be larger than 1")
        large_mib = args.large_mib
    cases = [
        Case(size_label(KiB), KiB, small_n, large=False),
        Case(size_label(MiB), MiB, mid_n, large=False),
        Case(size_label(large_mib * MiB), large_mib * MiB, large_n, large=True),
    ]

    servers: dict[str, Server] = {}
    tmp_env = {"TMPDIR": "{tmpdir}"}  # moto spools large bodies to temp files: keep them in its dir
    if args.only in (None, "lakebox"):
        exe = os.path.abspath(args.lakebox_bin)
        if not os.access(exe, os.X_OK):
            ap.error(f"Lakebox binary not found: {exe} (build it with "
                     "`cargo build --release -p lakebox`, pass --lakebox-bin, or use --only moto)")
        servers["lakebox"] = Server("lakebox", exe, LAKEBOX_HEALTH, tmp_prefix="s3-bench",
                                    extra_env=tmp_env)
        warn = stale_binary_warning(exe)
        if warn:
            print(f"warning: {warn}", file=sys.stderr)
    if args.only in (None, "moto"):
        exe = os.path.abspath(args.moto_server)
        if not os.access(exe, os.X_OK):
            ap.error(f"moto_server not found: {exe} (pip install 'moto[server]', "
                     "pass --moto-server, or use --only lakebox)")
        servers["moto"] = Server("moto", exe, MOTO_HEALTH, tmp_prefix="s3-bench", extra_env=tmp_env)

    install_cleanup()
    cmdline = shlex.join([sys.executable] + sys.argv)
    info = machine_info()
    work = tempfile.mkdtemp(prefix="s3-bench-work-")
    register_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    work_desc = (f"Work dir: `{work}` on {filesystem_of(work)}; servers' temp dirs on "
                 f"{filesystem_of(tempfile.gettempdir())}")
    results: dict[str, Result] = {}
    try:
        large = cases[-1]
        large_path = os.path.join(work, f"object-{large.slug}.bin")
        t0 = time.perf_counter()
        large_md5 = generate_file(large_path, large.size)
        print(f"== generated {large.label} of random bytes in {time.perf_counter() - t0:.1f} s: "
              f"{large_path}", file=sys.stderr, flush=True)
        print("== file copy", file=sys.stderr, flush=True)
        copy = bench_file_copy(large, work, large_path, large_md5)
        for name, srv in servers.items():
            print(f"== {name}: {srv.exe}", file=sys.stderr, flush=True)
            results[name] = bench_server(srv, cases, work, large_path, large_md5,
                                         args.sdk_checksums)
    finally:
        cleanup_all()

    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    report = render(cases, cmdline, info, results, copy, servers, work_desc, args.sdk_checksums,
                    client_peak)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report + "\n")
    failed = any(r.errors or any(op.wrong for op in r.ops.values())
                 for r in [*results.values(), copy])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
