//! `count(DISTINCT x)` of integers in a query without GROUP BY, counted with flags.
//!
//! A report's `SELECT count(DISTINCT pulocationid), count(DISTINCT dolocationid) FROM trips`
//! is planned by DataFusion with one hash set per column, and inserting every row into it was
//! nearly half the query's time (bench/athena_vs_duckdb.py, "distinct counts"). Integer IDs,
//! codes and years are small non-negative numbers: [`DistinctIntegers`] gives those counts to
//! [`DistinctIntCount`], which flags values below 65,536 in a byte array (one store per row, at
//! most 64 KiB) and keeps only the others in a hash set. The result is the same count.
//!
//! Only aggregates without GROUP BY are rewritten, so there is one accumulator per partition:
//! with groups, DataFusion's own plan (grouping by the value, or one set per group) stays. A
//! single distinct column is already rewritten by DataFusion into a GROUP BY before this rule
//! runs (`single_distinct_aggregation_to_group_by`), and stays so.

use datafusion::arrow::array::{Array as _, ArrayRef, ArrowPrimitiveType, AsArray as _, PrimitiveArray};
use datafusion::arrow::compute::{max, min};
use datafusion::arrow::datatypes::{
    ArrowNativeType, DataType, Field, FieldRef, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::common::tree_node::Transformed;
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, Aggregate, AggregateUDF, AggregateUDFImpl, Expr, ExprSchemable as _, LogicalPlan, Signature,
    Volatility,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, LazyLock};

/// Values below this are kept as flags (64 KiB at most: grown to the largest value seen, or to
/// all of them when a batch has no NULL and only such values).
const FLAG_VALUES: usize = 1 << 16;

/// The optimizer rule (added after DataFusion's own rules).
#[derive(Debug, Default)]
pub struct DistinctIntegers;

impl OptimizerRule for DistinctIntegers {
    fn name(&self) -> &str {
        "lakebox_distinct_integers"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(agg) = &plan else { return Ok(Transformed::no(plan)) };
        if !agg.group_expr.is_empty() {
            return Ok(Transformed::no(plan));
        }
        let schema = agg.input.schema();
        let mut changed = false;
        let aggr_expr: Vec<Expr> = agg
            .aggr_expr
            .iter()
            .map(|e| {
                let Expr::AggregateFunction(AggregateFunction { func, params }) = e else { return e.clone() };
                let AggregateFunctionParams { args, distinct, filter, order_by, .. } = params;
                let integer = args.len() == 1 && args[0].get_type(schema).is_ok_and(|t| t.is_integer());
                if func.name() != "count" || !distinct || filter.is_some() || !order_by.is_empty() || !integer {
                    return e.clone();
                }
                changed = true;
                // The same output name, so the plan above still finds the column.
                UDAF.call(args.clone()).alias(e.schema_name().to_string())
            })
            .collect();
        if !changed {
            return Ok(Transformed::no(plan));
        }
        // A plan this rule cannot rebuild stays as DataFusion planned it.
        match Aggregate::try_new(agg.input.clone(), Vec::new(), aggr_expr) {
            Ok(new) => Ok(Transformed::yes(LogicalPlan::Aggregate(new))),
            Err(_) => Ok(Transformed::no(plan)),
        }
    }
}

static UDAF: LazyLock<AggregateUDF> = LazyLock::new(|| {
    AggregateUDF::new_from_impl(DistinctIntCount { signature: Signature::any(1, Volatility::Immutable) })
});

/// `count(DISTINCT x)` of an integer column; see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DistinctIntCount {
    signature: Signature,
}

