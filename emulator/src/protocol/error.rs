//! The one AWS JSON error shape: `{"__type": ..., "message": ...}` with `x-amzn-ErrorType`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error as an AWS JSON 1.1 service sends it.
///
/// Handlers never pick a status code: each service maps its domain errors (`CatalogError`,
/// `AthenaError`) into this once, and this type alone writes the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The short error code, e.g. `EntityNotFoundException`.
    pub code: &'static str,
    /// The human-readable message.
    pub message: String,
    /// HTTP status: 400 for client errors, 413 for oversized bodies, 500 for our own bugs.
    pub status: StatusCode,
    /// Athena's `AthenaErrorCode` (sent as `AthenaErrorCode` and `ErrorCode`), e.g. `MALFORMED_QUERY`.
    pub athena_code: Option<&'static str>,
}

impl AwsError {
    /// A client error (HTTP 400).
    pub fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: StatusCode::BAD_REQUEST, athena_code: None }
    }

    /// The body could not be decoded into the operation's input.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    /// The `X-Amz-Target` names an operation this service does not implement.
    pub fn unknown_operation(service: &str, operation: &str) -> Self {
        Self::client(
            "UnknownOperationException",
            format!("Operation {operation} is not supported by Lakebox's {service} service"),
        )
    }

    /// A bug of ours: the body says only "internal error" with the request id; details go to the log.
    pub fn internal(code: &'static str, request_id: &str) -> Self {
        Self {
            code,
            message: format!("An internal error occurred (request id {request_id})"),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            athena_code: None,
        }
    }

    /// The same error with an Athena `AthenaErrorCode`.
    pub fn with_athena_code(mut self, code: Option<&'static str>) -> Self {
        self.athena_code = code;
        self
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        // botocore and the smithy SDKs read `__type` (anything after '#' is the code) and either
        // `message` or `Message`; AWS's own services send `Message` for shapes that model it.
        let mut body = serde_json::json!({ "__type": self.code, "message": self.message, "Message": self.message });
        if let Some(code) = self.athena_code {
            body["AthenaErrorCode"] = code.into();
            body["ErrorCode"] = code.into();
        }
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(super::AMZ_JSON_1_1));
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(self.code));
        response
    }
}
