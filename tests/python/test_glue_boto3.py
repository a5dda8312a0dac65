"""End-to-end tests of Lakebox's Glue Data Catalog API through real boto3.

Every expected value is derived from the test's own inputs, never from what
Lakebox returned earlier.  AWS facts relied on are cited in the docstrings
("botocore model" = the Glue service-2.json shipped with botocore, whose
documentation strings are the AWS API reference).

Where AWS behaviour is not documented precisely, the tests assert the weaker
thing and say so in a comment.
"""

from __future__ import annotations

import copy
import datetime as dt
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

import pytest
from botocore.exceptions import ClientError

from conftest import make_glue_client, raw_glue_request, unique_name

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

# Real AWS rejects model-constraint violations (length limits, list sizes)
# with "ValidationException: 1 validation error detected: ..." (seen e.g. for
# BatchDeletePartition with >25 entries); Glue's own checks raise
# InvalidInputException.  Either is a correct 400 for a too-long/too-many input.
INVALID = ("InvalidInputException", "ValidationException")

PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"

COLUMNS = [
    {"Name": "id", "Type": "bigint", "Comment": "primary key"},
    {"Name": "name", "Type": "string"},
    {"Name": "amount", "Type": "decimal(10,2)", "Comment": "in EUR"},
]
PARTITION_KEYS = [
    {"Name": "year", "Type": "string"},
    {"Name": "month", "Type": "int"},
]
SERDE = {
    "Name": "parquet-serde",
    "SerializationLibrary": PARQUET_SERDE,
    "Parameters": {"serialization.format": "1"},
}


def assert_error(err: ClientError, codes: str | Iterable[str], status: int = 400) -> None:
    """Assert a botocore ClientError has one of ``codes`` and HTTP ``status``."""
    if isinstance(codes, str):
        codes = (codes,)
    code = err.response["Error"]["Code"]
    http = err.response["ResponseMetadata"]["HTTPStatusCode"]
    assert code in codes, f"expected {codes}, got {code}: {err}"
    assert http == status, f"expected HTTP {status}, got {http}: {err}"


def storage_descriptor(location: str, columns=COLUMNS) -> dict:
    return {
        "Columns": copy.deepcopy(columns),
        "Location": location,
        "InputFormat": PARQUET_IN,
        "OutputFormat": PARQUET_OUT,
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": copy.deepcopy(SERDE),
        "BucketColumns": [],
        "SortColumns": [],
        "Parameters": {"sd.param": "sd-value"},
        "StoredAsSubDirectories": False,
    }


def table_input(name: str, description: str = "test table", partition_keys=PARTITION_KEYS, **extra) -> dict:
    ti = {
        "Name": name,
        "Description": description,
        "Owner": "lakebox-tests",
        "Retention": 0,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
        "StorageDescriptor": storage_descriptor(f"s3://lakebox-tests/{name}/"),
        "PartitionKeys": copy.deepcopy(partition_keys),
    }
    ti.update(extra)
    return ti


def partition_input(table: str, values: list[str], with_sd: bool = True, **extra) -> dict:
    pi: dict[str, Any] = {"Values": list(values), "Parameters": {"p.created.by": "tests"}}
    if with_sd:
        pi["StorageDescriptor"] = storage_descriptor(partition_location(table, values))
    pi.update(extra)
    return pi


def partition_location(table: str, values: list[str]) -> str:
    return f"s3://lakebox-tests/{table}/" + "/".join(f"p{i}={v}" for i, v in enumerate(values)) + "/"


def _empty_like(value: Any) -> Any:
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return None


def assert_fields_equal(expected: dict, actual: dict, what: str) -> None:
    """Compare every field of ``expected`` with ``actual``, one by one.

    An empty list/map in ``expected`` also matches an absent field (AWS omits
    empty collections in some responses).
    """
    for key, want in expected.items():
        got = actual.get(key, _empty_like(want))
        assert got == want, f"{what}.{key}: expected {want!r}, got {got!r}"


def assert_table_matches(expected_input: dict, table: dict, database: str) -> None:
    assert table["Name"] == expected_input["Name"].lower()
    assert table["DatabaseName"] == database
    for key in ("Description", "Owner", "Retention", "TableType", "Parameters", "PartitionKeys"):
        if key in expected_input:
            want = expected_input[key]
            assert table.get(key, _empty_like(want)) == want, f"Table.{key}"
    exp_sd = expected_input["StorageDescriptor"]
    got_sd = table["StorageDescriptor"]
    assert_fields_equal({k: v for k, v in exp_sd.items() if k != "SerdeInfo"}, got_sd, "StorageDescriptor")
    assert_fields_equal(exp_sd["SerdeInfo"], got_sd["SerdeInfo"], "StorageDescriptor.SerdeInfo")


def collect_pages(call: Callable[..., dict], key: str, **kwargs: Any) -> tuple[list, int]:
    """Call a paginated Glue operation following NextToken; return (items, pages)."""
    items: list = []
    pages = 0
    token = None
    while True:
        kw = dict(kwargs)
        if token:
            kw["NextToken"] = token
        resp = call(**kw)
        page = resp.get(key, [])
        if "MaxResults" in kwargs:
            assert len(page) <= kwargs["MaxResults"], f"page of {len(page)} > MaxResults"
        items.extend(page)
        pages += 1
        token = resp.get("NextToken")
        if not token:
            return items, pages
        assert pages < 10_000, "NextToken never ends"


def partition_values_of(partitions: list[dict]) -> list[tuple[str, ...]]:
    return [tuple(p["Values"]) for p in partitions]


def all_partitions(glue, db: str, table: str, **kwargs: Any) -> list[dict]:
    items, _ = collect_pages(glue.get_partitions, "Partitions", DatabaseName=db, TableName=table, **kwargs)
    return items


def current_version(glue, db: str, table: str) -> str:
    return glue.get_table(DatabaseName=db, Name=table)["Table"]["VersionId"]


def table_versions(glue, db: str, table: str) -> dict[str, dict]:
    items, _ = collect_pages(glue.get_table_versions, "TableVersions", DatabaseName=db, TableName=table)
    return {v["VersionId"]: v["Table"] for v in items}


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture
def db(glue):
    """A fresh, empty database; dropped again after the test."""
    name = unique_name("db")
    glue.create_database(DatabaseInput={"Name": name})
    yield name
    try:
        glue.delete_database(Name=name)
    except ClientError:
        pass


@pytest.fixture
def table(glue, db):
    """(database, table) for a table partitioned by year (string), month (int)."""
    name = unique_name("tbl")
    glue.create_table(DatabaseName=db, TableInput=table_input(name))
    return db, name


YEARS = ["2019", "2023", "2024"]
MONTHS = list(range(1, 13))
ALL_YM = [(y, m) for y in YEARS for m in MONTHS]


