//! Trino's result types for `sum` and `avg` of decimals: `sum(decimal(p, s))` is
//! `decimal(38, s)` and `avg(decimal(p, s))` is `decimal(p, s)` (rounded half up), where
//! DataFusion gives `decimal(p + 10, s)` and `decimal(p + 4, s + 4)`. The functions are
//! DataFusion's, with the result cast when the group is emitted; other types are unchanged.
//! <https://trino.io/docs/current/functions/aggregate.html#avg>
//! And `sum(bigint)` (integers are summed as bigint) fails with `NUMERIC_VALUE_OUT_OF_RANGE` on
//! overflow, as Trino's does, where DataFusion's wraps around to a negative total.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, ReversedUDAF, Signature,
};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Sum,
    Avg,
}

#[derive(Debug)]
struct TrinoDecimal {
    inner: Arc<AggregateUDF>,
    kind: Kind,
}

impl PartialEq for TrinoDecimal {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for TrinoDecimal {}

impl std::hash::Hash for TrinoDecimal {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl TrinoDecimal {
    fn trino_type(&self, input: &DataType) -> Option<DataType> {
        match (self.kind, input) {
            (Kind::Sum, DataType::Decimal128(_, s)) => Some(DataType::Decimal128(38, *s)),
            (Kind::Avg, DataType::Decimal128(p, s)) => Some(DataType::Decimal128(*p, *s)),
            _ => None,
        }
    }

    /// Whether this is `sum(bigint)` (integers are coerced to bigint), summed with overflow checks:
    /// Trino fails with `NUMERIC_VALUE_OUT_OF_RANGE` where DataFusion's sum wraps around.
    fn checked_integers(&self, args: &AccumulatorArgs) -> bool {
        self.kind == Kind::Sum
            && !args.is_distinct
            && args.expr_fields.first().is_some_and(|f| f.data_type() == &DataType::Int64)
            && args.return_field.data_type() == &DataType::Int64
    }

    /// The arguments DataFusion's function expects: its own result type.
    fn inner_return(&self, fields: &[FieldRef]) -> Result<FieldRef> {
        self.inner.inner().return_field(fields)
    }
}

struct CastAccumulator {
    inner: Box<dyn Accumulator>,
    to: DataType,
}

impl std::fmt::Debug for CastAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CastAccumulator").field("to", &self.to).finish()
    }
}

impl Accumulator for CastAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.update_batch(values)
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.inner.evaluate()?.cast_to(&self.to)
    }
    fn size(&self) -> usize {
        self.inner.size()
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.inner.state()
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }
    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.retract_batch(values)
    }
    fn supports_retract_batch(&self) -> bool {
        self.inner.supports_retract_batch()
    }
}

struct CastGroups {
    inner: Box<dyn GroupsAccumulator>,
    to: DataType,
}

impl GroupsAccumulator for CastGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner.update_batch(values, group_indices, opt_filter, total_num_groups)
    }
    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(cast(&self.inner.evaluate(emit_to)?, &self.to)?)
    }
    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.inner.state(emit_to)
    }
    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.inner.merge_batch(values, group_indices, total_num_groups)
    }
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        self.inner.convert_to_state(values, opt_filter)
    }
    fn size(&self) -> usize {
        self.inner.size()
    }
}

/// `args` with DataFusion's own result field, and the Trino type to cast to (if it differs).
fn inner_args<'a>(f: &TrinoDecimal, args: &AccumulatorArgs<'a>) -> Result<(AccumulatorArgs<'a>, Option<DataType>)> {
    let to = args.expr_fields.first().and_then(|e| f.trino_type(e.data_type()));
    let mut inner = args.clone();
    if to.is_some() {
        inner.return_field = f.inner_return(args.expr_fields)?;
    }
    Ok((inner, to))
}

