//! Writing query results as table files (CTAS, INSERT INTO, UNLOAD): batches split by partition
//! values into Hive folders (`k=v/`, values escaped as Hive escapes them, NULL as
//! `__HIVE_DEFAULT_PARTITION__`), encoded as Parquet, JSON lines or delimited text, compressed as
//! asked, and staged under a hidden folder of the destination until the statement succeeds, so a
//! failed, cancelled or killed statement leaves no visible file behind. Bucketed tables get one
//! file per bucket (and writer), rows assigned by Hive's bucketing hash (v1, as Athena's Hive
//! tables use), named `<bucket, 6 digits>_0_...` as Hive and Trino name bucket files.

use super::results::value_text;
use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, GzipLevel, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt as _;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

/// Files larger than this are closed and a new one started.
const FILE_TARGET_BYTES: usize = 64 << 20;

/// Hive's name of a NULL partition value.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// How the files are encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum FileFormat {
    Parquet,
    /// JSON lines (Hive JSON SerDe).
    Json,
    /// Delimited text (LazySimpleSerDe): no quoting, `\N` for NULL.
    Text {
        delimiter: u8,
    },
}

/// File compression (`write_compression` / `compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCompression {
    None,
    Snappy,
    Gzip,
    Zstd,
}

impl FileCompression {
    /// Parses an Athena compression name.
    pub fn parse(name: &str) -> std::result::Result<Self, String> {
        Ok(match name.to_ascii_uppercase().as_str() {
            "NONE" | "UNCOMPRESSED" => Self::None,
            "SNAPPY" => Self::Snappy,
            "GZIP" => Self::Gzip,
            "ZSTD" => Self::Zstd,
            other => return Err(format!("Unsupported compression '{other}': Lakebox writes NONE, SNAPPY, GZIP, ZSTD")),
        })
    }

    /// The name Athena stores in table properties.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Snappy => "SNAPPY",
            Self::Gzip => "GZIP",
            Self::Zstd => "ZSTD",
        }
    }
}

/// What to write and where.
#[derive(Debug, Clone)]
pub struct WriteSpec {
    pub format: FileFormat,
    pub compression: FileCompression,
    /// Partition columns (last columns of the input, in order); removed from the files.
    pub partition_by: Vec<String>,
    /// File names start with this (the query id).
    pub file_prefix: String,
    /// At most this many distinct partitions times buckets (Athena: 100 per CTAS / INSERT).
    pub max_partitions: usize,
    /// `bucketed_by` columns (data columns of the input) and `bucket_count`.
    pub bucketing: Option<Bucketing>,
}

/// How rows are spread over bucket files.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucketing {
    pub columns: Vec<String>,
    pub count: u32,
}

/// Hive's bucketing hash (version 1, `ObjectInspectorUtils.hashCode`, as Trino's
/// `HiveBucketingV1` mirrors it) of one value; NULL hashes to 0.
pub fn hive_hash(column: &dyn datafusion::arrow::array::Array, row: usize) -> Result<i32> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{
        DataType, Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    };
    if column.is_null(row) {
        return Ok(0);
    }
    let fold = |v: i64| ((v as u64 >> 32) as i64 ^ v) as i32;
    Ok(match column.data_type() {
        DataType::Boolean => i32::from(column.as_boolean().value(row)),
        DataType::Int8 => i32::from(column.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => i32::from(column.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => column.as_primitive::<Int32Type>().value(row),
        DataType::Int64 => fold(column.as_primitive::<Int64Type>().value(row)),
        DataType::Float32 => {
            let v = column.as_primitive::<Float32Type>().value(row);
            // Java's floatToIntBits: every NaN is the canonical one.
            if v.is_nan() { 0x7fc0_0000 } else { v.to_bits() as i32 }
        }
        DataType::Float64 => {
            let v = column.as_primitive::<Float64Type>().value(row);
            fold(if v.is_nan() { 0x7ff8_0000_0000_0000 } else { v.to_bits() as i64 })
        }
        // Hive `string` columns: Java's byte-wise hash starting at 0, over the UTF-8 bytes.
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = value_text(column, row).unwrap_or_default();
            text.bytes().fold(0i32, |h, b| h.wrapping_mul(31).wrapping_add(i32::from(b as i8)))
        }
        DataType::Date32 => column.as_primitive::<Date32Type>().value(row),
        other => {
            return Err(DataFusionError::NotImplemented(format!(
                "NOT_SUPPORTED: Computation of Hive bucket hashCode is not supported for type {}",
                super::types::athena_type_name(other)
            )));
        }
    })
}

