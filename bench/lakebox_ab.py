#!/usr/bin/env python3
"""Lakebox against Lakebox: the report (or functions) queries of athena_vs_duckdb.py under two or
more variants (a binary and DataFusion settings), to decide whether a change or a setting helps.

Each variant gets a fresh Lakebox with the same taxi fixture (same seed, loaded untimed); the
variants run one after the other, --rounds times in alternation, so drifts of the machine fall on
all of them. A cell is the median of --repeats runs after a warm-up. The reference is the first
variant, measured in the same run.

    ~/.cache/lakebox/venv/bin/python bench/lakebox_ab.py --rows 10000000 \\
        --variant 'default' \\
        --variant 'batch 32k|datafusion.execution.batch_size=32768'
    # two builds: --variant 'before|/path/to/old/lakebox|' --variant 'after|/path/to/new/lakebox|'

A variant is `label`, `label|SETTINGS`, `label|BINARY|SETTINGS` or `label|BINARY|SETTINGS|ENV`,
where SETTINGS is what LAKEBOX_DATAFUSION_CONFIG takes (`key=value;key=value`) and ENV more
environment for the server (`NAME=value;NAME=value`, e.g. `LAKEBOX_NO_MMAP=1`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
import _common as c  # noqa: E402
import athena_vs_duckdb as avd  # noqa: E402


def parse_variant(text: str, default_bin: str) -> tuple[str, str, str, dict[str, str]]:
    parts = text.split("|")
    if len(parts) == 1:
        return parts[0], default_bin, "", {}
    if len(parts) == 2:
        return parts[0], default_bin, parts[1], {}
    env = dict(item.split("=", 1) for item in parts[3].split(";") if item) if len(parts) > 3 else {}
    return parts[0], parts[1] or default_bin, parts[2], env


def run_variant(binary: str, settings: str, env: dict[str, str], rows: int, repeats: int,
                queries, file_format: str = "parquet") -> dict[str, float]:
    srv = c.Server("lakebox", binary, c.LAKEBOX_HEALTH, tmp_prefix="lakebox-ab",
                   extra_env={"LAKEBOX_DATAFUSION_CONFIG": settings, **env})
    srv.start()
    try:
        avd.load_lakebox(binary, srv.endpoint, rows, file_format)
        athena = avd.Athena(srv.endpoint, "bench")
        out = {}
        for name, sql, _ in queries:
            athena.run(sql)
            out[name] = statistics.median(athena.run(sql)[0] for _ in range(repeats)) * 1000
        return out, srv.peak_rss_mib()
    finally:
        srv.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lakebox-bin", default=c.default_lakebox_bin())
    p.add_argument("--variant", action="append", required=True, help="label[|BINARY]|SETTINGS[|ENV] (repeatable)")
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--suite", choices=list(avd.SUITES), default="reports")
    p.add_argument("--format", choices=["parquet", "csv", "json"], default="parquet",
                   help="the trips' files: Parquet, LazySimpleSerDe text or OpenX JSON (the fixture's formats)")
    p.add_argument("--out")
    args = p.parse_args()
    c.install_cleanup()
    info = c.machine_info()
    variants = [parse_variant(v, args.lakebox_bin) for v in args.variant]
    queries = avd.SUITES[args.suite]
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _, _, _ in variants}
    peaks: dict[str, list[float]] = {label: [] for label, _, _, _ in variants}
    for _ in range(args.rounds):
        for label, binary, settings, env in variants:
            times, peak = run_variant(binary, settings, env, args.rows, args.repeats, queries, args.format)
            results[label].append(times)
            peaks[label].append(peak)
    labels = [label for label, _, _, _ in variants]
    header = ["Query"] + [f"{label} (round {r + 1})" for label in labels for r in range(args.rounds)]
    rows = []
    for name, _, _ in [*queries, ("suite", None, None)]:
        cells = []
        for label in labels:
            for run in results[label]:
                value = sum(run.values()) if name == "suite" else run[name]
                cells.append(f"{value:,.1f} ms")
        rows.append([name, *cells])
    rows.append(["peak RSS of the server", *(f"{p:,.0f} MiB" if p is not None else "?" for label in labels for p in peaks[label])])
    lines = c.md_header(f"Lakebox variants — {args.suite} queries, {args.rows:,} trips ({args.format})",
                        " ".join([sys.executable, *sys.argv]), info,
                        [("lakebox", "see variants", binary) for _, binary, _, _ in variants[:1]],
                        f"boto3; medians of {args.repeats} runs after a warm-up, {args.rounds} alternating rounds",
                        [f"variant `{label}`: `{binary}` with `LAKEBOX_DATAFUSION_CONFIG={settings!r}`"
                         + "".join(f" `{k}={v}`" for k, v in env.items())
                         for label, binary, settings, env in variants])
    lines += c.md_table(header, "l" + "r" * (len(header) - 1), rows)
    c.emit(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