@pytest.fixture(scope="module")
def ym_table(glue):
    """A table with 36 partitions: year in YEARS x month 1..12 (read-only)."""
    dbn = unique_name("ym")
    tbl = "events"
    glue.create_database(DatabaseInput={"Name": dbn})
    glue.create_table(DatabaseName=dbn, TableInput=table_input(tbl))
    resp = glue.batch_create_partition(
        DatabaseName=dbn,
        TableName=tbl,
        PartitionInputList=[partition_input(tbl, [y, str(m)]) for y, m in ALL_YM],
    )
    assert not resp.get("Errors"), resp.get("Errors")
    yield dbn, tbl
    try:
        glue.delete_database(Name=dbn)
    except ClientError:
        pass


# ==========================================================================
# Databases
# ==========================================================================


def test_create_and_get_database(glue):
    name = unique_name("db")
    di = {
        "Name": name,
        "Description": "sales data",
        "LocationUri": f"s3://lakebox-tests/{name}/",
        "Parameters": {"owner": "analytics", "tier": "gold"},
    }
    assert glue.create_database(DatabaseInput=di)["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = glue.get_database(Name=name)["Database"]
    assert_fields_equal(di, got, "Database")
    assert isinstance(got["CreateTime"], dt.datetime)


def test_get_databases_paging(glue):
    prefix = unique_name("page")
    expected = {f"{prefix}_{i}" for i in range(7)}
    for n in sorted(expected):
        glue.create_database(DatabaseInput={"Name": n})
    items, pages = collect_pages(glue.get_databases, "DatabaseList", MaxResults=3)
    names = [d["Name"] for d in items]
    assert len(names) == len(set(names)), "a database was returned twice across pages"
    assert {n for n in names if n.startswith(prefix)} == expected
    assert pages >= 3  # at least 7 databases, at most 3 per page


def test_update_database(glue, db):
    new = {
        "Name": db,
        "Description": "updated description",
        "LocationUri": f"s3://lakebox-tests/{db}/v2/",
        "Parameters": {"k": "v2"},
    }
    glue.update_database(Name=db, DatabaseInput=new)
    got = glue.get_database(Name=db)["Database"]
    assert_fields_equal(new, got, "Database")


def test_delete_database_drops_its_tables(glue):
    """DeleteDatabase: "you no longer have access to the tables ... in the
    deleted database" (botocore model, DeleteDatabase)."""
    name = unique_name("db")
    glue.create_database(DatabaseInput={"Name": name})
    glue.create_table(DatabaseName=name, TableInput=table_input("orders"))
    glue.create_partition(DatabaseName=name, TableName="orders", PartitionInput=partition_input("orders", ["2024", "1"]))

    glue.delete_database(Name=name)

    with pytest.raises(ClientError) as ei:
        glue.get_database(Name=name)
    assert_error(ei.value, "EntityNotFoundException")
    with pytest.raises(ClientError) as ei:
        glue.get_table(DatabaseName=name, Name="orders")
    assert_error(ei.value, "EntityNotFoundException")

    glue.create_database(DatabaseInput={"Name": name})
    try:
        assert glue.get_tables(DatabaseName=name)["TableList"] == []
    finally:
        glue.delete_database(Name=name)


def test_database_name_is_folded_to_lower_case(glue):
    """DatabaseInput.Name: "For Hive compatibility, this is folded to lowercase
    when it is stored" (botocore model)."""
    mixed = "MyDB_" + unique_name("X").upper()
    lower = mixed.lower()
    glue.create_database(DatabaseInput={"Name": mixed})
    try:
        got = glue.get_database(Name=lower)["Database"]
        assert got["Name"] == lower
        listed = {d["Name"] for d in collect_pages(glue.get_databases, "DatabaseList")[0]}
        assert lower in listed and mixed not in listed
        # The folded name is the identity: creating it again in lower case clashes.
        with pytest.raises(ClientError) as ei:
            glue.create_database(DatabaseInput={"Name": lower})
        assert_error(ei.value, "AlreadyExistsException")
    finally:
        glue.delete_database(Name=lower)


def test_create_duplicate_database(glue, db):
    with pytest.raises(ClientError) as ei:
        glue.create_database(DatabaseInput={"Name": db})
    assert_error(ei.value, "AlreadyExistsException")


@pytest.mark.parametrize(
    "call",
    [
        lambda g, n: g.get_database(Name=n),
        lambda g, n: g.delete_database(Name=n),
        lambda g, n: g.update_database(Name=n, DatabaseInput={"Name": n}),
        lambda g, n: g.get_tables(DatabaseName=n),
        lambda g, n: g.create_table(DatabaseName=n, TableInput=table_input("t")),
    ],
    ids=["get", "delete", "update", "get_tables", "create_table"],
)
def test_missing_database_is_entity_not_found(glue, call):
    with pytest.raises(ClientError) as ei:
        call(glue, unique_name("nope"))
    assert_error(ei.value, "EntityNotFoundException")


def test_database_name_length_limit(glue):
    """DatabaseInput.Name is a NameString of length 1..255 (botocore model)."""
    with pytest.raises(ClientError) as ei:
        glue.create_database(DatabaseInput={"Name": "a" * 256})
    assert_error(ei.value, INVALID)

    longest = ("b" * 243) + unique_name("")[1:]  # exactly 255 characters
    assert len(longest) == 255
    glue.create_database(DatabaseInput={"Name": longest})
    assert glue.get_database(Name=longest)["Database"]["Name"] == longest
    glue.delete_database(Name=longest)


# ==========================================================================
# Tables
# ==========================================================================


def test_create_table_round_trip(glue, db):
    ti = table_input("orders", description="all orders")
    glue.create_table(DatabaseName=db, TableInput=ti)
    t = glue.get_table(DatabaseName=db, Name="orders")["Table"]
    assert_table_matches(ti, t, db)
    assert isinstance(t["CreateTime"], dt.datetime)
    # The documented pieces asked for explicitly, spelled out:
    assert t["StorageDescriptor"]["Columns"] == COLUMNS
    assert t["StorageDescriptor"]["Location"] == "s3://lakebox-tests/orders/"
    assert t["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"serialization.format": "1"}
    assert t["PartitionKeys"] == [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "int"}]
    assert t["Parameters"] == {"classification": "parquet", "EXTERNAL": "TRUE"}


def test_table_name_is_folded_to_lower_case(glue, db):
    """TableInput.Name: "folded to lowercase when it is stored" (botocore model)."""
    glue.create_table(DatabaseName=db, TableInput=table_input("Sales_Mixed"))
    t = glue.get_table(DatabaseName=db, Name="sales_mixed")["Table"]
    assert t["Name"] == "sales_mixed"
    names = [x["Name"] for x in glue.get_tables(DatabaseName=db)["TableList"]]
    assert names == ["sales_mixed"]


def test_table_errors(glue, db):
    glue.create_table(DatabaseName=db, TableInput=table_input("t1"))
    with pytest.raises(ClientError) as ei:
        glue.create_table(DatabaseName=db, TableInput=table_input("t1"))
    assert_error(ei.value, "AlreadyExistsException")
    with pytest.raises(ClientError) as ei:
        glue.get_table(DatabaseName=db, Name="no_such_table")
    assert_error(ei.value, "EntityNotFoundException")
    with pytest.raises(ClientError) as ei:
        glue.delete_table(DatabaseName=db, Name="no_such_table")
    assert_error(ei.value, "EntityNotFoundException")
    with pytest.raises(ClientError) as ei:
        glue.update_table(DatabaseName=db, TableInput=table_input("no_such_table"))
    assert_error(ei.value, "EntityNotFoundException")
    with pytest.raises(ClientError) as ei:
        glue.create_table(DatabaseName=db, TableInput=table_input("x" * 256))
    assert_error(ei.value, INVALID)


def test_get_tables_paging(glue, db):
    expected = {f"t_{i:02d}" for i in range(7)}
    for n in expected:
        glue.create_table(DatabaseName=db, TableInput=table_input(n))
    items, pages = collect_pages(glue.get_tables, "TableList", DatabaseName=db, MaxResults=3)
    names = [t["Name"] for t in items]
    assert len(names) == len(set(names))
    assert set(names) == expected
    assert pages >= 3
    assert all(t["DatabaseName"] == db for t in items)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("sales_.*", {"sales_2023", "sales_2024", "sales_eu"}),
        ("sales_2023|other_stuff", {"sales_2023", "other_stuff"}),
    ],
)
def test_get_tables_expression(glue, db, expression, expected):
    """GetTables.Expression: "A regular expression pattern. If present, only
    those tables whose names match the pattern are returned" (botocore model).

    Names are chosen so that full-match regex and Hive-style patterns
    ('*' wildcard, '|' alternation) give the same answer.
    """
    for n in ["sales_2023", "sales_2024", "sales_eu", "salesx", "other_stuff"]:
        glue.create_table(DatabaseName=db, TableInput=table_input(n))
    items, _ = collect_pages(glue.get_tables, "TableList", DatabaseName=db, Expression=expression)
    assert {t["Name"] for t in items} == expected


