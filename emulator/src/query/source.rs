//! DataFusion file sources for Glue tables: [`HiveTextSource`] plugs the text, CSV and JSON
//! decoders of [`super::decode`] into DataFusion's file scan (which adds partition columns,
//! projections and limits), and [`CaseInsensitiveAdapter`] lets Parquet files whose columns say
//! `VendorID` serve a Glue table whose columns say `vendorid`, as Athena does.

use super::decode::{Decoder, decompress};
use super::formats::{TableFormat, codec_of};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::datasource::physical_plan::{FileOpenFuture, FileOpener, FileScanConfig, FileSource};
use datafusion::datasource::projection::{ProjectionOpener, SplitProjection};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
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
        let inner = DefaultPhysicalExprAdapterFactory.create(logical, physical_file_schema)?;
        Ok(Arc::new(CaseInsensitiveAdapter { inner, renames }))
    }
}

/// See [`CaseInsensitiveAdapterFactory`].
#[derive(Debug)]
pub struct CaseInsensitiveAdapter {
    inner: Arc<dyn PhysicalExprAdapter>,
    renames: HashMap<String, String>,
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
        self.inner.rewrite(renamed)
    }
}
