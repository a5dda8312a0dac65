//! The AWS Glue service: `AWSGlue.<Operation>` requests decoded, run against the catalog, answered.
//!
//! [`dispatch`] is a plain `match` from operation name to handler; its arms are the list of what
//! Lakebox supports (docs/COMPATIBILITY.md mirrors them). A handler decodes nothing itself and picks
//! no status code: it converts wire shapes, calls the catalog and returns the answer as JSON.

mod databases;
mod extras;
mod partitions;
mod tables;

use crate::catalog::{Catalog, CatalogError, PageRequest};
use crate::protocol::{AwsError, Reply, RequestContext};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// What a handler sees: the catalog and who is asking.
pub struct Ctx<'a> {
    pub catalog: &'a Catalog,
    pub request: &'a RequestContext,
}

type Answer = Result<Reply, CatalogError>;

/// A JSON answer.
fn ok(value: Value) -> Answer {
    Ok(Reply::Json(value))
}

/// Runs one Glue operation. Blocking: call it from a blocking task.
pub fn dispatch(catalog: &Catalog, request: &RequestContext, operation: &str, body: &[u8]) -> Result<Reply, AwsError> {
    let cx = Ctx { catalog, request };
    macro_rules! ops {
        ($($name:literal => $module:ident::$handler:ident),* $(,)?) => {
            match operation {
                $($name => call(&cx, body, $module::$handler),)*
                _ => Err(AwsError::unknown_operation("Glue", operation)),
            }
        };
    }
    ops! {
        "CreateDatabase" => databases::create_database,
        "GetDatabase" => databases::get_database,
        "GetDatabases" => databases::get_databases,
        "UpdateDatabase" => databases::update_database,
        "DeleteDatabase" => databases::delete_database,
        "CreateTable" => tables::create_table,
        "GetTable" => tables::get_table,
        "GetTables" => tables::get_tables,
        "UpdateTable" => tables::update_table,
        "DeleteTable" => tables::delete_table,
        "BatchDeleteTable" => tables::batch_delete_table,
        "SearchTables" => tables::search_tables,
        "GetTableVersion" => tables::get_table_version,
        "GetTableVersions" => tables::get_table_versions,
        "DeleteTableVersion" => tables::delete_table_version,
        "BatchDeleteTableVersion" => tables::batch_delete_table_version,
        "CreatePartition" => partitions::create_partition,
        "BatchCreatePartition" => partitions::batch_create_partition,
        "GetPartition" => partitions::get_partition,
        "GetPartitions" => partitions::get_partitions,
        "BatchGetPartition" => partitions::batch_get_partition,
        "UpdatePartition" => partitions::update_partition,
        "BatchUpdatePartition" => partitions::batch_update_partition,
        "DeletePartition" => partitions::delete_partition,
        "BatchDeletePartition" => partitions::batch_delete_partition,
        "CreatePartitionIndex" => extras::create_partition_index,
        "GetPartitionIndexes" => extras::get_partition_indexes,
        "DeletePartitionIndex" => extras::delete_partition_index,
        "UpdateColumnStatisticsForTable" => extras::update_column_statistics_for_table,
        "GetColumnStatisticsForTable" => extras::get_column_statistics_for_table,
        "DeleteColumnStatisticsForTable" => extras::delete_column_statistics_for_table,
        "UpdateColumnStatisticsForPartition" => extras::update_column_statistics_for_partition,
        "GetColumnStatisticsForPartition" => extras::get_column_statistics_for_partition,
        "DeleteColumnStatisticsForPartition" => extras::delete_column_statistics_for_partition,
        "CreateUserDefinedFunction" => extras::create_user_defined_function,
        "GetUserDefinedFunction" => extras::get_user_defined_function,
        "GetUserDefinedFunctions" => extras::get_user_defined_functions,
        "UpdateUserDefinedFunction" => extras::update_user_defined_function,
        "DeleteUserDefinedFunction" => extras::delete_user_defined_function,
        "TagResource" => extras::tag_resource,
        "UntagResource" => extras::untag_resource,
        "GetTags" => extras::get_tags,
    }
}

/// Decodes the body into the operation's input, runs the handler and maps its error.
fn call<R: DeserializeOwned>(cx: &Ctx<'_>, body: &[u8], handler: fn(&Ctx<'_>, R) -> Answer) -> Result<Reply, AwsError> {
    let input: R = crate::protocol::decode_json(body)?;
    handler(cx, input).map_err(|e| to_aws(e, &cx.request.request_id))
}

/// The Glue error shape of a catalog error; internal errors are logged and hidden.
fn to_aws(error: CatalogError, request_id: &str) -> AwsError {
    if error.is_internal() {
        tracing::error!(request_id, %error, "Glue request failed");
        return AwsError::internal(error.code(), request_id);
    }
    AwsError::client(error.code(), error.to_string())
}

/// The `ErrorDetail` of a per-entry error in a batch answer.
fn error_detail(error: &CatalogError) -> Value {
    json!({ "ErrorCode": error.code(), "ErrorMessage": error.to_string() })
}

/// The paging members shared by the listing requests.
fn page(next_token: Option<String>, max_results: Option<i64>) -> PageRequest {
    PageRequest { next_token, max_results }
}

/// Checks `MaxResults` against the model's range for listings of up to `max` items.
fn check_max_results(max_results: Option<i64>, max: i64) -> Result<(), CatalogError> {
    let mut v = crate::catalog::validate::Violations::default();
    v.range("maxResults", max_results, 1, max);
    v.finish()
}
