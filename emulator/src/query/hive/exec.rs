//! Running Hive statements against the shared catalog, with the results and the `FAILED: ...`
//! messages of Athena's Hive engine. `MSCK REPAIR TABLE` lists the table's location through the
//! storage layer and registers every Hive-style `key=value/` folder not yet in the catalog.

use super::render::{describe, show_columns, show_create_table, table_input};
use super::{HiveStatement, QualifiedName};
use crate::catalog::model::{DatabaseInput, PartitionInput, StorageDescriptor, Table, TableInput};
use crate::catalog::{Catalog, CatalogError, PageRequest, TableUpdate};
use crate::query::types::hive_to_arrow;
use crate::query::write::escape_path;
use crate::storage::Storage;
use futures::TryStreamExt as _;
use std::collections::{BTreeMap, BTreeSet};

/// The output of a Hive statement: its column names (all `string`) and its text rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HiveOutput {
    pub columns: Vec<&'static str>,
    pub rows: Vec<String>,
}

/// A failed Hive statement: the reason (`FAILED: ...`) and Athena's error classification.
#[derive(Debug, Clone, PartialEq)]
pub struct HiveFailure {
    pub reason: String,
    pub category: u8,
    pub error_type: u16,
}

type Result<T> = std::result::Result<T, HiveFailure>;

const DDL_TASK: &str = "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask.";

fn execution_error(detail: impl std::fmt::Display) -> HiveFailure {
    HiveFailure { reason: format!("{DDL_TASK} {detail}"), category: 2, error_type: 1006 }
}

fn semantic(detail: impl std::fmt::Display, error_type: u16) -> HiveFailure {
    HiveFailure { reason: format!("FAILED: SemanticException {detail}"), category: 2, error_type }
}

fn database_missing(db: &str) -> HiveFailure {
    HiveFailure {
        reason: format!("FAILED: SemanticException [Error 10072]: Database does not exist: {db}"),
        category: 1,
        error_type: 1502,
    }
}

fn table_missing(db: &str, table: &str) -> HiveFailure {
    semantic(format!("[Error 10001]: Table not found {db}.{table}"), 1301)
}

fn internal(e: impl std::fmt::Display) -> HiveFailure {
    HiveFailure { reason: format!("FAILED: {e}"), category: 1, error_type: 204 }
}

/// Formats seconds since the epoch as Hive prints times (`Tue Nov 14 22:13:20 UTC 2023`).
pub fn hive_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%a %b %d %H:%M:%S UTC %Y").to_string())
        .unwrap_or_default()
}

fn now_secs() -> i64 {
    crate::catalog::now() as i64
}

/// What a Hive statement runs against.
pub struct HiveContext<'a> {
    pub catalog: &'a Catalog,
    pub storage: &'a Storage,
    /// The database of unqualified names (`QueryExecutionContext.Database`, else `default`).
    pub database: &'a str,
}

impl HiveContext<'_> {
    fn resolve(&self, name: &QualifiedName) -> Result<(String, String)> {
        if let Some(c) = &name.catalog
            && !c.eq_ignore_ascii_case(crate::query::provider::CATALOG_NAME)
        {
            return Err(semantic(format!("Catalog '{c}' does not exist"), 1301));
        }
        Ok((name.database.clone().unwrap_or_else(|| self.database.to_string()), name.name.clone()))
    }

    fn table(&self, name: &QualifiedName) -> Result<(String, Table)> {
        let (db, t) = self.resolve(name)?;
        match self.catalog.get_table(None, &db, &t) {
            Ok(table) => Ok((db, table)),
            Err(CatalogError::NotFound(m)) if m.starts_with("Database") => Err(database_missing(&db)),
            Err(CatalogError::NotFound(_)) => Err(table_missing(&db, &t)),
            Err(e) => Err(internal(e)),
        }
    }

    fn require_database(&self, db: &str) -> Result<()> {
        match self.catalog.get_database(None, db) {
            Ok(_) => Ok(()),
            Err(CatalogError::NotFound(_)) => Err(database_missing(db)),
            Err(e) => Err(internal(e)),
        }
    }
}

