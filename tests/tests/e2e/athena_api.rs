//! The Athena query API through aws-sdk-athena: lifecycle, persistence, stopping, idempotency,
//! workgroups, parameters and prepared statements, utility statements.

use aws_sdk_athena::error::ProvideErrorMetadata;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration, WorkGroupConfiguration};
use lakebox_harness::{Lakebox, RESULTS_BUCKET};
use std::time::Duration;

fn output() -> ResultConfiguration {
    ResultConfiguration::builder().output_location(format!("s3://{RESULTS_BUCKET}/q/")).build()
}

/// Starts `sql` with the default output location; its execution id.
async fn start(lakebox: &Lakebox, sql: &str) -> String {
    let started =
        lakebox.athena().start_query_execution().query_string(sql).result_configuration(output()).send().await.unwrap();
    started.query_execution_id().unwrap().to_string()
}

async fn state_of(lakebox: &Lakebox, id: &str) -> (String, Option<String>) {
    let e = lakebox.athena().get_query_execution().query_execution_id(id).send().await.unwrap();
    let status = e.query_execution().unwrap().status().unwrap().clone();
    (status.state().unwrap().as_str().to_string(), status.state_change_reason().map(str::to_string))
}

async fn wait_end(lakebox: &Lakebox, id: &str) -> (String, Option<String>) {
    lakebox_harness::wait_for(Duration::from_secs(60), || async {
        let (state, reason) = state_of(lakebox, id).await;
        matches!(state.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED").then_some((state, reason))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn executions_and_their_results_survive_a_restart() {
    let lakebox = Lakebox::start().await.unwrap();
    let result =
        lakebox.query("default", "SELECT 6 * 7 AS answer, 'x' AS s, CAST(NULL AS varchar) AS n").await.unwrap();
    assert_eq!(result.rows, vec![vec![Some("42".to_string()), Some("x".to_string()), None]]);
    let lakebox = lakebox.restart().await.unwrap();
    let (state, _) = state_of(&lakebox, &result.id).await;
    assert_eq!(state, "SUCCEEDED");
    let execution = lakebox.athena().get_query_execution().query_execution_id(&result.id).send().await.unwrap();
    let again = lakebox.results(execution.query_execution().unwrap().clone()).await.unwrap();
    assert_eq!(again.rows, result.rows);
    let listed = lakebox.athena().list_query_executions().send().await.unwrap();
    assert_eq!(listed.query_execution_ids(), std::slice::from_ref(&result.id));
}

#[tokio::test]
async fn a_query_running_when_lakebox_stops_is_failed_on_restart() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket(RESULTS_BUCKET).await.unwrap();
    lakebox.delay_next_queries(1, Duration::from_secs(30)).await.unwrap();
    let id = start(&lakebox, "SELECT 1").await;
    lakebox_harness::wait_for(Duration::from_secs(10), || async {
        (state_of(&lakebox, &id).await.0 == "RUNNING").then_some(())
    })
    .await
    .unwrap();
    let lakebox = lakebox.restart().await.unwrap();
    let (state, reason) = state_of(&lakebox, &id).await;
    assert_eq!(state, "FAILED");
    assert!(reason.unwrap().contains("Lakebox stopped while this query was running"));
}

#[tokio::test]
async fn start_query_execution_answers_once_a_short_query_is_done() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket(RESULTS_BUCKET).await.unwrap();
    let id = start(&lakebox, "SELECT 6 * 7").await;
    assert_eq!(state_of(&lakebox, &id).await.0, "SUCCEEDED", "the first poll finds a short query done");

    // The wait is bounded: a query still running when it ends is answered, and goes on running.
    let lakebox = Lakebox::start_with(|b| b.start_wait(Duration::from_millis(50))).await.unwrap();
    lakebox.create_bucket(RESULTS_BUCKET).await.unwrap();
    lakebox.delay_next_queries(1, Duration::from_secs(2)).await.unwrap();
    let id = start(&lakebox, "SELECT 6 * 7").await;
    let (state, _) = state_of(&lakebox, &id).await;
    assert!(matches!(state.as_str(), "QUEUED" | "RUNNING"), "{state}");
    assert_eq!(wait_end(&lakebox, &id).await.0, "SUCCEEDED");
}

#[tokio::test]
async fn stop_query_execution_cancels_a_running_query() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket(RESULTS_BUCKET).await.unwrap();
    lakebox.delay_next_queries(1, Duration::from_secs(30)).await.unwrap();
    let athena = lakebox.athena();
    let id = start(&lakebox, "SELECT 1").await;
    let id = id.as_str();
    athena.stop_query_execution().query_execution_id(id).send().await.unwrap();
    let (state, reason) = state_of(&lakebox, id).await;
    assert_eq!((state.as_str(), reason.as_deref()), ("CANCELLED", Some("Query cancelled by user")));
    let results = athena.get_query_results().query_execution_id(id).send().await.unwrap_err();
    assert_eq!(results.message(), Some("Could not find results"));
    // Stopping a finished query changes nothing.
    athena.stop_query_execution().query_execution_id(id).send().await.unwrap();
    let missing = athena.get_query_execution().query_execution_id("nope").send().await.unwrap_err();
    assert_eq!(missing.message(), Some("QueryExecution nope was not found"));
}

