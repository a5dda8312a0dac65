//! The query engine: Athena statements run on DataFusion over the Glue catalog and the storage
//! layer. [`statement::classify`] turns SQL into a [`statement::Prepared`] statement (at
//! `StartQueryExecution`, so syntax errors are refused there as Athena does); [`Engine::run`]
//! executes it and writes Athena's result files. Pure of HTTP: the Athena service drives it.

pub mod bounds;
pub mod decode;
pub mod dense;
pub mod distinct;
pub mod dml;
pub mod eager;
pub mod error;
pub mod formats;
pub mod functions;
pub mod hive;
pub mod hive_text;
pub mod information_schema;
pub mod partition_groups;
pub mod projection;
pub mod provider;
pub mod results;
pub mod scanned;
pub mod selective;
pub mod source;
pub mod statement;
pub mod trino;
pub mod types;
pub mod views;
pub mod write;
mod writes;

use crate::catalog::Catalog;
use crate::storage::Storage;
use datafusion::arrow::datatypes::DataType;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use error::Failure;
use futures::StreamExt as _;
use object_store::ObjectStoreExt as _;
use provider::{CATALOG_NAME, GlueCatalog, QueryEnv};
use scanned::Scanned;
use statement::Prepared;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt as _;

/// The name and only argument of a plain aggregate call (no DISTINCT, FILTER or ORDER BY), the
/// shape our aggregate rewrites (`eager`, `bounds`) know how to move.
pub(crate) fn plain_aggregate(e: &datafusion::logical_expr::Expr) -> Option<(&str, &datafusion::logical_expr::Expr)> {
    use datafusion::logical_expr::expr::AggregateFunction;
    let datafusion::logical_expr::Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return None };
    if params.distinct || params.filter.is_some() || !params.order_by.is_empty() || params.args.len() != 1 {
        return None;
    }
    Some((func.name(), &params.args[0]))
}

/// What a logical rule of ours returns for its `rewrite(plan)`: the rebuilt plan, or `plan` as
/// DataFusion planned it when the rule does not apply or cannot rebuild it (logged, not failed).
pub(crate) fn rewritten_or_kept(
    plan: datafusion::logical_expr::LogicalPlan,
    rule: &str,
    rewrite: impl FnOnce(
        &datafusion::logical_expr::LogicalPlan,
    ) -> datafusion::common::Result<Option<datafusion::logical_expr::LogicalPlan>>,
) -> datafusion::common::Result<datafusion::common::tree_node::Transformed<datafusion::logical_expr::LogicalPlan>> {
    use datafusion::common::tree_node::Transformed;
    match rewrite(&plan) {
        Ok(Some(new)) => Ok(Transformed::yes(new)),
        Ok(None) => Ok(Transformed::no(plan)),
        Err(e) => {
            tracing::debug!(rule, error = %e, "a rule left a plan unchanged");
            Ok(Transformed::no(plan))
        }
    }
}

/// Runs Athena statements.
pub struct Engine {
    catalog: Arc<Catalog>,
    storage: Arc<Storage>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// One statement to run.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: String,
    pub prepared: Prepared,
    /// The SQL as submitted (for error positions).
    pub sql: String,
    /// `QueryExecutionContext.Database`, else `default`.
    pub database: String,
    /// The results folder (`ResultConfiguration.OutputLocation` or the workgroup's).
    pub output_location: String,
    /// `BytesScannedCutoffPerQuery`.
    pub scan_limit: Option<u64>,
}

/// Where a statement's result went and what it cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// `ColumnInfo` of the result.
    pub columns: Vec<serde_json::Value>,
    /// The result file (`.../<id>.csv` or `.../<id>.txt`).
    pub output: String,
    /// Data rows written.
    pub rows: u64,
    /// Bytes written to the result file.
    pub output_bytes: u64,
    /// `DataScannedInBytes`.
    pub data_scanned: u64,
    /// Time spent planning, in milliseconds.
    pub planning_ms: u64,
    /// `UpdateCount` (0 for SELECT and SHOW, as Athena reports; rows written by CTAS/INSERT/UNLOAD).
    pub update_count: Option<i64>,
    /// `DataManifestLocation`: the list of files a CTAS, INSERT or UNLOAD wrote.
    pub manifest: Option<String>,
}

/// A statement that ended without success, with what it had scanned and where its text went.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub failure: Failure,
    pub data_scanned: u64,
    /// For Hive DDL failures, the `.txt` written with the reason.
    pub output: Option<String>,
}

/// Joins a folder URL and a file name.
pub fn join(folder: &str, file: &str) -> String {
    if folder.ends_with('/') { format!("{folder}{file}") } else { format!("{folder}/{file}") }
}

