//! The Glue catalog seen by DataFusion: `awsdatacatalog` with one schema per Glue database and a
//! [`GlueTable`] per table. A scan prunes the table's registered partitions with the query's
//! predicates (typed by the partition keys' declared types, so `month = 3` finds `month=03`)
//! before any file is listed, lists only the kept partitions' own locations, and reads their
//! files through the query's byte-counting stores. A table with partition projection enabled
//! computes its partitions from its properties instead ([`super::projection`]).

use super::bounds;
use super::formats::{TableFormat, table_format};
use super::scanned::{ScanCounter, Scanned};
use super::selective;
use super::source::{CaseInsensitiveAdapterFactory, HiveTextSource};
use super::types::hive_to_arrow;
use crate::catalog::model::{Column, Partition, Table};
use crate::catalog::{Catalog, CatalogError};
use crate::storage::Storage;
use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, new_null_array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::catalog::{CatalogProvider, ScanArgs, ScanResult, SchemaProvider, Session, TableProvider};
use datafusion::common::stats::Precision;
use datafusion::common::{DFSchema, ScalarValue, Statistics};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::statistics::StatisticsRequest;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use futures::{StreamExt as _, TryStreamExt as _};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The name Athena gives the Glue catalog.
pub const CATALOG_NAME: &str = "awsdatacatalog";

/// Hive's name for a NULL partition value.
const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// What the providers of one query share: the catalog, storage, and the query's byte tally.
pub struct QueryEnv {
    pub catalog: Arc<Catalog>,
    pub storage: Arc<Storage>,
    pub scanned: Arc<Scanned>,
    /// Tables resolved so far in this query (DataFusion may ask for one several times).
    tables: Mutex<HashMap<(String, String), Arc<dyn TableProvider>>>,
}

impl std::fmt::Debug for QueryEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryEnv").field("scanned", &self.scanned).finish_non_exhaustive()
    }
}

impl QueryEnv {
    /// The environment of one query.
    pub fn new(catalog: Arc<Catalog>, storage: Arc<Storage>, scanned: Arc<Scanned>) -> Arc<Self> {
        Arc::new(Self { catalog, storage, scanned, tables: Mutex::default() })
    }
}

/// `awsdatacatalog`: one schema per Glue database.
#[derive(Debug)]
pub struct GlueCatalog {
    env: Arc<QueryEnv>,
}

impl GlueCatalog {
    pub fn new(env: Arc<QueryEnv>) -> Self {
        Self { env }
    }
}

impl CatalogProvider for GlueCatalog {
    fn schema_names(&self) -> Vec<String> {
        let databases = self.env.catalog.all_databases(None).unwrap_or_default();
        databases.into_iter().map(|d| d.name).collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if name == super::information_schema::NAME {
            return Some(Arc::new(super::information_schema::InformationSchema::new(self.env.clone())));
        }
        self.env.catalog.get_database(None, name).ok()?;
        Some(Arc::new(GlueSchema { env: self.env.clone(), db: name.to_string() }))
    }
}

/// One Glue database.
#[derive(Debug)]
pub struct GlueSchema {
    env: Arc<QueryEnv>,
    db: String,
}

#[async_trait]
impl SchemaProvider for GlueSchema {
    fn table_names(&self) -> Vec<String> {
        let tables = self.env.catalog.all_tables(None, &self.db).unwrap_or_default();
        tables.into_iter().map(|t| t.name).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let key = (self.db.clone(), name.to_string());
        if let Some(t) = self.env.tables.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(Some(t.clone()));
        }
        let table = match self.env.catalog.get_table(None, &self.db, name) {
            Ok(t) => t,
            Err(CatalogError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(DataFusionError::External(Box::new(e))),
        };
        let provider: Arc<dyn TableProvider> = Arc::new(GlueTable::new(self.env.clone(), table)?);
        self.env.tables.lock().unwrap_or_else(|p| p.into_inner()).insert(key, provider.clone());
        Ok(Some(provider))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.env.catalog.get_table(None, &self.db, name).is_ok()
    }
}

