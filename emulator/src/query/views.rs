//! Views, stored in Glue as Athena stores them (`VIRTUAL_VIEW`, the SQL and columns in a base64
//! "Presto View" JSON in `ViewOriginalText`), so Glue clients and Athena see the same views.
//! A query that reads a view gets the view's SQL inlined as a subquery (names inside it resolved
//! in the view's database), nested views included.

use super::Engine;
use super::error::{Failure, Rejected};
use super::types::{arrow_to_hive, athena_type_name};
use crate::catalog::model::{Column, SerDeInfo, StorageDescriptor, Table, TableInput};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::datatypes::Schema;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    self, Ident, ObjectName, ObjectNamePart, Query, TableAlias, TableFactor, VisitMut, VisitorMut,
};
use serde_json::json;
use std::collections::HashSet;
use std::ops::ControlFlow;

const PREFIX: &str = "/* Presto View: ";
const SUFFIX: &str = " */";

/// The Glue table of a view over `sql` in database `db`, with the columns of `schema`.
pub fn view_input(name: &str, db: &str, sql: &str, schema: &Schema) -> Result<TableInput, Failure> {
    let mut columns = Vec::new();
    let mut presto_columns = Vec::new();
    for f in schema.fields() {
        let hive = arrow_to_hive(f.data_type()).ok_or_else(|| {
            Failure::trino("NOT_SUPPORTED", format!("View column '{}' has an unsupported type", f.name()))
        })?;
        columns.push(Column { name: f.name().clone(), data_type: Some(hive), comment: None, parameters: None });
        presto_columns.push(json!({ "name": f.name(), "type": athena_type_name(f.data_type()) }));
    }
    let definition = json!({
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": db,
        "columns": presto_columns,
        "owner": "lakebox",
        "runAsInvoker": false,
        "properties": {},
    });
    Ok(TableInput {
        name: name.to_string(),
        table_type: Some("VIRTUAL_VIEW".into()),
        view_original_text: Some(format!("{PREFIX}{}{SUFFIX}", STANDARD.encode(definition.to_string()))),
        view_expanded_text: Some("/* Presto View */".into()),
        parameters: Some(
            [("presto_view".to_string(), "true".to_string()), ("comment".to_string(), "Presto View".to_string())]
                .into(),
        ),
        partition_keys: Some(Vec::new()),
        storage_descriptor: Some(StorageDescriptor {
            columns: Some(columns),
            location: Some(String::new()),
            serde_info: Some(SerDeInfo::default()),
            ..Default::default()
        }),
        owner: Some("lakebox".into()),
        ..Default::default()
    })
}

/// A view's SQL and database, from its Glue table.
pub fn view_sql(table: &Table) -> Option<(String, Option<String>)> {
    if table.table_type.as_deref() != Some("VIRTUAL_VIEW") {
        return None;
    }
    let text = table.view_original_text.as_deref()?;
    let Some(encoded) = text.strip_prefix(PREFIX).and_then(|t| t.strip_suffix(SUFFIX)) else {
        // A view created by other means (Hive, Spark): its text is the SQL.
        return Some((text.to_string(), table.database_name.clone()));
    };
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let definition: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    let sql = definition.get("originalSql")?.as_str()?.to_string();
    let schema =
        definition.get("schema").and_then(|s| s.as_str()).map(str::to_string).or_else(|| table.database_name.clone());
    Some((sql, schema))
}

/// The columns of a view as Athena describes them: name and Trino type.
pub fn view_columns(table: &Table) -> Vec<(String, String)> {
    let from_definition = table
        .view_original_text
        .as_deref()
        .and_then(|t| t.strip_prefix(PREFIX))
        .and_then(|t| t.strip_suffix(SUFFIX))
        .and_then(|e| STANDARD.decode(e.trim()).ok())
        .and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
        .and_then(|d| d.get("columns").cloned())
        .and_then(|c| c.as_array().cloned());
    match from_definition {
        Some(columns) => columns
            .iter()
            .map(|c| {
                (c["name"].as_str().unwrap_or_default().to_string(), c["type"].as_str().unwrap_or_default().to_string())
            })
            .collect(),
        None => table
            .storage_descriptor
            .as_ref()
            .and_then(|sd| sd.columns.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.name, c.data_type.unwrap_or_default()))
            .collect(),
    }
}

/// Replaces the views a statement reads with their SQL.
struct Inliner<'a> {
    engine: &'a Engine,
    database: String,
    ctes: HashSet<String>,
    inlined: usize,
    error: Option<Failure>,
}

fn parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .filter_map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i.value.to_lowercase()),
            _ => None,
        })
        .collect()
}

