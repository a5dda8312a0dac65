//! An example data pipeline, written as a team would write it for AWS, and tested against
//! Lakebox (see `tests/pipeline.rs`; `python/` holds its Python twin):
//!
//! 1. raw taxi CSV files land in `s3://<raw>/incoming/` (from a vendor, a Lambda, Firehose);
//! 2. [`transform`] turns them into Parquet partitioned by pickup month,
//!    `s3://<lake>/trips/year=YYYY/month=MM/`;
//! 3. [`register`] creates the Glue table once and registers each new partition;
//! 4. [`monthly_report`] runs the monthly revenue report through Athena.
//!
//! Nothing here knows about Lakebox: the same code runs against AWS given real clients.

use anyhow::Context as _;
use arrow::array::{Array, RecordBatch, TimestampMicrosecondArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use aws_sdk_glue::types::{Column, PartitionInput, SerDeInfo, StorageDescriptor, TableInput};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The raw files' columns (the TLC's yellow-taxi CSV) and their types.
const COLUMNS: [(&str, DataType, &str); 19] = [
    ("VendorID", DataType::Int32, "int"),
    ("tpep_pickup_datetime", DataType::Timestamp(TimeUnit::Microsecond, None), "timestamp"),
    ("tpep_dropoff_datetime", DataType::Timestamp(TimeUnit::Microsecond, None), "timestamp"),
    ("passenger_count", DataType::Int64, "bigint"),
    ("trip_distance", DataType::Float64, "double"),
    ("RatecodeID", DataType::Int64, "bigint"),
    ("store_and_fwd_flag", DataType::Utf8, "string"),
    ("PULocationID", DataType::Int32, "int"),
    ("DOLocationID", DataType::Int32, "int"),
    ("payment_type", DataType::Int64, "bigint"),
    ("fare_amount", DataType::Float64, "double"),
    ("extra", DataType::Float64, "double"),
    ("mta_tax", DataType::Float64, "double"),
    ("tip_amount", DataType::Float64, "double"),
    ("tolls_amount", DataType::Float64, "double"),
    ("improvement_surcharge", DataType::Float64, "double"),
    ("total_amount", DataType::Float64, "double"),
    ("congestion_surcharge", DataType::Float64, "double"),
    ("airport_fee", DataType::Float64, "double"),
];

fn raw_schema() -> SchemaRef {
    Arc::new(Schema::new(COLUMNS.iter().map(|(n, t, _)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>()))
}

/// Where the pipeline reads and writes.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub s3: aws_sdk_s3::Client,
    pub glue: aws_sdk_glue::Client,
    pub athena: aws_sdk_athena::Client,
    /// Bucket and prefix of the raw CSV files.
    pub raw: (String, String),
    /// Bucket of the curated Parquet files (under `trips/`).
    pub lake: String,
    /// The Glue database and table.
    pub database: String,
    pub table: String,
    /// Where Athena writes results.
    pub results: String,
}

/// `(year, month)` of a pickup time in microseconds.
fn month_of(micros: i64) -> (i32, u32) {
    let days = micros.div_euclid(86_400_000_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month)
}

