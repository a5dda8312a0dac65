//! Data catalogs (`AwsDataCatalog`, the Glue catalog Lakebox serves) and the metadata operations
//! that read it: ListDatabases, GetDatabase, ListTableMetadata, GetTableMetadata.

use super::error::{AthenaError, Result};
use super::{Athena, page};
use crate::catalog::PageRequest;
use crate::catalog::model::{Column, Table};
use serde_json::{Map, Value, json};

/// The name of the Glue data catalog in Athena (matched case-insensitively).
pub const AWS_DATA_CATALOG: &str = "AwsDataCatalog";

impl Athena {
    /// Fails unless `name` is the Glue data catalog.
    pub fn require_data_catalog(&self, name: &str) -> Result<()> {
        if name.eq_ignore_ascii_case(AWS_DATA_CATALOG) {
            Ok(())
        } else {
            Err(AthenaError::invalid(format!("Catalog {name} was not found. Lakebox serves only {AWS_DATA_CATALOG}.")))
        }
    }

    /// `GetDataCatalog`.
    pub fn data_catalog(&self, name: &str) -> Result<Value> {
        self.require_data_catalog(name)?;
        Ok(json!({
            "Name": AWS_DATA_CATALOG, "Type": "GLUE", "Status": "CREATE_COMPLETE",
            "Description": "The Glue Data Catalog served by Lakebox",
            "Parameters": {"catalog-id": self.catalog.default_catalog_id()},
        }))
    }

    /// `ListDatabases`: the Glue databases as Athena's `Database` shape.
    pub fn list_databases(
        &self,
        catalog: &str,
        next_token: Option<&str>,
        max: Option<i64>,
    ) -> Result<(Vec<Value>, Option<String>)> {
        self.require_data_catalog(catalog)?;
        let (offset, limit) = page(next_token, max, 50)?;
        let mut all = Vec::new();
        let mut request = PageRequest { next_token: None, max_results: Some(100) };
        loop {
            let found = self.catalog.get_databases(None, &request)?;
            all.extend(found.items.into_iter().map(|db| database(&db)));
            match found.next_token {
                Some(t) => request.next_token = Some(t),
                None => break,
            }
        }
        Ok(super::workgroups::paged(all, offset, limit))
    }

    /// `GetDatabase`.
    pub fn database(&self, catalog: &str, name: &str) -> Result<Value> {
        self.require_data_catalog(catalog)?;
        Ok(database(&self.catalog.get_database(None, name)?))
    }

    /// `ListTableMetadata`: tables whose names match `expression` (as Glue's `GetTables`).
    pub fn list_table_metadata(
        &self,
        catalog: &str,
        db: &str,
        expression: Option<&str>,
        next_token: Option<&str>,
        max: Option<i64>,
    ) -> Result<(Vec<Value>, Option<String>)> {
        self.require_data_catalog(catalog)?;
        let (offset, limit) = page(next_token, max, 50)?;
        let mut all = Vec::new();
        let mut request = PageRequest { next_token: None, max_results: Some(100) };
        loop {
            let found = self.catalog.get_tables(None, db, expression, &request)?;
            all.extend(found.items.iter().map(table_metadata));
            match found.next_token {
                Some(t) => request.next_token = Some(t),
                None => break,
            }
        }
        Ok(super::workgroups::paged(all, offset, limit))
    }

    /// `GetTableMetadata`.
    pub fn table_metadata(&self, catalog: &str, db: &str, table: &str) -> Result<Value> {
        self.require_data_catalog(catalog)?;
        Ok(table_metadata(&self.catalog.get_table(None, db, table)?))
    }
}

fn database(db: &crate::catalog::model::Database) -> Value {
    json!({ "Name": db.name, "Description": db.description, "Parameters": db.parameters.clone().unwrap_or_default() })
}

fn column(c: &Column) -> Value {
    json!({ "Name": c.name, "Type": c.data_type, "Comment": c.comment })
}

/// Athena's `TableMetadata`: columns, partition keys, and the parameters Athena derives from the
/// storage descriptor (`location`, `inputformat`, `outputformat`, `serde.serialization.lib`,
/// `serde.param.*`) merged with the table's own.
fn table_metadata(t: &Table) -> Value {
    let mut parameters: Map<String, Value> = Map::new();
    if let Some(sd) = &t.storage_descriptor {
        let mut put = |k: &str, v: Option<&String>| {
            if let Some(v) = v {
                parameters.insert(k.into(), json!(v));
            }
        };
        put("location", sd.location.as_ref());
        put("inputformat", sd.input_format.as_ref());
        put("outputformat", sd.output_format.as_ref());
        if let Some(serde) = &sd.serde_info {
            put("serde.serialization.lib", serde.serialization_library.as_ref());
            for (k, v) in serde.parameters.iter().flatten() {
                parameters.insert(format!("serde.param.{k}"), json!(v));
            }
        }
    }
    for (k, v) in t.parameters.iter().flatten() {
        parameters.insert(k.clone(), json!(v));
    }
    let columns: Vec<Value> =
        t.storage_descriptor.as_ref().and_then(|sd| sd.columns.as_ref()).into_iter().flatten().map(column).collect();
    let keys: Vec<Value> = t.partition_keys().iter().map(column).collect();
    json!({
        "Name": t.name, "CreateTime": t.create_time, "LastAccessTime": t.last_access_time,
        "TableType": t.table_type, "Columns": columns, "PartitionKeys": keys, "Parameters": parameters,
    })
}
