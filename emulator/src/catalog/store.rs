//! The catalog's persistence: SQLite (WAL, synchronous=NORMAL) in the data dir, or in memory.
//!
//! Only this module knows how metadata is stored. Records are the model's serde types as JSON,
//! beside the columns the catalog looks things up by. Every write runs in one transaction, so an
//! acknowledged write survives `kill -9`, and concurrent writers are serialized (no lost updates).

use super::error::Result;
use super::model::{ColumnStatistics, Database, Partition, PartitionIndex, Table, UserDefinedFunction};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The version of the layout below; bump it with a migration when the layout changes.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS databases (
    catalog_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (catalog_id, name));
CREATE TABLE IF NOT EXISTS tables (
    catalog_id TEXT NOT NULL, db TEXT NOT NULL, name TEXT NOT NULL,
    version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (catalog_id, db, name));
CREATE TABLE IF NOT EXISTS table_versions (
    catalog_id TEXT NOT NULL, db TEXT NOT NULL, name TEXT NOT NULL,
    version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (catalog_id, db, name, version));
CREATE TABLE IF NOT EXISTS partitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog_id TEXT NOT NULL, db TEXT NOT NULL, tbl TEXT NOT NULL,
    vals TEXT NOT NULL, body TEXT NOT NULL,
    UNIQUE (catalog_id, db, tbl, vals));
-- Covering index: an expression scan reads only ids and values, never the bodies.
CREATE INDEX IF NOT EXISTS partitions_by_table ON partitions (catalog_id, db, tbl, id, vals);
CREATE TABLE IF NOT EXISTS partition_indexes (
    catalog_id TEXT NOT NULL, db TEXT NOT NULL, tbl TEXT NOT NULL, name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (catalog_id, db, tbl, name));
CREATE TABLE IF NOT EXISTS column_statistics (
    catalog_id TEXT NOT NULL, db TEXT NOT NULL, tbl TEXT NOT NULL,
    vals TEXT NOT NULL, column_name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (catalog_id, db, tbl, vals, column_name));
CREATE TABLE IF NOT EXISTS functions (
    catalog_id TEXT NOT NULL, db TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (catalog_id, db, name));
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (arn, key));
";

/// The catalog store. Cheap to share behind an `Arc`; one connection, one writer at a time.
pub struct Store {
    inner: Mutex<Inner>,
}

struct Inner {
    conn: Connection,
    values: RefCell<ValuesCache>,
}

/// The partition values of a table in id order, as `(id, values)`.
type TableValues = Arc<Vec<(i64, Vec<String>)>>;

/// Per table, the values of its partitions: what an expression scan reads. Loaded on the first
/// scan of a table, dropped by every write to the table's partitions, and cleared whenever a
/// transaction fails, so it never outlives the rows it mirrors. It lives behind the same mutex as
/// the connection, so no scan can interleave with a write.
type ValuesCache = HashMap<(String, String, String), TableValues>;

impl Store {
    /// Opens (creating if needed) the catalog database file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL in WAL mode: a committed transaction survives the process being killed (kill -9);
        // an OS crash or power cut may lose the last commits but never corrupts the store.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )?;
        Ok(Self { inner: Mutex::new(Inner { conn, values: RefCell::default() }) })
    }

    /// Runs `f` in one transaction, committed only if `f` returns `Ok`.
    pub fn transaction<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let inner = &mut *guard;
        let tx = Tx(inner.conn.transaction()?, &inner.values);
        let out = f(&tx).and_then(|out| {
            let Tx(transaction, _) = tx;
            transaction.commit()?;
            Ok(out)
        });
        if out.is_err() {
            inner.values.borrow_mut().clear();
        }
        out
    }

    /// Deletes every record (the control API's reset).
    pub fn reset(&self) -> Result<()> {
        self.transaction(|tx| {
            tx.0.execute_batch(
                "DELETE FROM databases; DELETE FROM tables; DELETE FROM table_versions;
                 DELETE FROM partitions; DELETE FROM partition_indexes;
                 DELETE FROM column_statistics; DELETE FROM functions; DELETE FROM tags;",
            )?;
            tx.1.borrow_mut().clear();
            Ok(())
        })
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value)?)
}

