//! Amazon Athena: `AmazonAthena.<Operation>` requests: query executions (run by the query
//! engine, `crate::query`), workgroups, named queries, prepared statements, data catalogs and
//! the metadata operations over the shared Glue catalog.

mod catalogs;
pub mod error;
pub mod executions;
mod store;
mod workgroups;

pub use error::AthenaError;
pub use workgroups::{PRIMARY, WorkGroup};

use crate::catalog::Catalog;
use crate::protocol::{AwsError, Reply, RequestContext, decode_json};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use error::Result;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use store::AthenaStore;

/// Athena's state, the catalog it reads and the engine that runs its queries.
pub struct Athena {
    store: AthenaStore,
    catalog: Arc<Catalog>,
    engine: crate::query::Engine,
    /// The tasks of queued and running executions, by id (for `StopQueryExecution`).
    running: Mutex<HashMap<String, tokio::task::AbortHandle>>,
    /// Faults tests asked for (`/_lakebox/faults`).
    pub faults: executions::Faults,
    /// How long `StartQueryExecution` waits for its query before answering (see
    /// [`DEFAULT_START_WAIT`]).
    start_wait: std::time::Duration,
}

/// How long `StartQueryExecution` waits for the query to finish before it answers, by default.
/// Athena answers at once with a QUEUED query and clients poll `GetQueryExecution`; PyAthena (and
/// dbt-athena, on PyAthena's cursor) polls at once and sleeps a whole second (its default poll
/// interval) each time it finds the query still running. Lakebox queries mostly take
/// milliseconds, so answering once the query is done (or after this bound, with the query still
/// RUNNING) turns a one-second wait per query into the query's own time. `0` answers at once, as
/// Athena does.
pub const DEFAULT_START_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

impl Athena {
    /// Athena over `catalog` and `storage`, with its own state in the SQLite file at `path`.
    /// Executions a previous process left unfinished are marked FAILED.
    pub fn open(path: &Path, catalog: Arc<Catalog>, storage: Arc<crate::storage::Storage>) -> Result<Self> {
        let athena = Self {
            store: AthenaStore::open(path)?,
            engine: crate::query::Engine::new(catalog.clone(), storage),
            catalog,
            running: Mutex::default(),
            faults: executions::Faults::default(),
            start_wait: DEFAULT_START_WAIT,
        };
        athena.fail_interrupted()?;
        Ok(athena)
    }

    /// Sets how long `StartQueryExecution` waits for its query ([`DEFAULT_START_WAIT`]).
    pub fn with_start_wait(mut self, wait: std::time::Duration) -> Self {
        self.start_wait = wait;
        self
    }

    /// Deletes every workgroup, named query, prepared statement and execution (`primary`
    /// comes back on first use), after stopping the running queries.
    pub fn reset(&self) -> Result<()> {
        for (_, task) in self.running.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            task.abort();
        }
        self.faults.clear();
        self.store.reset()
    }
}

/// Offset and page size from an Athena `NextToken` and `MaxResults` (1..=`max`).
fn page(next_token: Option<&str>, max_results: Option<i64>, max: i64) -> Result<(usize, usize)> {
    if let Some(n) = max_results
        && !(1..=max).contains(&n)
    {
        return Err(AthenaError::invalid(format!("MaxResults must be between 1 and {max}")));
    }
    let offset = match next_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("athena:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| AthenaError::invalid("Invalid NextToken"))?,
    };
    Ok((offset, max_results.unwrap_or(max) as usize))
}

fn token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("athena:{offset}"))
}

type Answer = Result<Value>;

