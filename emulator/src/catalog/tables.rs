//! Tables and their version history: create, read, list, search, update (with `VersionId`
//! optimistic concurrency and `SkipArchive`), delete.

use super::model::{Column, Table, TableInput, Timestamp};
use super::store::Tx;
use super::validate::{self, Violations};
use super::{Catalog, CatalogError, Page, PageRequest, Result, arn, more, now, require_database, token};
use regex::Regex;

/// The arguments of `UpdateTable` besides the names.
#[derive(Debug, Clone, Default)]
pub struct TableUpdate {
    pub input: TableInput,
    /// Fail with `ConcurrentModificationException` unless this is the current version.
    pub version_id: Option<String>,
    /// Replace the current version without keeping it in the history.
    pub skip_archive: bool,
}

/// A `SearchTables` property predicate.
#[derive(Debug, Clone)]
pub struct SearchFilter {
    pub key: String,
    pub value: String,
    pub comparator: String,
}

impl Catalog {
    /// `CreateTable`.
    pub fn create_table(&self, catalog_id: Option<&str>, db: &str, input: TableInput) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = validate::name("databaseName", db)?;
        let name = validate::name("tableInput.name", &input.name)?;
        validate_table_input(&input)?;
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            if tx.table(&catalog, &db, &name)?.is_some() {
                return Err(CatalogError::AlreadyExists(format!("Table {name} already exists.")));
            }
            let created = now();
            let table = table_from_input(input, name, &db, &catalog, created, created, 0);
            tx.put_table(&catalog, &db, &table, 0)
        })
    }

    /// Renames a table (`ALTER TABLE ... RENAME TO`), its partitions with it, in one transaction.
    /// The data stays where it is; the version history starts again.
    pub fn rename_table(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        name: &str,
        new_db: &str,
        new_name: &str,
    ) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("name", name)?);
        let (new_db, new_name) = (validate::name("databaseName", new_db)?, validate::name("name", new_name)?);
        self.tx(|tx| {
            let mut table = require_table(tx, &catalog, &db, &name)?;
            require_database(tx, &catalog, &new_db)?;
            if tx.table(&catalog, &new_db, &new_name)?.is_some() {
                return Err(CatalogError::AlreadyExists(format!("Table {new_name} already exists.")));
            }
            let partitions = tx.scan_partitions(&catalog, &db, &name, 0, usize::MAX, |_| Ok(true))?;
            tx.delete_table(&catalog, &db, &name)?;
            table.name = new_name.clone();
            table.database_name = Some(new_db.clone());
            table.update_time = Some(now());
            table.version_id = Some("0".into());
            tx.put_table(&catalog, &new_db, &table, 0)?;
            for (_, body) in partitions {
                let mut p: super::model::Partition = serde_json::from_str(&body)?;
                p.table_name = Some(new_name.clone());
                p.database_name = Some(new_db.clone());
                tx.insert_partition(&catalog, &new_db, &new_name, &p)?;
            }
            Ok(())
        })
    }

    /// `GetTable`.
    pub fn get_table(&self, catalog_id: Option<&str>, db: &str, name: &str) -> Result<Table> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("name", name)?);
        self.tx(|tx| require_table(tx, &catalog, &db, &name))
    }

    /// `GetTables`: the tables of a database whose names match `expression`, in name order.
    /// Every table of `db`, page after page (for callers that need the whole list).
    pub fn all_tables(&self, catalog_id: Option<&str>, db: &str) -> Result<Vec<Table>> {
        super::every(|page| self.get_tables(catalog_id, db, None, page))
    }

    pub fn get_tables(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        expression: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = validate::name("databaseName", db)?;
        let pattern = expression.filter(|e| !e.trim().is_empty()).map(validate::name_pattern).transpose()?;
        let after = page.position("tbl")?.unwrap_or_default();
        let limit = page.limit(100);
        let mut items = self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            // Without a pattern, read only the page (and one more); with one, filter as we go.
            let fetch = if pattern.is_none() { limit + 1 } else { usize::MAX >> 1 };
            let all = tx.tables(&catalog, &db, &after, fetch)?;
            Ok(all
                .into_iter()
                .filter(|t| pattern.as_ref().is_none_or(|p| p.is_match(&t.name)))
                .take(limit + 1)
                .collect())
        })?;
        let next_token = more(&mut items, limit).then(|| token("tbl", &items[items.len() - 1].name));
        Ok(Page { items, next_token })
    }

    /// `UpdateTable`.
    pub fn update_table(&self, catalog_id: Option<&str>, db: &str, update: TableUpdate) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = validate::name("databaseName", db)?;
        let name = validate::name("tableInput.name", &update.input.name)?;
        validate_table_input(&update.input)?;
        let expected = update.version_id.as_deref().map(parse_version).transpose()?;
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            let old = require_table(tx, &catalog, &db, &name)?;
            let current = tx.table_version(&catalog, &db, &name)?.unwrap_or_default();
            if expected.is_some_and(|v| v != current) {
                return Err(CatalogError::ConcurrentModification(format!(
                    "Update table failed due to concurrent modifications: table {db}.{name} is at version {current}, \
                     not {}.",
                    update.version_id.as_deref().unwrap_or_default()
                )));
            }
            if !update.skip_archive {
                tx.archive_table(&catalog, &db, &old, current)?;
            }
            let created = old.create_time.unwrap_or_else(now);
            let table = table_from_input(update.input, name, &db, &catalog, created, now(), current + 1);
            tx.put_table(&catalog, &db, &table, current + 1)
        })
    }

    /// `DeleteTable`: drops the table with its versions, partitions, indexes and statistics.
    pub fn delete_table(&self, catalog_id: Option<&str>, db: &str, name: &str, region: &str) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("name", name)?);
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            delete_table(tx, &catalog, &db, &name, region)
        })
    }

    /// `BatchDeleteTable`: deletes what exists; a missing table is an error entry.
    pub fn batch_delete_table(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        names: &[String],
        region: &str,
    ) -> Result<Vec<(String, CatalogError)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = validate::name("databaseName", db)?;
        let mut v = Violations::default();
        v.list_len("tablesToDelete", names.len(), 0, 100);
        v.finish()?;
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            let mut errors = Vec::new();
            for name in names {
                let result = validate::name("tablesToDelete.member", name)
                    .and_then(|n| delete_table(tx, &catalog, &db, &n, region));
                if let Err(e) = result {
                    if e.is_internal() {
                        return Err(e);
                    }
                    errors.push((name.clone(), e));
                }
            }
            Ok(errors)
        })
    }

    /// `SearchTables`: tables of every database whose name, description or parameters contain
    /// `text` (case-insensitive) and that pass every filter; sorted by database and name unless
    /// `sort` names `Name`, `DatabaseName`, `CreateTime` or `UpdateTime`.
    pub fn search_tables(
        &self,
        catalog_id: Option<&str>,
        text: Option<&str>,
        filters: &[SearchFilter],
        sort: Option<(&str, bool)>,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        let catalog = self.catalog_id(catalog_id)?;
        let offset = page.numeric_position("search")?.unwrap_or(0).max(0) as usize;
        let limit = page.limit(100);
        let needle = text.map(|t| t.trim().trim_matches('"').to_lowercase()).filter(|t| !t.is_empty());
        let mut found: Vec<Table> = self
            .tx(|tx| tx.all_tables(&catalog))?
            .into_iter()
            .filter(|t| needle.as_deref().is_none_or(|n| text_matches(t, n)))
            .filter(|t| filters.iter().all(|f| filter_matches(t, f)))
            .collect();
        if let Some((field, descending)) = sort {
            let key = |t: &Table| -> (Option<Timestamp>, String) {
                match field {
                    "CreateTime" => (t.create_time, String::new()),
                    "UpdateTime" => (t.update_time, String::new()),
                    "DatabaseName" => (None, t.database_name.clone().unwrap_or_default()),
                    _ => (None, t.name.clone()),
                }
            };
            found.sort_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal));
            if descending {
                found.reverse();
            }
        }
        let mut items: Vec<Table> = found.into_iter().skip(offset).take(limit + 1).collect();
        let next_token = more(&mut items, limit).then(|| token("search", offset + limit));
        Ok(Page { items, next_token })
    }

    /// `GetTableVersion`: one version, the current one when `version` is None.
    pub fn get_table_version(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<Table> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("tableName", name)?);
        let wanted = version.map(parse_version).transpose()?;
        self.tx(|tx| {
            let current = require_table(tx, &catalog, &db, &name)?;
            match wanted {
                Some(v) if Some(v.to_string()) != current.version_id => tx
                    .archived_table(&catalog, &db, &name, v)?
                    .ok_or_else(|| CatalogError::NotFound(format!("Version {v} of table {db}.{name} not found."))),
                _ => Ok(current),
            }
        })
    }

    /// `GetTableVersions`: the current version, then the archived ones, newest first.
    pub fn get_table_versions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        name: &str,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("tableName", name)?);
        let before = page.numeric_position("tv")?.unwrap_or(i64::MAX);
        let limit = page.limit(100);
        let mut items = self.tx(|tx| {
            let current = require_table(tx, &catalog, &db, &name)?;
            let current_version = tx.table_version(&catalog, &db, &name)?.unwrap_or_default();
            let mut items = Vec::new();
            if current_version < before {
                items.push(current);
            }
            items.extend(tx.archived_tables(&catalog, &db, &name, before.min(current_version), limit + 1)?);
            Ok(items)
        })?;
        let next_token =
            more(&mut items, limit).then(|| token("tv", items[items.len() - 1].version_id.as_deref().unwrap_or("0")));
        Ok(Page { items, next_token })
    }

    /// `DeleteTableVersion` / `BatchDeleteTableVersion`: deletes archived versions; the current
    /// version cannot be deleted. Returns the per-version errors.
    pub fn delete_table_versions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        name: &str,
        versions: &[String],
    ) -> Result<Vec<(String, CatalogError)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("tableName", name)?);
        let mut v = Violations::default();
        v.list_len("versionIds", versions.len(), 0, 100);
        v.finish()?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &name)?;
            let current = tx.table_version(&catalog, &db, &name)?.unwrap_or_default();
            let mut errors = Vec::new();
            for version in versions {
                let result = parse_version(version).and_then(|n| {
                    if n == current {
                        Err(CatalogError::invalid(format!(
                            "Version {n} is the current version of table {db}.{name} and cannot be deleted."
                        )))
                    } else if tx.delete_archived_table(&catalog, &db, &name, n)? {
                        Ok(())
                    } else {
                        Err(CatalogError::NotFound(format!("Version {n} of table {db}.{name} not found.")))
                    }
                });
                if let Err(e) = result {
                    if e.is_internal() {
                        return Err(e);
                    }
                    errors.push((version.clone(), e));
                }
            }
            Ok(errors)
        })
    }
}