/// Typed values of some partition keys, one tuple per distinct combination.
pub type PartitionTuples = Vec<Vec<ScalarValue>>;

/// Answers of [`GlueTable::distinct_partition_values`] by (keys, max).
type DistinctMemo = HashMap<(Vec<usize>, usize), Option<PartitionTuples>>;

/// A Glue table as a DataFusion table: data columns in table order, then the partition keys.
#[derive(Debug)]
pub struct GlueTable {
    env: Arc<QueryEnv>,
    table: Table,
    schema: SchemaRef,
    file_schema: SchemaRef,
    partition_fields: Vec<FieldRef>,
    format: std::result::Result<TableFormat, String>,
    /// `Some` when `projection.enabled` is true; an error is reported when the table is scanned.
    projection: std::result::Result<Option<super::projection::Projection>, String>,
    /// [`Self::distinct_partition_values`] by keys: the optimizer asks again on every pass.
    distinct_values: Mutex<DistinctMemo>,
}

fn plan_error(message: impl Into<String>) -> DataFusionError {
    DataFusionError::Plan(message.into())
}

fn fields(columns: &[Column]) -> Result<Vec<Field>> {
    columns
        .iter()
        .map(|c| {
            let hive = c.data_type.as_deref().unwrap_or("string");
            let t = hive_to_arrow(hive).map_err(|e| plan_error(format!("column '{}': {e}", c.name)))?;
            Ok(Field::new(c.name.to_lowercase(), t, true))
        })
        .collect()
}

impl GlueTable {
    /// The DataFusion view of `table`.
    pub fn new(env: Arc<QueryEnv>, table: Table) -> Result<Self> {
        if table.table_type.as_deref() == Some("VIRTUAL_VIEW") {
            return Err(DataFusionError::NotImplemented(format!(
                "NOT_SUPPORTED: '{}' is a view; Lakebox does not run views yet",
                table.name
            )));
        }
        let params = table.parameters.clone().unwrap_or_default();
        if params.get("table_type").is_some_and(|t| t.eq_ignore_ascii_case("ICEBERG")) {
            return Err(DataFusionError::NotImplemented(format!(
                "NOT_SUPPORTED: '{}' is an Iceberg table; Lakebox does not read Iceberg tables yet",
                table.name
            )));
        }
        let sd = table.storage_descriptor.clone().unwrap_or_default();
        let data = fields(sd.columns.as_deref().unwrap_or_default())?;
        let keys = fields(table.partition_keys())?;
        let file_schema = Arc::new(Schema::new(data.clone()));
        let partition_fields: Vec<FieldRef> = keys.iter().cloned().map(Arc::new).collect();
        let schema = Arc::new(Schema::new([data, keys].concat()));
        let format = table_format(&table, &sd);
        let projection = super::projection::Projection::of(&table, &partition_fields);
        Ok(Self {
            env,
            table,
            schema,
            file_schema,
            partition_fields,
            format,
            projection,
            distinct_values: Mutex::default(),
        })
    }

    /// The table's storage format, `None` when it is not one Lakebox reads.
    pub fn format(&self) -> Option<&TableFormat> {
        self.format.as_ref().ok()
    }

    /// The names of the partition keys, in order.
    pub fn partition_key_names(&self) -> Vec<String> {
        self.partition_fields.iter().map(|f| f.name().clone()).collect()
    }

    /// The distinct typed values of the partition keys at `keys` (indexes into the partition
    /// keys) over the table's registered partitions, sorted; `None` when there are more than
    /// `max`, when the table computes its partitions (projection), or on any error.
    pub fn distinct_partition_values(&self, keys: &[usize], max: usize) -> Option<PartitionTuples> {
        let mut memo = self.distinct_values.lock().unwrap_or_else(|p| p.into_inner());
        memo.entry((keys.to_vec(), max)).or_insert_with(|| self.read_distinct_partition_values(keys, max)).clone()
    }

