//! Glue partition operations.

use super::{Answer, Ctx, error_detail, ok, page};
use crate::catalog::model::PartitionInput;
use crate::catalog::{CatalogError, PartitionQuery, PartitionWrite};
use crate::protocol::Reply;
use serde::Deserialize;
use serde_json::{Value, json};

/// Batch answers list the entries that failed as `{PartitionValues, ErrorDetail}`.
fn partition_errors(errors: &[(Vec<String>, CatalogError)]) -> Value {
    errors.iter().map(|(values, e)| json!({ "PartitionValues": values, "ErrorDetail": error_detail(e) })).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_input: PartitionInput,
}

pub fn create_partition(cx: &Ctx<'_>, r: CreatePartitionRequest) -> Answer {
    cx.catalog.create_partition(r.catalog_id.as_deref(), &r.database_name, &r.table_name, r.partition_input)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchCreatePartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_input_list: Vec<PartitionInput>,
}

pub fn batch_create_partition(cx: &Ctx<'_>, r: BatchCreatePartitionRequest) -> Answer {
    let errors = cx.catalog.batch_create_partition(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.table_name,
        r.partition_input_list,
        100,
    )?;
    ok(json!({ "Errors": partition_errors(&errors) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_values: Vec<String>,
}

pub fn get_partition(cx: &Ctx<'_>, r: GetPartitionRequest) -> Answer {
    let partition =
        cx.catalog.get_partition(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &r.partition_values)?;
    ok(json!({ "Partition": partition }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Segment {
    segment_number: i64,
    total_segments: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPartitionsRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    expression: Option<String>,
    next_token: Option<String>,
    segment: Option<Segment>,
    max_results: Option<i64>,
    exclude_column_schema: Option<bool>,
}

pub fn get_partitions(cx: &Ctx<'_>, r: GetPartitionsRequest) -> Answer {
    let query = PartitionQuery {
        expression: r.expression,
        page: page(r.next_token, r.max_results),
        segment: r.segment.map(|s| (s.segment_number, s.total_segments)),
        exclude_column_schema: r.exclude_column_schema.unwrap_or(false),
    };
    let found = cx.catalog.get_partitions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &query)?;
    // The stored partitions are already `Partition` JSON: splice them in rather than re-encode.
    let mut out = String::with_capacity(found.items.iter().map(|p| p.len() + 1).sum::<usize>() + 64);
    out.push_str("{\"Partitions\":[");
    out.push_str(&found.items.join(","));
    out.push(']');
    if let Some(token) = found.next_token {
        out.push_str(",\"NextToken\":");
        out.push_str(&Value::String(token).to_string());
    }
    out.push('}');
    Ok(Reply::Raw(out))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionValueList {
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetPartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partitions_to_get: Vec<PartitionValueList>,
}

pub fn batch_get_partition(cx: &Ctx<'_>, r: BatchGetPartitionRequest) -> Answer {
    let keys: Vec<Vec<String>> = r.partitions_to_get.into_iter().map(|p| p.values).collect();
    let found = cx.catalog.batch_get_partition(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &keys)?;
    ok(json!({ "Partitions": found, "UnprocessedKeys": [] }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_value_list: Vec<String>,
    partition_input: PartitionInput,
}

pub fn update_partition(cx: &Ctx<'_>, r: UpdatePartitionRequest) -> Answer {
    let write = PartitionWrite { values: r.partition_value_list, input: r.partition_input };
    let errors =
        cx.catalog.update_partitions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, vec![write], 1)?;
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => ok(json!({})),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchUpdatePartitionEntry {
    partition_value_list: Vec<String>,
    partition_input: PartitionInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchUpdatePartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    entries: Vec<BatchUpdatePartitionEntry>,
}

pub fn batch_update_partition(cx: &Ctx<'_>, r: BatchUpdatePartitionRequest) -> Answer {
    let writes = r
        .entries
        .into_iter()
        .map(|e| PartitionWrite { values: e.partition_value_list, input: e.partition_input })
        .collect();
    let errors = cx.catalog.update_partitions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, writes, 100)?;
    let errors: Vec<Value> = errors
        .iter()
        .map(|(values, e)| json!({ "PartitionValueList": values, "ErrorDetail": error_detail(e) }))
        .collect();
    ok(json!({ "Errors": errors }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletePartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_values: Vec<String>,
}

pub fn delete_partition(cx: &Ctx<'_>, r: DeletePartitionRequest) -> Answer {
    let keys = [r.partition_values];
    let errors = cx.catalog.delete_partitions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &keys, 1)?;
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => ok(json!({})),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchDeletePartitionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partitions_to_delete: Vec<PartitionValueList>,
}

pub fn batch_delete_partition(cx: &Ctx<'_>, r: BatchDeletePartitionRequest) -> Answer {
    let keys: Vec<Vec<String>> = r.partitions_to_delete.into_iter().map(|p| p.values).collect();
    let errors = cx.catalog.delete_partitions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &keys, 25)?;
    ok(json!({ "Errors": partition_errors(&errors) }))
}
