//! One storage layer for everything that reads or writes table data and query results:
//! `s3://bucket/key` resolves to an `object_store::ObjectStore` and a path in it.
//!
//! Embedded mode (the default): the buckets are the directories the S3 endpoint serves,
//! `<data-dir>/s3/<bucket>/`, so a file uploaded through S3 is what the query engine reads.
//! External mode (`--s3-endpoint`): every bucket lives on that S3 service (MinIO, Ceph, AWS),
//! with credentials from the usual AWS environment variables, and nothing is stored locally.
//! `file://` locations are allowed only under directories the user named (`--file-root`).

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod local_reads;
pub use local_reads::LocalReads;

/// Where buckets live.
#[derive(Debug, Clone)]
pub enum Backend {
    /// `<root>/<bucket>/<key>` on the local filesystem (the S3 endpoint's own store).
    Local { root: PathBuf },
    /// An external S3-compatible service. Without explicit credentials, the AWS environment
    /// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) are used.
    External { endpoint: String, region: String, credentials: Option<(String, String)> },
}

/// Why a location cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("'{0}' is not a storage location Lakebox understands (expected s3://bucket/key or file:///path)")]
    InvalidLocation(String),
    #[error("the bucket '{0}' does not exist")]
    NoSuchBucket(String),
    #[error("'{0}' is outside the directories allowed for file:// locations (lakebox serve --file-root DIR)")]
    FileNotAllowed(String),
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

/// A resolved location: the store holding it and the path inside that store.
#[derive(Debug, Clone)]
pub struct Location {
    pub store: Arc<dyn ObjectStore>,
    pub path: object_store::path::Path,
    /// A URL naming `store` (`s3://bucket`, `lakebox-file://rootN`): the same for every
    /// location in the same store, as DataFusion's object store registry keys stores.
    pub store_url: String,
}

/// The storage layer of one Lakebox.
pub struct Storage {
    backend: Backend,
    file_roots: Vec<PathBuf>,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
    map_files: bool,
}

impl Storage {
    /// A storage layer over `backend`, allowing `file://` under `file_roots`.
    pub fn new(backend: Backend, file_roots: Vec<PathBuf>) -> Self {
        let file_roots = file_roots.into_iter().map(|r| r.canonicalize().unwrap_or(r)).collect();
        Self { backend, file_roots, stores: Mutex::default(), map_files: true }
    }

    /// Whether the query engine reads the embedded store's files through memory maps (the
    /// default; see [`LocalReads`]). `file://` roots are never mapped.
    pub fn with_mapped_files(mut self, map: bool) -> Self {
        self.map_files = map;
        self
    }

    /// Where buckets live.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Resolves `s3://bucket/key` (also `s3a://`, `s3n://`) or `file:///path`.
    pub fn resolve(&self, url: &str) -> Result<Location, StorageError> {
        let invalid = || StorageError::InvalidLocation(url.to_string());
        if let Some(path) = url.strip_prefix("file://") {
            return self.resolve_file(url, path);
        }
        let rest = ["s3://", "s3a://", "s3n://"].iter().find_map(|p| url.strip_prefix(p)).ok_or_else(invalid)?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid());
        }
        let path = object_store::path::Path::parse(key.trim_end_matches('/')).map_err(|_| invalid())?;
        Ok(Location { store: self.bucket(bucket)?, path, store_url: format!("s3://{bucket}") })
    }

    fn resolve_file(&self, url: &str, path: &str) -> Result<Location, StorageError> {
        let requested = Path::new(path);
        if !requested.is_absolute() || requested.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(StorageError::InvalidLocation(url.to_string()));
        }
        let (index, root) = self
            .file_roots
            .iter()
            .enumerate()
            .find(|(_, root)| requested.starts_with(root))
            .ok_or_else(|| StorageError::FileNotAllowed(url.to_string()))?;
        let rel = requested.strip_prefix(root).unwrap_or(requested).to_string_lossy().to_string();
        let store: Arc<dyn ObjectStore> = Arc::new(LocalReads::copied(LocalFileSystem::new_with_prefix(root)?));
        let path = object_store::path::Path::parse(rel).map_err(|_| StorageError::InvalidLocation(url.to_string()))?;
        Ok(Location { store, path, store_url: format!("lakebox-file://root{index}") })
    }

    /// The store of one bucket (built once, then shared).
    pub fn bucket(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>, StorageError> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = stores.get(bucket) {
            return Ok(store.clone());
        }
        let store: Arc<dyn ObjectStore> = match &self.backend {
            Backend::Local { root } => {
                let dir = root.join(bucket);
                if bucket.starts_with('.') || bucket.contains('/') || !dir.is_dir() {
                    return Err(StorageError::NoSuchBucket(bucket.to_string()));
                }
                let local = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
                Arc::new(if self.map_files { LocalReads::mapped(local) } else { LocalReads::copied(local) })
            }
            Backend::External { endpoint, region, credentials } => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_endpoint(endpoint)
                    .with_region(region)
                    .with_bucket_name(bucket)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
                if let Some((key, secret)) = credentials {
                    builder = builder.with_access_key_id(key).with_secret_access_key(secret);
                }
                Arc::new(builder.build()?)
            }
        };
        stores.insert(bucket.to_string(), store.clone());
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt as _;

    #[tokio::test]
    async fn local_locations_are_the_s3_endpoint_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lake/t/year=2024")).unwrap();
        std::fs::write(dir.path().join("lake/t/year=2024/a.csv"), b"1,2\n").unwrap();
        let storage = Storage::new(Backend::Local { root: dir.path().to_path_buf() }, vec![]);
        let loc = storage.resolve("s3://lake/t/year=2024/a.csv").unwrap();
        assert_eq!(loc.store.get(&loc.path).await.unwrap().bytes().await.unwrap().as_ref(), b"1,2\n");
        assert!(matches!(storage.resolve("s3://nobucket/x"), Err(StorageError::NoSuchBucket(_))));
        assert!(matches!(storage.resolve("s3://lake/../x"), Err(StorageError::InvalidLocation(_))));
        assert!(matches!(storage.resolve("hdfs://lake/x"), Err(StorageError::InvalidLocation(_))));
    }

    #[test]
    fn file_locations_need_an_allowed_root() {
        let allowed = tempfile::tempdir().unwrap();
        let root = allowed.path().canonicalize().unwrap();
        let storage = Storage::new(Backend::Local { root: PathBuf::from("/nonexistent") }, vec![root.clone()]);
        assert!(storage.resolve(&format!("file://{}/data/x.parquet", root.display())).is_ok());
        assert!(matches!(storage.resolve("file:///etc/passwd"), Err(StorageError::FileNotAllowed(_))));
        let sneaky = format!("file://{}/../etc/passwd", root.display());
        assert!(matches!(storage.resolve(&sneaky), Err(StorageError::InvalidLocation(_))));
    }
}
