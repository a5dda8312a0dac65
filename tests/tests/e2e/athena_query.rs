//! Athena queries through aws-sdk-athena over taxi fixtures loaded through S3 and Glue. Expected
//! values are computed here from the generator's trips, independently of the query engine.

use aws_sdk_athena::error::ProvideErrorMetadata;
use lakebox_fixtures::load::{LoadOptions, load_taxi};
use lakebox_fixtures::write::{Format, Layout};
use lakebox_fixtures::{TaxiConfig, TaxiTrips, Trip};
use lakebox_harness::Lakebox;
use std::collections::BTreeMap;

const ROWS: u64 = 6_000;

fn config() -> TaxiConfig {
    TaxiConfig { rows: ROWS, seed: 7, start: (2024, 1), months: 3 }
}

fn trips() -> Vec<Trip> {
    TaxiTrips::new(&config()).collect()
}

/// A Lakebox with the taxi fixture at `s3://lake/<table>/` registered as `taxi.<table>`.
async fn taxi(format: Format, layout: Layout, table: &str) -> Lakebox {
    taxi_in(Lakebox::start().await.unwrap(), format, layout, table).await
}

/// `taxi` on a Lakebox already started (with settings of its own).
async fn taxi_in(lakebox: Lakebox, format: Format, layout: Layout, table: &str) -> Lakebox {
    lakebox.create_bucket("lake").await.unwrap();
    let options = LoadOptions {
        config: config(),
        format,
        layout,
        rows_per_file: 1_500,
        destination: format!("s3://lake/{table}"),
        register: Some(format!("taxi.{table}")),
        progress: false,
    };
    load_taxi(&lakebox.s3(), &lakebox.glue(), &options).await.unwrap();
    lakebox
}

/// The physical plan DataFusion chose for `sql` in the `taxi` database, as `EXPLAIN` prints it.
async fn explain(lakebox: &Lakebox, sql: &str) -> String {
    lakebox.query("taxi", &format!("EXPLAIN {sql}")).await.unwrap().text_rows().concat().join("\n")
}

fn month_counts(trips: &[Trip]) -> BTreeMap<(i32, u32), u64> {
    let mut counts = BTreeMap::new();
    for t in trips {
        let (y, m, _, _) = t.pickup_parts();
        *counts.entry((y, m)).or_default() += 1;
    }
    counts
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

#[tokio::test]
async fn parquet_aggregates_match_the_generated_trips() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let trips = trips();

    let result = lakebox.query("taxi", "SELECT count(*) AS n FROM trips").await.unwrap();
    assert_eq!(result.scalar(), Some(ROWS.to_string()));
    assert_eq!(result.columns[0].athena_type, "bigint");

    // Revenue by payment type.
    let result = lakebox
        .query("taxi", "SELECT payment_type, sum(total_amount) AS revenue, count(*) AS trips FROM trips GROUP BY payment_type ORDER BY payment_type")
        .await
        .unwrap();
    let mut expected: BTreeMap<i64, (f64, u64)> = BTreeMap::new();
    for t in &trips {
        let e = expected.entry(t.payment_type).or_default();
        e.0 += t.total_amount;
        e.1 += 1;
    }
    assert_eq!(result.rows.len(), expected.len());
    for (row, (payment, (revenue, n))) in result.rows.iter().zip(&expected) {
        assert_eq!(row[0].as_deref(), Some(payment.to_string().as_str()));
        let got: f64 = row[1].as_deref().unwrap().parse().unwrap();
        assert!(close(got, *revenue), "revenue of payment type {payment}: {got} vs {revenue}");
        assert_eq!(row[2].as_deref(), Some(n.to_string().as_str()));
    }
    let types: Vec<&str> = result.columns.iter().map(|c| c.athena_type.as_str()).collect();
    assert_eq!(types, ["bigint", "double", "bigint"]);

    // Files say `VendorID`, Glue says `vendorid`: never silently NULL.
    let result = lakebox
        .query("taxi", "SELECT count(vendorid), count(\"VendorID\"), max(pulocationid) FROM trips")
        .await
        .unwrap();
    let max_pu = trips.iter().map(|t| t.pu_location_id).max().unwrap();
    assert_eq!(result.text_rows(), vec![vec![ROWS.to_string(), ROWS.to_string(), max_pu.to_string()]]);
    let names: Vec<&str> = result.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["_col0", "_col1", "_col2"], "unnamed columns are named as Trino names them");
}

#[tokio::test]
async fn partition_pruning_reads_only_the_chosen_month() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let counts = month_counts(&trips());
    let full = lakebox.query("taxi", "SELECT count(*) FROM trips").await.unwrap();
    let march = lakebox.query("taxi", "SELECT count(*) FROM trips WHERE year = '2024' AND month = '03'").await.unwrap();
    assert_eq!(march.scalar(), Some(counts[&(2024, 3)].to_string()));
    assert!(march.data_scanned_bytes > 0, "reading files is counted");
    assert!(
        march.data_scanned_bytes * 2 < full.data_scanned_bytes,
        "one month of three scans less: {} vs {}",
        march.data_scanned_bytes,
        full.data_scanned_bytes
    );
    let none = lakebox.query("taxi", "SELECT count(*) FROM trips WHERE month = '13'").await.unwrap();
    assert_eq!(none.scalar(), Some("0".into()));
    assert_eq!(none.data_scanned_bytes, 0, "no partition, no file read");
}

