//! `min` and `max` from the Parquet footers.
//!
//! Every row group's footer holds the minimum and maximum of each column. [`FooterBounds`] asks
//! the scan under an ungrouped aggregate's `min`/`max` for them, with DataFusion's statistics
//! requests (`TableScan::statistics_requests`); a scan that reads whole partitions (no filter
//! but the partition filters, decided exactly while pruning, and no LIMIT) answers them as exact
//! statistics of its integer, date and timestamp columns ([`from_footers`]), and DataFusion's
//! `AggregateStatistics` rule then answers an aggregate made only of `count(*)`, `min` and `max`
//! without reading a row: a freshness check (`SELECT max(event_time) FROM events`) reads the
//! footers it had to read anyway. Scans nobody asks read and fold no bounds.
//!
//! A query that mixes such bounds with aggregates that need the rows (`SELECT count(*),
//! sum(fare), max(tip_ts) FROM trips`) is split by [`FooterBounds`] into two aggregates over two
//! scans of the same partitions, joined as one row each:
//!
//! ```text
//! Aggregate(; count(*), sum(f), max(t))        Projection(count(*), sum(f), max(t))
//!   TableScan(trips; f, t)            ==>        CrossJoin
//!                                                  Aggregate(; count(*), sum(f))
//!                                                    TableScan(trips; f)
//!                                                  Aggregate(; max(t))
//!                                                    TableScan(trips; t)
//! ```
//!
//! so the column `t` is never decoded when its footers answer. When they do not (a file without
//! statistics, a type that cannot be trusted), the second scan reads `t` as the first would have:
//! the answer is the same either way.
//!
//! Which statistics are trusted: signed integers, dates and timestamps stored as Parquet INT32 or
//! INT64, whose bounds are exact by construction (only byte arrays are truncated), read into the
//! table's type by a cast that keeps order (integer widening, a timestamp to an equal or coarser
//! unit), and only when every row group either has both bounds or holds only NULLs. Floating
//! point is left out: footers leave NaN out of their bounds, while the scan's `max` (DataFusion's)
//! puts NaN above every number (Trino ignores a NaN unless it is the only value), so the two paths
//! would disagree; text is left out because old writers ordered it as signed bytes.

use super::formats::TableFormat;
use super::provider::GlueTable;
use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::logical_expr::statistics::StatisticsRequest;
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, TableScan, TableScanBuilder};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use datafusion::parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use datafusion::parquet::arrow::{parquet_column, parquet_to_arrow_schema};
use datafusion::parquet::basic::Type as PhysicalType;
use datafusion::parquet::file::metadata::ParquetMetaData;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// Whether a table column of this type can take its bounds from the footers.
pub fn eligible(t: &DataType) -> bool {
    matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::Date32)
        || matches!(t, DataType::Timestamp(..))
}

fn unit_rank(u: &TimeUnit) -> u8 {
    match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 2,
        TimeUnit::Nanosecond => 3,
    }
}

fn integer_width(t: &DataType) -> Option<u8> {
    Some(match t {
        DataType::Int8 => 1,
        DataType::Int16 => 2,
        DataType::Int32 => 4,
        DataType::Int64 => 8,
        _ => return None,
    })
}

/// Whether the scan's cast from a file's type to the table's keeps the order of values, so that
/// the cast of the file's bound is the bound of the cast values (and never fails).
fn order_preserving(file: &DataType, table: &DataType) -> bool {
    match (file, table) {
        (DataType::Date32, DataType::Date32) => true,
        // Between zones an instant keeps its value; a zone's local time would not keep the order
        // (a DST fall-back repeats an hour) except UTC's, which is how Parquet's
        // `isAdjustedToUTC` timestamps (Spark's) read into Athena's zone-less `timestamp`.
        (DataType::Timestamp(fu, ftz), DataType::Timestamp(tu, ttz)) => {
            let zones = match (ftz.as_deref(), ttz) {
                (None, None) | (Some(_), Some(_)) => true,
                (Some(zone), None) => matches!(zone, "UTC" | "+00:00" | "Z" | "Etc/UTC"),
                (None, Some(_)) => false,
            };
            zones && unit_rank(fu) >= unit_rank(tu)
        }
        (f, t) => match (integer_width(f), integer_width(t)) {
            (Some(f), Some(t)) => f <= t,
            _ => false,
        },
    }
}