impl Pipeline {
    /// Step 2: every raw CSV file becomes one Parquet file per pickup month, written under
    /// `trips/year=YYYY/month=MM/` and named after the raw file. Returns the months written.
    pub async fn transform(&self) -> anyhow::Result<Vec<(i32, u32)>> {
        let (bucket, prefix) = &self.raw;
        let mut months = std::collections::BTreeSet::new();
        let mut pages = self.s3.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            for object in page?.contents() {
                let key = object.key().unwrap_or_default().to_string();
                if !key.ends_with(".csv") {
                    continue;
                }
                let body = self.s3.get_object().bucket(bucket).key(&key).send().await?.body.collect().await?;
                let by_month = split_by_month(&body.into_bytes())?;
                let stem = key.rsplit('/').next().unwrap_or(&key).trim_end_matches(".csv").to_string();
                for ((year, month), batch) in by_month {
                    let out = format!("trips/year={year:04}/month={month:02}/{stem}.parquet");
                    self.s3.put_object().bucket(&self.lake).key(out).body(parquet_bytes(&batch)?.into()).send().await?;
                    months.insert((year, month));
                }
            }
        }
        Ok(months.into_iter().collect())
    }

    /// Step 3: the Glue table (created if missing) and a partition for each month not yet
    /// registered.
    pub async fn register(&self, months: &[(i32, u32)]) -> anyhow::Result<usize> {
        let location = format!("s3://{}/trips/", self.lake);
        if self.glue.get_table().database_name(&self.database).name(&self.table).send().await.is_err() {
            let columns = COLUMNS
                .iter()
                .map(|(n, _, hive)| Column::builder().name(n.to_lowercase()).r#type(*hive).build())
                .collect::<Result<Vec<_>, _>>()?;
            let keys = ["year", "month"]
                .iter()
                .map(|k| Column::builder().name(*k).r#type("string").build())
                .collect::<Result<Vec<_>, _>>()?;
            let input = TableInput::builder()
                .name(&self.table)
                .table_type("EXTERNAL_TABLE")
                .set_partition_keys(Some(keys))
                .storage_descriptor(storage(columns, &location))
                .parameters("classification", "parquet")
                .build()?;
            self.glue.create_table().database_name(&self.database).table_input(input).send().await?;
        }
        let inputs: Vec<PartitionInput> = months
            .iter()
            .map(|(y, m)| {
                PartitionInput::builder()
                    .values(format!("{y:04}"))
                    .values(format!("{m:02}"))
                    .storage_descriptor(
                        StorageDescriptor::builder().location(format!("{location}year={y:04}/month={m:02}/")).build(),
                    )
                    .build()
            })
            .collect();
        let mut added = 0;
        for chunk in inputs.chunks(100) {
            let out = self
                .glue
                .batch_create_partition()
                .database_name(&self.database)
                .table_name(&self.table)
                .set_partition_input_list(Some(chunk.to_vec()))
                .send()
                .await?;
            let exists = out
                .errors()
                .iter()
                .filter(|e| e.error_detail().and_then(|d| d.error_code()) == Some("AlreadyExistsException"))
                .count();
            anyhow::ensure!(exists == out.errors().len(), "registering partitions failed: {:?}", out.errors());
            added += chunk.len() - exists;
        }
        Ok(added)
    }

    /// Step 4: the monthly report, through Athena.
    pub async fn monthly_report(&self) -> anyhow::Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT year, month, count(*) AS trips, round(sum(total_amount), 2) AS revenue, \
                    round(sum(tip_amount) / sum(fare_amount) * 100, 2) AS tip_pct \
             FROM {} WHERE fare_amount > 0 GROUP BY year, month ORDER BY year, month",
            self.table
        );
        let rows = self.athena_rows(&sql).await?;
        rows.iter()
            .map(|r| {
                let cell =
                    |i: usize| r.get(i).cloned().flatten().with_context(|| format!("row {r:?} lacks column {i}"));
                Ok(ReportRow {
                    month: format!("{}-{}", cell(0)?, cell(1)?),
                    trips: cell(2)?.parse()?,
                    revenue: cell(3)?.parse()?,
                    tip_pct: cell(4)?.parse()?,
                })
            })
            .collect()
    }

    async fn athena_rows(&self, sql: &str) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
        let id = self
            .athena
            .start_query_execution()
            .query_string(sql)
            .query_execution_context(QueryExecutionContext::builder().database(&self.database).build())
            .result_configuration(ResultConfiguration::builder().output_location(&self.results).build())
            .send()
            .await?
            .query_execution_id()
            .context("no query id")?
            .to_string();
        loop {
            let e = self.athena.get_query_execution().query_execution_id(&id).send().await?;
            let status = e.query_execution().and_then(|q| q.status()).context("no status")?;
            match status.state() {
                Some(QueryExecutionState::Succeeded) => break,
                Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => {
                    anyhow::bail!("report query failed: {}", status.state_change_reason().unwrap_or_default())
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let mut rows = Vec::new();
        let mut pages = self.athena.get_query_results().query_execution_id(&id).into_paginator().send();
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = page?;
            let data = page.result_set().map(|r| r.rows()).unwrap_or_default();
            for (i, row) in data.iter().enumerate() {
                if first && i == 0 {
                    continue; // the header row
                }
                rows.push(row.data().iter().map(|d| d.var_char_value().map(str::to_string)).collect());
            }
            first = false;
        }
        Ok(rows)
    }
}

/// One line of the monthly report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub month: String,
    pub trips: u64,
    pub revenue: f64,
    pub tip_pct: f64,
}

fn storage(columns: Vec<Column>, location: &str) -> StorageDescriptor {
    StorageDescriptor::builder()
        .set_columns(Some(columns))
        .location(location)
        .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
        .serde_info(
            SerDeInfo::builder()
                .serialization_library("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
                .parameters("serialization.format", "1")
                .build(),
        )
        .build()
}

/// Parses one raw CSV file (with a header) and splits its rows by pickup month.
fn split_by_month(csv: &[u8]) -> anyhow::Result<BTreeMap<(i32, u32), RecordBatch>> {
    let format = arrow::csv::reader::Format::default().with_header(true);
    let reader = arrow::csv::ReaderBuilder::new(raw_schema()).with_format(format).build(std::io::Cursor::new(csv))?;
    let mut out: BTreeMap<(i32, u32), Vec<RecordBatch>> = BTreeMap::new();
    for batch in reader {
        let batch = batch?;
        let pickups = batch
            .column(1)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .context("pickup times are not timestamps")?;
        let months: Vec<Option<(i32, u32)>> =
            (0..pickups.len()).map(|i| pickups.is_valid(i).then(|| month_of(pickups.value(i)))).collect();
        let distinct: std::collections::BTreeSet<(i32, u32)> = months.iter().flatten().copied().collect();
        for month in distinct {
            let mask: arrow::array::BooleanArray = months.iter().map(|m| Some(*m == Some(month))).collect();
            out.entry(month).or_default().push(filter_record_batch(&batch, &mask)?);
        }
    }
    out.into_iter().map(|(k, batches)| Ok((k, arrow::compute::concat_batches(&raw_schema(), &batches)?))).collect()
}

fn parquet_bytes(batch: &RecordBatch) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_of_pickup_times() {
        assert_eq!(super::month_of(0), (1970, 1));
        // 2024-02-29T23:59:59Z and 2024-03-01T00:00:00Z
        assert_eq!(super::month_of(1_709_251_199_000_000), (2024, 2));
        assert_eq!(super::month_of(1_709_251_200_000_000), (2024, 3));
    }
}
