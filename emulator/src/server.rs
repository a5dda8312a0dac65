//! The HTTP front: one router for every service on one port.
//!
//! `/_lakebox/...` is Lakebox's own control API; a request with `X-Amz-Target` is AWS JSON 1.1
//! (Glue, Athena); a request signed for `sts` (or an unsigned form `POST /`) is STS's query
//! protocol; anything else is S3's REST API.

use crate::catalog::Catalog;
use crate::protocol::{self, AMZ_JSON_1_1, AwsError, Reply, RequestContext};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;

/// The largest AWS JSON request body accepted (larger ones get HTTP 413).
pub const MAX_JSON_BODY: usize = 10 * 1024 * 1024;

/// What every handler shares.
pub struct AppState {
    pub catalog: Arc<Catalog>,
    pub athena: Arc<crate::athena::Athena>,
    /// The S3 protocol service over `objects` (None in external-storage mode).
    pub s3: Option<s3s::service::S3Service>,
    pub objects: Option<Arc<crate::s3::store::ObjectStore>>,
    /// Where table data and query results are read and written.
    pub storage: Arc<crate::storage::Storage>,
    /// The data dir when none was given (removed on drop).
    pub _temporary: Option<tempfile::TempDir>,
}

/// The whole service as a router (testable with `tower::ServiceExt::oneshot`).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/_lakebox/health", get(health))
        .route("/_lakebox/reset", post(reset))
        .route("/_lakebox/faults", post(add_faults).delete(clear_faults))
        .fallback(entry)
        .with_state(state)
}

async fn health() -> Response {
    json_response(StatusCode::OK, serde_json::json!({ "status": "ok", "version": crate::VERSION }))
}

/// `POST /_lakebox/faults`: the next `count` queries (default 1) fail with `error_name` (and
/// `message`), or stay RUNNING for `delay_millis` first. `DELETE` forgets them.
async fn add_faults(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Request {
        #[serde(flatten)]
        fault: crate::athena::executions::Fault,
        count: Option<usize>,
    }
    match serde_json::from_slice::<Request>(&body) {
        Ok(r) => {
            let count = r.count.unwrap_or(1);
            state.athena.faults.push(r.fault, count);
            json_response(StatusCode::OK, serde_json::json!({ "queued": count }))
        }
        Err(e) => AwsError::serialization(format!("Could not decode the fault: {e}")).into_response(),
    }
}

async fn clear_faults(State(state): State<Arc<AppState>>) -> Response {
    state.athena.faults.clear();
    json_response(StatusCode::OK, serde_json::json!({ "cleared": true }))
}

async fn reset(State(state): State<Arc<AppState>>) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    if let Some(objects) = &state.objects
        && let Err(e) = objects.reset().await
    {
        tracing::error!(request_id, error = %e, "S3 reset failed");
        return AwsError::internal("InternalServiceException", &request_id).into_response();
    }
    let result = tokio::task::spawn_blocking(move || -> Result<(), String> {
        state.athena.reset().map_err(|e| e.to_string())?;
        state.catalog.reset().map_err(|e| e.to_string())
    })
    .await;
    match result {
        Ok(Ok(())) => json_response(StatusCode::OK, serde_json::json!({ "reset": true })),
        Ok(Err(e)) => {
            tracing::error!(request_id, error = %e, "reset failed");
            AwsError::internal("InternalServiceException", &request_id).into_response()
        }
        Err(e) => {
            tracing::error!(request_id, error = %e, "reset task failed");
            AwsError::internal("InternalServiceException", &request_id).into_response()
        }
    }
}

async fn entry(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let scope = RequestContext::from_headers(request.headers()).service;
    if crate::sts::is_sts(request.method(), request.uri().path(), request.headers(), scope.as_deref()) {
        return crate::sts::handle(state.catalog.default_catalog_id(), request).await;
    }
    let target = protocol::target(request.headers()).map(|(s, o)| (s.to_string(), o.to_string()));
    match target {
        Some((service, operation)) => aws_json(state, request, &service, &operation).await,
        None => match &state.s3 {
            Some(s3) => crate::s3::handle(s3, request).await,
            None => crate::s3::external_mode(state.storage.backend()),
        },
    }
}

/// One AWS JSON 1.1 request: read the body, run the operation on a blocking thread, answer.
async fn aws_json(state: Arc<AppState>, request: Request, service: &str, operation: &str) -> Response {
    let cx = RequestContext::from_headers(request.headers());
    let request_id = cx.request_id.clone();
    let result = match axum::body::to_bytes(request.into_body(), MAX_JSON_BODY).await {
        Err(_) => Err(AwsError {
            code: "RequestEntityTooLargeException",
            message: format!("The request body is larger than {MAX_JSON_BODY} bytes."),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            athena_code: None,
        }),
        Ok(body) => run(state, cx, service, operation, body).await,
    };
    tracing::debug!(service, operation, request_id, ok = result.is_ok(), "request");
    let too_large = matches!(&result, Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE);
    let mut response = match result {
        Ok(body) => json_text_response(StatusCode::OK, body),
        Err(e) => e.into_response(),
    };
    if too_large {
        // The rest of the body was never read: this connection cannot carry another request.
        response.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

async fn run(
    state: Arc<AppState>,
    cx: RequestContext,
    service: &str,
    operation: &str,
    body: Bytes,
) -> Result<String, AwsError> {
    let request_id = cx.request_id.clone();
    let service_is_athena = service == "AmazonAthena";
    let (service, operation) = (service.to_string(), operation.to_string());
    if service_is_athena {
        return crate::athena::handle(state.athena.clone(), cx, operation, body).await.map(|reply| match reply {
            Reply::Json(value) => strip_nulls(value).to_string(),
            Reply::Raw(text) => text,
        });
    }
    let task = tokio::task::spawn_blocking(move || match service.as_str() {
        "AWSGlue" => crate::glue::dispatch(&state.catalog, &cx, &operation, &body),
        other => Err(AwsError::client(
            "UnknownOperationException",
            format!("Lakebox does not serve the AWS service behind X-Amz-Target prefix '{other}'"),
        )),
    });
    let internal_code = if service_is_athena { "InternalServerException" } else { "InternalServiceException" };
    match task.await {
        Ok(result) => result.map(|reply| match reply {
            Reply::Json(value) => strip_nulls(value).to_string(),
            Reply::Raw(text) => text,
        }),
        Err(e) => {
            tracing::error!(request_id, error = %e, "handler panicked");
            Err(AwsError::internal(internal_code, &request_id))
        }
    }
}

/// AWS leaves absent members out of its answers rather than sending `null`.
fn strip_nulls(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(map) = value.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    value
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    json_text_response(status, body.to_string())
}

fn json_text_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(AMZ_JSON_1_1));
    response
}
