//! Running the statements that write: CTAS (files, then the Glue table with its partitions in
//! one transaction), INSERT INTO (new files only, new partitions registered) and UNLOAD (files
//! and a manifest, no table). Files are staged under a hidden folder and moved into place only
//! when everything else succeeded ([`super::write::Staging`]).

use super::dml::{Ctas, Insert, Property, Unload};
use super::error::{Failure, from_datafusion};
use super::formats::{TableFormat, table_format};
use super::hive::QualifiedName;
use super::scanned::Scanned;
use super::types::{arrow_to_hive, hive_to_arrow};
use super::write::{
    Bucketing, Destination, FileCompression, FileFormat, Staging, WriteSpec, WrittenFile, write_streams,
};
use super::{Engine, Outcome, Request, join};
use crate::catalog::CatalogError;
use crate::catalog::model::{Column, PartitionInput, SerDeInfo, StorageDescriptor, TableInput};
use datafusion::arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{LogicalPlan, cast, col, lit};
use datafusion::prelude::SessionContext;
use futures::StreamExt as _;
use object_store::ObjectStoreExt as _;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Athena writes at most this many partitions (times buckets) per statement.
const MAX_PARTITIONS: usize = 100;

/// `TABLE_ALREADY_EXISTS` for a CTAS, with the advice Athena adds about the target location.
fn destination_exists(db: &str, name: &str, location: &str) -> Failure {
    Failure::trino(
        "TABLE_ALREADY_EXISTS",
        format!(
            "line 1:1: Destination table 'awsdatacatalog.{db}.{name}' already exists. You may need to manually clean \
             the data at location '{}' before retrying. Athena will not delete data in your account.",
            location.trim_end_matches('/')
        ),
    )
}

/// Where a CTAS would have written, for its error messages (before the location is resolved).
fn location_hint(ctas: &Ctas, request: &Request) -> String {
    match ctas.properties.get("external_location") {
        Some(l) => l.text(),
        None => join(&request.output_location, &format!("tables/{}", request.id)),
    }
}

/// `bucketed_by` and `bucket_count` of a CTAS, both or neither.
fn buckets(properties: &BTreeMap<String, Property>, columns: &[Column]) -> Result<Option<(Vec<String>, i32)>, Failure> {
    let by = properties.get("bucketed_by").map(|p| p.list());
    let count = properties.get("bucket_count").map(|p| p.text());
    match (by, count) {
        (None, None) => Ok(None),
        (Some(by), Some(count)) => {
            let count = count.parse::<i32>().ok().filter(|n| (1..=100_000).contains(n)).ok_or_else(|| {
                Failure::trino(
                    "INVALID_TABLE_PROPERTY",
                    format!("bucket_count must be between 1 and 100000, got {count}"),
                )
            })?;
            let by: Vec<String> = by.iter().map(|c| c.to_lowercase()).collect();
            if let Some(missing) = by.iter().find(|b| !columns.iter().any(|c| c.name == **b)) {
                return Err(Failure::trino(
                    "INVALID_TABLE_PROPERTY",
                    format!("Bucketing columns [{missing}] not present in schema"),
                ));
            }
            Ok(Some((by, count)))
        }
        _ => Err(Failure::trino("INVALID_TABLE_PROPERTY", "bucketed_by and bucket_count must be specified together")),
    }
}

fn not_supported(what: impl std::fmt::Display) -> Failure {
    Failure::trino("NOT_SUPPORTED", what)
}

/// How a written format is described in Glue: input and output formats, SerDe and parameters.
struct GlueFormat {
    input: &'static str,
    output: &'static str,
    serde: &'static str,
    serde_params: BTreeMap<String, String>,
}

