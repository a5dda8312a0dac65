//! DataFusion file sources for Glue tables: [`HiveTextSource`] plugs the text, CSV and JSON
//! decoders of [`super::decode`] into DataFusion's file scan (which adds partition columns,
//! projections and limits), and [`CaseInsensitiveAdapter`] lets Parquet files whose columns say
//! `VendorID` serve a Glue table whose columns say `vendorid`, as Athena does.

use super::decode::{Decoder, decompress};
use super::formats::{TableFormat, codec_of};
use datafusion::arrow::array::{ArrayRef, AsArray as _, RecordBatch, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType, TimestampNanosecondType,
};
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::datasource::physical_plan::{FileOpenFuture, FileOpener, FileScanConfig, FileSource};
use datafusion::datasource::projection::{ProjectionOpener, SplitProjection};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{CastExpr, Column};
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapter, PhysicalExprAdapterFactory,
};
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::projection::ProjectionExprs;
use futures::{FutureExt as _, StreamExt as _};
use object_store::{ObjectStore, ObjectStoreExt as _};
use std::collections::HashMap;
use std::sync::Arc;

/// A file source decoding Hive text, OpenCSV or JSON files.
#[derive(Clone)]
pub struct HiveTextSource {
    format: TableFormat,
    table_schema: TableSchema,
    batch_size: Option<usize>,
    metrics: ExecutionPlanMetricsSet,
    projection: SplitProjection,
}