impl Engine {
    /// An engine over the catalog and storage.
    pub fn new(catalog: Arc<Catalog>, storage: Arc<Storage>) -> Self {
        Self { catalog, storage }
    }

    /// The storage layer results are written to.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Runs a statement to completion.
    pub async fn run(&self, request: &Request) -> Result<Outcome, Failed> {
        let scanned = Scanned::with_limit(request.scan_limit);
        let fail =
            |failure: Failure, scanned: &Scanned| Failed { failure, data_scanned: scanned.bytes(), output: None };
        self.ensure_default_database(&request.database);
        match &request.prepared {
            Prepared::Hive(statement) => self.run_hive(request, statement.clone()).await,
            Prepared::HiveError(failure) => Err(self.hive_failure(request, failure.clone()).await),
            Prepared::Unsupported(what) => Err(fail(Failure::trino("NOT_SUPPORTED", what), &scanned)),
            other => {
                let result = match other {
                    Prepared::Query { sql, explain } => self.run_query(request, sql, *explain, scanned.clone()).await,
                    Prepared::Ctas(c) => self.run_ctas(request, c, scanned.clone()).await,
                    Prepared::Insert(i) => self.run_insert(request, i, scanned.clone()).await,
                    Prepared::Unload(u) => self.run_unload(request, u, scanned.clone()).await,
                    Prepared::CreateView(v) => self.run_create_view(request, v, scanned.clone()).await,
                    Prepared::DropView { view, if_exists } => self.run_drop_view(request, view, *if_exists).await,
                    Prepared::ShowViews { database, pattern } => {
                        self.run_show_views(request, database.as_deref(), pattern.as_deref()).await
                    }
                    Prepared::ShowCreateView { view } => self.run_show_create_view(request, view).await,
                    Prepared::Hive(_) | Prepared::HiveError(_) | Prepared::Unsupported(_) => {
                        unreachable!("handled above")
                    }
                };
                result.map_err(|failure| {
                    let failure = if scanned.exceeded() {
                        Failure::Cancelled("Bytes scanned limit was exceeded".into())
                    } else {
                        failure
                    };
                    fail(failure, &scanned)
                })
            }
        }
    }

    /// A utility result: `rows` as the lines of `<id>.txt`, under `columns` (all `string`).
    async fn txt_outcome(
        &self,
        request: &Request,
        columns: &[&str],
        rows: Vec<String>,
        update_count: Option<i64>,
    ) -> Result<Outcome, Failure> {
        let path = join(&request.output_location, &format!("{}.txt", request.id));
        let bytes = self.put(&path, rows.join("\n").into_bytes()).await?;
        Ok(Outcome {
            columns: columns.iter().map(|c| utility_column(c)).collect(),
            output: path,
            rows: rows.len() as u64,
            output_bytes: bytes,
            data_scanned: 0,
            planning_ms: 0,
            update_count,
            manifest: None,
        })
    }

    /// Athena's `default` database always exists.
    fn ensure_default_database(&self, db: &str) {
        if db == "default" && self.catalog.get_database(None, db).is_err() {
            let input = crate::catalog::model::DatabaseInput { name: "default".into(), ..Default::default() };
            let _ = self.catalog.create_database(None, input, Default::default(), crate::protocol::DEFAULT_REGION);
        }
    }

    async fn run_hive(&self, request: &Request, statement: hive::HiveStatement) -> Result<Outcome, Failed> {
        let cx =
            hive::exec::HiveContext { catalog: &self.catalog, storage: &self.storage, database: &request.database };
        match hive::exec::execute(&cx, statement).await {
            Ok(output) => {
                let path = join(&request.output_location, &format!("{}.txt", request.id));
                let text = output.rows.join("\n");
                let bytes = self.put(&path, text.into_bytes()).await.map_err(|e| Failed {
                    failure: e,
                    data_scanned: 0,
                    output: None,
                })?;
                let columns = output.columns.iter().map(|c| utility_column(c)).collect();
                let update_count = (!output.columns.is_empty()
                    && output.columns != ["col_name", "data_type", "comment"]
                    && output.columns != ["createtab_stmt"])
                .then_some(0);
                Ok(Outcome {
                    columns,
                    output: path,
                    rows: output.rows.len() as u64,
                    output_bytes: bytes,
                    data_scanned: 0,
                    planning_ms: 0,
                    update_count,
                    manifest: None,
                })
            }
            Err(f) => Err(self.hive_failure(request, Failure::hive(f.reason, f.category, f.error_type)).await),
        }
    }

