//! Writes through Athena: CTAS, INSERT INTO, UNLOAD, views, ALTER TABLE columns and renames,
//! through aws-sdk-athena, with expected values computed from the generator's trips.

use aws_sdk_athena::types::QueryExecution;
use lakebox_fixtures::write::{Format, Layout};
use lakebox_fixtures::{TaxiConfig, TaxiTrips, Trip};
use lakebox_harness::Lakebox;
use std::collections::BTreeMap;
use std::time::Duration;

const CONFIG: TaxiConfig = TaxiConfig { rows: 5_000, seed: 9, start: (2024, 1), months: 3 };

async fn taxi() -> Lakebox {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.load_taxi("taxi.trips", CONFIG, Format::Parquet, Layout::Hive).await.unwrap();
    lakebox
}

fn trips() -> Vec<Trip> {
    TaxiTrips::new(&CONFIG).collect()
}

fn reason(e: &QueryExecution) -> String {
    e.status().and_then(|s| s.state_change_reason()).unwrap_or_default().to_string()
}

fn state(e: &QueryExecution) -> String {
    e.status().and_then(|s| s.state()).map(|s| s.as_str().to_string()).unwrap_or_default()
}

async fn keys(lakebox: &Lakebox, bucket: &str, prefix: &str) -> Vec<String> {
    let out = lakebox.s3().list_objects_v2().bucket(bucket).prefix(prefix).send().await.unwrap();
    out.contents().iter().map(|o| o.key().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn ctas_writes_partitioned_parquet_and_registers_the_table() {
    let lakebox = taxi().await;
    let ctas = "CREATE TABLE taxi.by_month WITH (format = 'PARQUET', external_location = 's3://lake/curated/by_month/',
                partitioned_by = ARRAY['month'], write_compression = 'SNAPPY')
                AS SELECT vendorid, total_amount, pulocationid, month FROM trips";
    let e = lakebox.run_query("taxi", ctas).await.unwrap();
    assert_eq!(state(&e), "SUCCEEDED", "{}", reason(&e));
    assert_eq!(e.statement_type().unwrap().as_str(), "DDL");
    assert_eq!(e.substatement_type(), Some("CREATE_TABLE_AS_SELECT"));
    let id = e.query_execution_id().unwrap();
    assert!(e.result_configuration().unwrap().output_location().unwrap().ends_with(&format!("tables/{id}")));
    let results = lakebox.athena().get_query_results().query_execution_id(id).send().await.unwrap();
    assert_eq!(results.update_count(), Some(CONFIG.rows as i64));
    assert!(e.statistics().unwrap().data_scanned_in_bytes().unwrap() > 0);

    // The Glue table, as Athena registers it, with one partition per month.
    let glue = lakebox.glue();
    let table = glue.get_table().database_name("taxi").name("by_month").send().await.unwrap();
    let table = table.table().unwrap();
    let sd = table.storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://lake/curated/by_month/"));
    let columns: Vec<(&str, &str)> = sd.columns().iter().map(|c| (c.name(), c.r#type().unwrap())).collect();
    assert_eq!(columns, [("vendorid", "int"), ("total_amount", "double"), ("pulocationid", "int")]);
    assert_eq!(table.partition_keys()[0].name(), "month");
    assert_eq!(
        sd.serde_info().unwrap().serialization_library(),
        Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
    );
    let partitions = glue.get_partitions().database_name("taxi").table_name("by_month").send().await.unwrap();
    let mut values: Vec<String> = partitions.partitions().iter().map(|p| p.values()[0].clone()).collect();
    values.sort();
    assert_eq!(values, ["01", "02", "03"]);

    // Files under month=XX/, listed in the manifest.
    let files = keys(&lakebox, "lake", "curated/by_month/").await;
    assert!(!files.is_empty() && files.iter().all(|k| k.contains("/month=0") && k.ends_with(".parquet")), "{files:?}");
    let manifest = e.statistics().unwrap().data_manifest_location().unwrap().to_string();
    assert!(manifest.ends_with(&format!("tables/{id}-manifest.csv")));
    let (bucket, key) = manifest.trim_start_matches("s3://").split_once('/').unwrap();
    let body = lakebox.s3().get_object().bucket(bucket).key(key).send().await.unwrap().body.collect().await.unwrap();
    let listed: Vec<String> = String::from_utf8(body.to_vec()).unwrap().lines().map(str::to_string).collect();
    let mut expected: Vec<String> = files.iter().map(|k| format!("s3://lake/{k}")).collect();
    expected.sort();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, expected);

    // The new table answers like the old one.
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for t in trips() {
        *counts.entry(format!("{:02}", t.pickup_parts().1)).or_default() += 1;
    }
    let result =
        lakebox.query("taxi", "SELECT month, count(*) FROM by_month GROUP BY month ORDER BY month").await.unwrap();
    let got: Vec<(String, u64)> =
        result.rows.iter().map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap().parse().unwrap())).collect();
    assert_eq!(got, counts.into_iter().collect::<Vec<_>>());

    // A second CTAS of the same name fails; IF NOT EXISTS does nothing.
    let again = lakebox.run_query("taxi", ctas).await.unwrap();
    assert_eq!(
        reason(&again),
        "TABLE_ALREADY_EXISTS: line 1:1: Destination table 'awsdatacatalog.taxi.by_month' already exists. You may need \
         to manually clean the data at location 's3://lake/curated/by_month' before retrying. Athena will not delete \
         data in your account."
    );
    let error = again.status().unwrap().athena_error().unwrap();
    assert_eq!((error.error_category(), error.error_type()), (Some(2), Some(1110)));
    let quiet = ctas.replacen("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1);
    assert_eq!(state(&lakebox.run_query("taxi", &quiet).await.unwrap()), "SUCCEEDED");

    // Bucketing is recorded in Glue as Athena records it.
    let bucketed = "CREATE TABLE taxi.bucketed WITH (bucketed_by = ARRAY['vendorid'], bucket_count = 4)
                    AS SELECT vendorid, total_amount FROM trips";
    let e = lakebox.run_query("taxi", bucketed).await.unwrap();
    assert_eq!(state(&e), "SUCCEEDED", "{}", reason(&e));
    let table = glue.get_table().database_name("taxi").name("bucketed").send().await.unwrap();
    let sd = table.table().unwrap().storage_descriptor().unwrap();
    assert_eq!((sd.number_of_buckets(), sd.bucket_columns()), (4, &["vendorid".to_string()][..]));
    // One file per bucket and writer, named by bucket, every row in the bucket Hive's hash gives
    // it: for an int, the value itself, `(v & Integer.MAX_VALUE) % 4`.
    let location = sd.location().unwrap().trim_start_matches("s3://").to_string();
    let (bucket, prefix) = location.split_once('/').unwrap();
    let mut rows = 0;
    for key in keys(&lakebox, bucket, prefix).await {
        let name = key.rsplit('/').next().unwrap();
        let n: i32 = name.split('_').next().unwrap().parse().unwrap_or_else(|_| panic!("{name}"));
        assert!(name.starts_with(&format!("{n:06}_0_")) && n < 4, "{name}");
        let body = lakebox.s3().get_object().bucket(bucket).key(&key).send().await.unwrap().body.collect().await;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(body.unwrap().into_bytes())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let ids = batch.column(0).as_any().downcast_ref::<arrow::array::Int32Array>().unwrap();
            for v in ids.iter().flatten() {
                assert_eq!((v & i32::MAX) % 4, n, "vendorid {v} in {name}");
            }
            rows += batch.num_rows();
        }
    }
    assert_eq!(rows as u64, CONFIG.rows);
    let half = lakebox
        .run_query(
            "taxi",
            "CREATE TABLE taxi.half WITH (bucketed_by = ARRAY['vendorid']) AS SELECT vendorid FROM trips",
        )
        .await
        .unwrap();
    assert_eq!(reason(&half), "INVALID_TABLE_PROPERTY: bucketed_by and bucket_count must be specified together");
}