fn glue_format(format: &FileFormat) -> GlueFormat {
    let mut serde_params = BTreeMap::new();
    match format {
        FileFormat::Parquet => GlueFormat {
            input: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            output: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            serde: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            serde_params,
        },
        FileFormat::Json => GlueFormat {
            input: "org.apache.hadoop.mapred.TextInputFormat",
            output: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            serde: "org.apache.hive.hcatalog.data.JsonSerDe",
            serde_params,
        },
        FileFormat::Text { delimiter } => {
            let d = (*delimiter as char).to_string();
            serde_params.insert("field.delim".into(), d.clone());
            serde_params.insert("serialization.format".into(), d);
            serde_params.insert("escape.delim".into(), "\\".into());
            GlueFormat {
                input: "org.apache.hadoop.mapred.TextInputFormat",
                output: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                serde: "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                serde_params,
            }
        }
    }
}

/// The format, compression and delimiter of `WITH (...)` properties (CTAS, UNLOAD).
fn file_format(
    properties: &BTreeMap<String, Property>,
    default_format: &str,
) -> Result<(FileFormat, FileCompression), Failure> {
    let format =
        properties.get("format").map(Property::text).unwrap_or_else(|| default_format.into()).to_ascii_uppercase();
    let delimiter = match properties.get("field_delimiter").map(|p| crate::query::formats::unescape(&p.text())) {
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => {
            return Err(Failure::trino(
                "INVALID_TABLE_PROPERTY",
                format!(
                    "field_delimiter must be one character, got '{d}' (multicharacter delimiters are not supported for CTAS)"
                ),
            ));
        }
        None => 1,
    };
    let format = match format.as_str() {
        "PARQUET" => FileFormat::Parquet,
        "JSON" => FileFormat::Json,
        "TEXTFILE" => FileFormat::Text { delimiter },
        other => {
            return Err(not_supported(format!(
                "Lakebox does not write {other} files yet (PARQUET, JSON and TEXTFILE it does)"
            )));
        }
    };
    let named = ["write_compression", "parquet_compression", "compression"]
        .iter()
        .filter_map(|k| properties.get(*k).map(|p| p.text()))
        .collect::<Vec<_>>();
    if named.len() > 1 {
        return Err(Failure::trino(
            "INVALID_TABLE_PROPERTY",
            "Only one of write_compression, parquet_compression and compression can be given",
        ));
    }
    let compression = match named.first() {
        Some(name) => FileCompression::parse(name).map_err(|e| Failure::trino("INVALID_TABLE_PROPERTY", e))?,
        // GZIP is Athena's default for Parquet and text files.
        None => FileCompression::Gzip,
    };
    Ok((format, compression))
}

impl Engine {
    fn table_name(&self, name: &QualifiedName, database: &str) -> Result<(String, String), Failure> {
        if let Some(c) = &name.catalog
            && !c.eq_ignore_ascii_case(super::provider::CATALOG_NAME)
        {
            return Err(Failure::trino("CATALOG_NOT_FOUND", format!("Catalog '{c}' does not exist")));
        }
        Ok((name.database.clone().unwrap_or_else(|| database.to_string()), name.name.clone()))
    }

    fn destination(&self, url: &str) -> Result<Destination, Failure> {
        let location =
            self.storage.resolve(url).map_err(|e| Failure::trino("HIVE_PATH_ERROR", format!("{url}: {e}")))?;
        let url = if url.ends_with('/') { url.to_string() } else { format!("{url}/") };
        Ok(Destination { store: location.store, root: location.path, url })
    }

    async fn is_empty(&self, destination: &Destination) -> Result<bool, Failure> {
        let prefix = (!destination.root.as_ref().is_empty()).then_some(&destination.root);
        let mut listing = destination.store.list(prefix);
        match listing.next().await {
            None => Ok(true),
            Some(Ok(_)) => Ok(false),
            Some(Err(e)) => Err(Failure::trino("HIVE_PATH_ERROR", e)),
        }
    }

