//! Partitions: create (one or a batch of 100), read, filter with an expression, page, segment,
//! update and delete. A partition that omits parts of its storage descriptor inherits them from
//! its table, and one without a location gets the Hive default `<table location>/k=v/...`.

use super::expr::Filter;
use super::model::{Partition, PartitionInput, StorageDescriptor, Table};
use super::store::Tx;
use super::tables::{require_table, validate_storage_descriptor};
use super::validate::{self, Violations};
use super::{Catalog, CatalogError, Page, PageRequest, Result, more, now, token};

/// The arguments of `GetPartitions` besides the names.
#[derive(Debug, Clone, Default)]
pub struct PartitionQuery {
    pub expression: Option<String>,
    pub page: PageRequest,
    /// `(SegmentNumber, TotalSegments)`.
    pub segment: Option<(i64, i64)>,
    pub exclude_column_schema: bool,
}

/// One partition to update: the values it has now, and what it becomes.
#[derive(Debug, Clone)]
pub struct PartitionWrite {
    pub values: Vec<String>,
    pub input: PartitionInput,
}

/// The largest number of partitions one `GetPartitions` page returns.
const MAX_PAGE: usize = 1000;

impl Catalog {
    /// `CreatePartition`.
    pub fn create_partition(&self, catalog_id: Option<&str>, db: &str, tbl: &str, input: PartitionInput) -> Result<()> {
        let errors = self.batch_create_partition(catalog_id, db, tbl, vec![input], 1)?;
        match errors.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// `BatchCreatePartition`: creates each partition it can; the rest come back as errors.
    pub fn batch_create_partition(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        inputs: Vec<PartitionInput>,
        max: usize,
    ) -> Result<Vec<(Vec<String>, CatalogError)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        let mut v = Violations::default();
        v.list_len("partitionInputList", inputs.len(), 0, max);
        for (i, input) in inputs.iter().enumerate() {
            validate_input(&mut v, &format!("partitionInputList.{}", i + 1), input);
        }
        v.finish()?;
        let created = now();
        self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            let mut errors = Vec::new();
            for input in inputs {
                let values = input.values.clone().unwrap_or_default();
                let result = check_values(&table, &values).and_then(|()| {
                    let partition = partition_from_input(&table, &catalog, values.clone(), input, created);
                    if tx.insert_partition(&catalog, &db, &tbl, &partition)? {
                        Ok(())
                    } else {
                        Err(CatalogError::AlreadyExists("Partition already exists.".into()))
                    }
                });
                if let Err(e) = result {
                    if e.is_internal() {
                        return Err(e);
                    }
                    errors.push((values, e));
                }
            }
            Ok(errors)
        })
    }

    /// `GetPartition`.
    pub fn get_partition(&self, catalog_id: Option<&str>, db: &str, tbl: &str, values: &[String]) -> Result<Partition> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            tx.partition(&catalog, &db, &tbl, values)?.ok_or_else(|| not_found(values))
        })
    }

    /// `GetPartitions`: the partitions passing the expression, in creation order, paged; each as
    /// its stored JSON (the `Partition` shape), to be sent without re-encoding.
    pub fn get_partitions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        query: &PartitionQuery,
    ) -> Result<Page<String>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        let mut v = Violations::default();
        v.range("maxResults", query.page.max_results, 1, MAX_PAGE as i64);
        v.opt_string("expression", query.expression.as_deref(), 0, 2048);
        if let Some((number, total)) = query.segment {
            v.range("segment.segmentNumber", Some(number), 0, i64::MAX);
            v.range("segment.totalSegments", Some(total), 1, 10);
        }
        v.finish()?;
        if let Some((number, total)) = query.segment.filter(|(n, t)| n >= t) {
            return Err(CatalogError::invalid(format!(
                "SegmentNumber {number} must be less than TotalSegments {total}."
            )));
        }
        let after = query.page.numeric_position("part")?.unwrap_or(0);
        let limit = query.page.limit(MAX_PAGE);
        let mut found = self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            let filter = match query.expression.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                Some(e) => Some(Filter::parse(e, table.partition_keys())?),
                None => None,
            };
            tx.scan_partitions(&catalog, &db, &tbl, after, limit + 1, |row| {
                let in_segment = query.segment.is_none_or(|(n, t)| row.id.rem_euclid(t) == n);
                Ok(in_segment && filter.as_ref().is_none_or(|f| f.matches(row.values)))
            })
        })?;
        let next_token = more(&mut found, limit).then(|| token("part", found[found.len() - 1].0));
        let items = found
            .into_iter()
            .map(|(_, body)| if query.exclude_column_schema { without_columns(&body) } else { Ok(body) })
            .collect::<Result<_>>()?;
        Ok(Page { items, next_token })
    }

    /// For CTAS: creates a table and its partitions in one transaction, so a table never exists
    /// without the partitions of the statement that created it.
    pub fn create_table_with_partitions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        input: super::model::TableInput,
        partitions: Vec<PartitionInput>,
    ) -> Result<()> {
        let catalog = self.catalog_id(catalog_id)?;
        let db = validate::name("databaseName", db)?;
        let name = validate::name("tableInput.name", &input.name)?;
        super::tables::validate_table_input(&input)?;
        let created = now();
        self.tx(|tx| {
            super::require_database(tx, &catalog, &db)?;
            if tx.table(&catalog, &db, &name)?.is_some() {
                return Err(CatalogError::AlreadyExists(format!("Table {name} already exists.")));
            }
            let table = super::tables::table_from_input(input, name.clone(), &db, &catalog, created, created, 0);
            tx.put_table(&catalog, &db, &table, 0)?;
            for p in partitions {
                let values = p.values.clone().unwrap_or_default();
                check_values(&table, &values)?;
                let partition = partition_from_input(&table, &catalog, values, p, created);
                tx.insert_partition(&catalog, &db, &name, &partition)?;
            }
            Ok(())
        })
    }

    /// For INSERT INTO: registers the partitions that do not exist yet (in one transaction).
    pub fn add_missing_partitions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        partitions: Vec<PartitionInput>,
    ) -> Result<usize> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        let created = now();
        self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            let mut added = 0;
            for p in partitions {
                let values = p.values.clone().unwrap_or_default();
                check_values(&table, &values)?;
                if tx.partition(&catalog, &db, &tbl, &values)?.is_some() {
                    continue;
                }
                let partition = partition_from_input(&table, &catalog, values, p, created);
                if tx.insert_partition(&catalog, &db, &tbl, &partition)? {
                    added += 1;
                }
            }
            Ok(added)
        })
    }

    /// For the query engine: the table and those of its partitions that `decide` keeps, judged
    /// for all partitions at once from their values alone (the engine evaluates the query's own
    /// predicates over them); only kept partitions are decoded. Partitions come in creation order.
    pub fn select_partitions<E>(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        decide: impl FnOnce(&[Vec<String>]) -> std::result::Result<Vec<bool>, E>,
    ) -> Result<std::result::Result<Vec<Partition>, E>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            let mut ids = Vec::new();
            let mut values = Vec::new();
            tx.scan_partitions(&catalog, &db, &tbl, 0, usize::MAX, |row| {
                ids.push(row.id);
                values.push(row.values.to_vec());
                Ok(false)
            })?;
            let keep = match decide(&values) {
                Ok(keep) => keep,
                Err(e) => return Ok(Err(e)),
            };
            let kept: std::collections::HashSet<i64> =
                ids.iter().zip(keep).filter(|(_, k)| *k).map(|(id, _)| *id).collect();
            let bodies = tx.scan_partitions(&catalog, &db, &tbl, 0, usize::MAX, |row| Ok(kept.contains(&row.id)))?;
            let partitions = bodies
                .into_iter()
                .map(|(_, body)| serde_json::from_str(&body).map_err(CatalogError::from))
                .collect::<Result<Vec<Partition>>>()?;
            Ok(Ok(partitions))
        })
    }

    /// The values of every partition of a table (no partition bodies are read), for the query
    /// planner.
    pub fn partition_values(&self, catalog_id: Option<&str>, db: &str, tbl: &str) -> Result<Vec<Vec<String>>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            let mut values = Vec::new();
            tx.scan_partitions(&catalog, &db, &tbl, 0, usize::MAX, |row| {
                values.push(row.values.to_vec());
                Ok(false)
            })?;
            Ok(values)
        })
    }

    /// `BatchGetPartition`: the partitions that exist, in the order asked; missing ones are left out.
    pub fn batch_get_partition(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        keys: &[Vec<String>],
    ) -> Result<Vec<Partition>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        let mut v = Violations::default();
        v.list_len("partitionsToGet", keys.len(), 0, 1000);
        v.finish()?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            let mut out = Vec::new();
            for values in keys {
                out.extend(tx.partition(&catalog, &db, &tbl, values)?);
            }
            Ok(out)
        })
    }

    /// `UpdatePartition` / `BatchUpdatePartition`: replaces partitions (their values cannot change).
    pub fn update_partitions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        writes: Vec<PartitionWrite>,
        max: usize,
    ) -> Result<Vec<(Vec<String>, CatalogError)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        let mut v = Violations::default();
        v.list_len("entries", writes.len(), 1, max);
        for (i, w) in writes.iter().enumerate() {
            validate_input(&mut v, &format!("entries.{}.partitionInput", i + 1), &w.input);
        }
        v.finish()?;
        self.tx(|tx| {
            let table = require_table(tx, &catalog, &db, &tbl)?;
            let mut errors = Vec::new();
            for write in writes {
                if let Err(e) = update_one(tx, &catalog, &table, &write) {
                    if e.is_internal() {
                        return Err(e);
                    }
                    errors.push((write.values, e));
                }
            }
            Ok(errors)
        })
    }

    /// `DeletePartition` / `BatchDeletePartition`: a missing partition is an error entry.
    pub fn delete_partitions(
        &self,
        catalog_id: Option<&str>,
        db: &str,
        tbl: &str,
        keys: &[Vec<String>],
        max: usize,
    ) -> Result<Vec<(Vec<String>, CatalogError)>> {
        let catalog = self.catalog_id(catalog_id)?;
        let (db, tbl) = names(db, tbl)?;
        let mut v = Violations::default();
        v.list_len("partitionsToDelete", keys.len(), 0, max);
        v.finish()?;
        self.tx(|tx| {
            require_table(tx, &catalog, &db, &tbl)?;
            let mut errors = Vec::new();
            for values in keys {
                if !tx.delete_partition(&catalog, &db, &tbl, values)? {
                    errors.push((values.clone(), not_found(values)));
                }
            }
            Ok(errors)
        })
    }
}