impl AggregateUDFImpl for TrinoDecimal {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }
    fn signature(&self) -> &Signature {
        self.inner.signature()
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.inner().coerce_types(arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first().and_then(|t| self.trino_type(t)) {
            Some(t) => Ok(t),
            None => self.inner.return_type(arg_types),
        }
    }
    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        match arg_fields.first().and_then(|f| self.trino_type(f.data_type())) {
            Some(t) => Ok(Arc::new(Field::new(self.name(), t, true))),
            None => self.inner.inner().return_field(arg_fields),
        }
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if self.checked_integers(&args) {
            return Ok(Box::new(CheckedSum { sum: None }));
        }
        let (inner, to) = inner_args(self, &args)?;
        let acc = self.inner.inner().accumulator(inner)?;
        Ok(match to {
            Some(to) => Box::new(CastAccumulator { inner: acc, to }),
            None => acc,
        })
    }
    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let (inner, to) = inner_args(self, &args)?;
        let acc = self.inner.inner().create_sliding_accumulator(inner)?;
        Ok(match to {
            Some(to) => Box::new(CastAccumulator { inner: acc, to }),
            None => acc,
        })
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let return_field = if args.input_fields.first().and_then(|f| self.trino_type(f.data_type())).is_some() {
            self.inner_return(args.input_fields)?
        } else {
            args.return_field.clone()
        };
        self.inner.inner().state_fields(StateFieldsArgs { return_field, ..args })
    }
    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.checked_integers(&args)
            || inner_args(self, &args).is_ok_and(|(inner, _)| self.inner.inner().groups_accumulator_supported(inner))
    }
    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        if self.checked_integers(&args) {
            return Ok(Box::new(CheckedSums { sums: Vec::new(), seen: Vec::new() }));
        }
        let (inner, to) = inner_args(self, &args)?;
        let acc = self.inner.inner().create_groups_accumulator(inner)?;
        Ok(match to {
            Some(to) => Box::new(CastGroups { inner: acc, to }),
            None => acc,
        })
    }
    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }
    fn order_sensitivity(&self) -> datafusion::logical_expr::utils::AggregateOrderSensitivity {
        self.inner.inner().order_sensitivity()
    }
    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.inner().default_value(data_type)
    }
}

fn overflow() -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution("NUMERIC_VALUE_OUT_OF_RANGE: bigint addition overflow".into())
}

/// The sum of a batch's values (NULLs and filtered-out rows left out), checked.
fn batch_sum(values: &Int64Array, filter: Option<&BooleanArray>) -> Result<Option<i64>> {
    let valid = |row: usize| values.is_valid(row) && filter.is_none_or(|f| f.is_valid(row) && f.value(row));
    let mut sum: Option<i64> = None;
    if values.null_count() == 0 && filter.is_none() {
        // i128 cannot overflow over a batch; the total is checked once.
        if values.is_empty() {
            return Ok(None);
        }
        let total: i128 = values.values().iter().map(|&v| i128::from(v)).sum();
        return i64::try_from(total).map(Some).map_err(|_| overflow());
    }
    for row in 0..values.len() {
        if valid(row) {
            sum = Some(sum.unwrap_or(0).checked_add(values.value(row)).ok_or_else(overflow)?);
        }
    }
    Ok(sum)
}

/// `sum(bigint)` that fails on overflow (see [`TrinoDecimal::checked_integers`]); its state is
/// DataFusion's (the partial sum), so partial and final aggregations mix.
#[derive(Debug)]
struct CheckedSum {
    sum: Option<i64>,
}

impl CheckedSum {
    fn add(&mut self, part: Option<i64>) -> Result<()> {
        if let Some(part) = part {
            self.sum = Some(self.sum.unwrap_or(0).checked_add(part).ok_or_else(overflow)?);
        }
        Ok(())
    }
}

impl Accumulator for CheckedSum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let part = batch_sum(values[0].as_primitive::<Int64Type>(), None)?;
        self.add(part)
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(self.sum))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Int64(self.sum)])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }
}

/// The grouped form of [`CheckedSum`].
#[derive(Debug)]
struct CheckedSums {
    sums: Vec<i64>,
    seen: Vec<bool>,
}

impl CheckedSums {
    fn add(
        &mut self,
        values: &Int64Array,
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        groups: usize,
    ) -> Result<()> {
        if self.sums.len() < groups {
            self.sums.resize(groups, 0);
            self.seen.resize(groups, false);
        }
        for (row, &g) in group_indices.iter().enumerate() {
            if values.is_valid(row) && filter.is_none_or(|f| f.is_valid(row) && f.value(row)) {
                self.sums[g] = self.sums[g].checked_add(values.value(row)).ok_or_else(overflow)?;
                self.seen[g] = true;
            }
        }
        Ok(())
    }

    fn take(&mut self, emit_to: EmitTo) -> ArrayRef {
        let sums = emit_to.take_needed(&mut self.sums);
        let seen = emit_to.take_needed(&mut self.seen);
        Arc::new(Int64Array::new(sums.into(), Some(seen.into())))
    }
}