    fn read_distinct_partition_values(&self, keys: &[usize], max: usize) -> Option<PartitionTuples> {
        if !matches!(self.projection, Ok(None)) || keys.is_empty() {
            return None;
        }
        let db = self.table.database_name.clone().unwrap_or_default();
        let values = self.env.catalog.partition_values(None, &db, &self.table.name).ok()?;
        let raw: std::collections::BTreeSet<Vec<String>> =
            values.iter().map(|v| keys.iter().map(|k| v.get(*k).cloned().unwrap_or_default()).collect()).collect();
        if raw.len() > max {
            return None;
        }
        let fields: Vec<FieldRef> = keys.iter().filter_map(|k| self.partition_fields.get(*k).cloned()).collect();
        let mut typed: PartitionTuples = raw.iter().map(|v| typed_values(&fields, v)).collect::<Result<_>>().ok()?;
        typed.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        // Zero-padded folders of integer keys (`03`, `3`) are one value.
        typed.dedup();
        Some(typed)
    }

    /// Whether `e` reads partition keys only (the scan then decides it exactly while pruning).
    pub(crate) fn is_partition_filter(&self, e: &Expr) -> bool {
        let names: HashSet<&str> = self.partition_fields.iter().map(|f| f.name().as_str()).collect();
        let columns = e.column_refs();
        !columns.is_empty() && columns.iter().all(|c| names.contains(c.name.as_str())) && !e.is_volatile()
    }

    /// The locations to read, each with its typed partition values.
    async fn locations(&self, state: &dyn Session, filters: &[Expr]) -> Result<Vec<(String, Vec<ScalarValue>)>> {
        if self.partition_fields.is_empty() {
            let location =
                self.table.storage_descriptor.as_ref().and_then(|sd| sd.location.clone()).ok_or_else(|| {
                    DataFusionError::Execution(format!(
                        "HIVE_METASTORE_ERROR: Table '{}' has no location",
                        self.table.name
                    ))
                })?;
            return Ok(vec![(location, vec![])]);
        }
        match &self.projection {
            Err(message) => return Err(DataFusionError::Execution(message.clone())),
            Ok(Some(projection)) => return self.projected_locations(state, projection, filters),
            Ok(None) => {}
        }
        let partition_schema = Arc::new(Schema::new(self.partition_fields.clone()));
        let df_schema = DFSchema::try_from(partition_schema.as_ref().clone())?;
        let predicates: Vec<Arc<dyn PhysicalExpr>> = filters
            .iter()
            .filter(|f| self.is_partition_filter(f))
            .map(|f| state.create_physical_expr(f.clone(), &df_schema))
            .collect::<Result<_>>()?;
        let (catalog, db, name) =
            (self.env.catalog.clone(), self.table.database_name.clone().unwrap_or_default(), self.table.name.clone());
        let fields = self.partition_fields.clone();
        let selected = tokio::task::spawn_blocking(move || {
            catalog.select_partitions(None, &db, &name, |values| {
                keep_partitions(&partition_schema, &fields, values, &predicates)
            })
        })
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))?
        .map_err(|e| DataFusionError::External(Box::new(e)))??;
        selected
            .into_iter()
            .map(|p| {
                let location = partition_location(&self.table, &p)?;
                Ok((location, typed_values(&self.partition_fields, &p.values)?))
            })
            .collect()
    }
}