#[tokio::test]
async fn injected_failures_come_back_as_athena_errors() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.fail_next_queries(1, "HIVE_CURSOR_ERROR", "the disk is on fire").await.unwrap();
    let failed = lakebox.run_query("default", "SELECT 1").await.unwrap();
    let status = failed.status().unwrap();
    assert_eq!(status.state(), Some(&QueryExecutionState::Failed));
    assert_eq!(status.state_change_reason(), Some("HIVE_CURSOR_ERROR: the disk is on fire"));
    let ok = lakebox.query("default", "SELECT 1").await.unwrap();
    assert_eq!(ok.scalar(), Some("1".into()), "only the next query fails");
}

#[tokio::test]
async fn client_request_tokens_make_starts_idempotent() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket(RESULTS_BUCKET).await.unwrap();
    let athena = lakebox.athena();
    let token = "0123456789abcdef0123456789abcdef";
    let start = |sql: &'static str| {
        athena
            .start_query_execution()
            .query_string(sql)
            .client_request_token(token)
            .result_configuration(output())
            .send()
    };
    let first = start("SELECT 1").await.unwrap();
    let second = start("SELECT 1").await.unwrap();
    assert_eq!(first.query_execution_id(), second.query_execution_id());
    let mismatch = start("SELECT 2").await.unwrap_err();
    assert_eq!(mismatch.message(), Some("Idempotent parameters do not match"));
    let listed = athena.list_query_executions().send().await.unwrap();
    assert_eq!(listed.query_execution_ids().len(), 1, "the second start ran nothing");
}

