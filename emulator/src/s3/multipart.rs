//! Multipart uploads: create, upload (or copy) parts, list parts and uploads, complete, abort.
//! Parts are files under `<root>/.uploads/<upload-id>/`; completing concatenates them into a
//! temporary file renamed into place, so a failed completion leaves the upload intact.

use super::io::{self, Expected, system_time};
use super::normalize::Trailers;
use super::objects::{check_copy_source, commit_error, key_error};
use super::store::{PartInfo, Upload};
use super::{LakeboxS3, bucket_owner, internal};
use s3s::crypto::Checksum as _;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every part but the last must be at least this large (S3's rule).
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

fn now_secs() -> f64 {
    crate::catalog::now()
}

fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=10_000).contains(&n) {
        Ok(())
    } else {
        Err(s3_error!(InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive"))
    }
}

impl LakeboxS3 {
    async fn require_upload(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<Upload> {
        self.require_bucket(bucket).await?;
        self.store.upload(bucket, key, upload_id).map_err(internal)?.ok_or_else(|| {
            s3_error!(
                NoSuchUpload,
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been \
                 aborted or completed."
            )
        })
    }

    pub(super) async fn create_multipart_upload_impl(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        self.require_bucket(&input.bucket).await?;
        self.store.object_path(&input.bucket, &input.key).map_err(key_error)?;
        if input.key.ends_with('/') {
            return Err(super::objects::marker_with_data());
        }
        let meta = io::meta_from_input!(input);
        let checksum_algorithm = input.checksum_algorithm.map(|a| a.as_str().to_ascii_uppercase());
        let upload = Upload {
            upload_id: uuid::Uuid::new_v4().simple().to_string(),
            bucket: input.bucket.clone(),
            key: input.key.clone(),
            initiated: now_secs(),
            meta,
            checksum_algorithm: checksum_algorithm.clone(),
        };
        self.store.create_upload(&upload).map_err(internal)?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload.upload_id),
            checksum_algorithm: checksum_algorithm.map(ChecksumAlgorithm::from),
            ..Default::default()
        }))
    }

    pub(super) async fn upload_part_impl(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let trailers = req.extensions.get::<Trailers>().cloned();
        let input = req.input;
        check_part_number(input.part_number)?;
        let upload = self.require_upload(&input.bucket, &input.key, &input.upload_id).await?;
        let expected = Expected::new(
            input.content_md5,
            [
                input.checksum_crc32,
                input.checksum_crc32c,
                input.checksum_crc64nvme,
                input.checksum_sha1,
                input.checksum_sha256,
            ],
            input.checksum_algorithm.map(|a| a.as_str().to_string()).or(upload.checksum_algorithm),
            trailers,
        );
        let written = io::write_body(&self.store, input.body, &expected).await?;
        let part = PartInfo {
            number: input.part_number,
            size: written.size,
            etag: written.etag(),
            modified: now_secs(),
            checksums: written.checksums.clone(),
        };
        if let Err(e) = self.store.commit_part(&upload.upload_id, &written.temp, &part).await {
            let _ = tokio::fs::remove_file(&written.temp).await;
            // The upload was aborted or completed while this part was arriving.
            if e.kind() == std::io::ErrorKind::NotFound {
                return Err(s3_error!(NoSuchUpload, "The specified upload does not exist."));
            }
            return Err(internal(e));
        }
        let [crc32, crc32c, crc64nvme, sha1, sha256] = io::checksum_fields(&part.checksums);
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(part.etag)),
            checksum_crc32: crc32,
            checksum_crc32c: crc32c,
            checksum_crc64nvme: crc64nvme,
            checksum_sha1: sha1,
            checksum_sha256: sha256,
            ..Default::default()
        }))
    }

    pub(super) async fn upload_part_copy_impl(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = req.input;
        check_part_number(input.part_number)?;
        let upload = self.require_upload(&input.bucket, &input.key, &input.upload_id).await?;
        let (src_bucket, src_key) = match &input.copy_source {
            CopySource::Bucket { bucket, key, .. } => (bucket.to_string(), key.to_string()),
            _ => return Err(s3_error!(NotImplemented, "Copying from an access point is not supported")),
        };
        let source = self.require_object(&src_bucket, &src_key).await?;
        check_copy_source(
            &source,
            input.copy_source_if_match.as_ref(),
            input.copy_source_if_unmodified_since.as_ref(),
            input.copy_source_if_none_match.as_ref(),
            input.copy_source_if_modified_since.as_ref(),
        )?;
        let (start, end) = match input.copy_source_range.as_deref() {
            None => (0, source.size),
            Some(text) => parse_copy_range(text, source.size)?,
        };
        let src_path = self.store.object_path(&src_bucket, &src_key).map_err(key_error)?;
        let temp = self.store.temp_path();
        let copied = copy_range(&src_path, &temp, start, end - start).await;
        let md5 = match copied {
            Ok(md5) => md5,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(internal(e));
            }
        };
        let part = PartInfo {
            number: input.part_number,
            size: end - start,
            etag: hex::encode(md5),
            modified: now_secs(),
            checksums: Default::default(),
        };
        if let Err(e) = self.store.commit_part(&upload.upload_id, &temp, &part).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(internal(e));
        }
        let result = CopyPartResult {
            e_tag: Some(ETag::Strong(part.etag)),
            last_modified: Some(Timestamp::from(system_time(part.modified))),
            ..Default::default()
        };
        Ok(S3Response::new(UploadPartCopyOutput { copy_part_result: Some(result), ..Default::default() }))
    }

    pub(super) async fn list_parts_impl(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let upload = self.require_upload(&input.bucket, &input.key, &input.upload_id).await?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = input.max_parts.unwrap_or(1000).clamp(0, 1000) as usize;
        let all: Vec<PartInfo> =
            self.store.parts(&upload.upload_id).map_err(internal)?.into_iter().filter(|p| p.number > marker).collect();
        let truncated = all.len() > max;
        let page: Vec<PartInfo> = all.into_iter().take(max).collect();
        let next = if truncated { page.last().map(|p| p.number) } else { None };
        let parts = page
            .into_iter()
            .map(|p| {
                let [crc32, crc32c, crc64nvme, sha1, sha256] = io::checksum_fields(&p.checksums);
                Part {
                    part_number: Some(p.number),
                    size: Some(p.size as i64),
                    e_tag: Some(ETag::Strong(p.etag)),
                    last_modified: Some(Timestamp::from(system_time(p.modified))),
                    checksum_crc32: crc32,
                    checksum_crc32c: crc32c,
                    checksum_crc64nvme: crc64nvme,
                    checksum_sha1: sha1,
                    checksum_sha256: sha256,
                }
            })
            .collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload.upload_id),
            part_number_marker: Some(marker),
            next_part_number_marker: next,
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            parts: Some(parts),
            owner: Some(bucket_owner()),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            ..Default::default()
        }))
    }

    pub(super) async fn list_multipart_uploads_impl(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        self.require_bucket(&input.bucket).await?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input.max_uploads.unwrap_or(1000).clamp(0, 1000) as usize;
        let key_marker = input.key_marker.clone().unwrap_or_default();
        let id_marker = input.upload_id_marker.clone();
        let mut candidates: Vec<Upload> = self
            .store
            .uploads(&input.bucket)
            .map_err(internal)?
            .into_iter()
            .filter(|u| u.key.starts_with(&prefix))
            .collect();
        // Resume after the (key-marker, upload-id-marker) upload in listing order; with only a key
        // marker (or an unknown id), after every upload of that key.
        if !key_marker.is_empty() {
            let start = id_marker
                .as_ref()
                .and_then(|id| candidates.iter().position(|u| u.key == key_marker && u.upload_id == *id))
                .map(|i| i + 1)
                .unwrap_or_else(|| candidates.partition_point(|u| u.key <= key_marker));
            candidates.drain(..start);
        }
        let truncated = candidates.len() > max;
        candidates.truncate(max);
        let (next_key, next_id) = match (truncated, candidates.last()) {
            (true, Some(last)) => (Some(last.key.clone()), Some(last.upload_id.clone())),
            _ => (None, None),
        };
        let uploads = candidates
            .into_iter()
            .map(|u| MultipartUpload {
                key: Some(u.key),
                upload_id: Some(u.upload_id),
                initiated: Some(Timestamp::from(system_time(u.initiated))),
                owner: Some(bucket_owner()),
                storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            next_key_marker: next_key,
            next_upload_id_marker: next_id,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            uploads: Some(uploads),
            ..Default::default()
        }))
    }

    pub(super) async fn complete_multipart_upload_impl(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let upload = self.require_upload(&input.bucket, &input.key, &input.upload_id).await?;
        let requested = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        if requested.is_empty() {
            return Err(s3_error!(MalformedXML, "You must specify at least one part"));
        }
        let stored = self.store.parts(&upload.upload_id).map_err(internal)?;
        let mut chosen = Vec::with_capacity(requested.len());
        let mut last_number = 0;
        for part in &requested {
            let number = part.part_number.unwrap_or(0);
            if number <= last_number {
                return Err(s3_error!(InvalidPartOrder, "The list of parts was not in ascending order."));
            }
            last_number = number;
            let found = stored.iter().find(|p| p.number == number).ok_or_else(invalid_part)?;
            if let Some(etag) = &part.e_tag
                && etag.value().trim_matches('"') != found.etag
            {
                return Err(invalid_part());
            }
            chosen.push(found.clone());
        }
        if let Some(small) = chosen[..chosen.len() - 1].iter().find(|p| p.size < MIN_PART_SIZE) {
            return Err(s3_error!(
                EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed object size (part {} has {} bytes).",
                small.number,
                small.size
            ));
        }
        let existing = self.store.head(&input.bucket, &input.key).await.map_err(internal)?;
        io::check_write_preconditions(existing.as_ref(), input.if_match.as_ref(), input.if_none_match.as_ref())?;

        let temp = self.store.temp_path();
        let assembled = self.assemble(&upload.upload_id, &chosen, &temp).await;
        if let Err(e) = assembled {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(internal(e));
        }
        let mut digests = Vec::with_capacity(chosen.len() * 16);
        for part in &chosen {
            digests.extend(hex::decode(&part.etag).map_err(internal)?);
        }
        let mut meta = upload.meta.clone();
        meta.etag = format!("{}-{}", hex::encode(s3s::crypto::Md5::checksum(&digests)), chosen.len());
        meta.parts = Some(chosen.len() as u32);
        meta.checksums = Default::default();
        let guard = self.store.lock().await;
        let existing = self.store.head(&input.bucket, &input.key).await.map_err(internal)?;
        if let Err(e) =
            io::check_write_preconditions(existing.as_ref(), input.if_match.as_ref(), input.if_none_match.as_ref())
        {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
        let committed = self.store.commit(&input.bucket, &input.key, &temp, &meta).await;
        drop(guard);
        let info = match committed {
            Ok(info) => info,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(commit_error(e));
            }
        };
        self.store.remove_upload(&upload.upload_id).await.map_err(internal)?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            e_tag: Some(io::etag(&info.meta)),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            ..Default::default()
        }))
    }

    /// Concatenates the chosen parts into `temp`.
    async fn assemble(&self, upload_id: &str, parts: &[PartInfo], temp: &std::path::Path) -> std::io::Result<()> {
        let mut out = tokio::fs::File::create(temp).await?;
        for part in parts {
            let mut input = tokio::fs::File::open(self.store.part_path(upload_id, part.number)).await?;
            tokio::io::copy(&mut input, &mut out).await?;
        }
        out.flush().await
    }

    pub(super) async fn abort_multipart_upload_impl(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = req.input;
        let upload = self.require_upload(&input.bucket, &input.key, &input.upload_id).await?;
        self.store.remove_upload(&upload.upload_id).await.map_err(internal)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}