def test_update_table_versions(glue, table):
    """GetTableVersion.VersionId: "A VersionID is a string representation of an
    integer. Each version is incremented by 1" (botocore model). UpdateTable
    "always creates an archived version of the table before updating it"
    unless SkipArchive."""
    db, name = table
    v0 = current_version(glue, db, name)
    assert isinstance(v0, str) and v0.isdigit()

    updated = table_input(name, description="second version")
    updated["StorageDescriptor"]["Columns"].append({"Name": "extra", "Type": "string"})
    glue.update_table(DatabaseName=db, TableInput=updated)

    v1 = current_version(glue, db, name)
    assert v1 == str(int(v0) + 1)
    t = glue.get_table(DatabaseName=db, Name=name)["Table"]
    assert_table_matches(updated, t, db)

    versions = table_versions(glue, db, name)
    assert {v0, v1} <= set(versions)
    assert versions[v0]["Description"] == "test table"
    assert versions[v1]["Description"] == "second version"
    assert versions[v0]["StorageDescriptor"]["Columns"] == COLUMNS
    assert versions[v1]["StorageDescriptor"]["Columns"] == updated["StorageDescriptor"]["Columns"]

    old = glue.get_table_version(DatabaseName=db, TableName=name, VersionId=v0)["TableVersion"]
    assert old["VersionId"] == v0
    assert old["Table"]["Description"] == "test table"


def test_first_table_version_is_zero(glue, table):
    """Not in the API reference, but observed on AWS (reproduced with the AWS
    CLI in public emulator bug reports): a new table has VersionId "0"."""
    db, name = table
    assert current_version(glue, db, name) == "0"


def test_update_table_with_stale_version_id_conflicts(glue, table):
    """UpdateTable.VersionId: "The version ID at which to update the table
    contents"; a stale one fails with ConcurrentModificationException."""
    db, name = table
    v0 = current_version(glue, db, name)
    glue.update_table(DatabaseName=db, TableInput=table_input(name, description="first update"), VersionId=v0)
    with pytest.raises(ClientError) as ei:
        glue.update_table(DatabaseName=db, TableInput=table_input(name, description="lost update"), VersionId=v0)
    assert_error(ei.value, "ConcurrentModificationException")
    # The rejected update changed nothing.
    assert glue.get_table(DatabaseName=db, Name=name)["Table"]["Description"] == "first update"


def test_update_table_skip_archive_adds_no_version(glue, table):
    """UpdateTable.SkipArchive: "if skipArchive is set to true, UpdateTable
    does not create the archived version" (botocore model)."""
    db, name = table
    glue.update_table(DatabaseName=db, TableInput=table_input(name, description="archived"))
    before = table_versions(glue, db, name)
    glue.update_table(DatabaseName=db, TableInput=table_input(name, description="not archived"), SkipArchive=True)
    after = table_versions(glue, db, name)
    assert len(after) == len(before)
    assert glue.get_table(DatabaseName=db, Name=name)["Table"]["Description"] == "not archived"


def test_delete_table_version(glue, table):
    db, name = table
    v0 = current_version(glue, db, name)
    glue.update_table(DatabaseName=db, TableInput=table_input(name, description="v1"))
    v1 = current_version(glue, db, name)

    glue.delete_table_version(DatabaseName=db, TableName=name, VersionId=v0)

    with pytest.raises(ClientError) as ei:
        glue.get_table_version(DatabaseName=db, TableName=name, VersionId=v0)
    assert_error(ei.value, "EntityNotFoundException")
    versions = table_versions(glue, db, name)
    assert v0 not in versions and v1 in versions
    assert glue.get_table(DatabaseName=db, Name=name)["Table"]["Description"] == "v1"