impl Inliner<'_> {
    fn resolve(&self, name: &ObjectName) -> Option<(String, String)> {
        let p = parts(name);
        match p.as_slice() {
            [t] if !self.ctes.contains(t) => Some((self.database.clone(), t.clone())),
            [db, t] => Some((db.clone(), t.clone())),
            [c, db, t] if c == super::provider::CATALOG_NAME => Some((db.clone(), t.clone())),
            _ => None,
        }
    }

    /// The view's query, its unqualified table names qualified with the view's database.
    fn view_query(&self, sql: &str, db: &str) -> Result<Query, Failure> {
        let classified = super::statement::classify(sql, &[], &|_| None).map_err(|r: Rejected| {
            Failure::trino("INVALID_VIEW", format!("Failed analyzing stored view: {}", r.message))
        })?;
        let super::statement::Prepared::Query { sql, .. } = classified.prepared else {
            return Err(Failure::trino("INVALID_VIEW", "A view must be a query"));
        };
        let statement = super::statement::parse_query(&sql).map_err(|r| Failure::trino("INVALID_VIEW", r.message))?;
        let DFStatement::Statement(inner) = statement else {
            return Err(Failure::trino("INVALID_VIEW", "A view must be a query"));
        };
        let ast::Statement::Query(mut query) = *inner else {
            return Err(Failure::trino("INVALID_VIEW", "A view must be a query"));
        };
        let ctes: HashSet<String> =
            query.with.iter().flat_map(|w| w.cte_tables.iter().map(|c| c.alias.name.value.to_lowercase())).collect();
        let _ = ast::visit_relations_mut(&mut *query, |name: &mut ObjectName| {
            let p = parts(name);
            if p.len() == 1 && !ctes.contains(&p[0]) {
                name.0.insert(0, ObjectNamePart::Identifier(Ident::new(db)));
            }
            ControlFlow::<()>::Continue(())
        });
        Ok(*query)
    }
}

