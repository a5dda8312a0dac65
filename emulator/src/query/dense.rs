//! Partial aggregation grouped by one small integer, indexed instead of hashed.
//!
//! The report queries group by small integers (`payment_type`, `hour(ts)`, `date(ts)`, zone ids):
//! DataFusion's partial `AggregateExec` hashes each row's key and probes a table to find its group
//! (`GroupValuesPrimitive::intern`, 22 % of "revenue by payment type"). [`DenseGroups`] replaces a
//! partial aggregation grouped by one integer or date expression with [`DenseAggregateExec`],
//! which finds the group of a key in `[0, DENSE_KEYS)` by indexing an array, of any other key
//! through a hash map, and feeds DataFusion's own group accumulators (`update_batch`, then
//! `merge_batch` of each group's `LANES` slots and `state`, so the partial states and the final
//! aggregation above are DataFusion's). Aggregates with ordering (`array_agg(x ORDER BY y)`), DISTINCT, grouping sets,
//! limits and sorted-input modes keep DataFusion's operator.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, make_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Int8Type, Int16Type, Int32Type, Int64Type, SchemaRef, UInt8Type,
    UInt16Type, UInt32Type,
};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result};
use datafusion::config::ConfigOptions;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, InputOrderMode, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::StreamExt as _;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// Keys in `[0, DENSE_KEYS)` are found by indexing (dates up to 2149, hours, zone ids, codes).
const DENSE_KEYS: usize = 1 << 16;

/// Each of the first `LANED_GROUPS` groups is given `LANES` accumulator slots, row `i` going to
/// slot `i % LANES`: consecutive rows of one group (a few groups, or rows sorted by the key) then
/// update different slots instead of waiting on the previous row's store to the same one. The
/// slots are merged into their group at the end with the accumulator's own `merge_batch`.
/// Only for aggregates whose answer does not depend on the order rows arrive in (`array_agg`
/// without ORDER BY keeps file order when one partition reads the file, and lanes would
/// interleave it).
const LANES: usize = 4;
const LANED_GROUPS: usize = 4096;
const ORDER_FREE: [&str; 14] = [
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "bool_and",
    "bool_or",
    "bit_and",
    "bit_or",
    "bit_xor",
    "stddev",
    "stddev_pop",
    "var",
    "var_pop",
];

/// The physical optimizer rule (see the module docs).
#[derive(Debug, Default)]
pub struct DenseGroups;

impl PhysicalOptimizerRule for DenseGroups {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(agg) = node.downcast_ref::<AggregateExec>() else {
                return Ok(Transformed::no(node));
            };
            if !eligible(agg) {
                return Ok(Transformed::no(node));
            }
            let agg = Arc::new(agg.clone());
            Ok(Transformed::yes(Arc::new(DenseAggregateExec { agg }) as Arc<dyn ExecutionPlan>))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "lakebox_dense_groups"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Whether `agg` is a partial aggregation this operator computes exactly as DataFusion does.
fn eligible(agg: &AggregateExec) -> bool {
    let group = agg.group_expr();
    let key_type = match group.expr() {
        [(expr, _)] => expr.data_type(&agg.input_schema()).ok(),
        _ => None,
    };
    *agg.mode() == AggregateMode::Partial
        && group.is_single()
        && key_type.as_ref().is_some_and(dense_type)
        && agg.limit_options().is_none()
        && *agg.input_order_mode() == InputOrderMode::Linear
        && agg.dynamic_expressions_produced().is_empty()
        && !agg.aggr_expr().is_empty()
        && agg
            .aggr_expr()
            .iter()
            .all(|a| a.groups_accumulator_supported() && a.order_bys().is_empty() && !a.is_distinct())
}

fn dense_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::Date32
    )
}

/// A partial `AggregateExec` computed with indexed groups; the wrapped operator supplies the
/// expressions, schema and plan properties.
#[derive(Debug)]
pub struct DenseAggregateExec {
    agg: Arc<AggregateExec>,
}