def test_batch_delete_table_version(glue, table):
    db, name = table
    ids = [current_version(glue, db, name)]
    for i in range(3):
        glue.update_table(DatabaseName=db, TableInput=table_input(name, description=f"u{i}"))
        ids.append(current_version(glue, db, name))
    assert len(set(ids)) == 4
    missing = str(int(ids[-1]) + 1000)

    resp = glue.batch_delete_table_version(DatabaseName=db, TableName=name, VersionIds=[ids[0], ids[1], missing])

    # Whether a never-existing version is reported in Errors is not documented;
    # if anything is reported, it must be that one, as not found.
    for e in resp.get("Errors", []):
        assert e["VersionId"] == missing, e
        assert e["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException", e
    remaining = table_versions(glue, db, name)
    assert ids[0] not in remaining and ids[1] not in remaining
    assert {ids[2], ids[3]} <= set(remaining)


def test_delete_table(glue, table):
    db, name = table
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", "1"]))
    glue.delete_table(DatabaseName=db, Name=name)
    with pytest.raises(ClientError) as ei:
        glue.get_table(DatabaseName=db, Name=name)
    assert_error(ei.value, "EntityNotFoundException")
    assert glue.get_tables(DatabaseName=db)["TableList"] == []


def test_batch_delete_table_reports_missing(glue, db):
    for n in ("a1", "a2", "a3"):
        glue.create_table(DatabaseName=db, TableInput=table_input(n))
    resp = glue.batch_delete_table(DatabaseName=db, TablesToDelete=["a1", "missing_one", "a3"])
    errors = resp.get("Errors", [])
    assert [e["TableName"] for e in errors] == ["missing_one"]
    assert errors[0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    assert [t["Name"] for t in glue.get_tables(DatabaseName=db)["TableList"]] == ["a2"]


# -- SearchTables ------------------------------------------------------------
#
# SearchTables searches the whole catalog; every search term below is a fresh
# random token so that tables of other tests cannot match.  The AWS docs say
# text search is token based ("split on certain punctuation characters"), so
# tokens are placed as whole words/values.


def _search(glue, text: str, **kw) -> list[dict]:
    items, _ = collect_pages(glue.search_tables, "TableList", SearchText=text, **kw)
    return items


def test_search_tables_by_name(glue, db):
    token = unique_name("srch").replace("_", "")
    glue.create_table(DatabaseName=db, TableInput=table_input(token))
    glue.create_table(DatabaseName=db, TableInput=table_input("unrelated"))
    found = [(t["DatabaseName"], t["Name"]) for t in _search(glue, token)]
    assert found == [(db, token)]


def test_search_tables_by_description(glue, db):
    token = unique_name("desc").replace("_", "")
    glue.create_table(DatabaseName=db, TableInput=table_input("described", description=f"daily {token} rollup"))
    glue.create_table(DatabaseName=db, TableInput=table_input("plain", description="nothing special"))
    found = [(t["DatabaseName"], t["Name"]) for t in _search(glue, token)]
    assert found == [(db, "described")]


def test_search_tables_by_parameter_value(glue, db):
    """SearchTables "searches ... based on properties in the table metadata"
    (botocore model); table Parameters are part of that metadata."""
    token = unique_name("param").replace("_", "")
    ti = table_input("tagged")
    ti["Parameters"] = {"source_system": token}
    glue.create_table(DatabaseName=db, TableInput=ti)
    glue.create_table(DatabaseName=db, TableInput=table_input("untagged"))
    found = [(t["DatabaseName"], t["Name"]) for t in _search(glue, token)]
    assert found == [(db, "tagged")]


def test_search_tables_paging(glue, db):
    token = unique_name("pg").replace("_", "")
    expected = {f"s_{i}" for i in range(5)}
    for n in expected:
        glue.create_table(DatabaseName=db, TableInput=table_input(n, description=f"batch {token} item"))
    items, pages = collect_pages(glue.search_tables, "TableList", SearchText=token, MaxResults=2)
    names = [t["Name"] for t in items]
    assert len(names) == len(set(names))
    assert set(names) == expected
    assert pages >= 3


# ==========================================================================
# Partitions
# ==========================================================================


def test_create_and_get_partition(glue, table):
    db, name = table
    pi = partition_input(name, ["2024", "3"])
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=pi)
    p = glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=["2024", "3"])["Partition"]
    assert p["Values"] == ["2024", "3"]
    assert p["DatabaseName"] == db
    assert p["TableName"] == name
    assert p["Parameters"] == pi["Parameters"]
    assert isinstance(p["CreationTime"], dt.datetime)
    exp_sd = pi["StorageDescriptor"]
    assert_fields_equal({k: v for k, v in exp_sd.items() if k != "SerdeInfo"}, p["StorageDescriptor"], "Partition.SD")
    assert_fields_equal(exp_sd["SerdeInfo"], p["StorageDescriptor"]["SerdeInfo"], "Partition.SD.SerdeInfo")


def test_partition_errors(glue, table):
    db, name = table
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", "1"]))
    with pytest.raises(ClientError) as ei:
        glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", "1"]))
    assert_error(ei.value, "AlreadyExistsException")
    with pytest.raises(ClientError) as ei:
        glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=["2024", "2"])
    assert_error(ei.value, "EntityNotFoundException")
    with pytest.raises(ClientError) as ei:
        glue.create_partition(DatabaseName=db, TableName="no_such_table", PartitionInput=partition_input("x", ["1", "1"]))
    assert_error(ei.value, "EntityNotFoundException")
    # Two partition keys, one value.
    with pytest.raises(ClientError) as ei:
        glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024"]))
    assert_error(ei.value, "InvalidInputException")


def test_partition_without_storage_descriptor_inherits_table_schema(glue, table):
    """Lakebox contract (AWS does not document this precisely): a partition
    created with no StorageDescriptor takes the table's columns and SerDe."""
    db, name = table
    glue.create_partition(
        DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2022", "7"], with_sd=False)
    )
    p = glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=["2022", "7"])["Partition"]
    sd = p.get("StorageDescriptor", {})
    assert sd.get("Columns") == COLUMNS
    assert_fields_equal(SERDE, sd.get("SerdeInfo", {}), "Partition.SD.SerdeInfo")


def test_batch_create_partition_reports_duplicate(glue, table):
    db, name = table
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", "5"]))
    new_values = [["2023", str(m)] for m in range(1, 13)] + [["2022", str(m)] for m in range(1, 13)]
    new_values += [["2021", str(m)] for m in range(1, 6)]
    batch = new_values[:15] + [["2024", "5"]] + new_values[15:]
    assert len(batch) == 30

    resp = glue.batch_create_partition(
        DatabaseName=db, TableName=name, PartitionInputList=[partition_input(name, v) for v in batch]
    )

    errors = resp.get("Errors", [])
    assert [e["PartitionValues"] for e in errors] == [["2024", "5"]]
    assert errors[0]["ErrorDetail"]["ErrorCode"] == "AlreadyExistsException"
    got = set(partition_values_of(all_partitions(glue, db, name)))
    assert got == {tuple(v) for v in new_values} | {("2024", "5")}


def test_batch_create_partition_over_100_rejected(glue, table):
    """BatchCreatePartition.PartitionInputList: at most 100 (botocore model)."""
    db, name = table
    too_many = [partition_input(name, ["2000", str(i)]) for i in range(101)]
    with pytest.raises(ClientError) as ei:
        glue.batch_create_partition(DatabaseName=db, TableName=name, PartitionInputList=too_many)
    assert_error(ei.value, INVALID)
    assert all_partitions(glue, db, name) == [], "a rejected batch must not be partially applied"

    resp = glue.batch_create_partition(DatabaseName=db, TableName=name, PartitionInputList=too_many[:100])
    assert not resp.get("Errors")
    assert len(all_partitions(glue, db, name)) == 100


# -- GetPartitions expressions -------------------------------------------------
#
# GetPartitions.Expression (botocore model): "SQL syntax similar to the SQL
# WHERE filter clause"; operators =, <>, >, <, >=, <=, AND, OR, IN, BETWEEN,
# LIKE, NOT, IS NULL; supported key types include string and int.  Partition
# values are strings on the wire; an int key compares numerically.

EXPRESSIONS: list[tuple[str, Callable[[str, int], bool]]] = [
    ("year = '2024'", lambda y, m: y == "2024"),
    ("month > 3", lambda y, m: m > 3),
    ("month between 2 and 4", lambda y, m: 2 <= m <= 4),
    ("year in ('2023','2024')", lambda y, m: y in ("2023", "2024")),
    ("year like '202%'", lambda y, m: y.startswith("202")),
    ("not (month = 1)", lambda y, m: m != 1),
    ("(year='2023' or month=12) and month<>11", lambda y, m: (y == "2023" or m == 12) and m != 11),
    ("month >= 11", lambda y, m: m >= 11),
    ("month <= 2", lambda y, m: m <= 2),
    ("month < 10 and month > 8", lambda y, m: m == 9),
    ("year <> '2023'", lambda y, m: y != "2023"),
    ("month in (1, 12)", lambda y, m: m in (1, 12)),
    ("year = '2024' and month between 2 and 4", lambda y, m: y == "2024" and 2 <= m <= 4),
    ("year = '2019' or year = '2024'", lambda y, m: y in ("2019", "2024")),
    ("year = '2023' AND month = 6", lambda y, m: y == "2023" and m == 6),
    ("", lambda y, m: True),
]