    /// A failed Hive statement writes its reason as its `.txt` result, as Athena's Hive engine does.
    async fn hive_failure(&self, request: &Request, failure: Failure) -> Failed {
        let mut output = None;
        if let Failure::Failed { reason, hive: true, .. } = &failure {
            let path = join(&request.output_location, &format!("{}.txt", request.id));
            if self.put(&path, reason.clone().into_bytes()).await.is_ok() {
                output = Some(path);
            }
        }
        Failed { failure, data_scanned: 0, output }
    }

    async fn put(&self, url: &str, bytes: Vec<u8>) -> Result<u64, Failure> {
        let location = self.storage.resolve(url).map_err(|e| output_failure(url, e))?;
        let n = bytes.len() as u64;
        location.store.put(&location.path, bytes.into()).await.map_err(|e| output_failure(url, e))?;
        Ok(n)
    }

    fn session(&self, request: &Request, scanned: Arc<Scanned>) -> Result<SessionContext, Failure> {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema(CATALOG_NAME, &request.database)
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false);
        let options = config.options_mut();
        options.sql_parser.enable_ident_normalization = true;
        // Trino sorts NULLs last whatever the direction.
        options.sql_parser.default_null_ordering = "nulls_last".into();
        // `1.5` is decimal(2,1) as in Trino (`1.5E0` is the double).
        options.sql_parser.parse_float_as_decimal = true;
        // `CAST(x AS varchar)` is `Utf8`, as table columns are (DataFusion's default `Utf8View`
        // made every Trino string function copy its input back to `Utf8` first).
        options.sql_parser.map_string_types_to_utf8view = false;
        // Athena's session zone: `current_timestamp` is a `timestamp(3) with time zone` in UTC.
        options.execution.time_zone = Some("UTC".into());
        // Row-level filter pushdown costs more than it saves for broad predicates (measured with
        // bench/athena_vs_duckdb.py): a scan turns it on for itself when its equalities look
        // selective (`selective`); predicates still prune row groups either way.
        options.execution.parquet.pushdown_filters = false;
        // Twice as many partitions as cores overlaps reading with computing (about 10 % faster
        // on the 2-core benchmark machine).
        // (DataFusion's helper reads the core count once; `std::thread::available_parallelism` reads
        // the cgroup files on every call.)
        options.execution.target_partitions = 2 * datafusion::common::utils::get_available_parallelism();
        options.execution.parquet.schema_force_view_types = false;
        options.execution.parquet.binary_as_string = false;
        options.execution.collect_statistics = false;
        for (key, value) in datafusion_overrides() {
            if let Err(e) = options.set(key, value) {
                tracing::warn!(key, value, error = %e, "ignoring a LAKEBOX_DATAFUSION_CONFIG setting");
            }
        }
        let runtime = RuntimeEnvBuilder::new().build_arc().map_err(|e| Failure::trino("GENERIC_INTERNAL_ERROR", e))?;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_analyzer_rules(trino::analyzer_rules())
            .with_optimizer_rule(Arc::new(eager::EagerAggregation))
            .with_optimizer_rule(Arc::new(distinct::DistinctIntegers))
            .with_optimizer_rule(Arc::new(partition_groups::PartitionGroups))
            .with_optimizer_rule(Arc::new(bounds::FooterBounds))
            .with_physical_optimizer_rule(Arc::new(dense::DenseGroups))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let env = QueryEnv::new(self.catalog.clone(), self.storage.clone(), scanned);
        ctx.register_catalog(CATALOG_NAME, Arc::new(GlueCatalog::new(env)));
        functions::register(&ctx).map_err(|e| Failure::trino("GENERIC_INTERNAL_ERROR", e))?;
        Ok(ctx)
    }

    async fn run_query(
        &self,
        request: &Request,
        sql: &str,
        explain: bool,
        scanned: Arc<Scanned>,
    ) -> Result<Outcome, Failure> {
        let planning = Instant::now();
        let ctx = self.session(request, scanned.clone())?;
        let session_done = planning.elapsed();
        let frame = self.plan(&ctx, request, sql).await?;
        let df_error = |e: datafusion::error::DataFusionError| error::from_datafusion(&e, &request.sql);
        let planned = planning.elapsed();
        let planning_ms = planned.as_millis() as u64;
        if explain {
            return self.write_explain(request, frame, planning_ms, scanned).await;
        }
        let schema = frame.schema().as_arrow().clone();
        let columns: Vec<serde_json::Value> = schema.fields().iter().map(|f| trino::types::column_info(f)).collect();
        let path = join(&request.output_location, &format!("{}.csv", request.id));
        let location = self.storage.resolve(&path).map_err(|e| output_failure(&path, e))?;
        let mut stream = frame.execute_stream().await.map_err(df_error)?;
        let mut writer = object_store::buffered::BufWriter::new(location.store.clone(), location.path.clone());
        let mut buffer = Vec::with_capacity(1 << 20);
        let header: Vec<Option<String>> = schema.fields().iter().map(|f| Some(f.name().clone())).collect();
        results::csv_line(&header, &mut buffer);
        let (mut rows, mut bytes) = (0u64, 0u64);
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(df_error)?;
            for row in results::batch_rows(&batch) {
                results::csv_line(&row, &mut buffer);
            }
            rows += batch.num_rows() as u64;
            if buffer.len() >= 1 << 20 {
                bytes += buffer.len() as u64;
                writer.write_all(&buffer).await.map_err(|e| output_failure(&path, e))?;
                buffer.clear();
            }
        }
        bytes += buffer.len() as u64;
        let executed = planning.elapsed();
        writer.write_all(&buffer).await.map_err(|e| output_failure(&path, e))?;
        // The result file and its metadata are independent writes.
        let (written, metadata) = futures::join!(
            async { writer.shutdown().await.map_err(|e| output_failure(&path, e)) },
            self.write_metadata(&path, &columns)
        );
        written?;
        metadata?;
        tracing::debug!(
            query = %request.id,
            session_us = session_done.as_micros() as u64,
            plan_us = (planned - session_done).as_micros() as u64,
            execute_us = (executed - planned).as_micros() as u64,
            write_us = (planning.elapsed() - executed).as_micros() as u64,
            "query phases"
        );
        Ok(Outcome {
            columns,
            output: path,
            rows,
            output_bytes: bytes,
            data_scanned: scanned.bytes(),
            planning_ms,
            update_count: Some(0),
            manifest: None,
        })
    }

    /// `EXPLAIN`: DataFusion's physical plan, one line per row, under a `Query Plan` header.
    async fn write_explain(
        &self,
        request: &Request,
        frame: datafusion::dataframe::DataFrame,
        planning_ms: u64,
        scanned: Arc<Scanned>,
    ) -> Result<Outcome, Failure> {
        let df_error = |e: datafusion::error::DataFusionError| error::from_datafusion(&e, &request.sql);
        let batches = frame.collect().await.map_err(df_error)?;
        let mut lines = vec!["Query Plan".to_string()];
        for batch in &batches {
            for row in results::batch_rows(batch) {
                let kind = row.first().cloned().flatten().unwrap_or_default();
                let plan = row.get(1).cloned().flatten().unwrap_or_default();
                if kind == "physical_plan" || (batch.num_columns() == 1) {
                    lines.extend(plan.lines().map(str::to_string));
                }
            }
        }
        if lines.len() == 1 {
            for batch in &batches {
                for row in results::batch_rows(batch) {
                    lines.extend(
                        row.into_iter().flatten().flat_map(|p| p.lines().map(str::to_string).collect::<Vec<_>>()),
                    );
                }
            }
        }
        let path = join(&request.output_location, &format!("{}.txt", request.id));
        let text = lines.join("\n");
        let bytes = self.put(&path, text.into_bytes()).await?;
        let mut column = types::column_info("Query Plan", &DataType::Utf8);
        column["Precision"] = serde_json::json!(lines.iter().map(|l| l.len()).max().unwrap_or(0));
        Ok(Outcome {
            columns: vec![column],
            output: path,
            rows: lines.len() as u64 - 1,
            output_bytes: bytes,
            data_scanned: scanned.bytes(),
            planning_ms,
            update_count: None,
            manifest: None,
        })
    }

    /// `<result>.metadata`: the result's `ColumnInfo`. Athena writes an undocumented protobuf
    /// here; Lakebox writes JSON (docs/COMPATIBILITY.md). No client we know of reads it.
    async fn write_metadata(&self, result: &str, columns: &[serde_json::Value]) -> Result<(), Failure> {
        let body = serde_json::json!({ "ColumnInfo": columns }).to_string();
        self.put(&format!("{result}.metadata"), body.into_bytes()).await.map(|_| ())
    }
}

/// DataFusion settings from `LAKEBOX_DATAFUSION_CONFIG` (`key=value;key=value`, e.g.
/// `datafusion.execution.target_partitions=4`), read once: a knob for tuning, not a contract.
fn datafusion_overrides() -> &'static [(String, String)] {
    static OVERRIDES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    OVERRIDES.get_or_init(|| {
        std::env::var("LAKEBOX_DATAFUSION_CONFIG")
            .unwrap_or_default()
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    })
}

/// `ColumnInfo` of a Hive utility statement's column (always `string`).
fn utility_column(name: &str) -> serde_json::Value {
    serde_json::json!({
        "CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
        "Type": "string", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": false,
    })
}

fn output_failure(url: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Failed {
        reason: format!("Unable to write query results to {url}: {e}"),
        category: 1,
        error_type: 401,
        retryable: true,
        hive: false,
    }
}