#[tokio::test]
async fn ctas_rules_defaults_and_formats() {
    let lakebox = taxi().await;
    // Without external_location the table goes under the output location's tables/<id>/.
    let e = lakebox
        .run_query("taxi", "CREATE TABLE plain AS SELECT payment_type, count(*) AS n FROM trips GROUP BY 1")
        .await
        .unwrap();
    assert_eq!(state(&e), "SUCCEEDED", "{}", reason(&e));
    let id = e.query_execution_id().unwrap();
    let t = lakebox.glue().get_table().database_name("taxi").name("plain").send().await.unwrap();
    assert_eq!(
        t.table().unwrap().storage_descriptor().unwrap().location(),
        Some(format!("s3://lakebox-results/tables/{id}/").as_str())
    );
    let sum = lakebox.query("taxi", "SELECT sum(n) FROM plain").await.unwrap();
    assert_eq!(sum.scalar(), Some(CONFIG.rows.to_string()));

    let unnamed = lakebox.run_query("taxi", "CREATE TABLE bad1 AS SELECT count(*) FROM trips").await.unwrap();
    assert!(reason(&unnamed).starts_with("MISSING_COLUMN_NAME"), "{}", reason(&unnamed));
    let order = lakebox
        .run_query(
            "taxi",
            "CREATE TABLE bad2 WITH (partitioned_by = ARRAY['month']) AS SELECT month, vendorid FROM trips",
        )
        .await
        .unwrap();
    assert!(reason(&order).starts_with("HIVE_COLUMN_ORDER_MISMATCH"), "{}", reason(&order));
    let occupied = lakebox
        .run_query("taxi", "CREATE TABLE bad3 WITH (external_location = 's3://lake/trips/') AS SELECT 1 AS x")
        .await
        .unwrap();
    assert!(reason(&occupied).starts_with("HIVE_PATH_ALREADY_EXISTS"), "{}", reason(&occupied));
    for bad in ["bad1", "bad2", "bad3"] {
        assert!(
            lakebox.glue().get_table().database_name("taxi").name(bad).send().await.is_err(),
            "{bad} was not created"
        );
    }

    // WITH NO DATA: the schema only.
    lakebox
        .query(
            "taxi",
            "CREATE TABLE empty WITH (format = 'JSON') AS SELECT vendorid, store_and_fwd_flag FROM trips WITH NO DATA",
        )
        .await
        .unwrap();
    let n = lakebox.query("taxi", "SELECT count(*) FROM empty").await.unwrap();
    assert_eq!(n.scalar(), Some("0".into()));

    // JSON and TEXTFILE round trip, NULLs and awkward text included.
    let source = "SELECT * FROM (VALUES (1, 'a,b', CAST(NULL AS varchar)), (2, 'x\\y', 'z')) AS t(id, s, n)";
    for (format, extra) in [("JSON", ""), ("TEXTFILE", ", field_delimiter = ','")] {
        let name = format!("fmt_{}", format.to_lowercase());
        lakebox
            .query("taxi", &format!("CREATE TABLE {name} WITH (format = '{format}'{extra}) AS {source}"))
            .await
            .unwrap();
        let rows = lakebox.query("taxi", &format!("SELECT id, s, n FROM {name} ORDER BY id")).await.unwrap();
        assert_eq!(rows.text_rows(), vec![vec!["1", "a,b", "NULL"], vec!["2", "x\\y", "z"]], "{format}");
    }
}