@pytest.mark.parametrize("expression, predicate", EXPRESSIONS, ids=[e or "<blank>" for e, _ in EXPRESSIONS])
def test_get_partitions_expression(glue, ym_table, expression, predicate):
    db, name = ym_table
    got = partition_values_of(all_partitions(glue, db, name, Expression=expression))
    expected = {(y, str(m)) for y, m in ALL_YM if predicate(y, m)}
    assert len(got) == len(set(got)), "duplicate partitions returned"
    assert set(got) == expected


def test_get_partitions_without_expression_returns_all(glue, ym_table):
    db, name = ym_table
    got = partition_values_of(all_partitions(glue, db, name))
    assert sorted(got) == sorted((y, str(m)) for y, m in ALL_YM)


def test_get_partitions_int_key_compares_numerically(glue, ym_table):
    """`month` is declared int: `month > 9` must mean 10, 11, 12 — a lexical
    comparison of the stored strings would return nothing ('10' < '9')."""
    db, name = ym_table
    got = set(partition_values_of(all_partitions(glue, db, name, Expression="month > 9")))
    assert got == {(y, str(m)) for y in YEARS for m in (10, 11, 12)}


def test_get_partitions_string_key_compares_lexically(glue, db):
    """A string key compares as strings: '20' and '9' sort after '2', '10'
    does not."""
    glue.create_table(DatabaseName=db, TableInput=table_input("codes", partition_keys=[{"Name": "code", "Type": "string"}]))
    values = ["1", "2", "9", "10", "20"]
    glue.batch_create_partition(
        DatabaseName=db, TableName="codes", PartitionInputList=[partition_input("codes", [v]) for v in values]
    )
    got = {v[0] for v in partition_values_of(all_partitions(glue, db, "codes", Expression="code > '2'"))}
    assert got == {v for v in values if v > "2"} == {"9", "20"}


@pytest.mark.parametrize(
    "expression",
    ["no_such_key = '1'", "year = ", "year === '2024'", "(year = '2024'", "month between 1", "year = '2024' and"],
)
def test_get_partitions_bad_expression_is_invalid_input(glue, ym_table, expression):
    db, name = ym_table
    with pytest.raises(ClientError) as ei:
        glue.get_partitions(DatabaseName=db, TableName=name, Expression=expression)
    assert_error(ei.value, "InvalidInputException")


def test_get_partitions_paging(glue, ym_table):
    db, name = ym_table
    items, pages = collect_pages(glue.get_partitions, "Partitions", DatabaseName=db, TableName=name, MaxResults=7)
    got = partition_values_of(items)
    assert len(got) == len(set(got)) == len(ALL_YM)
    assert set(got) == {(y, str(m)) for y, m in ALL_YM}
    assert pages >= 6  # 36 partitions, 7 per page


def test_get_partitions_segments_partition_the_table(glue, ym_table):
    """Segment: "The segment of the table's partitions to scan in this
    request"; TotalSegments 1..10 (botocore model).  Segments together cover
    every partition exactly once."""
    db, name = ym_table
    segments = []
    for n in range(3):
        items, _ = collect_pages(
            glue.get_partitions,
            "Partitions",
            DatabaseName=db,
            TableName=name,
            Segment={"SegmentNumber": n, "TotalSegments": 3},
            MaxResults=5,
        )
        segments.append(set(partition_values_of(items)))
    for i in range(3):
        for j in range(i + 1, 3):
            assert not (segments[i] & segments[j]), f"segments {i} and {j} overlap"
    assert set().union(*segments) == {(y, str(m)) for y, m in ALL_YM}
    assert sum(len(s) for s in segments) == len(ALL_YM)


def test_get_partitions_exclude_column_schema(glue, ym_table):
    """ExcludeColumnSchema: "When true, specifies not returning the partition
    column schema. Useful when you are interested only in other partition
    attributes such as partition values or location" (botocore model)."""
    db, name = ym_table
    with_cols = all_partitions(glue, db, name, Expression="year = '2024'")
    assert all(p["StorageDescriptor"]["Columns"] == COLUMNS for p in with_cols)

    without = all_partitions(glue, db, name, Expression="year = '2024'", ExcludeColumnSchema=True)
    assert len(without) == 12
    for p in without:
        sd = p.get("StorageDescriptor", {})
        assert not sd.get("Columns"), f"columns returned despite ExcludeColumnSchema: {p['Values']}"
        assert sd.get("Location") == partition_location(name, p["Values"])


def test_batch_get_partition_skips_missing(glue, ym_table):
    """BatchGetPartition returns the partitions that exist; a key with no
    partition is simply not in Partitions.  (Whether it is also echoed in
    UnprocessedKeys is not pinned down by the docs, so that is not asserted.)"""
    db, name = ym_table
    wanted = [["2024", "1"], ["2019", "12"], ["1999", "1"], ["2023", "7"]]
    resp = glue.batch_get_partition(
        DatabaseName=db, TableName=name, PartitionsToGet=[{"Values": v} for v in wanted]
    )
    got = partition_values_of(resp["Partitions"])
    assert sorted(got) == sorted([("2024", "1"), ("2019", "12"), ("2023", "7")])
    for p in resp["Partitions"]:
        assert p["StorageDescriptor"]["Location"] == partition_location(name, p["Values"])


def test_update_partition_location(glue, table):
    db, name = table
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", "6"]))
    new = partition_input(name, ["2024", "6"])
    new["StorageDescriptor"]["Location"] = "s3://lakebox-tests/moved/2024/6/"
    new["Parameters"] = {"state": "moved"}
    glue.update_partition(DatabaseName=db, TableName=name, PartitionValueList=["2024", "6"], PartitionInput=new)
    p = glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=["2024", "6"])["Partition"]
    assert p["StorageDescriptor"]["Location"] == "s3://lakebox-tests/moved/2024/6/"
    assert p["Parameters"] == {"state": "moved"}


def test_update_partition_cannot_change_values(glue, table):
    """UpdatePartition.PartitionValueList names the partition to update; per the Glue API
    reference, "The Values property can't be changed" (delete and recreate instead)."""
    db, name = table
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", "6"]))
    new = partition_input(name, ["2024", "7"])
    with pytest.raises(ClientError) as ei:
        glue.update_partition(DatabaseName=db, TableName=name, PartitionValueList=["2024", "6"], PartitionInput=new)
    assert_error(ei.value, "InvalidInputException")
    assert partition_values_of(all_partitions(glue, db, name)) == [("2024", "6")]


