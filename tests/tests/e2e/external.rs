//! External-storage mode against a real third-party S3 server: moto_server from PyPI, started by
//! the test (`LAKEBOX_MOTO_SERVER` names the executable; `./scripts/test` installs and sets it).

use crate::support::bytes;
use aws_sdk_s3::primitives::ByteStream;
use lakebox::storage::{Backend, Storage};
use lakebox_harness::Lakebox;
use object_store::{ObjectStoreExt as _, PutPayload, WriteMultipart};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A moto_server process on a free port, killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Moto {
    let exe = std::env::var("LAKEBOX_MOTO_SERVER")
        .expect("LAKEBOX_MOTO_SERVER must name the moto_server executable (./scripts/test sets it)");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting moto_server");
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    lakebox_harness::wait_for(Duration::from_secs(30), || async {
        reqwest::get(format!("{}/moto-api/", moto.endpoint)).await.ok().map(|_| ())
    })
    .await
    .expect("moto_server did not start");
    moto
}

#[tokio::test]
#[ignore = "needs moto_server (LAKEBOX_MOTO_SERVER); ./scripts/test runs it"]
async fn the_storage_layer_round_trips_through_an_external_s3() {
    let moto = moto().await;
    // An independent client sees what the storage layer wrote.
    let direct = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&lakebox_harness::sdk_config(&moto.endpoint)).force_path_style(true).build(),
    );
    direct.create_bucket().bucket("lake").send().await.unwrap();
    let storage = Storage::new(
        Backend::External {
            endpoint: moto.endpoint.clone(),
            region: "us-east-1".into(),
            credentials: Some(("test".into(), "test".into())),
        },
        vec![],
    );

    let small = bytes(10_000, 1);
    let loc = storage.resolve("s3://lake/tables/t/part-0.csv").unwrap();
    loc.store.put(&loc.path, PutPayload::from(small.clone())).await.unwrap();
    let seen = direct.get_object().bucket("lake").key("tables/t/part-0.csv").send().await.unwrap();
    assert_eq!(seen.body.collect().await.unwrap().into_bytes().as_ref(), small.as_slice());

    // 100 MB through a multipart upload, read back whole and by range.
    let large = bytes(100 * 1024 * 1024, 2);
    let loc = storage.resolve("s3://lake/results/big.bin").unwrap();
    let mut upload = WriteMultipart::new(loc.store.put_multipart(&loc.path).await.unwrap());
    for chunk in large.chunks(7 * 1024 * 1024 + 13) {
        upload.write(chunk);
    }
    upload.finish().await.unwrap();
    let back = loc.store.get(&loc.path).await.unwrap().bytes().await.unwrap();
    assert!(back.as_ref() == large.as_slice(), "100 MB came back different");
    let head = direct.head_object().bucket("lake").key("results/big.bin").send().await.unwrap();
    assert_eq!(head.content_length(), Some(large.len() as i64));
    let range = loc.store.get_range(&loc.path, 1000..2000).await.unwrap();
    assert_eq!(range.as_ref(), &large[1000..2000]);

    // Objects uploaded by someone else are readable through the layer too.
    direct.put_object().bucket("lake").key("raw/x.json").body(ByteStream::from_static(b"{}")).send().await.unwrap();
    let loc = storage.resolve("s3://lake/raw/x.json").unwrap();
    assert_eq!(loc.store.get(&loc.path).await.unwrap().bytes().await.unwrap().as_ref(), b"{}");
}

