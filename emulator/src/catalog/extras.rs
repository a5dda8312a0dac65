//! The smaller catalog resources: partition indexes, column statistics, user-defined functions
//! and tags.

use super::model::{Column, ColumnStatistics, PartitionIndex, Table, UserDefinedFunction, UserDefinedFunctionInput};
use super::tables::{name_matches, require_table};
use super::validate::{self, Violations};
use super::{Catalog, CatalogError, Page, PageRequest, Result, more, now, require_database, token};
use std::collections::BTreeMap;

/// At most this many partition indexes per table (AWS's quota).
const MAX_PARTITION_INDEXES: usize = 3;

impl Catalog {
    // ---- partition indexes ----

    /// `CreatePartitionIndex`: the keys must be partition keys of the table.
    pub fn create_partition_index(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        index: PartitionIndex,
    ) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = (validate::name("databaseName", db)?, validate::name("tableName", tbl)?);
        let mut v = Violations::default();
        v.string("partitionIndex.indexName", &index.index_name, 1, 255);
        v.list_len("partitionIndex.keys", index.keys.len(), 1, usize::MAX);
        v.finish()?;
        self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            for key in &index.keys {
                if partition_key(&table, key).is_none() {
                    return Err(CatalogError::invalid(format!("'{key}' is not a partition key of table {tbl}.")));
                }
            }
            if tx.partition_indexes(&catalog, &db, &tbl)?.len() >= MAX_PARTITION_INDEXES {
                return Err(CatalogError::LimitExceeded(format!(
                    "Table {tbl} already has the maximum of {MAX_PARTITION_INDEXES} partition indexes."
                )));
            }
            if !tx.insert_partition_index(&catalog, &db, &tbl, &index)? {
                return Err(CatalogError::AlreadyExists(format!(
                    "Partition index {} already exists.",
                    index.index_name
                )));
            }
            Ok(())
        })
    }

    /// `GetPartitionIndexes`: each index with its keys' names and types.
    pub fn get_partition_indexes(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
    ) -> Result<Vec<(PartitionIndex, Vec<Column>)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = (validate::name("databaseName", db)?, validate::name("tableName", tbl)?);
        self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            Ok(tx
                .partition_indexes(&catalog, &db, &tbl)?
                .into_iter()
                .map(|index| {
                    let keys = index.keys.iter().filter_map(|k| partition_key(&table, k).cloned()).collect();
                    (index, keys)
                })
                .collect())
        })
    }

    /// `DeletePartitionIndex`.
    pub fn delete_partition_index(&self, catalog_id: Option<&str>, db: &str, tbl: &str, name: &str) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = (validate::name("databaseName", db)?, validate::name("tableName", tbl)?);
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            if !tx.delete_partition_index(&catalog, &db, &tbl, name)? {
                return Err(CatalogError::NotFound(format!("Partition index {name} not found.")));
            }
            Ok(())
        })
    }

    // ---- column statistics (for a partition when `values` is Some) ----

    /// `UpdateColumnStatisticsFor{Table,Partition}`: stores what it can; the rest are errors.
    pub fn update_column_statistics(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        values: Option<&[String]>,
        list: Vec<ColumnStatistics>,
    ) -> Result<Vec<(ColumnStatistics, CatalogError)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = (validate::name("databaseName", db)?, validate::name("tableName", tbl)?);
        let mut v = Violations::default();
        v.list_len("columnStatisticsList", list.len(), 0, 25);
        v.finish()?;
        self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            require_partition(tx, &catalog, &db, &tbl, values)?;
            let mut errors = Vec::new();
            for stats in list {
                if find_column(&table, &stats.column_name).is_none() {
                    let e = CatalogError::NotFound(format!("Column {} not found in table {tbl}.", stats.column_name));
                    errors.push((stats, e));
                } else if stats.statistics_data.get("Type").and_then(|t| t.as_str()).is_none() {
                    errors.push((stats, CatalogError::invalid("StatisticsData.Type is required.")));
                } else {
                    tx.put_column_statistics(&catalog, &db, &tbl, values, &stats)?;
                }
            }
            Ok(errors)
        })
    }

    /// `GetColumnStatisticsFor{Table,Partition}`: the statistics found, and an error per column without.
    #[allow(clippy::type_complexity)]
    pub fn get_column_statistics(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        values: Option<&[String]>,
        columns: &[String],
    ) -> Result<(Vec<ColumnStatistics>, Vec<(String, CatalogError)>)> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = (validate::name("databaseName", db)?, validate::name("tableName", tbl)?);
        let mut v = Violations::default();
        v.list_len("columnNames", columns.len(), 0, 100);
        v.finish()?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            require_partition(tx, &catalog, &db, &tbl, values)?;
            let (mut found, mut errors) = (Vec::new(), Vec::new());
            for column in columns {
                match tx.column_statistics(&catalog, &db, &tbl, values, column)? {
                    Some(stats) => found.push(stats),
                    None => errors.push((
                        column.clone(),
                        CatalogError::NotFound(format!("Statistics for column {column} not found.")),
                    )),
                }
            }
            Ok((found, errors))
        })
    }

    /// `DeleteColumnStatisticsFor{Table,Partition}`.
    pub fn delete_column_statistics(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        values: Option<&[String]>,
        column: &str,
    ) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = (validate::name("databaseName", db)?, validate::name("tableName", tbl)?);
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            require_partition(tx, &catalog, &db, &tbl, values)?;
            if !tx.delete_column_statistics(&catalog, &db, &tbl, values, column)? {
                return Err(CatalogError::NotFound(format!("Statistics for column {column} not found.")));
            }
            Ok(())
        })
    }

    // ---- user-defined functions ----

    /// `CreateUserDefinedFunction`.
    pub fn create_function(&self, catalog_id: Option<&str>, db: &str, input: UserDefinedFunctionInput) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = validate::name("databaseName", db)?;
        let name = validate::name("functionInput.functionName", input.function_name.as_deref().unwrap_or_default())?;
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            if tx.function(&catalog, &db, &name)?.is_some() {
                return Err(CatalogError::AlreadyExists(format!("Function {name} already exists.")));
            }
            tx.put_function(&catalog, &db, &function_from_input(input, name, &db, &catalog, now()))
        })
    }

    /// `GetUserDefinedFunction`.
    pub fn get_function(&self, catalog_id: Option<&str>, db: &str, name: &str) -> Result<UserDefinedFunction> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("functionName", name)?);
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            tx.function(&catalog, &db, &name)?.ok_or_else(|| function_not_found(&name))
        })
    }

    /// `GetUserDefinedFunctions`: functions whose names match `pattern`, in one or every database.
    pub fn get_functions(
        &self,
        catalog_id: Option<&str>,
        db: Option<&str>,
        pattern: &str,
        page: &PageRequest,
    ) -> Result<Page<UserDefinedFunction>> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = db.map(|d| validate::name("databaseName", d)).transpose()?;
        let pattern = validate::name_pattern(pattern)?;
        let offset = page.numeric_position("udf")?.unwrap_or(0).max(0) as usize;
        let limit = page.limit(100);
        let mut items: Vec<UserDefinedFunction> = self.tx(|tx| {
            if let Some(db) = &db {
                require_database(tx, &catalog, db)?;
            }
            Ok(tx
                .functions(&catalog, db.as_deref())?
                .into_iter()
                .filter(|f| name_matches(Some(&pattern), &f.function_name))
                .skip(offset)
                .take(limit + 1)
                .collect())
        })?;
        let next_token = more(&mut items, limit).then(|| token("udf", offset + limit));
        Ok(Page { items, next_token })
    }

    /// `UpdateUserDefinedFunction`.
    pub fn update_function(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        name: &str,
        input: UserDefinedFunctionInput,
    ) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("functionName", name)?);
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            let old = tx.function(&catalog, &db, &name)?.ok_or_else(|| function_not_found(&name))?;
            let new_name = match input.function_name.as_deref() {
                Some(n) => validate::name("functionInput.functionName", n)?,
                None => name.clone(),
            };
            if new_name != name {
                if tx.function(&catalog, &db, &new_name)?.is_some() {
                    return Err(CatalogError::AlreadyExists(format!("Function {new_name} already exists.")));
                }
                tx.delete_function(&catalog, &db, &name)?;
            }
            let created = old.create_time.unwrap_or_else(now);
            tx.put_function(&catalog, &db, &function_from_input(input, new_name, &db, &catalog, created))
        })
    }

    /// `DeleteUserDefinedFunction`.
    pub fn delete_function(&self, catalog_id: Option<&str>, db: &str, name: &str) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, name) = (validate::name("databaseName", db)?, validate::name("functionName", name)?);
        self.tx(|tx| {
            require_database(tx, &catalog, &db)?;
            if !tx.delete_function(&catalog, &db, &name)? {
                return Err(function_not_found(&name));
            }
            Ok(())
        })
    }

    // ---- tags ----

    /// `GetTags`.
    pub fn get_tags(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        self.tx(|tx| {
            self.require_resource(tx, arn)?;
            tx.tags(arn)
        })
    }

    /// `TagResource`.
    pub fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<()> {
        let mut v = Violations::default();
        v.list_len("tagsToAdd", tags.len(), 0, 50);
        for (key, value) in tags {
            v.string("tagsToAdd.key", key, 1, 128);
            v.string("tagsToAdd.value", value, 0, 256);
        }
        v.finish()?;
        self.tx(|tx| {
            self.require_resource(tx, arn)?;
            if tx.tags(arn)?.keys().chain(tags.keys()).collect::<std::collections::BTreeSet<_>>().len() > 50 {
                return Err(CatalogError::invalid("A resource can have at most 50 tags."));
            }
            for (key, value) in tags {
                tx.put_tag(arn, key, value)?;
            }
            Ok(())
        })
    }

    /// `UntagResource`.
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        self.tx(|tx| {
            self.require_resource(tx, arn)?;
            for key in keys {
                tx.delete_tag(arn, key)?;
            }
            Ok(())
        })
    }

    /// Checks that an ARN names a Glue resource, and that a database or table it names exists.
    fn require_resource(&self, tx: &super::store::Tx<'_>, arn: &str) -> Result<()> {
        let bad = || CatalogError::invalid(format!("Invalid resource ARN: {arn}"));
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "glue" {
            return Err(bad());
        }
        let catalog = parts[4];
        let resource: Vec<&str> = parts[5].split('/').collect();
        match resource.as_slice() {
            ["database", db] => require_database(tx, catalog, db).map(drop),
            ["table", db, tbl] => require_table(tx, catalog, db, tbl).map(drop),
            [kind, ..] if !kind.is_empty() => Ok(()),
            _ => Err(bad()),
        }
    }
}