fn from_json<T: DeserializeOwned>(body: &str) -> Result<T> {
    Ok(serde_json::from_str(body)?)
}

/// The stored key of a partition's values: their JSON array.
pub fn values_key(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_default()
}

/// One row seen while scanning the partitions of a table.
pub struct PartitionRow<'a> {
    /// The stable id of the partition (its insertion order); used for paging and segments.
    pub id: i64,
    /// The partition's values.
    pub values: &'a [String],
}

/// A transaction on the store; all record access goes through it.
pub struct Tx<'c>(Transaction<'c>, &'c RefCell<ValuesCache>);

impl Tx<'_> {
    // ---- databases ----

    /// Reads a database.
    pub fn database(&self, catalog: &str, name: &str) -> Result<Option<Database>> {
        self.body("SELECT body FROM databases WHERE catalog_id = ?1 AND name = ?2", params![catalog, name])
    }

    /// Inserts or replaces a database.
    pub fn put_database(&self, catalog: &str, db: &Database) -> Result<()> {
        self.0.execute(
            "INSERT OR REPLACE INTO databases (catalog_id, name, body) VALUES (?1, ?2, ?3)",
            params![catalog, db.name, to_json(db)?],
        )?;
        Ok(())
    }

    /// Databases with a name after `after`, in name order, at most `limit`.
    pub fn databases(&self, catalog: &str, after: &str, limit: usize) -> Result<Vec<Database>> {
        self.bodies(
            "SELECT body FROM databases WHERE catalog_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
            params![catalog, after, limit as i64],
        )
    }

    /// Deletes a database with everything in it: tables, versions, partitions, statistics, functions.
    pub fn delete_database(&self, catalog: &str, name: &str) -> Result<bool> {
        for sql in [
            "DELETE FROM tables WHERE catalog_id = ?1 AND db = ?2",
            "DELETE FROM table_versions WHERE catalog_id = ?1 AND db = ?2",
            "DELETE FROM partitions WHERE catalog_id = ?1 AND db = ?2",
            "DELETE FROM partition_indexes WHERE catalog_id = ?1 AND db = ?2",
            "DELETE FROM column_statistics WHERE catalog_id = ?1 AND db = ?2",
            "DELETE FROM functions WHERE catalog_id = ?1 AND db = ?2",
        ] {
            self.0.execute(sql, params![catalog, name])?;
        }
        self.1.borrow_mut().retain(|(c, d, _), _| !(c == catalog && d == name));
        Ok(self.0.execute("DELETE FROM databases WHERE catalog_id = ?1 AND name = ?2", params![catalog, name])? > 0)
    }

    // ---- tables ----

    /// Reads a table's current version.
    pub fn table(&self, catalog: &str, db: &str, name: &str) -> Result<Option<Table>> {
        self.body("SELECT body FROM tables WHERE catalog_id = ?1 AND db = ?2 AND name = ?3", params![catalog, db, name])
    }

    /// Writes `table` as the current version, numbered `version`.
    pub fn put_table(&self, catalog: &str, db: &str, table: &Table, version: i64) -> Result<()> {
        self.0.execute(
            "INSERT OR REPLACE INTO tables (catalog_id, db, name, version, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![catalog, db, table.name, version, to_json(table)?],
        )?;
        Ok(())
    }

    /// Keeps `table` (a version about to be replaced) in the table's version history.
    pub fn archive_table(&self, catalog: &str, db: &str, table: &Table, version: i64) -> Result<()> {
        self.0.execute(
            "INSERT OR REPLACE INTO table_versions (catalog_id, db, name, version, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![catalog, db, table.name, version, to_json(table)?],
        )?;
        Ok(())
    }

    /// Tables of a database with a name after `after`, in name order.
    pub fn tables(&self, catalog: &str, db: &str, after: &str, limit: usize) -> Result<Vec<Table>> {
        self.bodies(
            "SELECT body FROM tables WHERE catalog_id = ?1 AND db = ?2 AND name > ?3 ORDER BY name LIMIT ?4",
            params![catalog, db, after, limit as i64],
        )
    }

    /// Every table of a catalog as (database, table), in (database, name) order.
    pub fn all_tables(&self, catalog: &str) -> Result<Vec<Table>> {
        self.bodies("SELECT body FROM tables WHERE catalog_id = ?1 ORDER BY db, name", params![catalog])
    }

    /// Deletes a table with its versions, partitions, indexes and statistics.
    pub fn delete_table(&self, catalog: &str, db: &str, name: &str) -> Result<bool> {
        for sql in [
            "DELETE FROM table_versions WHERE catalog_id = ?1 AND db = ?2 AND name = ?3",
            "DELETE FROM partitions WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3",
            "DELETE FROM partition_indexes WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3",
            "DELETE FROM column_statistics WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3",
        ] {
            self.0.execute(sql, params![catalog, db, name])?;
        }
        self.forget_values(catalog, db, name);
        let n = self.0.execute(
            "DELETE FROM tables WHERE catalog_id = ?1 AND db = ?2 AND name = ?3",
            params![catalog, db, name],
        )?;
        Ok(n > 0)
    }

    /// The current version number of a table.
    pub fn table_version(&self, catalog: &str, db: &str, name: &str) -> Result<Option<i64>> {
        Ok(self
            .0
            .query_row(
                "SELECT version FROM tables WHERE catalog_id = ?1 AND db = ?2 AND name = ?3",
                params![catalog, db, name],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// One archived version of a table.
    pub fn archived_table(&self, catalog: &str, db: &str, name: &str, version: i64) -> Result<Option<Table>> {
        self.body(
            "SELECT body FROM table_versions WHERE catalog_id = ?1 AND db = ?2 AND name = ?3 AND version = ?4",
            params![catalog, db, name, version],
        )
    }

    /// Archived versions of a table with a number below `before`, newest first.
    pub fn archived_tables(
        &self,
        catalog: &str,
        db: &str,
        name: &str,
        before: i64,
        limit: usize,
    ) -> Result<Vec<Table>> {
        self.bodies(
            "SELECT body FROM table_versions WHERE catalog_id = ?1 AND db = ?2 AND name = ?3 AND version < ?4
             ORDER BY version DESC LIMIT ?5",
            params![catalog, db, name, before, limit as i64],
        )
    }

    /// Deletes one archived version; false when there was none.
    pub fn delete_archived_table(&self, catalog: &str, db: &str, name: &str, version: i64) -> Result<bool> {
        Ok(self.0.execute(
            "DELETE FROM table_versions WHERE catalog_id = ?1 AND db = ?2 AND name = ?3 AND version = ?4",
            params![catalog, db, name, version],
        )? > 0)
    }

    // ---- partitions ----

    /// Inserts a partition; false when one with the same values exists already.
    pub fn insert_partition(&self, catalog: &str, db: &str, tbl: &str, partition: &Partition) -> Result<bool> {
        self.forget_values(catalog, db, tbl);
        let n = self.0.execute(
            "INSERT OR IGNORE INTO partitions (catalog_id, db, tbl, vals, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![catalog, db, tbl, values_key(&partition.values), to_json(partition)?],
        )?;
        Ok(n > 0)
    }

    /// Reads a partition by its values.
    pub fn partition(&self, catalog: &str, db: &str, tbl: &str, values: &[String]) -> Result<Option<Partition>> {
        self.body(
            "SELECT body FROM partitions WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND vals = ?4",
            params![catalog, db, tbl, values_key(values)],
        )
    }

    /// Replaces the partition stored under `old_values` (its values may change); false if none.
    pub fn replace_partition(
        &self,
        catalog: &str,
        db: &str,
        tbl: &str,
        old_values: &[String],
        partition: &Partition,
    ) -> Result<bool> {
        self.forget_values(catalog, db, tbl);
        let n = self.0.execute(
            "UPDATE partitions SET vals = ?5, body = ?6 WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND vals = ?4",
            params![catalog, db, tbl, values_key(old_values), values_key(&partition.values), to_json(partition)?],
        )?;
        Ok(n > 0)
    }

    /// Deletes a partition and its statistics; false when there was none.
    pub fn delete_partition(&self, catalog: &str, db: &str, tbl: &str, values: &[String]) -> Result<bool> {
        self.forget_values(catalog, db, tbl);
        let key = values_key(values);
        self.0.execute(
            "DELETE FROM column_statistics WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND vals = ?4",
            params![catalog, db, tbl, key],
        )?;
        Ok(self.0.execute(
            "DELETE FROM partitions WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND vals = ?4",
            params![catalog, db, tbl, key],
        )? > 0)
    }

    /// Scans a table's partitions with an id above `after_id`, in id order, and returns those
    /// `keep` accepts, at most `limit`, as their stored JSON (the `Partition` shape). `keep` sees
    /// only the (cached) values: bodies of rejected rows are never read, so a selective filter
    /// over 100k partitions stays cheap, and accepted bodies are passed on without re-encoding.
    pub fn scan_partitions(
        &self,
        catalog: &str,
        db: &str,
        tbl: &str,
        after_id: i64,
        limit: usize,
        mut keep: impl FnMut(&PartitionRow<'_>) -> Result<bool>,
    ) -> Result<Vec<(i64, String)>> {
        let all = self.table_values(catalog, db, tbl)?;
        let start = all.partition_point(|(id, _)| *id <= after_id);
        let mut ids = Vec::new();
        for (id, values) in &all[start..] {
            if ids.len() >= limit {
                break;
            }
            if keep(&PartitionRow { id: *id, values })? {
                ids.push(*id);
            }
        }
        let mut fetch = self.0.prepare_cached("SELECT body FROM partitions WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push((id, fetch.query_row([id], |row| row.get(0))?));
        }
        Ok(out)
    }

    /// The values of a table's partitions, from the cache or (once) from the covering index.
    fn table_values(&self, catalog: &str, db: &str, tbl: &str) -> Result<TableValues> {
        let key = (catalog.to_string(), db.to_string(), tbl.to_string());
        if let Some(values) = self.1.borrow().get(&key) {
            return Ok(values.clone());
        }
        let mut stmt = self.0.prepare_cached(
            "SELECT id, vals FROM partitions WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![catalog, db, tbl])?;
        let mut all = Vec::new();
        while let Some(row) = rows.next()? {
            all.push((row.get(0)?, from_json(row.get_ref(1)?.as_str()?)?));
        }
        let all = Arc::new(all);
        self.1.borrow_mut().insert(key, all.clone());
        Ok(all)
    }

    fn forget_values(&self, catalog: &str, db: &str, tbl: &str) {
        self.1.borrow_mut().remove(&(catalog.to_string(), db.to_string(), tbl.to_string()));
    }

    // ---- partition indexes ----

    /// The partition indexes of a table, in name order.
    pub fn partition_indexes(&self, catalog: &str, db: &str, tbl: &str) -> Result<Vec<PartitionIndex>> {
        self.bodies(
            "SELECT body FROM partition_indexes WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 ORDER BY name",
            params![catalog, db, tbl],
        )
    }

    /// Inserts a partition index; false when one with that name exists.
    pub fn insert_partition_index(&self, catalog: &str, db: &str, tbl: &str, index: &PartitionIndex) -> Result<bool> {
        Ok(self.0.execute(
            "INSERT OR IGNORE INTO partition_indexes (catalog_id, db, tbl, name, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![catalog, db, tbl, index.index_name, to_json(index)?],
        )? > 0)
    }

    /// Deletes a partition index; false when there was none.
    pub fn delete_partition_index(&self, catalog: &str, db: &str, tbl: &str, name: &str) -> Result<bool> {
        Ok(self.0.execute(
            "DELETE FROM partition_indexes WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND name = ?4",
            params![catalog, db, tbl, name],
        )? > 0)
    }

    // ---- column statistics (`values` is None for the table's own statistics) ----

    /// Stores the statistics of one column.
    pub fn put_column_statistics(
        &self,
        catalog: &str,
        db: &str,
        tbl: &str,
        values: Option<&[String]>,
        stats: &ColumnStatistics,
    ) -> Result<()> {
        self.0.execute(
            "INSERT OR REPLACE INTO column_statistics (catalog_id, db, tbl, vals, column_name, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![catalog, db, tbl, stats_key(values), stats.column_name, to_json(stats)?],
        )?;
        Ok(())
    }

    /// Reads the statistics of one column.
    pub fn column_statistics(
        &self,
        catalog: &str,
        db: &str,
        tbl: &str,
        values: Option<&[String]>,
        column: &str,
    ) -> Result<Option<ColumnStatistics>> {
        self.body(
            "SELECT body FROM column_statistics
             WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND vals = ?4 AND column_name = ?5",
            params![catalog, db, tbl, stats_key(values), column],
        )
    }

    /// Deletes the statistics of one column; false when there were none.
    pub fn delete_column_statistics(
        &self,
        catalog: &str,
        db: &str,
        tbl: &str,
        values: Option<&[String]>,
        column: &str,
    ) -> Result<bool> {
        Ok(self.0.execute(
            "DELETE FROM column_statistics
             WHERE catalog_id = ?1 AND db = ?2 AND tbl = ?3 AND vals = ?4 AND column_name = ?5",
            params![catalog, db, tbl, stats_key(values), column],
        )? > 0)
    }

    // ---- user-defined functions ----

    /// Reads a function.
    pub fn function(&self, catalog: &str, db: &str, name: &str) -> Result<Option<UserDefinedFunction>> {
        self.body(
            "SELECT body FROM functions WHERE catalog_id = ?1 AND db = ?2 AND name = ?3",
            params![catalog, db, name],
        )
    }

    /// Inserts or replaces a function.
    pub fn put_function(&self, catalog: &str, db: &str, function: &UserDefinedFunction) -> Result<()> {
        self.0.execute(
            "INSERT OR REPLACE INTO functions (catalog_id, db, name, body) VALUES (?1, ?2, ?3, ?4)",
            params![catalog, db, function.function_name, to_json(function)?],
        )?;
        Ok(())
    }

    /// Functions of one database, or of all when `db` is None, in (database, name) order.
    pub fn functions(&self, catalog: &str, db: Option<&str>) -> Result<Vec<UserDefinedFunction>> {
        self.bodies(
            "SELECT body FROM functions WHERE catalog_id = ?1 AND (?2 IS NULL OR db = ?2) ORDER BY db, name",
            params![catalog, db],
        )
    }

    /// Deletes a function; false when there was none.
    pub fn delete_function(&self, catalog: &str, db: &str, name: &str) -> Result<bool> {
        Ok(self.0.execute(
            "DELETE FROM functions WHERE catalog_id = ?1 AND db = ?2 AND name = ?3",
            params![catalog, db, name],
        )? > 0)
    }

    // ---- tags ----

    /// The tags of a resource.
    pub fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        let mut stmt = self.0.prepare_cached("SELECT key, value FROM tags WHERE arn = ?1")?;
        let rows = stmt.query_map([arn], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets one tag of a resource.
    pub fn put_tag(&self, arn: &str, key: &str, value: &str) -> Result<()> {
        self.0
            .execute("INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?1, ?2, ?3)", params![arn, key, value])?;
        Ok(())
    }

    /// Removes one tag of a resource.
    pub fn delete_tag(&self, arn: &str, key: &str) -> Result<()> {
        self.0.execute("DELETE FROM tags WHERE arn = ?1 AND key = ?2", params![arn, key])?;
        Ok(())
    }

    /// Removes all tags of one resource.
    pub fn delete_tags(&self, arn: &str) -> Result<()> {
        self.0.execute("DELETE FROM tags WHERE arn = ?1", [arn])?;
        Ok(())
    }

    /// Removes all tags of resources whose ARN starts with `prefix` (the tables of a deleted database).
    pub fn delete_tags_under(&self, prefix: &str) -> Result<()> {
        self.0.execute("DELETE FROM tags WHERE substr(arn, 1, length(?1)) = ?1", [prefix])?;
        Ok(())
    }

    // ---- helpers ----

    fn body<T: DeserializeOwned>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<T>> {
        let body: Option<String> = self.0.prepare_cached(sql)?.query_row(params, |row| row.get(0)).optional()?;
        body.map(|b| from_json(&b)).transpose()
    }

    fn bodies<T: DeserializeOwned>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<T>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(from_json(row.get_ref(0)?.as_str()?)?);
        }
        Ok(out)
    }
}

fn stats_key(values: Option<&[String]>) -> String {
    values.map(values_key).unwrap_or_default()
}
