//! Object operations: PutObject, GetObject, HeadObject, DeleteObject(s), CopyObject.

use super::io::{self, DEFAULT_CONTENT_TYPE, Expected};
use super::normalize::Trailers;
use super::store::{KeyError, ObjectInfo};
use super::{LakeboxS3, internal};
use s3s::dto::*;
use s3s::{S3Error, S3Request, S3Response, S3Result, s3_error};

/// How a key that cannot be a file is reported.
pub(super) fn key_error(e: KeyError) -> S3Error {
    s3_error!(InvalidArgument, "{e}")
}

/// A key ending in `/` is a directory marker: Lakebox stores it as a directory, which holds no bytes.
pub(super) fn marker_with_data() -> S3Error {
    s3_error!(
        InvalidArgument,
        "Lakebox stores keys ending in '/' as directories (folder markers), which cannot hold data; \
         only an empty object can be written to such a key"
    )
}

/// How a failed commit is reported: a key/file collision is the client's, the rest is ours.
pub(super) fn commit_error(e: std::io::Error) -> S3Error {
    match e.kind() {
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::InvalidInput => s3_error!(InvalidRequest, "{e}"),
        _ => internal(e),
    }
}

/// The output of GetObject or HeadObject (same header members): an object's stored headers and
/// the given checksums, plus the operation's own members.
macro_rules! object_headers {
    ($output:ident, $info:expr, $checksums:expr, { $($field:ident: $value:expr),* $(,)? }) => {{
        let info: &ObjectInfo = $info;
        let meta = &info.meta;
        let [crc32, crc32c, crc64nvme, sha1, sha256] = $checksums;
        $output {
            $($field: $value,)*
            accept_ranges: Some("bytes".into()),
            content_type: Some(meta.content_type.clone().unwrap_or_else(|| DEFAULT_CONTENT_TYPE.into())),
            content_encoding: meta.content_encoding.clone(),
            content_disposition: meta.content_disposition.clone(),
            content_language: meta.content_language.clone(),
            cache_control: meta.cache_control.clone(),
            expires: io::expires(meta),
            e_tag: Some(io::etag(meta)),
            last_modified: Some(io::last_modified(info)),
            metadata: io::user_metadata(meta),
            parts_count: meta.parts.map(|p| p as i32),
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_crc64nvme: crc64nvme,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            ..Default::default()
        }
    }};
}

impl LakeboxS3 {
    /// The object, or `NoSuchKey` (after `NoSuchBucket`).
    pub(super) async fn require_object(&self, bucket: &str, key: &str) -> S3Result<ObjectInfo> {
        self.require_bucket(bucket).await?;
        self.store
            .head(bucket, key)
            .await
            .map_err(internal)?
            .ok_or_else(|| s3_error!(NoSuchKey, "The specified key does not exist."))
    }

