//! The wire protocol seen by a raw HTTP client: error shapes, headers, bad input, health.

use lakebox_harness::Lakebox;
use serde_json::Value;

async fn post(
    lakebox: &Lakebox,
    target: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::new()
        .post(lakebox.endpoint_url())
        .header("X-Amz-Target", target)
        .header("Content-Type", "application/x-amz-json-1.1")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

#[tokio::test]
async fn bad_input_gets_aws_errors_never_a_500() {
    let lakebox = Lakebox::start().await.unwrap();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("AWSGlue.GetDatabase", b"not json".to_vec(), 400, "SerializationException"),
        ("AWSGlue.GetDatabase", br#"{"Name": 5}"#.to_vec(), 400, "SerializationException"),
        ("AWSGlue.GetDatabase", b"{}".to_vec(), 400, "ValidationException"),
        ("AWSGlue.CreateDatabase", br#"{"DatabaseInput": {"Name": ""}}"#.to_vec(), 400, "ValidationException"),
        (
            "AWSGlue.GetDatabase",
            format!(r#"{{"Name": "{}"}}"#, "a".repeat(256)).into_bytes(),
            400,
            "ValidationException",
        ),
        ("AWSGlue.GetDatabases", br#"{"MaxResults": 0}"#.to_vec(), 400, "ValidationException"),
        (
            "AWSGlue.GetPartitions",
            br#"{"DatabaseName": "d", "TableName": "t", "NextToken": "%%%"}"#.to_vec(),
            400,
            "InvalidInputException",
        ),
        ("AWSGlue.GetDatabases", br#"{"NextToken": "garbage"}"#.to_vec(), 400, "InvalidInputException"),
        ("AWSGlue.NoSuchOperation", b"{}".to_vec(), 400, "UnknownOperationException"),
        ("AWSGlue.GetDatabase", vec![b'x'; 11 * 1024 * 1024], 413, "RequestEntityTooLargeException"),
    ];
    for (target, body, status, expected_code) in cases {
        let (got_status, headers, json) = post(&lakebox, target, body).await;
        assert_eq!(got_status, status, "{target}: {json}");
        assert_eq!(json["__type"], expected_code, "{target}: {json}");
        assert_eq!(headers["x-amzn-ErrorType"], expected_code);
        assert!(headers.contains_key("x-amzn-RequestId"));
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()), "{json}");
    }
    let (_, _, json) = post(&lakebox, "AWSGlue.NoSuchOperation", "{}").await;
    assert!(json["message"].as_str().unwrap().contains("NoSuchOperation"));
}

#[tokio::test]
async fn health_reports_the_version() {
    let lakebox = Lakebox::start().await.unwrap();
    let response = reqwest::get(format!("{}/_lakebox/health", lakebox.endpoint_url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], lakebox::VERSION);
}

#[tokio::test]
async fn reset_forgets_everything() {
    let lakebox = Lakebox::start().await.unwrap();
    let glue = lakebox.glue();
    glue.create_database().database_input(crate::support::database("gone")).send().await.unwrap();
    let response =
        reqwest::Client::new().post(format!("{}/_lakebox/reset", lakebox.endpoint_url())).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(glue.get_databases().send().await.unwrap().database_list().is_empty());
}

/// The testcontainers image runs the same server. It needs Docker and the image
/// (`docker build -t lakebox .`), which CI machines do not have: the test is compiled everywhere
/// and run with `cargo nextest run -p lakebox-tests --run-ignored only docker_image`.
#[tokio::test]
#[ignore = "needs Docker and the lakebox image"]
async fn the_docker_image_serves_glue_through_testcontainers() {
    use testcontainers::runners::AsyncRunner as _;
    let container = lakebox_harness::container::LakeboxImage::default().start().await.unwrap();
    let endpoint = lakebox_harness::container::endpoint(&container).await.unwrap();
    let glue = aws_sdk_glue::Client::new(&lakebox_harness::sdk_config(&endpoint));
    let input = aws_sdk_glue::types::DatabaseInput::builder().name("in_docker").build().unwrap();
    glue.create_database().database_input(input).send().await.unwrap();
    assert_eq!(glue.get_databases().send().await.unwrap().database_list().len(), 1);
}