    /// Plans a query (Trino rewrites, views inlined, analyzed so the frame's schema has the
    /// types its rows will have): for SELECT results and for the writes alike.
    pub(super) async fn plan(&self, ctx: &SessionContext, request: &Request, sql: &str) -> Result<DataFrame, Failure> {
        let statement = super::statement::parse_query(sql).map_err(|e| Failure::trino("SYNTAX_ERROR", e.message))?;
        let statement = self.inline_views(statement, &request.database)?;
        let (aliases, having) = match &statement {
            datafusion::sql::parser::Statement::Statement(s) => super::trino::rewrite::alias_references(s),
            _ => (Vec::new(), Vec::new()),
        };
        let df_error = |e: datafusion::error::DataFusionError| from_datafusion(&e, &request.sql);
        // One copy of the session state plans, analyzes and runs the query (`ctx.state()`
        // copies every function table; `execute_logical_plan` would make another).
        let state = ctx.state();
        let plan = state.statement_to_plan(statement).await.map_err(df_error)?;
        // An output alias named in GROUP BY or HAVING that is no input column: Trino resolves
        // both against the input. The position is where the clause names it.
        let refused = grouped_by_alias(&plan, &aliases)
            .map(|name| {
                let at = match super::error::position_of(&request.sql, &format!("BY {name}")) {
                    (1, 1) => super::error::position_of(&request.sql, &name),
                    (line, column) => (line, column + 3),
                };
                (name, at)
            })
            .or_else(|| {
                grouped_by_alias(&plan, &having).map(|name| {
                    let at = super::error::position_after(&request.sql, "having", &name);
                    (name, at)
                })
            });
        if let Some((name, (line, column))) = refused {
            return Err(Failure::trino(
                "COLUMN_NOT_FOUND",
                format!("line {line}:{column}: Column '{name}' cannot be resolved"),
            ));
        }
        let plan = super::trino::analyzed(&state, plan).map_err(df_error)?;
        match plan {
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => ctx.execute_logical_plan(plan).await.map_err(df_error),
            plan => Ok(DataFrame::new(state, plan)),
        }
    }

    /// Runs `frame` into staged files under `destination`.
    async fn write_frame(
        &self,
        request: &Request,
        frame: DataFrame,
        spec: WriteSpec,
        destination: Destination,
    ) -> Result<Arc<Staging>, Failure> {
        let df_error = |e: datafusion::error::DataFusionError| from_datafusion(&e, &request.sql);
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let task = Arc::new(frame.task_ctx());
        let plan = frame.create_physical_plan().await.map_err(df_error)?;
        let streams = datafusion::physical_plan::execute_stream_partitioned(plan, task).map_err(df_error)?;
        let staging = Staging::new(destination, &request.id);
        write_streams(streams, schema, Arc::new(spec), staging.clone()).await.map_err(df_error)?;
        Ok(staging)
    }

    async fn write_manifest(&self, url: &str, files: &[WrittenFile], destination: &Destination) -> Result<(), Failure> {
        let mut text = String::new();
        for f in files {
            text.push_str(&destination.url_of(&f.path));
            text.push('\n');
        }
        self.put(url, text.into_bytes()).await.map(|_| ())
    }

    /// The outcome of a statement that wrote rows: no data rows, `rows` as the update count,
    /// and Athena's one `rows bigint` column.
    fn write_outcome(&self, output: String, rows: u64, scanned: &Scanned, manifest: Option<String>) -> Outcome {
        Outcome {
            columns: vec![super::types::column_info("rows", &DataType::Int64)],
            output,
            rows: 0,
            output_bytes: 0,
            data_scanned: scanned.bytes(),
            planning_ms: 0,
            update_count: Some(rows as i64),
            manifest,
        }
    }

