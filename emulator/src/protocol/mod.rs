//! The wire layer shared by the AWS JSON 1.1 services: `X-Amz-Target` routing, body decoding,
//! request ids, SigV4 credential scope (read, never verified) and the AWS error shape.

mod error;

pub use error::AwsError;

use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

/// The content type of AWS JSON 1.1 requests and answers.
pub const AMZ_JSON_1_1: &str = "application/x-amz-json-1.1";

/// The region assumed when a request is not SigV4-signed.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An operation's answer: a JSON value, or JSON text assembled from stored records as they are.
pub enum Reply {
    Json(serde_json::Value),
    Raw(String),
}

/// Who is asking, as far as Lakebox cares.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The `x-amzn-RequestId` of this request.
    pub request_id: String,
    /// The region of the request's SigV4 credential scope.
    pub region: String,
    /// The access key id of the request's credentials, if signed.
    pub access_key: Option<String>,
    /// The service named in the credential scope (`glue`, `athena`, `s3`, `sts`), if signed.
    pub service: Option<String>,
}

impl RequestContext {
    /// Reads the credential scope of a SigV4 `Authorization` header, if any. Any credentials are
    /// accepted: Lakebox is a local emulator and never checks signatures.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let scope = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|auth| auth.split("Credential=").nth(1))
            .map(|rest| rest.split([',', ' ']).next().unwrap_or_default().to_string());
        let mut parts = scope.as_deref().unwrap_or_default().split('/');
        let access_key = parts.next().filter(|k| !k.is_empty()).map(str::to_string);
        let region = parts.nth(1).filter(|r| !r.is_empty()).unwrap_or(DEFAULT_REGION).to_string();
        let service = parts.next().filter(|s| !s.is_empty()).map(str::to_ascii_lowercase);
        Self { request_id: uuid::Uuid::new_v4().to_string(), region, access_key, service }
    }
}

/// Splits `X-Amz-Target: AWSGlue.GetTable` into the service prefix and the operation.
pub fn target(headers: &HeaderMap) -> Option<(&str, &str)> {
    headers.get("x-amz-target")?.to_str().ok()?.split_once('.')
}

/// Decodes an operation's input. An empty body is `{}`. A body that is not JSON, or has a member
/// of the wrong type, is a `SerializationException`; a missing required member is a
/// `ValidationException` worded like AWS's.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        if let Some(rest) = text.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or_default();
            let mut path = field.to_string();
            if let Some(first) = path.get(0..1) {
                path.replace_range(0..1, &first.to_lowercase());
            }
            return AwsError::client(
                "ValidationException",
                format!("1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"),
            );
        }
        AwsError::serialization(format!("Could not decode the request body: {text}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_scope_gives_region_and_key() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-3/glue/aws4_request, SignedHeaders=host, Signature=abc"
                .parse()
                .unwrap(),
        );
        let cx = RequestContext::from_headers(&headers);
        assert_eq!(cx.region, "eu-west-3");
        assert_eq!(cx.access_key.as_deref(), Some("AKIDEXAMPLE"));
        let unsigned = RequestContext::from_headers(&HeaderMap::new());
        assert_eq!(unsigned.region, DEFAULT_REGION);
        assert_eq!(unsigned.access_key, None);
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Input {
        database_name: String,
        max_results: Option<i64>,
    }

    #[test]
    fn decoding_errors_have_aws_shapes() {
        let e = decode_json::<Input>(b"not json").unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = decode_json::<Input>(br#"{"DatabaseName": 5}"#).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = decode_json::<Input>(br#"{"MaxResults": 5}"#).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("at 'databaseName'"), "{}", e.message);
        let e = decode_json::<Input>(b"").unwrap_err();
        assert_eq!(e.code, "ValidationException", "an empty body is an empty input");
    }
}
