"""The Python twin of the example pipeline (src/lib.rs): raw taxi CSV in S3 -> Parquet partitioned
by pickup month -> Glue table and partitions -> a monthly revenue report through Athena.

Plain boto3 and pyarrow, written for AWS: point it at Lakebox with AWS_ENDPOINT_URL."""

from __future__ import annotations

import io
import time

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HIVE_TYPES = {"VendorID": "int", "passenger_count": "bigint", "RatecodeID": "bigint", "store_and_fwd_flag": "string",
              "PULocationID": "int", "DOLocationID": "int", "payment_type": "bigint",
              "tpep_pickup_datetime": "timestamp", "tpep_dropoff_datetime": "timestamp"}
ARROW_TYPES = {"int": pa.int32(), "bigint": pa.int64(), "string": pa.string(), "timestamp": pa.timestamp("us"),
               "double": pa.float64()}
COLUMNS = ["VendorID", "tpep_pickup_datetime", "tpep_dropoff_datetime", "passenger_count", "trip_distance",
           "RatecodeID", "store_and_fwd_flag", "PULocationID", "DOLocationID", "payment_type", "fare_amount", "extra",
           "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount", "congestion_surcharge",
           "airport_fee"]


def hive_type(column: str) -> str:
    return HIVE_TYPES.get(column, "double")


class Pipeline:
    def __init__(self, raw_bucket: str, raw_prefix: str, lake_bucket: str, database: str, table: str, results: str):
        self.s3, self.glue, self.athena = boto3.client("s3"), boto3.client("glue"), boto3.client("athena")
        self.raw_bucket, self.raw_prefix, self.lake = raw_bucket, raw_prefix, lake_bucket
        self.database, self.table, self.results = database, table, results

    def transform(self) -> list[tuple[int, int]]:
        """Each raw CSV file becomes one Parquet file per pickup month."""
        months = set()
        schema = {c: ARROW_TYPES[hive_type(c)] for c in COLUMNS}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.raw_bucket, Prefix=self.raw_prefix):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith(".csv"):
                    continue
                body = self.s3.get_object(Bucket=self.raw_bucket, Key=obj["Key"])["Body"].read()
                trips = pacsv.read_csv(io.BytesIO(body), convert_options=pacsv.ConvertOptions(column_types=schema))
                pickup = trips["tpep_pickup_datetime"]
                keys = pc.add(pc.multiply(pc.year(pickup), 100), pc.month(pickup))
                stem = obj["Key"].rsplit("/", 1)[-1].removesuffix(".csv")
                for key in sorted(set(keys.to_pylist())):
                    year, month = divmod(key, 100)
                    part = trips.filter(pc.equal(keys, key))
                    out = io.BytesIO()
                    pq.write_table(part, out, compression="snappy")
                    self.s3.put_object(Bucket=self.lake, Key=f"trips/year={year:04}/month={month:02}/{stem}.parquet",
                                       Body=out.getvalue())
                    months.add((year, month))
        return sorted(months)

    def register(self, months: list[tuple[int, int]]) -> int:
        location = f"s3://{self.lake}/trips/"
        sd = {
            "Columns": [{"Name": c.lower(), "Type": hive_type(c)} for c in COLUMNS],
            "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        }
        try:
            self.glue.get_table(DatabaseName=self.database, Name=self.table)
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_table(DatabaseName=self.database, TableInput={
                "Name": self.table, "TableType": "EXTERNAL_TABLE", "StorageDescriptor": sd,
                "PartitionKeys": [{"Name": "year", "Type": "string"}, {"Name": "month", "Type": "string"}],
                "Parameters": {"classification": "parquet"}})
        inputs = [{"Values": [f"{y:04}", f"{m:02}"],
                   "StorageDescriptor": {**sd, "Location": f"{location}year={y:04}/month={m:02}/"}} for y, m in months]
        added = 0
        for i in range(0, len(inputs), 100):
            chunk = inputs[i:i + 100]
            errors = self.glue.batch_create_partition(DatabaseName=self.database, TableName=self.table,
                                                      PartitionInputList=chunk).get("Errors", [])
            assert all(e["ErrorDetail"]["ErrorCode"] == "AlreadyExistsException" for e in errors), errors
            added += len(chunk) - len(errors)
        return added

    def monthly_report(self) -> list[dict]:
        sql = (f"SELECT year, month, count(*) AS trips, round(sum(total_amount), 2) AS revenue, "
               f"round(sum(tip_amount) / sum(fare_amount) * 100, 2) AS tip_pct FROM {self.table} "
               f"WHERE fare_amount > 0 GROUP BY year, month ORDER BY year, month")
        qid = self.athena.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": self.database},
            ResultConfiguration={"OutputLocation": self.results})["QueryExecutionId"]
        while True:
            status = self.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.05)
        if status["State"] != "SUCCEEDED":
            raise RuntimeError(f"report failed: {status.get('StateChangeReason')}")
        rows = []
        for page in self.athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
            rows.extend(page["ResultSet"]["Rows"])
        header, *data = rows
        names = [d["VarCharValue"] for d in header["Data"]]
        return [dict(zip(names, (d.get("VarCharValue") for d in r["Data"]))) for r in data]