impl GroupsAccumulator for CheckedSums {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.add(values[0].as_primitive::<Int64Type>(), group_indices, opt_filter, total_num_groups)
    }
    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(self.take(emit_to))
    }
    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.take(emit_to)])
    }
    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.add(values[0].as_primitive::<Int64Type>(), group_indices, None, total_num_groups)
    }
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let values = values[0].as_primitive::<Int64Type>();
        let kept: Int64Array = (0..values.len())
            .map(|row| {
                (values.is_valid(row) && opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row)))
                    .then(|| values.value(row))
            })
            .collect();
        Ok(vec![Arc::new(kept)])
    }
    fn size(&self) -> usize {
        self.sums.capacity() * 8 + self.seen.capacity()
    }
}

/// `sum` and `avg` with Trino's decimal result types.
pub fn functions() -> Vec<AggregateUDF> {
    vec![
        AggregateUDF::new_from_impl(TrinoDecimal {
            inner: datafusion::functions_aggregate::sum::sum_udaf(),
            kind: Kind::Sum,
        }),
        AggregateUDF::new_from_impl(TrinoDecimal {
            inner: datafusion::functions_aggregate::average::avg_udaf(),
            kind: Kind::Avg,
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_sums_add_like_i128_and_fail_past_bigint() {
        // Totals computed in i128 (which cannot overflow here) as the reference.
        let values: Vec<i64> = (0..20_000).map(|i| (i * 7_919 % 20_011 - 10_000) * 1_000_000_000_000).collect();
        let want: i128 = values.iter().map(|&v| i128::from(v)).sum();
        let mut one = CheckedSum { sum: None };
        for chunk in values.chunks(4096) {
            one.update_batch(&[Arc::new(Int64Array::from(chunk.to_vec())) as ArrayRef]).unwrap();
        }
        assert_eq!(one.evaluate().unwrap(), ScalarValue::Int64(Some(want as i64)));
        // Past i64::MAX: an error, not a wrapped negative total.
        let mut big = CheckedSum { sum: None };
        let err = big.update_batch(&[Arc::new(Int64Array::from(vec![i64::MAX, 1])) as ArrayRef]).unwrap_err();
        assert!(err.to_string().contains("NUMERIC_VALUE_OUT_OF_RANGE"), "{err}");
        // Cancelling within a batch is fine (Trino's running total would be too: MAX - 1 + 1).
        let mut ok = CheckedSum { sum: None };
        ok.update_batch(&[Arc::new(Int64Array::from(vec![i64::MAX, -1, 1])) as ArrayRef]).unwrap();
        assert_eq!(ok.evaluate().unwrap(), ScalarValue::Int64(Some(i64::MAX)));
        // Partial sums merged: the overflow is found in the final aggregation too.
        let mut merged = CheckedSum { sum: None };
        merged.merge_batch(&[Arc::new(Int64Array::from(vec![Some(i64::MAX - 5), None])) as ArrayRef]).unwrap();
        assert!(merged.merge_batch(&[Arc::new(Int64Array::from(vec![6])) as ArrayRef]).is_err());
    }

    #[test]
    fn grouped_checked_sums_skip_nulls_and_filtered_rows() {
        let values = Int64Array::from(vec![Some(5), None, Some(7), Some(i64::MAX), Some(1)]);
        let filter = BooleanArray::from(vec![true, true, true, true, false]);
        let mut sums = CheckedSums { sums: Vec::new(), seen: Vec::new() };
        let groups = [0, 1, 0, 2, 2];
        sums.update_batch(&[Arc::new(values.clone()) as ArrayRef], &groups, Some(&filter), 4).unwrap();
        let out = sums.evaluate(EmitTo::All).unwrap();
        let out = out.as_primitive::<Int64Type>();
        // Group 1 saw only a NULL and group 3 nothing: both NULL, as SQL's sum.
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some(12), None, Some(i64::MAX), None]);
        // The filtered-out 1 would have overflowed group 2; unfiltered it does.
        let mut again = CheckedSums { sums: Vec::new(), seen: Vec::new() };
        assert!(again.update_batch(&[Arc::new(values.clone()) as ArrayRef], &groups, None, 3).is_err());
        let state = sums.convert_to_state(&[Arc::new(values) as ArrayRef], Some(&filter)).unwrap();
        let state = state[0].as_primitive::<Int64Type>();
        assert_eq!(state.iter().collect::<Vec<_>>(), vec![Some(5), None, Some(7), Some(i64::MAX), None]);
    }
}