#[tokio::test]
async fn insert_into_adds_files_and_partitions_and_keeps_the_old_ones() {
    let lakebox = taxi().await;
    lakebox
        .query(
            "taxi",
            "CREATE TABLE jan WITH (external_location = 's3://lake/jan/', partitioned_by = ARRAY['month'])
             AS SELECT vendorid, fare_amount, month FROM trips WHERE month = '01'",
        )
        .await
        .unwrap();
    let before = keys(&lakebox, "lake", "jan/").await;
    let e = lakebox
        .run_query("taxi", "INSERT INTO jan SELECT vendorid, fare_amount, month FROM trips WHERE month IN ('02', '03')")
        .await
        .unwrap();
    assert_eq!(state(&e), "SUCCEEDED", "{}", reason(&e));
    assert_eq!((e.statement_type().unwrap().as_str(), e.substatement_type()), ("DML", Some("INSERT")));
    let inserted = trips().iter().filter(|t| t.pickup_parts().1 >= 2).count() as i64;
    let results =
        lakebox.athena().get_query_results().query_execution_id(e.query_execution_id().unwrap()).send().await.unwrap();
    assert_eq!(results.update_count(), Some(inserted));
    let after = keys(&lakebox, "lake", "jan/").await;
    assert!(before.iter().all(|k| after.contains(k)), "old files stay");
    assert!(after.len() > before.len());
    let parts = lakebox.query("taxi", "SHOW PARTITIONS jan").await.unwrap();
    assert_eq!(parts.text_rows(), vec![vec!["month=01"], vec!["month=02"], vec!["month=03"]]);
    let n = lakebox.query("taxi", "SELECT count(*), round(sum(fare_amount), 2) FROM jan").await.unwrap();
    let fare: f64 = trips().iter().map(|t| t.fare_amount).sum();
    assert_eq!(n.rows[0][0].as_deref(), Some(CONFIG.rows.to_string().as_str()));
    assert_eq!(n.rows[0][1].as_deref().unwrap().parse::<f64>().unwrap(), (fare * 100.0).round() / 100.0);

    // INSERT ... VALUES into an unpartitioned text table, with a column list.
    lakebox.create_bucket("lake").await.unwrap();
    lakebox
        .query("taxi", "CREATE EXTERNAL TABLE notes (id int, note string, at date) ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' LOCATION 's3://lake/notes/'")
        .await
        .unwrap();
    lakebox.query("taxi", "INSERT INTO notes (note, id) VALUES ('first', 1), ('second', 2)").await.unwrap();
    lakebox.query("taxi", "INSERT INTO notes VALUES (3, 'third', DATE '2024-03-01')").await.unwrap();
    let rows = lakebox.query("taxi", "SELECT id, note, at FROM notes ORDER BY id").await.unwrap();
    assert_eq!(
        rows.text_rows(),
        vec![vec!["1", "first", "NULL"], vec!["2", "second", "NULL"], vec!["3", "third", "2024-03-01"]]
    );
    let bad = lakebox.run_query("taxi", "INSERT INTO notes VALUES (1)").await.unwrap();
    assert!(reason(&bad).starts_with("TYPE_MISMATCH: Insert query has mismatched column types"), "{}", reason(&bad));
}

