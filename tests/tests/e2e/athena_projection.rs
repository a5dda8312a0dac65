//! Partition projection: tables whose partitions come from `projection.*` properties, queried
//! with no partition registered (or with registered ones that must be ignored). Expected rows
//! and bytes are computed from the objects each test writes.

use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, TableInput};
use lakebox_harness::Lakebox;
use std::collections::BTreeMap;

fn column(name: &str, t: &str) -> Column {
    Column::builder().name(name).r#type(t).build().unwrap()
}

/// Registers a JSON table with partition keys and table properties.
async fn json_table(lakebox: &Lakebox, name: &str, location: &str, keys: &[(&str, &str)], params: &[(&str, &str)]) {
    let glue = lakebox.glue();
    if glue.get_database().name("proj").send().await.is_err() {
        let db = aws_sdk_glue::types::DatabaseInput::builder().name("proj").build().unwrap();
        glue.create_database().database_input(db).send().await.unwrap();
    }
    let sd = StorageDescriptor::builder()
        .columns(column("id", "int"))
        .columns(column("amount", "double"))
        .location(location)
        .input_format("org.apache.hadoop.mapred.TextInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
        .serde_info(SerDeInfo::builder().serialization_library("org.openx.data.jsonserde.JsonSerDe").build())
        .build();
    let mut input = TableInput::builder().name(name).table_type("EXTERNAL_TABLE").storage_descriptor(sd);
    for (k, t) in keys {
        input = input.partition_keys(column(k, t));
    }
    for (k, v) in params {
        input = input.parameters(*k, *v);
    }
    glue.create_table().database_name("proj").table_input(input.build().unwrap()).send().await.unwrap();
}

/// Writes `rows` JSON records with ids from `first`; returns the object's size.
async fn put_rows(lakebox: &Lakebox, key: &str, first: i64, rows: i64) -> i64 {
    let body: String = (first..first + rows).map(|i| format!("{{\"id\":{i},\"amount\":{}.5}}\n", i % 10)).collect();
    let size = body.len() as i64;
    lakebox.s3().put_object().bucket("lake").key(key).body(body.into_bytes().into()).send().await.unwrap();
    size
}

async fn failure(lakebox: &Lakebox, sql: &str) -> String {
    let e = lakebox.run_query("proj", sql).await.unwrap();
    assert_eq!(e.status().unwrap().state().unwrap().as_str(), "FAILED");
    e.status().unwrap().state_change_reason().unwrap().to_string()
}

/// Firehose-style hourly folders (`2024/01/15/07/`) under a location template, a date
/// projection by the hour: a query over three hours reads exactly those three folders.
#[tokio::test]
async fn hourly_folders_are_projected_from_a_template_and_pruned() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    // 30 hours of data, 1 to 3 records an hour; the id says which hour it came from.
    let mut sizes = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for h in 0..30i64 {
        let (day, hour) = (15 + h / 24, h % 24);
        let folder = format!("2024/01/{day}/{hour:02}");
        let rows = h % 3 + 1;
        sizes.insert(
            folder.clone(),
            put_rows(&lakebox, &format!("firehose/{folder}/batch-{h}.json"), h * 100, rows).await,
        );
        counts.insert(folder, rows);
    }
    json_table(
        &lakebox,
        "events",
        "s3://lake/firehose/",
        &[("dt", "string")],
        &[
            ("projection.enabled", "true"),
            ("projection.dt.type", "date"),
            ("projection.dt.format", "yyyy/MM/dd/HH"),
            ("projection.dt.range", "2024/01/01/00,NOW"),
            ("projection.dt.interval", "1"),
            ("projection.dt.interval.unit", "HOURS"),
            ("storage.location.template", "s3://lake/firehose/${dt}/"),
        ],
    )
    .await;
    assert!(
        lakebox
            .glue()
            .get_partitions()
            .database_name("proj")
            .table_name("events")
            .send()
            .await
            .unwrap()
            .partitions()
            .is_empty()
    );

    let got = lakebox
        .query(
            "proj",
            "SELECT dt, count(*) AS n FROM events WHERE dt >= '2024/01/15/22' AND dt < '2024/01/16/01' GROUP BY dt ORDER BY dt",
        )
        .await
        .unwrap();
    let wanted = ["2024/01/15/22", "2024/01/15/23", "2024/01/16/00"];
    let expected: Vec<Vec<String>> = wanted.iter().map(|f| vec![f.to_string(), counts[*f].to_string()]).collect();
    assert_eq!(got.text_rows(), expected);
    assert_eq!(got.data_scanned_bytes, wanted.iter().map(|f| sizes[*f]).sum::<i64>());

    // The whole table: every hour from the range start to now, most of them empty.
    let all = lakebox.query("proj", "SELECT count(*), sum(id) FROM events").await.unwrap();
    let ids: i64 = (0..30i64).flat_map(|h| (h * 100)..(h * 100 + h % 3 + 1)).sum();
    assert_eq!(all.text_rows(), [[counts.values().sum::<i64>().to_string(), ids.to_string()]]);
}

