//! The one STS operation clients call before they talk to Glue: `GetCallerIdentity`.
//!
//! STS speaks the AWS query protocol: a form-encoded `POST /` (or a `GET /?Action=...`) answered
//! in XML. dbt-athena asks it for the account id that it then passes to Glue as `CatalogId`;
//! awswrangler does the same for some catalog calls. Lakebox answers as the account it was
//! started with. Credentials are never checked, so every caller is that account's root.

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The XML namespace of STS answers.
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const VERSION: &str = "2011-06-15";

/// The largest STS request body read.
const MAX_BODY: usize = 64 * 1024;

/// Whether a request is for STS: its SigV4 scope names `sts`, or (unsigned) it is a
/// form-encoded `POST /`, which no S3 operation sends.
pub fn is_sts(method: &Method, path: &str, headers: &http::HeaderMap, scope_service: Option<&str>) -> bool {
    if scope_service == Some("sts") {
        return true;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    scope_service.is_none() && method == Method::POST && path == "/" && form
}

/// Answers one STS request.
pub async fn handle(account_id: &str, request: axum::extract::Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let access_key = crate::protocol::RequestContext::from_headers(request.headers()).access_key;
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Sender",
                "RequestEntityTooLarge",
                "The request body is too large.",
                &request_id,
            );
        }
    };
    let mut params: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
    match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        Ok(form) => params.extend(form),
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Sender",
                "MalformedInput",
                "The request body is not form-encoded.",
                &request_id,
            );
        }
    }
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let Some(action) = param("Action") else {
        return error(StatusCode::BAD_REQUEST, "Sender", "MissingAction", "Missing Action", &request_id);
    };
    if let Some(version) = param("Version")
        && version != VERSION
    {
        return error(
            StatusCode::BAD_REQUEST,
            "Sender",
            "InvalidAction",
            &format!("Could not find operation {action} for version {version}"),
            &request_id,
        );
    }
    match action {
        "GetCallerIdentity" => {
            let account = escape(account_id);
            let user_id = escape(access_key.as_deref().unwrap_or(account_id));
            let body = format!(
                "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\">\n  <GetCallerIdentityResult>\n    \
                 <Arn>arn:aws:iam::{account}:root</Arn>\n    <UserId>{user_id}</UserId>\n    \
                 <Account>{account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    \
                 <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n"
            );
            xml(StatusCode::OK, body, &request_id)
        }
        other => error(
            StatusCode::BAD_REQUEST,
            "Sender",
            "InvalidAction",
            &format!(
                "Could not find operation {other} for version {VERSION}. Lakebox serves only GetCallerIdentity of STS."
            ),
            &request_id,
        ),
    }
}

/// The query protocol's error document.
fn error(status: StatusCode, kind: &str, code: &str, message: &str, request_id: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    \
         <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        escape(message)
    );
    xml(status, body, request_id)
}

fn xml(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, Bytes::from(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