impl GlueTable {
    /// The partitions of a projected table that the query's predicates can match.
    fn projected_locations(
        &self,
        state: &dyn Session,
        projection: &super::projection::Projection,
        filters: &[Expr],
    ) -> Result<Vec<(String, Vec<ScalarValue>)>> {
        use super::projection::{MAX_PARTITIONS, equality_values};
        let now = chrono::Utc::now().naive_utc();
        let qualified = format!("{}.{}", self.table.database_name.as_deref().unwrap_or_default(), self.table.name);
        let filters: Vec<&Expr> = filters.iter().filter(|f| self.is_partition_filter(f)).collect();
        let owned: Vec<Expr> = filters.iter().map(|f| (*f).clone()).collect();
        let mut per_column = Vec::with_capacity(self.partition_fields.len());
        for (i, key) in self.partition_fields.iter().enumerate() {
            let equalities = equality_values(&owned, key.name());
            let mut candidates = projection
                .candidates(i, key, equalities.as_deref(), now, &qualified)
                .map_err(DataFusionError::Execution)?;
            let own: Vec<&Expr> =
                filters.iter().copied().filter(|f| f.column_refs().iter().all(|c| c.name == *key.name())).collect();
            if !own.is_empty() && !candidates.is_empty() {
                let schema = Arc::new(Schema::new(vec![key.clone()]));
                let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
                let predicates: Vec<Arc<dyn PhysicalExpr>> =
                    own.iter().map(|f| state.create_physical_expr((*f).clone(), &df_schema)).collect::<Result<_>>()?;
                let typed: Vec<Vec<String>> = candidates.iter().map(|(_, t)| vec![t.clone()]).collect();
                let keep = keep_partitions(&schema, std::slice::from_ref(key), &typed, &predicates)?;
                candidates = candidates.into_iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c).collect();
            }
            per_column.push(candidates);
        }
        let total = per_column.iter().try_fold(1usize, |n, c| n.checked_mul(c.len()));
        if total.is_none_or(|n| n > MAX_PARTITIONS) {
            return Err(DataFusionError::Execution(format!(
                "HIVE_EXCEEDED_PARTITION_LIMIT: Query over table '{qualified}' can potentially read more than \
                 {MAX_PARTITIONS} partitions"
            )));
        }
        // Every combination of the kept values, in key order.
        let mut combinations: Vec<(Vec<String>, Vec<String>)> = vec![(vec![], vec![])];
        for column in &per_column {
            combinations = combinations
                .into_iter()
                .flat_map(|(paths, typed)| {
                    column.iter().map(move |(p, t)| {
                        let (mut paths, mut typed) = (paths.clone(), typed.clone());
                        paths.push(p.clone());
                        typed.push(t.clone());
                        (paths, typed)
                    })
                })
                .collect();
        }
        let across: Vec<&Expr> = filters.iter().copied().filter(|f| f.column_refs().len() > 1).collect();
        if !across.is_empty() && !combinations.is_empty() {
            let schema = Arc::new(Schema::new(self.partition_fields.clone()));
            let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
            let predicates: Vec<Arc<dyn PhysicalExpr>> =
                across.iter().map(|f| state.create_physical_expr((*f).clone(), &df_schema)).collect::<Result<_>>()?;
            let typed: Vec<Vec<String>> = combinations.iter().map(|(_, t)| t.clone()).collect();
            let keep = keep_partitions(&schema, &self.partition_fields, &typed, &predicates)?;
            combinations = combinations.into_iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c).collect();
        }
        let names: Vec<String> = self.partition_fields.iter().map(|f| f.name().clone()).collect();
        combinations
            .into_iter()
            .map(|(paths, typed)| {
                Ok((projection.location(&names, &paths), typed_values(&self.partition_fields, &typed)?))
            })
            .collect()
    }
}

fn partition_location(table: &Table, p: &Partition) -> Result<String> {
    p.storage_descriptor.as_ref().and_then(|sd| sd.location.clone()).ok_or_else(|| {
        DataFusionError::Execution(format!("HIVE_METASTORE_ERROR: a partition of '{}' has no location", table.name))
    })
}