impl VisitorMut for Inliner<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            self.ctes.extend(with.cte_tables.iter().map(|c| c.alias.name.value.to_lowercase()));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table { name, alias, args: None, .. } = factor else { return ControlFlow::Continue(()) };
        let Some((db, table)) = self.resolve(name) else { return ControlFlow::Continue(()) };
        let Ok(glue) = self.engine.catalog.get_table(None, &db, &table) else { return ControlFlow::Continue(()) };
        let Some((sql, view_db)) = view_sql(&glue) else { return ControlFlow::Continue(()) };
        self.inlined += 1;
        if self.inlined > 64 {
            self.error = Some(Failure::trino("INVALID_VIEW", "View nesting is too deep (more than 64 views)"));
            return ControlFlow::Break(());
        }
        match self.view_query(&sql, view_db.as_deref().unwrap_or(&db)) {
            Ok(query) => {
                let alias = alias.clone().unwrap_or(TableAlias {
                    explicit: true,
                    name: Ident::new(table),
                    columns: vec![],
                    at: None,
                });
                *factor = TableFactor::Derived {
                    lateral: false,
                    subquery: Box::new(query),
                    alias: Some(alias),
                    sample: None,
                };
                ControlFlow::Continue(())
            }
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

impl Engine {
    /// Inlines the views a statement reads.
    pub(super) fn inline_views(&self, mut statement: DFStatement, database: &str) -> Result<DFStatement, Failure> {
        if let DFStatement::Statement(inner) = &mut statement {
            let mut inliner =
                Inliner { engine: self, database: database.to_string(), ctes: HashSet::new(), inlined: 0, error: None };
            let _ = inner.as_mut().visit(&mut inliner);
            if let Some(e) = inliner.error {
                return Err(e);
            }
        }
        Ok(statement)
    }
}

impl Engine {
    fn view_name(&self, view: &super::hive::QualifiedName, database: &str) -> (String, String) {
        (view.database.clone().unwrap_or_else(|| database.to_string()), view.name.clone())
    }

    /// `CREATE [OR REPLACE] VIEW`: the query is planned (so a broken view is refused now) and
    /// the view stored in Glue.
    pub(super) async fn run_create_view(
        &self,
        request: &super::Request,
        view: &super::dml::CreateView,
        scanned: std::sync::Arc<super::scanned::Scanned>,
    ) -> Result<super::Outcome, Failure> {
        let (db, name) = self.view_name(&view.view, &request.database);
        let ctx = self.session(request, scanned)?;
        let mut inner = request.clone();
        inner.database = db.clone();
        let frame = self.plan(&ctx, &inner, &view.query).await?;
        let schema = frame.schema().as_arrow().clone();
        let input = view_input(&name, &db, &view.query, &schema)?;
        match self.catalog.get_table(None, &db, &name) {
            Ok(existing) if existing.table_type.as_deref() != Some("VIRTUAL_VIEW") => {
                return Err(Failure::trino(
                    "TABLE_ALREADY_EXISTS",
                    format!("line 1:1: Table already exists: 'awsdatacatalog.{db}.{name}'"),
                ));
            }
            Ok(_) if !view.or_replace => {
                return Err(Failure::trino(
                    "TABLE_ALREADY_EXISTS",
                    format!("line 1:1: View already exists: 'awsdatacatalog.{db}.{name}'"),
                ));
            }
            Ok(existing) => {
                let update =
                    crate::catalog::TableUpdate { input, version_id: existing.version_id.clone(), skip_archive: false };
                self.catalog.update_table(None, &db, update).map_err(|e| Failure::trino("HIVE_METASTORE_ERROR", e))?;
            }
            Err(crate::catalog::CatalogError::NotFound(m)) if m.starts_with("Database") => {
                return Err(Failure::trino("SCHEMA_NOT_FOUND", format!("line 1:1: Schema '{db}' does not exist")));
            }
            Err(_) => {
                self.catalog.create_table(None, &db, input).map_err(|e| Failure::trino("HIVE_METASTORE_ERROR", e))?
            }
        }
        self.txt_outcome(request, &[], Vec::new(), None).await
    }

    /// `DROP VIEW [IF EXISTS]`.
    pub(super) async fn run_drop_view(
        &self,
        request: &super::Request,
        view: &super::hive::QualifiedName,
        if_exists: bool,
    ) -> Result<super::Outcome, Failure> {
        let (db, name) = self.view_name(view, &request.database);
        match self.catalog.get_table(None, &db, &name) {
            Ok(t) if t.table_type.as_deref() == Some("VIRTUAL_VIEW") => {
                self.catalog
                    .delete_table(None, &db, &name, crate::protocol::DEFAULT_REGION)
                    .map_err(|e| Failure::trino("HIVE_METASTORE_ERROR", e))?;
            }
            Ok(_) => {
                return Err(Failure::trino(
                    "TABLE_NOT_FOUND",
                    format!(
                        "line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist (it is a table: use DROP TABLE)"
                    ),
                ));
            }
            Err(_) if if_exists => {}
            Err(_) => {
                return Err(Failure::trino(
                    "TABLE_NOT_FOUND",
                    format!("line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist"),
                ));
            }
        }
        self.txt_outcome(request, &[], Vec::new(), None).await
    }

    /// `SHOW VIEWS [IN db] [LIKE 'pattern']`.
    pub(super) async fn run_show_views(
        &self,
        request: &super::Request,
        database: Option<&str>,
        pattern: Option<&str>,
    ) -> Result<super::Outcome, Failure> {
        let db = database.unwrap_or(&request.database).to_string();
        let matcher = match pattern {
            Some(p) => Some(
                regex::RegexBuilder::new(&format!("^(?:{})$", p.replace('*', ".*")))
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| Failure::trino("INVALID_FUNCTION_ARGUMENT", e))?,
            ),
            None => None,
        };
        let tables = self
            .catalog
            .all_tables(None, &db)
            .map_err(|_| Failure::trino("SCHEMA_NOT_FOUND", format!("line 1:1: Schema '{db}' does not exist")))?;
        let mut names: Vec<String> = tables
            .into_iter()
            .filter(|t| t.table_type.as_deref() == Some("VIRTUAL_VIEW"))
            .map(|t| t.name)
            .filter(|n| matcher.as_ref().is_none_or(|m| m.is_match(n)))
            .collect();
        names.sort();
        self.txt_outcome(request, &["views"], names, Some(0)).await
    }

    /// `SHOW CREATE VIEW`.
    pub(super) async fn run_show_create_view(
        &self,
        request: &super::Request,
        view: &super::hive::QualifiedName,
    ) -> Result<super::Outcome, Failure> {
        let (db, name) = self.view_name(view, &request.database);
        let table = self.catalog.get_table(None, &db, &name).ok();
        let Some((sql, _)) = table.as_ref().and_then(view_sql) else {
            return Err(Failure::trino(
                "TABLE_NOT_FOUND",
                format!("line 1:1: View 'awsdatacatalog.{db}.{name}' does not exist"),
            ));
        };
        let mut rows = vec![format!("CREATE VIEW \"{db}\".\"{name}\" AS")];
        rows.extend(sql.lines().map(str::to_string));
        self.txt_outcome(request, &["create view"], rows, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field};

    #[test]
    fn views_are_encoded_as_athena_stores_them() {
        let schema = Schema::new(vec![Field::new("n", DataType::Int64, true), Field::new("s", DataType::Utf8, true)]);
        let input = view_input("v", "sales", "SELECT 1 AS n, 'x' AS s", &schema).unwrap();
        assert_eq!(input.table_type.as_deref(), Some("VIRTUAL_VIEW"));
        let text = input.view_original_text.clone().unwrap();
        assert!(text.starts_with("/* Presto View: ") && text.ends_with(" */"));
        let table = Table {
            name: "v".into(),
            database_name: Some("sales".into()),
            table_type: input.table_type.clone(),
            view_original_text: input.view_original_text.clone(),
            storage_descriptor: input.storage_descriptor.clone(),
            ..Default::default()
        };
        assert_eq!(view_sql(&table), Some(("SELECT 1 AS n, 'x' AS s".to_string(), Some("sales".to_string()))));
        assert_eq!(
            view_columns(&table),
            vec![("n".to_string(), "bigint".to_string()), ("s".to_string(), "varchar".to_string())]
        );
        let cols = input.storage_descriptor.unwrap().columns.unwrap();
        assert_eq!(cols[1].data_type.as_deref(), Some("string"));
    }
}