impl DisplayAs for DenseAggregateExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "DenseAggregateExec: ")?;
        self.agg.fmt_as(t, f)
    }
}

impl ExecutionPlan for DenseAggregateExec {
    fn name(&self) -> &str {
        "DenseAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.agg.properties()
    }

    fn input_distribution_requirements(&self) -> datafusion::physical_plan::InputDistributionRequirements {
        self.agg.input_distribution_requirements()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        self.agg.maintains_input_order()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.agg.children()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.agg.apply_expressions(f)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let replaced = Arc::clone(&self.agg).replace_children(children, options)?;
        match replaced.downcast_ref::<AggregateExec>() {
            Some(agg) if eligible(agg) => Ok(Arc::new(DenseAggregateExec { agg: Arc::new(agg.clone()) })),
            _ => Ok(replaced),
        }
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let batch_size = context.session_config().batch_size().max(1);
        let mut input = self.agg.input().execute(partition, context)?;
        let mut groups = Groups::new(Arc::clone(&self.agg))?;
        let schema = self.agg.schema();
        let out_schema = Arc::clone(&schema);
        let batches = futures::stream::once(async move {
            while let Some(batch) = input.next().await {
                groups.update(&batch?)?;
            }
            groups.emit(out_schema, batch_size)
        })
        .map(|emitted: Result<Vec<RecordBatch>>| match emitted {
            Ok(batches) => futures::stream::iter(batches.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        })
        .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
    }
}

type KeyMap = HashMap<i64, usize, BuildHasherDefault<twox_hash::XxHash64>>;

/// The groups of one partition and their accumulators.
struct Groups {
    agg: Arc<AggregateExec>,
    key: Arc<dyn PhysicalExpr>,
    key_type: DataType,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    arguments: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    /// First slot + 1 of each dense key's group (0: not seen yet).
    dense: Vec<u32>,
    /// First slot of each other key's group.
    sparse: KeyMap,
    null: Option<usize>,
    /// The key of each group, in group order.
    keys: Vec<Option<i64>>,
    /// The group of each accumulator slot (see [`LANES`]).
    slot_group: Vec<usize>,
    /// How many groups get lanes: [`LANED_GROUPS`], or 0 when an aggregate is order-sensitive.
    laned_groups: usize,
    indices: Vec<usize>,
}

impl Groups {
    fn new(agg: Arc<AggregateExec>) -> Result<Self> {
        let (key, _) = agg.group_expr().expr()[0].clone();
        let key_type = key.data_type(&agg.input_schema())?;
        let accumulators = agg.aggr_expr().iter().map(|a| a.create_groups_accumulator()).collect::<Result<_>>()?;
        let arguments = agg.aggr_expr().iter().map(|a| a.expressions()).collect();
        let order_free = agg.aggr_expr().iter().all(|a| ORDER_FREE.contains(&a.fun().name()));
        Ok(Self {
            laned_groups: if order_free { LANED_GROUPS } else { 0 },
            agg,
            key,
            key_type,
            accumulators,
            arguments,
            dense: Vec::new(),
            sparse: KeyMap::default(),
            null: None,
            keys: Vec::new(),
            slot_group: Vec::new(),
            indices: Vec::new(),
        })
    }

