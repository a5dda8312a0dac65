//! Lakebox: AWS Glue Data Catalog, Athena and S3 on one local port, for tests and laptops.
//!
//! [`LakeboxBuilder`] opens the stores in a data dir (or a temporary one) and [`LakeboxBuilder::start`]
//! serves it; the `lakebox` binary and the test harness both go through it.

pub mod athena;
pub mod catalog;
pub mod glue;
pub mod protocol;
pub mod query;
pub mod s3;
pub mod server;
pub mod storage;
pub mod sts;

use anyhow::Context as _;
use catalog::Catalog;
use catalog::store::Store;
use server::AppState;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Lakebox's version, reported by `/_lakebox/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The account id used as the default Glue catalog id (LocalStack's convention).
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// The file of the catalog store inside the data dir.
pub const CATALOG_FILE: &str = "catalog.sqlite";

/// The directory of S3 objects inside the data dir (`<data-dir>/s3/<bucket>/<key>`).
pub const S3_DIR: &str = "s3";

/// The file of Athena's own state (workgroups, named queries, ...) inside the data dir.
pub const ATHENA_FILE: &str = "athena.sqlite";

/// The index of S3 object metadata inside the data dir.
pub const S3_INDEX_FILE: &str = "s3.sqlite";

/// How to run a Lakebox.
#[derive(Debug, Clone)]
pub struct LakeboxBuilder {
    host: String,
    port: u16,
    data_dir: Option<PathBuf>,
    account_id: String,
    s3_endpoint: Option<String>,
    s3_region: String,
    s3_credentials: Option<(String, String)>,
    file_roots: Vec<PathBuf>,
    start_wait: std::time::Duration,
    map_files: bool,
}

impl Default for LakeboxBuilder {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 4566,
            data_dir: None,
            account_id: DEFAULT_ACCOUNT_ID.into(),
            s3_endpoint: None,
            s3_region: protocol::DEFAULT_REGION.into(),
            s3_credentials: None,
            file_roots: Vec::new(),
            start_wait: athena::DEFAULT_START_WAIT,
            map_files: true,
        }
    }
}

impl LakeboxBuilder {
    /// The address to listen on (default `127.0.0.1`).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The port (default 4566; 0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Keep state in this directory (created if missing); without one, state lives in a temporary
    /// directory removed when the server's state is dropped.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// The account id that is the default catalog id.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = account_id.into();
        self
    }

    /// External-storage mode: table data and query results live on this S3 endpoint (MinIO, Ceph,
    /// AWS), with credentials from the AWS environment variables; Lakebox stores no objects.
    pub fn s3_endpoint(mut self, endpoint: impl Into<String>, region: impl Into<String>) -> Self {
        self.s3_endpoint = Some(endpoint.into());
        self.s3_region = region.into();
        self
    }

    /// Credentials for the external S3 endpoint (instead of the AWS environment variables).
    pub fn s3_credentials(mut self, access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        self.s3_credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// Allows `file://` table locations under this directory.
    pub fn file_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.file_roots.push(dir.into());
        self
    }

    /// How long `StartQueryExecution` waits for its query to finish before answering (default
    /// [`athena::DEFAULT_START_WAIT`]; zero answers at once with the query QUEUED, as Athena does).
    pub fn start_wait(mut self, wait: std::time::Duration) -> Self {
        self.start_wait = wait;
        self
    }

    /// Whether queries read the embedded store's files through memory maps (default `true`).
    /// Mapping is safe while no other process rewrites those files in place (Lakebox itself
    /// replaces them by rename); turn it off when something writes into `<data-dir>/s3/` directly.
    pub fn map_files(mut self, map: bool) -> Self {
        self.map_files = map;
        self
    }

    /// Opens the stores and returns the shared state, without serving. Without a data dir,
    /// state lives in a temporary directory removed when the state is dropped.
    pub fn open(&self) -> anyhow::Result<Arc<AppState>> {
        let (dir, temporary) = match &self.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let temp = tempfile::Builder::new().prefix("lakebox-").tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating data dir {}", dir.display()))?;
        let path = dir.join(CATALOG_FILE);
        let store = Store::open(&path).with_context(|| format!("opening catalog store {}", path.display()))?;
        let (objects, backend) = match &self.s3_endpoint {
            Some(endpoint) => (
                None,
                storage::Backend::External {
                    endpoint: endpoint.clone(),
                    region: self.s3_region.clone(),
                    credentials: self.s3_credentials.clone(),
                },
            ),
            None => {
                let objects = s3::store::ObjectStore::open(&dir.join(S3_DIR), &dir.join(S3_INDEX_FILE))
                    .with_context(|| format!("opening the S3 store in {}", dir.display()))?;
                (Some(Arc::new(objects)), storage::Backend::Local { root: dir.join(S3_DIR) })
            }
        };
        let catalog = Arc::new(Catalog::new(store, self.account_id.clone()));
        let storage =
            Arc::new(storage::Storage::new(backend, self.file_roots.clone()).with_mapped_files(self.map_files));
        let athena = athena::Athena::open(&dir.join(ATHENA_FILE), catalog.clone(), storage.clone())
            .map_err(|e| anyhow::anyhow!("opening the Athena store in {}: {e}", dir.display()))?
            .with_start_wait(self.start_wait);
        Ok(Arc::new(AppState {
            catalog,
            athena: Arc::new(athena),
            s3: objects.clone().map(s3::service),
            objects,
            storage,
            _temporary: temporary,
        }))
    }

    /// Binds the port and serves in a background task until the returned handle stops or drops.
    pub async fn start(self) -> anyhow::Result<RunningLakebox> {
        let state = self.open()?;
        let listener = tokio::net::TcpListener::bind((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("binding {}:{}", self.host, self.port))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = server::router(state);
        let task = tokio::spawn(async move {
            // TCP_NODELAY: without it, small answers written as headers then body wait ~40 ms for
            // the client's delayed ACK (Nagle), which bench/s3_vs_moto.py showed on 1 KiB GETs.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "could not set TCP_NODELAY");
                }
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(RunningLakebox { addr, shutdown: Some(tx), task: Some(task) })
    }
}

/// A serving Lakebox. Dropping it stops the server.
pub struct RunningLakebox {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningLakebox {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`, the endpoint URL for AWS clients.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets the ones in flight finish, and waits for the server to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

impl Drop for RunningLakebox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
