"""Athena's non-query API through boto3: workgroups, named queries, prepared statements, data
catalogs, and the metadata operations over the Glue catalog Lakebox shares with Athena.

Expected values come from what each test created. AWS facts relied on are cited per test."""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import unique_name


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_primary_workgroup_always_exists(athena):
    """Every account has the `primary` workgroup (Athena user guide, "Workgroups")."""
    wg = athena.get_work_group(WorkGroup="primary")["WorkGroup"]
    assert wg["Name"] == "primary"
    assert wg["State"] == "ENABLED"
    names = [w["Name"] for w in athena.list_work_groups()["WorkGroups"]]
    assert "primary" in names
    with pytest.raises(ClientError) as e:
        athena.delete_work_group(WorkGroup="primary")
    assert error_code(e) == "InvalidRequestException"


def test_workgroup_lifecycle_and_configuration_updates(athena):
    name = unique_name("wg")
    athena.create_work_group(
        Name=name,
        Description="reports",
        Configuration={
            "ResultConfiguration": {"OutputLocation": "s3://results/reports/"},
            "EnforceWorkGroupConfiguration": False,
            "BytesScannedCutoffPerQuery": 10_000_000,
        },
    )
    with pytest.raises(ClientError) as e:
        athena.create_work_group(Name=name)
    assert error_code(e) == "InvalidRequestException"

    wg = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert wg["Description"] == "reports"
    config = wg["Configuration"]
    assert config["ResultConfiguration"]["OutputLocation"] == "s3://results/reports/"
    assert config["EnforceWorkGroupConfiguration"] is False
    assert config["BytesScannedCutoffPerQuery"] == 10_000_000

    athena.update_work_group(
        WorkGroup=name,
        Description="monthly reports",
        State="DISABLED",
        ConfigurationUpdates={
            "ResultConfigurationUpdates": {"OutputLocation": "s3://results/monthly/"},
            "RemoveBytesScannedCutoffPerQuery": True,
            "EnforceWorkGroupConfiguration": True,
        },
    )
    wg = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert (wg["Description"], wg["State"]) == ("monthly reports", "DISABLED")
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://results/monthly/"
    assert "BytesScannedCutoffPerQuery" not in wg["Configuration"]
    assert wg["Configuration"]["EnforceWorkGroupConfiguration"] is True

    athena.update_work_group(
        WorkGroup=name, ConfigurationUpdates={"ResultConfigurationUpdates": {"RemoveOutputLocation": True}}
    )
    wg = athena.get_work_group(WorkGroup=name)["WorkGroup"]
    assert "OutputLocation" not in wg["Configuration"].get("ResultConfiguration", {})

    athena.delete_work_group(WorkGroup=name)
    with pytest.raises(ClientError) as e:
        athena.get_work_group(WorkGroup=name)
    assert error_code(e) == "InvalidRequestException"


def test_list_work_groups_pages(athena):
    created = {unique_name("pg") for _ in range(5)}
    for name in created:
        athena.create_work_group(Name=name)
    seen, token = [], None
    while True:
        kwargs = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        page = athena.list_work_groups(**kwargs)
        assert len(page["WorkGroups"]) <= 2
        seen += [w["Name"] for w in page["WorkGroups"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)), "a workgroup was listed twice"
    assert created <= set(seen)


def test_named_queries(athena):
    wg = unique_name("nq")
    athena.create_work_group(Name=wg)
    token = uuid.uuid4().hex  # ClientRequestToken: 32 to 128 characters
    first = athena.create_named_query(
        Name="revenue", Database="taxi", QueryString="SELECT 1", WorkGroup=wg, ClientRequestToken=token
    )["NamedQueryId"]
    again = athena.create_named_query(
        Name="revenue", Database="taxi", QueryString="SELECT 1", WorkGroup=wg, ClientRequestToken=token
    )["NamedQueryId"]
    assert again == first, "the same ClientRequestToken must not create a second query"
    second = athena.create_named_query(Name="tips", Database="taxi", QueryString="SELECT 2", WorkGroup=wg)["NamedQueryId"]

    q = athena.get_named_query(NamedQueryId=first)["NamedQuery"]
    assert (q["Name"], q["Database"], q["QueryString"], q["WorkGroup"]) == ("revenue", "taxi", "SELECT 1", wg)
    assert athena.list_named_queries(WorkGroup=wg)["NamedQueryIds"] == [first, second]

    missing = str(uuid.uuid4())
    batch = athena.batch_get_named_query(NamedQueryIds=[first, missing])
    assert [n["NamedQueryId"] for n in batch["NamedQueries"]] == [first]
    assert [u["NamedQueryId"] for u in batch["UnprocessedNamedQueryIds"]] == [missing]

    athena.update_named_query(NamedQueryId=first, Name="revenue v2", QueryString="SELECT 3", Description="d")
    q = athena.get_named_query(NamedQueryId=first)["NamedQuery"]
    assert (q["Name"], q["QueryString"], q["Description"]) == ("revenue v2", "SELECT 3", "d")

    with pytest.raises(ClientError) as e:
        athena.delete_work_group(WorkGroup=wg)
    assert error_code(e) == "InvalidRequestException", "a workgroup with named queries needs RecursiveDeleteOption"

    athena.delete_named_query(NamedQueryId=second)
    with pytest.raises(ClientError) as e:
        athena.get_named_query(NamedQueryId=second)
    assert error_code(e) == "InvalidRequestException"
    athena.delete_work_group(WorkGroup=wg, RecursiveDeleteOption=True)
    with pytest.raises(ClientError):
        athena.get_named_query(NamedQueryId=first)