/// The exact minimum and maximum of each table column of `fields` over the files whose footers
/// are `metas`: `None` for a column when any footer cannot vouch for them (see the module's
/// rules), or when every value is NULL. Each file's schema is converted once for all the columns.
pub fn from_footers(metas: &[Arc<ParquetMetaData>], fields: &[&Field]) -> Vec<Option<(ScalarValue, ScalarValue)>> {
    let mut alive: Vec<bool> = fields.iter().map(|f| eligible(f.data_type())).collect();
    let mut bounds: Vec<Bounds> = vec![(None, None); fields.len()];
    for meta in metas {
        if !alive.contains(&true) {
            break;
        }
        let file = meta.file_metadata();
        let Ok(schema) = parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata()) else {
            return vec![None; fields.len()];
        };
        for (i, field) in fields.iter().enumerate() {
            if alive[i] && add_file(meta, &schema, field, &mut bounds[i]).is_none() {
                alive[i] = false;
            }
        }
    }
    bounds.into_iter().zip(alive).map(|((lo, hi), alive)| if alive { Some((lo?, hi?)) } else { None }).collect()
}

/// The least minimum and greatest maximum seen so far.
type Bounds = (Option<ScalarValue>, Option<ScalarValue>);

/// Folds one file's row groups into `bounds` of the table column `field`; `None` when the file
/// cannot vouch for them. `schema` is the file's Arrow schema.
fn add_file(meta: &ParquetMetaData, schema: &Schema, field: &Field, bounds: &mut Bounds) -> Option<()> {
    let descr = meta.file_metadata().schema_descr();
    // Table columns find file columns case-insensitively, as the scan does.
    let mut named = schema.fields().iter().filter(|f| f.name().eq_ignore_ascii_case(field.name()));
    let file_field = named.next()?;
    if named.next().is_some() || !order_preserving(file_field.data_type(), field.data_type()) {
        return None;
    }
    let (index, _) = parquet_column(descr, schema, file_field.name())?;
    if !matches!(descr.column(index).physical_type(), PhysicalType::INT32 | PhysicalType::INT64) {
        return None;
    }
    let converter =
        StatisticsConverter::try_new(file_field.name(), schema, descr).ok()?.with_missing_null_counts_as_zero(false);
    let groups = meta.row_groups();
    let mins = converter.row_group_mins(groups).ok()?;
    let maxes = converter.row_group_maxes(groups).ok()?;
    let min_exact = converter.row_group_is_min_value_exact(groups).ok()?;
    let max_exact = converter.row_group_is_max_value_exact(groups).ok()?;
    let nulls = converter.row_group_null_counts(groups).ok()?;
    let (lo, hi) = bounds;
    for (r, group) in groups.iter().enumerate() {
        let rows = u64::try_from(group.num_rows()).ok()?;
        if rows == 0 {
            continue;
        }
        if mins.is_null(r) || maxes.is_null(r) {
            // No bounds: a row group of NULLs only, or a writer that kept no statistics.
            if nulls.is_valid(r) && nulls.value(r) == rows {
                continue;
            }
            return None;
        }
        let exact = |a: &datafusion::arrow::array::BooleanArray| a.is_valid(r) && a.value(r);
        if !exact(&min_exact) || !exact(&max_exact) {
            return None;
        }
        let min = ScalarValue::try_from_array(&mins, r).ok()?.cast_to(field.data_type()).ok()?;
        let max = ScalarValue::try_from_array(&maxes, r).ok()?.cast_to(field.data_type()).ok()?;
        if min.is_null() || max.is_null() {
            return None;
        }
        // Values of one type always compare; `?` gives up if they ever do not.
        let lower = match lo.as_ref() {
            None => true,
            Some(v) => v.partial_cmp(&min)? == Ordering::Greater,
        };
        if lower {
            *lo = Some(min);
        }
        let higher = match hi.as_ref() {
            None => true,
            Some(v) => v.partial_cmp(&max)? == Ordering::Less,
        };
        if higher {
            *hi = Some(max);
        }
    }
    Some(())
}

