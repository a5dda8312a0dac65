#!/usr/bin/env python3
"""Fixture generation speed and memory, and the harness's start time, each with a reference.

- `lakebox fixtures taxi --rows N --to file://DIR` for each N in --rows (default 1M, 10M, 30M):
  rows per second and the process's peak RSS (from wait4's rusage), to show the generator streams
  (memory flat in the row count). Reference in the same run: DuckDB writing a 19-column table of
  N random rows (`COPY (SELECT ... FROM range(N)) TO ... (FORMAT PARQUET)`) with as many threads
  as cores.
- `Lakebox::start()` in-process (the harness's `start_time` example, 30 starts), against
  spawning `moto_server` until it answers (5 starts).

    cargo build --release -p lakebox --bin lakebox -p lakebox-harness --example start_time
    ~/.cache/lakebox/venv/bin/python bench/fixtures_and_start.py --out /tmp/fixtures_and_start.md
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common as c  # noqa: E402

try:
    import duckdb
except ImportError as e:  # pragma: no cover
    sys.exit(f"needs duckdb ({e}); run ./scripts/test --python once to create the venv")

DUCK_SELECT = (
    "SELECT (random() * 2)::INT + 1 AS vendorid, TIMESTAMP '2024-01-01' + to_seconds((random() * 7776000)::BIGINT) AS pickup, "
    "TIMESTAMP '2024-01-01' + to_seconds((random() * 7776000)::BIGINT) AS dropoff, (random() * 6)::BIGINT AS passenger_count, "
    "random() * 20 AS trip_distance, (random() * 5)::BIGINT AS ratecodeid, 'N' AS store_and_fwd_flag, "
    "(random() * 265)::INT AS pulocationid, (random() * 265)::INT AS dolocationid, (random() * 4)::BIGINT AS payment_type, "
    "random() * 60 AS fare_amount, random() AS extra, 0.5 AS mta_tax, random() * 10 AS tip_amount, random() AS tolls_amount, "
    "0.3 AS improvement_surcharge, random() * 80 AS total_amount, 2.5 AS congestion_surcharge, 0.0 AS airport_fee "
    "FROM range({n})"
)


def run_measured(argv: list[str]) -> tuple[float, float]:
    """Runs a process to completion; returns (seconds, peak RSS in MiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed: {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--start-time-bin", default=os.path.join(os.path.dirname(c.default_lakebox_bin()), "examples", "start_time"))
    p.add_argument("--moto-server", default=c.default_moto_server())
    p.add_argument("--rows", default="1000000,10000000,30000000")
    p.add_argument("--text-rows", type=int, default=10_000_000, help="rows for the CSV and JSON runs")
    p.add_argument("--out")
    args = p.parse_args()
    c.install_cleanup()
    info = c.machine_info()
    work = tempfile.mkdtemp(prefix="fixtures-bench-")
    c.register_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    rows_out, notes = [], []
    duck = duckdb.connect()
    duck.execute(f"SET threads = {os.cpu_count()}")
    runs = [(int(x), "parquet") for x in args.rows.split(",")] + [(args.text_rows, "csv"), (args.text_rows, "json")]
    for n, fmt in runs:
        target = os.path.join(work, f"taxi_{n}_{fmt}")
        elapsed, rss = run_measured([args.lakebox_bin, "fixtures", "taxi", "--rows", str(n), "--format", fmt,
                                     "--to", f"file://{target}"])
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(target) for f in fs)
        shutil.rmtree(target, ignore_errors=True)
        out = os.path.join(work, f"duck_{n}.{fmt}")
        t0 = time.perf_counter()
        duck_format = {"parquet": "PARQUET", "csv": "CSV", "json": "JSON"}[fmt]
        duck.execute(f"COPY ({DUCK_SELECT.format(n=n)}) TO '{out}' (FORMAT {duck_format})")
        d_elapsed = time.perf_counter() - t0
        d_size = os.path.getsize(out)
        os.remove(out)
        rows_out.append([f"{n:,}", fmt, f"{elapsed:.2f} s", f"{n / elapsed / 1e6:.2f} M rows/s", f"{rss:.0f} MiB",
                         f"{size / 1e6:,.0f} MB", f"{d_elapsed:.2f} s", f"{n / d_elapsed / 1e6:.2f} M rows/s",
                         f"{d_size / 1e6:,.0f} MB"])
    lines_start = []
    if os.path.exists(args.start_time_bin):
        proc = subprocess.run([args.start_time_bin], capture_output=True, text=True, timeout=300, check=True)
        lines_start = [line for line in proc.stdout.splitlines() if line.strip()]
    else:
        notes.append(f"start_time example not built ({args.start_time_bin})")
    moto_ms = []
    if os.path.exists(args.moto_server):
        for _ in range(5):
            srv = c.Server("moto", args.moto_server, "/moto-api/", tmp_prefix="fixtures-bench")
            moto_ms.append(srv.start())
            srv.stop()
    cmd = shlex.join([sys.executable, *sys.argv])
    lines = c.md_header(
        "Fixture generation and harness start", cmd, info,
        [("lakebox", "(this build)", args.lakebox_bin), ("DuckDB", duckdb.__version__, "python module")],
        "the generator writes Hive year=/month= folders, 1M rows per file, to a local dir; DuckDB writes one file of "
        "as many random rows in the same format with `threads` = nproc",
    )
    lines += c.md_table(["Trips", "Format", "lakebox fixtures", "rate", "peak RSS", "output", "DuckDB COPY",
                         "DuckDB rate", "DuckDB output"], "llrrrrrrr", rows_out)
    lines.append("")
    for line in lines_start:
        lines.append(f"- {line}")
    if moto_ms:
        lines.append(f"- reference, moto_server spawn until it answers: median {statistics.median(moto_ms):.0f} ms "
                     f"(samples {', '.join(f'{m:.0f}' for m in moto_ms)} ms)")
    lines += c.md_notes(notes)
    c.emit(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
