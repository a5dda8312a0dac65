//! Moving bytes: request bodies into temporary files (hashed and verified on the way) and files
//! out as response bodies; plus the checksum, metadata and precondition rules shared by the
//! object operations.

use super::internal;
use super::normalize::Trailers;
use super::store::{ObjectInfo, ObjectMeta, ObjectStore};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures::StreamExt;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::Checksum as _;
use s3s::dto::{ETag, ETagCondition, StreamingBlob, Timestamp};
use s3s::{S3Error, S3Result, s3_error};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

/// The algorithms of the `x-amz-checksum-*` headers.
pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

/// Checksums a client sent with a write, by algorithm, plus the algorithms it asked for.
#[derive(Debug, Default)]
pub struct Expected {
    pub content_md5: Option<String>,
    pub checksums: BTreeMap<String, String>,
    pub algorithm: Option<String>,
    pub trailers: Option<Trailers>,
}

impl Expected {
    /// Collects the `x-amz-checksum-*` values (in the order of [`ALGORITHMS`]).
    pub fn new(
        content_md5: Option<String>,
        values: [Option<String>; 5],
        algorithm: Option<String>,
        trailers: Option<Trailers>,
    ) -> Self {
        let checksums = ALGORITHMS.iter().zip(values).filter_map(|(name, v)| Some((name.to_string(), v?))).collect();
        Self { content_md5, checksums, algorithm: algorithm.map(|a| a.to_ascii_uppercase()), trailers }
    }
}

/// A body written to a temporary file.
#[derive(Debug)]
pub struct Written {
    pub temp: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    /// Base64 checksums by algorithm, for every algorithm the client used or asked for.
    pub checksums: BTreeMap<String, String>,
}

impl Written {
    /// The ETag of a single-part object: hex MD5.
    pub fn etag(&self) -> String {
        hex::encode(self.md5)
    }
}

fn hasher_for(algorithms: &[String]) -> ChecksumHasher {
    let mut h = ChecksumHasher::default();
    for a in algorithms {
        match a.as_str() {
            "CRC32" => h.crc32 = Some(s3s::crypto::Crc32::new()),
            "CRC32C" => h.crc32c = Some(s3s::crypto::Crc32c::new()),
            "CRC64NVME" => h.crc64nvme = Some(s3s::crypto::Crc64Nvme::new()),
            "SHA1" => h.sha1 = Some(s3s::crypto::Sha1::new()),
            "SHA256" => h.sha256 = Some(s3s::crypto::Sha256::new()),
            _ => {}
        }
    }
    h
}

/// Streams `body` into a temporary file, computing MD5 and the checksums the client used, and
/// verifies them all before anything is committed. On any failure the temporary file is removed.
pub async fn write_body(store: &ObjectStore, body: Option<StreamingBlob>, expected: &Expected) -> S3Result<Written> {
    let temp = store.temp_path();
    let result = write_verified(&temp, body, expected).await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result.map(|(size, md5, checksums)| Written { temp, size, md5, checksums })
}

async fn write_verified(
    temp: &PathBuf,
    body: Option<StreamingBlob>,
    expected: &Expected,
) -> S3Result<(u64, [u8; 16], BTreeMap<String, String>)> {
    let trailer_algorithms: Vec<String> = match (&expected.trailers, &expected.algorithm) {
        (Some(_), Some(a)) => vec![a.clone()],
        _ => Vec::new(),
    };
    let mut algorithms: Vec<String> = expected.checksums.keys().cloned().collect();
    algorithms.extend(expected.algorithm.iter().cloned());
    algorithms.extend(trailer_algorithms);
    algorithms.sort();
    algorithms.dedup();
    let mut hasher = hasher_for(&algorithms);
    let mut md5 = s3s::crypto::Md5::new();
    let mut file = tokio::fs::File::create(temp).await.map_err(internal)?;
    let mut size = 0u64;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                let text = e.to_string();
                if text.contains("aws-chunked") {
                    s3_error!(IncompleteBody, "{text}")
                } else {
                    s3_error!(IncompleteBody)
                }
            })?;
            md5.update(&chunk);
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(internal)?;
        }
    }
    file.flush().await.map_err(internal)?;
    drop(file);
    let md5: [u8; 16] = md5.finalize();
    let computed = to_map(hasher.finalize());

    if let Some(content_md5) = &expected.content_md5 {
        let given = B64.decode(content_md5.trim()).map_err(|_| s3_error!(InvalidDigest))?;
        if given != md5 {
            return Err(s3_error!(BadDigest, "The Content-MD5 you specified did not match what we received."));
        }
    }
    let mut claimed = expected.checksums.clone();
    if let (Some(trailers), Some(algorithm)) = (&expected.trailers, &expected.algorithm)
        && let Some(value) = trailers.get(&format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase()))
    {
        claimed.insert(algorithm.clone(), value);
    }
    for (algorithm, value) in &claimed {
        if computed.get(algorithm) != Some(value) {
            return Err(s3_error!(BadDigest, "The {} you specified did not match the calculated checksum.", algorithm));
        }
    }
    Ok((size, md5, computed))
}

