"""awswrangler (aws-sdk-pandas) against Lakebox, configured only with AWS_ENDPOINT_URL: datasets
written with wr.s3.to_parquet (append, overwrite, overwrite_partitions) and registered in Glue,
the wr.catalog readers, and wr.athena.read_sql_query in its three approaches (CTAS, plain, UNLOAD)
and read_sql_table. Expected values are the DataFrames the test wrote, computed with pandas."""

from __future__ import annotations

import boto3
import pandas as pd
import pytest

from conftest import unique_name


@pytest.fixture
def wr(lakebox_endpoint, monkeypatch):
    for key, value in {"AWS_ENDPOINT_URL": lakebox_endpoint, "AWS_ACCESS_KEY_ID": "test",
                       "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    import awswrangler

    awswrangler.config.athena_query_wait_polling_delay = 0.05
    return awswrangler


@pytest.fixture
def lake(wr):
    s3 = boto3.client("s3")
    name = unique_name("wr").replace("_", "-")
    s3.create_bucket(Bucket=name)
    db = unique_name("wrdb")
    wr.catalog.create_database(db)
    return {"bucket": name, "db": db, "path": f"s3://{name}/sales/", "output": f"s3://{name}/athena-results/"}


def sales(start: int, n: int, months: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "id": range(start, start + n),
        "amount": [round(i * 1.25, 2) for i in range(start, start + n)],
        "customer": [f"c{i % 7}" for i in range(start, start + n)],
        "month": [months[i % len(months)] for i in range(n)],
    })


def test_datasets_are_written_registered_and_appended(wr, lake):
    first = sales(0, 60, ["2024-01", "2024-02"])
    wr.s3.to_parquet(first, lake["path"], dataset=True, database=lake["db"], table="sales",
                     partition_cols=["month"], mode="overwrite")
    assert wr.catalog.does_table_exist(database=lake["db"], table="sales")
    types = wr.catalog.get_table_types(database=lake["db"], table="sales")
    assert types == {"id": "bigint", "amount": "double", "customer": "string", "month": "string"}
    partitions = wr.catalog.get_parquet_partitions(database=lake["db"], table="sales")
    assert sorted(v[0] for v in partitions.values()) == ["2024-01", "2024-02"]

    second = sales(60, 30, ["2024-02", "2024-03"])
    wr.s3.to_parquet(second, lake["path"], dataset=True, database=lake["db"], table="sales",
                     partition_cols=["month"], mode="append")
    both = pd.concat([first, second])
    got = wr.athena.read_sql_query("SELECT month, count(*) AS n, sum(amount) AS total FROM sales GROUP BY month ORDER BY month",
                                   database=lake["db"], s3_output=lake["output"])
    want = both.groupby("month").agg(n=("id", "size"), total=("amount", "sum")).reset_index()
    assert got["month"].tolist() == want["month"].tolist()
    assert got["n"].tolist() == want["n"].tolist()
    assert got["total"].tolist() == pytest.approx(want["total"].tolist())
    assert got.query_metadata["Statistics"]["DataManifestLocation"].endswith("-manifest.csv")
    # The CTAS temp table is dropped by awswrangler afterwards.
    assert not [t for t in wr.catalog.get_tables(database=lake["db"]) if t["Name"].startswith("temp_table_")]


def test_overwrite_partitions_replaces_only_the_partitions_written(wr, lake):
    wr.s3.to_parquet(sales(0, 40, ["a", "b"]), lake["path"], dataset=True, database=lake["db"], table="parts",
                     partition_cols=["month"], mode="overwrite")
    replacement = pd.DataFrame({"id": [1000], "amount": [9.5], "customer": ["z"], "month": ["b"]})
    wr.s3.to_parquet(replacement, lake["path"], dataset=True, database=lake["db"], table="parts",
                     partition_cols=["month"], mode="overwrite_partitions")
    df = wr.athena.read_sql_table("parts", database=lake["db"], s3_output=lake["output"])
    assert sorted(df[df.month == "b"]["id"].tolist()) == [1000]
    assert len(df[df.month == "a"]) == 20

    wr.s3.to_parquet(replacement.assign(month="c"), lake["path"], dataset=True, database=lake["db"], table="parts",
                     partition_cols=["month"], mode="overwrite")
    df = wr.athena.read_sql_query("SELECT * FROM parts", database=lake["db"], s3_output=lake["output"], ctas_approach=False)
    assert df["month"].tolist() == ["c"] and df["id"].tolist() == [1000]


def test_the_three_read_approaches_agree(wr, lake):
    df = sales(0, 250, ["x", "y", "z"])
    df["when"] = pd.to_datetime("2024-01-01") + pd.to_timedelta(df["id"], unit="h")
    wr.s3.to_parquet(df, lake["path"], dataset=True, database=lake["db"], table="events", mode="overwrite")
    sql = "SELECT id, amount, customer, month, \"when\" FROM events WHERE amount > 100 ORDER BY id"
    want = df[df.amount > 100].sort_values("id").reset_index(drop=True)
    results = {
        "ctas": wr.athena.read_sql_query(sql, database=lake["db"], s3_output=lake["output"]),
        "plain": wr.athena.read_sql_query(sql, database=lake["db"], s3_output=lake["output"], ctas_approach=False),
        "unload": wr.athena.read_sql_query(sql, database=lake["db"], s3_output=lake["output"] + "unload/",
                                           ctas_approach=False, unload_approach=True),
    }
    for approach, got in results.items():
        got = got.sort_values("id").reset_index(drop=True)
        assert got["id"].tolist() == want["id"].tolist(), approach
        assert got["amount"].tolist() == pytest.approx(want["amount"].tolist()), approach
        assert got["customer"].tolist() == want["customer"].tolist(), approach
        assert [pd.Timestamp(v) for v in got["when"]] == [pd.Timestamp(v) for v in want["when"]], approach


def test_catalog_readers(wr, lake):
    wr.s3.to_parquet(sales(0, 10, ["m"]), lake["path"], dataset=True, database=lake["db"], table="cat",
                     partition_cols=["month"], mode="overwrite",
                     glue_table_settings={"description": "sales by month", "columns_comments": {"amount": "in euros"}})
    table = wr.catalog.table(database=lake["db"], table="cat")
    assert table.set_index("Column Name").loc["amount", "Comment"] == "in euros"
    assert wr.catalog.get_table_description(database=lake["db"], table="cat") == "sales by month"
    assert wr.catalog.get_table_location(database=lake["db"], table="cat") == lake["path"]
    names = [t["Name"] for t in wr.catalog.get_tables(database=lake["db"], name_contains="ca")]
    assert names == ["cat"]
    assert wr.catalog.delete_table_if_exists(database=lake["db"], table="cat")
    assert not wr.catalog.delete_table_if_exists(database=lake["db"], table="cat")


def test_read_sql_query_without_an_output_location_uses_the_default_bucket(wr, lake):
    """With no s3_output and no workgroup location, awswrangler asks STS for the account and
    creates aws-athena-query-results-<account>-<region>, as it does on AWS."""
    wr.s3.to_parquet(sales(0, 12, ["2024-01"]), lake["path"], dataset=True, database=lake["db"], table="plain",
                     mode="overwrite")
    got = wr.athena.read_sql_query("SELECT count(*) AS n, sum(amount) AS total FROM plain", database=lake["db"])
    assert got["n"].tolist() == [12]
    assert got["total"].tolist() == pytest.approx([sum(round(i * 1.25, 2) for i in range(12))])
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert "aws-athena-query-results-000000000000-us-east-1" in buckets
