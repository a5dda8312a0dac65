//! Databases, tables and table versions through aws-sdk-glue.

use crate::support::{code, column, database, partition, table};
use aws_sdk_glue::types::{DatabaseInput, TableInput};
use lakebox_harness::Lakebox;
use std::collections::BTreeSet;

#[tokio::test]
async fn databases_are_created_listed_paged_and_deleted_with_their_tables() {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    let names: BTreeSet<String> = (0..7).map(|i| format!("db_{i:02}")).collect();
    for name in &names {
        glue.create_database().database_input(database(&name.to_uppercase())).send().await.unwrap();
    }

    // Names are folded to lower case; pages of 3 cover all 7 exactly once.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = glue.get_databases().max_results(3).set_next_token(token).send().await.unwrap();
        assert!(page.database_list().len() <= 3);
        seen.extend(page.database_list().iter().map(|d| d.name().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), names.len(), "no database twice: {seen:?}");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), names);

    assert_eq!(code(glue.create_database().database_input(database("DB_00")).send().await), "AlreadyExistsException");
    assert_eq!(code(glue.get_database().name("missing").send().await), "EntityNotFoundException");

    let update =
        DatabaseInput::builder().name("db_00").description("trips").location_uri("s3://lake/").build().unwrap();
    glue.update_database().name("db_00").database_input(update).send().await.unwrap();
    let db = glue.get_database().name("db_00").send().await.unwrap();
    let db = db.database().unwrap();
    assert_eq!((db.description(), db.location_uri()), (Some("trips"), Some("s3://lake/")));
    assert!(db.create_time().is_some());

    glue.create_table().database_name("db_00").table_input(table("trips", &[])).send().await.unwrap();
    glue.delete_database().name("db_00").send().await.unwrap();
    assert_eq!(code(glue.get_table().database_name("db_00").name("trips").send().await), "EntityNotFoundException");
    glue.create_database().database_input(database("db_00")).send().await.unwrap();
    let tables = glue.get_tables().database_name("db_00").send().await.unwrap();
    assert!(tables.table_list().is_empty(), "a recreated database starts empty");
}

#[tokio::test]
async fn tables_round_trip_every_field_and_filter_by_name() {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    glue.create_database().database_input(database("sales")).send().await.unwrap();
    let input = table("Trips_2024", &[("year", "string"), ("month", "int")]);
    glue.create_table().database_name("sales").table_input(input.clone()).send().await.unwrap();
    for name in ["trips_2023", "zones", "sales_by_day"] {
        glue.create_table().database_name("sales").table_input(table(name, &[])).send().await.unwrap();
    }

    let got = glue.get_table().database_name("SALES").name("trips_2024").send().await.unwrap();
    let got = got.table().unwrap();
    assert_eq!(got.name(), "trips_2024");
    assert_eq!(got.database_name(), Some("sales"));
    assert_eq!(got.storage_descriptor(), input.storage_descriptor());
    assert_eq!(got.partition_keys(), input.partition_keys());
    assert_eq!(got.table_type(), Some("EXTERNAL_TABLE"));
    assert!(got.create_time().is_some() && got.update_time().is_some());

    let names = |tables: &[aws_sdk_glue::types::Table]| tables.iter().map(|t| t.name().to_string()).collect::<Vec<_>>();
    let trips = glue.get_tables().database_name("sales").expression("trips_*").send().await.unwrap();
    assert_eq!(names(trips.table_list()), ["trips_2023", "trips_2024"]);
    let regex = glue.get_tables().database_name("sales").expression("zones|sales.*").send().await.unwrap();
    assert_eq!(names(regex.table_list()), ["sales_by_day", "zones"]);
    assert_eq!(
        code(glue.create_table().database_name("sales").table_input(table("zones", &[])).send().await),
        "AlreadyExistsException"
    );
    assert_eq!(
        code(glue.create_table().database_name("nowhere").table_input(table("t", &[])).send().await),
        "EntityNotFoundException"
    );

    let deleted = glue
        .batch_delete_table()
        .database_name("sales")
        .tables_to_delete("zones")
        .tables_to_delete("ghost")
        .send()
        .await
        .unwrap();
    let errors = deleted.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].table_name(), Some("ghost"));
    assert_eq!(errors[0].error_detail().and_then(|d| d.error_code()), Some("EntityNotFoundException"));
    assert_eq!(code(glue.get_table().database_name("sales").name("zones").send().await), "EntityNotFoundException");
}