/// A partition's values as its keys' types (`"03"` of an `int` key is 3).
fn typed_values(fields: &[FieldRef], values: &[String]) -> Result<Vec<ScalarValue>> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let raw = values.get(i).map(String::as_str);
            match raw {
                None | Some(HIVE_DEFAULT_PARTITION) => ScalarValue::try_from(f.data_type()),
                Some(v) => {
                    let text = if matches!(f.data_type(), DataType::Utf8) { v } else { v.trim() };
                    ScalarValue::try_from_string(text.to_string(), f.data_type()).map_err(|_| {
                        DataFusionError::Execution(format!(
                            "HIVE_INVALID_PARTITION_VALUE: Invalid partition value '{v}' for {} partition key: {}={v}",
                            super::types::athena_type_name(f.data_type()),
                            f.name()
                        ))
                    })
                }
            }
        })
        .collect()
}

/// Evaluates the partition predicates over every partition's values at once.
fn keep_partitions(
    schema: &SchemaRef,
    fields: &[FieldRef],
    values: &[Vec<String>],
    predicates: &[Arc<dyn PhysicalExpr>],
) -> Result<Vec<bool>> {
    if predicates.is_empty() || values.is_empty() {
        return Ok(vec![true; values.len()]);
    }
    let mut columns: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(values.len()); fields.len()];
    for v in values {
        for (i, s) in typed_values(fields, v)?.into_iter().enumerate() {
            columns[i].push(s);
        }
    }
    let arrays: Vec<ArrayRef> = columns
        .into_iter()
        .zip(fields)
        .map(|(c, f)| if c.is_empty() { Ok(new_null_array(f.data_type(), 0)) } else { ScalarValue::iter_to_array(c) })
        .collect::<Result<_>>()?;
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let mut keep = vec![true; values.len()];
    for p in predicates {
        let result = p.evaluate(&batch)?.into_array(batch.num_rows())?;
        let mask = result
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| DataFusionError::Internal("a partition predicate is not boolean".into()))?;
        for (k, m) in keep.iter_mut().zip(mask.iter()) {
            *k &= m.unwrap_or(false);
        }
    }
    Ok(keep)
}

/// Whether a file under a partition's location is data: Hive and Athena skip names starting
/// with `_` or `.` (`_SUCCESS`, `.crc`), and empty objects (folder markers).
fn is_data_file(relative: &str, size: u64) -> bool {
    size > 0 && !relative.split('/').any(|part| part.starts_with('_') || part.starts_with('.'))
}