#[tokio::test]
async fn workgroups_set_the_output_location_and_limit_bytes_scanned() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("results").await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    let athena = lakebox.athena();
    let config = |cutoff: Option<i64>| {
        WorkGroupConfiguration::builder()
            .result_configuration(ResultConfiguration::builder().output_location("s3://results/wg/").build())
            .enforce_work_group_configuration(true)
            .set_bytes_scanned_cutoff_per_query(cutoff)
            .build()
    };
    let small = athena.create_work_group().name("tiny").configuration(config(Some(1000))).send().await.unwrap_err();
    assert!(small.message().unwrap().contains("greater than or equal to 10000000"));
    athena.create_work_group().name("reports").configuration(config(Some(10_000_000))).send().await.unwrap();

    // ~14 MB of CSV: more than the cutoff.
    let row = "1,2024-01-01 00:00:00,2024-01-01 00:10:00,1,2.5,1,N,161,236,1,12.5,0.5,0.5,3.0,0.0,1.0,17.5,2.5,0.0\n";
    let body = row.repeat(14_000_000 / row.len());
    lakebox.s3().put_object().bucket("lake").key("big/a.csv").body(body.into_bytes().into()).send().await.unwrap();
    let ddl = "CREATE EXTERNAL TABLE big (vendorid int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://lake/big/'";
    let run = |sql: &'static str, wg: &'static str| {
        athena
            .start_query_execution()
            .query_string(sql)
            .work_group(wg)
            .query_execution_context(QueryExecutionContext::builder().database("default").build())
            .result_configuration(ResultConfiguration::builder().output_location("s3://lake/ignored/").build())
            .send()
    };
    let id = run(ddl, "reports").await.unwrap().query_execution_id().unwrap().to_string();
    assert_eq!(wait_end(&lakebox, &id).await.0, "SUCCEEDED");
    let e = athena.get_query_execution().query_execution_id(&id).send().await.unwrap();
    let location = e.query_execution().unwrap().result_configuration().unwrap().output_location().unwrap().to_string();
    assert_eq!(location, format!("s3://results/wg/{id}.txt"), "the enforced workgroup location wins");

    let id = run("SELECT count(*) FROM big", "reports").await.unwrap().query_execution_id().unwrap().to_string();
    let (state, reason) = wait_end(&lakebox, &id).await;
    assert_eq!((state.as_str(), reason.as_deref()), ("CANCELLED", Some("Bytes scanned limit was exceeded")));
    let id = run("SELECT count(*) FROM big", "primary").await.unwrap().query_execution_id().unwrap().to_string();
    assert_eq!(wait_end(&lakebox, &id).await.0, "SUCCEEDED", "primary has no cutoff");
    let listed = athena.list_query_executions().work_group("reports").send().await.unwrap();
    assert_eq!(listed.query_execution_ids().len(), 2);
    let batch = athena
        .batch_get_query_execution()
        .query_execution_ids(&id)
        .query_execution_ids("missing")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.query_executions().len(), 1);
    assert_eq!(batch.unprocessed_query_execution_ids()[0].query_execution_id(), Some("missing"));
    let stats = athena.get_query_runtime_statistics().query_execution_id(&id).send().await.unwrap();
    let rows = stats.query_runtime_statistics().unwrap().rows().unwrap();
    assert_eq!(rows.output_rows(), Some(1));
    assert!(rows.input_bytes().unwrap() > 13_000_000);
}

#[tokio::test]
async fn execution_parameters_and_prepared_statements() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket(RESULTS_BUCKET).await.unwrap();
    let athena = lakebox.athena();
    let started = athena
        .start_query_execution()
        .query_string("SELECT ? + 1 AS a, ? AS b")
        .execution_parameters("41")
        .execution_parameters("'it''s'")
        .result_configuration(output())
        .send()
        .await
        .unwrap();
    let id = started.query_execution_id().unwrap();
    assert_eq!(wait_end(&lakebox, id).await.0, "SUCCEEDED");
    let e = athena.get_query_execution().query_execution_id(id).send().await.unwrap();
    let result = lakebox.results(e.query_execution().unwrap().clone()).await.unwrap();
    assert_eq!(result.text_rows(), vec![vec!["42", "it's"]]);

    athena
        .create_prepared_statement()
        .statement_name("plus")
        .work_group("primary")
        .query_statement("SELECT ? * 2 AS doubled")
        .send()
        .await
        .unwrap();
    let result = lakebox.query("default", "EXECUTE plus USING 21").await.unwrap();
    assert_eq!(result.scalar(), Some("42".into()));
}