/// The bucket of a row: the fields' hashes combined as `h = 31 * h + field`, then
/// `(h & Integer.MAX_VALUE) % count`.
fn bucket_of(columns: &[&dyn datafusion::arrow::array::Array], row: usize, count: u32) -> Result<u32> {
    let mut hash = 0i32;
    for c in columns {
        hash = hash.wrapping_mul(31).wrapping_add(hive_hash(*c, row)?);
    }
    Ok((hash & i32::MAX) as u32 % count)
}

/// One written file, already in its final place.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    /// Path in the destination store.
    pub path: Path,
    /// The partition values (text as in the folder name, unescaped; `None` for NULL).
    pub partition: Vec<Option<String>>,
    pub rows: u64,
    pub bytes: u64,
}

/// A destination: a store and the folder everything goes under.
#[derive(Clone)]
pub struct Destination {
    pub store: Arc<dyn ObjectStore>,
    pub root: Path,
    /// The URL of `root` (`s3://bucket/prefix/`), for manifests.
    pub url: String,
}

impl Destination {
    /// The URL of a path in this destination.
    pub fn url_of(&self, path: &Path) -> String {
        let relative = path.as_ref().strip_prefix(self.root.as_ref()).unwrap_or(path.as_ref()).trim_start_matches('/');
        format!("{}{}", if self.url.ends_with('/') { self.url.clone() } else { format!("{}/", self.url) }, relative)
    }
}