#[tokio::test]
async fn ddl_over_zero_padded_folders_compares_integer_keys_numerically() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let counts = month_counts(&trips());
    let ddl = "CREATE EXTERNAL TABLE taxi.trips_int (
          vendorid int, tpep_pickup_datetime timestamp, total_amount double, pulocationid int)
        PARTITIONED BY (year int, month int)
        STORED AS PARQUET
        LOCATION 's3://lake/trips/'";
    let created = lakebox.run_query("taxi", ddl).await.unwrap();
    assert_eq!(created.status().unwrap().state().unwrap().as_str(), "SUCCEEDED", "{:?}", created.status());
    assert_eq!(created.statement_type().unwrap().as_str(), "DDL");
    assert_eq!(created.substatement_type(), Some("CREATE_TABLE"));

    // The table is in Glue at once, as Athena's Hive DDL writes it.
    let glue = lakebox.glue().get_table().database_name("taxi").name("trips_int").send().await.unwrap();
    let table = glue.table().unwrap();
    assert_eq!(table.table_type(), Some("EXTERNAL_TABLE"));
    assert_eq!(table.parameters().unwrap().get("EXTERNAL").map(String::as_str), Some("TRUE"));
    let keys: Vec<&str> = table.partition_keys().iter().map(|k| k.name()).collect();
    assert_eq!(keys, ["year", "month"]);

    let repaired = lakebox.query("taxi", "MSCK REPAIR TABLE trips_int").await.unwrap();
    assert_eq!(repaired.rows.len(), 1 + 3, "the 'not in metastore' line and one line per added partition");
    assert!(
        repaired.rows[0][0]
            .as_deref()
            .unwrap()
            .starts_with("Partitions not in metastore:\ttrips_int:year=2024/month=01")
    );
    let partitions = lakebox.query("taxi", "SHOW PARTITIONS trips_int").await.unwrap();
    assert_eq!(
        partitions.text_rows(),
        vec![vec!["year=2024/month=01"], vec!["year=2024/month=02"], vec!["year=2024/month=03"]]
    );

    let march = lakebox.query("taxi", "SELECT count(*) FROM trips_int WHERE year = 2024 AND month = 3").await.unwrap();
    assert_eq!(march.scalar(), Some(counts[&(2024, 3)].to_string()), "month = 3 finds month=03");
    let later = lakebox.query("taxi", "SELECT count(*) FROM trips_int WHERE month > 1").await.unwrap();
    assert_eq!(later.scalar(), Some((counts[&(2024, 2)] + counts[&(2024, 3)]).to_string()));

    let again = lakebox.query("taxi", "MSCK REPAIR TABLE trips_int").await.unwrap();
    assert!(again.rows.is_empty(), "nothing left to add: {:?}", again.rows);
}

#[tokio::test]
async fn columns_missing_from_the_files_read_as_null() {
    let lakebox = taxi(Format::Parquet, Layout::Flat, "trips").await;
    let ddl = "CREATE EXTERNAL TABLE taxi.wider (vendorid int, not_in_files string, fare_amount double)
               STORED AS PARQUET LOCATION 's3://lake/trips/'";
    lakebox.query("taxi", ddl).await.unwrap();
    let result = lakebox
        .query("taxi", "SELECT count(*), count(not_in_files), count(vendorid), sum(fare_amount) FROM wider")
        .await
        .unwrap();
    let fare: f64 = trips().iter().map(|t| t.fare_amount).sum();
    let row = &result.rows[0];
    assert_eq!((row[0].as_deref(), row[1].as_deref(), row[2].as_deref()), (Some("6000"), Some("0"), Some("6000")));
    assert!(close(row[3].as_deref().unwrap().parse().unwrap(), fare));

    // A missing column in a scan filtered while decoding (two selective equalities): NULL there.
    let ddl = "CREATE EXTERNAL TABLE taxi.wider_ints (pulocationid int, dolocationid int, not_in_files int)
               STORED AS PARQUET LOCATION 's3://lake/trips/'";
    lakebox.query("taxi", ddl).await.unwrap();
    let trip = &trips()[0];
    let (pu, dropoff) = (trip.pu_location_id, trip.do_location_id);
    let want = trips().iter().filter(|t| t.pu_location_id == pu && t.do_location_id == dropoff).count();
    let needle = format!("FROM wider_ints WHERE pulocationid = {pu} AND dolocationid = {dropoff}");
    let sql = format!("SELECT count(*), count(not_in_files) {needle} AND not_in_files IS NULL");
    assert_eq!(lakebox.query("taxi", &sql).await.unwrap().text_rows(), vec![vec![want.to_string(), "0".to_string()]]);
    let sql = format!("SELECT count(*) {needle} AND not_in_files = 1");
    assert_eq!(lakebox.query("taxi", &sql).await.unwrap().scalar(), Some("0".into()));
    let plan = explain(&lakebox, &sql).await;
    assert!(!plan.contains("FilterExec"), "{plan}");
}

#[tokio::test]
async fn csv_and_json_tables_read_like_parquet() {
    let trips = trips();
    let expected_fare: f64 = trips.iter().map(|t| t.fare_amount).sum();
    let expected_nulls = trips.iter().filter(|t| t.passenger_count.is_none()).count();
    for (format, name) in [(Format::Csv { gzip: true }, "trips_csv"), (Format::Json, "trips_json")] {
        let lakebox = taxi(format, Layout::Hive, name).await;
        let sql = format!("SELECT count(*), sum(fare_amount), count(*) - count(passenger_count) FROM {name}");
        let result = lakebox.query("taxi", &sql).await.unwrap();
        let row = &result.rows[0];
        assert_eq!(row[0].as_deref(), Some(ROWS.to_string().as_str()), "{name}");
        let fare: f64 = row[1].as_deref().unwrap().parse().unwrap();
        assert!(close(fare, expected_fare), "{name}: {fare} vs {expected_fare}");
        assert_eq!(row[2].as_deref(), Some(expected_nulls.to_string().as_str()), "{name}: NULLs survive");
    }
}

#[tokio::test]
async fn firehose_hourly_folders_are_registered_partitions() {
    let lakebox = taxi(Format::Parquet, Layout::Hourly, "events").await;
    let trips = trips();
    let noon = trips.iter().filter(|t| t.pickup_parts().3 == 12).count();
    let result = lakebox.query("taxi", "SELECT count(*) FROM events WHERE hour = '12'").await.unwrap();
    assert_eq!(result.scalar(), Some(noon.to_string()));
}

