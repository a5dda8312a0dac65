//! Glue table and table-version operations.

use super::{Answer, Ctx, check_max_results, error_detail, ok, page};
use crate::catalog::model::TableInput;
use crate::catalog::{CatalogError, SearchFilter, TableUpdate};
use serde::Deserialize;
use serde_json::{Value, json};

/// `TableInput`, also accepting the newer top-level `Name` of `CreateTable`/`UpdateTable`.
fn table_input(name: Option<String>, input: Option<TableInput>) -> Result<TableInput, CatalogError> {
    match (name, input) {
        (_, Some(input)) => Ok(input),
        (Some(name), None) => Ok(TableInput { name, ..Default::default() }),
        (None, None) => Err(CatalogError::invalid("TableInput is required.")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableRequest {
    catalog_id: Option<String>,
    database_name: String,
    name: Option<String>,
    table_input: Option<TableInput>,
    open_table_format_input: Option<Value>,
}

pub fn create_table(cx: &Ctx<'_>, r: CreateTableRequest) -> Answer {
    if r.open_table_format_input.is_some() {
        return Err(CatalogError::invalid(
            "OpenTableFormatInput (Glue-managed Iceberg creation) is not supported by Lakebox yet; \
             create the Iceberg metadata with your client and register it with TableInput.",
        ));
    }
    cx.catalog.create_table(r.catalog_id.as_deref(), &r.database_name, table_input(r.name, r.table_input)?)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTableRequest {
    catalog_id: Option<String>,
    database_name: String,
    name: String,
}

pub fn get_table(cx: &Ctx<'_>, r: GetTableRequest) -> Answer {
    ok(json!({ "Table": cx.catalog.get_table(r.catalog_id.as_deref(), &r.database_name, &r.name)? }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTablesRequest {
    catalog_id: Option<String>,
    database_name: String,
    expression: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub fn get_tables(cx: &Ctx<'_>, r: GetTablesRequest) -> Answer {
    check_max_results(r.max_results, 100)?;
    let found = cx.catalog.get_tables(
        r.catalog_id.as_deref(),
        &r.database_name,
        r.expression.as_deref(),
        &page(r.next_token, r.max_results),
    )?;
    ok(json!({ "TableList": found.items, "NextToken": found.next_token }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableRequest {
    catalog_id: Option<String>,
    database_name: String,
    name: Option<String>,
    table_input: Option<TableInput>,
    skip_archive: Option<bool>,
    version_id: Option<String>,
    update_open_table_format_input: Option<Value>,
}

pub fn update_table(cx: &Ctx<'_>, r: UpdateTableRequest) -> Answer {
    if r.update_open_table_format_input.is_some() {
        return Err(CatalogError::invalid(
            "UpdateOpenTableFormatInput (Glue-managed Iceberg updates) is not supported by Lakebox yet; \
             send the new metadata location in TableInput.Parameters.",
        ));
    }
    // Unlike CreateTable, an update needs the whole new definition: a bare Name would wipe it.
    let input = r.table_input.ok_or_else(|| CatalogError::invalid("TableInput is required."))?;
    if let Some(name) = &r.name
        && !name.eq_ignore_ascii_case(&input.name)
    {
        return Err(CatalogError::invalid("Name and TableInput.Name must name the same table."));
    }
    let update = TableUpdate { input, version_id: r.version_id, skip_archive: r.skip_archive.unwrap_or(false) };
    cx.catalog.update_table(r.catalog_id.as_deref(), &r.database_name, update)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableRequest {
    catalog_id: Option<String>,
    database_name: String,
    name: String,
}

pub fn delete_table(cx: &Ctx<'_>, r: DeleteTableRequest) -> Answer {
    cx.catalog.delete_table(r.catalog_id.as_deref(), &r.database_name, &r.name, &cx.request.region)?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchDeleteTableRequest {
    catalog_id: Option<String>,
    database_name: String,
    tables_to_delete: Vec<String>,
}

pub fn batch_delete_table(cx: &Ctx<'_>, r: BatchDeleteTableRequest) -> Answer {
    let errors = cx.catalog.batch_delete_table(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.tables_to_delete,
        &cx.request.region,
    )?;
    let errors: Vec<Value> =
        errors.iter().map(|(name, e)| json!({ "TableName": name, "ErrorDetail": error_detail(e) })).collect();
    ok(json!({ "Errors": errors }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PropertyPredicate {
    key: Option<String>,
    value: Option<String>,
    comparator: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SortCriterion {
    field_name: Option<String>,
    sort: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchTablesRequest {
    catalog_id: Option<String>,
    next_token: Option<String>,
    #[serde(default)]
    filters: Vec<PropertyPredicate>,
    search_text: Option<String>,
    #[serde(default)]
    sort_criteria: Vec<SortCriterion>,
    max_results: Option<i64>,
}

pub fn search_tables(cx: &Ctx<'_>, r: SearchTablesRequest) -> Answer {
    check_max_results(r.max_results, 1000)?;
    let filters: Vec<SearchFilter> = r
        .filters
        .into_iter()
        .map(|f| SearchFilter {
            key: f.key.unwrap_or_default(),
            value: f.value.unwrap_or_default(),
            comparator: f.comparator.unwrap_or_else(|| "EQUALS".into()),
        })
        .collect();
    let sort =
        r.sort_criteria.first().and_then(|s| Some((s.field_name.as_deref()?, s.sort.as_deref() == Some("DESC"))));
    let found = cx.catalog.search_tables(
        r.catalog_id.as_deref(),
        r.search_text.as_deref(),
        &filters,
        sort,
        &page(r.next_token, r.max_results),
    )?;
    ok(json!({ "TableList": found.items, "NextToken": found.next_token }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTableVersionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    version_id: Option<String>,
}

pub fn get_table_version(cx: &Ctx<'_>, r: GetTableVersionRequest) -> Answer {
    let table = cx.catalog.get_table_version(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.table_name,
        r.version_id.as_deref(),
    )?;
    ok(json!({ "TableVersion": { "VersionId": table.version_id, "Table": table } }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetTableVersionsRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub fn get_table_versions(cx: &Ctx<'_>, r: GetTableVersionsRequest) -> Answer {
    check_max_results(r.max_results, 100)?;
    let found = cx.catalog.get_table_versions(
        r.catalog_id.as_deref(),
        &r.database_name,
        &r.table_name,
        &page(r.next_token, r.max_results),
    )?;
    let versions: Vec<Value> =
        found.items.into_iter().map(|t| json!({ "VersionId": t.version_id, "Table": t })).collect();
    ok(json!({ "TableVersions": versions, "NextToken": found.next_token }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableVersionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    version_id: String,
}

pub fn delete_table_version(cx: &Ctx<'_>, r: DeleteTableVersionRequest) -> Answer {
    let errors =
        cx.catalog.delete_table_versions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &[r.version_id])?;
    match errors.into_iter().next() {
        Some((_, e)) => Err(e),
        None => ok(json!({})),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchDeleteTableVersionRequest {
    catalog_id: Option<String>,
    database_name: String,
    table_name: String,
    version_ids: Vec<String>,
}

pub fn batch_delete_table_version(cx: &Ctx<'_>, r: BatchDeleteTableVersionRequest) -> Answer {
    let errors =
        cx.catalog.delete_table_versions(r.catalog_id.as_deref(), &r.database_name, &r.table_name, &r.version_ids)?;
    let errors: Vec<Value> = errors
        .iter()
        .map(|(v, e)| json!({ "TableName": r.table_name.to_lowercase(), "VersionId": v, "ErrorDetail": error_detail(e) }))
        .collect();
    ok(json!({ "Errors": errors }))
}