/// A partition's JSON without `StorageDescriptor.Columns` (`ExcludeColumnSchema`).
fn without_columns(body: &str) -> Result<String> {
    let mut partition: serde_json::Value = serde_json::from_str(body)?;
    if let Some(sd) = partition.get_mut("StorageDescriptor").and_then(|sd| sd.as_object_mut()) {
        sd.remove("Columns");
    }
    Ok(partition.to_string())
}

fn names(db: &str, tbl: &str) -> Result<(String, String)> {
    Ok((validate::name("databaseName", db)?, validate::name("tableName", tbl)?))
}

fn not_found(values: &[String]) -> CatalogError {
    CatalogError::NotFound(format!("Partition not found: values {values:?}."))
}

fn validate_input(v: &mut Violations, path: &str, input: &PartitionInput) {
    if let Some(values) = &input.values {
        v.list_len(&format!("{path}.values"), values.len(), 0, 100);
        for value in values {
            v.string(&format!("{path}.values.member"), value, 0, 1024);
        }
    }
    if let Some(sd) = &input.storage_descriptor {
        validate_storage_descriptor(v, &format!("{path}.storageDescriptor"), sd);
    }
}

fn check_values(table: &Table, values: &[String]) -> Result<()> {
    let keys = table.partition_keys().len();
    if values.len() != keys {
        return Err(CatalogError::invalid(format!(
            "The number of partition values ({}) does not match the number of partition keys ({keys}) of table {}.",
            values.len(),
            table.name
        )));
    }
    Ok(())
}

