"""STS GetCallerIdentity, the one STS call dbt-athena and awswrangler make.

The account is the one the session Lakebox was started with: the default
``000000000000`` (``LAKEBOX_ACCOUNT_ID`` / ``--account-id``), the same id Glue
uses as the default ``CatalogId``.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, BOTO_CONFIG, SECRET_KEY, run_aws_cli

ACCOUNT = "000000000000"


def sts_client(endpoint: str):
    return boto3.client(
        "sts",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=BOTO_CONFIG,
    )


def test_boto3_get_caller_identity_names_the_catalog_account(lakebox_endpoint, glue):
    identity = sts_client(lakebox_endpoint).get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == ACCESS_KEY
    # dbt-athena passes this account to Glue as CatalogId: Glue must accept it.
    glue.get_databases(CatalogId=identity["Account"])


def test_aws_cli_get_caller_identity(lakebox_endpoint):
    identity = run_aws_cli(lakebox_endpoint, "sts", "get-caller-identity")
    assert identity["Account"] == ACCOUNT


def test_other_sts_actions_are_refused_with_the_query_error_shape(lakebox_endpoint):
    with pytest.raises(ClientError) as err:
        sts_client(lakebox_endpoint).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="session")
    assert err.value.response["Error"]["Code"] == "InvalidAction"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unsigned_form_post_without_action_is_an_error(lakebox_endpoint):
    request = urllib.request.Request(
        lakebox_endpoint + "/",
        data=b"Version=2011-06-15",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400
    body = err.value.read().decode()
    assert "<Code>MissingAction</Code>" in body