/// Runs one Hive statement.
pub async fn execute(cx: &HiveContext<'_>, statement: HiveStatement) -> Result<HiveOutput> {
    let none = || Ok(HiveOutput::default());
    match statement {
        HiveStatement::CreateDatabase { name, if_not_exists, comment, location, properties } => {
            let input = DatabaseInput {
                name: name.clone(),
                description: comment,
                location_uri: location,
                parameters: Some(properties),
                ..Default::default()
            };
            match cx.catalog.create_database(None, input, BTreeMap::new(), crate::protocol::DEFAULT_REGION) {
                Ok(()) => none(),
                Err(CatalogError::AlreadyExists(_)) if if_not_exists => none(),
                Err(CatalogError::AlreadyExists(_)) => Err(execution_error(format!("Database {name} already exists"))),
                Err(e) => Err(execution_error(e)),
            }
        }
        HiveStatement::DropDatabase { name, if_exists, cascade } => {
            match cx.catalog.get_tables(None, &name, None, &PageRequest { max_results: Some(1), ..Default::default() })
            {
                Err(CatalogError::NotFound(_)) if if_exists => return none(),
                Err(CatalogError::NotFound(_)) => return Err(database_missing(&name)),
                Err(e) => return Err(internal(e)),
                Ok(page) if !page.items.is_empty() && !cascade => {
                    return Err(execution_error(format!(
                        "InvalidOperationException(message:Database {name} is not empty. One or more tables exist.)"
                    )));
                }
                Ok(_) => {}
            }
            cx.catalog.delete_database(None, &name, crate::protocol::DEFAULT_REGION).map_err(execution_error)?;
            none()
        }
        HiveStatement::CreateTable(ct) => {
            let (db, name) = cx.resolve(&ct.table)?;
            cx.require_database(&db)?;
            let keys: BTreeSet<&str> = ct.partitioned_by.iter().map(|c| c.name.as_str()).collect();
            if ct.columns.iter().any(|c| keys.contains(c.name.as_str())) {
                return Err(semantic("[Error 10035]: Column repeated in partitioning columns", 1006));
            }
            for c in ct.columns.iter().chain(&ct.partitioned_by) {
                if let Err(e) = hive_to_arrow(&c.data_type) {
                    return Err(execution_error(format!("{e} (column {})", c.name)));
                }
            }
            let mut input = table_input(&ct, now_secs()).map_err(|e| semantic(e, 1006))?;
            input.name = name.clone();
            match cx.catalog.create_table(None, &db, input) {
                Ok(()) => none(),
                Err(CatalogError::AlreadyExists(_)) if ct.if_not_exists => none(),
                Err(CatalogError::AlreadyExists(_)) => {
                    Err(execution_error(format!("AlreadyExistsException(message:Table {name} already exist)")))
                }
                Err(CatalogError::NotFound(_)) => Err(database_missing(&db)),
                Err(e) => Err(execution_error(e)),
            }
        }
        HiveStatement::DropTable { table, if_exists } => {
            let (db, name) = cx.resolve(&table)?;
            match cx.catalog.delete_table(None, &db, &name, crate::protocol::DEFAULT_REGION) {
                Ok(()) => none(),
                Err(CatalogError::NotFound(_)) if if_exists => none(),
                Err(CatalogError::NotFound(_)) => Err(table_missing(&db, &name)),
                Err(e) => Err(execution_error(e)),
            }
        }
        HiveStatement::AddPartitions { table, if_not_exists, partitions } => {
            let (db, t) = cx.table(&table)?;
            let mut inputs = Vec::new();
            for p in partitions {
                let values = ordered_values(&t, &p.values, true)?;
                let storage_descriptor =
                    p.location.map(|l| StorageDescriptor { location: Some(l), ..Default::default() });
                inputs.push(PartitionInput { values: Some(values), storage_descriptor, ..Default::default() });
            }
            for chunk in inputs.chunks(100) {
                let errors = cx
                    .catalog
                    .batch_create_partition(None, &db, &t.name, chunk.to_vec(), 100)
                    .map_err(execution_error)?;
                if let Some((_, e)) =
                    errors.into_iter().find(|(_, e)| !(if_not_exists && matches!(e, CatalogError::AlreadyExists(_))))
                {
                    return Err(match e {
                        CatalogError::AlreadyExists(_) => {
                            execution_error("AlreadyExistsException(message:Partition already exists.)")
                        }
                        other => execution_error(other),
                    });
                }
            }
            none()
        }
        HiveStatement::DropPartitions { table, if_exists, partitions } => {
            let (db, t) = cx.table(&table)?;
            let mut keys = Vec::new();
            for spec in &partitions {
                keys.push(ordered_values(&t, spec, true)?);
            }
            let missing: Vec<&Vec<(String, String)>> = partitions
                .iter()
                .zip(&keys)
                .filter(|(_, k)| cx.catalog.get_partition(None, &db, &t.name, k).is_err())
                .map(|(s, _)| s)
                .collect();
            if let Some(spec) = missing.first()
                && !if_exists
            {
                let expr: Vec<String> = spec.iter().map(|(k, v)| format!("{k} = '{v}'")).collect();
                return Err(semantic(format!("[Error 10006]: Partition not found ({})", expr.join(" AND ")), 1301));
            }
            cx.catalog.delete_partitions(None, &db, &t.name, &keys, usize::MAX).map_err(execution_error)?;
            none()
        }
        HiveStatement::AddColumns { table, columns } => {
            let (db, t) = cx.table(&table)?;
            update_table(cx, &db, &t, |input| {
                let sd = input.storage_descriptor.get_or_insert_with(Default::default);
                let cols = sd.columns.get_or_insert_with(Vec::new);
                for c in &columns {
                    if cols.iter().any(|x| x.name == c.name) {
                        return Err(execution_error(format!("Duplicate column name: {}", c.name)));
                    }
                    cols.push(crate::catalog::model::Column {
                        name: c.name.clone(),
                        data_type: Some(c.data_type.clone()),
                        comment: c.comment.clone(),
                        parameters: None,
                    });
                }
                Ok(())
            })
        }
        HiveStatement::ReplaceColumns { table, columns } => {
            let (db, t) = cx.table(&table)?;
            let keys: BTreeSet<&str> = t.partition_keys().iter().map(|k| k.name.as_str()).collect();
            if let Some(c) = columns.iter().find(|c| keys.contains(c.name.as_str())) {
                return Err(execution_error(format!("Partition column name {} conflicts with table columns.", c.name)));
            }
            update_table(cx, &db, &t, |input| {
                let sd = input.storage_descriptor.get_or_insert_with(Default::default);
                sd.columns = Some(columns.iter().map(column_of).collect());
                Ok(())
            })
        }
        HiveStatement::ChangeColumn { table, old, column, position } => {
            let (db, t) = cx.table(&table)?;
            if let Err(e) = hive_to_arrow(&column.data_type) {
                return Err(execution_error(e));
            }
            update_table(cx, &db, &t, |input| {
                let sd = input.storage_descriptor.get_or_insert_with(Default::default);
                let cols = sd.columns.get_or_insert_with(Vec::new);
                let at = cols
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(&old))
                    .ok_or_else(|| execution_error(format!("Invalid column reference {old}")))?;
                let mut changed = cols.remove(at);
                changed.name = column.name.clone();
                changed.data_type = Some(column.data_type.clone());
                if column.comment.is_some() {
                    changed.comment = column.comment.clone();
                }
                let index = match &position {
                    None => at,
                    Some(None) => 0,
                    Some(Some(after)) => {
                        cols.iter()
                            .position(|c| c.name.eq_ignore_ascii_case(after))
                            .ok_or_else(|| execution_error(format!("Invalid column reference {after}")))?
                            + 1
                    }
                };
                cols.insert(index, changed);
                Ok(())
            })
        }
        HiveStatement::RenameTable { table, to } => {
            let (db, t) = cx.table(&table)?;
            let (new_db, new_name) = cx.resolve(&to)?;
            cx.require_database(&new_db)?;
            cx.catalog.rename_table(None, &db, &t.name, &new_db, &new_name).map_err(|e| match e {
                CatalogError::AlreadyExists(_) => {
                    execution_error(format!("AlreadyExistsException(message:Table {new_name} already exist)"))
                }
                other => execution_error(other),
            })?;
            none()
        }
        HiveStatement::SetProperties { table, properties } => {
            let (db, t) = cx.table(&table)?;
            update_table(cx, &db, &t, |input| {
                input.parameters.get_or_insert_with(Default::default).extend(properties.clone());
                Ok(())
            })
        }
        HiveStatement::SetLocation { table, location } => {
            let (db, t) = cx.table(&table)?;
            update_table(cx, &db, &t, |input| {
                input.storage_descriptor.get_or_insert_with(Default::default).location = Some(location.clone());
                Ok(())
            })
        }
        HiveStatement::SetPartitionLocation { table, partition, location } => {
            let (db, t) = cx.table(&table)?;
            let values = ordered_values(&t, &partition, true)?;
            let mut p = cx
                .catalog
                .get_partition(None, &db, &t.name, &values)
                .map_err(|_| semantic("[Error 10006]: Partition not found", 1301))?;
            p.storage_descriptor.get_or_insert_with(Default::default).location = Some(location);
            let write = crate::catalog::PartitionWrite {
                values: values.clone(),
                input: PartitionInput {
                    values: Some(values),
                    storage_descriptor: p.storage_descriptor,
                    parameters: p.parameters,
                    ..Default::default()
                },
            };
            cx.catalog.update_partitions(None, &db, &t.name, vec![write], 1).map_err(execution_error)?;
            none()
        }
        HiveStatement::MsckRepair { table } => msck_repair(cx, &table).await,
        HiveStatement::ShowDatabases { pattern } => {
            let matcher = pattern.as_deref().map(hive_pattern).transpose()?;
            let databases = cx.catalog.all_databases(None).map_err(internal)?;
            let rows = databases
                .into_iter()
                .map(|d| d.name)
                .filter(|n| matcher.as_ref().is_none_or(|m| m.is_match(n)))
                .collect();
            Ok(HiveOutput { columns: vec!["database_name"], rows })
        }
        HiveStatement::ShowTables { database, pattern } => {
            let db = database.unwrap_or_else(|| cx.database.to_string());
            cx.require_database(&db)?;
            let matcher = pattern.as_deref().map(hive_pattern).transpose()?;
            let tables = cx.catalog.all_tables(None, &db).map_err(internal)?;
            let mut rows: Vec<String> =
                tables.into_iter().map(|t| t.name).filter(|n| matcher.as_ref().is_none_or(|m| m.is_match(n))).collect();
            rows.sort();
            Ok(HiveOutput { columns: vec!["tab_name"], rows })
        }
        HiveStatement::ShowPartitions { table } => {
            let (db, t) = cx.table(&table)?;
            if t.partition_keys().is_empty() {
                return Err(execution_error(format!("Table {} is not a partitioned table", t.name)));
            }
            let partitions = cx
                .catalog
                .select_partitions(None, &db, &t.name, |v| Ok::<_, ()>(vec![true; v.len()]))
                .map_err(internal)?
                .unwrap_or_default();
            let mut rows: Vec<String> = partitions.iter().map(|p| partition_name(&t, &p.values)).collect();
            rows.sort();
            Ok(HiveOutput { columns: vec!["partition"], rows })
        }
        HiveStatement::ShowColumns { table } => {
            let (_, t) = cx.table(&table)?;
            Ok(HiveOutput { columns: vec!["field"], rows: show_columns(&t) })
        }
        HiveStatement::ShowCreateTable { table } => {
            let (_, t) = cx.table(&table)?;
            Ok(HiveOutput { columns: vec!["createtab_stmt"], rows: show_create_table(&t) })
        }
        HiveStatement::ShowTblProperties { table, key } => {
            let (_, t) = cx.table(&table)?;
            let params = t.parameters.clone().unwrap_or_default();
            let rows = match key {
                Some(k) => match params.get(&k) {
                    Some(v) => vec![v.clone()],
                    None => vec![format!("Table {} does not have property: {k}", t.name)],
                },
                None => params.iter().map(|(k, v)| format!("{k}\t{v}")).collect(),
            };
            Ok(HiveOutput { columns: vec!["prpt_name", "prpt_value"], rows })
        }
        HiveStatement::Describe { table, formatted, partition } => {
            let (db, t) = cx.table(&table)?;
            if t.table_type.as_deref() == Some("VIRTUAL_VIEW") {
                let rows =
                    crate::query::views::view_columns(&t).into_iter().map(|(n, ty)| format!("{n}\t{ty}")).collect();
                return Ok(HiveOutput { columns: vec!["column", "type"], rows });
            }
            if let Some(spec) = partition {
                let values = ordered_values(&t, &spec, true)?;
                cx.catalog
                    .get_partition(None, &db, &t.name, &values)
                    .map_err(|_| semantic("[Error 10006]: Partition not found", 1301))?;
            }
            Ok(HiveOutput { columns: vec!["col_name", "data_type", "comment"], rows: describe(&t, formatted, &db) })
        }
    }
}