/// Enum and zero-padded integer keys at the default `key=value/` locations; a registered Glue
/// partition is ignored once projection is on, and honoured again when it is off.
#[tokio::test]
async fn enum_and_integer_keys_use_default_locations_and_ignore_registered_partitions() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    let mut expected: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut next = 0;
    for region in ["us", "eu"] {
        for month in [1, 2, 12] {
            let rows = if region == "us" { month } else { 1 };
            put_rows(&lakebox, &format!("sales/region={region}/month={month:02}/part-0.json"), next, rows).await;
            next += rows;
            expected.insert((region.to_string(), format!("{month:02}")), rows);
        }
    }
    // Not in the projection (region "ap"), but registered in Glue.
    put_rows(&lakebox, "elsewhere/ap/part-0.json", 1000, 5).await;
    json_table(
        &lakebox,
        "sales",
        "s3://lake/sales/",
        &[("region", "string"), ("month", "string")],
        &[
            ("projection.enabled", "true"),
            ("projection.region.type", "enum"),
            ("projection.region.values", "us,eu"),
            ("projection.month.type", "integer"),
            ("projection.month.range", "1,12"),
            ("projection.month.digits", "2"),
        ],
    )
    .await;
    let glue = lakebox.glue();
    let sd = StorageDescriptor::builder().location("s3://lake/elsewhere/ap/").build();
    let partition =
        aws_sdk_glue::types::PartitionInput::builder().values("ap").values("01").storage_descriptor(sd).build();
    glue.create_partition().database_name("proj").table_name("sales").partition_input(partition).send().await.unwrap();

    let got = lakebox
        .query("proj", "SELECT region, month, count(*) FROM sales GROUP BY region, month ORDER BY region, month")
        .await
        .unwrap();
    let rows: Vec<Vec<String>> = expected.iter().map(|((r, m), n)| vec![r.clone(), m.clone(), n.to_string()]).collect();
    assert_eq!(got.text_rows(), rows);

    let december =
        lakebox.query("proj", "SELECT count(*) FROM sales WHERE month = '12' AND region = 'us'").await.unwrap();
    assert_eq!(december.scalar().as_deref(), Some("12"));

    // projection.enabled=false (as awswrangler writes it): back to the registered partitions.
    let table = glue.get_table().database_name("proj").name("sales").send().await.unwrap().table.unwrap();
    let mut params = table.parameters().cloned().unwrap_or_default();
    params.insert("projection.enabled".into(), "false".into());
    let input = TableInput::builder()
        .name("sales")
        .set_storage_descriptor(table.storage_descriptor().cloned())
        .set_partition_keys(Some(table.partition_keys().to_vec()))
        .set_parameters(Some(params))
        .build()
        .unwrap();
    glue.update_table().database_name("proj").table_input(input).send().await.unwrap();
    let registered = lakebox.query("proj", "SELECT region, count(*) FROM sales GROUP BY region").await.unwrap();
    assert_eq!(registered.text_rows(), [["ap", "5"]]);
}