fn to_map(c: s3s::dto::Checksum) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in ALGORITHMS.iter().zip([
        c.checksum_crc32,
        c.checksum_crc32c,
        c.checksum_crc64nvme,
        c.checksum_sha1,
        c.checksum_sha256,
    ]) {
        if let Some(v) = value {
            out.insert(name.to_string(), v);
        }
    }
    out
}

/// The five `x-amz-checksum-*` values of an object, for an output struct.
pub fn checksum_fields(checksums: &BTreeMap<String, String>) -> [Option<String>; 5] {
    ALGORITHMS.map(|a| checksums.get(a).cloned())
}

/// A file (or part of it) as a response body.
pub async fn read_body(path: &std::path::Path, start: u64, len: u64) -> S3Result<StreamingBlob> {
    use tokio::io::AsyncReadExt as _;
    let mut file = tokio::fs::File::open(path).await.map_err(internal)?;
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start)).await.map_err(internal)?;
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), 1024 * 1024);
    Ok(StreamingBlob::wrap(stream))
}

/// The quoted-value `ETag` of an object.
pub fn etag(meta: &ObjectMeta) -> ETag {
    ETag::Strong(meta.etag.clone())
}

/// A stored timestamp (seconds since the epoch) as `SystemTime`.
pub fn system_time(secs: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0))
}

/// An object's last-modified time, to the second as S3 reports it.
pub fn last_modified(info: &ObjectInfo) -> Timestamp {
    Timestamp::from(truncate_to_second(info.modified))
}

fn truncate_to_second(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn etag_matches(condition: &ETagCondition, info: &ObjectInfo) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == info.meta.etag,
    }
}

/// The read preconditions of GET and HEAD, in S3's order: `If-Match` / `If-Unmodified-Since`
/// fail with 412, `If-None-Match` / `If-Modified-Since` with 304.
pub fn check_read_preconditions(
    info: &ObjectInfo,
    if_match: Option<&ETagCondition>,
    if_unmodified_since: Option<&Timestamp>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let modified = truncate_to_second(info.modified);
    let as_time = |t: &Timestamp| SystemTime::from(time::OffsetDateTime::from(t.clone()));
    match if_match {
        Some(c) if !etag_matches(c, info) => return Err(precondition_failed()),
        None if if_unmodified_since.is_some_and(|t| modified > as_time(t)) => return Err(precondition_failed()),
        _ => {}
    }
    match if_none_match {
        Some(c) if etag_matches(c, info) => return Err(not_modified()),
        None if if_modified_since.is_some_and(|t| modified <= as_time(t)) => return Err(not_modified()),
        _ => {}
    }
    Ok(())
}

/// The write preconditions of PUT and CompleteMultipartUpload (`If-Match`, `If-None-Match: *`).
pub fn check_write_preconditions(
    existing: Option<&ObjectInfo>,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<()> {
    if let Some(c) = if_match {
        match existing {
            None => return Err(s3_error!(NoSuchKey)),
            Some(info) if !etag_matches(c, info) => return Err(precondition_failed()),
            _ => {}
        }
    }
    if let (Some(c), Some(info)) = (if_none_match, existing)
        && etag_matches(c, info)
    {
        return Err(precondition_failed());
    }
    Ok(())
}

fn precondition_failed() -> S3Error {
    s3_error!(PreconditionFailed, "At least one of the pre-conditions you specified did not hold")
}

fn not_modified() -> S3Error {
    s3_error!(NotModified)
}

/// An object's metadata from the members of a write's input (PutObject, CopyObject,
/// CreateMultipartUpload all name them alike).
macro_rules! meta_from_input {
    ($input:expr) => {
        $crate::s3::io::meta_from_headers(
            $input.content_type,
            $input.content_encoding,
            $input.content_disposition,
            $input.content_language,
            $input.cache_control,
            $input.expires.as_ref(),
            $input.metadata,
        )
    };
}
pub(crate) use meta_from_input;

/// An object's metadata from the headers of a write.
#[allow(clippy::too_many_arguments)]
pub fn meta_from_headers(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<&Timestamp>,
    user: Option<s3s::dto::Metadata>,
) -> ObjectMeta {
    let expires = expires.and_then(|t| {
        let mut buf = Vec::new();
        t.format(s3s::dto::TimestampFormat::HttpDate, &mut buf).ok()?;
        String::from_utf8(buf).ok()
    });
    ObjectMeta {
        content_type,
        content_encoding,
        content_disposition,
        content_language,
        cache_control,
        expires,
        user: user.map(|m| m.into_iter().collect()).unwrap_or_default(),
        ..Default::default()
    }
}

/// The `Expires` header of an object back as a timestamp.
pub fn expires(meta: &ObjectMeta) -> Option<Timestamp> {
    Timestamp::parse(s3s::dto::TimestampFormat::HttpDate, meta.expires.as_deref()?).ok()
}

/// User metadata in the shape of an output.
pub fn user_metadata(meta: &ObjectMeta) -> Option<s3s::dto::Metadata> {
    (!meta.user.is_empty()).then(|| meta.user.clone().into_iter().collect())
}

/// The content type S3 reports when none was given.
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";
