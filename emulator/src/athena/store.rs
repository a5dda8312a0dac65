//! Athena's own state (workgroups, named queries, prepared statements, query executions) in `<data-dir>/athena.sqlite`.
//! Records are JSON of the wire shapes, as in the catalog store.

use super::error::Result;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS workgroups (name TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS named_queries (
    id TEXT PRIMARY KEY, workgroup TEXT NOT NULL, token TEXT, created REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS named_queries_by_workgroup ON named_queries (workgroup, created, id);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, workgroup TEXT NOT NULL, token TEXT, submitted REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS executions_by_workgroup ON executions (workgroup, submitted);
CREATE INDEX IF NOT EXISTS executions_by_token ON executions (token) WHERE token IS NOT NULL;
CREATE TABLE IF NOT EXISTS prepared_statements (
    workgroup TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (workgroup, name));
";

/// The Athena store: one connection, one writer at a time.
pub struct AthenaStore {
    conn: Mutex<Connection>,
}

impl AthenaStore {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in a transaction.
    pub fn transaction<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Deletes everything.
    pub fn reset(&self) -> Result<()> {
        self.conn()
            .execute_batch("DELETE FROM workgroups; DELETE FROM named_queries; DELETE FROM prepared_statements; DELETE FROM executions;")?;
        Ok(())
    }
}

/// Reads one JSON body.
pub fn body<T: DeserializeOwned>(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Option<T>> {
    // Cached statements: the per-query reads and writes skip SQLite's parser.
    let text: Option<String> = tx.prepare_cached(sql)?.query_row(p, |r| r.get(0)).optional()?;
    Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
}

/// Reads many JSON bodies.
pub fn bodies<T: DeserializeOwned>(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(serde_json::from_str(&row?)?);
    }
    Ok(out)
}

/// Writes a workgroup.
pub fn put_workgroup<T: Serialize>(tx: &rusqlite::Transaction<'_>, name: &str, wg: &T) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO workgroups (name, body) VALUES (?1, ?2)",
        params![name, serde_json::to_string(wg)?],
    )?;
    Ok(())
}
