//! Query executions: `StartQueryExecution` validates, classifies and stores the execution as
//! QUEUED, then a task runs it on the query engine (RUNNING -> SUCCEEDED | FAILED | CANCELLED);
//! every state change is a transaction in `athena.sqlite`, so executions and their results
//! survive restarts. `StopQueryExecution` aborts the task. `GetQueryResults` pages through the
//! result file in storage.

use super::error::{AthenaError, Result};
use super::store::body;
use super::{Athena, PRIMARY};
use crate::catalog::now;
use crate::query::error::Failure;
use crate::query::statement::{self, Prepared};
use crate::query::{Request, join, results};
use object_store::ObjectStoreExt as _;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// One execution as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    pub id: String,
    pub query: String,
    pub statement_type: String,
    pub substatement_type: String,
    pub workgroup: String,
    pub database: Option<String>,
    pub catalog: Option<String>,
    /// The results folder.
    pub output_folder: String,
    /// The result file (`ResultConfiguration.OutputLocation`).
    pub output_location: String,
    /// The other members of the request's `ResultConfiguration`, echoed back.
    pub result_configuration: Value,
    pub execution_parameters: Option<Vec<String>>,
    pub token: Option<String>,
    pub state: String,
    pub state_change_reason: Option<String>,
    pub athena_error: Option<Value>,
    pub submitted: f64,
    pub started: Option<f64>,
    pub completed: Option<f64>,
    pub planning_ms: u64,
    pub data_scanned: u64,
    pub columns: Vec<Value>,
    pub rows: u64,
    pub output_bytes: u64,
    pub update_count: Option<i64>,
    /// `Statistics.DataManifestLocation` (CTAS, INSERT, UNLOAD).
    #[serde(default)]
    pub manifest: Option<String>,
    /// A Hive DDL failure (its `GetQueryResults` is an empty result, not an error).
    pub hive_failure: bool,
    /// What runs: kept so a restart can tell what was interrupted.
    #[serde(skip)]
    pub prepared: Option<Prepared>,
}

fn millis(from: f64, to: f64) -> i64 {
    ((to - from) * 1000.0).round().max(0.0) as i64
}