fn column_of(c: &super::ColumnDef) -> crate::catalog::model::Column {
    crate::catalog::model::Column {
        name: c.name.clone(),
        data_type: Some(c.data_type.clone()),
        comment: c.comment.clone(),
        parameters: None,
    }
}

/// Replaces a table's definition with `change` applied to it.
fn update_table(
    cx: &HiveContext<'_>,
    db: &str,
    t: &Table,
    change: impl FnOnce(&mut TableInput) -> Result<()>,
) -> Result<HiveOutput> {
    let mut input = TableInput {
        name: t.name.clone(),
        description: t.description.clone(),
        owner: t.owner.clone(),
        retention: t.retention,
        storage_descriptor: t.storage_descriptor.clone(),
        partition_keys: t.partition_keys.clone(),
        view_original_text: t.view_original_text.clone(),
        view_expanded_text: t.view_expanded_text.clone(),
        table_type: t.table_type.clone(),
        parameters: t.parameters.clone(),
        ..Default::default()
    };
    change(&mut input)?;
    input
        .parameters
        .get_or_insert_with(Default::default)
        .insert("transient_lastDdlTime".into(), now_secs().to_string());
    let update = TableUpdate { input, version_id: t.version_id.clone(), skip_archive: false };
    cx.catalog.update_table(None, db, update).map_err(execution_error)?;
    Ok(HiveOutput::default())
}