#[async_trait]
impl TableProvider for GlueTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        // A predicate on partition keys only is decided here, exactly (the same expression over
        // the same typed values), so no filter runs over millions of copies of a partition
        // value above the scan. The others are checked above the scan, and reach Parquet's
        // row-group pruning.
        Ok(filters
            .iter()
            .map(|f| {
                if self.is_partition_filter(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.plan_scan(state, projection, filters, limit, &HashSet::new()).await
    }

    /// The scan, answering the `Min`/`Max` statistics requests a rule attached to it
    /// ([`super::bounds::FooterBounds`]).
    async fn scan_with_args<'a>(&self, state: &dyn Session, args: ScanArgs<'a>) -> Result<ScanResult> {
        let wanted: HashSet<&str> = args
            .statistics_requests()
            .iter()
            .filter_map(|r| match r {
                StatisticsRequest::Min(c) | StatisticsRequest::Max(c) => Some(c.name.as_str()),
                _ => None,
            })
            .collect();
        let projection = args.projection().map(<[usize]>::to_vec);
        let filters = args.filters().unwrap_or_default();
        Ok(self.plan_scan(state, projection.as_ref(), filters, args.limit(), &wanted).await?.into())
    }
}

impl GlueTable {
    /// The plan of a scan; `wanted` names the columns whose exact minimum and maximum it should
    /// report from the footers when it reads whole partitions.
    async fn plan_scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
        wanted: &HashSet<&str>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let format = self.format.clone().map_err(|e| DataFusionError::Execution(format!("NOT_SUPPORTED: {e}")))?;
        let locations = self.locations(state, filters).await?;
        let files = self.list_files(state, locations).await?;
        let projected = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => self.schema.clone(),
        };
        if files.is_empty() {
            return Ok(Arc::new(EmptyExec::new(projected)));
        }
        let table_schema = TableSchema::builder(self.file_schema.clone())
            .with_table_partition_cols(self.partition_fields.clone())
            .build();
        let target = state.config().target_partitions().max(1);
        // A Parquet scan of whole partitions (every filter decided by partition pruning, no LIMIT):
        // its row count is the footers' sum, read here through the query's byte counter, and a
        // `count(*)` (nothing projected) is answered from that exact statistic without scanning.
        let whole = matches!(format, TableFormat::Parquet)
            && limit.is_none()
            && filters.iter().all(|f| self.is_partition_filter(f));
        let count_only = whole && projection.is_some_and(|p| p.is_empty());
        // A scan of whole partitions also reports the exact bounds of the integer, date and
        // timestamp columns it was asked for from the footers, so their `min`/`max` need no rows
        // ([`super::bounds`]). (Data columns only: no footer holds the partition keys.)
        let bounded: Vec<usize> = match projection {
            _ if !whole || wanted.is_empty() => Vec::new(),
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        }
        .into_iter()
        .filter(|&i| {
            let field = self.schema.field(i);
            i < self.file_schema.fields().len()
                && wanted.contains(field.name().as_str())
                && bounds::eligible(field.data_type())
        })
        .collect();
        // Equalities on data columns, whose selectivity decides whether a Parquet scan filters
        // while decoding ([`super::selective`]).
        let equalities = match &format {
            TableFormat::Parquet if !count_only => selective::equalities(filters, &self.file_schema),
            _ => Vec::new(),
        };
        // The page index (column and offset indexes) serves only page pruning. A count answered
        // from the footers skips parsing it; every other scan parses it with its footers, from
        // the same bytes, because a filter may reach the scan after planning (a join's or a
        // TopK's dynamic filter), and its opener would then read the index a second time.
        let page_index = !count_only;
        let mut plans = Vec::new();
        for (url, files) in files {
            let source: Arc<dyn FileSource> = match &format {
                TableFormat::Parquet => Arc::new(ParquetSource::new(table_schema.clone())),
                other => Arc::new(HiveTextSource::new(other.clone(), table_schema.clone())),
            };
            // The files' total size lets the optimizer pick join sides and broadcast small tables
            // (a zone lookup joined to millions of trips) without reading any footer.
            let bytes: u64 = files.iter().map(|f| f.object_meta.size).sum();
            let mut statistics = Statistics::new_unknown(&self.schema);
            statistics.total_byte_size = Precision::Inexact(bytes as usize);
            // The footers are read here, once, into the query's metadata cache, when this scan
            // decides from them (`count_only`, `equalities`) or when DataFusion may split its
            // files into byte ranges (as big a scan as `repartition_file_min_size`), each opened
            // by its own partition: left to the openers, two ranges of a file raced to the cache
            // and often both read the footer, so `DataScannedInBytes` changed from run to run by
            // the metadata size hint (512 KiB) per split file. A scan with a LIMIT leaves them to
            // the openers, which stop at the first files that fill it.
            let optimizer = &state.config().options().optimizer;
            let may_split = limit.is_none()
                && optimizer.repartition_file_scans
                && target > 1
                && bytes >= optimizer.repartition_file_min_size as u64;
            let metas = match &format {
                TableFormat::Parquet if count_only || !bounded.is_empty() || !equalities.is_empty() || may_split => {
                    footers(state, &url, &files, page_index).await
                }
                _ => None,
            };
            // The row count is the footers' sum, and the bounds theirs (`whole` above).
            if whole && let Some(metas) = metas.as_ref() {
                if let Some(rows) = metas.iter().map(|m| usize::try_from(m.file_metadata().num_rows()).ok()).sum() {
                    statistics.num_rows = Precision::Exact(rows);
                }
                let fields: Vec<&Field> = bounded.iter().map(|&i| self.schema.field(i)).collect();
                for (&i, found) in bounded.iter().zip(bounds::from_footers(metas, &fields)) {
                    if let Some((min, max)) = found {
                        let column = &mut statistics.column_statistics[i];
                        column.min_value = Precision::Exact(min);
                        column.max_value = Precision::Exact(max);
                    }
                }
            }
            // Filter while decoding when the footers' statistics say the equalities keep few rows.
            let row_filter = !equalities.is_empty()
                && metas
                    .as_ref()
                    .and_then(|f| selective::expected_share(f, &equalities))
                    .is_some_and(|e| e.row_filter_pays());
            let config = FileScanConfigBuilder::new(ObjectStoreUrl::parse(&url)?, source)
                .with_statistics(statistics)
                .with_file_groups(file_groups(files, target))
                .with_projection_indices(projection.cloned())?
                .with_limit(limit)
                .with_expr_adapter(Some(Arc::new(CaseInsensitiveAdapterFactory)))
                .build();
            let plan = match &format {
                TableFormat::Parquet => {
                    let mut options = state.table_options().parquet.clone();
                    options.global.pushdown_filters |= row_filter;
                    let parquet = ParquetFormat::default().with_options(options);
                    parquet.create_physical_plan(state, config).await?
                }
                _ => DataSourceExec::from_data_source(config),
            };
            plans.push(plan);
        }
        if plans.len() == 1 {
            return Ok(plans.remove(0));
        }
        UnionExec::try_new(plans)
    }
}

