//! Counting the bytes a query really reads from storage: every store a query touches is wrapped
//! in a [`ScanCounter`] sharing one [`Scanned`] tally, which becomes `DataScannedInBytes`. The
//! tally counts the bytes each read asked for (whole files, Parquet footers and column chunks),
//! after partition and file pruning, whatever the format. When the workgroup sets
//! `BytesScannedCutoffPerQuery`, the read that crosses it fails the query.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, RenameOptions, Result,
};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The bytes read by one query, and its limit.
#[derive(Debug, Default)]
pub struct Scanned {
    bytes: AtomicU64,
    limit: Option<u64>,
}

/// The error a read returns once the query's scan limit is exceeded.
#[derive(Debug, thiserror::Error)]
#[error("Bytes scanned limit was exceeded")]
pub struct ScanLimitExceeded;

impl Scanned {
    /// A tally that fails reads once more than `limit` bytes were read.
    pub fn with_limit(limit: Option<u64>) -> Arc<Self> {
        Arc::new(Self { bytes: AtomicU64::new(0), limit })
    }

    /// The bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Whether the limit has been crossed.
    pub fn exceeded(&self) -> bool {
        self.limit.is_some_and(|limit| self.bytes() > limit)
    }

    fn add(&self, n: u64) -> Result<()> {
        let total = self.bytes.fetch_add(n, Ordering::Relaxed) + n;
        match self.limit {
            Some(limit) if total > limit => {
                Err(object_store::Error::Generic { store: "lakebox", source: Box::new(ScanLimitExceeded) })
            }
            _ => Ok(()),
        }
    }
}

/// A store that adds the bytes of every read to a query's [`Scanned`] tally.
#[derive(Debug)]
pub struct ScanCounter {
    inner: Arc<dyn ObjectStore>,
    scanned: Arc<Scanned>,
}

impl ScanCounter {
    /// Wraps `inner`, counting into `scanned`.
    pub fn new(inner: Arc<dyn ObjectStore>, scanned: Arc<Scanned>) -> Self {
        Self { inner, scanned }
    }
}

impl std::fmt::Display for ScanCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScanCounter({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for ScanCounter {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let head = options.head;
        let result = self.inner.get_opts(location, options).await?;
        if !head {
            self.scanned.add(result.range.end - result.range.start)?;
        }
        Ok(result)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let out = self.inner.get_ranges(location, ranges).await?;
        self.scanned.add(out.iter().map(|b| b.len() as u64).sum())?;
        Ok(out)
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt as _;
    use object_store::memory::InMemory;

    #[tokio::test]
    async fn counts_what_reads_ask_for_and_stops_at_the_limit() {
        let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        inner.put(&Path::from("a"), PutPayload::from(vec![7u8; 1000])).await.unwrap();
        let scanned = Scanned::with_limit(Some(1500));
        let store = ScanCounter::new(inner, scanned.clone());
        assert_eq!(store.get_range(&Path::from("a"), 10..110).await.unwrap().len(), 100);
        assert_eq!(scanned.bytes(), 100);
        store.head(&Path::from("a")).await.unwrap();
        assert_eq!(scanned.bytes(), 100, "a HEAD reads no data");
        store.get(&Path::from("a")).await.unwrap();
        assert_eq!(scanned.bytes(), 1100);
        let parts = store.get_ranges(&Path::from("a"), &[0..10, 20..30]).await.unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(scanned.bytes(), 1120);
        assert!(!scanned.exceeded());
        let err = store.get(&Path::from("a")).await.unwrap_err();
        assert!(err.to_string().contains("Bytes scanned limit"), "{err}");
        assert!(scanned.exceeded());
    }
}