/// A partition spec's values in the table's key order.
fn ordered_values(t: &Table, spec: &[(String, String)], full: bool) -> Result<Vec<String>> {
    let keys = t.partition_keys();
    if keys.is_empty() {
        return Err(semantic("table is not partitioned but partition spec exists", 1100));
    }
    let mut values = Vec::new();
    for k in keys {
        match spec.iter().find(|(name, _)| name.eq_ignore_ascii_case(&k.name)) {
            Some((_, v)) => values.push(v.clone()),
            None if full => {
                return Err(semantic(
                    format!("[Error 10006]: Partition spec is incomplete: partition column {} is missing", k.name),
                    1100,
                ));
            }
            None => {}
        }
    }
    if let Some((name, _)) = spec.iter().find(|(name, _)| !keys.iter().any(|k| k.name.eq_ignore_ascii_case(name))) {
        return Err(semantic(
            format!("[Error 10098]: Non-Partition column appears in the partition specification: {name}"),
            1100,
        ));
    }
    Ok(values)
}

/// Hive's name of a partition: `year=2024/month=03`, values escaped as in folder names.
pub fn partition_name(t: &Table, values: &[String]) -> String {
    t.partition_keys()
        .iter()
        .zip(values)
        .map(|(k, v)| format!("{}={}", k.name, escape_path(v)))
        .collect::<Vec<_>>()
        .join("/")
}