def test_prepared_statements(athena):
    wg = unique_name("ps")
    athena.create_work_group(Name=wg)
    athena.create_prepared_statement(
        StatementName="by_month", WorkGroup=wg, QueryStatement="SELECT * FROM t WHERE month = ?", Description="d"
    )
    with pytest.raises(ClientError) as e:
        athena.create_prepared_statement(StatementName="by_month", WorkGroup=wg, QueryStatement="SELECT 1")
    assert error_code(e) == "InvalidRequestException"
    got = athena.get_prepared_statement(StatementName="by_month", WorkGroup=wg)["PreparedStatement"]
    assert (got["StatementName"], got["QueryStatement"], got["WorkGroupName"]) == (
        "by_month", "SELECT * FROM t WHERE month = ?", wg)

    athena.update_prepared_statement(StatementName="by_month", WorkGroup=wg, QueryStatement="SELECT 2")
    got = athena.get_prepared_statement(StatementName="by_month", WorkGroup=wg)["PreparedStatement"]
    assert got["QueryStatement"] == "SELECT 2"
    athena.create_prepared_statement(StatementName="another", WorkGroup=wg, QueryStatement="SELECT 3")
    names = [s["StatementName"] for s in athena.list_prepared_statements(WorkGroup=wg)["PreparedStatements"]]
    assert names == ["another", "by_month"]

    athena.delete_prepared_statement(StatementName="by_month", WorkGroup=wg)
    with pytest.raises(ClientError) as e:
        athena.get_prepared_statement(StatementName="by_month", WorkGroup=wg)
    assert error_code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        athena.update_prepared_statement(StatementName="nope", WorkGroup=wg, QueryStatement="SELECT 1")
    assert error_code(e) == "ResourceNotFoundException"


def test_data_catalogs(athena):
    """The Glue catalog is `AwsDataCatalog`, matched case-insensitively (dbt-athena and PyAthena
    send it in several spellings)."""
    for spelling in ["AwsDataCatalog", "awsdatacatalog", "AWSDATACATALOG"]:
        catalog = athena.get_data_catalog(Name=spelling)["DataCatalog"]
        assert (catalog["Name"], catalog["Type"]) == ("AwsDataCatalog", "GLUE")
    listed = athena.list_data_catalogs()["DataCatalogsSummary"]
    assert [c["CatalogName"] for c in listed] == ["AwsDataCatalog"]
    with pytest.raises(ClientError) as e:
        athena.get_data_catalog(Name="hive_catalog")
    assert error_code(e) == "InvalidRequestException"


def test_metadata_reads_the_glue_catalog(athena, glue):
    db = unique_name("meta")
    glue.create_database(DatabaseInput={"Name": db, "Description": "trips", "Parameters": {"owner": "data"}})
    glue.create_table(
        DatabaseName=db,
        TableInput={
            "Name": "trips",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": "year", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": [{"Name": "fare", "Type": "double", "Comment": "USD"}, {"Name": "vendor", "Type": "string"}],
                "Location": "s3://lake/trips/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                    "Parameters": {"serialization.format": "1"},
                },
            },
        },
    )
    glue.create_table(DatabaseName=db, TableInput={"Name": "zones"})

    dbs = athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]
    mine = [d for d in dbs if d["Name"] == db]
    assert mine == [{"Name": db, "Description": "trips", "Parameters": {"owner": "data"}}]
    assert athena.get_database(CatalogName="awsdatacatalog", DatabaseName=db)["Database"]["Name"] == db

    tables = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db)["TableMetadataList"]
    assert [t["Name"] for t in tables] == ["trips", "zones"]
    only = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db, Expression="zo*")
    assert [t["Name"] for t in only["TableMetadataList"]] == ["zones"]

    meta = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db, TableName="trips")["TableMetadata"]
    assert meta["Columns"] == [{"Name": "fare", "Type": "double", "Comment": "USD"}, {"Name": "vendor", "Type": "string"}]
    assert meta["PartitionKeys"] == [{"Name": "year", "Type": "string"}]
    assert meta["TableType"] == "EXTERNAL_TABLE"
    params = meta["Parameters"]
    assert params["location"] == "s3://lake/trips/"
    assert params["inputformat"].endswith("MapredParquetInputFormat")
    assert params["serde.serialization.lib"].endswith("ParquetHiveSerDe")
    assert params["serde.param.serialization.format"] == "1"
    assert params["classification"] == "parquet"

    with pytest.raises(ClientError) as e:
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=unique_name("missing"))
    assert error_code(e) == "MetadataException"
    with pytest.raises(ClientError) as e:
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db, TableName="missing")
    assert error_code(e) == "MetadataException"


def test_query_execution_needs_an_output_location(athena):
    """Without ResultConfiguration.OutputLocation and no workgroup location, Athena refuses the
    query with INVALID_INPUT (wording measured on Athena, see docs/COMPATIBILITY.md)."""
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1")
    assert error_code(e) == "InvalidRequestException"
    assert e.value.response["AthenaErrorCode"] == "INVALID_INPUT"
    assert e.value.response["Error"]["Message"].startswith("No output location provided.")


def test_athena_state_survives_a_restart(start_lakebox, tmp_path):
    from conftest import make_athena_client

    data_dir = tmp_path / "data"
    first = start_lakebox(data_dir)
    athena = make_athena_client(first.endpoint)
    athena.create_work_group(Name="durable", Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"}})
    query_id = athena.create_named_query(Name="q", Database="d", QueryString="SELECT 1", WorkGroup="durable")["NamedQueryId"]
    first.kill()
    second = start_lakebox(data_dir)
    athena = make_athena_client(second.endpoint)
    wg = athena.get_work_group(WorkGroup="durable")["WorkGroup"]
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://r/"
    assert athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]["QueryString"] == "SELECT 1"