def test_update_missing_partition_not_found(glue, table):
    db, name = table
    with pytest.raises(ClientError) as ei:
        glue.update_partition(
            DatabaseName=db, TableName=name, PartitionValueList=["1900", "1"],
            PartitionInput=partition_input(name, ["1900", "1"]),
        )
    assert_error(ei.value, "EntityNotFoundException")


def test_batch_update_partition(glue, table):
    db, name = table
    existing = [["2024", str(m)] for m in (1, 2, 3)]
    glue.batch_create_partition(
        DatabaseName=db, TableName=name, PartitionInputList=[partition_input(name, v) for v in existing]
    )
    entries = []
    for v in existing + [["1900", "1"]]:
        pi = partition_input(name, v)
        pi["StorageDescriptor"]["Location"] = f"s3://lakebox-tests/batch-updated/{v[0]}/{v[1]}/"
        entries.append({"PartitionValueList": v, "PartitionInput": pi})

    resp = glue.batch_update_partition(DatabaseName=db, TableName=name, Entries=entries)

    errors = resp.get("Errors", [])
    assert [e["PartitionValueList"] for e in errors] == [["1900", "1"]]
    assert errors[0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    for v in existing:
        p = glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=v)["Partition"]
        assert p["StorageDescriptor"]["Location"] == f"s3://lakebox-tests/batch-updated/{v[0]}/{v[1]}/"


def test_delete_partition(glue, table):
    db, name = table
    for m in ("1", "2"):
        glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, ["2024", m]))
    glue.delete_partition(DatabaseName=db, TableName=name, PartitionValues=["2024", "1"])
    with pytest.raises(ClientError) as ei:
        glue.get_partition(DatabaseName=db, TableName=name, PartitionValues=["2024", "1"])
    assert_error(ei.value, "EntityNotFoundException")
    assert partition_values_of(all_partitions(glue, db, name)) == [("2024", "2")]
    with pytest.raises(ClientError) as ei:
        glue.delete_partition(DatabaseName=db, TableName=name, PartitionValues=["2024", "1"])
    assert_error(ei.value, "EntityNotFoundException")


def test_batch_delete_partition(glue, table):
    """BatchDeletePartition.PartitionsToDelete: at most 25 (botocore model)."""
    db, name = table
    values = [["2024", str(m)] for m in range(1, 13)] + [["2023", str(m)] for m in range(1, 13)]
    glue.batch_create_partition(
        DatabaseName=db, TableName=name, PartitionInputList=[partition_input(name, v) for v in values]
    )

    with pytest.raises(ClientError) as ei:
        glue.batch_delete_partition(
            DatabaseName=db, TableName=name, PartitionsToDelete=[{"Values": ["2024", str(i)]} for i in range(26)]
        )
    assert_error(ei.value, INVALID)
    assert len(all_partitions(glue, db, name)) == 24, "a rejected batch must not be partially applied"

    to_delete = [["2024", "1"], ["2024", "2"], ["1900", "1"], ["2023", "12"]]
    resp = glue.batch_delete_partition(
        DatabaseName=db, TableName=name, PartitionsToDelete=[{"Values": v} for v in to_delete]
    )
    errors = resp.get("Errors", [])
    assert [e["PartitionValues"] for e in errors] == [["1900", "1"]]
    assert errors[0]["ErrorDetail"]["ErrorCode"] == "EntityNotFoundException"
    remaining = set(partition_values_of(all_partitions(glue, db, name)))
    assert remaining == {tuple(v) for v in values} - {("2024", "1"), ("2024", "2"), ("2023", "12")}


# ==========================================================================
# Partition indexes
# ==========================================================================


def test_partition_indexes(glue, table):
    db, name = table
    glue.create_partition_index(
        DatabaseName=db, TableName=name, PartitionIndex={"IndexName": "idx_year_month", "Keys": ["year", "month"]}
    )
    with pytest.raises(ClientError) as ei:
        glue.create_partition_index(
            DatabaseName=db, TableName=name, PartitionIndex={"IndexName": "idx_year_month", "Keys": ["year"]}
        )
    assert_error(ei.value, "AlreadyExistsException")

    descs, _ = collect_pages(
        glue.get_partition_indexes, "PartitionIndexDescriptorList", DatabaseName=db, TableName=name
    )
    by_name = {d["IndexName"]: d for d in descs}
    assert set(by_name) == {"idx_year_month"}
    d = by_name["idx_year_month"]
    # Keys come back with the partition keys' declared types.
    assert d["Keys"] == [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "int"}]
    assert d["IndexStatus"] in ("CREATING", "ACTIVE")

    glue.delete_partition_index(DatabaseName=db, TableName=name, IndexName="idx_year_month")
    descs, _ = collect_pages(
        glue.get_partition_indexes, "PartitionIndexDescriptorList", DatabaseName=db, TableName=name
    )
    # AWS deletes asynchronously: gone, or at least DELETING.
    assert all(x["IndexName"] != "idx_year_month" or x["IndexStatus"] == "DELETING" for x in descs)


# ==========================================================================
# Column statistics
# ==========================================================================


def _stats(analyzed: dt.datetime) -> list[dict]:
    return [
        {
            "ColumnName": "id",
            "ColumnType": "bigint",
            "AnalyzedTime": analyzed,
            "StatisticsData": {
                "Type": "LONG",
                "LongColumnStatisticsData": {
                    "MinimumValue": -5,
                    "MaximumValue": 1234567890123,
                    "NumberOfNulls": 0,
                    "NumberOfDistinctValues": 42,
                },
            },
        },
        {
            "ColumnName": "name",
            "ColumnType": "string",
            "AnalyzedTime": analyzed,
            "StatisticsData": {
                "Type": "STRING",
                "StringColumnStatisticsData": {
                    "MaximumLength": 64,
                    "AverageLength": 12.5,
                    "NumberOfNulls": 3,
                    "NumberOfDistinctValues": 17,
                },
            },
        },
    ]


def _assert_stats_equal(expected: list[dict], got: list[dict]) -> None:
    got_by = {s["ColumnName"]: s for s in got}
    assert set(got_by) == {s["ColumnName"] for s in expected}
    for s in expected:
        g = got_by[s["ColumnName"]]
        assert g["ColumnType"] == s["ColumnType"]
        assert g["StatisticsData"] == s["StatisticsData"]
        assert abs((g["AnalyzedTime"] - s["AnalyzedTime"]).total_seconds()) < 1.0