impl Execution {
    fn finished(&self) -> bool {
        matches!(self.state.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED")
    }

    /// The `QueryExecution` shape.
    pub fn to_wire(&self) -> Value {
        let mut context = serde_json::Map::new();
        if let Some(db) = &self.database {
            context.insert("Database".into(), json!(db));
        }
        if let Some(c) = &self.catalog {
            context.insert("Catalog".into(), json!(c.to_lowercase()));
        }
        let mut result = self.result_configuration.as_object().cloned().unwrap_or_default();
        result.insert("OutputLocation".into(), json!(self.output_location));
        let mut status = json!({ "State": self.state, "SubmissionDateTime": self.submitted });
        if let Some(r) = &self.state_change_reason {
            status["StateChangeReason"] = json!(r);
        }
        if let Some(c) = self.completed {
            status["CompletionDateTime"] = json!(c);
        }
        if let Some(e) = &self.athena_error {
            status["AthenaError"] = e.clone();
        }
        let end = self.completed.unwrap_or_else(now);
        let queued_until = self.started.unwrap_or(end);
        let mut stats = json!({
            "EngineExecutionTimeInMillis": self.started.map(|s| millis(s, end)).unwrap_or(0),
            "DataScannedInBytes": self.data_scanned,
            "TotalExecutionTimeInMillis": millis(self.submitted, end),
            "QueryQueueTimeInMillis": millis(self.submitted, queued_until),
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": self.planning_ms,
            "ServiceProcessingTimeInMillis": 0,
            "ResultReuseInformation": { "ReusedPreviousResult": false },
        });
        if let Some(m) = &self.manifest {
            stats["DataManifestLocation"] = json!(m);
        }
        if !self.finished() {
            stats.as_object_mut().map(|m| m.remove("ServiceProcessingTimeInMillis"));
        }
        let mut wire = json!({
            "QueryExecutionId": self.id,
            "Query": self.query,
            "StatementType": self.statement_type,
            "SubstatementType": self.substatement_type,
            "ResultConfiguration": result,
            "ResultReuseConfiguration": { "ResultReuseByAgeConfiguration": { "Enabled": false } },
            "QueryExecutionContext": context,
            "Status": status,
            "Statistics": stats,
            "WorkGroup": self.workgroup,
            "EngineVersion": { "SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3" },
        });
        if let Some(p) = &self.execution_parameters {
            wire["ExecutionParameters"] = json!(p);
        }
        wire
    }
}

/// The members of `StartQueryExecution` Lakebox reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartInput {
    pub query_string: String,
    pub client_request_token: Option<String>,
    pub query_execution_context: Option<ContextInput>,
    pub result_configuration: Option<Value>,
    pub work_group: Option<String>,
    pub execution_parameters: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContextInput {
    pub database: Option<String>,
    pub catalog: Option<String>,
}

fn not_found(id: &str) -> AthenaError {
    AthenaError::request("QUERY_EXECUTION_NOT_FOUND", format!("QueryExecution {id} was not found"))
}

fn put(tx: &rusqlite::Transaction<'_>, e: &Execution) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO executions (id, workgroup, token, submitted, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![e.id, e.workgroup, e.token, e.submitted, serde_json::to_string(e)?])?;
    Ok(())
}

fn read(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Option<Execution>> {
    body(tx, "SELECT body FROM executions WHERE id = ?1", [id])
}

impl Athena {
    /// Marks executions a previous process left QUEUED or RUNNING as FAILED (called at open).
    pub(super) fn fail_interrupted(&self) -> Result<()> {
        self.store.transaction(|tx| {
            let bodies: Vec<Execution> = super::store::bodies(tx, "SELECT body FROM executions", [])?;
            for mut e in bodies.into_iter().filter(|e| !e.finished()) {
                let reason = "GENERIC_INTERNAL_ERROR: Lakebox stopped while this query was running; run it again";
                e.state = "FAILED".into();
                e.state_change_reason = Some(reason.into());
                e.athena_error =
                    Some(json!({ "ErrorCategory": 1, "ErrorType": 100, "Retryable": true, "ErrorMessage": reason }));
                e.completed = Some(now());
                put(tx, &e)?;
            }
            Ok(())
        })
    }

    /// `StartQueryExecution`, up to storing the QUEUED execution; returns it with its request.
    pub fn submit(&self, input: StartInput) -> Result<(Execution, Option<Request>)> {
        let query = input.query_string.trim().trim_end_matches(';').trim().to_string();
        let len = input.query_string.len();
        if !(1..=262_144).contains(&len) {
            return Err(AthenaError::invalid(format!(
                "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length {}",
                if len == 0 { "greater than or equal to 1" } else { "less than or equal to 262144" }
            )));
        }
        if let Some(t) = &input.client_request_token {
            let n = t.chars().count();
            if !(32..=128).contains(&n) {
                return Err(AthenaError::invalid(format!(
                    "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length {}",
                    if n < 32 { "greater than or equal to 32" } else { "less than or equal to 128" }
                )));
            }
        }
        let workgroup_name = input.work_group.clone().filter(|w| !w.is_empty()).unwrap_or_else(|| PRIMARY.into());
        let workgroup = self.workgroup(&workgroup_name)?;
        if workgroup.state != "ENABLED" {
            return Err(AthenaError::invalid(format!("WorkGroup {workgroup_name} is disabled.")));
        }
        let requested = input.result_configuration.clone().unwrap_or_else(|| json!({}));
        let requested_location = requested.get("OutputLocation").and_then(Value::as_str).map(str::to_string);
        let folder = match (workgroup.enforced(), workgroup.output_location(), requested_location.as_deref()) {
            (true, Some(wg), _) => wg.to_string(),
            (_, _, Some(r)) => r.to_string(),
            (_, Some(wg), None) => wg.to_string(),
            (_, None, None) => {
                return Err(AthenaError::invalid(
                    "No output location provided. An output location is required either through the Workgroup \
                     result configuration setting or as an API input.",
                ));
            }
        };
        if !(folder.starts_with("s3://") || folder.starts_with("file://")) || folder.len() <= "s3://".len() {
            return Err(AthenaError::invalid("outputLocation is not a valid S3 path."));
        }
        self.check_output_bucket(&folder)?;
        let database = input.query_execution_context.as_ref().and_then(|c| c.database.clone());
        let catalog = input.query_execution_context.as_ref().and_then(|c| c.catalog.clone());
        if let Some(token) = &input.client_request_token {
            let existing: Option<Execution> =
                self.store.transaction(|tx| body(tx, "SELECT body FROM executions WHERE token = ?1", [token]))?;
            if let Some(e) = existing {
                let same = e.query == query
                    && e.database == database
                    && e.catalog == catalog
                    && requested_location.as_deref().is_none_or(|r| r == e.output_folder);
                if !same {
                    return Err(AthenaError::request(
                        "IDEMPOTENT_PARAMETER_MISMATCH",
                        "Idempotent parameters do not match",
                    ));
                }
                return Ok((e, None));
            }
        }
        let parameters = input.execution_parameters.clone().unwrap_or_default();
        let lookup = |name: &str| {
            self.prepared_statement(&workgroup_name, name)
                .ok()
                .and_then(|s| s["QueryStatement"].as_str().map(str::to_string))
        };
        let classified = statement::classify(&input.query_string, &parameters, &lookup)
            .map_err(|r| AthenaError::request(r.code, r.message))?;
        let db = database.clone().unwrap_or_else(|| "default".into());
        self.check_described_table(&classified.prepared, &db)?;
        let id = uuid::Uuid::new_v4().to_string();
        let file = match (classified.statement_type, classified.substatement_type) {
            ("DML", "SELECT") => format!("{id}.csv"),
            ("DML", "INSERT" | "UNLOAD") => id.clone(),
            (_, "CREATE_TABLE_AS_SELECT") => format!("tables/{id}"),
            _ => format!("{id}.txt"),
        };
        let mut result_configuration = requested.clone();
        if let Some(m) = result_configuration.as_object_mut() {
            m.remove("OutputLocation");
        }
        let mut prepared = classified.prepared.clone();
        if let Some(c) = &catalog
            && !c.eq_ignore_ascii_case(super::catalogs::AWS_DATA_CATALOG)
        {
            prepared = Prepared::HiveError(Failure::trino(
                "CATALOG_NOT_FOUND",
                format!("Catalog '{}' does not exist", c.to_lowercase()),
            ));
        }
        let execution = Execution {
            id: id.clone(),
            query,
            statement_type: classified.statement_type.into(),
            substatement_type: classified.substatement_type.into(),
            workgroup: workgroup_name,
            database,
            catalog,
            output_location: join(&folder, &file),
            output_folder: folder.clone(),
            result_configuration,
            execution_parameters: input.execution_parameters.clone(),
            token: input.client_request_token.clone(),
            state: "QUEUED".into(),
            state_change_reason: None,
            athena_error: None,
            submitted: now(),
            started: None,
            completed: None,
            planning_ms: 0,
            data_scanned: 0,
            columns: Vec::new(),
            rows: 0,
            output_bytes: 0,
            update_count: None,
            manifest: None,
            hive_failure: false,
            prepared: None,
        };
        self.store.transaction(|tx| put(tx, &execution))?;
        let request = Request {
            id,
            prepared,
            sql: input.query_string,
            database: db,
            output_location: folder,
            scan_limit: workgroup.bytes_scanned_cutoff().map(|n| n.max(0) as u64),
        };
        Ok((execution, Some(request)))
    }

    /// In embedded mode the output bucket must exist (Athena cannot write results elsewhere).
    fn check_output_bucket(&self, folder: &str) -> Result<()> {
        match self.engine.storage().resolve(folder) {
            Ok(_) => Ok(()),
            Err(crate::storage::StorageError::NoSuchBucket(b)) => {
                Err(AthenaError::invalid(format!("Unable to verify/create output bucket {b}")))
            }
            Err(e) => Err(AthenaError::invalid(format!("outputLocation is not a valid S3 path: {e}"))),
        }
    }

    /// `DESCRIBE` and `SHOW COLUMNS` of a missing table are refused at submission, as in Athena.
    fn check_described_table(&self, prepared: &Prepared, db: &str) -> Result<()> {
        use crate::query::hive::HiveStatement;
        let table = match prepared {
            Prepared::Hive(HiveStatement::Describe { table, .. } | HiveStatement::ShowColumns { table }) => table,
            _ => return Ok(()),
        };
        let database = table.database.clone().unwrap_or_else(|| db.to_string());
        match self.catalog.get_table(None, &database, &table.name) {
            Err(crate::catalog::CatalogError::NotFound(_)) => Err(AthenaError::invalid(format!(
                "Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException; \
                 Request ID: {}; Proxy: null)",
                uuid::Uuid::new_v4()
            ))),
            _ => Ok(()),
        }
    }

    /// Moves an execution to RUNNING; false if it was stopped meanwhile.
    fn mark_running(&self, id: &str) -> Result<bool> {
        self.store.transaction(|tx| {
            let Some(mut e) = read(tx, id)? else { return Ok(false) };
            if e.state != "QUEUED" {
                return Ok(false);
            }
            e.state = "RUNNING".into();
            e.started = Some(now());
            put(tx, &e)?;
            Ok(true)
        })
    }

    /// Records the end of a run, unless the execution was stopped meanwhile.
    fn finish(&self, id: &str, result: std::result::Result<crate::query::Outcome, crate::query::Failed>) -> Result<()> {
        self.store.transaction(|tx| {
            let Some(mut e) = read(tx, id)? else { return Ok(()) };
            if e.state != "RUNNING" {
                return Ok(());
            }
            e.completed = Some(now());
            match result {
                Ok(o) => {
                    e.state = "SUCCEEDED".into();
                    e.columns = o.columns;
                    e.rows = o.rows;
                    e.output_bytes = o.output_bytes;
                    e.data_scanned = o.data_scanned;
                    e.planning_ms = o.planning_ms;
                    e.update_count = o.update_count;
                    e.manifest = o.manifest;
                    e.output_location = o.output;
                }
                Err(f) => {
                    e.data_scanned = f.data_scanned;
                    match f.failure {
                        Failure::Cancelled(reason) => {
                            e.state = "CANCELLED".into();
                            e.state_change_reason = Some(reason);
                        }
                        Failure::Failed { reason, category, error_type, retryable, hive } => {
                            e.state = "FAILED".into();
                            e.hive_failure = hive;
                            e.athena_error = Some(json!({
                                "ErrorCategory": category, "ErrorType": error_type,
                                "Retryable": retryable, "ErrorMessage": reason,
                            }));
                            e.state_change_reason = Some(reason);
                        }
                    }
                }
            }
            put(tx, &e)
        })
    }

    /// Runs a submitted execution to its end (the body of its task).
    pub async fn run(self: Arc<Self>, request: Request) {
        let id = request.id.clone();
        let this = self.clone();
        let begun = std::time::Instant::now();
        let running = tokio::task::spawn_blocking(move || this.mark_running(&id)).await;
        let marked = begun.elapsed();
        if !matches!(running, Ok(Ok(true))) {
            return;
        }
        let outcome = self.faults.before_run(&request.id).await;
        let result = match outcome {
            Some(failure) => Err(crate::query::Failed { failure, data_scanned: 0, output: None }),
            None => self.engine.run(&request).await,
        };
        let this = self.clone();
        let id = request.id.clone();
        let ran = begun.elapsed();
        let done = tokio::task::spawn_blocking(move || this.finish(&id, result)).await;
        tracing::debug!(
            query = %request.id,
            mark_running_us = marked.as_micros() as u64,
            run_us = (ran - marked).as_micros() as u64,
            finish_us = (begun.elapsed() - ran).as_micros() as u64,
            "execution phases"
        );
        if let Ok(Err(e)) | Err(e) = done.map_err(|e| AthenaError::Internal(e.to_string())) {
            tracing::error!(query = request.id, error = %e, "recording the end of a query failed");
        }
        self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&request.id);
    }

    /// `StartQueryExecution`: submits and starts the task, then answers when the query is done
    /// or after `start_wait`, whichever comes first (the query goes on running in the background;
    /// see [`super::DEFAULT_START_WAIT`] for why).
    pub async fn start_query_execution(self: Arc<Self>, input: StartInput) -> Result<Value> {
        let this = self.clone();
        let begun = std::time::Instant::now();
        let (execution, request) = tokio::task::spawn_blocking(move || this.submit(input))
            .await
            .map_err(|e| AthenaError::Internal(e.to_string()))??;
        tracing::debug!(query = %execution.id, submit_us = begun.elapsed().as_micros() as u64, "submitted");
        if let Some(request) = request {
            let id = request.id.clone();
            let task = {
                let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
                let task = tokio::spawn(self.clone().run(request));
                running.insert(id, task.abort_handle());
                task
            };
            if !self.start_wait.is_zero() {
                // Dropping the handle on timeout detaches the task; it is not cancelled.
                let _ = tokio::time::timeout(self.start_wait, task).await;
            }
        }
        Ok(json!({ "QueryExecutionId": execution.id }))
    }

    /// One execution.
    pub fn query_execution(&self, id: &str) -> Result<Execution> {
        self.store.transaction(|tx| read(tx, id))?.ok_or_else(|| not_found(id))
    }

    /// `StopQueryExecution`: a queued or running execution becomes CANCELLED; finished ones stay.
    pub fn stop_query_execution(&self, id: &str) -> Result<()> {
        let stopped = self.store.transaction(|tx| {
            let Some(mut e) = read(tx, id)? else { return Err(not_found(id)) };
            if e.finished() {
                return Ok(false);
            }
            e.state = "CANCELLED".into();
            e.state_change_reason = Some("Query cancelled by user".into());
            e.completed = Some(now());
            put(tx, &e)?;
            Ok(true)
        })?;
        if stopped && let Some(task) = self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(id) {
            task.abort();
        }
        Ok(())
    }

    /// `ListQueryExecutions`: ids of a workgroup, newest first.
    pub fn list_query_executions(
        &self,
        workgroup: Option<&str>,
        next_token: Option<&str>,
        max: Option<i64>,
    ) -> Result<(Vec<String>, Option<String>)> {
        let workgroup = workgroup.filter(|w| !w.is_empty()).unwrap_or(PRIMARY).to_string();
        self.workgroup(&workgroup)?;
        if let Some(n) = max
            && !(0..=50).contains(&n)
        {
            return Err(AthenaError::invalid("MaxResults must be between 0 and 50"));
        }
        let max = max.filter(|n| *n > 0);
        let (offset, limit) = super::page(next_token, max, 50)?;
        let ids: Vec<String> = self.store.transaction(|tx| {
            let mut stmt = tx.prepare("SELECT id FROM executions WHERE workgroup = ?1 ORDER BY submitted DESC, id")?;
            let rows = stmt.query_map([&workgroup], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })?;
        Ok(super::workgroups::paged(ids, offset, limit))
    }

    /// `GetQueryResults`: a page of the result file, the header row first on the first page of a
    /// SELECT; `NextToken` is the byte offset of the next row.
    pub async fn query_results(
        &self,
        execution: Execution,
        next_token: Option<&str>,
        max_results: Option<i64>,
    ) -> Result<Value> {
        let max = max_results.unwrap_or(1000);
        if max > 1000 {
            return Err(AthenaError::invalid("MaxResults is more than maximum allowed length 1000"));
        }
        if max < 1 {
            return Err(AthenaError::invalid(
                "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
            ));
        }
        match execution.state.as_str() {
            "QUEUED" | "RUNNING" => {
                return Err(AthenaError::request(
                    "INVALID_QUERY_EXECUTION_STATE",
                    format!("Query has not yet finished. Current state: {}", execution.state),
                ));
            }
            "CANCELLED" => return Err(AthenaError::request("RESULT_NOT_FOUND", "Could not find results")),
            "FAILED" if execution.hive_failure => {
                return Ok(json!({ "ResultSet": { "Rows": [] } }));
            }
            "FAILED" => {
                return Err(AthenaError::request(
                    "INVALID_QUERY_EXECUTION_STATE",
                    "Query did not finish successfully. Final query state: FAILED",
                ));
            }
            _ => {}
        }
        let offset: u64 = match next_token.filter(|t| !t.is_empty()) {
            None => 0,
            Some(t) => results_offset(t).ok_or_else(|| AthenaError::invalid(format!("Malformed nextPageToken {t}")))?,
        };
        let (rows, next) = self.read_rows(&execution, offset, max as usize).await?;
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|r| {
                let data: Vec<Value> = r
                    .into_iter()
                    .map(|v| v.map(|v| json!({ "VarCharValue": v })).unwrap_or_else(|| json!({})))
                    .collect();
                json!({ "Data": data })
            })
            .collect();
        let mut answer = json!({
            "ResultSet": { "Rows": rows, "ResultSetMetadata": { "ColumnInfo": execution.columns } },
        });
        if let Some(n) = execution.update_count {
            answer["UpdateCount"] = json!(n);
        }
        if let Some(next) = next {
            answer["NextToken"] = json!(results_token(&execution.id, next));
        }
        Ok(answer)
    }

    async fn read_rows(&self, e: &Execution, offset: u64, max: usize) -> Result<(Vec<results::TextRow>, Option<u64>)> {
        let size = e.output_bytes;
        if offset >= size || e.output_bytes == 0 {
            return Ok((Vec::new(), None));
        }
        let location = self.engine.storage().resolve(&e.output_location).map_err(|err| {
            AthenaError::request("RESULT_NOT_FOUND", format!("Could not read results at {}: {err}", e.output_location))
        })?;
        let csv = e.output_location.ends_with(".csv");
        let mut chunk: u64 = 1 << 20;
        loop {
            let end = (offset + chunk).min(size);
            let bytes = location.store.get_range(&location.path, offset..end).await.map_err(|err| {
                AthenaError::request(
                    "RESULT_NOT_FOUND",
                    format!("Could not read results at {}: {err}", e.output_location),
                )
            })?;
            let at_end = end == size;
            let (rows, used) =
                if csv { results::parse_csv(&bytes, max, at_end) } else { parse_lines(&bytes, max, at_end) };
            if rows.len() == max || at_end {
                // As in Athena, a full page always carries a token, even when nothing follows.
                let next = offset + used as u64;
                let more = rows.len() == max;
                return Ok((rows, more.then_some(next)));
            }
            chunk *= 4;
        }
    }
}

/// `.txt` rows: one value per line (Athena gives multi-column utility rows as one datum).
fn parse_lines(data: &[u8], max: usize, at_end: bool) -> (Vec<results::TextRow>, usize) {
    let mut rows = Vec::new();
    let mut pos = 0;
    while rows.len() < max && pos < data.len() {
        match data[pos..].iter().position(|b| *b == b'\n') {
            Some(n) => {
                rows.push(vec![Some(String::from_utf8_lossy(&data[pos..pos + n]).into_owned())]);
                pos += n + 1;
            }
            None if at_end => {
                rows.push(vec![Some(String::from_utf8_lossy(&data[pos..]).into_owned())]);
                pos = data.len();
            }
            None => break,
        }
    }
    (rows, pos)
}

fn results_token(id: &str, offset: u64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("results:{id}:{offset}"))
}