#[tokio::test]
async fn results_page_with_a_header_row_and_nulls() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let athena = lakebox.athena();
    let execution = lakebox
        .run_query("taxi", "SELECT passenger_count, tpep_pickup_datetime FROM trips ORDER BY tpep_pickup_datetime, passenger_count LIMIT 2500")
        .await
        .unwrap();
    let id = execution.query_execution_id().unwrap();
    assert!(execution.result_configuration().unwrap().output_location().unwrap().ends_with(&format!("{id}.csv")));
    let first = athena.get_query_results().query_execution_id(id).max_results(1000).send().await.unwrap();
    let rows = first.result_set().unwrap().rows();
    assert_eq!(rows.len(), 1000);
    let header: Vec<&str> = rows[0].data().iter().map(|d| d.var_char_value().unwrap()).collect();
    assert_eq!(header, ["passenger_count", "tpep_pickup_datetime"]);
    let columns = first.result_set().unwrap().result_set_metadata().unwrap().column_info();
    assert_eq!(columns[1].r#type(), "timestamp");
    assert_eq!(columns[1].precision(), 3);
    let mut total = rows.len() - 1;
    let mut token = first.next_token().map(str::to_string);
    let mut pages = 1;
    let mut nulls = 0;
    while let Some(t) = token {
        let page = athena.get_query_results().query_execution_id(id).next_token(t).send().await.unwrap();
        let rows = page.result_set().unwrap().rows();
        nulls += rows.iter().filter(|r| r.data()[0].var_char_value().is_none()).count();
        total += rows.len();
        token = page.next_token().map(str::to_string);
        pages += 1;
    }
    assert_eq!(total, 2500);
    assert_eq!(pages, 3);
    let mut sorted = trips();
    sorted.sort_by_key(|t| (t.pickup_micros, t.passenger_count.map_or(i64::MAX, |p| p)));
    let expected_nulls = sorted.iter().skip(999).take(1501).filter(|t| t.passenger_count.is_none()).count();
    assert_eq!(nulls, expected_nulls, "NULL is a Datum without VarCharValue");

    // The result file is Athena's CSV.
    let key = format!("{id}.csv");
    let body = lakebox.s3().get_object().bucket("lakebox-results").key(&key).send().await.unwrap();
    let text = String::from_utf8(body.body.collect().await.unwrap().to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("\"passenger_count\",\"tpep_pickup_datetime\""));
    assert_eq!(text.lines().count(), 2501);
    assert!(text.ends_with('\n'));
    lakebox.s3().head_object().bucket("lakebox-results").key(format!("{key}.metadata")).send().await.unwrap();
}

#[tokio::test]
async fn bad_sql_is_refused_or_fails_with_athenas_words() {
    let lakebox = taxi(Format::Parquet, Layout::Flat, "trips").await;
    let athena = lakebox.athena();
    lakebox.create_bucket(lakebox_harness::RESULTS_BUCKET).await.unwrap();
    let refused = athena
        .start_query_execution()
        .query_string("SELEC 1")
        .result_configuration(
            aws_sdk_athena::types::ResultConfiguration::builder().output_location("s3://lakebox-results/").build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("InvalidRequestException"));
    assert!(refused.message().unwrap().starts_with("line 1:1: mismatched input 'SELEC'"), "{:?}", refused.message());

    let missing = lakebox.run_query("taxi", "SELECT * FROM nope").await.unwrap();
    let status = missing.status().unwrap();
    assert_eq!(status.state().unwrap().as_str(), "FAILED");
    assert_eq!(
        status.state_change_reason(),
        Some("TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.taxi.nope' does not exist")
    );
    let error = status.athena_error().unwrap();
    assert_eq!((error.error_category(), error.error_type(), error.retryable()), (Some(2), Some(1301), false));

    let column = lakebox.run_query("taxi", "SELECT no_such_column FROM trips").await.unwrap();
    let reason = column.status().unwrap().state_change_reason().unwrap().to_string();
    assert!(reason.starts_with("COLUMN_NOT_FOUND: line 1:8: Column 'no_such_column' cannot be resolved"), "{reason}");

    let function = lakebox.run_query("taxi", "SELECT nope_fn(1)").await.unwrap();
    let reason = function.status().unwrap().state_change_reason().unwrap().to_string();
    assert!(reason.starts_with("FUNCTION_NOT_FOUND: line 1:8: Function 'nope_fn' not registered"), "{reason}");

    let results = athena.get_query_results().query_execution_id(missing.query_execution_id().unwrap()).send().await;
    assert_eq!(results.unwrap_err().code(), Some("InvalidRequestException"));

    let ddl = lakebox.run_query("taxi", "DROP TABLE nope").await.unwrap();
    assert_eq!(
        ddl.status().unwrap().state_change_reason(),
        Some("FAILED: SemanticException [Error 10001]: Table not found taxi.nope")
    );
}

#[tokio::test]
async fn file_locations_under_a_file_root_read_the_committed_slices() {
    let root = lakebox_fixtures::slice("");
    let root = root.canonicalize().unwrap();
    let lakebox = Lakebox::start_with(|b| b.file_root(&root)).await.unwrap();
    let location = format!("file://{}/trips-1000-parquet/", root.display());
    let ddl = format!(
        "CREATE EXTERNAL TABLE slice (vendorid int, fare_amount double, tpep_pickup_datetime timestamp)
         STORED AS PARQUET LOCATION '{location}'"
    );
    lakebox.query("default", &ddl).await.unwrap();
    let result = lakebox
        .query("default", "SELECT count(*), sum(fare_amount), min(tpep_pickup_datetime) FROM slice")
        .await
        .unwrap();
    let trips: Vec<Trip> = TaxiTrips::new(&lakebox_fixtures::SLICE_CONFIG).collect();
    let fare: f64 = trips.iter().map(|t| t.fare_amount).sum();
    assert_eq!(result.rows[0][0].as_deref(), Some("1000"));
    assert!(close(result.rows[0][1].as_deref().unwrap().parse().unwrap(), fare));
    assert!(result.rows[0][2].as_deref().unwrap().starts_with("2024-01-01 "));

    let outside =
        lakebox.run_query("default", "CREATE EXTERNAL TABLE etc (a string) LOCATION 'file:///etc/'").await.unwrap();
    assert_eq!(outside.status().unwrap().state().unwrap().as_str(), "SUCCEEDED", "the DDL only writes the catalog");
    let read = lakebox.run_query("default", "SELECT * FROM etc").await.unwrap();
    let reason = read.status().unwrap().state_change_reason().unwrap().to_string();
    assert!(reason.contains("outside the directories allowed for file:// locations"), "{reason}");
}

