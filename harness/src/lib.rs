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

    /// An S3 client for this instance (path-style addressing: `http://127.0.0.1:PORT/bucket/key`).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk).force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(config)
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

/// An SDK configuration for an endpoint: region `us-east-1`, credentials `test`/`test`.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "lakebox")))
        .endpoint_url(endpoint)
        .build()
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