#[tokio::test]
async fn unload_writes_files_and_a_manifest() {
    let lakebox = taxi().await;
    let e = lakebox
        .run_query(
            "taxi",
            "UNLOAD (SELECT payment_type, count(*) AS n FROM trips GROUP BY payment_type) TO 's3://lake/exports/by_payment/' WITH (format = 'PARQUET')",
        )
        .await
        .unwrap();
    assert_eq!(state(&e), "SUCCEEDED", "{}", reason(&e));
    assert_eq!(e.substatement_type(), Some("UNLOAD"));
    let files = keys(&lakebox, "lake", "exports/by_payment/").await;
    assert!(!files.is_empty() && files.iter().all(|k| k.ends_with(".parquet")));
    assert!(e.statistics().unwrap().data_manifest_location().is_some());
    // The files read back through a table over them.
    lakebox
        .query("taxi", "CREATE EXTERNAL TABLE exported (payment_type bigint, n bigint) STORED AS PARQUET LOCATION 's3://lake/exports/by_payment/'")
        .await
        .unwrap();
    let total = lakebox.query("taxi", "SELECT sum(n) FROM exported").await.unwrap();
    assert_eq!(total.scalar(), Some(CONFIG.rows.to_string()));
    let again = lakebox
        .run_query("taxi", "UNLOAD (SELECT 1 AS x) TO 's3://lake/exports/by_payment/' WITH (format = 'PARQUET')")
        .await
        .unwrap();
    assert!(reason(&again).starts_with("HIVE_PATH_ALREADY_EXISTS"), "{}", reason(&again));
    // Default format: gzip text.
    lakebox.query("taxi", "UNLOAD (SELECT 'a' AS s, 1 AS i) TO 's3://lake/exports/text/'").await.unwrap();
    let files = keys(&lakebox, "lake", "exports/text/").await;
    assert!(files.iter().all(|k| k.ends_with(".gz")), "{files:?}");
}

#[tokio::test]
async fn a_failing_write_leaves_no_table_and_no_files() {
    let lakebox = taxi().await;
    let e = lakebox
        .run_query(
            "taxi",
            "CREATE TABLE broken WITH (external_location = 's3://lake/broken/') AS
             SELECT vendorid, CAST(pulocationid AS integer) / CAST(payment_type - payment_type AS integer) AS boom FROM trips",
        )
        .await
        .unwrap();
    assert_eq!(state(&e), "FAILED");
    assert!(reason(&e).starts_with("DIVISION_BY_ZERO"), "{}", reason(&e));
    assert!(lakebox.glue().get_table().database_name("taxi").name("broken").send().await.is_err());
    lakebox_harness::wait_for(Duration::from_secs(10), || async {
        keys(&lakebox, "lake", "broken/").await.is_empty().then_some(())
    })
    .await
    .expect("staged files are removed");
}