pub(super) fn require_table(tx: &Tx<'_>, catalog: &str, db: &str, name: &str) -> Result<Table> {
    match tx.table(catalog, db, name)? {
        Some(t) => Ok(t),
        None => {
            require_database(tx, catalog, db)?;
            Err(CatalogError::NotFound(format!("Table {name} not found.")))
        }
    }
}

fn delete_table(tx: &Tx<'_>, catalog: &str, db: &str, name: &str, region: &str) -> Result<()> {
    if !tx.delete_table(catalog, db, name)? {
        return Err(CatalogError::NotFound(format!("Table {name} not found.")));
    }
    tx.delete_tags(&arn(region, catalog, &format!("table/{db}/{name}")))
}

fn parse_version(version: &str) -> Result<i64> {
    version.trim().parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
        CatalogError::invalid(format!("Invalid VersionId '{version}': it must be a non-negative integer."))
    })
}

pub(super) fn table_from_input(
    input: TableInput,
    name: String,
    db: &str,
    catalog: &str,
    created: Timestamp,
    updated: Timestamp,
    version: i64,
) -> Table {
    Table {
        name,
        database_name: Some(db.to_string()),
        description: input.description,
        owner: input.owner,
        create_time: Some(created),
        update_time: Some(updated),
        last_access_time: input.last_access_time,
        last_analyzed_time: input.last_analyzed_time,
        retention: Some(input.retention.unwrap_or(0)),
        storage_descriptor: input.storage_descriptor,
        partition_keys: Some(input.partition_keys.unwrap_or_default()),
        view_original_text: input.view_original_text,
        view_expanded_text: input.view_expanded_text,
        table_type: input.table_type,
        parameters: input.parameters,
        created_by: None,
        is_registered_with_lake_formation: Some(false),
        target_table: input.target_table,
        catalog_id: Some(catalog.to_string()),
        version_id: Some(version.to_string()),
        federated_table: input.federated_table,
        view_definition: input.view_definition,
        is_multi_dialect_view: None,
    }
}

