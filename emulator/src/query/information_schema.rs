//! Athena's `information_schema`: `schemata`, `tables`, `columns` and `views` of the Glue
//! catalog, built from the catalog when a query reads them (so they are never stale). The columns
//! are Athena's: `data_type` is the Trino type (`varchar`, `integer`, `array(varchar)`,
//! `timestamp(3)`), partition keys follow the data columns with `extra_info` `partition key`.
//! <https://docs.aws.amazon.com/athena/latest/ug/querying-glue-catalog.html>

use super::provider::{CATALOG_NAME, QueryEnv};
use super::types::{athena_type_name, hive_to_arrow};
use crate::catalog::model::Table;
use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::MemTable;
use std::sync::Arc;

pub const NAME: &str = "information_schema";
const TABLES: [&str; 4] = ["schemata", "tables", "columns", "views"];

#[derive(Debug)]
pub struct InformationSchema {
    env: Arc<QueryEnv>,
}

impl InformationSchema {
    pub fn new(env: Arc<QueryEnv>) -> Self {
        Self { env }
    }

    /// The database names, in name order (the catalog lists them so).
    fn databases(&self) -> Result<Vec<String>> {
        Ok(self.env.catalog.all_databases(None).map_err(external)?.into_iter().map(|d| d.name).collect())
    }

    /// Every table of every database, by database and then table name (the catalog's order).
    fn all_tables(&self) -> Result<Vec<(String, Table)>> {
        let mut all = Vec::new();
        for db in self.databases()? {
            let tables = self.env.catalog.all_tables(None, &db).map_err(external)?;
            all.extend(tables.into_iter().map(|t| (db.clone(), t)));
        }
        Ok(all)
    }

    fn build(&self, name: &str) -> Result<Option<RecordBatch>> {
        Ok(Some(match name {
            "schemata" => {
                let mut schemas = self.databases()?;
                schemas.push(NAME.into());
                schemas.sort();
                let catalogs = vec![CATALOG_NAME; schemas.len()];
                batch(&[
                    ("catalog_name", text(catalogs)),
                    ("schema_name", text(schemas.iter().map(String::as_str).collect())),
                ])?
            }
            "tables" => {
                let all = self.all_tables()?;
                let kind = |t: &Table| if is_view(t) { "VIEW" } else { "BASE TABLE" };
                batch(&[
                    ("table_catalog", text(vec![CATALOG_NAME; all.len()])),
                    ("table_schema", text(all.iter().map(|(db, _)| db.as_str()).collect())),
                    ("table_name", text(all.iter().map(|(_, t)| t.name.as_str()).collect())),
                    ("table_type", text(all.iter().map(|(_, t)| kind(t)).collect())),
                ])?
            }
            "views" => {
                let views: Vec<(String, Table)> = self.all_tables()?.into_iter().filter(|(_, t)| is_view(t)).collect();
                batch(&[
                    ("table_catalog", text(vec![CATALOG_NAME; views.len()])),
                    ("table_schema", text(views.iter().map(|(db, _)| db.as_str()).collect())),
                    ("table_name", text(views.iter().map(|(_, t)| t.name.as_str()).collect())),
                    ("view_definition", {
                        let sql: Vec<Option<String>> =
                            views.iter().map(|(_, t)| super::views::view_sql(t).map(|(sql, _)| sql)).collect();
                        nullable_text(sql.iter().map(Option::as_deref).collect())
                    }),
                ])?
            }
            "columns" => {
                let mut rows: Vec<ColumnRow> = Vec::new();
                for (db, t) in self.all_tables()? {
                    let data = t.storage_descriptor.as_ref().and_then(|sd| sd.columns.clone()).unwrap_or_default();
                    let keys = t.partition_keys.clone().unwrap_or_default();
                    let columns = data.iter().map(|c| (c, false)).chain(keys.iter().map(|c| (c, true)));
                    for (i, (c, key)) in columns.enumerate() {
                        rows.push(ColumnRow {
                            db: db.clone(),
                            table: t.name.clone(),
                            column: c.name.to_lowercase(),
                            position: i as i64 + 1,
                            data_type: trino_type(c.data_type.as_deref().unwrap_or("string")),
                            comment: c.comment.clone(),
                            key,
                        });
                    }
                }
                let nulls: Vec<Option<&str>> = vec![None; rows.len()];
                batch(&[
                    ("table_catalog", text(vec![CATALOG_NAME; rows.len()])),
                    ("table_schema", text(rows.iter().map(|r| r.db.as_str()).collect())),
                    ("table_name", text(rows.iter().map(|r| r.table.as_str()).collect())),
                    ("column_name", text(rows.iter().map(|r| r.column.as_str()).collect())),
                    ("ordinal_position", Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.position)))),
                    ("column_default", nullable_text(nulls)),
                    ("is_nullable", text(vec!["YES"; rows.len()])),
                    ("data_type", text(rows.iter().map(|r| r.data_type.as_str()).collect())),
                    ("comment", nullable_text(rows.iter().map(|r| r.comment.as_deref()).collect())),
                    ("extra_info", nullable_text(rows.iter().map(|r| r.key.then_some("partition key")).collect())),
                ])?
            }
            _ => return Ok(None),
        }))
    }
}

struct ColumnRow {
    db: String,
    table: String,
    column: String,
    position: i64,
    data_type: String,
    comment: Option<String>,
    key: bool,
}

fn is_view(t: &Table) -> bool {
    t.table_type.as_deref() == Some("VIRTUAL_VIEW")
}

/// A Glue (Hive) column type as Athena's `information_schema` names it; the Hive name itself
/// when Lakebox cannot read the type.
fn trino_type(hive: &str) -> String {
    match hive_to_arrow(hive) {
        Ok(DataType::Timestamp(_, None)) => "timestamp(3)".into(),
        Ok(t) => athena_type_name(&t),
        Err(_) => hive.to_string(),
    }
}

fn external(e: crate::catalog::CatalogError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

fn text(values: Vec<&str>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

fn nullable_text(values: Vec<Option<&str>>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

fn batch(columns: &[(&str, ArrayRef)]) -> Result<RecordBatch> {
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.iter().map(|(_, a)| a.clone()).collect())?)
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        TABLES.iter().map(|t| t.to_string()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(batch) = self.build(name)? else { return Ok(None) };
        Ok(Some(Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?)))
    }

    fn table_exist(&self, name: &str) -> bool {
        TABLES.contains(&name)
    }
}