/// The rule (added after DataFusion's own rules): asks the scan under an ungrouped aggregate's
/// footer-answerable `min`/`max` for their bounds, first splitting them from the aggregates that
/// need rows, if any.
#[derive(Debug, Default)]
pub struct FooterBounds;

impl OptimizerRule for FooterBounds {
    fn name(&self) -> &str {
        "lakebox_footer_bounds"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        super::rewritten_or_kept(plan, "footer_bounds", rewrite)
    }
}

/// The column of a plain `min(c)` or `max(c)`.
fn bound_column(e: &Expr) -> Option<&Column> {
    match super::plain_aggregate(e)? {
        ("min" | "max", Expr::Column(c)) => Some(c),
        _ => None,
    }
}

/// A scan of the same partitions reading only `columns`, asked for the bounds of `bounded`.
fn narrowed(scan: &TableScan, columns: &HashSet<Column>, bounded: &HashSet<Column>) -> Result<LogicalPlan> {
    let schema = scan.source.schema();
    let mut projection: Vec<usize> = columns.iter().map(|c| schema.index_of(&c.name)).collect::<Result<_, _>>()?;
    projection.sort_unstable();
    Ok(LogicalPlan::TableScan(
        TableScanBuilder::new(scan.table_name.clone(), scan.source.clone())
            .with_projection(Some(projection))
            .with_filters(scan.filters.clone())
            .with_statistics_requests(requests(bounded))
            .build()?,
    ))
}

/// The `Min` and `Max` statistics requests of `columns`, which the scan answers from the footers
/// (`GlueTable::scan_with_args`).
fn requests(columns: &HashSet<Column>) -> BTreeSet<StatisticsRequest> {
    columns
        .iter()
        .flat_map(|c| {
            let c = Arc::new(c.clone());
            [StatisticsRequest::Min(c.clone()), StatisticsRequest::Max(c)]
        })
        .collect()
}

fn rewrite(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Aggregate(agg) = plan else { return Ok(None) };
    if !agg.group_expr.is_empty() {
        return Ok(None);
    }
    let LogicalPlan::TableScan(scan) = agg.input.as_ref() else { return Ok(None) };
    if scan.fetch.is_some() {
        return Ok(None);
    }
    let Ok(provider) = source_as_provider(&scan.source) else { return Ok(None) };
    let Some(table) = provider.as_ref().downcast_ref::<GlueTable>() else { return Ok(None) };
    if !matches!(table.format(), Some(TableFormat::Parquet))
        || !scan.filters.iter().all(|f| table.is_partition_filter(f))
    {
        return Ok(None);
    }
    let keys = table.partition_key_names();
    let input = agg.input.schema();
    let candidate = |e: &Expr| {
        bound_column(unaliased(e)).is_some_and(|c| {
            !keys.contains(&c.name) && input.qualified_field_from_column(c).is_ok_and(|(_, f)| eligible(f.data_type()))
        })
    };
    // Bounds of columns that other aggregates read anyway gain nothing: they stay with those.
    let others: HashSet<Column> =
        agg.aggr_expr.iter().filter(|e| !candidate(e)).flat_map(|e| e.column_refs().into_iter().cloned()).collect();
    let (bounds, rest): (Vec<Expr>, Vec<Expr>) = agg
        .aggr_expr
        .iter()
        .cloned()
        .partition(|e| candidate(e) && e.column_refs().iter().all(|c| !others.contains(*c)));
    if bounds.is_empty() {
        return Ok(None);
    }
    let refs = |exprs: &[Expr]| -> HashSet<Column> {
        exprs.iter().flat_map(|e| e.column_refs().into_iter().cloned()).collect()
    };
    let bound_columns = refs(&bounds);
    // Only bounds: the scan itself is asked for them (once; the optimizer runs rules again).
    if rest.is_empty() {
        let wanted = requests(&bound_columns);
        if scan.statistics_requests == wanted {
            return Ok(None);
        }
        let asked = TableScanBuilder::from(scan.clone()).with_statistics_requests(wanted).build()?;
        return Ok(Some(plan.with_new_exprs(plan.expressions(), vec![LogicalPlan::TableScan(asked)])?));
    }
    let rest_plan = Aggregate::try_new(Arc::new(narrowed(scan, &refs(&rest), &HashSet::new())?), vec![], rest)?;
    let bound_plan = Aggregate::try_new(Arc::new(narrowed(scan, &bound_columns, &bound_columns)?), vec![], bounds)?;
    let joined = LogicalPlanBuilder::from(LogicalPlan::Aggregate(rest_plan))
        .cross_join(LogicalPlan::Aggregate(bound_plan))?
        .build()?;
    // The aggregate's own columns, in its order, for the plan above.
    let joined_schema = joined.schema().clone();
    let mut exprs = Vec::with_capacity(agg.schema.fields().len());
    for (qualifier, field) in agg.schema.iter() {
        let (q, f) = joined_schema.qualified_field_with_name(qualifier, field.name())?;
        exprs.push(Expr::Column(Column::from((q, f))));
    }
    Ok(Some(LogicalPlanBuilder::from(joined).project(exprs)?.build()?))
}