pub(super) fn validate_table_input(input: &TableInput) -> Result<()> {
    let mut v = Violations::default();
    v.opt_string("tableInput.description", input.description.as_deref(), 0, 2048);
    v.opt_string("tableInput.owner", input.owner.as_deref(), 1, 255);
    v.opt_string("tableInput.tableType", input.table_type.as_deref(), 0, 255);
    v.range("tableInput.retention", input.retention.map(i64::from), 0, i64::from(i32::MAX));
    super::validate_parameters(&mut v, "tableInput.parameters", input.parameters.as_ref());
    validate_columns(&mut v, "tableInput.partitionKeys", input.partition_keys.as_deref());
    if let Some(sd) = &input.storage_descriptor {
        validate_storage_descriptor(&mut v, "tableInput.storageDescriptor", sd);
    }
    v.finish()?;
    let mut seen = std::collections::HashSet::new();
    for key in input.partition_keys.iter().flatten() {
        if !seen.insert(key.name.to_lowercase()) {
            return Err(CatalogError::invalid(format!("Duplicate partition key '{}'.", key.name)));
        }
    }
    Ok(())
}

/// Checks the members of a storage descriptor (shared with partitions).
pub(super) fn validate_storage_descriptor(v: &mut Violations, path: &str, sd: &super::model::StorageDescriptor) {
    v.opt_string(&format!("{path}.location"), sd.location.as_deref(), 0, 2056);
    v.opt_string(&format!("{path}.inputFormat"), sd.input_format.as_deref(), 0, 128);
    v.opt_string(&format!("{path}.outputFormat"), sd.output_format.as_deref(), 0, 128);
    validate_columns(v, &format!("{path}.columns"), sd.columns.as_deref());
    super::validate_parameters(v, &format!("{path}.parameters"), sd.parameters.as_ref());
}