fn results_offset(token: &str) -> Option<u64> {
    use base64::Engine as _;
    let text = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    text.strip_prefix("results:")?.rsplit(':').next()?.parse().ok()
}

/// Fault injection for tests (`/_lakebox/faults`): make the next queries fail or linger.
#[derive(Debug, Default)]
pub struct Faults {
    queue: std::sync::Mutex<std::collections::VecDeque<Fault>>,
}

/// One injected fault.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fault {
    /// Fail the query with this Athena error name (`GENERIC_INTERNAL_ERROR`, `HIVE_CURSOR_ERROR`, ...).
    pub error_name: Option<String>,
    /// The message of that error.
    pub message: Option<String>,
    /// Stay RUNNING this long before running (or failing).
    pub delay_millis: Option<u64>,
}

impl Faults {
    /// Queues `count` copies of a fault for the next queries.
    pub fn push(&self, fault: Fault, count: usize) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        for _ in 0..count {
            q.push_back(fault.clone());
        }
    }

    /// Forgets every queued fault.
    pub fn clear(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Applies the next queued fault to a query that is starting: waits, and maybe fails it.
    pub async fn before_run(&self, _id: &str) -> Option<Failure> {
        let fault = self.queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front()?;
        if let Some(ms) = fault.delay_millis {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let name = fault.error_name?;
        Some(Failure::trino(&name, fault.message.unwrap_or_else(|| "injected by the Lakebox fault API".into())))
    }
}