#[tokio::test]
async fn group_by_a_partition_key_and_a_column_is_one_aggregation_per_partition_value() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let trips = trips();
    // Expected: counts and fare sums per (month, pickup zone), computed from the generator.
    let mut want: BTreeMap<(u32, i32), (u64, f64)> = BTreeMap::new();
    for t in &trips {
        let (_, m, _, _) = t.pickup_parts();
        let e = want.entry((m, t.pu_location_id)).or_default();
        e.0 += 1;
        e.1 += t.fare_amount;
    }
    let sql = "SELECT month, pulocationid, count(*), sum(fare_amount) FROM trips GROUP BY month, pulocationid \
               ORDER BY month, pulocationid";
    let got = lakebox.query("taxi", sql).await.unwrap();
    let rows = got.text_rows();
    assert_eq!(rows.len(), want.len());
    for (row, ((m, zone), (n, fare))) in rows.iter().zip(&want) {
        assert_eq!(
            (row[0].as_str(), row[1].as_str(), row[2].as_str()),
            (format!("{m:02}").as_str(), zone.to_string().as_str(), n.to_string().as_str())
        );
        assert!(close(row[3].parse().unwrap(), *fare), "{row:?} vs {fare}");
    }
    // The plan has one aggregation per month (three registered partitions).
    let plan = explain(&lakebox, sql).await;
    assert_eq!(plan.matches("mode=FinalPartitioned, gby=[pulocationid@0 as pulocationid]").count(), 3, "{plan}");

    // Filters on data and on partition keys still apply; a month whose rows are all filtered
    // out has no group (not a row of zero counts).
    let march_and_long = "SELECT year, month, pulocationid, count(*) FROM trips WHERE trip_distance > 20 \
                          AND month <> '02' GROUP BY year, month, pulocationid ORDER BY 2, 3";
    let got = lakebox.query("taxi", march_and_long).await.unwrap().text_rows();
    let mut want: BTreeMap<(u32, i32), u64> = BTreeMap::new();
    for t in trips.iter().filter(|t| t.trip_distance > 20.0) {
        let (_, m, _, _) = t.pickup_parts();
        if m != 2 {
            *want.entry((m, t.pu_location_id)).or_default() += 1;
        }
    }
    let want: Vec<Vec<String>> =
        want.iter().map(|((m, z), n)| vec!["2024".into(), format!("{m:02}"), z.to_string(), n.to_string()]).collect();
    assert_eq!(got, want);
    let none = lakebox
        .query("taxi", "SELECT month, pulocationid, count(*) FROM trips WHERE fare_amount > 1e9 GROUP BY 1, 2")
        .await
        .unwrap();
    assert!(none.rows.is_empty(), "{:?}", none.rows);
    // Grouped by partition keys only, the plan stays DataFusion's (a branch without group keys
    // would answer a row of zero counts).
    let none = lakebox
        .query("taxi", "SELECT month, count(*) FROM trips WHERE fare_amount > 1e9 GROUP BY month")
        .await
        .unwrap();
    assert!(none.rows.is_empty(), "{:?}", none.rows);
}

/// The engine reads the data dir's files through memory maps, which is sound only because every
/// write replaces a file by rename. Overwriting a table's file through S3 (with a much smaller and
/// a larger version, in turns) while queries read it: each query answers from one whole version
/// (its count is one of the versions' counts, or it fails cleanly), and the server stays up.
#[tokio::test]
async fn objects_overwritten_while_queries_read_them() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    let options = LoadOptions {
        config: TaxiConfig { rows: 40_000, seed: 11, start: (2024, 1), months: 1 },
        format: Format::Parquet,
        layout: Layout::Flat,
        rows_per_file: 40_000,
        destination: "s3://lake/swap".into(),
        register: Some("taxi.swap".into()),
        progress: false,
    };
    load_taxi(&lakebox.s3(), &lakebox.glue(), &options).await.unwrap();
    let s3 = lakebox.s3();
    let listed = s3.list_objects_v2().bucket("lake").prefix("swap/").send().await.unwrap();
    let keys: Vec<String> = listed.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let all: Vec<Trip> = TaxiTrips::new(&options.config).collect();
    let big = lakebox_fixtures::write::encode(&all, Format::Parquet).unwrap();
    let small = lakebox_fixtures::write::encode(&all[..7], Format::Parquet).unwrap();
    assert!(small.len() * 20 < big.len());

    let writer = {
        let (s3, key) = (s3.clone(), keys[0].clone());
        tokio::spawn(async move {
            for i in 0..30 {
                let body = if i % 2 == 0 { small.clone() } else { big.clone() };
                s3.put_object().bucket("lake").key(&key).body(body.into()).send().await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
        })
    };
    let sql = "SELECT count(*), sum(passenger_count) FROM swap";
    let (mut answered, mut failed) = (0, 0);
    while !writer.is_finished() {
        match lakebox.query("taxi", sql).await {
            Ok(result) => {
                let n = result.rows[0][0].clone().unwrap();
                assert!(n == "7" || n == "40000", "a count from no whole version of the file: {n}");
                answered += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains("internal error"), "{e}");
                failed += 1;
            }
        }
    }
    writer.await.unwrap();
    assert!(answered > 0, "no query answered ({failed} failed)");
    // Still serving, and the last version (big) is what a new query reads.
    let result = lakebox.query("taxi", sql).await.unwrap();
    assert_eq!(result.rows[0][0].as_deref(), Some("40000"));
}

