//! ListObjectsV2 and ListObjects (v1): prefix, delimiter, paging, `encoding-type=url`.

use super::bucket_owner;
use super::io;
use super::store::ObjectInfo;
use super::{LakeboxS3, internal};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

/// One page of a listing: objects and common prefixes, in key order.
pub(super) struct Listed {
    pub objects: Vec<ObjectInfo>,
    pub prefixes: Vec<String>,
    /// The last key or prefix returned, when more follow.
    pub next: Option<String>,
}

/// Lists `bucket` from after `after`, grouping keys by `delimiter` below `prefix`, at most `max` entries.
pub(super) async fn list_page(
    s3: &LakeboxS3,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> S3Result<Listed> {
    s3.require_bucket(bucket).await?;
    let all = s3.store.list(bucket, prefix).await.map_err(internal)?;
    let mut listed = Listed { objects: Vec::new(), prefixes: Vec::new(), next: None };
    if max == 0 {
        return Ok(listed);
    }
    let mut count = 0;
    for info in all {
        if let Some(after) = after
            && (info.key.as_str() <= after || (after_is_group(after, prefix, delimiter) && info.key.starts_with(after)))
        {
            continue;
        }
        let group = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            let rest = &info.key[prefix.len()..];
            rest.find(d).map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if let Some(group) = &group
            && listed.prefixes.last() == Some(group)
        {
            continue;
        }
        if count == max {
            listed.next = Some(match (listed.objects.last(), listed.prefixes.last()) {
                (Some(o), Some(p)) => o.key.clone().max(p.clone()),
                (Some(o), None) => o.key.clone(),
                (None, Some(p)) => p.clone(),
                (None, None) => String::new(),
            });
            break;
        }
        count += 1;
        match group {
            Some(group) => listed.prefixes.push(group),
            None => listed.objects.push(info),
        }
    }
    Ok(listed)
}

/// Whether a continuation point is a rolled-up common prefix (the delimiter's first occurrence
/// after `prefix` ends it) rather than an object, such as a directory marker `a/`, that happens to
/// end with the delimiter.
fn after_is_group(after: &str, prefix: &str, delimiter: Option<&str>) -> bool {
    let Some(d) = delimiter.filter(|d| !d.is_empty()) else { return false };
    after.strip_prefix(prefix).and_then(|rest| rest.find(d).map(|i| i + d.len() == rest.len())) == Some(true)
}

/// `encoding-type=url`: keys and prefixes percent-encoded (all but unreserved characters and `/`).
fn encoder(encoding_type: Option<&EncodingType>) -> impl Fn(String) -> String + use<> {
    let url = encoding_type.is_some_and(|e| e.as_str().eq_ignore_ascii_case("url"));
    move |s: String| {
        if !url {
            return s;
        }
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

fn object_entry(info: ObjectInfo, encode: &impl Fn(String) -> String, owner: bool) -> Object {
    Object {
        e_tag: Some(io::etag(&info.meta)),
        last_modified: Some(io::last_modified(&info)),
        size: Some(info.size as i64),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        owner: owner.then(bucket_owner),
        key: Some(encode(info.key)),
        ..Default::default()
    }
}

fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "max-keys must be non-negative")),
        Some(n) => Ok((n as usize).min(1000)),
        None => Ok(1000),
    }
}

impl LakeboxS3 {
    pub(super) async fn list_objects_v2_impl(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys)?;
        let token = match input.continuation_token.as_deref() {
            Some(t) => Some(
                URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| s3_error!(InvalidArgument, "The continuation token provided is incorrect"))?,
            ),
            None => None,
        };
        let after = token.as_deref().or(input.start_after.as_deref());
        let page = list_page(self, &input.bucket, &prefix, input.delimiter.as_deref(), after, max).await?;
        let encode = encoder(input.encoding_type.as_ref());
        let key_count = (page.objects.len() + page.prefixes.len()) as i32;
        let owner = input.fetch_owner.unwrap_or(false);
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(encode(prefix)),
            delimiter: input.delimiter.map(&encode),
            max_keys: Some(max as i32),
            key_count: Some(key_count),
            is_truncated: Some(page.next.is_some()),
            next_continuation_token: page.next.map(|n| URL_SAFE_NO_PAD.encode(n)),
            continuation_token: input.continuation_token,
            start_after: input.start_after.map(&encode),
            contents: Some(page.objects.into_iter().map(|o| object_entry(o, &encode, owner)).collect()),
            common_prefixes: Some(
                page.prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(encode(p)) }).collect(),
            ),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    pub(super) async fn list_objects_impl(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys)?;
        let page =
            list_page(self, &input.bucket, &prefix, input.delimiter.as_deref(), input.marker.as_deref(), max).await?;
        let encode = encoder(input.encoding_type.as_ref());
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(encode(prefix)),
            marker: Some(encode(input.marker.unwrap_or_default())),
            delimiter: input.delimiter.map(&encode),
            max_keys: Some(max as i32),
            is_truncated: Some(page.next.is_some()),
            next_marker: page.next.map(&encode),
            contents: Some(page.objects.into_iter().map(|o| object_entry(o, &encode, true)).collect()),
            common_prefixes: Some(
                page.prefixes.into_iter().map(|p| CommonPrefix { prefix: Some(encode(p)) }).collect(),
            ),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }
}
