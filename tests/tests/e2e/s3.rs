//! S3 through aws-sdk-s3 (which sends CRC32 checksums in aws-chunked trailers by default).

use crate::support::bytes;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use lakebox_harness::Lakebox;
use std::collections::BTreeSet;

fn md5_hex(data: &[u8]) -> String {
    use s3s::crypto::Checksum as _;
    hex::encode(s3s::crypto::Md5::checksum(data))
}

fn code<T, E: ProvideErrorMetadata>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("the call succeeded, an error was expected"),
        Err(e) => e.code().unwrap_or("<no code>").to_string(),
    }
}

async fn with_bucket(name: &str) -> (Lakebox, aws_sdk_s3::Client) {
    let lakebox = Lakebox::start().await.unwrap();
    let s3 = lakebox.s3();
    s3.create_bucket().bucket(name).send().await.unwrap();
    (lakebox, s3)
}

#[tokio::test]
async fn objects_round_trip_with_etags_metadata_and_checksums() {
    let (_lakebox, s3) = with_bucket("lake").await;
    let body = bytes(100_000, 7);
    let put = s3
        .put_object()
        .bucket("lake")
        .key("raw/year=2024/month=03/trips.csv")
        .content_type("text/csv")
        .metadata("source", "tlc")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&body)).as_str()));

    let got = s3
        .get_object()
        .bucket("lake")
        .key("raw/year=2024/month=03/trips.csv")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/csv"));
    assert_eq!(got.metadata().and_then(|m| m.get("source")).map(String::as_str), Some("tlc"));
    use base64::Engine as _;
    use s3s::crypto::Checksum as _;
    let sha = base64::engine::general_purpose::STANDARD.encode(s3s::crypto::Sha256::checksum(&body));
    assert_eq!(got.checksum_sha256(), Some(sha.as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());

    // The file is where the query engine will look for it.
    let on_disk = std::fs::read(_lakebox.data_dir().join("s3/lake/raw/year=2024/month=03/trips.csv")).unwrap();
    assert_eq!(on_disk, body);
}

#[tokio::test]
async fn a_wrong_content_md5_is_refused_and_the_old_object_kept() {
    let (_lakebox, s3) = with_bucket("lake").await;
    s3.put_object().bucket("lake").key("k").body(ByteStream::from_static(b"old")).send().await.unwrap();
    use base64::Engine as _;
    use s3s::crypto::Checksum as _;
    let wrong = base64::engine::general_purpose::STANDARD.encode(s3s::crypto::Md5::checksum(b"something else"));
    let result =
        s3.put_object().bucket("lake").key("k").content_md5(wrong).body(ByteStream::from_static(b"new")).send().await;
    assert_eq!(code(result), "BadDigest");
    let got = s3.get_object().bucket("lake").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"old");
}

#[tokio::test]
async fn multipart_upload_of_100_mb_round_trips() {
    let (_lakebox, s3) = with_bucket("big").await;
    let data = bytes(100 * 1024 * 1024, 42);
    let part_size = 8 * 1024 * 1024;
    let upload = s3.create_multipart_upload().bucket("big").key("blob.bin").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    let mut digests = Vec::new();
    for (i, chunk) in data.chunks(part_size).enumerate() {
        let number = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket("big")
            .key("blob.bin")
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(out.e_tag(), Some(format!("\"{}\"", md5_hex(chunk)).as_str()));
        digests.extend(hex::decode(md5_hex(chunk)).unwrap());
        parts.push(CompletedPart::builder().part_number(number).e_tag(out.e_tag().unwrap()).build());
    }
    let listed = s3.list_parts().bucket("big").key("blob.bin").upload_id(upload_id).send().await.unwrap();
    assert_eq!(listed.parts().len(), parts.len());
    let done = s3
        .complete_multipart_upload()
        .bucket("big")
        .key("blob.bin")
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts.clone())).build())
        .send()
        .await
        .unwrap();
    let expected_etag = format!("\"{}-{}\"", md5_hex(&digests), parts.len());
    assert_eq!(done.e_tag(), Some(expected_etag.as_str()));
    let got = s3.get_object().bucket("big").key("blob.bin").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(expected_etag.as_str()));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert!(body.as_ref() == data.as_slice(), "100 MB came back different");
    let gone = s3.list_parts().bucket("big").key("blob.bin").upload_id(upload_id).send().await;
    assert_eq!(code(gone), "NoSuchUpload");
}