/// Runs one Athena operation: the query operations here (they start tasks and read result
/// files), the others on a blocking thread.
pub async fn handle(
    athena: Arc<Athena>,
    request: RequestContext,
    operation: String,
    body: bytes::Bytes,
) -> Result<Reply, AwsError> {
    match operation.as_str() {
        "StartQueryExecution" => {
            let input: executions::StartInput = decode_json(&body)?;
            respond(&request, athena.start_query_execution(input).await)
        }
        "GetQueryResults" => {
            let input: GetQueryResultsInput = decode_json(&body)?;
            let a = athena.clone();
            let id = input.query_execution_id.clone();
            let execution = tokio::task::spawn_blocking(move || a.query_execution(&id))
                .await
                .map_err(|e| AthenaError::Internal(e.to_string()));
            let answer = match execution {
                Ok(Ok(e)) => athena.query_results(e, input.next_token.as_deref(), input.max_results).await,
                Ok(Err(e)) | Err(e) => Err(e),
            };
            respond(&request, answer)
        }
        _ => {
            let task = tokio::task::spawn_blocking(move || dispatch(&athena, &request, &operation, &body));
            task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "Athena handler panicked");
                Err(AwsError::internal("InternalServerException", "unknown"))
            })
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetQueryResultsInput {
    query_execution_id: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

fn respond(request: &RequestContext, answer: Answer) -> Result<Reply, AwsError> {
    match answer {
        Ok(value) => Ok(Reply::Json(value)),
        Err(AthenaError::Internal(detail)) => {
            tracing::error!(request_id = request.request_id, detail, "Athena request failed");
            Err(AwsError::internal("InternalServerException", &request.request_id))
        }
        Err(e) => Err(AwsError::client(e.code(), e.to_string()).with_athena_code(e.athena_code())),
    }
}

/// Runs one Athena operation. Blocking: call it from a blocking task.
pub fn dispatch(athena: &Athena, request: &RequestContext, operation: &str, body: &[u8]) -> Result<Reply, AwsError> {
    macro_rules! ops {
        ($($name:literal => $handler:ident),* $(,)?) => {
            match operation {
                $($name => call(athena, request, body, $handler),)*
                _ => Err(AwsError::unknown_operation("Athena", operation)),
            }
        };
    }
    ops! {
        "CreateWorkGroup" => create_work_group,
        "GetWorkGroup" => get_work_group,
        "UpdateWorkGroup" => update_work_group,
        "DeleteWorkGroup" => delete_work_group,
        "ListWorkGroups" => list_work_groups,
        "CreateNamedQuery" => create_named_query,
        "GetNamedQuery" => get_named_query,
        "BatchGetNamedQuery" => batch_get_named_query,
        "ListNamedQueries" => list_named_queries,
        "UpdateNamedQuery" => update_named_query,
        "DeleteNamedQuery" => delete_named_query,
        "CreatePreparedStatement" => create_prepared_statement,
        "GetPreparedStatement" => get_prepared_statement,
        "ListPreparedStatements" => list_prepared_statements,
        "UpdatePreparedStatement" => update_prepared_statement,
        "DeletePreparedStatement" => delete_prepared_statement,
        "GetDataCatalog" => get_data_catalog,
        "ListDataCatalogs" => list_data_catalogs,
        "ListDatabases" => list_databases,
        "GetDatabase" => get_database,
        "ListTableMetadata" => list_table_metadata,
        "GetTableMetadata" => get_table_metadata,
        "GetQueryExecution" => get_query_execution,
        "BatchGetQueryExecution" => batch_get_query_execution,
        "StopQueryExecution" => stop_query_execution,
        "ListQueryExecutions" => list_query_executions,
        "GetQueryRuntimeStatistics" => get_query_runtime_statistics,
    }
}

fn call<R: DeserializeOwned>(
    athena: &Athena,
    request: &RequestContext,
    body: &[u8],
    handler: fn(&Athena, R) -> Answer,
) -> Result<Reply, AwsError> {
    let input: R = decode_json(body)?;
    respond(request, handler(athena, input))
}

// ---- query executions ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueryExecutionIdInput {
    query_execution_id: String,
}

fn get_query_execution(a: &Athena, r: QueryExecutionIdInput) -> Answer {
    Ok(json!({ "QueryExecution": a.query_execution(&r.query_execution_id)?.to_wire() }))
}