#[tokio::test]
async fn views_are_stored_in_glue_and_inlined_in_queries() {
    let lakebox = taxi().await;
    lakebox
        .query("taxi", "CREATE VIEW card_trips AS SELECT vendorid, tip_amount, month FROM trips WHERE payment_type = 1")
        .await
        .unwrap();
    let glue = lakebox.glue().get_table().database_name("taxi").name("card_trips").send().await.unwrap();
    let view = glue.table().unwrap();
    assert_eq!(view.table_type(), Some("VIRTUAL_VIEW"));
    assert!(view.view_original_text().unwrap().starts_with("/* Presto View: "));
    assert_eq!(view.view_expanded_text(), Some("/* Presto View */"));

    let card = trips().iter().filter(|t| t.payment_type == 1).count();
    let n = lakebox.query("taxi", "SELECT count(*) FROM card_trips").await.unwrap();
    assert_eq!(n.scalar(), Some(card.to_string()));
    // A view over a view, read from another database with a qualified name.
    lakebox.query("taxi", "CREATE VIEW big_tips AS SELECT * FROM card_trips WHERE tip_amount > 5").await.unwrap();
    lakebox.query("default", "CREATE DATABASE other").await.unwrap();
    let big = trips().iter().filter(|t| t.payment_type == 1 && t.tip_amount > 5.0).count();
    let n = lakebox
        .query("other", "SELECT count(*) FROM taxi.big_tips b WHERE b.month IN ('01', '02', '03')")
        .await
        .unwrap();
    assert_eq!(n.scalar(), Some(big.to_string()));

    let views = lakebox.query("taxi", "SHOW VIEWS").await.unwrap();
    assert_eq!(views.text_rows(), vec![vec!["big_tips"], vec!["card_trips"]]);
    let described = lakebox.query("taxi", "DESCRIBE card_trips").await.unwrap();
    assert_eq!(
        described.text_rows(),
        vec![vec!["vendorid\tinteger"], vec!["tip_amount\tdouble"], vec!["month\tvarchar"]]
    );
    let shown = lakebox.query("taxi", "SHOW CREATE VIEW card_trips").await.unwrap();
    assert_eq!(shown.rows[0][0].as_deref(), Some("CREATE VIEW \"taxi\".\"card_trips\" AS"));

    let dup = lakebox.run_query("taxi", "CREATE VIEW card_trips AS SELECT 1 AS x").await.unwrap();
    assert!(reason(&dup).starts_with("TABLE_ALREADY_EXISTS"), "{}", reason(&dup));
    lakebox.query("taxi", "CREATE OR REPLACE VIEW card_trips AS SELECT 1 AS x").await.unwrap();
    assert_eq!(lakebox.query("taxi", "SELECT x FROM card_trips").await.unwrap().scalar(), Some("1".into()));
    lakebox.query("taxi", "DROP VIEW card_trips").await.unwrap();
    let gone = lakebox.run_query("taxi", "DROP VIEW card_trips").await.unwrap();
    assert!(reason(&gone).starts_with("TABLE_NOT_FOUND"), "{}", reason(&gone));
    lakebox.query("taxi", "DROP VIEW IF EXISTS card_trips").await.unwrap();
}

#[tokio::test]
async fn alter_table_columns_and_rename() {
    let lakebox = taxi().await;
    lakebox.query("taxi", "ALTER TABLE trips ADD COLUMNS (not_there string)").await.unwrap();
    let r = lakebox.query("taxi", "SELECT count(not_there), count(*) FROM trips").await.unwrap();
    assert_eq!(r.text_rows(), vec![vec!["0".to_string(), CONFIG.rows.to_string()]]);
    lakebox.query("taxi", "ALTER TABLE trips CHANGE COLUMN not_there gone bigint FIRST").await.unwrap();
    let t = lakebox.glue().get_table().database_name("taxi").name("trips").send().await.unwrap();
    let first = &t.table().unwrap().storage_descriptor().unwrap().columns()[0];
    assert_eq!((first.name(), first.r#type()), ("gone", Some("bigint")));
    lakebox.query("taxi", "ALTER TABLE trips REPLACE COLUMNS (vendorid int, fare_amount double)").await.unwrap();
    let r = lakebox.query("taxi", "SELECT * FROM trips LIMIT 1").await.unwrap();
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["vendorid", "fare_amount", "year", "month"]);
    lakebox.query("taxi", "ALTER TABLE trips RENAME TO rides").await.unwrap();
    let n = lakebox.query("taxi", "SELECT count(*) FROM rides WHERE month = '02'").await.unwrap();
    let feb = trips().iter().filter(|t| t.pickup_parts().1 == 2).count();
    assert_eq!(n.scalar(), Some(feb.to_string()), "partitions moved with the table");
    assert!(lakebox.glue().get_table().database_name("taxi").name("trips").send().await.is_err());
}
