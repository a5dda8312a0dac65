//! Amazon S3 on Lakebox's port: the REST protocol (XML, headers, errors, ranges) comes from the
//! `s3s` crate; the operations are implemented here over [`store::ObjectStore`].
//!
//! Every request is first made anonymous ([`normalize`]): Lakebox accepts any credentials, like
//! the other local S3 servers, and a client needs nothing but the endpoint URL.

mod buckets;
mod io;
mod listing;
mod multipart;
pub mod normalize;
mod objects;
pub mod store;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use s3s::dto::*;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3, S3Request, S3Response, S3Result};
use std::sync::Arc;
use store::ObjectStore;

/// The S3 operations of Lakebox.
pub struct LakeboxS3 {
    store: Arc<ObjectStore>,
}

/// Builds the `s3s` service over an object store.
pub fn service(store: Arc<ObjectStore>) -> S3Service {
    let mut builder = S3ServiceBuilder::new(LakeboxS3 { store });
    builder.set_host(LocalHosts);
    builder.build()
}

/// Serves one S3 request.
pub async fn handle(s3: &S3Service, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    let close = ConnectionReuse::of(&request);
    let request = normalize::anonymize(request).map(s3s::Body::http_body_unsync);
    let mut response = match s3.call(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(e) => {
            tracing::error!(request_id, error = ?e, "S3 request failed inside s3s");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amz-request-id", v.clone());
        response.headers_mut().insert("x-amz-id-2", v);
    }
    if close.must_close(response.status()) {
        response.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether the connection can carry another request after this answer. An error answered before
/// the request body was read leaves that body unread (with `Expect: 100-continue` the client may
/// still send it), and an empty upload answered without `100 Continue` trips some clients (the aws
/// CLI's bundled botocore then waits for its read timeout on the next request). In both cases the
/// answer says `Connection: close`, so no client reuses a connection the server is closing.
struct ConnectionReuse {
    has_body: bool,
    expects_continue: bool,
    empty: bool,
}

impl ConnectionReuse {
    fn of(request: &Request) -> Self {
        let headers = request.headers();
        let length =
            headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        let chunked = headers.contains_key(http::header::TRANSFER_ENCODING);
        let expects_continue = headers
            .get(http::header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        Self {
            has_body: chunked || length.is_some_and(|n| n > 0),
            expects_continue,
            empty: length == Some(0) && !chunked,
        }
    }

    fn must_close(&self, status: StatusCode) -> bool {
        (self.has_body && !status.is_success()) || (self.expects_continue && self.empty)
    }
}

/// The answer to S3 requests in external-storage mode: objects live elsewhere.
pub fn external_mode(backend: &crate::storage::Backend) -> Response {
    let endpoint = match backend {
        crate::storage::Backend::External { endpoint, .. } => endpoint.as_str(),
        crate::storage::Backend::Local { .. } => "the configured S3 endpoint",
    };
    let message = format!(
        "Lakebox runs in external-storage mode: send S3 requests to {endpoint} (for example with \
         AWS_ENDPOINT_URL_S3={endpoint}) and Glue and Athena requests to Lakebox"
    );
    let mut error = s3s::s3_error!(NotImplemented, "{message}");
    error.set_status_code(StatusCode::NOT_IMPLEMENTED);
    match error.to_http_response() {
        Ok(response) => response.map(axum::body::Body::new),
        Err(_) => (StatusCode::NOT_IMPLEMENTED, message).into_response(),
    }
}

/// Virtual-host-style addressing: `bucket.localhost:4566` (any port) names the bucket; any other
/// host (an IP address, `localhost`, a container name) means path style.
struct LocalHosts;

const BASE_DOMAINS: [&str; 2] = ["s3.localhost.localstack.cloud", "localhost"];

impl s3s::host::S3Host for LocalHosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<s3s::host::VirtualHost<'a>> {
        let name = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        for base in BASE_DOMAINS {
            if let Some(bucket) = name.strip_suffix(base).and_then(|p| p.strip_suffix('.'))
                && !bucket.is_empty()
            {
                return Ok(s3s::host::VirtualHost::new(base).with_bucket(bucket));
            }
        }
        Ok(s3s::host::VirtualHost::new(name))
    }
}

/// The canonical user id Lakebox reports as every bucket's and object's owner.
const OWNER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

/// The owner of every bucket, object and upload.
fn bucket_owner() -> Owner {
    Owner { display_name: Some("lakebox".into()), id: Some(OWNER_ID.into()) }
}

/// An I/O failure: logged, and reported as S3's `InternalError` without details.
fn internal(error: impl std::fmt::Display) -> s3s::S3Error {
    tracing::error!(%error, "S3 storage error");
    s3s::s3_error!(InternalError, "internal error")
}

#[async_trait::async_trait]
impl S3 for LakeboxS3 {
    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        self.list_buckets_impl(req).await
    }
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        self.create_bucket_impl(req).await
    }
    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.head_bucket_impl(req).await
    }
    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.delete_bucket_impl(req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.get_bucket_location_impl(req).await
    }
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        self.put_object_impl(req).await
    }
    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.get_object_impl(req).await
    }
    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        self.head_object_impl(req).await
    }
    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.delete_object_impl(req).await
    }
    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.delete_objects_impl(req).await
    }
    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        self.copy_object_impl(req).await
    }
    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.list_objects_v2_impl(req).await
    }
    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        self.list_objects_impl(req).await
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.create_multipart_upload_impl(req).await
    }
    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.upload_part_impl(req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.upload_part_copy_impl(req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.complete_multipart_upload_impl(req).await
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.abort_multipart_upload_impl(req).await
    }
    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.list_parts_impl(req).await
    }
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        self.list_multipart_uploads_impl(req).await
    }
}