/// For partition statistics (`values` is Some), the partition must exist.
fn require_partition(
    tx: &super::store::Tx<'_>,
    catalog: &str,
    db: &str,
    tbl: &str,
    values: Option<&[String]>,
) -> Result<()> {
    if let Some(values) = values
        && tx.partition(catalog, db, tbl, values)?.is_none()
    {
        return Err(CatalogError::NotFound(format!("Partition not found: values {values:?}.")));
    }
    Ok(())
}

fn partition_key<'t>(table: &'t Table, name: &str) -> Option<&'t Column> {
    table.partition_keys().iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

fn find_column<'t>(table: &'t Table, name: &str) -> Option<&'t Column> {
    let columns = table.storage_descriptor.as_ref().and_then(|sd| sd.columns.as_deref()).unwrap_or_default();
    columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)).or_else(|| partition_key(table, name))
}

fn function_not_found(name: &str) -> CatalogError {
    CatalogError::NotFound(format!("Function {name} not found."))
}

fn function_from_input(
    input: UserDefinedFunctionInput,
    name: String,
    db: &str,
    catalog: &str,
    created: f64,
) -> UserDefinedFunction {
    UserDefinedFunction {
        function_name: name,
        database_name: Some(db.to_string()),
        class_name: input.class_name,
        owner_name: input.owner_name,
        owner_type: input.owner_type,
        create_time: Some(created),
        resource_uris: input.resource_uris,
        catalog_id: Some(catalog.to_string()),
    }
}