/// `count(*)` over whole partitions is answered from the Parquet footers' row counts: no row
/// group is scanned (the plan has no file scan left), the footers are what it reads, and any
/// filter on data columns keeps the scan.
#[tokio::test]
async fn count_star_over_whole_partitions_reads_only_the_footers() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let trips = trips();
    let counts = month_counts(&trips);

    let all = lakebox.query("taxi", "SELECT count(*) FROM trips").await.unwrap();
    assert_eq!(all.scalar(), Some(ROWS.to_string()));
    let march = lakebox.query("taxi", "SELECT count(*) FROM trips WHERE month = '03'").await.unwrap();
    assert_eq!(march.scalar(), Some(counts[&(2024, 3)].to_string()));
    let plan = explain(&lakebox, "SELECT count(*) FROM trips WHERE month = '03'").await;
    assert!(!plan.contains("DataSourceExec"), "{plan}");

    // A column read: the footers plus that column's chunks.
    let column = lakebox.query("taxi", "SELECT count(fare_amount) FROM trips").await.unwrap();
    assert_eq!(column.scalar(), Some(ROWS.to_string()));
    assert!(0 < all.data_scanned_bytes && all.data_scanned_bytes < column.data_scanned_bytes);

    // A data filter keeps the scan, and the count is the generator's.
    let expected = trips.iter().filter(|t| t.fare_amount > 10.0).count();
    let filtered = lakebox.query("taxi", "SELECT count(*) FROM trips WHERE fare_amount > 10").await.unwrap();
    assert_eq!(filtered.scalar(), Some(expected.to_string()));
    assert!(explain(&lakebox, "SELECT count(*) FROM trips WHERE fare_amount > 10").await.contains("DataSourceExec"));
}

/// `min` and `max` of integer and timestamp columns over whole partitions come from the footers'
/// row-group statistics: alone (with `count(*)`), no row group is scanned; beside aggregates that
/// need rows, only those aggregates' columns are read (the bytes are the same as without the
/// bounds). A data filter, or a double column, keeps the scan. Every answer is the generator's.
#[tokio::test]
async fn bounds_over_whole_partitions_come_from_the_footers() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let trips = trips();
    // Athena's timestamp(3): the files' microseconds cut to milliseconds.
    let ts = |micros: i64| {
        format!("{}.{:03}", lakebox_fixtures::calendar::format_micros(micros), micros.rem_euclid(1_000_000) / 1000)
    };
    let first = trips.iter().map(|t| t.pickup_micros).min().unwrap();
    let last_dropoff = trips.iter().map(|t| t.dropoff_micros).max().unwrap();
    let max_zone = trips.iter().map(|t| t.pu_location_id).max().unwrap();
    let min_payment = trips.iter().map(|t| t.payment_type).min().unwrap();

    let sql = "SELECT min(tpep_pickup_datetime), max(tpep_dropoff_datetime), max(pulocationid), \
               min(payment_type), count(*) FROM trips";
    let got = lakebox.query("taxi", sql).await.unwrap().text_rows();
    let want = [ts(first), ts(last_dropoff), max_zone.to_string(), min_payment.to_string(), ROWS.to_string()];
    assert_eq!(got[0], want);
    let plan = explain(&lakebox, sql).await;
    assert!(!plan.contains("DataSourceExec"), "{plan}");
    // Bounds alone (the scan itself is asked for them).
    let alone = "SELECT min(tpep_pickup_datetime), max(pulocationid) FROM trips";
    let got = lakebox.query("taxi", alone).await.unwrap().text_rows();
    assert_eq!(got[0], [ts(first), max_zone.to_string()]);
    assert!(!explain(&lakebox, alone).await.contains("DataSourceExec"));

    // One month, beside a sum: the bound adds no byte to what the sum reads.
    let march: Vec<&Trip> = trips.iter().filter(|t| t.pickup_parts().1 == 3).collect();
    let fares: f64 = march.iter().map(|t| t.fare_amount).sum();
    let latest = march.iter().map(|t| t.pickup_micros).max().unwrap();
    let mixed = "SELECT count(*), sum(fare_amount), max(tpep_pickup_datetime) FROM trips WHERE month = '03'";
    let got = lakebox.query("taxi", mixed).await.unwrap();
    let rows = got.text_rows();
    assert_eq!(rows[0][0], march.len().to_string());
    assert!(close(rows[0][1].parse().unwrap(), fares), "{rows:?} vs {fares}");
    assert_eq!(rows[0][2], ts(latest));
    let plan = explain(&lakebox, mixed).await;
    assert_eq!(plan.matches("DataSourceExec").count(), 1, "{plan}");
    let sum_only =
        lakebox.query("taxi", "SELECT count(*), sum(fare_amount) FROM trips WHERE month = '03'").await.unwrap();
    assert_eq!(got.data_scanned_bytes, sum_only.data_scanned_bytes);

    // A data filter keeps the scan, with the generator's answer.
    let kept = trips.iter().filter(|t| t.fare_amount > 10.0).map(|t| t.pickup_micros).max().unwrap();
    let filtered = "SELECT max(tpep_pickup_datetime) FROM trips WHERE fare_amount > 10";
    assert_eq!(lakebox.query("taxi", filtered).await.unwrap().scalar(), Some(ts(kept)));
    assert!(explain(&lakebox, filtered).await.contains("DataSourceExec"));

    // A double's footer bounds leave NaN out, the scan's max does not: its rows are read.
    let longest = trips.iter().map(|t| t.trip_distance).fold(f64::MIN, f64::max);
    let double = "SELECT max(trip_distance) FROM trips";
    let got: f64 = lakebox.query("taxi", double).await.unwrap().scalar().unwrap().parse().unwrap();
    assert!(close(got, longest), "{got} vs {longest}");
    assert!(explain(&lakebox, double).await.contains("DataSourceExec"));
}