/// The footers of Parquet `files`, read through the store registered for `url` (the query's
/// byte counter) into the query's metadata cache, where the scan's openers find them again (no
/// footer is read twice, however many byte ranges of a file are opened), or `None` if one cannot
/// be read: the caller then decides as if it had no footers, and the scan reports the error as it
/// would have.
async fn footers(
    state: &dyn Session,
    url: &str,
    files: &[PartitionedFile],
    page_index: bool,
) -> Option<Vec<Arc<ParquetMetaData>>> {
    use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
    use datafusion::parquet::file::metadata::PageIndexPolicy;
    let policy = if page_index { PageIndexPolicy::Optional } else { PageIndexPolicy::Skip };
    let store = state.runtime_env().object_store(ObjectStoreUrl::parse(url).ok()?).ok()?;
    let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
    let hint = state.table_options().parquet.global.metadata_size_hint;
    let metas: Vec<object_store::ObjectMeta> = files.iter().map(|f| f.object_meta.clone()).collect();
    futures::stream::iter(metas)
        .map(|meta| {
            let (store, cache) = (store.clone(), cache.clone());
            async move {
                DFParquetMetadata::new(store.as_ref(), &meta)
                    .with_metadata_size_hint(hint)
                    .with_file_metadata_cache(Some(cache))
                    .with_page_index_policy(Some(policy))
                    .fetch_metadata()
                    .await
            }
        })
        .buffer_unordered(16)
        .try_collect()
        .await
        .ok()
}