/// Injected keys take their values from the query; without an equality the query fails as
/// Athena fails it.
#[tokio::test]
async fn injected_keys_need_equalities() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    put_rows(&lakebox, "devices/dev-a/x.json", 0, 3).await;
    put_rows(&lakebox, "devices/dev-b/x.json", 10, 4).await;
    put_rows(&lakebox, "devices/dev-c/x.json", 20, 5).await;
    json_table(
        &lakebox,
        "readings",
        "s3://lake/devices/",
        &[("device", "string")],
        &[
            ("projection.enabled", "true"),
            ("projection.device.type", "injected"),
            ("storage.location.template", "s3://lake/devices/${device}/"),
        ],
    )
    .await;
    let got = lakebox
        .query("proj", "SELECT device, count(*) FROM readings WHERE device IN ('dev-a', 'dev-c', 'dev-z') GROUP BY device ORDER BY device")
        .await
        .unwrap();
    assert_eq!(got.text_rows(), [["dev-a", "3"], ["dev-c", "5"]]);
    let one = lakebox.query("proj", "SELECT sum(id) FROM readings WHERE device = 'dev-b'").await.unwrap();
    assert_eq!(one.scalar().as_deref(), Some(&*(10..14).sum::<i64>().to_string()));

    let reason = failure(&lakebox, "SELECT count(*) FROM readings").await;
    assert_eq!(
        reason,
        "CONSTRAINT_VIOLATION: For the injected projected partition column device, the WHERE clause must contain \
         only static equality conditions, and at least one such condition must be present."
    );
    let reason = failure(&lakebox, "SELECT count(*) FROM readings WHERE device LIKE 'dev-%'").await;
    assert!(reason.starts_with("CONSTRAINT_VIOLATION: "), "{reason}");
}

/// A date-typed key projected by day, and the misconfigurations Athena names.
#[tokio::test]
async fn date_keys_and_misconfigured_projections() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("lake").await.unwrap();
    for (day, rows) in [(1, 2), (2, 3), (5, 1)] {
        put_rows(&lakebox, &format!("daily/dt=2024-03-{day:02}/x.json"), day * 10, rows).await;
    }
    let day_params = [
        ("projection.enabled", "true"),
        ("projection.dt.type", "date"),
        ("projection.dt.format", "yyyy-MM-dd"),
        ("projection.dt.range", "2024-03-01,2024-03-31"),
    ];
    json_table(&lakebox, "daily", "s3://lake/daily/", &[("dt", "date")], &day_params).await;
    let got = lakebox
        .query("proj", "SELECT dt, count(*) FROM daily WHERE dt BETWEEN DATE '2024-03-02' AND DATE '2024-03-10' GROUP BY dt ORDER BY dt")
        .await
        .unwrap();
    assert_eq!(got.text_rows(), [["2024-03-02", "3"], ["2024-03-05", "1"]]);

    // A key without projection configuration.
    json_table(&lakebox, "half", "s3://lake/daily/", &[("dt", "date"), ("hour", "int")], &day_params).await;
    assert_eq!(
        failure(&lakebox, "SELECT count(*) FROM half").await,
        "HIVE_METASTORE_ERROR: Table proj.half is configured for partition projection, but the following partition \
         columns are missing projection configuration: [hour] (table proj.half)"
    );
    // A range that is not two dates in the format.
    let bad = [
        ("projection.enabled", "true"),
        ("projection.dt.type", "date"),
        ("projection.dt.format", "yyyy-MM-dd"),
        ("projection.dt.range", "2024/03/01,2024/03/31"),
    ];
    json_table(&lakebox, "bad_range", "s3://lake/daily/", &[("dt", "date")], &bad).await;
    let reason = failure(&lakebox, "SELECT count(*) FROM bad_range").await;
    assert!(
        reason.starts_with(
            "HIVE_METASTORE_ERROR: Column projection for column 'dt' failed. Property: 'projection.dt.range'"
        ),
        "{reason}"
    );
    // A hundred years of seconds is more than a million partitions.
    let huge =
        [("projection.enabled", "true"), ("projection.dt.type", "integer"), ("projection.dt.range", "0,3153600000")];
    json_table(&lakebox, "huge", "s3://lake/daily/", &[("dt", "bigint")], &huge).await;
    let reason = failure(&lakebox, "SELECT count(*) FROM huge WHERE dt > 5").await;
    assert_eq!(
        reason,
        "HIVE_EXCEEDED_PARTITION_LIMIT: Query over table 'proj.huge' can potentially read more than 1000000 partitions"
    );
    // ...unless the query names the values.
    let few = lakebox.query("proj", "SELECT count(*) FROM huge WHERE dt IN (1, 2)").await.unwrap();
    assert_eq!(few.scalar().as_deref(), Some("0"));
}