/// The footers' bounds and the scan agree on the same files: two Parquet files in several row
/// groups, with NULLs, an all-NULL row group, values before 1970 (where cutting microseconds to
/// milliseconds and flooring differ), UTC-adjusted timestamps (as Spark writes them), dates and
/// 32-bit integers read as `bigint`. A data filter that keeps every row forces the scan; both
/// answers equal each other and the integers' and dates' extremes computed here.
#[tokio::test]
async fn footer_bounds_equal_the_scans_answers() {
    use arrow::array::{ArrayRef, Date32Array, Int32Array, Int64Array, TimestampMicrosecondArray};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    let files: [Vec<Option<i64>>; 2] = [
        vec![Some(-1_500), Some(86_399_999_999), None, Some(-86_400_000_001), Some(7), Some(1_700_000_000_123_456)],
        vec![Some(12), None, Some(-3), None, None, None],
    ];
    let mut ints = Vec::new();
    let mut days = Vec::new();
    for (n, micros) in files.iter().enumerate() {
        let i: Vec<Option<i32>> = micros.iter().map(|m| m.map(|m| (m % 1_000_003) as i32)).collect();
        let d: Vec<Option<i32>> = micros.iter().map(|m| m.map(|m| m.div_euclid(86_400_000_000) as i32)).collect();
        ints.extend(i.iter().flatten().copied());
        days.extend(d.iter().flatten().copied());
        let batch = RecordBatch::try_from_iter([
            ("v", Arc::new(Int64Array::from(micros.clone())) as ArrayRef),
            ("T", Arc::new(TimestampMicrosecondArray::from(micros.clone()).with_timezone("UTC")) as ArrayRef),
            ("d", Arc::new(Date32Array::from(d)) as ArrayRef),
            ("i", Arc::new(Int32Array::from(i)) as ArrayRef),
        ])
        .unwrap();
        let properties = WriterProperties::builder().set_max_row_group_row_count(Some(3)).build();
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let key = format!("bounds/part-{n}.parquet");
        lakebox.s3().put_object().bucket("lake").key(key).body(file.into()).send().await.unwrap();
    }
    lakebox.query("default", "CREATE DATABASE taxi").await.unwrap();
    let ddl = "CREATE EXTERNAL TABLE b (v bigint, t timestamp, d date, i bigint) STORED AS PARQUET \
               LOCATION 's3://lake/bounds/'";
    lakebox.query("taxi", ddl).await.unwrap();

    let bounds = "SELECT min(t), max(t), min(d), max(d), min(i), max(i), count(*) FROM b";
    let from_footers = lakebox.query("taxi", bounds).await.unwrap().text_rows();
    assert!(!explain(&lakebox, bounds).await.contains("DataSourceExec"));
    let scanned = format!("{bounds} WHERE v IS NULL OR v IS NOT NULL");
    assert!(explain(&lakebox, &scanned).await.contains("DataSourceExec"));
    let from_rows = lakebox.query("taxi", &scanned).await.unwrap().text_rows();
    assert_eq!(from_footers, from_rows);
    let day = |d: i32| lakebox_fixtures::calendar::format_micros(d as i64 * 86_400_000_000)[..10].to_string();
    let (lo, hi) = (*days.iter().min().unwrap(), *days.iter().max().unwrap());
    assert_eq!(
        from_footers[0][2..],
        [
            day(lo),
            day(hi),
            ints.iter().min().unwrap().to_string(),
            ints.iter().max().unwrap().to_string(),
            "12".to_string()
        ]
    );
}

/// A needle, equalities the files' row-group statistics say keep a few rows, is filtered while
/// decoding (no FilterExec above the scan); one column's equality, or a broad predicate
/// (`payment_type = 1`), above the scan. Both answer the generator's rows, through the files' own column names (`PULocationID`).
#[tokio::test]
async fn selective_equalities_filter_while_decoding() {
    let lakebox = taxi(Format::Parquet, Layout::Hive, "trips").await;
    let trips = trips();
    let needle = trips.iter().find(|t| t.passenger_count.is_some()).unwrap();
    let (pu, dropoff, passengers) = (needle.pu_location_id, needle.do_location_id, needle.passenger_count.unwrap());
    let sql = format!(
        "SELECT count(*), max(total_amount), sum(trip_distance) FROM trips \
         WHERE pulocationid = {pu} AND dolocationid = {dropoff} AND passenger_count = {passengers}"
    );
    let kept: Vec<&Trip> = trips
        .iter()
        .filter(|t| t.pu_location_id == pu && t.do_location_id == dropoff && t.passenger_count == Some(passengers))
        .collect();
    assert!(!kept.is_empty() && kept.len() * 1000 < trips.len(), "a needle: {} rows", kept.len());
    let got = lakebox.query("taxi", &sql).await.unwrap().text_rows();
    let max = kept.iter().map(|t| t.total_amount).fold(f64::MIN, f64::max);
    let distance: f64 = kept.iter().map(|t| t.trip_distance).sum();
    assert_eq!(got[0][0], kept.len().to_string());
    assert!(close(got[0][1].parse().unwrap(), max), "{got:?} vs {max}");
    assert!(close(got[0][2].parse().unwrap(), distance), "{got:?} vs {distance}");
    let plan = explain(&lakebox, &sql).await;
    assert!(plan.contains("DataSourceExec") && !plan.contains("FilterExec"), "{plan}");

    // A timestamp (micro-seconds in the files, Athena's milliseconds in the table) and a zone.
    let literal = format!("TIMESTAMP '{}'", lakebox_fixtures::calendar::format_micros(needle.pickup_micros));
    let sql = format!("SELECT count(*) FROM trips WHERE tpep_pickup_datetime = {literal} AND pulocationid = {pu}");
    // Pickups are whole seconds, so the literal names the needle's instant exactly.
    let want = trips.iter().filter(|t| t.pickup_micros == needle.pickup_micros && t.pu_location_id == pu).count();
    assert!(want >= 1);
    assert_eq!(lakebox.query("taxi", &sql).await.unwrap().scalar(), Some(want.to_string()), "{sql}");
    let plan = explain(&lakebox, &sql).await;
    assert!(!plan.contains("FilterExec"), "{plan}");

    // One zone of 265 (estimated from one column): above the scan, with the generator's count.
    let zone = format!("SELECT count(*) FROM trips WHERE pulocationid = {pu}");
    let want = trips.iter().filter(|t| t.pu_location_id == pu).count();
    assert_eq!(lakebox.query("taxi", &zone).await.unwrap().scalar(), Some(want.to_string()));
    let plan = explain(&lakebox, &zone).await;
    assert!(plan.contains("FilterExec"), "{plan}");

    // One value of the payment types' few: above the scan, with the generator's count.
    let broad = "SELECT count(*) FROM trips WHERE payment_type = 1 AND fare_amount > 0";
    let want = trips.iter().filter(|t| t.payment_type == 1 && t.fare_amount > 0.0).count();
    assert!(want * 10 > trips.len(), "broad: {want} rows");
    assert_eq!(lakebox.query("taxi", broad).await.unwrap().scalar(), Some(want.to_string()));
    let plan = explain(&lakebox, broad).await;
    assert!(plan.contains("FilterExec"), "{plan}");
}