fn validate_columns(v: &mut Violations, path: &str, columns: Option<&[Column]>) {
    for column in columns.into_iter().flatten() {
        v.string(&format!("{path}.member.name"), &column.name, 1, 255);
        v.opt_string(&format!("{path}.member.type"), column.data_type.as_deref(), 0, 131_072);
        v.opt_string(&format!("{path}.member.comment"), column.comment.as_deref(), 0, 255);
    }
}

fn text_matches(table: &Table, needle: &str) -> bool {
    let contains = |s: &str| s.to_lowercase().contains(needle);
    contains(&table.name)
        || table.description.as_deref().is_some_and(contains)
        || table.parameters.iter().flatten().any(|(k, v)| contains(k) || contains(v))
}

fn filter_matches(table: &Table, filter: &SearchFilter) -> bool {
    let actual = match filter.key.as_str() {
        "DatabaseName" => table.database_name.clone(),
        "TableName" | "Name" => Some(table.name.clone()),
        "Description" => table.description.clone(),
        "Owner" => table.owner.clone(),
        "TableType" => table.table_type.clone(),
        key => table.parameters.as_ref().and_then(|p| p.get(key).cloned()),
    };
    let Some(actual) = actual else { return false };
    let ord = actual.cmp(&filter.value);
    match filter.comparator.as_str() {
        "GREATER_THAN" => ord.is_gt(),
        "LESS_THAN" => ord.is_lt(),
        "GREATER_THAN_EQUALS" => ord.is_ge(),
        "LESS_THAN_EQUALS" => ord.is_le(),
        _ => match filter.key.as_str() {
            // Glue matches names exactly and other text properties by containment.
            "DatabaseName" | "TableName" | "Name" => actual.eq_ignore_ascii_case(&filter.value),
            _ => actual.to_lowercase().contains(&filter.value.to_lowercase()),
        },
    }
}

/// Whether `name` matches a compiled name pattern (exposed for the functions listing).
pub(super) fn name_matches(pattern: Option<&Regex>, name: &str) -> bool {
    pattern.is_none_or(|p| p.is_match(name))
}