impl AggregateUDFImpl for DistinctIntCount {
    fn name(&self) -> &str {
        "__lakebox_count_distinct"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let item = args.input_fields.first().map_or(DataType::Int64, |f| f.data_type().clone());
        Ok(vec![Arc::new(Field::new_list(
            format_state_name(args.name, "distinct values"),
            Field::new_list_field(item, true),
            false,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let Some(field) = args.expr_fields.first() else { return internal_err!("count(DISTINCT) takes one argument") };
        Ok(match field.data_type() {
            DataType::Int8 => Box::new(Distinct::<Int8Type>::default()),
            DataType::Int16 => Box::new(Distinct::<Int16Type>::default()),
            DataType::Int32 => Box::new(Distinct::<Int32Type>::default()),
            DataType::Int64 => Box::new(Distinct::<Int64Type>::default()),
            DataType::UInt8 => Box::new(Distinct::<UInt8Type>::default()),
            DataType::UInt16 => Box::new(Distinct::<UInt16Type>::default()),
            DataType::UInt32 => Box::new(Distinct::<UInt32Type>::default()),
            DataType::UInt64 => Box::new(Distinct::<UInt64Type>::default()),
            other => return internal_err!("count(DISTINCT) of integers planned for {other}"),
        })
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(0)))
    }
}

/// The distinct values seen: small non-negative ones as flags (`seen[v] == 1`), the others in
/// a set.
struct Distinct<T: ArrowPrimitiveType> {
    seen: Vec<u8>,
    others: HashSet<T::Native>,
}

impl<T: ArrowPrimitiveType> std::fmt::Debug for Distinct<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Distinct").field("type", &T::DATA_TYPE).field("others", &self.others.len()).finish()
    }
}

impl<T: ArrowPrimitiveType> Default for Distinct<T> {
    fn default() -> Self {
        Self { seen: Vec::new(), others: HashSet::new() }
    }
}

impl<T: ArrowPrimitiveType> Distinct<T>
where
    T::Native: Hash + Eq,
{
    fn insert_all(&mut self, array: &PrimitiveArray<T>) {
        let small = |v: T::Native| v.to_usize().filter(|i| *i < FLAG_VALUES);
        let range = (min(array).and_then(small), max(array).and_then(small));
        let values = array.values();
        match (range, array.nulls()) {
            // Every value has a flag: one store per row, no branch (the common case: IDs, codes).
            // The flags are then all 64 KiB, and the index masked to them: the mask changes no
            // value (each is below `FLAG_VALUES`) and proves every store in bounds, so the loop
            // has no bounds check.
            ((Some(_), Some(_)), None) => {
                if self.seen.len() < FLAG_VALUES {
                    self.seen.resize(FLAG_VALUES, 0);
                }
                let seen: &mut [u8; FLAG_VALUES] =
                    (&mut self.seen[..FLAG_VALUES]).try_into().expect("the flags hold FLAG_VALUES bytes");
                for v in values.iter() {
                    seen[v.as_usize() & (FLAG_VALUES - 1)] = 1;
                }
            }
            _ => {
                let valid: Box<dyn Iterator<Item = usize>> = match array.nulls() {
                    Some(nulls) => Box::new(nulls.valid_indices()),
                    None => Box::new(0..values.len()),
                };
                for i in valid {
                    let v = values[i];
                    match small(v) {
                        Some(i) => {
                            if i >= self.seen.len() {
                                self.seen.resize(i + 1, 0);
                            }
                            self.seen[i] = 1;
                        }
                        None => {
                            self.others.insert(v);
                        }
                    }
                }
            }
        }
    }

    fn values(&self) -> PrimitiveArray<T> {
        let small =
            self.seen.iter().enumerate().filter(|(_, f)| **f != 0).filter_map(|(i, _)| T::Native::from_usize(i));
        PrimitiveArray::<T>::from_iter_values(small.chain(self.others.iter().copied()))
    }
}

