//! Glue partition-index, column-statistics, user-defined-function and tag operations.

use super::{Answer, Ctx, check_max_results, error_detail, ok, page};
use crate::catalog::model::{ColumnStatistics, PartitionIndex, UserDefinedFunctionInput};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePartitionIndexRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_index: PartitionIndex,
}

pub fn create_partition_index(cx: &Ctx<'_>, r: CreatePartitionIndexRequest) -> Answer {
    cx.catalog.create_partition_index(r.catalog_id.as_deref(), &r.database_name, &r.table_name, r.partition_index)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPartitionIndexesRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
}

pub fn get_partition_indexes(cx: &Ctx<'_>, r: GetPartitionIndexesRequest) -> Answer {
    let indexes = cx.catalog.get_partition_indexes(r.catalog_id.as_deref(), &r.database_name, &r.table_name)?;
    let list: Vec<Value> = indexes
        .into_iter()
        .map(|(index, keys)| {
            let keys: Vec<Value> = keys
                .into_iter()
                .map(|k| json!({ "Name": k.name, "Type": k.data_type.unwrap_or_else(|| "string".into()) }))
                .collect();
            json!({ "IndexName": index.index_name, "Keys": keys, "IndexStatus": "ACTIVE" })
        })
        .collect();
    ok(json!({ "PartitionIndexDescriptorList": list }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletePartitionIndexRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    index_name: String,
}

pub fn delete_partition_index(cx: &Ctx<'_>, r: DeletePartitionIndexRequest) -> Answer {
    cx.catalog.delete_partition_index(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &r.index_name)?;
    ok(json!({}))
}

// ---- column statistics ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateColumnStatisticsRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_values: Option<Vec<String>>,
    column_statistics_list: Vec<ColumnStatistics>,
}

fn update_column_statistics(cx: &Ctx<'_>, r: UpdateColumnStatisticsRequest) -> Answer {
    let errors = cx.catalog.update_column_statistics(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.table_name,
        r.partition_values.as_deref(),
        r.column_statistics_list,
    )?;
    let errors: Vec<Value> =
        errors.iter().map(|(stats, e)| json!({ "ColumnStatistics": stats, "Error": error_detail(e) })).collect();
    ok(json!({ "Errors": errors }))
}

pub fn update_column_statistics_for_table(cx: &Ctx<'_>, r: UpdateColumnStatisticsRequest) -> Answer {
    update_column_statistics(cx, UpdateColumnStatisticsRequest { partition_values: None, ..r })
}

pub fn update_column_statistics_for_partition(cx: &Ctx<'_>, r: UpdateColumnStatisticsRequest) -> Answer {
    let r =
        UpdateColumnStatisticsRequest { partition_values: Some(r.partition_values.clone().unwrap_or_default()), ..r };
    update_column_statistics(cx, r)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetColumnStatisticsRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_values: Option<Vec<String>>,
    column_names: Vec<String>,
}

fn get_column_statistics(cx: &Ctx<'_>, r: GetColumnStatisticsRequest) -> Answer {
    let (found, errors) = cx.catalog.get_column_statistics(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.table_name,
        r.partition_values.as_deref(),
        &r.column_names,
    )?;
    let errors: Vec<Value> =
        errors.iter().map(|(column, e)| json!({ "ColumnName": column, "Error": error_detail(e) })).collect();
    ok(json!({ "ColumnStatisticsList": found, "Errors": errors }))
}

pub fn get_column_statistics_for_table(cx: &Ctx<'_>, r: GetColumnStatisticsRequest) -> Answer {
    get_column_statistics(cx, GetColumnStatisticsRequest { partition_values: None, ..r })
}

pub fn get_column_statistics_for_partition(cx: &Ctx<'_>, r: GetColumnStatisticsRequest) -> Answer {
    let r = GetColumnStatisticsRequest { partition_values: Some(r.partition_values.clone().unwrap_or_default()), ..r };
    get_column_statistics(cx, r)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteColumnStatisticsRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    partition_values: Option<Vec<String>>,
    column_name: String,
}

fn delete_column_statistics(cx: &Ctx<'_>, r: DeleteColumnStatisticsRequest) -> Answer {
    cx.catalog.delete_column_statistics(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.table_name,
        r.partition_values.as_deref(),
        &r.column_name,
    )?;
    ok(json!({}))
}

pub fn delete_column_statistics_for_table(cx: &Ctx<'_>, r: DeleteColumnStatisticsRequest) -> Answer {
    delete_column_statistics(cx, DeleteColumnStatisticsRequest { partition_values: None, ..r })
}

pub fn delete_column_statistics_for_partition(cx: &Ctx<'_>, r: DeleteColumnStatisticsRequest) -> Answer {
    let r =
        DeleteColumnStatisticsRequest { partition_values: Some(r.partition_values.clone().unwrap_or_default()), ..r };
    delete_column_statistics(cx, r)
}

// ---- user-defined functions ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateUserDefinedFunctionRequest {
    catalog_id: Option<String>,
    database_name: String,
    function_input: UserDefinedFunctionInput,
}