fn invalid_part() -> s3s::S3Error {
    s3_error!(
        InvalidPart,
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the \
         specified entity tag may not match the part's entity tag."
    )
}

/// `bytes=first-last` of `x-amz-copy-source-range`, as a half-open range.
fn parse_copy_range(text: &str, size: u64) -> S3Result<(u64, u64)> {
    let bad = || s3_error!(InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last");
    let (first, last) = text.strip_prefix("bytes=").and_then(|r| r.split_once('-')).ok_or_else(bad)?;
    let first: u64 = first.trim().parse().map_err(|_| bad())?;
    let last: u64 = last.trim().parse().map_err(|_| bad())?;
    if first > last || last >= size {
        return Err(s3_error!(InvalidRange, "The requested range is not satisfiable"));
    }
    Ok((first, last + 1))
}

/// Copies `len` bytes from `start` of `src` into a new file `dst`, returning their MD5.
async fn copy_range(src: &std::path::Path, dst: &std::path::Path, start: u64, len: u64) -> std::io::Result<[u8; 16]> {
    use tokio::io::AsyncSeekExt as _;
    let mut input = tokio::fs::File::open(src).await?;
    input.seek(std::io::SeekFrom::Start(start)).await?;
    let mut input = input.take(len);
    let mut out = tokio::fs::File::create(dst).await?;
    let mut md5 = s3s::crypto::Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        out.write_all(&buf[..n]).await?;
    }
    out.flush().await?;
    Ok(md5.finalize())
}