fn unescape_path(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = v.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Hive `SHOW TABLES` / `SHOW DATABASES` pattern: `*` is any text, `|` separates choices, the
/// whole name must match, case-insensitively.
fn hive_pattern(pattern: &str) -> Result<regex::Regex> {
    let mut re = String::new();
    let mut prev = None;
    for ch in pattern.chars() {
        if ch == '*' && prev != Some('.') {
            re.push_str(".*");
        } else {
            re.push(ch);
        }
        prev = Some(ch);
    }
    regex::RegexBuilder::new(&format!("^(?:{re})$"))
        .case_insensitive(true)
        .build()
        .map_err(|e| execution_error(format!("MetaException(message:bad pattern '{pattern}': {e})")))
}

/// `MSCK REPAIR TABLE`: registers the `key=value/...` folders under the table's location that
/// the catalog does not know yet, and reports them as Hive does.
async fn msck_repair(cx: &HiveContext<'_>, table: &QualifiedName) -> Result<HiveOutput> {
    let (db, name) = cx.resolve(table)?;
    let t = match cx.catalog.get_table(None, &db, &name) {
        Ok(t) => t,
        Err(CatalogError::NotFound(_)) => {
            return Ok(HiveOutput { columns: vec![], rows: vec![format!("Tables not in metastore:\t{name}")] });
        }
        Err(e) => return Err(internal(e)),
    };
    let keys: Vec<String> = t.partition_keys().iter().map(|k| k.name.clone()).collect();
    let root = t.storage_descriptor.as_ref().and_then(|sd| sd.location.clone()).unwrap_or_default();
    if keys.is_empty() || root.is_empty() {
        return Ok(HiveOutput::default());
    }
    let location = cx.storage.resolve(&root).map_err(|e| execution_error(format!("{root}: {e}")))?;
    let prefix = location.path.clone();
    let objects: Vec<object_store::ObjectMeta> = location
        .store
        .list(if prefix.as_ref().is_empty() { None } else { Some(&prefix) })
        .try_collect()
        .await
        .map_err(|e| execution_error(format!("listing {root}: {e}")))?;
    if objects.is_empty() {
        return Ok(HiveOutput { columns: vec![], rows: vec![format!("Tables missing on filesystem:\t{name}")] });
    }
    // Folders exactly one level per key deep, each `key=value` with the key's exact name.
    let mut found: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for object in &objects {
        let relative = object.location.as_ref().strip_prefix(prefix.as_ref()).unwrap_or(object.location.as_ref());
        let parts: Vec<&str> = relative.trim_start_matches('/').split('/').collect();
        if parts.len() <= keys.len() || parts.iter().any(|p| p.starts_with('_') || p.starts_with('.')) {
            continue;
        }
        let mut values = Vec::new();
        for (part, key) in parts.iter().zip(&keys) {
            match part.split_once('=') {
                Some((k, v)) if k == key => values.push(unescape_path(v)),
                _ => break,
            }
        }
        if values.len() == keys.len() {
            let folder = parts[..keys.len()].join("/");
            found.entry(values).or_insert(folder);
        }
    }
    let known: BTreeSet<Vec<String>> = cx
        .catalog
        .select_partitions(None, &db, &t.name, |v| Ok::<_, ()>(vec![true; v.len()]))
        .map_err(internal)?
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.values)
        .collect();
    let missing: Vec<(Vec<String>, String)> = found.into_iter().filter(|(v, _)| !known.contains(v)).collect();
    if missing.is_empty() {
        return Ok(HiveOutput::default());
    }
    let base = if root.ends_with('/') { root.clone() } else { format!("{root}/") };
    let inputs: Vec<PartitionInput> = missing
        .iter()
        .map(|(values, folder)| PartitionInput {
            values: Some(values.clone()),
            storage_descriptor: Some(StorageDescriptor {
                location: Some(format!("{base}{folder}/")),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    for chunk in inputs.chunks(100) {
        cx.catalog.batch_create_partition(None, &db, &t.name, chunk.to_vec(), 100).map_err(execution_error)?;
    }
    let names: Vec<String> = missing.iter().map(|(v, _)| format!("{}:{}", t.name, partition_name(&t, v))).collect();
    let mut rows = vec![format!("Partitions not in metastore:\t{}", names.join("\t"))];
    rows.extend(names.iter().map(|n| format!("Repair: Added partition to metastore {n}")));
    Ok(HiveOutput { columns: vec![], rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_hive() {
        let m = hive_pattern("tr*").unwrap();
        assert!(m.is_match("trips") && m.is_match("TRIPS") && !m.is_match("atrips"));
        let m = hive_pattern("a.*|b").unwrap();
        assert!(m.is_match("abc") && m.is_match("b") && !m.is_match("bc"));
    }

    #[test]
    fn partition_names_escape_like_hive() {
        assert_eq!(escape_path("2024-01-01 10:00"), "2024-01-01 10%3A00");
        assert_eq!(unescape_path("10%3A00"), "10:00");
        assert_eq!(unescape_path("100%"), "100%");
    }
}