def test_column_statistics_for_table(glue, table):
    db, name = table
    stats = _stats(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    resp = glue.update_column_statistics_for_table(DatabaseName=db, TableName=name, ColumnStatisticsList=stats)
    assert not resp.get("Errors")

    got = glue.get_column_statistics_for_table(DatabaseName=db, TableName=name, ColumnNames=["id", "name"])
    _assert_stats_equal(stats, got["ColumnStatisticsList"])

    glue.delete_column_statistics_for_table(DatabaseName=db, TableName=name, ColumnName="id")
    got = glue.get_column_statistics_for_table(DatabaseName=db, TableName=name, ColumnNames=["id", "name"])
    _assert_stats_equal(stats[1:], got["ColumnStatisticsList"])


def test_column_statistics_for_partition(glue, table):
    db, name = table
    values = ["2024", "2"]
    glue.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, values))
    stats = _stats(dt.datetime(2024, 3, 1, 12, 30, 0, tzinfo=dt.timezone.utc))
    resp = glue.update_column_statistics_for_partition(
        DatabaseName=db, TableName=name, PartitionValues=values, ColumnStatisticsList=stats
    )
    assert not resp.get("Errors")

    got = glue.get_column_statistics_for_partition(
        DatabaseName=db, TableName=name, PartitionValues=values, ColumnNames=["id", "name"]
    )
    _assert_stats_equal(stats, got["ColumnStatisticsList"])
    # Table-level statistics are separate from the partition's.
    table_level = glue.get_column_statistics_for_table(DatabaseName=db, TableName=name, ColumnNames=["id", "name"])
    assert table_level.get("ColumnStatisticsList", []) == []

    glue.delete_column_statistics_for_partition(DatabaseName=db, TableName=name, PartitionValues=values, ColumnName="name")
    got = glue.get_column_statistics_for_partition(
        DatabaseName=db, TableName=name, PartitionValues=values, ColumnNames=["id", "name"]
    )
    _assert_stats_equal(stats[:1], got["ColumnStatisticsList"])


# ==========================================================================
# User-defined functions
# ==========================================================================


def _udf(name: str, cls: str = "com.example.udf.Upper") -> dict:
    return {
        "FunctionName": name,
        "ClassName": cls,
        "OwnerName": "analyst",
        "OwnerType": "USER",
        "ResourceUris": [{"ResourceType": "JAR", "Uri": f"s3://lakebox-tests/udfs/{name}.jar"}],
    }


def test_user_defined_functions(glue, db):
    for n in ("fn_alpha", "fn_another", "gn_beta"):
        glue.create_user_defined_function(DatabaseName=db, FunctionInput=_udf(n))

    with pytest.raises(ClientError) as ei:
        glue.create_user_defined_function(DatabaseName=db, FunctionInput=_udf("fn_alpha"))
    assert_error(ei.value, "AlreadyExistsException")

    f = glue.get_user_defined_function(DatabaseName=db, FunctionName="fn_alpha")["UserDefinedFunction"]
    assert_fields_equal(_udf("fn_alpha"), f, "UserDefinedFunction")
    assert f["DatabaseName"] == db
    assert isinstance(f["CreateTime"], dt.datetime)

    # Pattern chosen so that a regex and a Hive-style '*' pattern agree.
    items, _ = collect_pages(glue.get_user_defined_functions, "UserDefinedFunctions", DatabaseName=db, Pattern="fn_a.*")
    assert {x["FunctionName"] for x in items} == {"fn_alpha", "fn_another"}
    items, _ = collect_pages(glue.get_user_defined_functions, "UserDefinedFunctions", DatabaseName=db, Pattern=".*")
    assert {x["FunctionName"] for x in items} == {"fn_alpha", "fn_another", "gn_beta"}

    new = _udf("fn_alpha", cls="com.example.udf.UpperV2")
    glue.update_user_defined_function(DatabaseName=db, FunctionName="fn_alpha", FunctionInput=new)
    f = glue.get_user_defined_function(DatabaseName=db, FunctionName="fn_alpha")["UserDefinedFunction"]
    assert f["ClassName"] == "com.example.udf.UpperV2"

    glue.delete_user_defined_function(DatabaseName=db, FunctionName="fn_alpha")
    with pytest.raises(ClientError) as ei:
        glue.get_user_defined_function(DatabaseName=db, FunctionName="fn_alpha")
    assert_error(ei.value, "EntityNotFoundException")
    items, _ = collect_pages(glue.get_user_defined_functions, "UserDefinedFunctions", DatabaseName=db, Pattern=".*")
    assert {x["FunctionName"] for x in items} == {"fn_another", "gn_beta"}


# ==========================================================================
# Tags
# ==========================================================================


def _database_arn(glue, name: str) -> str:
    """Glue ARN pattern: arn:aws:glue:region:account-id:database/database-name.
    Lakebox has no STS; use the CatalogId Glue reports (the account id), else a
    placeholder account."""
    account = glue.get_database(Name=name)["Database"].get("CatalogId") or "000000000000"
    return f"arn:aws:glue:us-east-1:{account}:database/{name}"


def test_tags_on_database(glue):
    name = unique_name("tagged")
    glue.create_database(DatabaseInput={"Name": name}, Tags={"team": "data"})
    try:
        arn = _database_arn(glue, name)
        assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "data"}

        glue.tag_resource(ResourceArn=arn, TagsToAdd={"env": "test", "team": "platform"})
        assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "platform", "env": "test"}

        glue.untag_resource(ResourceArn=arn, TagsToRemove=["team"])
        assert glue.get_tags(ResourceArn=arn)["Tags"] == {"env": "test"}
    finally:
        glue.delete_database(Name=name)


# ==========================================================================
# Malformed requests through raw HTTP (AWS JSON 1.1 protocol)
# ==========================================================================


def _error_type(resp) -> str:
    try:
        body = resp.json()
    except ValueError:
        pytest.fail(f"error body is not JSON: {resp!r}")
    assert isinstance(body, dict) and "__type" in body, body
    return body["__type"]


def _assert_protocol_error(resp, allowed: Iterable[str]) -> dict:
    assert resp.status == 400, resp
    t = _error_type(resp)
    short = t.rsplit("#", 1)[-1]
    assert short in tuple(allowed), f"__type {t!r} not in {allowed}"
    assert "x-amzn-errortype" in resp.headers, resp.headers
    assert resp.headers["x-amzn-errortype"].split(":", 1)[0] == short
    return resp.json()


def test_health_endpoint(lakebox_endpoint):
    from conftest import http_get_json

    status, body = http_get_json(lakebox_endpoint + "/_lakebox/health")
    assert status == 200
    assert body["status"] == "ok"
    assert isinstance(body["version"], str) and body["version"]


def test_raw_request_sanity(lakebox_endpoint, db):
    """The raw client itself works: a well-formed request succeeds."""
    resp = raw_glue_request(lakebox_endpoint, "AWSGlue.GetDatabase", '{"Name": "%s"}' % db)
    assert resp.status == 200, resp
    assert resp.json()["Database"]["Name"] == db


def test_raw_body_not_json(lakebox_endpoint):
    resp = raw_glue_request(lakebox_endpoint, "AWSGlue.GetDatabase", "not json")
    _assert_protocol_error(resp, ["SerializationException"])
    assert _error_type(resp).endswith("SerializationException")


def test_raw_wrong_member_type(lakebox_endpoint):
    resp = raw_glue_request(lakebox_endpoint, "AWSGlue.GetDatabase", '{"Name": 5}')
    _assert_protocol_error(resp, ["SerializationException", "InvalidInputException", "ValidationException"])


def test_raw_missing_required_member(lakebox_endpoint):
    """GetDatabaseRequest requires Name (botocore model). AWS answers a 400;
    the exact code (ValidationException vs InvalidInputException) is not
    documented, so either is accepted."""
    resp = raw_glue_request(lakebox_endpoint, "AWSGlue.GetDatabase", "{}")
    _assert_protocol_error(resp, ["InvalidInputException", "ValidationException"])


