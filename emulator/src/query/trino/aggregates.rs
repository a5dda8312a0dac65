//! Trino's result types for `sum` and `avg` of decimals: `sum(decimal(p, s))` is
//! `decimal(38, s)` and `avg(decimal(p, s))` is `decimal(p, s)` (rounded half up), where
//! DataFusion gives `decimal(p + 10, s)` and `decimal(p + 4, s + 4)`. The functions are
//! DataFusion's, with the result cast when the group is emitted; other types are unchanged.
//! <https://trino.io/docs/current/functions/aggregate.html#avg>

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::compute::cast;
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
        inner_args(self, &args).is_ok_and(|(inner, _)| self.inner.inner().groups_accumulator_supported(inner))
    }
    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
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