#[tokio::test]
async fn utility_statements_answer_as_athenas_hive_engine() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    lakebox
        .query("default", "CREATE DATABASE sales COMMENT 'the sales team' LOCATION 's3://lake/sales/'")
        .await
        .unwrap();
    let db = lakebox.glue().get_database().name("sales").send().await.unwrap();
    assert_eq!(db.database().unwrap().description(), Some("the sales team"));
    let again = lakebox.run_query("default", "CREATE DATABASE sales").await.unwrap();
    assert_eq!(
        again.status().unwrap().state_change_reason(),
        Some(
            "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. Database sales already exists"
        )
    );
    lakebox.query("default", "CREATE DATABASE IF NOT EXISTS sales").await.unwrap();
    let ddl =
        "CREATE EXTERNAL TABLE sales.orders (id bigint COMMENT 'order id', amount decimal(10,2), tags array<string>)
               PARTITIONED BY (dt string)
               ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
               LOCATION 's3://lake/sales/orders/'
               TBLPROPERTIES ('skip.header.line.count'='1')";
    let created = lakebox.query("sales", ddl).await.unwrap();
    assert!(created.rows.is_empty() && created.columns.is_empty());
    let tables = lakebox.query("sales", "SHOW TABLES").await.unwrap();
    assert_eq!(tables.text_rows(), vec![vec!["orders"]]);
    assert_eq!(tables.columns[0].name, "tab_name");
    let dbs = lakebox.query("default", "SHOW DATABASES").await.unwrap();
    assert_eq!(dbs.text_rows(), vec![vec!["default"], vec!["sales"]]);
    let described = lakebox.query("sales", "DESCRIBE orders").await.unwrap();
    assert_eq!(
        described.rows[0][0].as_deref(),
        Some(format!("{:<20}\t{:<20}\t{:<20}", "id", "bigint", "order id").as_str())
    );
    assert_eq!(described.columns.len(), 3);
    let show = lakebox.query("sales", "SHOW CREATE TABLE orders").await.unwrap();
    assert_eq!(show.rows[0][0].as_deref(), Some("CREATE EXTERNAL TABLE `orders`("));
    assert!(show.text_rows().iter().any(|r| r[0] == "  FIELDS TERMINATED BY ',' "));
    let props = lakebox.query("sales", "SHOW TBLPROPERTIES orders ('skip.header.line.count')").await.unwrap();
    assert_eq!(props.text_rows(), vec![vec!["1"]]);

    lakebox
        .query("sales", "ALTER TABLE orders ADD PARTITION (dt='2024-01-01') PARTITION (dt='2024-01-02') LOCATION 's3://lake/elsewhere/'")
        .await
        .unwrap();
    let p = lakebox
        .glue()
        .get_partition()
        .database_name("sales")
        .table_name("orders")
        .partition_values("2024-01-02")
        .send()
        .await
        .unwrap();
    assert_eq!(p.partition().unwrap().storage_descriptor().unwrap().location(), Some("s3://lake/elsewhere/"));
    let p = lakebox
        .glue()
        .get_partition()
        .database_name("sales")
        .table_name("orders")
        .partition_values("2024-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.partition().unwrap().storage_descriptor().unwrap().location(),
        Some("s3://lake/sales/orders/dt=2024-01-01/")
    );
    let dup = lakebox.run_query("sales", "ALTER TABLE orders ADD PARTITION (dt='2024-01-01')").await.unwrap();
    assert!(
        dup.status()
            .unwrap()
            .state_change_reason()
            .unwrap()
            .ends_with("AlreadyExistsException(message:Partition already exists.)")
    );
    lakebox.query("sales", "ALTER TABLE orders ADD IF NOT EXISTS PARTITION (dt='2024-01-01')").await.unwrap();

    lakebox
        .s3()
        .put_object()
        .bucket("lake")
        .key("sales/orders/dt=2024-01-01/a.csv")
        .body(b"id,amount,tags\n1,9.99,a\x02b\n2,\\N,\n".to_vec().into())
        .send()
        .await
        .unwrap();
    let rows = lakebox.query("sales", "SELECT id, amount, tags, dt FROM orders ORDER BY id").await.unwrap();
    assert_eq!(
        rows.text_rows(),
        vec![vec!["1", "9.99", "[a, b]", "2024-01-01"], vec!["2", "NULL", "[]", "2024-01-01"]]
    );
    let types: Vec<&str> = rows.columns.iter().map(|c| c.athena_type.as_str()).collect();
    assert_eq!(types, ["bigint", "decimal", "array", "varchar"]);

    lakebox.query("sales", "ALTER TABLE orders DROP PARTITION (dt='2024-01-02')").await.unwrap();
    let parts = lakebox.query("sales", "SHOW PARTITIONS orders").await.unwrap();
    assert_eq!(parts.text_rows(), vec![vec!["dt=2024-01-01"]]);
    let not_empty = lakebox.run_query("default", "DROP DATABASE sales").await.unwrap();
    assert!(not_empty.status().unwrap().state_change_reason().unwrap().contains("is not empty"));
    lakebox.query("default", "DROP DATABASE sales CASCADE").await.unwrap();
    assert!(lakebox.glue().get_database().name("sales").send().await.is_err());

    let missing = lakebox
        .athena()
        .start_query_execution()
        .query_string("DESCRIBE nope")
        .result_configuration(output())
        .send()
        .await;
    assert!(missing.unwrap_err().message().unwrap().starts_with("Entity Not Found"));
}