#[tokio::test]
#[ignore = "needs moto_server (LAKEBOX_MOTO_SERVER); ./scripts/test runs it"]
async fn in_external_mode_lakebox_stores_no_objects_and_points_s3_clients_elsewhere() {
    let moto = moto().await;
    let endpoint = moto.endpoint.clone();
    let lakebox =
        Lakebox::start_with(|b| b.s3_endpoint(&endpoint, "us-east-1").s3_credentials("test", "test")).await.unwrap();
    let response = reqwest::get(format!("{}/some-bucket/key", lakebox.endpoint_url())).await.unwrap();
    assert_eq!(response.status(), 501);
    let body = response.text().await.unwrap();
    assert!(body.contains("<Code>NotImplemented</Code>") && body.contains(&moto.endpoint), "{body}");
    assert!(!lakebox.data_dir().join(lakebox::S3_DIR).exists(), "external mode created a local object store");
    // Glue still works, with its catalog in the data dir.
    let glue = lakebox.glue();
    let input = aws_sdk_glue::types::DatabaseInput::builder().name("ext").build().unwrap();
    glue.create_database().database_input(input).send().await.unwrap();
    assert!(lakebox.data_dir().join(lakebox::CATALOG_FILE).exists());
}

#[tokio::test]
#[ignore = "needs moto_server (LAKEBOX_MOTO_SERVER); ./scripts/test runs it"]
async fn athena_reads_tables_and_writes_results_on_the_external_s3() {
    let moto = moto().await;
    let endpoint = moto.endpoint.clone();
    let lakebox =
        Lakebox::start_with(|b| b.s3_endpoint(&endpoint, "us-east-1").s3_credentials("test", "test")).await.unwrap();
    let direct = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&lakebox_harness::sdk_config(&moto.endpoint)).force_path_style(true).build(),
    );
    for bucket in ["lake", "results"] {
        direct.create_bucket().bucket(bucket).send().await.unwrap();
    }
    let csv = "1,a\n2,b\n3,\\N\n";
    direct
        .put_object()
        .bucket("lake")
        .key("t/dt=1/part.csv")
        .body(ByteStream::from_static(csv.as_bytes()))
        .send()
        .await
        .unwrap();
    let athena = lakebox.athena();
    let run = |sql: &'static str| {
        athena
            .start_query_execution()
            .query_string(sql)
            .result_configuration(
                aws_sdk_athena::types::ResultConfiguration::builder().output_location("s3://results/q/").build(),
            )
            .send()
    };
    let wait = |id: String| {
        let athena = athena.clone();
        async move {
            lakebox_harness::wait_for(Duration::from_secs(30), || {
                let athena = athena.clone();
                let id = id.clone();
                async move {
                    let e = athena.get_query_execution().query_execution_id(&id).send().await.ok()?;
                    let e = e.query_execution()?.clone();
                    let state = e.status()?.state()?.as_str().to_string();
                    matches!(state.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED").then_some(e)
                }
            })
            .await
            .unwrap()
        }
    };
    for sql in [
        "CREATE EXTERNAL TABLE t (id int, name string) PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://lake/t/'",
        "MSCK REPAIR TABLE t",
    ] {
        let id = run(sql).await.unwrap().query_execution_id().unwrap().to_string();
        let e = wait(id).await;
        assert_eq!(e.status().unwrap().state().unwrap().as_str(), "SUCCEEDED", "{sql}: {:?}", e.status());
    }
    let id =
        run("SELECT sum(id), count(name), max(dt) FROM t").await.unwrap().query_execution_id().unwrap().to_string();
    let e = wait(id.clone()).await;
    assert_eq!(e.status().unwrap().state().unwrap().as_str(), "SUCCEEDED", "{:?}", e.status());
    let rows = athena.get_query_results().query_execution_id(&id).send().await.unwrap();
    let values: Vec<Option<&str>> =
        rows.result_set().unwrap().rows()[1].data().iter().map(|d| d.var_char_value()).collect();
    assert_eq!(values, [Some("6"), Some("2"), Some("1")]);
    // The result file is on the external S3, where any client reads it.
    let file = direct.get_object().bucket("results").key(format!("q/{id}.csv")).send().await.unwrap();
    let text = String::from_utf8(file.body.collect().await.unwrap().to_vec()).unwrap();
    assert_eq!(text, "\"_col0\",\"_col1\",\"_col2\"\n\"6\",\"2\",\"1\"\n");
    assert!(e.statistics().unwrap().data_scanned_in_bytes().unwrap() == csv.len() as i64);
}