pub fn create_user_defined_function(cx: &Ctx<'_>, r: CreateUserDefinedFunctionRequest) -> Answer {
    cx.catalog.create_function(r.catalog_id.as_deref(), &r.database_name, r.function_input)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionRequest {
    catalog_id: Option<String>,
    database_name: String,
    function_name: String,
}

pub fn get_user_defined_function(cx: &Ctx<'_>, r: FunctionRequest) -> Answer {
    let function = cx.catalog.get_function(r.catalog_id.as_deref(), &r.database_name, &r.function_name)?;
    ok(json!({ "UserDefinedFunction": function }))
}

pub fn delete_user_defined_function(cx: &Ctx<'_>, r: FunctionRequest) -> Answer {
    cx.catalog.delete_function(r.catalog_id.as_deref(), &r.database_name, &r.function_name)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserDefinedFunctionsRequest {
    catalog_id: Option<String>,
    database_name: Option<String>,
    pattern: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub fn get_user_defined_functions(cx: &Ctx<'_>, r: GetUserDefinedFunctionsRequest) -> Answer {
    check_max_results(r.max_results, 100)?;
    let found = cx.catalog.get_functions(
        r.catalog_id.as_deref(),
        r.database_name.as_deref(),
        &r.pattern,
        &page(r.next_token, r.max_results),
    )?;
    ok(json!({ "UserDefinedFunctions": found.items, "NextToken": found.next_token }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateUserDefinedFunctionRequest {
    catalog_id: Option<String>,
    database_name: String,
    function_name: String,
    function_input: UserDefinedFunctionInput,
}

pub fn update_user_defined_function(cx: &Ctx<'_>, r: UpdateUserDefinedFunctionRequest) -> Answer {
    cx.catalog.update_function(r.catalog_id.as_deref(), &r.database_name, &r.function_name, r.function_input)?;
    ok(json!({}))
}

// ---- tags ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    resource_arn: String,
    tags_to_add: BTreeMap<String, String>,
}

pub fn tag_resource(cx: &Ctx<'_>, r: TagResourceRequest) -> Answer {
    cx.catalog.tag_resource(&r.resource_arn, &r.tags_to_add)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    resource_arn: String,
    tags_to_remove: Vec<String>,
}

pub fn untag_resource(cx: &Ctx<'_>, r: UntagResourceRequest) -> Answer {
    cx.catalog.untag_resource(&r.resource_arn, &r.tags_to_remove)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTagsRequest {
    resource_arn: String,
}

pub fn get_tags(cx: &Ctx<'_>, r: GetTagsRequest) -> Answer {
    ok(json!({ "Tags": cx.catalog.get_tags(&r.resource_arn)? }))
}