#[tokio::test]
async fn listing_2500_keys_pages_in_key_order() {
    let (_lakebox, s3) = with_bucket("many").await;
    let keys: BTreeSet<String> = (0..2500).map(|i| format!("dt=2024-01-{:02}/part-{i:05}.json", i % 28 + 1)).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in keys.iter().cloned().collect::<Vec<_>>().chunks(100) {
        let (s3, chunk) = (s3.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for key in chunk {
                s3.put_object().bucket("many").key(&key).body(ByteStream::from_static(b"{}")).send().await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut token = None;
    loop {
        let page =
            s3.list_objects_v2().bucket("many").max_keys(1000).set_continuation_token(token).send().await.unwrap();
        pages += 1;
        seen.extend(page.contents().iter().map(|o| o.key().unwrap().to_string()));
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            assert_eq!(page.is_truncated(), Some(false));
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, keys.iter().cloned().collect::<Vec<_>>(), "every key once, in byte order");

    let grouped = s3.list_objects_v2().bucket("many").delimiter("/").send().await.unwrap();
    let prefixes: Vec<_> = grouped.common_prefixes().iter().map(|p| p.prefix().unwrap().to_string()).collect();
    let expected: Vec<String> = (1..=28).map(|d| format!("dt=2024-01-{d:02}/")).collect();
    assert_eq!(prefixes, expected);
    assert!(grouped.contents().is_empty());
}

#[tokio::test]
async fn ranges_and_error_codes() {
    let (_lakebox, s3) = with_bucket("rng").await;
    let data = bytes(1000, 3);
    s3.put_object().bucket("rng").key("k").body(ByteStream::from(data.clone())).send().await.unwrap();
    for (range, expected) in [("bytes=0-9", &data[..10]), ("bytes=990-", &data[990..]), ("bytes=-5", &data[995..])] {
        let got = s3.get_object().bucket("rng").key("k").range(range).send().await.unwrap();
        assert!(got.content_range().is_some(), "{range}");
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), expected, "{range}");
    }
    assert_eq!(code(s3.get_object().bucket("rng").key("k").range("bytes=5000-").send().await), "InvalidRange");
    assert_eq!(code(s3.get_object().bucket("rng").key("missing").send().await), "NoSuchKey");
    assert_eq!(code(s3.get_object().bucket("nobucket").key("k").send().await), "NoSuchBucket");
    assert_eq!(code(s3.create_bucket().bucket("rng").send().await), "BucketAlreadyOwnedByYou");
    assert_eq!(code(s3.delete_bucket().bucket("rng").send().await), "BucketNotEmpty");
}

#[tokio::test]
async fn traversal_attempts_are_refused() {
    let (lakebox, s3) = with_bucket("jail").await;
    s3.create_bucket().bucket("other").send().await.unwrap();
    for key in ["../other/escape", "a/../../escape", "..", "./escape", "a//escape"] {
        let result = s3.put_object().bucket("jail").key(key).body(ByteStream::from_static(b"x")).send().await;
        assert_eq!(code(result), "InvalidArgument", "key {key:?}");
    }
    let other = s3.list_objects_v2().bucket("other").send().await.unwrap();
    assert!(other.contents().is_empty());
    let mut stack = vec![lakebox.data_dir().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            assert_ne!(entry.file_name(), "escape", "a file escaped: {:?}", entry.path());
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
}

#[tokio::test]
async fn objects_survive_a_restart() {
    let (lakebox, s3) = with_bucket("keep").await;
    let put = s3.put_object().bucket("keep").key("a/b").body(ByteStream::from_static(b"kept")).send().await.unwrap();
    let lakebox = lakebox.restart().await.unwrap();
    let got = lakebox.s3().get_object().bucket("keep").key("a/b").send().await.unwrap();
    assert_eq!(got.e_tag(), put.e_tag());
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"kept");
}
