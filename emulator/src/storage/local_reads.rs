//! Range reads of local files for the query engine, without `LocalFileSystem`'s extra work.
//!
//! `object_store`'s `LocalFileSystem::get_ranges` (what the Parquet reader calls for column
//! chunks) allocates each range with `Vec::resize(len, 0)`, then copies the file into it: the
//! `memset` and the kernel's copy out of the page cache were 10-18 % of a scan-bound query.
//! [`LocalReads`] wraps the local store and answers `get_ranges` one of two ways:
//!
//! - [`LocalReads::mapped`], for the embedded S3 store: the file is memory-mapped and each range is
//!   a slice of the mapping (no copy). This is sound only while nobody shrinks the file in place
//!   (touching a page past the end of a truncated file raises `SIGBUS`). Lakebox never does: every
//!   write to the store goes to a temporary file renamed into place, and a mapping keeps the
//!   replaced file's pages. A process writing *in place* into `<data-dir>/s3/` while a query reads
//!   the same file could crash the server; `lakebox serve --no-mmap` turns mapping off.
//! - [`LocalReads::copied`], for `file://` roots (directories other tools write in place): each
//!   range is read into uninitialized capacity (`Read::read_to_end` on a bounded reader, which std
//!   fills without zeroing it first).
//!
//! A ranged `get_opts` (how the Parquet reader fetches footers) is answered by the wrapped store,
//! which checks preconditions and ranges and opens the file, and then its bytes are produced the
//! same way from that open file. Everything else, and any read that does not come back whole,
//! goes to the wrapped store, so errors are `LocalFileSystem`'s own.

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt as _;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

/// A local store with faster range reads (see the module docs).
#[derive(Debug)]
pub struct LocalReads {
    inner: LocalFileSystem,
    map: bool,
}

impl LocalReads {
    /// Ranges are slices of a memory map of the file: only for files replaced by rename, never
    /// rewritten in place (the embedded store's).
    pub fn mapped(inner: LocalFileSystem) -> Self {
        Self { inner, map: true }
    }

    /// Ranges are read into fresh buffers that are not zero-filled first.
    pub fn copied(inner: LocalFileSystem) -> Self {
        Self { inner, map: false }
    }
}

impl std::fmt::Display for LocalReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalReads({})", self.inner)
    }
}

/// Every range of `file`, mapped or read (see the module docs).
fn ranges(file: &File, ranges: &[Range<u64>], map: bool) -> Option<Vec<Bytes>> {
    if map { map_ranges(file, ranges) } else { read_ranges(file, ranges) }
}

/// Every range of `file` read into its own buffer, or `None` when the file cannot be opened or a
/// range is not all there (the caller then asks `LocalFileSystem`, whose error says why).
fn read_ranges(file: &File, ranges: &[Range<u64>]) -> Option<Vec<Bytes>> {
    ranges
        .iter()
        .map(|range| {
            let len = range.end.checked_sub(range.start)?;
            let mut buf = Vec::with_capacity(usize::try_from(len).ok()?);
            let mut reader = file;
            reader.seek(SeekFrom::Start(range.start)).ok()?;
            reader.take(len).read_to_end(&mut buf).ok()?;
            (buf.len() as u64 == len).then(|| Bytes::from(buf))
        })
        .collect()
}

/// Every range of `file` as a slice of one memory map of the file, or `None` as [`read_ranges`].
fn map_ranges(file: &File, ranges: &[Range<u64>]) -> Option<Vec<Bytes>> {
    // SAFETY: `Mmap::map` is unsafe because the mapped file could change while mapped. Only the
    // embedded store's files are mapped, and Lakebox replaces them by rename, never in place, so
    // the mapped pages stay those of the file as it was opened (see the module docs).
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
    let map = Bytes::from_owner(map);
    ranges
        .iter()
        .map(|range| {
            let (start, end) = (usize::try_from(range.start).ok()?, usize::try_from(range.end).ok()?);
            (start <= end && end <= map.len()).then(|| map.slice(start..end))
        })
        .collect()
}

#[async_trait]
impl ObjectStore for LocalReads {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        // Only bounded reads: a whole-object GET is streamed in chunks by the wrapped store.
        let ranged = options.range.is_some() && !options.head;
        let mut result = self.inner.get_opts(location, options).await?;
        if !ranged {
            return Ok(result);
        }
        let GetResultPayload::File(file, path) = result.payload else {
            return Ok(result);
        };
        let (range, map) = (result.range.clone(), self.map);
        let (file, read) = tokio::task::spawn_blocking(move || {
            let read = self::ranges(&file, std::slice::from_ref(&range), map).and_then(|mut parts| parts.pop());
            (file, read)
        })
        .await
        .map_err(|e| object_store::Error::Generic { store: "LocalReads", source: Box::new(e) })?;
        result.payload = match read {
            Some(bytes) => GetResultPayload::Stream(futures::stream::once(async move { Ok(bytes) }).boxed()),
            None => GetResultPayload::File(file, path),
        };
        Ok(result)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let path = self.inner.path_to_filesystem(location)?;
        let (wanted, map) = (ranges.to_vec(), self.map);
        let read = tokio::task::spawn_blocking(move || self::ranges(&File::open(path).ok()?, &wanted, map))
            .await
            .ok()
            .flatten();
        match read {
            Some(parts) => Ok(parts),
            None => self.inner.get_ranges(location, ranges).await,
        }
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