    /// `CREATE TABLE ... AS`.
    pub(super) async fn run_ctas(
        &self,
        request: &Request,
        ctas: &Ctas,
        scanned: Arc<Scanned>,
    ) -> Result<Outcome, Failure> {
        let (db, name) = self.table_name(&ctas.table, &request.database)?;
        let output = join(&request.output_location, &format!("tables/{}", request.id));
        match self.catalog.get_table(None, &db, &name) {
            Ok(_) if ctas.if_not_exists => return Ok(self.write_outcome(output, 0, &scanned, None)),
            Ok(_) => return Err(destination_exists(&db, &name, &location_hint(ctas, request))),
            Err(CatalogError::NotFound(m)) if m.starts_with("Database") => {
                return Err(Failure::trino("SCHEMA_NOT_FOUND", format!("line 1:1: Schema '{db}' does not exist")));
            }
            _ => {}
        }
        let known = [
            "format",
            "external_location",
            "partitioned_by",
            "bucketed_by",
            "bucket_count",
            "write_compression",
            "parquet_compression",
            "field_delimiter",
            "table_type",
            "is_external",
            "compression_level",
        ];
        if let Some(unknown) = ctas.properties.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Failure::trino(
                "INVALID_TABLE_PROPERTY",
                format!("Catalog 'awsdatacatalog' table property '{unknown}' does not exist"),
            ));
        }
        if ctas.properties.get("table_type").is_some_and(|t| t.text().eq_ignore_ascii_case("ICEBERG")) {
            return Err(not_supported("Iceberg tables are not supported by Lakebox yet"));
        }
        let (format, compression) = file_format(&ctas.properties, "PARQUET")?;
        let location = match ctas.properties.get("external_location") {
            Some(l) => {
                let l = l.text();
                if l.ends_with('/') { l } else { format!("{l}/") }
            }
            None => format!("{}/", join(&request.output_location, &format!("tables/{}", request.id))),
        };
        let partition_by: Vec<String> = ctas
            .properties
            .get("partitioned_by")
            .map(|p| p.list())
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_lowercase())
            .collect();
        let destination = self.destination(&location)?;
        if !self.is_empty(&destination).await? {
            return Err(Failure::trino(
                "HIVE_PATH_ALREADY_EXISTS",
                format!("Target directory for table '{db}.{name}' already exists: {location}"),
            ));
        }
        let ctx = self.session(request, scanned.clone())?;
        let frame = self.plan(&ctx, request, &ctas.query).await?;
        let schema = frame.schema().as_arrow().clone();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        if let Some(i) = names.iter().position(|n| n.starts_with("_col")) {
            return Err(Failure::trino(
                "MISSING_COLUMN_NAME",
                format!("line 1:1: Column name not specified at position {}", i + 1),
            ));
        }
        let mut seen = BTreeSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(Failure::trino(
                "DUPLICATE_COLUMN_NAME",
                format!("line 1:1: Column name '{dup}' specified more than once"),
            ));
        }
        let tail = &names[names.len().saturating_sub(partition_by.len())..];
        if partition_by.len() > names.len() || tail != partition_by.as_slice() {
            return Err(Failure::trino(
                "HIVE_COLUMN_ORDER_MISMATCH",
                format!(
                    "Partition keys must be the last columns in the table and in the same order as the table properties: {partition_by:?}"
                ),
            ));
        }
        let mut columns = Vec::new();
        for f in schema.fields() {
            let hive = arrow_to_hive(f.data_type()).ok_or_else(|| {
                not_supported(format!("Unsupported Hive type: {} (column {})", f.data_type(), f.name()))
            })?;
            columns.push(Column { name: f.name().clone(), data_type: Some(hive), comment: None, parameters: None });
        }
        let keys: Vec<Column> = columns.split_off(columns.len() - partition_by.len());
        let buckets = buckets(&ctas.properties, &columns)?;
        let (files, rows) = if ctas.with_data {
            let spec = WriteSpec {
                format: format.clone(),
                compression,
                partition_by: partition_by.clone(),
                file_prefix: request.id.clone(),
                max_partitions: MAX_PARTITIONS,
                bucketing: buckets
                    .as_ref()
                    .map(|(columns, n)| Bucketing { columns: columns.clone(), count: *n as u32 }),
            };
            let staging = self.write_frame(request, frame, spec, destination.clone()).await?;
            let files = staging.commit().await.map_err(|e| from_datafusion(&e, &request.sql))?;
            let rows = files.iter().map(|f| f.rows).sum();
            (files, rows)
        } else {
            (Vec::new(), 0)
        };
        let glue = glue_format(&format);
        let mut parameters = BTreeMap::from([("has_encrypted_data".to_string(), "false".to_string())]);
        match format {
            FileFormat::Parquet => parameters.insert("parquet.compression".into(), compression.name().into()),
            _ => parameters.insert("write.compression".into(), compression.name().into()),
        };
        let sd = StorageDescriptor {
            columns: Some(columns),
            location: Some(location.clone()),
            input_format: Some(glue.input.into()),
            output_format: Some(glue.output.into()),
            compressed: Some(compression != FileCompression::None),
            number_of_buckets: Some(buckets.as_ref().map_or(-1, |(_, n)| *n)),
            serde_info: Some(SerDeInfo {
                name: None,
                serialization_library: Some(glue.serde.into()),
                parameters: Some(glue.serde_params),
            }),
            bucket_columns: Some(buckets.map(|(c, _)| c).unwrap_or_default()),
            sort_columns: Some(Vec::new()),
            parameters: Some(BTreeMap::new()),
            stored_as_sub_directories: Some(false),
            ..Default::default()
        };
        let partitions = partition_inputs(&files, &partition_by, &location);
        let input = TableInput {
            name: name.clone(),
            table_type: Some("EXTERNAL_TABLE".into()),
            storage_descriptor: Some(sd),
            partition_keys: Some(keys),
            parameters: Some(parameters),
            ..Default::default()
        };
        if let Err(e) = self.catalog.create_table_with_partitions(None, &db, input, partitions) {
            // The table could not be registered: take the files back.
            for f in &files {
                let _ = destination.store.delete(&f.path).await;
            }
            return Err(match e {
                CatalogError::AlreadyExists(_) => destination_exists(&db, &name, &location),
                other => Failure::trino("HIVE_METASTORE_ERROR", other),
            });
        }
        let manifest = join(&request.output_location, &format!("tables/{}-manifest.csv", request.id));
        self.write_manifest(&manifest, &files, &destination).await?;
        self.put(&format!("{output}.metadata"), rows_metadata()).await?;
        Ok(self.write_outcome(output, rows, &scanned, Some(manifest)))
    }

    /// `INSERT INTO`.
    pub(super) async fn run_insert(
        &self,
        request: &Request,
        insert: &Insert,
        scanned: Arc<Scanned>,
    ) -> Result<Outcome, Failure> {
        let (db, name) = self.table_name(&insert.table, &request.database)?;
        let table = match self.catalog.get_table(None, &db, &name) {
            Ok(t) => t,
            Err(CatalogError::NotFound(m)) if m.starts_with("Database") => {
                return Err(Failure::trino("SCHEMA_NOT_FOUND", format!("line 1:13: Schema '{db}' does not exist")));
            }
            Err(_) => {
                return Err(Failure::trino(
                    "TABLE_NOT_FOUND",
                    format!("line 1:13: Table 'awsdatacatalog.{db}.{name}' does not exist"),
                ));
            }
        };
        if table.table_type.as_deref() == Some("VIRTUAL_VIEW") {
            return Err(not_supported(format!("Inserting into views is not supported: {db}.{name}")));
        }
        let sd = table.storage_descriptor.clone().unwrap_or_default();
        let format = match table_format(&table, &sd).map_err(not_supported)? {
            TableFormat::Parquet => FileFormat::Parquet,
            TableFormat::Json(_) => FileFormat::Json,
            TableFormat::Text(o) => FileFormat::Text { delimiter: o.field_delim },
            TableFormat::Csv(_) => return Err(not_supported("Lakebox does not write OpenCSVSerde tables yet")),
        };
        let params = table.parameters.clone().unwrap_or_default();
        let compression = ["parquet.compression", "write.compression", "write_compression", "compression"]
            .iter()
            .find_map(|k| params.get(*k))
            .map(|c| FileCompression::parse(c).map_err(|e| Failure::trino("INVALID_TABLE_PROPERTY", e)))
            .transpose()?
            .unwrap_or(FileCompression::Gzip);
        let location = sd
            .location
            .clone()
            .ok_or_else(|| Failure::trino("HIVE_METASTORE_ERROR", format!("Table {name} has no location")))?;
        let location = if location.ends_with('/') { location } else { format!("{location}/") };
        // The table's columns and types: data columns, then partition keys.
        let mut target: Vec<(String, DataType)> = Vec::new();
        for c in sd.columns.clone().unwrap_or_default().iter().chain(table.partition_keys()) {
            let t = hive_to_arrow(c.data_type.as_deref().unwrap_or("string")).map_err(|e| not_supported(e.0))?;
            target.push((c.name.to_lowercase(), t));
        }
        let keys: Vec<String> = table.partition_keys().iter().map(|k| k.name.to_lowercase()).collect();
        let ctx = self.session(request, scanned.clone())?;
        let frame = self.plan(&ctx, request, &insert.query).await?;
        let produced: Vec<String> = frame.schema().fields().iter().map(|f| f.name().clone()).collect();
        let listed: Vec<String> = if insert.columns.is_empty() {
            target.iter().map(|(n, _)| n.clone()).collect()
        } else {
            insert.columns.clone()
        };
        if produced.len() != listed.len() {
            let table_types: Vec<String> = target.iter().map(|(_, t)| super::types::athena_type_name(t)).collect();
            let query_types: Vec<String> =
                frame.schema().fields().iter().map(|f| super::types::athena_type_name(f.data_type())).collect();
            return Err(Failure::trino(
                "TYPE_MISMATCH",
                format!(
                    "Insert query has mismatched column types: Table: [{}], Query: [{}]",
                    table_types.join(", "),
                    query_types.join(", ")
                ),
            ));
        }
        if let Some(unknown) = listed.iter().find(|c| !target.iter().any(|(n, _)| n == *c)) {
            return Err(Failure::trino(
                "COLUMN_NOT_FOUND",
                format!("line 1:1: Insert column name does not exist in target table: {unknown}"),
            ));
        }
        let exprs: Vec<datafusion::logical_expr::Expr> = target
            .iter()
            .map(|(n, t)| match listed.iter().position(|c| c == n) {
                Some(i) => cast(col(datafusion::common::Column::from_name(produced[i].clone())), t.clone()).alias(n),
                None => cast(lit(datafusion::common::ScalarValue::Null), t.clone()).alias(n),
            })
            .collect();
        let frame = frame.select(exprs).map_err(|e| from_datafusion(&e, &request.sql))?;
        let destination = self.destination(&location)?;
        // A bucketed table keeps its layout: new files are bucketed by its columns too.
        let bucketing = match (sd.bucket_columns.clone().unwrap_or_default(), sd.number_of_buckets) {
            (columns, Some(n)) if !columns.is_empty() && n > 0 => {
                Some(Bucketing { columns: columns.iter().map(|c| c.to_lowercase()).collect(), count: n as u32 })
            }
            _ => None,
        };
        let spec = WriteSpec {
            format,
            compression,
            partition_by: keys.clone(),
            file_prefix: request.id.clone(),
            max_partitions: MAX_PARTITIONS,
            bucketing,
        };
        let staging = self.write_frame(request, frame, spec, destination.clone()).await?;
        let files = staging.commit().await.map_err(|e| from_datafusion(&e, &request.sql))?;
        let rows = files.iter().map(|f| f.rows).sum();
        if !keys.is_empty() {
            let inputs = partition_inputs(&files, &keys, &location);
            self.catalog
                .add_missing_partitions(None, &db, &name, inputs)
                .map_err(|e| Failure::trino("HIVE_METASTORE_ERROR", e))?;
        }
        let output = join(&request.output_location, &request.id);
        let manifest = join(&request.output_location, &format!("{}-manifest.csv", request.id));
        self.write_manifest(&manifest, &files, &destination).await?;
        self.put(&format!("{output}.metadata"), rows_metadata()).await?;
        Ok(self.write_outcome(output, rows, &scanned, Some(manifest)))
    }

    /// `UNLOAD (query) TO 's3://...' WITH (...)`.
    pub(super) async fn run_unload(
        &self,
        request: &Request,
        unload: &Unload,
        scanned: Arc<Scanned>,
    ) -> Result<Outcome, Failure> {
        let known = ["format", "compression", "field_delimiter", "partitioned_by", "compression_level"];
        if let Some(unknown) = unload.properties.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Failure::trino(
                "INVALID_TABLE_PROPERTY",
                format!("UNLOAD property '{unknown}' does not exist"),
            ));
        }
        let (format, compression) = file_format(&unload.properties, "TEXTFILE")?;
        let partition_by: Vec<String> = unload
            .properties
            .get("partitioned_by")
            .map(|p| p.list())
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_lowercase())
            .collect();
        let location =
            if unload.location.ends_with('/') { unload.location.clone() } else { format!("{}/", unload.location) };
        let destination = self.destination(&location)?;
        if !self.is_empty(&destination).await? {
            return Err(Failure::trino(
                "HIVE_PATH_ALREADY_EXISTS",
                format!("Target directory for UNLOAD already exists: {location}. Choose an empty location."),
            ));
        }
        let ctx = self.session(request, scanned.clone())?;
        let frame = self.plan(&ctx, request, &unload.query).await?;
        let names: Vec<String> = frame.schema().fields().iter().map(|f| f.name().clone()).collect();
        if !partition_by.is_empty() && names[names.len().saturating_sub(partition_by.len())..] != partition_by[..] {
            return Err(Failure::trino(
                "HIVE_COLUMN_ORDER_MISMATCH",
                format!("Partition keys must be the last columns of the query, in order: {partition_by:?}"),
            ));
        }
        let spec = WriteSpec {
            format,
            compression,
            partition_by,
            file_prefix: request.id.clone(),
            max_partitions: MAX_PARTITIONS,
            bucketing: None,
        };
        let staging = self.write_frame(request, frame, spec, destination.clone()).await?;
        let files = staging.commit().await.map_err(|e| from_datafusion(&e, &request.sql))?;
        let rows = files.iter().map(|f| f.rows).sum();
        let output = join(&request.output_location, &request.id);
        let manifest = join(&request.output_location, &format!("{}-manifest.csv", request.id));
        self.write_manifest(&manifest, &files, &destination).await?;
        self.put(&format!("{output}.metadata"), rows_metadata()).await?;
        Ok(self.write_outcome(output, rows, &scanned, Some(manifest)))
    }
}