    pub(super) async fn put_object_impl(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let trailers = req.extensions.get::<Trailers>().cloned();
        let input = req.input;
        self.require_bucket(&input.bucket).await?;
        self.store.object_path(&input.bucket, &input.key).map_err(key_error)?;
        let existing = self.store.head(&input.bucket, &input.key).await.map_err(internal)?;
        io::check_write_preconditions(existing.as_ref(), input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let expected = Expected::new(
            input.content_md5,
            [
                input.checksum_crc32,
                input.checksum_crc32c,
                input.checksum_crc64nvme,
                input.checksum_sha1,
                input.checksum_sha256,
            ],
            input.checksum_algorithm.map(|a| a.as_str().to_string()),
            trailers,
        );
        let written = io::write_body(&self.store, input.body, &expected).await?;
        if input.key.ends_with('/') && written.size > 0 {
            let _ = tokio::fs::remove_file(&written.temp).await;
            return Err(marker_with_data());
        }
        let mut meta = io::meta_from_input!(input);
        meta.etag = written.etag();
        meta.checksums = written.checksums.clone();
        // The preconditions again, now atomically with the commit: of concurrent conditional
        // writers, exactly one wins.
        let guard = self.store.lock().await;
        let existing = self.store.head(&input.bucket, &input.key).await.map_err(internal)?;
        if let Err(e) =
            io::check_write_preconditions(existing.as_ref(), input.if_match.as_ref(), input.if_none_match.as_ref())
        {
            let _ = tokio::fs::remove_file(&written.temp).await;
            return Err(e);
        }
        let committed = self.store.commit(&input.bucket, &input.key, &written.temp, &meta).await;
        drop(guard);
        let info = match committed {
            Ok(info) => info,
            Err(e) => {
                let _ = tokio::fs::remove_file(&written.temp).await;
                return Err(commit_error(e));
            }
        };
        let [crc32, crc32c, crc64nvme, sha1, sha256] = io::checksum_fields(&meta.checksums);
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(io::etag(&info.meta)),
            size: Some(info.size as i64),
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_crc64nvme: crc64nvme,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            ..Default::default()
        }))
    }

    pub(super) async fn get_object_impl(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let info = self.require_object(&input.bucket, &input.key).await?;
        io::check_read_preconditions(
            &info,
            input.if_match.as_ref(),
            input.if_unmodified_since.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
        )?;
        let (start, end, content_range) = match &input.range {
            None => (0, info.size, None),
            Some(range) => {
                let r = range.check(info.size).map_err(|_| {
                    s3_error!(InvalidRange, "The requested range is not satisfiable (object size {})", info.size)
                })?;
                (r.start, r.end, Some(format!("bytes {}-{}/{}", r.start, r.end - 1, info.size)))
            }
        };
        let whole = content_range.is_none();
        let path = self.store.object_path(&input.bucket, &input.key).map_err(key_error)?;
        let body = if info.key.ends_with('/') || end == start {
            StreamingBlob::wrap(futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>())
        } else {
            io::read_body(&path, start, end - start).await?
        };
        let checksums = if whole && checksum_mode_enabled(input.checksum_mode.as_ref()) && info.meta.parts.is_none() {
            io::checksum_fields(&info.meta.checksums)
        } else {
            Default::default()
        };
        Ok(S3Response::new(object_headers!(GetObjectOutput, &info, checksums, {
            body: Some(body),
            content_length: Some((end - start) as i64),
            content_range: content_range,
        })))
    }

    pub(super) async fn head_object_impl(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let info = self.require_object(&input.bucket, &input.key).await?;
        io::check_read_preconditions(
            &info,
            input.if_match.as_ref(),
            input.if_unmodified_since.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
        )?;
        let checksums = if checksum_mode_enabled(input.checksum_mode.as_ref()) && info.meta.parts.is_none() {
            io::checksum_fields(&info.meta.checksums)
        } else {
            Default::default()
        };
        Ok(S3Response::new(object_headers!(HeadObjectOutput, &info, checksums, {
            content_length: Some(info.size as i64),
        })))
    }

    pub(super) async fn delete_object_impl(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        self.require_bucket(&input.bucket).await?;
        let _guard = self.store.lock().await;
        if let Some(condition) = &input.if_match {
            let existing = self.store.head(&input.bucket, &input.key).await.map_err(internal)?;
            io::check_write_preconditions(existing.as_ref(), Some(condition), None)?;
        }
        self.store.delete(&input.bucket, &input.key).await.map_err(internal)?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    pub(super) async fn delete_objects_impl(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        self.require_bucket(&input.bucket).await?;
        if input.delete.objects.len() > 1000 {
            return Err(s3_error!(MalformedXML, "A DeleteObjects request can name at most 1000 keys"));
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        let _guard = self.store.lock().await;
        for object in input.delete.objects {
            match self.store.delete(&input.bucket, &object.key).await {
                Ok(()) if !quiet => deleted.push(DeletedObject { key: Some(object.key), ..Default::default() }),
                Ok(()) => {}
                Err(e) => {
                    tracing::error!(error = %e, key = object.key, "delete failed");
                    errors.push(Error {
                        code: Some("InternalError".into()),
                        key: Some(object.key),
                        message: Some("internal error".into()),
                        version_id: None,
                    });
                }
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput { deleted: Some(deleted), errors: Some(errors), ..Default::default() }))
    }

    pub(super) async fn copy_object_impl(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let (src_bucket, src_key) = match &input.copy_source {
            CopySource::Bucket { bucket, key, .. } => (bucket.to_string(), key.to_string()),
            _ => return Err(s3_error!(NotImplemented, "Copying from an access point is not supported")),
        };
        let source = self.require_object(&src_bucket, &src_key).await?;
        self.require_bucket(&input.bucket).await?;
        self.store.object_path(&input.bucket, &input.key).map_err(key_error)?;
        check_copy_source(
            &source,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
            input.copy_source_if_none_match.as_ref(),
            input.copy_source_if_modified_since.as_ref(),
        )?;
        let replace = input.metadata_directive.as_ref().is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        if !replace && src_bucket == input.bucket && src_key == input.key {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the \
                 object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }
        if input.key.ends_with('/') && source.size > 0 {
            return Err(marker_with_data());
        }
        let src_path = self.store.object_path(&src_bucket, &src_key).map_err(key_error)?;
        let temp = self.store.temp_path();
        if source.key.ends_with('/') {
            tokio::fs::write(&temp, b"").await.map_err(internal)?;
        } else {
            tokio::fs::copy(&src_path, &temp).await.map_err(internal)?;
        }
        let mut meta = if replace { io::meta_from_input!(input) } else { source.meta.clone() };
        meta.etag = source.meta.etag.clone();
        meta.checksums = source.meta.checksums.clone();
        meta.parts = source.meta.parts;
        let guard = self.store.lock().await;
        let committed = self.store.commit(&input.bucket, &input.key, &temp, &meta).await;
        drop(guard);
        let info = match committed {
            Ok(info) => info,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(commit_error(e));
            }
        };
        let result = CopyObjectResult {
            e_tag: Some(io::etag(&info.meta)),
            last_modified: Some(io::last_modified(&info)),
            ..Default::default()
        };
        Ok(S3Response::new(CopyObjectOutput { copy_object_result: Some(result), ..Default::default() }))
    }
}

fn checksum_mode_enabled(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// `x-amz-copy-source-if-*`: a failed condition is 412 (never 304) for copies.
pub(super) fn check_copy_source(
    source: &ObjectInfo,
    if_match: Option<&ETagCondition>,
    if_unmodified_since: Option<&Timestamp>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
) -> S3Result<()> {
    io::check_read_preconditions(source, if_match, if_unmodified_since, if_none_match, if_modified_since).map_err(|e| {
        if *e.code() == s3s::S3ErrorCode::NotModified {
            s3_error!(PreconditionFailed, "At least one of the pre-conditions you specified did not hold")
        } else {
            e
        }
    })
}
