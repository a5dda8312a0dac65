"""The pipeline end to end against Lakebox, checked against pandas over the raw files."""

import io
import os
import subprocess

import boto3
import pandas as pd
import pytest

from pipeline import Pipeline


def test_raw_csv_becomes_a_monthly_athena_report(aws):
    s3, glue = boto3.client("s3"), boto3.client("glue")
    for bucket in ("raw", "lake", "results"):
        s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": "reports"})
    # 1. Raw CSV lands: the taxi fixture, flat, in files that mix months.
    exe = os.environ.get("LAKEBOX_BIN", "lakebox")
    subprocess.run([exe, "fixtures", "taxi", "--rows", "9000", "--seed", "5", "--format", "csv", "--layout", "flat",
                    "--rows-per-file", "4000", "--to", "s3://raw/incoming"], check=True, capture_output=True)

    pipeline = Pipeline("raw", "incoming/", "lake", "reports", "trips", "s3://results/reports/")
    months = pipeline.transform()
    assert months == [(2024, 1), (2024, 2), (2024, 3)]
    assert pipeline.register(months) == 3
    assert pipeline.register(months) == 0
    report = pipeline.monthly_report()

    raw = pd.concat(
        pd.read_csv(io.BytesIO(s3.get_object(Bucket="raw", Key=o["Key"])["Body"].read()),
                    parse_dates=["tpep_pickup_datetime"])
        for o in s3.list_objects_v2(Bucket="raw", Prefix="incoming/")["Contents"])
    raw = raw[raw.fare_amount > 0]
    raw["month"] = raw.tpep_pickup_datetime.dt.strftime("%Y-%m")
    expected = raw.groupby("month").agg(trips=("fare_amount", "size"), revenue=("total_amount", "sum"),
                                        tips=("tip_amount", "sum"), fares=("fare_amount", "sum"))
    assert [f"{r['year']}-{r['month']}" for r in report] == list(expected.index)
    for row, (_, want) in zip(report, expected.iterrows()):
        assert int(row["trips"]) == want.trips
        assert float(row["revenue"]) == pytest.approx(want.revenue, abs=0.006)
        assert float(row["tip_pct"]) == pytest.approx(want.tips / want.fares * 100, abs=0.006)