/// Hive's `FileUtils.escapePathName` for partition folder names.
pub fn escape_path(v: &str) -> String {
    let mut out = String::new();
    for ch in v.chars() {
        if matches!(ch, '"' | '#' | '%' | '\'' | '*' | '/' | ':' | '=' | '?' | '\\' | '\u{7f}' | '{' | '[' | ']' | '^')
            || (ch as u32) < 0x20
        {
            out.push_str(&format!("%{:02X}", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

/// The folder of a partition: `k1=v1/k2=v2`.
pub fn partition_folder(keys: &[String], values: &[Option<String>]) -> String {
    keys.iter()
        .zip(values)
        .map(|(k, v)| format!("{k}={}", v.as_deref().map(escape_path).unwrap_or_else(|| NULL_PARTITION.into())))
        .collect::<Vec<_>>()
        .join("/")
}

/// Encodes the batches of one file.
enum Encoder {
    Parquet(Box<ArrowWriter<Vec<u8>>>),
    Bytes { out: Vec<u8>, format: FileFormat },
}

impl Encoder {
    fn new(format: &FileFormat, compression: FileCompression, schema: SchemaRef) -> Result<Self> {
        Ok(match format {
            FileFormat::Parquet => {
                let codec = match compression {
                    FileCompression::None => Compression::UNCOMPRESSED,
                    FileCompression::Snappy => Compression::SNAPPY,
                    FileCompression::Gzip => Compression::GZIP(GzipLevel::default()),
                    FileCompression::Zstd => Compression::ZSTD(ZstdLevel::default()),
                };
                let props = WriterProperties::builder().set_compression(codec).set_created_by("lakebox".into()).build();
                Self::Parquet(Box::new(ArrowWriter::try_new(Vec::new(), schema, Some(props))?))
            }
            other => Self::Bytes { out: Vec::new(), format: other.clone() },
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match self {
            Self::Parquet(w) => Ok(w.write(batch)?),
            Self::Bytes { out, format: FileFormat::Json } => {
                let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(&mut *out);
                writer.write(batch)?;
                writer.finish()?;
                Ok(())
            }
            Self::Bytes { out, format: FileFormat::Text { delimiter } } => {
                let d = *delimiter;
                for row in 0..batch.num_rows() {
                    for (i, column) in batch.columns().iter().enumerate() {
                        if i > 0 {
                            out.push(d);
                        }
                        match value_text(column.as_ref(), row) {
                            Some(v) => escape_text(&v, d, out),
                            None => out.extend_from_slice(b"\\N"),
                        }
                    }
                    out.push(b'\n');
                }
                Ok(())
            }
            Self::Bytes { .. } => Err(DataFusionError::Internal("Parquet written as bytes".into())),
        }
    }

    fn size(&self) -> usize {
        match self {
            Self::Parquet(w) => w.bytes_written() + w.in_progress_size(),
            Self::Bytes { out, .. } => out.len(),
        }
    }

    fn finish(self, compression: FileCompression) -> Result<Vec<u8>> {
        match self {
            Self::Parquet(w) => Ok(w.into_inner()?),
            Self::Bytes { out, .. } => compress(out, compression),
        }
    }
}

/// Text values escape the delimiter, `\` and line breaks with `\`, as LazySimpleSerDe reads them
/// back with `escape.delim` = `\`.
fn escape_text(v: &str, delimiter: u8, out: &mut Vec<u8>) {
    for b in v.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b if b == delimiter => {
                out.push(b'\\');
                out.push(b);
            }
            b => out.push(b),
        }
    }
}

fn compress(data: Vec<u8>, compression: FileCompression) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| DataFusionError::External(Box::new(e));
    Ok(match compression {
        FileCompression::None => data,
        FileCompression::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&data).map_err(io)?;
            gz.finish().map_err(io)?
        }
        FileCompression::Snappy => {
            let mut framed = snap::write::FrameEncoder::new(Vec::new());
            framed.write_all(&data).map_err(io)?;
            framed.into_inner().map_err(|e| DataFusionError::Execution(e.to_string()))?
        }
        FileCompression::Zstd => {
            return Err(DataFusionError::NotImplemented(
                "NOT_SUPPORTED: ZSTD-compressed text and JSON files are not written by Lakebox yet".into(),
            ));
        }
    })
}

/// The file name extension of a format and compression.
fn extension(format: &FileFormat, compression: FileCompression) -> String {
    let base = match format {
        FileFormat::Parquet => return ".parquet".into(),
        FileFormat::Json => ".json",
        FileFormat::Text { .. } => "",
    };
    let codec = match compression {
        FileCompression::None => "",
        FileCompression::Gzip => ".gz",
        FileCompression::Snappy => ".snappy",
        FileCompression::Zstd => ".zst",
    };
    format!("{base}{codec}")
}

/// A writer's key: the partition values and the bucket.
type FileKey = (Vec<Option<String>>, Option<u32>);

/// The files of one writer task, by partition and bucket.
struct PartitionFiles {
    encoder: Option<Encoder>,
    rows: u64,
    partition: Vec<Option<String>>,
    bucket: Option<u32>,
}

/// The staged files of a write, moved into place by [`Staging::commit`] or removed.
pub struct Staging {
    destination: Destination,
    staging: Path,
    files: Mutex<Vec<WrittenFile>>,
    committed: std::sync::atomic::AtomicBool,
}

impl Staging {
    /// A staging folder `<root>/.lakebox-staging-<id>/` (hidden from readers: its name starts
    /// with a dot).
    pub fn new(destination: Destination, id: &str) -> Arc<Self> {
        let staging = destination.root.clone().join(format!(".lakebox-staging-{id}"));
        Arc::new(Self { destination, staging, files: Mutex::default(), committed: Default::default() })
    }

    /// Moves every staged file to its place; returns them in their final paths.
    pub async fn commit(&self) -> Result<Vec<WrittenFile>> {
        let staged = std::mem::take(&mut *self.files.lock().unwrap_or_else(|p| p.into_inner()));
        let mut done = Vec::with_capacity(staged.len());
        for mut f in staged {
            let relative =
                f.path.as_ref().strip_prefix(self.staging.as_ref()).unwrap_or(f.path.as_ref()).trim_start_matches('/');
            let target = Path::parse(
                format!("{}/{relative}", self.destination.root.as_ref().trim_end_matches('/')).trim_start_matches('/'),
            )
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
            self.destination.store.rename(&f.path, &target).await?;
            f.path = target;
            done.push(f);
        }
        self.committed.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(done)
    }

    /// Removes whatever was staged (the statement failed or was cancelled).
    pub async fn discard(&self) {
        let files: Vec<Path> = self.files.lock().unwrap_or_else(|p| p.into_inner()).drain(..).map(|f| f.path).collect();
        for path in files {
            let _ = self.destination.store.delete(&path).await;
        }
        // Anything written but not yet recorded (a writer cut off mid-way) is under the folder.
        let leftovers: Vec<object_store::ObjectMeta> =
            self.destination.store.list(Some(&self.staging)).filter_map(|m| async move { m.ok() }).collect().await;
        for m in leftovers {
            let _ = self.destination.store.delete(&m.location).await;
        }
    }

    fn record(&self, file: WrittenFile) {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).push(file);
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // A statement dropped before it committed (cancelled, failed, panicked): clean up.
        if !self.committed.load(std::sync::atomic::Ordering::SeqCst)
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let this = Staging {
                destination: self.destination.clone(),
                staging: self.staging.clone(),
                files: Mutex::new(std::mem::take(&mut *self.files.lock().unwrap_or_else(|p| p.into_inner()))),
                committed: std::sync::atomic::AtomicBool::new(true),
            };
            handle.spawn(async move { this.discard().await });
        }
    }
}