/// The `.metadata` of a statement that wrote rows: one `rows bigint` column.
fn rows_metadata() -> Vec<u8> {
    let column = super::types::column_info("rows", &DataType::Int64);
    serde_json::json!({ "ColumnInfo": [column] }).to_string().into_bytes()
}

/// The Glue partitions the written files fill, one per distinct partition value list, each at
/// `<location>k1=v1/k2=v2/` (NULL values as Hive's default partition).
fn partition_inputs(files: &[super::write::WrittenFile], keys: &[String], location: &str) -> Vec<PartitionInput> {
    let partitions: BTreeSet<&Vec<Option<String>>> =
        files.iter().map(|f| &f.partition).filter(|p| !p.is_empty()).collect();
    partitions
        .into_iter()
        .map(|values| PartitionInput {
            values: Some(
                values.iter().map(|v| v.clone().unwrap_or_else(|| super::write::NULL_PARTITION.into())).collect(),
            ),
            storage_descriptor: Some(StorageDescriptor {
                location: Some(format!("{location}{}/", super::write::partition_folder(keys, values))),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect()
}

/// A name from `aliases` (of a `GROUP BY` or a `HAVING`) that no aggregation's input has as a
/// column: DataFusion read the output alias, which Trino does not do.
fn grouped_by_alias(plan: &datafusion::logical_expr::LogicalPlan, aliases: &[String]) -> Option<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    if aliases.is_empty() {
        return None;
    }
    let mut inputs: Vec<String> = Vec::new();
    let _ = plan.apply_with_subqueries(|p| {
        if let datafusion::logical_expr::LogicalPlan::Aggregate(a) = p {
            inputs.extend(a.input.schema().fields().iter().map(|f| f.name().to_ascii_lowercase()));
        }
        Ok(TreeNodeRecursion::Continue)
    });
    aliases.iter().find(|name| !inputs.contains(name)).cloned()
}