impl HiveTextSource {
    /// A source over tables of `table_schema` (data columns in table order, then partition keys).
    pub fn new(format: TableFormat, table_schema: TableSchema) -> Self {
        Self {
            format,
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            batch_size: None,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl FileSource for HiveTextSource {
    fn create_file_opener(
        &self,
        object_store: Arc<dyn ObjectStore>,
        _base_config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        let file_schema = self.table_schema.file_schema();
        let positions = self.projection.file_indices.clone();
        let opener = Arc::new(HiveTextOpener {
            format: self.format.clone(),
            schema: Arc::new(file_schema.project(&positions)?),
            positions,
            store: object_store,
            batch_size: self.batch_size.unwrap_or(8192),
        });
        ProjectionOpener::try_new(self.projection.clone(), opener, file_schema)
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        let mut source = self.clone();
        source.batch_size = Some(batch_size);
        Arc::new(source)
    }

    fn try_pushdown_projection(&self, projection: &ProjectionExprs) -> Result<Option<Arc<dyn FileSource>>> {
        let mut source = self.clone();
        let merged = self.projection.source.try_merge(projection)?;
        source.projection = SplitProjection::new(self.table_schema.file_schema(), &merged);
        Ok(Some(Arc::new(source)))
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        match self.format {
            TableFormat::Json(_) => "json",
            TableFormat::Csv(_) => "csv",
            _ => "text",
        }
    }

    fn supports_repartitioning(&self) -> bool {
        false
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }
}

struct HiveTextOpener {
    format: TableFormat,
    schema: SchemaRef,
    positions: Vec<usize>,
    store: Arc<dyn ObjectStore>,
    batch_size: usize,
}

impl FileOpener for HiveTextOpener {
    fn open(&self, file: datafusion::datasource::listing::PartitionedFile) -> Result<FileOpenFuture> {
        let (store, format, schema, positions, batch_size) =
            (self.store.clone(), self.format.clone(), self.schema.clone(), self.positions.clone(), self.batch_size);
        Ok(async move {
            let location = file.object_meta.location.clone();
            let codec = codec_of(location.as_ref()).map_err(DataFusionError::Execution)?;
            let bytes = store.get(&location).await?.bytes().await?;
            let input = decompress(codec, bytes)?;
            let decoder = Decoder::new(format, schema, positions, input, batch_size);
            let path = location.to_string();
            Ok(futures::stream::iter(decoder)
                .map(move |batch| {
                    batch.map_err(|e| DataFusionError::Execution(format!("HIVE_BAD_DATA: {e} (file {path})")))
                })
                .boxed())
        }
        .boxed())
    }
}

/// Maps table columns to file columns by name, ignoring case (then casts as DataFusion's default
/// adapter does, and reads columns missing from a file as NULL).
#[derive(Debug, Clone, Default)]
pub struct CaseInsensitiveAdapterFactory;

impl PhysicalExprAdapterFactory for CaseInsensitiveAdapterFactory {
    fn create(
        &self,
        logical_file_schema: SchemaRef,
        physical_file_schema: SchemaRef,
    ) -> Result<Arc<dyn PhysicalExprAdapter>> {
        let by_lower: HashMap<String, &str> =
            physical_file_schema.fields().iter().map(|f| (f.name().to_lowercase(), f.name().as_str())).collect();
        let mut renames = HashMap::new();
        let fields: Vec<Field> = logical_file_schema
            .fields()
            .iter()
            .map(|f| {
                let physical = physical_file_schema.field_with_name(f.name()).ok().map(|p| p.name().as_str());
                match physical.or_else(|| by_lower.get(&f.name().to_lowercase()).copied()) {
                    Some(name) if name != f.name() => {
                        renames.insert(f.name().clone(), name.to_string());
                        f.as_ref().clone().with_name(name)
                    }
                    _ => f.as_ref().clone(),
                }
            })
            .collect();
        let logical = Arc::new(Schema::new_with_metadata(fields, logical_file_schema.metadata().clone()));
        let inner = DefaultPhysicalExprAdapterFactory.create(logical, physical_file_schema.clone())?;
        Ok(Arc::new(CaseInsensitiveAdapter { inner, renames, physical_file_schema }))
    }
}

/// See [`CaseInsensitiveAdapterFactory`].
#[derive(Debug)]
pub struct CaseInsensitiveAdapter {
    inner: Arc<dyn PhysicalExprAdapter>,
    renames: HashMap<String, String>,
    physical_file_schema: SchemaRef,
}

impl PhysicalExprAdapter for CaseInsensitiveAdapter {
    fn rewrite(&self, expr: Arc<dyn PhysicalExpr>) -> Result<Arc<dyn PhysicalExpr>> {
        let renamed = if self.renames.is_empty() {
            expr
        } else {
            expr.transform(|e| {
                if let Some(column) = e.downcast_ref::<Column>()
                    && let Some(name) = self.renames.get(column.name())
                {
                    let renamed: Arc<dyn PhysicalExpr> = Arc::new(Column::new(name, column.index()));
                    return Ok(Transformed::yes(renamed));
                }
                Ok(Transformed::no(e))
            })
            .data()?
        };
        let adapted = self.inner.rewrite(renamed)?;
        Ok(TimestampToMillis::replace(adapted, &self.physical_file_schema))
    }
}

/// `CAST(ts AS timestamp(3))` of a file column stored in micro- or nanoseconds (Spark, pandas and
/// the TLC files write microseconds; INT96 reads as nanoseconds), the cast the adapter puts on
/// every such column read for a Glue `timestamp`. Arrow's cast divides by a divisor it only knows
/// at run time (one hardware division per value: about a tenth of a full-scan aggregate's time);
/// this one divides by a constant, with the same truncating result.
///
/// Only a projected column is replaced (a cast at the top of the rewritten expression): in a
/// predicate the cast stays DataFusion's, which row-group pruning understands.
#[derive(Debug, Eq)]
pub struct TimestampToMillis {
    input: Arc<dyn PhysicalExpr>,
    unit: TimeUnit,
    target: DataType,
}

// Written out for the `Arc<dyn PhysicalExpr>` (rust-lang/rust#78808, as DataFusion's CastExpr does).
impl PartialEq for TimestampToMillis {
    fn eq(&self, other: &Self) -> bool {
        self.input.eq(&other.input) && self.unit == other.unit && self.target == other.target
    }
}

impl std::hash::Hash for TimestampToMillis {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.input.hash(state);
        self.unit.hash(state);
        self.target.hash(state);
    }
}

impl TimestampToMillis {
    fn replace(expr: Arc<dyn PhysicalExpr>, file_schema: &Schema) -> Arc<dyn PhysicalExpr> {
        let Some(cast) = expr.downcast_ref::<CastExpr>() else { return expr };
        let (Ok(DataType::Timestamp(unit @ (TimeUnit::Microsecond | TimeUnit::Nanosecond), from_tz)), target) =
            (cast.expr().data_type(file_schema), cast.cast_type())
        else {
            return expr;
        };
        match target {
            DataType::Timestamp(TimeUnit::Millisecond, to_tz) if *to_tz == from_tz => {
                Arc::new(TimestampToMillis { input: cast.expr().clone(), unit, target: target.clone() })
            }
            _ => expr,
        }
    }

    fn convert(&self, array: &ArrayRef) -> Result<ArrayRef> {
        let DataType::Timestamp(_, tz) = &self.target else { unreachable!("built for timestamps only") };
        let millis: TimestampMillisecondArray = match self.unit {
            TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().unary(|v| v / 1_000),
            _ => array.as_primitive::<TimestampNanosecondType>().unary(|v| v / 1_000_000),
        };
        Ok(Arc::new(millis.with_timezone_opt(tz.clone())))
    }
}

impl std::fmt::Display for TimestampToMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CAST({} AS {})", self.input, self.target)
    }
}