fn update_one(tx: &Tx<'_>, catalog: &str, table: &Table, write: &PartitionWrite) -> Result<()> {
    let db = table.database_name.as_deref().unwrap_or_default();
    let old = tx.partition(catalog, db, &table.name, &write.values)?.ok_or_else(|| not_found(&write.values))?;
    // Glue: "The Values property can't be changed"; delete and recreate the partition instead.
    let values = write.input.values.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| write.values.clone());
    if values != write.values {
        return Err(CatalogError::invalid(
            "The values of a partition cannot be changed by an update; delete and recreate the partition.",
        ));
    }
    let created = old.creation_time.unwrap_or_else(now);
    let partition = partition_from_input(table, catalog, values, write.input.clone(), created);
    tx.replace_partition(catalog, db, &table.name, &write.values, &partition)?;
    Ok(())
}

fn partition_from_input(
    table: &Table,
    catalog: &str,
    values: Vec<String>,
    input: PartitionInput,
    created: f64,
) -> Partition {
    let table_sd = table.storage_descriptor.clone().unwrap_or_default();
    let mut sd = input.storage_descriptor.unwrap_or_default();
    sd.inherit_from(&table_sd);
    if sd.location.is_none() {
        sd.location = default_location(table, &table_sd, &values);
    }
    Partition {
        values,
        database_name: table.database_name.clone(),
        table_name: Some(table.name.clone()),
        creation_time: Some(created),
        last_access_time: input.last_access_time,
        storage_descriptor: Some(sd),
        parameters: Some(input.parameters.unwrap_or_default()),
        last_analyzed_time: input.last_analyzed_time,
        catalog_id: Some(catalog.to_string()),
    }
}

/// Hive's default partition location: `<table location>/key1=value1/key2=value2/`.
fn default_location(table: &Table, table_sd: &StorageDescriptor, values: &[String]) -> Option<String> {
    let base = table_sd.location.as_deref()?.trim_end_matches('/');
    let path: Vec<String> = table.partition_keys().iter().zip(values).map(|(k, v)| format!("{}={v}", k.name)).collect();
    Some(format!("{base}/{}/", path.join("/")))
}