impl<T: ArrowPrimitiveType> Accumulator for Distinct<T>
where
    T::Native: Hash + Eq,
{
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if let Some(array) = values.first() {
            self.insert_all(array.as_primitive::<T>());
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let small = self.seen.iter().filter(|f| **f != 0).count();
        Ok(ScalarValue::Int64(Some((small + self.others.len()) as i64)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.seen.capacity() + self.others.capacity() * size_of::<T::Native>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: ArrayRef = Arc::new(self.values());
        Ok(vec![SingleRowListArrayBuilder::new(values).build_list_scalar()])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(lists) = states.first() else { return Ok(()) };
        for list in lists.as_list::<i32>().iter().flatten() {
            self.insert_all(list.as_primitive::<T>());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int32Array, Int64Array, UInt64Array};

    /// The count of a batch split in two accumulators merged through their state, as the
    /// partial and final aggregates do.
    fn count<T: ArrowPrimitiveType>(values: PrimitiveArray<T>) -> i64
    where
        T::Native: Hash + Eq,
    {
        let half = values.len() / 2;
        let (mut a, mut b) = (Distinct::<T>::default(), Distinct::<T>::default());
        a.update_batch(&[Arc::new(values.slice(0, half))]).unwrap();
        b.update_batch(&[Arc::new(values.slice(half, values.len() - half))]).unwrap();
        let ScalarValue::List(state) = b.state().unwrap().remove(0) else { panic!("a list state") };
        a.merge_batch(&[state]).unwrap();
        let ScalarValue::Int64(Some(n)) = a.evaluate().unwrap() else { panic!("a count") };
        n
    }

    async fn plan_and_rows(sql: &str) -> (String, Vec<datafusion::arrow::array::RecordBatch>) {
        use datafusion::execution::SessionStateBuilder;
        use datafusion::prelude::SessionContext;
        let state =
            SessionStateBuilder::new().with_default_features().with_optimizer_rule(Arc::new(DistinctIntegers)).build();
        let ctx = SessionContext::new_with_state(state);
        ctx.sql("CREATE TABLE t (g int, a int, b bigint) AS VALUES (1, 1, 70000), (1, 2, 70000), (2, 2, -5), (2, NULL, NULL)")
            .await
            .unwrap();
        let frame = ctx.sql(sql).await.unwrap();
        let plan = frame.clone().into_optimized_plan().unwrap().display_indent().to_string();
        (plan, frame.collect().await.unwrap())
    }

    #[tokio::test]
    async fn the_rule_takes_distinct_integer_counts_without_group_by_only() {
        let (plan, rows) = plan_and_rows("SELECT count(DISTINCT a), count(DISTINCT b) FROM t").await;
        assert!(plan.contains("__lakebox_count_distinct(t.a) AS count(DISTINCT t.a)"), "{plan}");
        let counts: Vec<i64> = rows[0].columns().iter().map(|c| c.as_primitive::<Int64Type>().value(0)).collect();
        assert_eq!(counts, [2, 2]);
        let (plan, _) = plan_and_rows("SELECT g, count(DISTINCT a), count(DISTINCT b) FROM t GROUP BY g").await;
        assert!(!plan.contains("__lakebox"), "{plan}");
    }

    #[test]
    fn counts_small_large_negative_and_null_values_once() {
        // Values either side of the flags' end, negatives, repeats across the two halves, NULLs.
        let values: Vec<Option<i64>> = [0, 1, 63, 64, 65_535, 65_536, -1, i64::MIN, i64::MAX, 1, 65_536, -1]
            .into_iter()
            .map(Some)
            .chain([None, None])
            .chain([0, 63, 65_535, i64::MAX].into_iter().map(Some))
            .collect();
        let want = values.iter().flatten().collect::<HashSet<_>>().len() as i64;
        assert_eq!(count(Int64Array::from(values)), want);
        assert_eq!(count(UInt64Array::from(vec![u64::MAX, 7, 7, u64::MAX, 70_000])), 3);
        let ids: Vec<i32> = (0..10_000).map(|i| (i * 7919) % 263 + 1).collect();
        assert_eq!(count(Int32Array::from(ids.clone())), ids.iter().collect::<HashSet<_>>().len() as i64);
        assert_eq!(count(Int32Array::from(Vec::<i32>::new())), 0);
    }
}