impl PhysicalExpr for TimestampToMillis {
    fn data_type(&self, _input_schema: &Schema) -> Result<DataType> {
        Ok(self.target.clone())
    }

    fn nullable(&self, input_schema: &Schema) -> Result<bool> {
        self.input.nullable(input_schema)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        match self.input.evaluate(batch)? {
            ColumnarValue::Array(array) => Ok(ColumnarValue::Array(self.convert(&array)?)),
            scalar => scalar.cast_to(&self.target, None),
        }
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.input]
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn PhysicalExpr>>) -> Result<Arc<dyn PhysicalExpr>> {
        let input =
            children.into_iter().next().ok_or_else(|| DataFusionError::Internal("a cast has one input".into()))?;
        Ok(Arc::new(TimestampToMillis { input, unit: self.unit, target: self.target.clone() }))
    }

    fn fmt_sql(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CAST(")?;
        self.input.fmt_sql(f)?;
        write!(f, " AS {:?})", self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{TimestampMicrosecondArray, TimestampNanosecondArray};
    use datafusion::arrow::compute::cast;

    fn check(file_type: DataType, values: ArrayRef, target: DataType) {
        let schema = Schema::new(vec![Field::new("ts", file_type, true)]);
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("ts", 0));
        let expr = TimestampToMillis::replace(Arc::new(CastExpr::new(column, target.clone(), None)), &schema);
        assert!(expr.downcast_ref::<TimestampToMillis>().is_some(), "{expr} was not replaced");
        let batch = RecordBatch::try_new(Arc::new(schema), vec![values.clone()]).unwrap();
        let ColumnarValue::Array(got) = expr.evaluate(&batch).unwrap() else { panic!("an array in, an array out") };
        // Arrow's own cast is the reference.
        assert_eq!(&got, &cast(&values, &target).unwrap());
    }

    #[test]
    fn constant_division_gives_arrows_cast() {
        // Before and after the epoch (truncation towards zero), sub-millisecond parts, a NULL.
        let micros = [Some(1_706_745_601_999_999), Some(-1_001), Some(-999), None, Some(0), Some(i64::MIN)];
        let us: ArrayRef = Arc::new(TimestampMicrosecondArray::from(micros.to_vec()));
        check(us.data_type().clone(), us, DataType::Timestamp(TimeUnit::Millisecond, None));
        let ns: ArrayRef = Arc::new(TimestampNanosecondArray::from(micros.to_vec()).with_timezone("UTC"));
        check(ns.data_type().clone(), ns, DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())));
    }

    #[test]
    fn other_casts_and_predicates_are_left_to_datafusion() {
        let schema = Schema::new(vec![Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, None), true)]);
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("ts", 0));
        let to_date = Arc::new(CastExpr::new(column.clone(), DataType::Date32, None));
        assert!(TimestampToMillis::replace(to_date, &schema).downcast_ref::<CastExpr>().is_some());
        let zoned = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
        let to_zone = Arc::new(CastExpr::new(column, zoned, None));
        assert!(TimestampToMillis::replace(to_zone, &schema).downcast_ref::<CastExpr>().is_some());
    }
}