impl GlueTable {
    /// Lists the data files under every location (at most 16 listings at a time), grouped by the
    /// store they live in; each store is registered with the query's byte counter.
    async fn list_files(
        &self,
        state: &dyn Session,
        locations: Vec<(String, Vec<ScalarValue>)>,
    ) -> Result<BTreeMap<String, Vec<PartitionedFile>>> {
        let storage = self.env.storage.clone();
        let resolved = locations
            .into_iter()
            .map(|(url, values)| {
                let location = storage
                    .resolve(&url)
                    .map_err(|e| DataFusionError::Execution(format!("HIVE_PATH_ERROR: {url}: {e}")))?;
                Ok((url, location, values))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut registered = HashSet::new();
        for (_, location, _) in &resolved {
            if registered.insert(location.store_url.clone()) {
                let counted = Arc::new(ScanCounter::new(location.store.clone(), self.env.scanned.clone()));
                let url = ObjectStoreUrl::parse(&location.store_url)?;
                state.runtime_env().register_object_store(url.as_ref(), counted);
            }
        }
        let listings = futures::stream::iter(resolved.into_iter().map(|(url, location, values)| async move {
            let prefix = location.path.clone();
            let objects: Vec<object_store::ObjectMeta> = location
                .store
                .list(if prefix.as_ref().is_empty() { None } else { Some(&prefix) })
                .try_collect()
                .await
                .map_err(|e| DataFusionError::Execution(format!("HIVE_PATH_ERROR: listing {url}: {e}")))?;
            let mut files: Vec<PartitionedFile> = objects
                .into_iter()
                .filter(|m| {
                    let relative = m.location.as_ref().strip_prefix(prefix.as_ref()).unwrap_or(m.location.as_ref());
                    is_data_file(relative.trim_start_matches('/'), m.size)
                })
                .map(|m| PartitionedFile::new_from_meta(m).with_partition_values(values.clone()))
                .collect();
            files.sort_by(|a, b| a.object_meta.location.cmp(&b.object_meta.location));
            Ok::<_, DataFusionError>((location.store_url, files))
        }))
        .buffered(16)
        .try_collect::<Vec<_>>()
        .await?;
        let mut by_store: BTreeMap<String, Vec<PartitionedFile>> = BTreeMap::new();
        for (url, files) in listings {
            by_store.entry(url).or_default().extend(files);
        }
        by_store.retain(|_, files| !files.is_empty());
        Ok(by_store)
    }
}

/// Spreads files over at most `target` groups, largest first onto the lightest group.
fn file_groups(mut files: Vec<PartitionedFile>, target: usize) -> Vec<FileGroup> {
    files.sort_by(|a, b| {
        b.object_meta.size.cmp(&a.object_meta.size).then(a.object_meta.location.cmp(&b.object_meta.location))
    });
    let n = target.min(files.len()).max(1);
    let mut groups: Vec<(u64, Vec<PartitionedFile>)> = (0..n).map(|_| (0, Vec::new())).collect();
    for f in files {
        let lightest = groups.iter_mut().min_by_key(|(size, _)| *size).expect("at least one group");
        lightest.0 += f.object_meta.size;
        lightest.1.push(f);
    }
    groups
        .into_iter()
        .map(|(_, mut files)| {
            files.sort_by(|a, b| a.object_meta.location.cmp(&b.object_meta.location));
            FileGroup::new(files)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_are_typed_by_their_keys() {
        let fields: Vec<FieldRef> =
            vec![Arc::new(Field::new("year", DataType::Int32, true)), Arc::new(Field::new("m", DataType::Utf8, true))];
        let v = typed_values(&fields, &["2024".into(), "03".into()]).unwrap();
        assert_eq!(v, vec![ScalarValue::Int32(Some(2024)), ScalarValue::Utf8(Some("03".into()))]);
        let v = typed_values(&fields, &["__HIVE_DEFAULT_PARTITION__".into(), "x".into()]).unwrap();
        assert_eq!(v[0], ScalarValue::Int32(None));
        let err = typed_values(&fields, &["abc".into(), "x".into()]).unwrap_err();
        assert!(err.to_string().contains("HIVE_INVALID_PARTITION_VALUE"), "{err}");
    }

    #[test]
    fn hidden_and_empty_files_are_not_data() {
        assert!(is_data_file("part-0.parquet", 10));
        assert!(!is_data_file("_SUCCESS", 10));
        assert!(!is_data_file("sub/.part-0.crc", 10));
        assert!(!is_data_file("marker/", 0));
    }

    #[test]
    fn file_groups_balance_sizes() {
        let files: Vec<PartitionedFile> =
            [100, 90, 10, 10, 5].iter().enumerate().map(|(i, s)| PartitionedFile::new(format!("f{i}"), *s)).collect();
        let groups = file_groups(files, 2);
        let sizes: Vec<u64> = groups.iter().map(|g| g.iter().map(|f| f.object_meta.size).sum()).collect();
        assert_eq!(sizes, vec![100 + 10, 90 + 10 + 5]);
        assert_eq!(file_groups(vec![PartitionedFile::new("a", 1)], 8).len(), 1);
    }
}