fn described(name: &str, description: &str) -> TableInput {
    TableInput::builder().name(name).description(description).build().unwrap()
}

#[tokio::test]
async fn update_table_keeps_versions_and_detects_lost_races() {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    glue.create_database().database_input(database("db")).send().await.unwrap();
    glue.create_table().database_name("db").table_input(described("t", "v-a")).send().await.unwrap();
    let v0 = glue.get_table().database_name("db").name("t").send().await.unwrap().table.unwrap().version_id.unwrap();

    // Two writers read v0; the first update wins, the second loses with the stale VersionId.
    glue.update_table().database_name("db").table_input(described("t", "v-b")).version_id(&v0).send().await.unwrap();
    let stale = glue.update_table().database_name("db").table_input(described("t", "v-c")).version_id(&v0).send().await;
    assert_eq!(code(stale), "ConcurrentModificationException");

    let current = glue.get_table().database_name("db").name("t").send().await.unwrap().table.unwrap();
    assert_eq!(current.description(), Some("v-b"));
    let v1 = current.version_id().unwrap().to_string();
    assert_ne!(v1, v0);

    // SkipArchive replaces the current version without keeping it.
    glue.update_table().database_name("db").table_input(described("t", "v-d")).skip_archive(true).send().await.unwrap();
    let versions = glue.get_table_versions().database_name("db").table_name("t").send().await.unwrap();
    let descriptions: Vec<_> =
        versions.table_versions().iter().map(|v| v.table().and_then(|t| t.description()).unwrap()).collect();
    assert_eq!(descriptions, ["v-d", "v-a"], "v-b was replaced with SkipArchive");

    let old = glue.get_table_version().database_name("db").table_name("t").version_id(&v0).send().await.unwrap();
    assert_eq!(old.table_version().and_then(|v| v.table()).and_then(|t| t.description()), Some("v-a"));

    glue.delete_table_version().database_name("db").table_name("t").version_id(&v0).send().await.unwrap();
    let missing = glue.get_table_version().database_name("db").table_name("t").version_id(&v0).send().await;
    assert_eq!(code(missing), "EntityNotFoundException");
    let batch =
        glue.batch_delete_table_version().database_name("db").table_name("t").version_ids(&v0).send().await.unwrap();
    assert_eq!(batch.errors().len(), 1, "v0 is gone already");
}

#[tokio::test]
async fn the_catalog_survives_a_restart() {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    glue.create_database().database_input(database("durable")).send().await.unwrap();
    glue.create_table().database_name("durable").table_input(table("t", &[("dt", "string")])).send().await.unwrap();
    glue.create_partition()
        .database_name("durable")
        .table_name("t")
        .partition_input(partition(&["2024-01-01"]))
        .send()
        .await
        .unwrap();

    let lakebox = lakebox.restart().await.unwrap();
    let glue = lakebox.glue();
    let t = glue.get_table().database_name("durable").name("t").send().await.unwrap();
    assert_eq!(t.table().unwrap().partition_keys(), [column("dt", "string")]);
    let p = glue
        .get_partition()
        .database_name("durable")
        .table_name("t")
        .partition_values("2024-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(p.partition().unwrap().values(), ["2024-01-01"]);
}

#[tokio::test]
async fn concurrent_writers_lose_no_update() {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    glue.create_database().database_input(database("db")).send().await.unwrap();
    glue.create_table().database_name("db").table_input(table("t", &[("n", "int")])).send().await.unwrap();
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let glue = glue.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let value = (writer * 25 + i).to_string();
                glue.create_partition()
                    .database_name("db")
                    .table_name("t")
                    .partition_input(partition(&[&value]))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let all = glue.get_partitions().database_name("db").table_name("t").send().await.unwrap();
    let values: BTreeSet<i32> = all.partitions().iter().map(|p| p.values()[0].parse().unwrap()).collect();
    assert_eq!(values, (0..200).collect());
}