/// `information_schema` answers from the Glue catalog as Athena's does: Trino type names,
/// partition keys after the data columns marked `partition key`, views with their SQL, and a
/// table created through Glue (not SQL) visible at once.
#[tokio::test]
async fn information_schema_describes_the_glue_catalog() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    lakebox.query("default", "CREATE DATABASE shop").await.unwrap();
    let ddl = "CREATE EXTERNAL TABLE shop.orders (id bigint COMMENT 'order id', amount decimal(10,2),
                   tags array<string>, placed timestamp, qty int)
               PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://lake/orders/'";
    lakebox.query("shop", ddl).await.unwrap();
    lakebox.query("shop", "CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100").await.unwrap();
    let input = aws_sdk_glue::types::TableInput::builder()
        .name("events")
        .storage_descriptor(
            aws_sdk_glue::types::StorageDescriptor::builder()
                .columns(aws_sdk_glue::types::Column::builder().name("kind").r#type("string").build().unwrap())
                .location("s3://lake/events/")
                .build(),
        )
        .build()
        .unwrap();
    lakebox.glue().create_table().database_name("shop").table_input(input).send().await.unwrap();

    let schemata = lakebox.query("default", "SELECT schema_name FROM information_schema.schemata").await.unwrap();
    assert_eq!(schemata.text_rows(), vec![vec!["default"], vec!["information_schema"], vec!["shop"]]);
    let tables = lakebox
        .query(
            "default",
            "SELECT table_catalog, table_name, table_type FROM information_schema.tables
             WHERE table_schema = 'shop' ORDER BY table_name",
        )
        .await
        .unwrap();
    assert_eq!(
        tables.text_rows(),
        vec![
            vec!["awsdatacatalog", "big_orders", "VIEW"],
            vec!["awsdatacatalog", "events", "BASE TABLE"],
            vec!["awsdatacatalog", "orders", "BASE TABLE"],
        ]
    );
    let columns = lakebox
        .query(
            "shop",
            "SELECT column_name, ordinal_position, data_type, comment, extra_info, is_nullable
             FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'orders'
             ORDER BY ordinal_position",
        )
        .await
        .unwrap();
    let row = |v: &[Option<&str>]| v.iter().map(|s| s.map(str::to_string)).collect::<Vec<_>>();
    assert_eq!(
        columns.rows,
        vec![
            row(&[Some("id"), Some("1"), Some("bigint"), Some("order id"), None, Some("YES")]),
            row(&[Some("amount"), Some("2"), Some("decimal(10,2)"), None, None, Some("YES")]),
            row(&[Some("tags"), Some("3"), Some("array(varchar)"), None, None, Some("YES")]),
            row(&[Some("placed"), Some("4"), Some("timestamp(3)"), None, None, Some("YES")]),
            row(&[Some("qty"), Some("5"), Some("integer"), None, None, Some("YES")]),
            row(&[Some("dt"), Some("6"), Some("varchar"), None, Some("partition key"), Some("YES")]),
        ]
    );
    let views = lakebox
        .query("shop", "SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = 'shop'")
        .await
        .unwrap();
    assert_eq!(views.text_rows(), vec![vec!["big_orders", "SELECT id FROM orders WHERE amount > 100"]]);
    // Unknown tables of the schema are TABLE_NOT_FOUND, as any table.
    let missing = lakebox.run_query("default", "SELECT * FROM information_schema.nothing").await.unwrap();
    assert!(missing.status().unwrap().state_change_reason().unwrap().starts_with("TABLE_NOT_FOUND"));
}
