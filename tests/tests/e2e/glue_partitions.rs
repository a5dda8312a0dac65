//! Partitions through aws-sdk-glue: batch writes, expressions, paging, segments, updates, deletes.

use crate::support::{code, database, partition, table};
use aws_sdk_glue::types::{
    BatchUpdatePartitionRequestEntry, PartitionInput, PartitionValueList, Segment, StorageDescriptor,
};
use lakebox_harness::Lakebox;
use std::collections::BTreeSet;

const REGIONS: [&str; 3] = ["ap", "eu", "us"];

/// (region, month) of every partition the fixture creates.
fn all_partitions() -> Vec<(&'static str, u32)> {
    REGIONS.iter().flat_map(|r| (1..=12).map(move |m| (*r, m))).collect()
}

fn values(region: &str, month: u32) -> Vec<String> {
    vec![region.to_string(), month.to_string(), format!("2024-{month:02}-15")]
}

async fn fixture() -> (Lakebox, aws_sdk_glue::Client) {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    glue.create_database().database_input(database("db")).send().await.unwrap();
    let keys = [("region", "string"), ("month", "int"), ("dt", "date")];
    glue.create_table().database_name("db").table_input(table("t", &keys)).send().await.unwrap();
    let inputs: Vec<PartitionInput> = all_partitions()
        .into_iter()
        .map(|(r, m)| PartitionInput::builder().set_values(Some(values(r, m))).build())
        .collect();
    let created = glue
        .batch_create_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_input_list(Some(inputs))
        .send()
        .await
        .unwrap();
    assert!(created.errors().is_empty(), "{:?}", created.errors());
    (lakebox, glue)
}

