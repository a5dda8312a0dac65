//! The report-query corpus (`tests/queries/*.sql`) over the taxi fixture, as insta snapshots.
//! Each snapshot is the result as `QueryResult::table` renders it (and, for `pruning_*`, the bytes
//! scanned); `tests/python/test_report_corpus.py` checks every snapshot's numbers against DuckDB
//! over the same files.

use lakebox_fixtures::TaxiConfig;
use lakebox_fixtures::write::{Format, Layout};
use lakebox_harness::Lakebox;

/// The fixture every snapshot is taken over (`test_report_corpus.py` generates the same files).
pub const CORPUS_FIXTURE: TaxiConfig = TaxiConfig { rows: 20_000, seed: 42, start: (2024, 1), months: 3 };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_queries() {
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.load_taxi("taxi.trips", CORPUS_FIXTURE, Format::Parquet, Layout::Hive).await.unwrap();
    lakebox.load_zones("taxi.zones").await.unwrap();
    let handle = tokio::runtime::Handle::current();
    lakebox_harness::insta_settings().bind(|| {
        insta::glob!("../../queries", "*.sql", |path| {
            let sql = std::fs::read_to_string(path).unwrap();
            let result = tokio::task::block_in_place(|| handle.block_on(lakebox.query("taxi", &sql)))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let pruning = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("pruning"));
            insta::assert_snapshot!(if pruning { result.table_with_scan() } else { result.table() });
        });
    });
}