def test_raw_unknown_operation(lakebox_endpoint):
    resp = raw_glue_request(lakebox_endpoint, "AWSGlue.NoSuchOp", "{}")
    body = _assert_protocol_error(resp, ["UnknownOperationException"])
    message = body.get("message") or body.get("Message") or ""
    assert "NoSuchOp" in message


def test_raw_empty_body_for_operation_without_required_members(lakebox_endpoint):
    """An empty JSON object is a valid GetDatabases request (no required
    members) — the server must not 500 on it."""
    resp = raw_glue_request(lakebox_endpoint, "AWSGlue.GetDatabases", "{}")
    assert resp.status == 200, resp
    assert isinstance(resp.json()["DatabaseList"], list)


# ==========================================================================
# Durability across restarts
# ==========================================================================


def _populate(glue, db: str, n_partitions: int = 20) -> list[list[str]]:
    glue.create_database(DatabaseInput={"Name": db, "Description": "durable"})
    glue.create_table(DatabaseName=db, TableInput=table_input("events"))
    values = [["2024", str(m)] for m in range(1, 13)] + [["2023", str(m)] for m in range(1, n_partitions - 11)]
    resp = glue.batch_create_partition(
        DatabaseName=db, TableName="events", PartitionInputList=[partition_input("events", v) for v in values[:-1]]
    )
    assert not resp.get("Errors")
    glue.create_partition(DatabaseName=db, TableName="events", PartitionInput=partition_input("events", values[-1]))
    glue.update_table(DatabaseName=db, TableInput=table_input("events", description="after update"))
    return values


def _check_populated(glue, db: str, values: list[list[str]]) -> None:
    assert glue.get_database(Name=db)["Database"]["Description"] == "durable"
    t = glue.get_table(DatabaseName=db, Name="events")["Table"]
    expected = table_input("events", description="after update")
    assert_table_matches(expected, t, db)
    got = partition_values_of(all_partitions(glue, db, "events"))
    assert sorted(got) == sorted(tuple(v) for v in values)
    p = glue.get_partition(DatabaseName=db, TableName="events", PartitionValues=values[-1])["Partition"]
    assert p["StorageDescriptor"]["Location"] == partition_location("events", values[-1])


def test_sigkill_after_acknowledged_writes_loses_nothing(start_lakebox, tmp_path):
    """Every write acknowledged with 200 survives `kill -9` of the server."""
    data = tmp_path / "data"
    lb = start_lakebox(data)
    glue = lb.glue()
    db = unique_name("durable")
    values = _populate(glue, db)
    lb.kill()  # SIGKILL immediately after the last acknowledged write
    assert lb.proc.returncode == -signal.SIGKILL

    lb2 = start_lakebox(data)
    _check_populated(lb2.glue(), db, values)


def test_sigterm_restart_keeps_data(start_lakebox, tmp_path):
    data = tmp_path / "data"
    lb = start_lakebox(data)
    glue = lb.glue()
    db = unique_name("durable")
    values = _populate(glue, db)
    gone = unique_name("gone")
    glue.create_database(DatabaseInput={"Name": gone})
    glue.delete_database(Name=gone)
    lb.terminate()  # raises if it does not stop within the timeout

    lb2 = start_lakebox(data)
    g2 = lb2.glue()
    _check_populated(g2, db, values)
    with pytest.raises(ClientError) as ei:
        g2.get_database(Name=gone)
    assert_error(ei.value, "EntityNotFoundException")


def test_data_dir_isolation(start_lakebox, tmp_path):
    """A Lakebox on another data dir does not see the first one's catalog."""
    lb1 = start_lakebox(tmp_path / "one")
    db = unique_name("iso")
    lb1.glue().create_database(DatabaseInput={"Name": db})
    lb2 = start_lakebox(tmp_path / "two")
    with pytest.raises(ClientError) as ei:
        lb2.glue().get_database(Name=db)
    assert_error(ei.value, "EntityNotFoundException")


# ==========================================================================
# Concurrency
# ==========================================================================


def test_concurrent_create_partition(lakebox_endpoint, glue, table):
    """8 clients x 25 CreatePartition calls on one table, all at once: every
    acknowledged partition is there afterwards, and no call failed."""
    db, name = table
    threads, per_thread = 8, 25
    clients = [make_glue_client(lakebox_endpoint) for _ in range(threads)]
    barrier = threading.Barrier(threads)

    def work(t: int) -> list[str]:
        client = clients[t]
        barrier.wait(timeout=30)
        failures = []
        for i in range(per_thread):
            values = [str(3000 + t), str(i + 1)]
            try:
                client.create_partition(DatabaseName=db, TableName=name, PartitionInput=partition_input(name, values))
            except ClientError as e:  # collect, so every failure is reported
                failures.append(f"{values}: {e}")
        return failures

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(work, range(threads)))
    failures = [f for r in results for f in r]
    assert failures == []

    got = partition_values_of(all_partitions(glue, db, name))
    expected = {(str(3000 + t), str(i + 1)) for t in range(threads) for i in range(per_thread)}
    assert len(got) == len(set(got)) == threads * per_thread == 200
    assert set(got) == expected


def test_concurrent_create_same_database_exactly_one_wins(lakebox_endpoint, glue):
    name = unique_name("race")
    threads = 8
    clients = [make_glue_client(lakebox_endpoint) for _ in range(threads)]
    barrier = threading.Barrier(threads)

    def work(t: int) -> str:
        barrier.wait(timeout=30)
        try:
            clients[t].create_database(DatabaseInput={"Name": name, "Description": f"by {t}"})
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(work, range(threads)))
    try:
        assert outcomes.count("ok") == 1, outcomes
        assert outcomes.count("AlreadyExistsException") == threads - 1, outcomes
        desc = glue.get_database(Name=name)["Database"]["Description"]
        assert desc == f"by {outcomes.index('ok')}"
    finally:
        glue.delete_database(Name=name)


def test_update_table_needs_the_whole_table_input(glue, table):
    """UpdateTable replaces the definition with TableInput; a request without it must not wipe
    the table (botocore marks TableInput optional because of the newer Iceberg form)."""
    db, name = table
    before = glue.get_table(DatabaseName=db, Name=name)["Table"]
    with pytest.raises(ClientError) as ei:
        glue.update_table(DatabaseName=db, Name=name, SkipArchive=True)
    assert_error(ei.value, "InvalidInputException")
    after = glue.get_table(DatabaseName=db, Name=name)["Table"]
    assert after["StorageDescriptor"] == before["StorageDescriptor"]
    assert after["PartitionKeys"] == before["PartitionKeys"]


def test_deeply_nested_expression_is_invalid_input_not_a_crash(glue, table, lakebox_endpoint):
    db, name = table
    expression = "(" * 1000 + "year = '2024'" + ")" * 1000
    with pytest.raises(ClientError) as ei:
        glue.get_partitions(DatabaseName=db, TableName=name, Expression=expression)
    assert_error(ei.value, "InvalidInputException")
    glue.get_databases()  # the server is still there