async fn select(glue: &aws_sdk_glue::Client, expression: &str) -> BTreeSet<(String, u32)> {
    let mut out = BTreeSet::new();
    let mut token = None;
    loop {
        let page = glue
            .get_partitions()
            .database_name("db")
            .table_name("t")
            .expression(expression)
            .max_results(7)
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{expression}: {e:?}"));
        for p in page.partitions() {
            let fresh = out.insert((p.values()[0].clone(), p.values()[1].parse().unwrap()));
            assert!(fresh, "{expression}: {:?} came twice", p.values());
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}

fn expected(keep: impl Fn(&str, u32) -> bool) -> BTreeSet<(String, u32)> {
    all_partitions().into_iter().filter(|(r, m)| keep(r, *m)).map(|(r, m)| (r.to_string(), m)).collect()
}

#[tokio::test]
async fn expressions_filter_by_typed_keys() {
    let (_lakebox, glue) = fixture().await;
    type Keep = Box<dyn Fn(&str, u32) -> bool>;
    let cases: Vec<(&str, Keep)> = vec![
        ("", Box::new(|_, _| true)),
        ("month > 9", Box::new(|_, m| m > 9)),
        ("region = 'eu'", Box::new(|r, _| r == "eu")),
        ("month between 2 and 4 and region <> 'us'", Box::new(|r, m| (2..=4).contains(&m) && r != "us")),
        ("region in ('ap', 'us') and not (month >= 3)", Box::new(|r, m| r != "eu" && m < 3)),
        ("region like 'e%' or month = 12", Box::new(|r, m| r.starts_with('e') || m == 12)),
        ("dt < '2024-03-01' or dt >= date '2024-12-01'", Box::new(|_, m| m < 3 || m == 12)),
        ("(region = 'ap' or region = 'us') and month not in (1, 2, 3)", Box::new(|r, m| r != "eu" && m > 3)),
        ("region is not null and month <= 1", Box::new(|_, m| m <= 1)),
        ("region is null", Box::new(|_, _| false)),
    ];
    for (expression, keep) in cases {
        assert_eq!(select(&glue, expression).await, expected(keep), "expression: {expression}");
    }
}

#[tokio::test]
async fn bad_expressions_are_invalid_input() {
    let (_lakebox, glue) = fixture().await;
    for bad in ["nokey = 1", "month = ", "month >> 2", "(month = 1", "month = 'one'"] {
        let result = glue.get_partitions().database_name("db").table_name("t").expression(bad).send().await;
        assert_eq!(code(result), "InvalidInputException", "expression: {bad}");
    }
}

#[tokio::test]
async fn segments_split_the_partitions_into_disjoint_slices() {
    let (_lakebox, glue) = fixture().await;
    let mut union = BTreeSet::new();
    let mut total = 0;
    for number in 0..3 {
        let segment = Segment::builder().segment_number(number).total_segments(3).build().unwrap();
        let page = glue.get_partitions().database_name("db").table_name("t").segment(segment).send().await.unwrap();
        total += page.partitions().len();
        union.extend(page.partitions().iter().map(|p| p.values().to_vec()));
    }
    assert_eq!(total, all_partitions().len(), "segments overlap or miss partitions");
    assert_eq!(union.len(), all_partitions().len());
    let bad = Segment::builder().segment_number(3).total_segments(3).build().unwrap();
    let result = glue.get_partitions().database_name("db").table_name("t").segment(bad).send().await;
    assert_eq!(code(result), "InvalidInputException");
}

#[tokio::test]
async fn partitions_inherit_the_table_storage_and_can_drop_the_column_schema() {
    let (_lakebox, glue) = fixture().await;
    let p = glue
        .get_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_values(Some(values("eu", 5)))
        .send()
        .await
        .unwrap();
    let sd = p.partition().unwrap().storage_descriptor().unwrap();
    assert_eq!(sd.columns().len(), 2, "columns come from the table");
    assert_eq!(sd.location(), Some("s3://lake/t/region=eu/month=5/dt=2024-05-15/"));
    let page = glue
        .get_partitions()
        .database_name("db")
        .table_name("t")
        .expression("month = 5")
        .exclude_column_schema(true)
        .send()
        .await
        .unwrap();
    assert_eq!(page.partitions().len(), 3);
    assert!(page.partitions().iter().all(|p| p.storage_descriptor().unwrap().columns().is_empty()));
}

#[tokio::test]
async fn batch_limits_and_per_entry_errors() {
    let (_lakebox, glue) = fixture().await;
    let too_many: Vec<PartitionInput> = (0..101).map(|i| partition(&["x", &i.to_string(), "2024-01-01"])).collect();
    let result = glue
        .batch_create_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_input_list(Some(too_many))
        .send()
        .await;
    assert_eq!(code(result), "ValidationException");

    let mixed =
        vec![partition(&["eu", "1", "2024-01-15"]), partition(&["new", "1", "2024-01-15"]), partition(&["short"])];
    let created = glue
        .batch_create_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_input_list(Some(mixed))
        .send()
        .await
        .unwrap();
    let codes: Vec<_> = created.errors().iter().map(|e| e.error_detail().unwrap().error_code().unwrap()).collect();
    assert_eq!(codes, ["AlreadyExistsException", "InvalidInputException"]);

    let keys: Vec<PartitionValueList> = [values("eu", 1), values("nowhere", 1), values("us", 12)]
        .into_iter()
        .map(|v| PartitionValueList::builder().set_values(Some(v)).build().unwrap())
        .collect();
    let got = glue
        .batch_get_partition()
        .database_name("db")
        .table_name("t")
        .set_partitions_to_get(Some(keys.clone()))
        .send()
        .await
        .unwrap();
    let got: Vec<_> = got.partitions().iter().map(|p| p.values()[0].clone()).collect();
    assert_eq!(got, ["eu", "us"], "a missing partition is simply not returned");

    let deleted = glue
        .batch_delete_partition()
        .database_name("db")
        .table_name("t")
        .set_partitions_to_delete(Some(keys))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.errors().len(), 1);
    assert_eq!(deleted.errors()[0].partition_values(), values("nowhere", 1));
    let too_many: Vec<PartitionValueList> =
        (0..26).map(|i| PartitionValueList::builder().values(i.to_string()).build().unwrap()).collect();
    let result = glue
        .batch_delete_partition()
        .database_name("db")
        .table_name("t")
        .set_partitions_to_delete(Some(too_many))
        .send()
        .await;
    assert_eq!(code(result), "ValidationException");
    assert_eq!(select(&glue, "").await.len(), all_partitions().len() + 1 - 2);
}

#[tokio::test]
async fn updates_move_locations_but_not_values() {
    let (_lakebox, glue) = fixture().await;
    let moved = PartitionInput::builder()
        .set_values(Some(values("eu", 1)))
        .storage_descriptor(StorageDescriptor::builder().location("s3://elsewhere/eu1/").build())
        .build();
    glue.update_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_value_list(Some(values("eu", 1)))
        .partition_input(moved)
        .send()
        .await
        .unwrap();
    let p = glue
        .get_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_values(Some(values("eu", 1)))
        .send()
        .await
        .unwrap();
    let sd = p.partition().unwrap().storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://elsewhere/eu1/"));
    assert_eq!(sd.columns().len(), 2, "omitted parts are still inherited");

    // Glue: "The Values property can't be changed" by an update.
    let renamed = PartitionInput::builder().set_values(Some(values("eu", 13))).build();
    let entry = BatchUpdatePartitionRequestEntry::builder()
        .set_partition_value_list(Some(values("eu", 2)))
        .partition_input(renamed)
        .build()
        .unwrap();
    let relocated = PartitionInput::builder()
        .storage_descriptor(StorageDescriptor::builder().location("s3://elsewhere/eu3/").build())
        .build();
    let fine = BatchUpdatePartitionRequestEntry::builder()
        .set_partition_value_list(Some(values("eu", 3)))
        .partition_input(relocated)
        .build()
        .unwrap();
    let ghost = BatchUpdatePartitionRequestEntry::builder()
        .set_partition_value_list(Some(values("zz", 2)))
        .partition_input(PartitionInput::builder().build())
        .build()
        .unwrap();
    let result = glue
        .batch_update_partition()
        .database_name("db")
        .table_name("t")
        .entries(entry)
        .entries(ghost)
        .entries(fine)
        .send()
        .await
        .unwrap();
    let failed: Vec<(Vec<String>, &str)> = result
        .errors()
        .iter()
        .map(|e| (e.partition_value_list().to_vec(), e.error_detail().unwrap().error_code().unwrap()))
        .collect();
    assert_eq!(failed, [(values("eu", 2), "InvalidInputException"), (values("zz", 2), "EntityNotFoundException")]);
    assert!(select(&glue, "region = 'eu' and month > 12").await.is_empty());
    assert_eq!(select(&glue, "region = 'eu' and month = 2").await, [("eu".to_string(), 2)].into());
    let p = glue
        .get_partition()
        .database_name("db")
        .table_name("t")
        .set_partition_values(Some(values("eu", 3)))
        .send()
        .await
        .unwrap();
    assert_eq!(p.partition().unwrap().storage_descriptor().unwrap().location(), Some("s3://elsewhere/eu3/"));
}