/// `serve --no-mmap` (`map_files(false)`): the same answers through ordinary reads.
#[tokio::test]
async fn queries_read_the_same_without_memory_maps() {
    let lakebox = Lakebox::start_with(|b| b.map_files(false)).await.unwrap();
    let lakebox = taxi_in(lakebox, Format::Parquet, Layout::Hive, "trips").await;
    let trips = trips();
    let result = lakebox
        .query("taxi", "SELECT count(*), sum(passenger_count), max(trip_distance) FROM trips WHERE fare_amount > 10")
        .await
        .unwrap();
    let kept: Vec<&Trip> = trips.iter().filter(|t| t.fare_amount > 10.0).collect();
    let passengers: i64 = kept.iter().filter_map(|t| t.passenger_count).sum();
    let longest = kept.iter().map(|t| t.trip_distance).fold(f64::MIN, f64::max);
    assert_eq!(result.rows[0][0].as_deref(), Some(kept.len().to_string().as_str()));
    assert_eq!(result.rows[0][1].as_deref(), Some(passengers.to_string().as_str()));
    let got: f64 = result.rows[0][2].as_deref().unwrap().parse().unwrap();
    assert!(close(got, longest), "{got} vs {longest}");
}

/// A `ROW FORMAT DELIMITED` table reads field text as Athena's (Trino's) text encodings do, not as
/// Arrow casts: expectations from Trino's LongEncoding, DoubleEncoding, DecimalEncoding and
/// HiveFormatUtils (parseHiveDate, parseHiveTimestamp), worked by hand per line.
#[tokio::test]
async fn delimited_text_fields_parse_as_trinos_text_encodings() {
    // id | n (int) | x (double) | d (decimal(6,2)) | day (date) | at (timestamp)
    let body = [
        "1|12.0|1e3|1.005|2024-01-05|2024-01-05 10:00:00.1239",
        "2|12.5|NaN|1e2|2024-1-5|2024-01-05T10:00:00",
        "3| 5|nan| 1.5|2024-01-05 10:00:00|2024-01-05T10:00:00Z",
        "4|-7.|Infinity|9999.995|20240105|2024-1-5 1:2:3",
        "5|x|1,5||2024-02-30|\\N",
    ]
    .join("\n");
    let lakebox = table_over_file(
        "typed/a.txt",
        body,
        "text_db",
        "CREATE EXTERNAL TABLE typed (id int, n int, x double, d decimal(6,2), day date, at timestamp) \
         ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' LOCATION 's3://lake/typed/'",
    )
    .await;
    let rows =
        lakebox.query("text_db", "SELECT id, n, CAST(x AS varchar), d, day, at FROM typed ORDER BY id").await.unwrap();
    assert_eq!(
        rows.text_rows(),
        vec![
            // A checked fraction is dropped from an integer; decimals round half up.
            vec!["1", "12", "1000.0", "1.01", "2024-01-05", "2024-01-05 10:00:00.124"],
            // `1e2` is a BigDecimal; ISO `T` without a zone is a timestamp.
            vec!["2", "12", "NaN", "100.00", "2024-01-05", "2024-01-05 10:00:00.000"],
            // No whitespace in integers or decimals; `nan` is not Java's; a date stops at the
            // space; a zone makes the timestamp NULL.
            vec!["3", "NULL", "NULL", "NULL", "2024-01-05", "NULL"],
            // Over decimal(6,2) after rounding is NULL; `20240105` is no date; one-digit fields.
            vec!["4", "-7", "Infinity", "NULL", "NULL", "2024-01-05 01:02:03.000"],
            // Garbage is NULL, never an error; dates resolve leniently.
            vec!["5", "NULL", "NULL", "NULL", "2024-03-01", "NULL"],
        ]
    );
}

