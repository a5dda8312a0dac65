//! Start Lakebox in-process for a test and get AWS SDK clients that talk to it.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let lakebox = lakebox_harness::Lakebox::start().await?;
//! lakebox.glue().create_database()
//!     .database_input(aws_sdk_glue::types::DatabaseInput::builder().name("sales").build()?)
//!     .send().await?;
//! # Ok(()) }
//! ```
//!
//! Each instance listens on its own free port with its own temporary data dir, so tests run in
//! parallel without seeing each other; the server stops and the directory is removed on drop.

#[cfg(feature = "containers")]
pub mod container;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use lakebox::{LakeboxBuilder, RunningLakebox};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The region the harness's clients sign for.
pub const REGION: &str = "us-east-1";

/// A running in-process Lakebox with a temporary data dir.
pub struct Lakebox {
    server: Option<RunningLakebox>,
    data_dir: DataDir,
    sdk: SdkConfig,
}

enum DataDir {
    Temporary(TempDir),
    Given(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Temporary(dir) => dir.path(),
            DataDir::Given(path) => path,
        }
    }
}

impl Lakebox {
    /// Starts Lakebox on `127.0.0.1:0` with a fresh temporary data dir.
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("lakebox-test-").tempdir()?;
        Self::serve(DataDir::Temporary(dir)).await
    }

    /// Starts Lakebox on `127.0.0.1:0` over an existing data dir (kept after the drop).
    pub async fn start_in(data_dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
        Self::serve(DataDir::Given(data_dir.into())).await
    }

    /// Starts Lakebox on `127.0.0.1:0` with a fresh temporary data dir and more settings, e.g.
    /// `Lakebox::start_with(|b| b.s3_endpoint(url, "us-east-1"))` for external-storage mode.
    pub async fn start_with(configure: impl FnOnce(LakeboxBuilder) -> LakeboxBuilder) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("lakebox-test-").tempdir()?;
        let server = configure(LakeboxBuilder::default()).port(0).data_dir(dir.path()).start().await?;
        let sdk = sdk_config(&server.endpoint());
        Ok(Self { server: Some(server), data_dir: DataDir::Temporary(dir), sdk })
    }

    async fn serve(data_dir: DataDir) -> anyhow::Result<Self> {
        let server = LakeboxBuilder::default().port(0).data_dir(data_dir.path()).start().await?;
        let sdk = sdk_config(&server.endpoint());
        Ok(Self { server: Some(server), data_dir, sdk })
    }

    /// Stops the server and starts a new one over the same data dir (a restart, as after a crash
    /// of the process). The endpoint changes; clients must be fetched again.
    pub async fn restart(mut self) -> anyhow::Result<Self> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        let data_dir = std::mem::replace(&mut self.data_dir, DataDir::Given(PathBuf::new()));
        Self::serve(data_dir).await
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint_url(&self) -> String {
        self.server.as_ref().map(RunningLakebox::endpoint).unwrap_or_default()
    }

    /// The data dir holding this instance's state.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The shared AWS SDK configuration (endpoint, region, dummy credentials).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// A Glue client for this instance.
    pub fn glue(&self) -> aws_sdk_glue::Client {
        aws_sdk_glue::Client::new(&self.sdk)
    }

    /// An Athena client for this instance.
    pub fn athena(&self) -> aws_sdk_athena::Client {
        aws_sdk_athena::Client::new(&self.sdk)
    }

    /// Loads a taxi fixture through the S3 and Glue APIs: files under `s3://lake/<table>/`,
    /// registered as `target` (`database.table`, the database created if needed).
    pub async fn load_taxi(
        &self,
        target: &str,
        config: lakebox_fixtures::TaxiConfig,
        format: lakebox_fixtures::write::Format,
        layout: lakebox_fixtures::write::Layout,
    ) -> anyhow::Result<lakebox_fixtures::load::LoadReport> {
        self.create_bucket(DATA_BUCKET).await?;
        let table = target.split_once('.').map(|(_, t)| t).unwrap_or(target);
        let options = lakebox_fixtures::load::LoadOptions {
            config,
            format,
            layout,
            rows_per_file: 250_000,
            destination: format!("s3://{DATA_BUCKET}/{table}"),
            register: Some(target.to_string()),
            progress: false,
        };
        lakebox_fixtures::load::load_taxi(&self.s3(), &self.glue(), &options).await
    }

    /// Loads the 265-row taxi-zone lookup under `s3://lake/<table>/`, registered as `target`.
    pub async fn load_zones(&self, target: &str) -> anyhow::Result<()> {
        self.create_bucket(DATA_BUCKET).await?;
        let table = target.split_once('.').map(|(_, t)| t).unwrap_or(target);
        let destination = format!("s3://{DATA_BUCKET}/{table}");
        lakebox_fixtures::load::load_zones(&self.s3(), &self.glue(), &destination, Some(target)).await
    }

    /// Creates an S3 bucket (an existing one is fine).
    pub async fn create_bucket(&self, bucket: &str) -> anyhow::Result<()> {
        match self.s3().create_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs a query to completion through the Athena API in database `db` (results under
    /// `s3://lakebox-results/`, created on first use) and returns its rows and statistics.
    /// A query that does not succeed is an error naming its state and reason.
    pub async fn query(&self, db: &str, sql: &str) -> anyhow::Result<QueryResult> {
        let execution = self.run_query(db, sql).await?;
        let state = execution.status().and_then(|s| s.state()).map(|s| s.as_str().to_string()).unwrap_or_default();
        if state != "SUCCEEDED" {
            let reason = execution.status().and_then(|s| s.state_change_reason()).unwrap_or_default();
            anyhow::bail!("query {state}: {reason}");
        }
        self.results(execution).await
    }

    /// Runs a query until it ends (in any state) and returns its `QueryExecution`.
    pub async fn run_query(&self, db: &str, sql: &str) -> anyhow::Result<aws_sdk_athena::types::QueryExecution> {
        self.create_bucket(RESULTS_BUCKET).await?;
        let athena = self.athena();
        let started = athena
            .start_query_execution()
            .query_string(sql)
            .query_execution_context(aws_sdk_athena::types::QueryExecutionContext::builder().database(db).build())
            .result_configuration(
                aws_sdk_athena::types::ResultConfiguration::builder()
                    .output_location(format!("s3://{RESULTS_BUCKET}/"))
                    .build(),
            )
            .send()
            .await?;
        let id = started.query_execution_id().unwrap_or_default().to_string();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let got = athena.get_query_execution().query_execution_id(&id).send().await?;
            let execution = got
                .query_execution()
                .cloned()
                .unwrap_or_else(|| aws_sdk_athena::types::QueryExecution::builder().query_execution_id(&id).build());
            let state = execution.status().and_then(|s| s.state()).map(|s| s.as_str().to_string());
            if matches!(state.as_deref(), Some("SUCCEEDED" | "FAILED" | "CANCELLED")) {
                return Ok(execution);
            }
            if Instant::now() > deadline {
                anyhow::bail!("query {id} did not finish within 300 s (state {state:?})");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Every page of a finished query's results, through `GetQueryResults`.
    pub async fn results(&self, execution: aws_sdk_athena::types::QueryExecution) -> anyhow::Result<QueryResult> {
        let id = execution.query_execution_id().unwrap_or_default().to_string();
        let select = execution.statement_type().map(|t| t.as_str()) == Some("DML");
        let mut rows = Vec::new();
        let mut columns = Vec::new();
        let mut token: Option<String> = None;
        let mut first = true;
        loop {
            let page =
                self.athena().get_query_results().query_execution_id(&id).set_next_token(token.clone()).send().await?;
            if let Some(meta) = page.result_set().and_then(|r| r.result_set_metadata()) {
                columns = meta
                    .column_info()
                    .iter()
                    .map(|c| Column { name: c.name().to_string(), athena_type: c.r#type().to_string() })
                    .collect();
            }
            let mut page_rows: Vec<Vec<Option<String>>> = page
                .result_set()
                .map(|r| {
                    r.rows()
                        .iter()
                        .map(|row| row.data().iter().map(|d| d.var_char_value().map(str::to_string)).collect())
                        .collect()
                })
                .unwrap_or_default();
            if first && select && !page_rows.is_empty() {
                page_rows.remove(0);
            }
            first = false;
            rows.extend(page_rows);
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let stats = execution.statistics();
        Ok(QueryResult {
            id,
            columns,
            rows,
            data_scanned_bytes: stats.and_then(|s| s.data_scanned_in_bytes()).unwrap_or_default(),
            output_location: execution
                .result_configuration()
                .and_then(|r| r.output_location())
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// An S3 client for this instance (path-style addressing: `http://127.0.0.1:PORT/bucket/key`).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk).force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Makes the next `count` queries fail with the Athena error `error_name` (for example
    /// `GENERIC_INTERNAL_ERROR` or `HIVE_CURSOR_ERROR`) and `message`, through `/_lakebox/faults`.
    pub async fn fail_next_queries(&self, count: usize, error_name: &str, message: &str) -> anyhow::Result<()> {
        self.fault(serde_json::json!({ "count": count, "error_name": error_name, "message": message })).await
    }

    /// Makes the next `count` queries stay RUNNING for `delay` before they run.
    pub async fn delay_next_queries(&self, count: usize, delay: Duration) -> anyhow::Result<()> {
        self.fault(serde_json::json!({ "count": count, "delay_millis": delay.as_millis() as u64 })).await
    }

    async fn fault(&self, body: serde_json::Value) -> anyhow::Result<()> {
        let url = format!("{}/_lakebox/faults", self.endpoint_url());
        let response = reqwest::Client::new().post(url).json(&body).send().await?;
        anyhow::ensure!(response.status().is_success(), "fault API answered {}", response.status());
        Ok(())
    }

    /// Forgets all state (catalog, Athena, S3 objects), through `/_lakebox/reset`.
    pub async fn reset(&self) -> anyhow::Result<()> {
        let response = reqwest::Client::new().post(format!("{}/_lakebox/reset", self.endpoint_url())).send().await?;
        anyhow::ensure!(response.status().is_success(), "reset answered {}", response.status());
        Ok(())
    }

    /// Environment variables that point an AWS CLI, boto3 or SDK subprocess at this instance.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint_url()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_DEFAULT_REGION", REGION.into()),
        ]
    }
}

/// The bucket the fixture loaders write table data to.
pub const DATA_BUCKET: &str = "lake";

/// The bucket `Lakebox::query` writes results to.
pub const RESULTS_BUCKET: &str = "lakebox-results";

/// A result column: its name and Athena's type name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub athena_type: String,
}

/// A finished query's results and statistics.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub id: String,
    pub columns: Vec<Column>,
    /// The data rows (the header row removed); `None` is NULL.
    pub rows: Vec<Vec<Option<String>>>,
    pub data_scanned_bytes: i64,
    pub output_location: String,
}

impl QueryResult {
    /// The result as a stable text table for snapshots: a header of names and Athena types,
    /// then one line per row (NULL as `NULL`), columns padded to their widest value.
    pub fn table(&self) -> String {
        let mut grid: Vec<Vec<String>> = vec![
            self.columns.iter().map(|c| c.name.clone()).collect(),
            self.columns.iter().map(|c| c.athena_type.clone()).collect(),
        ];
        grid.extend(self.text_rows());
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| grid.iter().map(|r| r.get(i).map_or(0, |v| v.chars().count())).max().unwrap_or(0))
            .collect();
        let line = |row: &[String]| {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
            cells.join(" | ").trim_end().to_string()
        };
        let mut out = vec![line(&grid[0]), line(&grid[1])];
        out.push(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
        out.extend(grid[2..].iter().map(|r| line(r)));
        let n = self.rows.len();
        out.push(format!("({n} row{})", if n == 1 { "" } else { "s" }));
        out.join("\n") + "\n"
    }

    /// [`QueryResult::table`] followed by `DataScannedInBytes`, for partition-pruning snapshots.
    pub fn table_with_scan(&self) -> String {
        format!("{}data scanned: {} bytes\n", self.table(), self.data_scanned_bytes)
    }

    /// The rows with NULL as the text `NULL`, for compact assertions.
    pub fn text_rows(&self) -> Vec<Vec<String>> {
        self.rows.iter().map(|r| r.iter().map(|v| v.clone().unwrap_or_else(|| "NULL".into())).collect()).collect()
    }

    /// The single value of a one-row, one-column result.
    pub fn scalar(&self) -> Option<String> {
        self.rows.first().and_then(|r| r.first()).cloned().flatten()
    }
}

/// An SDK configuration for an endpoint: region `us-east-1`, credentials `test`/`test`.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "lakebox")))
        .endpoint_url(endpoint)
        .build()
}

/// insta settings for Lakebox snapshots: query execution ids, ISO timestamps and epoch times
/// in the snapshot are replaced by stable placeholders.
pub fn insta_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[id]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[timestamp]");
    settings.add_filter(r"'transient_lastDdlTime'='\d+'", "'transient_lastDdlTime'='[time]'");
    settings
}

/// Polls `condition` until it returns `Some`, or fails after `timeout`. For eventually-true checks.
pub async fn wait_for<T, F, Fut>(timeout: Duration, mut condition: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = condition().await {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            anyhow::bail!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