/// Writes every stream (one task per stream) into staged files. Returns the staged files.
pub async fn write_streams(
    streams: Vec<SendableRecordBatchStream>,
    schema: SchemaRef,
    spec: Arc<WriteSpec>,
    staging: Arc<Staging>,
) -> Result<()> {
    let partition_indices: Vec<usize> =
        spec.partition_by.iter().map(|c| schema.index_of(c)).collect::<std::result::Result<_, _>>()?;
    let data_indices: Vec<usize> = (0..schema.fields().len()).filter(|i| !partition_indices.contains(i)).collect();
    let file_schema = Arc::new(schema.project(&data_indices)?);
    let bucket_indices: Vec<usize> = match &spec.bucketing {
        Some(b) => b.columns.iter().map(|c| schema.index_of(c)).collect::<std::result::Result<_, _>>()?,
        None => Vec::new(),
    };
    let seen = Arc::new(Mutex::new(std::collections::HashSet::<FileKey>::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for (n, stream) in streams.into_iter().enumerate() {
        let task = WriterTask {
            n,
            spec: spec.clone(),
            staging: staging.clone(),
            partition_indices: partition_indices.clone(),
            data_indices: data_indices.clone(),
            bucket_indices: bucket_indices.clone(),
            file_schema: file_schema.clone(),
            seen: seen.clone(),
            files: HashMap::new(),
            sequence: 0,
        };
        tasks.spawn(task.run(stream));
    }
    while let Some(result) = tasks.join_next().await {
        result.map_err(|e| DataFusionError::External(Box::new(e)))??;
    }
    Ok(())
}

struct WriterTask {
    n: usize,
    spec: Arc<WriteSpec>,
    staging: Arc<Staging>,
    partition_indices: Vec<usize>,
    data_indices: Vec<usize>,
    bucket_indices: Vec<usize>,
    file_schema: SchemaRef,
    seen: Arc<Mutex<std::collections::HashSet<FileKey>>>,
    files: HashMap<FileKey, PartitionFiles>,
    sequence: usize,
}

impl WriterTask {
    async fn run(mut self, mut stream: SendableRecordBatchStream) -> Result<()> {
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            if batch.num_rows() == 0 {
                continue;
            }
            for (key, part) in self.split(&batch)? {
                self.append(key, &part).await?;
            }
        }
        let keys: Vec<FileKey> = self.files.keys().cloned().collect();
        for key in keys {
            self.flush(&key).await?;
        }
        Ok(())
    }

    /// The batch's rows by partition and bucket (partition columns removed).
    fn split(&self, batch: &RecordBatch) -> Result<Vec<(FileKey, RecordBatch)>> {
        let data: Vec<ArrayRef> = self.data_indices.iter().map(|i| batch.column(*i).clone()).collect();
        if self.partition_indices.is_empty() && self.spec.bucketing.is_none() {
            return Ok(vec![((Vec::new(), None), RecordBatch::try_new(self.file_schema.clone(), data)?)]);
        }
        let bucket_columns: Vec<&dyn datafusion::arrow::array::Array> =
            self.bucket_indices.iter().map(|i| batch.column(*i).as_ref()).collect();
        let mut groups: BTreeMap<FileKey, Vec<u32>> = BTreeMap::new();
        for row in 0..batch.num_rows() {
            let key: Vec<Option<String>> =
                self.partition_indices.iter().map(|i| value_text(batch.column(*i).as_ref(), row)).collect();
            let bucket = match &self.spec.bucketing {
                Some(b) => Some(bucket_of(&bucket_columns, row, b.count)?),
                None => None,
            };
            groups.entry((key, bucket)).or_default().push(row as u32);
        }
        let mut out = Vec::with_capacity(groups.len());
        for (key, rows) in groups {
            let indices = UInt32Array::from(rows);
            let columns: Vec<ArrayRef> =
                data.iter().map(|c| take(c.as_ref(), &indices, None)).collect::<std::result::Result<_, _>>()?;
            out.push((key, RecordBatch::try_new(self.file_schema.clone(), columns)?));
        }
        Ok(out)
    }

    async fn append(&mut self, key: FileKey, batch: &RecordBatch) -> Result<()> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.insert(key.clone()) && seen.len() > self.spec.max_partitions {
                return Err(DataFusionError::Execution(format!(
                    "HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of {} open writers for partitions/buckets",
                    self.spec.max_partitions
                )));
            }
        }
        let entry = match self.files.entry(key.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(PartitionFiles { encoder: None, rows: 0, partition: key.0.clone(), bucket: key.1 })
            }
        };
        if entry.encoder.is_none() {
            entry.encoder = Some(Encoder::new(&self.spec.format, self.spec.compression, self.file_schema.clone())?);
        }
        if let Some(encoder) = entry.encoder.as_mut() {
            encoder.write(batch)?;
            entry.rows += batch.num_rows() as u64;
            if encoder.size() >= FILE_TARGET_BYTES {
                self.flush(&key).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, key: &FileKey) -> Result<()> {
        let Some(entry) = self.files.get_mut(key) else { return Ok(()) };
        let Some(encoder) = entry.encoder.take() else { return Ok(()) };
        let rows = std::mem::take(&mut entry.rows);
        let partition = entry.partition.clone();
        let bucket = entry.bucket.map(|b| format!("{b:06}_0_")).unwrap_or_default();
        let bytes = encoder.finish(self.spec.compression)?;
        let folder = partition_folder(&self.spec.partition_by, &partition);
        let name = format!(
            "{bucket}{}_{:05}_{:05}{}",
            self.spec.file_prefix,
            self.n,
            self.sequence,
            extension(&self.spec.format, self.spec.compression)
        );
        self.sequence += 1;
        let relative = if folder.is_empty() { name } else { format!("{folder}/{name}") };
        let path = Path::parse(format!("{}/{relative}", self.staging.staging.as_ref()))
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let size = bytes.len() as u64;
        self.staging.destination.store.put(&path, PutPayload::from(bytes)).await?;
        self.staging.record(WrittenFile { path, partition, rows, bytes: size });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_folders_escape_like_hive() {
        let keys = vec!["dt".to_string(), "region".to_string()];
        assert_eq!(
            partition_folder(&keys, &[Some("2024-01-01".into()), Some("a/b".into())]),
            "dt=2024-01-01/region=a%2Fb"
        );
        assert_eq!(partition_folder(&keys, &[None, Some("x".into())]), "dt=__HIVE_DEFAULT_PARTITION__/region=x");
    }

    /// Values computed with Java: `"abc".getBytes(UTF_8)` folded as `h = 31 * h + b` from 0 is
    /// 96354; `Long.hashCode(5_000_000_000L)` is 705032705; `Double.hashCode(1.5)` is 1073217536;
    /// `Float.floatToIntBits(1.5f)` is 1069547520.
    #[test]
    fn hive_hashes_are_javas() {
        use datafusion::arrow::array::{BooleanArray, Float32Array, Float64Array, Int32Array, Int64Array, StringArray};
        assert_eq!(hive_hash(&StringArray::from(vec!["abc"]), 0).unwrap(), 96354);
        assert_eq!(hive_hash(&StringArray::from(vec![""]), 0).unwrap(), 0);
        // Bytes are signed in Java: "é" is C3 A9, i.e. -61 and -87.
        assert_eq!(hive_hash(&StringArray::from(vec!["é"]), 0).unwrap(), -61 * 31 - 87);
        assert_eq!(hive_hash(&Int64Array::from(vec![5_000_000_000]), 0).unwrap(), 705032705);
        assert_eq!(hive_hash(&Int64Array::from(vec![-1]), 0).unwrap(), 0);
        assert_eq!(hive_hash(&Int32Array::from(vec![-7]), 0).unwrap(), -7);
        assert_eq!(hive_hash(&Float64Array::from(vec![1.5]), 0).unwrap(), 1073217536);
        assert_eq!(hive_hash(&Float32Array::from(vec![1.5]), 0).unwrap(), 1069547520);
        assert_eq!(hive_hash(&BooleanArray::from(vec![true]), 0).unwrap(), 1);
        assert_eq!(hive_hash(&Int32Array::from(vec![None]), 0).unwrap(), 0);
        // Two columns: 31 * h1 + h2, then (h & MAX) % n.
        let (a, b) = (Int32Array::from(vec![3]), StringArray::from(vec!["abc"]));
        assert_eq!(bucket_of(&[&a, &b], 0, 8).unwrap(), ((3 * 31 + 96354) & i32::MAX) as u32 % 8);
        assert_eq!(bucket_of(&[&Int32Array::from(vec![-7])], 0, 4).unwrap(), (-7i32 & i32::MAX) as u32 % 4);
    }

    #[test]
    fn text_values_escape_what_would_break_a_row() {
        let mut out = Vec::new();
        escape_text("a,b\\c\nd", b',', &mut out);
        assert_eq!(out, b"a\\,b\\\\c\\nd");
        assert_eq!(extension(&FileFormat::Text { delimiter: 1 }, FileCompression::Gzip), ".gz");
        assert_eq!(extension(&FileFormat::Json, FileCompression::None), ".json");
        assert_eq!(FileCompression::parse("snappy").unwrap(), FileCompression::Snappy);
        assert!(FileCompression::parse("lzo").is_err());
    }
}