    fn update(&mut self, batch: &RecordBatch) -> Result<()> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let keys = self.key.evaluate(batch)?.into_array(rows)?;
        self.indices.clear();
        self.indices.reserve(rows);
        match &self.key_type {
            DataType::Int8 => self.intern::<Int8Type>(&keys),
            DataType::Int16 => self.intern::<Int16Type>(&keys),
            DataType::Int32 => self.intern::<Int32Type>(&keys),
            DataType::Int64 => self.intern::<Int64Type>(&keys),
            DataType::UInt8 => self.intern::<UInt8Type>(&keys),
            DataType::UInt16 => self.intern::<UInt16Type>(&keys),
            DataType::UInt32 => self.intern::<UInt32Type>(&keys),
            DataType::Date32 => self.intern::<Date32Type>(&keys),
            other => return Err(DataFusionError::Internal(format!("DenseAggregateExec: key type {other}"))),
        }
        let total = self.slot_group.len();
        for ((acc, args), filter) in self.accumulators.iter_mut().zip(&self.arguments).zip(self.agg.filter_expr()) {
            let values = args.iter().map(|e| e.evaluate(batch)?.into_array(rows)).collect::<Result<Vec<_>>>()?;
            let filter = match filter {
                Some(f) => Some(f.evaluate(batch)?.into_array(rows)?),
                None => None,
            };
            let filter: Option<&BooleanArray> = filter.as_ref().map(|f| f.as_boolean());
            acc.update_batch(&values, &self.indices, filter, total)?;
        }
        Ok(())
    }

    /// Appends the group index of every key to `self.indices`, creating groups as keys appear.
    fn intern<T: ArrowPrimitiveType>(&mut self, keys: &ArrayRef)
    where
        T::Native: Into<i64>,
    {
        let keys = keys.as_primitive::<T>();
        if self.dense.is_empty() {
            self.dense = vec![0; DENSE_KEYS];
        }
        let values = keys.values();
        // A key seen before in the dense range is one load (the common case).
        let seen = |dense: &[u32], key: i64| match dense.get(key as u64 as usize) {
            Some(&entry) if entry != 0 => Some(entry as usize - 1),
            _ => None,
        };
        // The laned groups' slots come first (see `new_group`).
        let laned_slots = self.laned_groups * LANES;
        let slot = |first: usize, row: usize| if first < laned_slots { first + row % LANES } else { first };
        match keys.nulls().filter(|n| n.null_count() > 0) {
            None => {
                for (row, &k) in values.iter().enumerate() {
                    let key: i64 = k.into();
                    let first = seen(&self.dense, key).unwrap_or_else(|| self.new_or_sparse(Some(key)));
                    self.indices.push(slot(first, row));
                }
            }
            Some(valid) => {
                for (row, &k) in values.iter().enumerate() {
                    let key = valid.is_valid(row).then(|| k.into());
                    let first = key.and_then(|key| seen(&self.dense, key)).unwrap_or_else(|| self.new_or_sparse(key));
                    self.indices.push(slot(first, row));
                }
            }
        }
    }

    /// The first slot of `key`'s group (`None`: the NULL group), creating the group if new.
    #[inline(never)]
    fn new_or_sparse(&mut self, key: Option<i64>) -> usize {
        let Some(key) = key else {
            if let Some(first) = self.null {
                return first;
            }
            let first = self.new_group(None);
            self.null = Some(first);
            return first;
        };
        if let Ok(index) = usize::try_from(key)
            && index < DENSE_KEYS
        {
            if self.dense[index] == 0 {
                let first = self.new_group(Some(key));
                self.dense[index] = first as u32 + 1;
            }
            return self.dense[index] as usize - 1;
        }
        if let Some(&first) = self.sparse.get(&key) {
            return first;
        }
        let first = self.new_group(Some(key));
        self.sparse.insert(key, first);
        first
    }

    /// Adds a group and its slots ([`LANES`] for the first `laned_groups`, then one); returns its
    /// first slot.
    fn new_group(&mut self, key: Option<i64>) -> usize {
        let group = self.keys.len();
        self.keys.push(key);
        let first = self.slot_group.len();
        let lanes = if group < self.laned_groups { LANES } else { 1 };
        self.slot_group.extend(std::iter::repeat_n(group, lanes));
        first
    }

