//! The Trino dialect corpus: `tests/trino/*.test`, Athena statements with their results written
//! by hand from Trino's documentation (each file cites its pages), run through the Athena API.
//!
//! A file is a list of blocks separated by blank lines; `#` lines are comments:
//!
//! ```text
//! statement                 run first (in file order), must succeed: tables for the queries
//! CREATE TABLE ...
//!
//! query                     the SQL, then `----`, then the ColumnInfo types, then the rows
//! SELECT 1, 'a'             (values separated by ` | `, NULL as `NULL`, an empty string as `""`)
//! ----
//! integer | varchar
//! 1 | a
//!
//! error TYPE_MISMATCH       the query must fail, its reason starting with the given text
//! SELECT 'a' = 1
//!
//! pending <why>             before `query`/`error`: a known gap, counted as failing; the test
//!                           fails if it starts passing (so the mark is removed with the fix)
//! ```
//!
//! The test prints the pass rate (docs/SQL.md quotes it) and fails on any unexpected result.

use futures::StreamExt as _;
use lakebox_harness::Lakebox;
use std::path::{Path, PathBuf};

/// The types and rows a query gave, or why it failed.
type Outcome = Result<(Vec<String>, Vec<Vec<String>>), String>;

#[derive(Debug, Clone)]
enum Expect {
    Rows { types: Vec<String>, rows: Vec<Vec<String>> },
    Error(String),
}

#[derive(Debug, Clone)]
struct Case {
    at: String,
    sql: String,
    expect: Expect,
    pending: Option<String>,
}

fn cells(line: &str) -> Vec<String> {
    line.split(" | ").map(|c| c.trim().to_string()).collect()
}

fn parse(path: &Path) -> (Vec<(String, String)>, Vec<Case>) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let (mut statements, mut cases) = (Vec::new(), Vec::new());
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut pending = None;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let at = format!("{name}:{}", i + 1);
        i += 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(why) = line.strip_prefix("pending") {
            pending = Some(why.trim().to_string());
            continue;
        }
        let mut sql = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() && lines[i].trim() != "----" {
            sql.push(lines[i]);
            i += 1;
        }
        let sql = sql.join("\n");
        if line == "statement" {
            statements.push((at, sql));
        } else if let Some(prefix) = line.strip_prefix("error ") {
            cases.push(Case { at, sql, expect: Expect::Error(prefix.trim().to_string()), pending: pending.take() });
        } else if line == "query" {
            assert_eq!(lines.get(i).map(|l| l.trim()), Some("----"), "{at}: a query needs `----` and its types");
            i += 1;
            let types = cells(lines.get(i).unwrap_or_else(|| panic!("{at}: no types line")));
            i += 1;
            let mut rows = Vec::new();
            while i < lines.len() && !lines[i].trim().is_empty() {
                rows.push(cells(lines[i]));
                i += 1;
            }
            cases.push(Case { at, sql, expect: Expect::Rows { types, rows }, pending: pending.take() });
        } else {
            panic!("{at}: expected `statement`, `query`, `error ...` or `pending ...`, found {line:?}");
        }
    }
    (statements, cases)
}

/// What the query gave, as the corpus writes it; or why it failed.
async fn outcome(lakebox: &Lakebox, sql: &str) -> Outcome {
    let execution = lakebox.run_query("trino", sql).await.map_err(|e| format!("REJECTED {e:?}"))?;
    let state = execution.status().and_then(|s| s.state()).map(|s| s.as_str().to_string()).unwrap_or_default();
    if state != "SUCCEEDED" {
        return Err(execution.status().and_then(|s| s.state_change_reason()).unwrap_or_default().to_string());
    }
    let result = lakebox.results(execution).await.map_err(|e| format!("results: {e}"))?;
    let types = result.columns.iter().map(|c| c.athena_type.clone()).collect();
    let rows = result
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v.as_deref() {
                    None => "NULL".to_string(),
                    Some("") => "\"\"".to_string(),
                    Some(v) => v.to_string(),
                })
                .collect()
        })
        .collect();
    Ok((types, rows))
}

fn passes(case: &Case, got: &Outcome) -> bool {
    match (&case.expect, got) {
        (Expect::Rows { types, rows }, Ok((t, r))) => types == t && rows == r,
        (Expect::Error(prefix), Err(reason)) => reason.starts_with(prefix.as_str()),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trino_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("trino");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    let lakebox = Lakebox::start().await.unwrap();
    lakebox.create_bucket("trino-data").await.unwrap();
    lakebox.query("default", "CREATE DATABASE trino").await.unwrap();
    let mut cases = Vec::new();
    let mut setup_failures = Vec::new();
    for file in &files {
        let (statements, file_cases) = parse(file);
        for (at, sql) in statements {
            if let Err(e) = lakebox.query("trino", &sql).await {
                setup_failures.push(format!("{at}: setup failed: {e}"));
            }
        }
        cases.extend(file_cases);
    }
    let outcomes: Vec<(Case, Outcome)> = futures::stream::iter(cases.into_iter().map(|case| {
        let lakebox = &lakebox;
        async move {
            let got = outcome(lakebox, &case.sql).await;
            (case, got)
        }
    }))
    .buffered(4)
    .collect()
    .await;
    let (mut failures, mut fixed) = (setup_failures, Vec::new());
    let mut passing = 0;
    for (case, got) in &outcomes {
        let ok = passes(case, got);
        passing += usize::from(ok);
        match (&case.pending, ok) {
            (None, false) => failures.push(format!(
                "{}: {}\n  expected: {:?}\n  got:      {:?}",
                case.at,
                case.sql.replace('\n', " "),
                case.expect,
                got
            )),
            (Some(why), true) => fixed.push(format!("{}: passes now, remove `pending {why}`", case.at)),
            _ => {}
        }
    }
    let total = outcomes.len();
    let pending = outcomes.iter().filter(|(c, _)| c.pending.is_some()).count();
    println!(
        "Trino corpus: {passing} of {total} statements pass ({:.1} %), {pending} pending, in {} files",
        100.0 * passing as f64 / total.max(1) as f64,
        files.len()
    );
    for (case, got) in outcomes.iter().filter(|(c, _)| c.pending.is_some()) {
        println!("  pending {}: {} -> {:?}", case.at, case.pending.as_deref().unwrap_or_default(), got);
    }
    assert!(failures.is_empty() && fixed.is_empty(), "{}\n{}", failures.join("\n"), fixed.join("\n"));
}
