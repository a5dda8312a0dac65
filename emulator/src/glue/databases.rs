//! Glue database operations.

use super::{Answer, Ctx, check_max_results, ok, page};
use crate::catalog::model::DatabaseInput;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateDatabaseRequest {
    catalog_id: Option<String>,
    database_input: DatabaseInput,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

pub fn create_database(cx: &Ctx<'_>, r: CreateDatabaseRequest) -> Answer {
    cx.catalog.create_database(r.catalog_id.as_deref(), r.database_input, r.tags, &cx.request.region)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetDatabaseRequest {
    catalog_id: Option<String>,
    name: String,
}

pub fn get_database(cx: &Ctx<'_>, r: GetDatabaseRequest) -> Answer {
    ok(json!({ "Database": cx.catalog.get_database(r.catalog_id.as_deref(), &r.name)? }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetDatabasesRequest {
    catalog_id: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub fn get_databases(cx: &Ctx<'_>, r: GetDatabasesRequest) -> Answer {
    check_max_results(r.max_results, 100)?;
    let found = cx.catalog.get_databases(r.catalog_id.as_deref(), &page(r.next_token, r.max_results))?;
    ok(json!({ "DatabaseList": found.items, "NextToken": found.next_token }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateDatabaseRequest {
    catalog_id: Option<String>,
    name: String,
    database_input: DatabaseInput,
}

pub fn update_database(cx: &Ctx<'_>, r: UpdateDatabaseRequest) -> Answer {
    cx.catalog.update_database(r.catalog_id.as_deref(), &r.name, r.database_input)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteDatabaseRequest {
    catalog_id: Option<String>,
    name: String,
}

pub fn delete_database(cx: &Ctx<'_>, r: DeleteDatabaseRequest) -> Answer {
    cx.catalog.delete_database(r.catalog_id.as_deref(), &r.name, &cx.request.region)?;
    ok(json!({}))
}