/// An OpenX JSON table coerces values as Athena's (Trino's OpenXJsonDeserializer) reader does:
/// epoch numbers are seconds (milliseconds from 13 digits on), ISO text with a zone is that
/// instant, numbers in strings are read, booleans are Java's parseBoolean, decimals round half
/// up, `dots.in.keys` maps `a.b` to `a_b`, and a line holding several objects is its first.
#[tokio::test]
async fn openx_json_values_coerce_as_athena_reads_them() {
    let body = [
        r#"{"id": 1, "ts": 1704448800, "n": "12.5", "ok": "TRUE", "amt": 10.005, "user.name": "ann"}"#,
        r#"{"id": 2, "ts": "2024-01-05T12:00:00.1239+02:00", "n": 7, "ok": 1, "amt": "2.5", "user.name": "bob"}{"id": 99}"#,
        r#"{"id": 3, "ts": 1704448800123, "n": "x", "ok": false, "amt": 100.0, "USER.NAME": "cy"}"#,
    ]
    .join("\n");
    let lakebox = table_over_file(
        "events/a.json",
        body,
        "json_db",
        "CREATE EXTERNAL TABLE events (id int, ts timestamp, n int, ok boolean, amt decimal(4,2), user_name string) \
         ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' WITH SERDEPROPERTIES ('dots.in.keys' = 'true') \
         LOCATION 's3://lake/events/'",
    )
    .await;
    let rows = lakebox.query("json_db", "SELECT id, ts, n, ok, amt, user_name FROM events ORDER BY id").await.unwrap();
    // 1704448800 s is 2024-01-05 10:00:00 UTC.
    assert_eq!(
        rows.text_rows(),
        vec![
            vec!["1", "2024-01-05 10:00:00.000", "12", "true", "10.01", "ann"],
            vec!["2", "2024-01-05 10:00:00.124", "7", "false", "2.50", "bob"],
            vec!["3", "2024-01-05 10:00:00.123", "NULL", "false", "NULL", "cy"],
        ]
    );
}

/// A fresh Lakebox with `body` at `s3://lake/<key>` and the table `ddl` creates over it in `db`.
async fn table_over_file(key: &str, body: String, db: &str, ddl: &str) -> Lakebox {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    lakebox.s3().put_object().bucket("lake").key(key).body(body.into_bytes().into()).send().await.unwrap();
    lakebox.query("default", &format!("CREATE DATABASE IF NOT EXISTS {db}")).await.unwrap();
    lakebox.query(db, ddl).await.unwrap();
    lakebox
}

/// `DataScannedInBytes` is the same on every run of a query. A file large enough for DataFusion
/// to split into byte ranges is opened by several partitions; each used to read the footer when
/// it raced the other to the query's metadata cache, so the count grew by the 512 KiB metadata
/// read in some runs and not in others. Every byte is now read once, footer included: at most the
/// file's size plus one 512 KiB footer read (which overlaps the last column chunk).
#[tokio::test]
async fn data_scanned_is_the_same_on_every_run_of_a_split_file() {
    use arrow::array::{ArrayRef, Int64Array};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    // 1.5M pseudo-random 40-bit integers, plain-encoded: a 12 MB file, above DataFusion's
    // 10 MB threshold for splitting scans into byte ranges.
    let mut x: u64 = 42;
    let values: Vec<i64> = (0..1_500_000)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 24) as i64
        })
        .collect();
    let expected: i128 = values.iter().map(|v| *v as i128).sum();
    let batch = RecordBatch::try_from_iter([("v", Arc::new(Int64Array::from(values)) as ArrayRef)]).unwrap();
    let properties =
        WriterProperties::builder().set_dictionary_enabled(false).set_max_row_group_row_count(Some(250_000)).build();
    let mut file = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let size = file.len() as i64;
    assert!(size > 10 << 20, "{size}");

    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    lakebox.s3().put_object().bucket("lake").key("big/part-0.parquet").body(file.into()).send().await.unwrap();
    lakebox.query("default", "CREATE DATABASE taxi").await.unwrap();
    lakebox
        .query("taxi", "CREATE EXTERNAL TABLE big (v bigint) STORED AS PARQUET LOCATION 's3://lake/big/'")
        .await
        .unwrap();
    let sql = "SELECT sum(v) FROM big";
    let plan = explain(&lakebox, sql).await;
    assert!(plan.contains("part-0.parquet:0.."), "the file is scanned in byte ranges: {plan}");

    let mut scanned = Vec::new();
    for _ in 0..8 {
        let result = lakebox.query("taxi", sql).await.unwrap();
        assert_eq!(result.scalar(), Some(expected.to_string()));
        scanned.push(result.data_scanned_bytes);
    }
    assert!(scanned.iter().all(|s| *s == scanned[0]), "{scanned:?}");
    assert!(size / 2 < scanned[0] && scanned[0] <= size + (512 << 10), "{scanned:?} of a {size}-byte file");
}

/// A scan with a LIMIT reads the footers of the files it opens, not of every file of the table:
/// `SELECT * ... LIMIT 1` over 32 small files reads a few of them. (Each file is smaller than
/// the 512 KiB footer read, so reading every footer would scan every byte of the table.)
#[tokio::test]
async fn a_limit_scan_reads_only_the_files_it_opens() {
    use arrow::array::{ArrayRef, Int64Array};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use std::sync::Arc;

    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    let mut total = 0i64;
    for i in 0..32i64 {
        let values = Int64Array::from_iter_values((0..10_000).map(|n| i * 10_000 + n));
        let batch = RecordBatch::try_from_iter([("v", Arc::new(values) as ArrayRef)]).unwrap();
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        total += file.len() as i64;
        let key = format!("many/part-{i:02}.parquet");
        lakebox.s3().put_object().bucket("lake").key(key).body(file.into()).send().await.unwrap();
    }
    lakebox.query("default", "CREATE DATABASE taxi").await.unwrap();
    lakebox
        .query("taxi", "CREATE EXTERNAL TABLE many (v bigint) STORED AS PARQUET LOCATION 's3://lake/many/'")
        .await
        .unwrap();

    let all = lakebox.query("taxi", "SELECT count(v), sum(v) FROM many").await.unwrap();
    assert_eq!(all.rows, vec![vec![Some("320000".to_string()), Some((319_999i64 * 320_000 / 2).to_string())]]);
    assert!(all.data_scanned_bytes >= total / 2, "a full scan reads the files: {} of {total}", all.data_scanned_bytes);

    let one = lakebox.query("taxi", "SELECT * FROM many LIMIT 1").await.unwrap();
    assert_eq!(one.rows.len(), 1);
    let v: i64 = one.rows[0][0].as_deref().unwrap().parse().unwrap();
    assert!((0..320_000).contains(&v) && v % 10_000 == 0, "the first row of a file: {v}");
    assert!(one.data_scanned_bytes * 2 < total, "LIMIT 1 read {} of {total} bytes", one.data_scanned_bytes);
}