    /// Bytes whose every position is distinguishable (not a repeated pattern of 256).
    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
    }

    fn stores(dir: &std::path::Path) -> [(&'static str, LocalReads); 2] {
        [
            ("mapped", LocalReads::mapped(LocalFileSystem::new_with_prefix(dir).unwrap())),
            ("copied", LocalReads::copied(LocalFileSystem::new_with_prefix(dir).unwrap())),
        ]
    }

    #[tokio::test]
    async fn ranges_are_the_files_bytes_and_errors_are_local_file_systems() {
        let dir = tempfile::tempdir().unwrap();
        let data = content(300_000);
        std::fs::write(dir.path().join("f.bin"), &data).unwrap();
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        let plain = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        let ranges = [0..10, 5..70_000, 299_990..300_000, 42..42, 0..300_000];
        for (name, store) in stores(dir.path()) {
            let parts = store.get_ranges(&Path::from("f.bin"), &ranges).await.unwrap();
            for (range, part) in ranges.iter().zip(&parts) {
                assert_eq!(part.as_ref(), &data[range.start as usize..range.end as usize], "{name} {range:?}");
            }
            assert!(
                store.get_ranges(&Path::from("empty"), std::slice::from_ref(&(0..0))).await.unwrap()[0].is_empty(),
                "{name}"
            );
            // Past the end and missing files: the same errors as LocalFileSystem's.
            for (path, range) in [("f.bin", 299_000..300_001), ("missing", 0..1), ("empty", 0..1)] {
                let ours = store.get_ranges(&Path::from(path), std::slice::from_ref(&range)).await.unwrap_err();
                let theirs = plain.get_ranges(&Path::from(path), std::slice::from_ref(&range)).await.unwrap_err();
                assert_eq!(ours.to_string(), theirs.to_string(), "{name} {path} {range:?}");
            }
            // Ranged GETs (the Parquet footer): the same bytes and range as LocalFileSystem's.
            for range in [10..20_000, 299_000..300_000, 299_999..400_000] {
                let ours = store.get_range(&Path::from("f.bin"), range.clone()).await.unwrap();
                let theirs = plain.get_range(&Path::from("f.bin"), range.clone()).await.unwrap();
                assert_eq!(ours, theirs, "{name} {range:?}");
            }
            let suffix = GetOptions { range: Some(object_store::GetRange::Suffix(1_000)), ..Default::default() };
            let got = store.get_opts(&Path::from("f.bin"), suffix).await.unwrap();
            assert_eq!(got.range, 299_000..300_000, "{name}");
            assert_eq!(got.bytes().await.unwrap().as_ref(), &data[299_000..], "{name}");
            let ours = store.get_range(&Path::from("f.bin"), 300_000..300_010).await.unwrap_err();
            let theirs = plain.get_range(&Path::from("f.bin"), 300_000..300_010).await.unwrap_err();
            assert_eq!(ours.to_string(), theirs.to_string(), "{name}");
            assert_eq!(store.head(&Path::from("f.bin")).await.unwrap().size, 300_000, "{name}");
            // Everything else is the wrapped store's.
            store.put(&Path::from("p/q"), PutPayload::from_static(b"xyz")).await.unwrap();
            assert_eq!(store.get(&Path::from("p/q")).await.unwrap().bytes().await.unwrap().as_ref(), b"xyz");
            store.delete(&Path::from("p/q")).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_mapped_range_keeps_the_bytes_of_a_file_replaced_by_rename() {
        // How every write to the embedded store lands: a new file renamed over the old one.
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (content(100_000), vec![7u8; 10]);
        std::fs::write(dir.path().join("obj"), &old).unwrap();
        let (_, store) = stores(dir.path()).into_iter().next().unwrap();
        let part =
            store.get_ranges(&Path::from("obj"), std::slice::from_ref(&(1_000..90_000))).await.unwrap().remove(0);
        std::fs::write(dir.path().join("tmp"), &new).unwrap();
        std::fs::rename(dir.path().join("tmp"), dir.path().join("obj")).unwrap();
        assert_eq!(part.as_ref(), &old[1_000..90_000]);
        let now = store.get_ranges(&Path::from("obj"), std::slice::from_ref(&(0..10))).await.unwrap().remove(0);
        assert_eq!(now.as_ref(), new.as_slice());
    }
}