/// `e` without its aliases.
fn unaliased(e: &Expr) -> &Expr {
    match e {
        Expr::Alias(a) => unaliased(&a.expr),
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, TimestampMicrosecondArray,
    };
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::metadata::ParquetMetaDataReader;
    use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};

    /// A Parquet file of `columns` in row groups of 3 rows, read back as its footer.
    fn footer(columns: Vec<(&str, ArrayRef)>, statistics: bool) -> Arc<ParquetMetaData> {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let level = if statistics { EnabledStatistics::Chunk } else { EnabledStatistics::None };
        let properties =
            WriterProperties::builder().set_max_row_group_row_count(Some(3)).set_statistics_enabled(level).build();
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Arc::new(ParquetMetaDataReader::new().parse_and_finish(&bytes::Bytes::from(file)).unwrap())
    }

    /// The bounds of one column.
    fn one(metas: &[Arc<ParquetMetaData>], field: &Field) -> Option<(ScalarValue, ScalarValue)> {
        from_footers(metas, &[field]).remove(0)
    }

    fn fold(values: &[Option<i64>]) -> Option<(i64, i64)> {
        let present: Vec<i64> = values.iter().flatten().copied().collect();
        Some((*present.iter().min()?, *present.iter().max()?))
    }

    #[test]
    fn bounds_are_the_values_extremes_over_files_and_row_groups() {
        // Two files; the second's last row group holds only NULLs.
        let a = [Some(5), Some(-3), None, Some(40), Some(7), Some(8), Some(9)];
        let b = [Some(12), Some(-9), Some(0), None, None, None];
        let metas = vec![
            footer(vec![("V", Arc::new(Int64Array::from(a.to_vec())) as ArrayRef)], true),
            footer(vec![("V", Arc::new(Int64Array::from(b.to_vec())) as ArrayRef)], true),
        ];
        let (lo, hi) = fold(&[a.as_slice(), b.as_slice()].concat()).unwrap();
        // Found case-insensitively, as the scan finds it.
        let got = one(&metas, &Field::new("v", DataType::Int64, true));
        assert_eq!(got, Some((ScalarValue::Int64(Some(lo)), ScalarValue::Int64(Some(hi)))));
        // Several columns at once: each stands on its own.
        let (v, w) = (Field::new("v", DataType::Int64, true), Field::new("w", DataType::Int64, true));
        let both = from_footers(&metas, &[&w, &v]);
        assert_eq!(both, vec![None, Some((ScalarValue::Int64(Some(lo)), ScalarValue::Int64(Some(hi))))]);
    }

    #[test]
    fn widened_integers_and_coarser_timestamps_take_the_tables_type() {
        let ints = [Some(3), Some(-70_000), Some(12)];
        let micros = [Some(1_706_745_600_123_456i64), Some(1_700_000_000_999_999), Some(1_710_000_000_000_001)];
        let meta = footer(
            vec![
                ("i", Arc::new(Int32Array::from(ints.to_vec())) as ArrayRef),
                ("t", Arc::new(TimestampMicrosecondArray::from(micros.to_vec())) as ArrayRef),
            ],
            true,
        );
        let got = one(std::slice::from_ref(&meta), &Field::new("i", DataType::Int64, true));
        assert_eq!(got, Some((ScalarValue::Int64(Some(-70_000)), ScalarValue::Int64(Some(12)))));
        let ms = DataType::Timestamp(TimeUnit::Millisecond, None);
        let got = one(std::slice::from_ref(&meta), &Field::new("t", ms, true));
        let (lo, hi) = fold(&micros).unwrap();
        assert_eq!(
            got,
            Some((
                ScalarValue::TimestampMillisecond(Some(lo / 1000), None),
                ScalarValue::TimestampMillisecond(Some(hi / 1000), None)
            ))
        );
        // A UTC instant (Parquet's `isAdjustedToUTC`, as Spark writes) into the zone-less type.
        let utc = footer(
            vec![("t", Arc::new(TimestampMicrosecondArray::from(micros.to_vec()).with_timezone("UTC")) as ArrayRef)],
            true,
        );
        let ms = DataType::Timestamp(TimeUnit::Millisecond, None);
        assert_eq!(
            one(std::slice::from_ref(&utc), &Field::new("t", ms, true)),
            Some((
                ScalarValue::TimestampMillisecond(Some(lo / 1000), None),
                ScalarValue::TimestampMillisecond(Some(hi / 1000), None)
            ))
        );
        // Narrowing could fail or wrap where the scan's cast would: no bounds.
        assert_eq!(one(std::slice::from_ref(&meta), &Field::new("i", DataType::Int16, true)), None);
        let seconds_to_micros = footer(
            vec![("t", Arc::new(datafusion::arrow::array::TimestampSecondArray::from(vec![Some(1i64)])) as ArrayRef)],
            true,
        );
        let us = DataType::Timestamp(TimeUnit::Microsecond, None);
        assert_eq!(one(&[seconds_to_micros], &Field::new("t", us, true)), None);
    }

    #[test]
    fn no_bounds_without_statistics_a_column_doubles_or_any_value() {
        let v = [Some(1i64), Some(2), Some(3), Some(4)];
        let field = Field::new("v", DataType::Int64, true);
        let with = footer(vec![("v", Arc::new(Int64Array::from(v.to_vec())) as ArrayRef)], true);
        let without = footer(vec![("v", Arc::new(Int64Array::from(v.to_vec())) as ArrayRef)], false);
        assert!(one(std::slice::from_ref(&with), &field).is_some());
        // One file without statistics spoils the lot.
        assert_eq!(one(&[with.clone(), without], &field), None);
        // A file without the column reads it as NULL: not vouched for here.
        let other = footer(vec![("w", Arc::new(Int64Array::from(v.to_vec())) as ArrayRef)], true);
        assert_eq!(one(&[with, other], &field), None);
        // Doubles are not eligible (the footers leave NaN out), even with statistics.
        let d = footer(vec![("d", Arc::new(Float64Array::from(vec![1.0, f64::NAN])) as ArrayRef)], true);
        assert_eq!(one(&[d], &Field::new("d", DataType::Float64, true)), None);
        // Only NULLs: no bounds (the aggregate then reads the rows and answers NULL).
        let nulls = footer(vec![("v", Arc::new(Int64Array::from(vec![None, None, None, None])) as ArrayRef)], true);
        assert_eq!(one(&[nulls], &field), None);
    }
}