    /// The partial aggregation's output: each group's key, then every accumulator's state.
    fn emit(mut self, schema: SchemaRef, batch_size: usize) -> Result<Vec<RecordBatch>> {
        if self.keys.is_empty() {
            return Ok(Vec::new());
        }
        let groups = self.keys.len();
        let keys: ArrayRef = Arc::new(Int64Array::from(std::mem::take(&mut self.keys)));
        let mut columns = vec![key_column(&keys, &self.key_type)?];
        let laned = self.slot_group.len() > groups;
        for (acc, aggregate) in self.accumulators.iter_mut().zip(self.agg.aggr_expr()) {
            let slots = acc.state(EmitTo::All)?;
            if !laned {
                columns.extend(slots);
                continue;
            }
            // The slots of each group merged into one, as a final aggregation merges partial states.
            let mut merged = aggregate.create_groups_accumulator()?;
            merged.merge_batch(&slots, &self.slot_group, groups)?;
            columns.extend(merged.state(EmitTo::All)?);
        }
        let batch = RecordBatch::try_new(schema, columns)?;
        let rows = batch.num_rows();
        Ok((0..rows).step_by(batch_size).map(|start| batch.slice(start, batch_size.min(rows - start))).collect())
    }
}

/// The keys (held as `i64`) as a column of the key's own type.
fn key_column(keys: &ArrayRef, key_type: &DataType) -> Result<ArrayRef> {
    Ok(match key_type {
        // A date is its day number: the Int32 cast's buffers, retyped.
        DataType::Date32 => {
            let days = cast(keys, &DataType::Int32)?;
            make_array(days.to_data().into_builder().data_type(DataType::Date32).build()?)
        }
        other => cast(keys, other)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Date32Array, Float64Array, Int32Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::{SessionConfig, SessionContext};

    /// Rows whose keys mix dense, negative, huge and NULL values, in several batches.
    fn table() -> MemTable {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("d", DataType::Date32, true),
            Field::new("v", DataType::Float64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let mut batches = Vec::new();
        let mut state = 7u64;
        for _ in 0..6 {
            let mut k = Vec::new();
            let mut d = Vec::new();
            let mut v = Vec::new();
            let mut s = Vec::new();
            for _ in 0..1000 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let r = (state >> 33) as i64;
                k.push(match r % 10 {
                    0 => None,
                    1 => Some(-(r % 5) - 1),
                    2 => Some(i64::MAX - r % 3),
                    3 => Some(65_536 + r % 4),
                    _ => Some(r % 7),
                });
                d.push(if r % 13 == 0 { None } else { Some(19_700 + (r % 40) as i32) });
                v.push(if r % 11 == 0 { None } else { Some((r % 1000) as f64 / 8.0) });
                s.push(Some(format!("s{}", r % 5)));
            }
            batches.push(
                RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(Int64Array::from(k)),
                        Arc::new(Date32Array::from(d)),
                        Arc::new(Float64Array::from(v)),
                        Arc::new(StringArray::from(s)),
                    ],
                )
                .unwrap(),
            );
        }
        MemTable::try_new(schema, vec![batches[..3].to_vec(), batches[3..].to_vec()]).unwrap()
    }

    async fn run(dense: bool, sql: &str) -> (Vec<String>, String) {
        let config = SessionConfig::new().with_target_partitions(2).with_batch_size(512);
        let mut builder = SessionStateBuilder::new().with_config(config).with_default_features();
        if dense {
            builder = builder.with_physical_optimizer_rule(Arc::new(DenseGroups));
        }
        let ctx = SessionContext::new_with_state(builder.build());
        ctx.register_table("t", Arc::new(table())).unwrap();
        let frame = ctx.sql(sql).await.unwrap();
        let plan = frame.clone().create_physical_plan().await.unwrap();
        let shown = datafusion::physical_plan::displayable(plan.as_ref()).indent(true).to_string();
        let batches = frame.collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        (text.lines().map(str::to_string).collect(), shown)
    }

    /// The same table, cell by cell; floating-point cells within 1e-12 (the lanes add in another
    /// order than DataFusion's single pass).
    fn assert_same(ours: &[String], theirs: &[String], sql: &str) {
        assert_eq!(ours.len(), theirs.len(), "{sql}");
        for (a, b) in ours.iter().zip(theirs) {
            let (cells_a, cells_b): (Vec<&str>, Vec<&str>) = (a.split('|').collect(), b.split('|').collect());
            assert_eq!(cells_a.len(), cells_b.len(), "{sql}\n{a}\n{b}");
            for (x, y) in cells_a.iter().zip(&cells_b) {
                let (x, y) = (x.trim(), y.trim());
                match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(p), Ok(q)) if x.contains('.') || y.contains('.') => {
                        assert!((p - q).abs() <= 1e-12 * p.abs().max(q.abs()).max(1.0), "{sql}\n{a}\n{b}")
                    }
                    _ => assert_eq!(x, y, "{sql}\n{a}\n{b}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn grouped_aggregates_equal_datafusions_own() {
        for sql in [
            "SELECT k, count(*), sum(v), avg(v), min(v), max(v), count(v) FROM t GROUP BY k ORDER BY k",
            "SELECT d, count(*), sum(v) FROM t GROUP BY d ORDER BY d",
            "SELECT k % 3 AS m, min(s), max(s), count(*) FILTER (WHERE v > 50) FROM t GROUP BY 1 ORDER BY 1",
            "SELECT CAST(k AS int) AS k32, stddev(v), var_pop(v), bool_and(v > 1) FROM t \
             WHERE k BETWEEN -10 AND 100 GROUP BY 1 ORDER BY 1",
            "SELECT k, count(*) FROM t WHERE v > 1000 GROUP BY k",
            // DataFusion plans a single DISTINCT as two aggregations; the outer one is dense.
            "SELECT k, count(DISTINCT d) FROM t GROUP BY k ORDER BY k",
            // Order-sensitive: no lanes (each partition's rows arrive in order).
            "SELECT k, array_agg(v) FROM t WHERE k BETWEEN 0 AND 2 GROUP BY k ORDER BY k",
            // More groups than get lanes (up to 7,000 keys, some negative).
            "SELECT CAST(v * 8 AS bigint) + k % 7 * 1000 AS g, count(*), sum(v), max(s) FROM t GROUP BY 1 ORDER BY 1",
        ] {
            let (ours, plan) = run(true, sql).await;
            let (theirs, reference) = run(false, sql).await;
            assert!(plan.contains("DenseAggregateExec"), "{sql}\n{plan}");
            assert!(!reference.contains("DenseAggregateExec"), "{reference}");
            assert_same(&ours, &theirs, sql);
            assert!(theirs.len() > 4 || sql.contains("1000"), "{sql}: {theirs:?}");
        }
    }

    #[tokio::test]
    async fn other_shapes_keep_datafusions_operator() {
        for sql in [
            "SELECT s, count(*) FROM t GROUP BY s",
            "SELECT k, d, count(*) FROM t GROUP BY k, d",
            "SELECT k, array_agg(v ORDER BY v) FROM t GROUP BY k",
            "SELECT count(*) FROM t",
        ] {
            let (mut ours, plan) = run(true, sql).await;
            let (mut theirs, _) = run(false, sql).await;
            assert!(!plan.contains("DenseAggregateExec"), "{sql}\n{plan}");
            ours.sort();
            theirs.sort();
            assert_same(&ours, &theirs, sql);
        }
    }

    #[test]
    fn key_columns_keep_their_type() {
        let keys: ArrayRef = Arc::new(Int64Array::from(vec![Some(19_700), None, Some(-3)]));
        let days = key_column(&keys, &DataType::Date32).unwrap();
        assert_eq!(days.as_primitive::<Date32Type>(), &Date32Array::from(vec![Some(19_700), None, Some(-3)]));
        let ints = key_column(&keys, &DataType::Int32).unwrap();
        assert_eq!(ints.as_primitive::<Int32Type>(), &Int32Array::from(vec![Some(19_700), None, Some(-3)]));
    }
}
