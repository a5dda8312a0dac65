"""End-to-end tests of Lakebox's Glue API through the real aws CLI (v1).

The CLI finds Lakebox through AWS_ENDPOINT_URL (see conftest.run_aws_cli),
exactly as a user would point it at the emulator.  The CLI paginates list
operations on its own, following NextToken; ``--page-size`` makes it do so
with small pages.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import unique_name

COLUMNS = [
    {"Name": "id", "Type": "bigint"},
    {"Name": "payload", "Type": "string", "Comment": "raw json"},
]
PARTITION_KEYS = [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "int"}]


def table_input(name: str) -> dict:
    return {
        "Name": name,
        "Description": "created by the aws CLI",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "json"},
        "PartitionKeys": PARTITION_KEYS,
        "StorageDescriptor": {
            "Columns": COLUMNS,
            "Location": f"s3://lakebox-cli/{name}/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                "Parameters": {"paths": "id,payload"},
            },
        },
    }


def ok(result):
    """Unwrap a successful CLI result; fail with the CLI's stderr otherwise."""
    if isinstance(result, subprocess.CompletedProcess):
        pytest.fail(f"aws exited {result.returncode}:\n{result.stderr}")
    return result


def failed(result) -> subprocess.CompletedProcess:
    assert isinstance(result, subprocess.CompletedProcess), f"expected the CLI to fail, got {result!r}"
    assert result.returncode != 0
    return result


@pytest.fixture
def cli_db(aws_cli):
    name = unique_name("cli")
    ok(aws_cli("glue", "create-database", "--database-input", json.dumps({"Name": name, "Description": "cli db"})))
    yield name
    aws_cli("glue", "delete-database", "--name", name)


def test_cli_create_and_list_databases(aws_cli):
    name = unique_name("cli")
    out = ok(aws_cli("glue", "create-database", "--database-input",
                     json.dumps({"Name": name, "Description": "from the CLI", "Parameters": {"k": "v"}})))
    assert out == {}  # CreateDatabase has an empty response

    db = ok(aws_cli("glue", "get-database", "--name", name))["Database"]
    assert db["Name"] == name
    assert db["Description"] == "from the CLI"
    assert db["Parameters"] == {"k": "v"}

    # The CLI follows NextToken itself; a page size of 2 forces several pages.
    listed = ok(aws_cli("glue", "get-databases", "--page-size", "2"))["DatabaseList"]
    names = [d["Name"] for d in listed]
    assert name in names
    assert len(names) == len(set(names))
    ok(aws_cli("glue", "delete-database", "--name", name))


def test_cli_duplicate_database_fails(aws_cli, cli_db):
    res = failed(aws_cli("glue", "create-database", "--database-input", json.dumps({"Name": cli_db})))
    assert "AlreadyExistsException" in res.stderr


def test_cli_create_table_with_cli_input_json(aws_cli, cli_db):
    ti = table_input("from_input_json")
    ok(aws_cli("glue", "create-table", "--cli-input-json", json.dumps({"DatabaseName": cli_db, "TableInput": ti})))
    t = ok(aws_cli("glue", "get-table", "--database-name", cli_db, "--name", "from_input_json"))["Table"]
    assert t["Name"] == "from_input_json"
    assert t["DatabaseName"] == cli_db
    assert t["Description"] == ti["Description"]
    assert t["PartitionKeys"] == PARTITION_KEYS
    assert t["StorageDescriptor"]["Columns"] == COLUMNS
    assert t["StorageDescriptor"]["Location"] == ti["StorageDescriptor"]["Location"]
    assert t["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"paths": "id,payload"}
    assert t["Parameters"] == {"classification": "json"}


def test_cli_create_table_with_table_input(aws_cli, cli_db):
    ok(aws_cli("glue", "create-table", "--database-name", cli_db, "--table-input", json.dumps(table_input("Mixed_Case"))))
    # TableInput.Name is folded to lower case when stored (botocore model).
    tables = ok(aws_cli("glue", "get-tables", "--database-name", cli_db))["TableList"]
    assert [t["Name"] for t in tables] == ["mixed_case"]


def test_cli_partitions(aws_cli, cli_db):
    ok(aws_cli("glue", "create-table", "--database-name", cli_db, "--table-input", json.dumps(table_input("events"))))
    values = [[y, str(m)] for y in ("2023", "2024") for m in range(1, 13)]
    inputs = [
        {"Values": v, "StorageDescriptor": {"Columns": COLUMNS, "Location": f"s3://lakebox-cli/events/{v[0]}/{v[1]}/"}}
        for v in values
    ]
    out = ok(aws_cli("glue", "batch-create-partition", "--database-name", cli_db, "--table-name", "events",
                     "--partition-input-list", json.dumps(inputs)))
    assert not out.get("Errors")

    # All of them, fetched 5 per page by the CLI's own pagination.
    parts = ok(aws_cli("glue", "get-partitions", "--database-name", cli_db, "--table-name", "events",
                       "--page-size", "5"))["Partitions"]
    assert sorted(p["Values"] for p in parts) == sorted(values)

    # An expression: int key compares numerically.
    parts = ok(aws_cli("glue", "get-partitions", "--database-name", cli_db, "--table-name", "events",
                       "--expression", "year = '2024' AND month >= 10"))["Partitions"]
    assert sorted(p["Values"] for p in parts) == sorted([["2024", "10"], ["2024", "11"], ["2024", "12"]])
    for p in parts:
        assert p["StorageDescriptor"]["Location"] == f"s3://lakebox-cli/events/{p['Values'][0]}/{p['Values'][1]}/"

    # Re-creating one of them reports it in Errors.
    out = ok(aws_cli("glue", "batch-create-partition", "--database-name", cli_db, "--table-name", "events",
                     "--partition-input-list", json.dumps(inputs[:1])))
    assert [e["PartitionValues"] for e in out["Errors"]] == [values[0]]
    assert out["Errors"][0]["ErrorDetail"]["ErrorCode"] == "AlreadyExistsException"


def test_cli_bad_expression_fails(aws_cli, cli_db):
    ok(aws_cli("glue", "create-table", "--database-name", cli_db, "--table-input", json.dumps(table_input("events"))))
    res = failed(aws_cli("glue", "get-partitions", "--database-name", cli_db, "--table-name", "events",
                         "--expression", "no_such_key = '1'"))
    assert "InvalidInputException" in res.stderr


def test_cli_delete_database(aws_cli):
    name = unique_name("cli")
    ok(aws_cli("glue", "create-database", "--database-input", json.dumps({"Name": name})))
    ok(aws_cli("glue", "create-table", "--database-name", name, "--table-input", json.dumps(table_input("t"))))
    assert ok(aws_cli("glue", "delete-database", "--name", name)) == {}

    res = failed(aws_cli("glue", "get-database", "--name", name))
    assert "EntityNotFoundException" in res.stderr
    listed = ok(aws_cli("glue", "get-databases"))["DatabaseList"]
    assert name not in {d["Name"] for d in listed}
