//! The pipeline end to end against an in-process Lakebox: raw CSV lands, the pipeline runs, and
//! the Athena report is checked against the trips themselves and kept as a reviewed snapshot.

use lakebox_fixtures::write::{Format, Layout, write_files};
use lakebox_fixtures::{TaxiConfig, TaxiTrips};
use lakebox_harness::Lakebox;
use std::collections::BTreeMap;
use taxi_pipeline::Pipeline;

const CONFIG: TaxiConfig = TaxiConfig { rows: 12_000, seed: 3, start: (2024, 1), months: 3 };

#[tokio::test]
async fn raw_csv_becomes_a_monthly_athena_report() {
    let lakebox = Lakebox::start().await.unwrap();
    for bucket in ["raw", "lake", "results"] {
        lakebox.create_bucket(bucket).await.unwrap();
    }
    lakebox
        .glue()
        .create_database()
        .database_input(aws_sdk_glue::types::DatabaseInput::builder().name("reports").build().unwrap())
        .send()
        .await
        .unwrap();

    // 1. Raw CSV lands in S3, in files that mix months, as a vendor sends them.
    let s3 = lakebox.s3();
    let mut files = Vec::new();
    write_files(TaxiTrips::new(&CONFIG), Format::Csv { gzip: false }, Layout::Flat, 5_000, |f| {
        files.push(f);
        Ok::<_, std::io::Error>(())
    })
    .unwrap();
    for f in &files {
        s3.put_object()
            .bucket("raw")
            .key(format!("incoming/{}", f.key))
            .body(f.bytes.clone().into())
            .send()
            .await
            .unwrap();
    }

    let pipeline = Pipeline {
        s3,
        glue: lakebox.glue(),
        athena: lakebox.athena(),
        raw: ("raw".into(), "incoming/".into()),
        lake: "lake".into(),
        database: "reports".into(),
        table: "trips".into(),
        results: "s3://results/reports/".into(),
    };
    let months = pipeline.transform().await.unwrap();
    assert_eq!(months, [(2024, 1), (2024, 2), (2024, 3)]);
    assert_eq!(pipeline.register(&months).await.unwrap(), 3);
    assert_eq!(pipeline.register(&months).await.unwrap(), 0, "registering again adds nothing");
    let report = pipeline.monthly_report().await.unwrap();

    // The same numbers, computed from the trips themselves.
    let mut expected: BTreeMap<String, (u64, f64, f64, f64)> = BTreeMap::new();
    for t in TaxiTrips::new(&CONFIG).filter(|t| t.fare_amount > 0.0) {
        let (y, m, _, _) = t.pickup_parts();
        let e = expected.entry(format!("{y:04}-{m:02}")).or_default();
        e.0 += 1;
        e.1 += t.total_amount;
        e.2 += t.tip_amount;
        e.3 += t.fare_amount;
    }
    assert_eq!(report.len(), expected.len());
    for (row, (month, (trips, revenue, tips, fares))) in report.iter().zip(&expected) {
        assert_eq!((&row.month, row.trips), (month, *trips));
        assert!((row.revenue - revenue).abs() < 0.006, "{month}: {} vs {revenue}", row.revenue);
        assert!((row.tip_pct - tips / fares * 100.0).abs() < 0.006, "{month}");
    }
    let text: String = report
        .iter()
        .map(|r| format!("{} {:>6} {:>12.2} {:>6.2}%\n", r.month, r.trips, r.revenue, r.tip_pct))
        .collect();
    insta::assert_snapshot!(text);
}