fn stop_query_execution(a: &Athena, r: QueryExecutionIdInput) -> Answer {
    a.stop_query_execution(&r.query_execution_id)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetQueryExecutionInput {
    query_execution_ids: Vec<String>,
}

fn batch_get_query_execution(a: &Athena, r: BatchGetQueryExecutionInput) -> Answer {
    if r.query_execution_ids.is_empty() || r.query_execution_ids.len() > 50 {
        return Err(AthenaError::invalid(format!(
            "1 validation error detected: Value at 'queryExecutionIds' failed to satisfy constraint: Member must have length {}",
            if r.query_execution_ids.is_empty() { "greater than or equal to 1" } else { "less than or equal to 50" }
        )));
    }
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for id in r.query_execution_ids {
        match a.query_execution(&id) {
            Ok(e) => found.push(e.to_wire()),
            Err(AthenaError::Request { code, message }) => {
                missing.push(json!({ "QueryExecutionId": id, "ErrorCode": code, "ErrorMessage": message }))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(json!({ "QueryExecutions": found, "UnprocessedQueryExecutionIds": missing }))
}

fn list_query_executions(a: &Athena, r: ListInput) -> Answer {
    let (ids, next) = a.list_query_executions(r.work_group.as_deref(), r.next_token.as_deref(), r.max_results)?;
    Ok(json!({ "QueryExecutionIds": ids, "NextToken": next }))
}

fn get_query_runtime_statistics(a: &Athena, r: QueryExecutionIdInput) -> Answer {
    let e = a.query_execution(&r.query_execution_id)?;
    let wire = e.to_wire();
    let s = &wire["Statistics"];
    let mut stats = json!({
        "Timeline": {
            "QueryQueueTimeInMillis": s["QueryQueueTimeInMillis"],
            "ServicePreProcessingTimeInMillis": s["ServicePreProcessingTimeInMillis"],
            "QueryPlanningTimeInMillis": s["QueryPlanningTimeInMillis"],
            "EngineExecutionTimeInMillis": s["EngineExecutionTimeInMillis"],
            "ServiceProcessingTimeInMillis": s.get("ServiceProcessingTimeInMillis").cloned().unwrap_or(json!(0)),
            "TotalExecutionTimeInMillis": s["TotalExecutionTimeInMillis"],
        },
    });
    if e.state == "SUCCEEDED" {
        stats["Rows"] = json!({
            "InputBytes": e.data_scanned, "OutputBytes": e.output_bytes, "OutputRows": e.rows,
        });
    }
    Ok(json!({ "QueryRuntimeStatistics": stats }))
}

// ---- workgroups ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateWorkGroupInput {
    name: String,
    configuration: Option<Map<String, Value>>,
    description: Option<String>,
}

fn create_work_group(a: &Athena, r: CreateWorkGroupInput) -> Answer {
    a.create_workgroup(&r.name, r.configuration, r.description)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WorkGroupInput {
    work_group: String,
    recursive_delete_option: Option<bool>,
}

fn get_work_group(a: &Athena, r: WorkGroupInput) -> Answer {
    Ok(json!({ "WorkGroup": a.workgroup(&r.work_group)? }))
}

fn delete_work_group(a: &Athena, r: WorkGroupInput) -> Answer {
    a.delete_workgroup(&r.work_group, r.recursive_delete_option.unwrap_or(false))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateWorkGroupInput {
    work_group: String,
    description: Option<String>,
    configuration_updates: Option<Map<String, Value>>,
    state: Option<String>,
}

fn update_work_group(a: &Athena, r: UpdateWorkGroupInput) -> Answer {
    a.update_workgroup(&r.work_group, r.configuration_updates, r.description, r.state)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    next_token: Option<String>,
    max_results: Option<i64>,
    work_group: Option<String>,
}

fn list_work_groups(a: &Athena, r: ListInput) -> Answer {
    let (groups, next) = a.list_workgroups(r.next_token.as_deref(), r.max_results)?;
    let summaries: Vec<Value> = groups.iter().map(WorkGroup::summary).collect();
    Ok(json!({ "WorkGroups": summaries, "NextToken": next }))
}

// ---- named queries ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateNamedQueryInput {
    name: String,
    description: Option<String>,
    database: String,
    query_string: String,
    client_request_token: Option<String>,
    work_group: Option<String>,
}

fn create_named_query(a: &Athena, r: CreateNamedQueryInput) -> Answer {
    let query = json!({
        "Name": r.name, "Description": r.description, "Database": r.database,
        "QueryString": r.query_string, "WorkGroup": r.work_group.unwrap_or_else(|| PRIMARY.into()),
    });
    Ok(json!({ "NamedQueryId": a.create_named_query(query, r.client_request_token.as_deref())? }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NamedQueryIdInput {
    named_query_id: String,
}

fn get_named_query(a: &Athena, r: NamedQueryIdInput) -> Answer {
    Ok(json!({ "NamedQuery": a.named_query(&r.named_query_id)? }))
}

fn delete_named_query(a: &Athena, r: NamedQueryIdInput) -> Answer {
    a.delete_named_query(&r.named_query_id)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetNamedQueryInput {
    named_query_ids: Vec<String>,
}

fn batch_get_named_query(a: &Athena, r: BatchGetNamedQueryInput) -> Answer {
    if r.named_query_ids.is_empty() || r.named_query_ids.len() > 50 {
        return Err(AthenaError::invalid("NamedQueryIds must name 1 to 50 queries"));
    }
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for id in r.named_query_ids {
        match a.named_query(&id) {
            Ok(q) => found.push(q),
            Err(AthenaError::InvalidRequest(m)) => {
                missing.push(json!({ "NamedQueryId": id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": m }))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(json!({ "NamedQueries": found, "UnprocessedNamedQueryIds": missing }))
}

fn list_named_queries(a: &Athena, r: ListInput) -> Answer {
    let workgroup = r.work_group.unwrap_or_else(|| PRIMARY.into());
    let (ids, next) = a.list_named_queries(&workgroup, r.next_token.as_deref(), r.max_results)?;
    Ok(json!({ "NamedQueryIds": ids, "NextToken": next }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateNamedQueryInput {
    named_query_id: String,
    name: String,
    description: Option<String>,
    query_string: String,
}

fn update_named_query(a: &Athena, r: UpdateNamedQueryInput) -> Answer {
    a.update_named_query(&r.named_query_id, &r.name, r.description.as_deref(), &r.query_string)?;
    Ok(json!({}))
}

// ---- prepared statements ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PreparedStatementInput {
    statement_name: String,
    work_group: String,
    query_statement: Option<String>,
    description: Option<String>,
}

fn put_prepared_statement(a: &Athena, r: PreparedStatementInput, create: bool) -> Answer {
    let statement = r.query_statement.as_deref().unwrap_or_default();
    a.put_prepared_statement(&r.work_group, &r.statement_name, statement, r.description.as_deref(), create)?;
    Ok(json!({}))
}

fn create_prepared_statement(a: &Athena, r: PreparedStatementInput) -> Answer {
    put_prepared_statement(a, r, true)
}

fn update_prepared_statement(a: &Athena, r: PreparedStatementInput) -> Answer {
    put_prepared_statement(a, r, false)
}

fn get_prepared_statement(a: &Athena, r: PreparedStatementInput) -> Answer {
    Ok(json!({ "PreparedStatement": a.prepared_statement(&r.work_group, &r.statement_name)? }))
}

fn delete_prepared_statement(a: &Athena, r: PreparedStatementInput) -> Answer {
    a.delete_prepared_statement(&r.work_group, &r.statement_name)?;
    Ok(json!({}))
}

fn list_prepared_statements(a: &Athena, r: ListInput) -> Answer {
    let workgroup = r.work_group.ok_or_else(|| AthenaError::invalid("WorkGroup is required"))?;
    let (statements, next) = a.list_prepared_statements(&workgroup, r.next_token.as_deref(), r.max_results)?;
    let summaries: Vec<Value> = statements
        .iter()
        .map(|s| json!({ "StatementName": s["StatementName"], "LastModifiedTime": s["LastModifiedTime"] }))
        .collect();
    Ok(json!({ "PreparedStatements": summaries, "NextToken": next }))
}

// ---- data catalogs and metadata ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CatalogInput {
    name: Option<String>,
    catalog_name: Option<String>,
    database_name: Option<String>,
    table_name: Option<String>,
    expression: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

impl CatalogInput {
    fn catalog(&self) -> &str {
        self.catalog_name.as_deref().or(self.name.as_deref()).unwrap_or_default()
    }

    fn required<'a>(&self, value: &'a Option<String>, member: &str) -> Result<&'a str> {
        value.as_deref().ok_or_else(|| AthenaError::invalid(format!("{member} is required")))
    }
}

fn get_data_catalog(a: &Athena, r: CatalogInput) -> Answer {
    Ok(json!({ "DataCatalog": a.data_catalog(r.catalog())? }))
}

fn list_data_catalogs(a: &Athena, _r: ListInput) -> Answer {
    let catalog = a.data_catalog(catalogs::AWS_DATA_CATALOG)?;
    Ok(json!({ "DataCatalogsSummary": [{
        "CatalogName": catalog["Name"], "Type": catalog["Type"], "Status": catalog["Status"],
    }] }))
}

fn list_databases(a: &Athena, r: CatalogInput) -> Answer {
    let (dbs, next) = a.list_databases(r.catalog(), r.next_token.as_deref(), r.max_results)?;
    Ok(json!({ "DatabaseList": dbs, "NextToken": next }))
}

fn get_database(a: &Athena, r: CatalogInput) -> Answer {
    let db = r.required(&r.database_name, "DatabaseName")?;
    Ok(json!({ "Database": a.database(r.catalog(), db)? }))
}

fn list_table_metadata(a: &Athena, r: CatalogInput) -> Answer {
    let db = r.required(&r.database_name, "DatabaseName")?;
    let (tables, next) =
        a.list_table_metadata(r.catalog(), db, r.expression.as_deref(), r.next_token.as_deref(), r.max_results)?;
    Ok(json!({ "TableMetadataList": tables, "NextToken": next }))
}

fn get_table_metadata(a: &Athena, r: CatalogInput) -> Answer {
    let db = r.required(&r.database_name, "DatabaseName")?;
    let table = r.required(&r.table_name, "TableName")?;
    Ok(json!({ "TableMetadata": a.table_metadata(r.catalog(), db, table)? }))
}
