"""Checks the numbers of every report snapshot (tests/tests/e2e/snapshots/*.snap, taken by the Rust
test `snapshots::report_queries` over the taxi fixture) against DuckDB running the same `.sql`
file over the same fixture files, generated here with `lakebox fixtures ... --to file://`.
DuckDB never sees Lakebox: the snapshots are checked by an independent engine."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import lakebox_bin

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "tests" / "queries"
SNAPSHOTS = ROOT / "tests" / "tests" / "e2e" / "snapshots"
# The same fixture as CORPUS_FIXTURE in tests/tests/e2e/snapshots.rs.
FIXTURE = ["--rows", "20000", "--seed", "42", "--start", "2024-01", "--months", "3"]


@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    local = tmp_path_factory.mktemp("corpus")
    for args in (["taxi", *FIXTURE, "--to", f"file://{local}/trips"], ["zones", "--to", f"file://{local}/zones"]):
        proc = subprocess.run([lakebox_bin(), "fixtures", *args], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    con = duckdb.connect()
    con.execute(f"CREATE VIEW trips AS SELECT * FROM read_parquet('{local}/trips/**/*.parquet', "
                "hive_partitioning = true, hive_types_autocast = false)")
    con.execute(f"CREATE VIEW zones AS SELECT * FROM read_csv('{local}/zones/taxi_zone_lookup.csv', header = true)")
    return con


def snapshot_rows(path: Path) -> list[list[str | None]]:
    """The data rows of a snapshot rendered by `QueryResult::table`."""
    body = path.read_text().split("\n---\n", 1)[1].splitlines()
    rows = []
    for line in body[3:]:
        if line.startswith("(") and line.endswith(("row)", "rows)")):
            break
        rows.append([None if v.strip() == "NULL" else v.strip() for v in line.split(" | ")])
    return rows


def matches(snapshot: str | None, duck_value) -> bool:
    if snapshot is None or duck_value is None:
        return snapshot is None and duck_value is None
    if isinstance(duck_value, (int, float)) and not isinstance(duck_value, bool):
        got = float(snapshot)
        # Values the query rounds may land on the other side of a rounding step in another
        # engine's summation order: allow one unit of the snapshot's last decimal.
        decimals = len(snapshot.split(".")[1]) if "." in snapshot and "E" not in snapshot else 0
        step = 10.0 ** -decimals if decimals else 0.0
        return math.isclose(got, float(duck_value), rel_tol=1e-9, abs_tol=step + 1e-9)
    return snapshot == str(duck_value)


CASES = sorted(QUERIES.glob("*.sql"))


@pytest.mark.parametrize("query", CASES, ids=[c.stem for c in CASES])
def test_snapshot_numbers_match_duckdb(duck, query):
    snapshot = SNAPSHOTS / f"e2e__snapshots__report_queries@{query.name}.snap"
    assert snapshot.exists(), f"no snapshot for {query.name}: run the Rust snapshot test"
    got = snapshot_rows(snapshot)
    want = duck.execute(query.read_text()).fetchall()
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert len(g) == len(w), (g, w)
        for a, b in zip(g, w):
            assert matches(a, b), f"{query.name}: snapshot {g} vs DuckDB {w}"


def test_every_snapshot_has_its_query():
    snaps = {p.name.split("@", 1)[1][: -len(".snap")] for p in SNAPSHOTS.glob("e2e__snapshots__report_queries@*.snap")}
    assert snaps == {q.name for q in CASES}
