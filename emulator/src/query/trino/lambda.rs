//! Trino's lambda functions: `transform`, `filter`, `reduce`, `any_match`, `all_match`,
//! `none_match`, `zip_with`, `map_filter`, `transform_keys`, `transform_values` and
//! `array_sort` with a comparator. DataFusion has no lambdas, so the AST rewrite turns
//! `transform(a, x -> x + n)` into `__lakebox_hof('{spec}', a, n)`: the spec (JSON) names the
//! function, the lambdas' parameters and bodies (with outer columns renamed `__c0`, `__c1`, ...),
//! and the outer columns follow the data arguments. The body is planned against a schema of the
//! parameters and outer columns, and evaluated over all elements of a batch at once.
//! <https://trino.io/docs/current/functions/lambda.html>

use super::udf::{Args, Udf, invalid};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, ListArray, MapArray, RecordBatch, StructArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::{ScalarUDF, Signature, Volatility};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Lambda {
    pub params: Vec<String>,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Spec {
    pub function: String,
    /// How many data arguments come before the outer columns.
    pub data: usize,
    pub lambdas: Vec<Lambda>,
    pub captures: usize,
}

/// The session lambda bodies are planned in: DataFusion's functions and Lakebox's.
static SESSION: LazyLock<SessionContext> = LazyLock::new(|| {
    let ctx = SessionContext::new();
    let _ = crate::query::functions::register(&ctx);
    ctx
});

fn spec_of(scalars: &[Option<&ScalarValue>]) -> Result<Spec> {
    let text = scalars.first().and_then(|s| s.and_then(super::values::text)).ok_or_else(|| invalid("lambda spec"))?;
    serde_json::from_str(text).map_err(|e| invalid(format!("lambda spec: {e}")))
}

fn spec_from_array(a: &Args<'_>) -> Result<Spec> {
    let v = ScalarValue::try_from_array(a.get(0), 0)?;
    spec_of(&[Some(&v)])
}

/// A lambda planned against its parameters' and the outer columns' fields.
struct Planned {
    expr: Arc<dyn datafusion::physical_plan::PhysicalExpr>,
    schema: Arc<Schema>,
    result: DataType,
}

/// Planned bodies by their text and the fields they read: a lambda is planned once per query
/// shape, not once per batch.
static PLANS: LazyLock<std::sync::Mutex<std::collections::HashMap<String, Arc<Planned>>>> =
    LazyLock::new(Default::default);

fn plan(lambda: &Lambda, params: &[DataType], captures: &[FieldRef]) -> Result<Arc<Planned>> {
    let key = format!("{lambda:?}|{params:?}|{:?}", captures.iter().map(|f| f.data_type()).collect::<Vec<_>>());
    if let Some(p) = PLANS.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(p.clone());
    }
    let planned = Arc::new(plan_uncached(lambda, params, captures)?);
    let mut plans = PLANS.lock().unwrap_or_else(|e| e.into_inner());
    if plans.len() > 1024 {
        plans.clear();
    }
    plans.insert(key, planned.clone());
    Ok(planned)
}

fn plan_uncached(lambda: &Lambda, params: &[DataType], captures: &[FieldRef]) -> Result<Planned> {
    if lambda.params.len() != params.len() {
        return Err(invalid(format!("lambda takes {} arguments, {} given", params.len(), lambda.params.len())));
    }
    let mut fields: Vec<Field> =
        lambda.params.iter().zip(params).map(|(n, t)| Field::new(n.to_lowercase(), t.clone(), true)).collect();
    fields.extend(captures.iter().enumerate().map(|(i, f)| Field::new(format!("__c{i}"), f.data_type().clone(), true)));
    let schema = Arc::new(Schema::new(fields));
    let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
    let sql = format!("SELECT {}", lambda.body);
    let statement =
        crate::query::statement::parse_query(&sql).map_err(|e| invalid(format!("lambda body: {}", e.message)))?;
    let datafusion::sql::parser::Statement::Statement(s) = statement else { return Err(invalid("lambda body")) };
    let datafusion::sql::sqlparser::ast::Statement::Query(q) = *s else { return Err(invalid("lambda body")) };
    let datafusion::sql::sqlparser::ast::SetExpr::Select(select) = *q.body else { return Err(invalid("lambda body")) };
    let item = select.projection.into_iter().next().ok_or_else(|| invalid("lambda body"))?;
    let sql_expr = match item {
        datafusion::sql::sqlparser::ast::SelectItem::UnnamedExpr(e) => e,
        datafusion::sql::sqlparser::ast::SelectItem::ExprWithAlias { expr, .. } => expr,
        _ => return Err(invalid("lambda body")),
    };
    let state = SESSION.state();
    let expr = state.create_logical_expr_from_sql_expr(
        datafusion::sql::sqlparser::ast::ExprWithAlias { expr: sql_expr, alias: None },
        &df_schema,
    )?;
    let expr = super::analyzer::narrow_literals(expr)?;
    let physical = state.create_physical_expr(expr, &df_schema)?;
    let result = physical.data_type(&schema)?;
    Ok(Planned { expr: physical, schema, result })
}

impl Planned {
    /// Evaluates over parameter columns and outer columns of equal length.
    fn eval(&self, params: Vec<ArrayRef>, captures: Vec<ArrayRef>) -> Result<ArrayRef> {
        let n = params.first().map_or(0, |p| p.len());
        let mut columns = params;
        columns.extend(captures);
        let columns: Vec<ArrayRef> = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| {
                if c.data_type() == f.data_type() {
                    Ok(c)
                } else {
                    Ok(datafusion::arrow::compute::cast(&c, f.data_type())?)
                }
            })
            .collect::<Result<_>>()?;
        let batch = RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(n)),
        )?;
        self.expr.evaluate(&batch)?.into_array(n)
    }
}

fn list_parts(a: &ArrayRef) -> Result<(OffsetBuffer<i32>, ArrayRef, Option<NullBuffer>, FieldRef)> {
    match a.data_type() {
        DataType::List(f) => {
            let l = a.as_list::<i32>();
            Ok((l.offsets().clone(), l.values().clone(), l.nulls().cloned(), f.clone()))
        }
        DataType::Null => {
            let f = Arc::new(Field::new("item", DataType::Null, true));
            Ok((
                OffsetBuffer::from_lengths(vec![0; a.len()]),
                datafusion::arrow::array::new_empty_array(&DataType::Null),
                Some(NullBuffer::new_null(a.len())),
                f,
            ))
        }
        other => Err(invalid(format!("expected an array, got {other}"))),
    }
}

fn map_parts(a: &ArrayRef) -> Result<(OffsetBuffer<i32>, ArrayRef, ArrayRef, Option<NullBuffer>)> {
    let m = a.as_any().downcast_ref::<MapArray>().ok_or_else(|| invalid("expected a map"))?;
    Ok((m.offsets().clone(), m.keys().clone(), m.values().clone(), m.nulls().cloned()))
}

/// For each element, the row it belongs to.
fn owners(offsets: &OffsetBuffer<i32>) -> UInt32Array {
    let mut out = Vec::with_capacity(offsets.last().copied().unwrap_or(0) as usize);
    for (row, w) in offsets.windows(2).enumerate() {
        out.extend(std::iter::repeat_n(row as u32, (w[1] - w[0]) as usize));
    }
    UInt32Array::from(out)
}

fn spread(captures: &[ArrayRef], owners: &UInt32Array) -> Result<Vec<ArrayRef>> {
    captures.iter().map(|c| Ok(take(c.as_ref(), owners, None)?)).collect()
}

fn element_type(t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(f) | DataType::LargeList(f) => Ok(f.data_type().clone()),
        DataType::Null => Ok(DataType::Null),
        other => Err(invalid(format!("expected an array, got {other}"))),
    }
}

fn map_types(t: &DataType) -> Result<(DataType, DataType)> {
    match t {
        DataType::Null => Err(invalid("expected a map, got Null")),
        other => super::maps::map_types(other),
    }
}

/// The result type of a lambda function.
fn result_type(spec: &Spec, data: &[FieldRef], captures: &[FieldRef]) -> Result<DataType> {
    let lambda = |i: usize| spec.lambdas.get(i).ok_or_else(|| invalid(format!("{} needs a lambda", spec.function)));
    Ok(match spec.function.as_str() {
        "transform" => {
            super::values::list_of(plan(lambda(0)?, &[element_type(data[0].data_type())?], captures)?.result.clone())
        }
        "filter" | "array_sort" => data[0].data_type().clone(),
        "any_match" | "all_match" | "none_match" => DataType::Boolean,
        "zip_with" => super::values::list_of(
            plan(lambda(0)?, &[element_type(data[0].data_type())?, element_type(data[1].data_type())?], captures)?
                .result
                .clone(),
        ),
        "map_filter" => data[0].data_type().clone(),
        "transform_values" | "transform_keys" => {
            let (k, v) = map_types(data[0].data_type())?;
            let t = plan(lambda(0)?, &[k.clone(), v.clone()], captures)?.result.clone();
            if spec.function == "transform_values" {
                crate::query::types::map_type(k, t)
            } else {
                crate::query::types::map_type(t, v)
            }
        }
        "reduce" => {
            let state = state_type(spec, data, captures)?;
            plan(lambda(1)?, &[state], captures)?.result.clone()
        }
        other => return Err(invalid(format!("{other} does not take a lambda"))),
    })
}

/// `reduce`'s state type: what the combining lambda gives for the initial value's type.
fn state_type(spec: &Spec, data: &[FieldRef], captures: &[FieldRef]) -> Result<DataType> {
    let x = element_type(data[0].data_type())?;
    let init = data[1].data_type().clone();
    let step = plan(&spec.lambdas[0], &[init.clone(), x.clone()], captures)?.result.clone();
    if step == init || init == DataType::Null {
        Ok(step)
    } else {
        Ok(plan(&spec.lambdas[0], &[step.clone(), x], captures)?.result.clone())
    }
}

fn hof(a: &Args<'_>) -> Result<ArrayRef> {
    let spec = spec_from_array(a)?;
    let data: Vec<ArrayRef> = a.arrays[1..1 + spec.data].to_vec();
    let data_fields: Vec<FieldRef> = a.fields[1..1 + spec.data].to_vec();
    let captures: Vec<ArrayRef> = a.arrays[1 + spec.data..].to_vec();
    let capture_fields: Vec<FieldRef> = a.fields[1 + spec.data..].to_vec();
    let target = a.result.data_type().clone();
    match spec.function.as_str() {
        "transform" | "filter" | "any_match" | "all_match" | "none_match" => {
            let (offsets, values, nulls, item) = list_parts(&data[0])?;
            let planned = plan(&spec.lambdas[0], &[item.data_type().clone()], &capture_fields)?;
            let owners = owners(&offsets);
            let out = planned.eval(vec![values.clone()], spread(&captures, &owners)?)?;
            match spec.function.as_str() {
                "transform" => {
                    let DataType::List(f) = &target else { unreachable!("typed as a list") };
                    Ok(Arc::new(ListArray::try_new(f.clone(), offsets, out, nulls)?))
                }
                "filter" => {
                    let keep = out.as_boolean();
                    let mut lengths = Vec::with_capacity(a.rows);
                    for w in offsets.windows(2) {
                        lengths.push(
                            (w[0]..w[1]).filter(|i| keep.is_valid(*i as usize) && keep.value(*i as usize)).count(),
                        );
                    }
                    let kept = datafusion::arrow::compute::filter(
                        &values,
                        &BooleanArray::from(
                            (0..keep.len()).map(|i| keep.is_valid(i) && keep.value(i)).collect::<Vec<_>>(),
                        ),
                    )?;
                    Ok(Arc::new(ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), kept, nulls)?))
                }
                which => {
                    let tests = out.as_boolean();
                    let mut result = Vec::with_capacity(a.rows);
                    for (row, w) in offsets.windows(2).enumerate() {
                        if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                            result.push(None);
                            continue;
                        }
                        let vals: Vec<Option<bool>> =
                            (w[0]..w[1]).map(|i| tests.is_valid(i as usize).then(|| tests.value(i as usize))).collect();
                        let (any_true, any_false, any_null) =
                            (vals.contains(&Some(true)), vals.contains(&Some(false)), vals.contains(&None));
                        result.push(match which {
                            "any_match" => {
                                if any_true {
                                    Some(true)
                                } else if any_null {
                                    None
                                } else {
                                    Some(false)
                                }
                            }
                            "all_match" => {
                                if any_false {
                                    Some(false)
                                } else if any_null {
                                    None
                                } else {
                                    Some(true)
                                }
                            }
                            _ => {
                                if any_true {
                                    Some(false)
                                } else if any_null {
                                    None
                                } else {
                                    Some(true)
                                }
                            }
                        });
                    }
                    Ok(Arc::new(BooleanArray::from(result)))
                }
            }
        }
        "zip_with" => {
            let (ao, av, an, _) = list_parts(&data[0])?;
            let (bo, bv, bn, _) = list_parts(&data[1])?;
            let (mut ia, mut ib, mut own, mut lengths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for row in 0..a.rows {
                let (la, lb) = ((ao[row + 1] - ao[row]) as usize, (bo[row + 1] - bo[row]) as usize);
                let n = la.max(lb);
                for i in 0..n {
                    ia.push((i < la).then(|| (ao[row] as usize + i) as u32));
                    ib.push((i < lb).then(|| (bo[row] as usize + i) as u32));
                    own.push(row as u32);
                }
                lengths.push(n);
            }
            let x = take(av.as_ref(), &UInt32Array::from(ia), None)?;
            let y = take(bv.as_ref(), &UInt32Array::from(ib), None)?;
            let planned = plan(&spec.lambdas[0], &[x.data_type().clone(), y.data_type().clone()], &capture_fields)?;
            let out = planned.eval(vec![x, y], spread(&captures, &UInt32Array::from(own))?)?;
            let nulls = NullBuffer::union(an.as_ref(), bn.as_ref());
            let DataType::List(f) = &target else { unreachable!("typed as a list") };
            Ok(Arc::new(ListArray::try_new(f.clone(), OffsetBuffer::from_lengths(lengths), out, nulls)?))
        }
        "map_filter" | "transform_values" | "transform_keys" => {
            let (offsets, keys, values, nulls) = map_parts(&data[0])?;
            let planned =
                plan(&spec.lambdas[0], &[keys.data_type().clone(), values.data_type().clone()], &capture_fields)?;
            let owners = owners(&offsets);
            let out = planned.eval(vec![keys.clone(), values.clone()], spread(&captures, &owners)?)?;
            let DataType::Map(entries, sorted) = &target else { unreachable!("typed as a map") };
            let DataType::Struct(fields) = entries.data_type() else { unreachable!("map entries") };
            let (offsets, keys, values) = match spec.function.as_str() {
                "map_filter" => {
                    let keep = out.as_boolean();
                    let mask = BooleanArray::from(
                        (0..keep.len()).map(|i| keep.is_valid(i) && keep.value(i)).collect::<Vec<_>>(),
                    );
                    let lengths: Vec<usize> =
                        offsets.windows(2).map(|w| (w[0]..w[1]).filter(|i| mask.value(*i as usize)).count()).collect();
                    let k = datafusion::arrow::compute::filter(&keys, &mask)?;
                    let v = datafusion::arrow::compute::filter(&values, &mask)?;
                    (OffsetBuffer::from_lengths(lengths), k, v)
                }
                "transform_values" => (offsets, keys, out),
                _ => {
                    if out.null_count() > 0 {
                        return Err(invalid("map key cannot be null"));
                    }
                    (offsets, out, values)
                }
            };
            let keys = datafusion::arrow::compute::cast(&keys, fields[0].data_type())?;
            let values = datafusion::arrow::compute::cast(&values, fields[1].data_type())?;
            let structs = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
            Ok(Arc::new(MapArray::try_new(entries.clone(), offsets, structs, nulls, *sorted)?))
        }
        "reduce" => {
            let (offsets, values, list_nulls, _) = list_parts(&data[0])?;
            let state_t = state_type(&spec, &data_fields, &capture_fields)?;
            let step = plan(&spec.lambdas[0], &[state_t.clone(), values.data_type().clone()], &capture_fields)?;
            let mut state = datafusion::arrow::compute::cast(&data[1], &state_t)?;
            let longest = offsets.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
            for i in 0..longest {
                // The rows that still have an element i.
                let rows: Vec<u32> =
                    (0..a.rows).filter(|r| offsets[r + 1] - offsets[*r] > i).map(|r| r as u32).collect();
                let rows = UInt32Array::from(rows);
                let elements = UInt32Array::from(
                    rows.values().iter().map(|r| (offsets[*r as usize] + i) as u32).collect::<Vec<_>>(),
                );
                let s = take(state.as_ref(), &rows, None)?;
                let x = take(values.as_ref(), &elements, None)?;
                let caps: Vec<ArrayRef> =
                    captures.iter().map(|c| Ok(take(c.as_ref(), &rows, None)?)).collect::<Result<_>>()?;
                let next = datafusion::arrow::compute::cast(&step.eval(vec![s, x], caps)?, &state_t)?;
                // Scatter the new states back.
                let mut picks: Vec<(usize, usize)> = (0..a.rows).map(|r| (0, r)).collect();
                for (j, r) in rows.values().iter().enumerate() {
                    picks[*r as usize] = (1, j);
                }
                state = datafusion::arrow::compute::interleave(&[state.as_ref(), next.as_ref()], &picks)?;
            }
            let finish = plan(&spec.lambdas[1], &[state_t], &capture_fields)?;
            let out = finish.eval(vec![state], captures)?;
            match list_nulls {
                Some(n) if n.null_count() > 0 => {
                    let keep = BooleanArray::from((0..a.rows).map(|r| n.is_valid(r)).collect::<Vec<_>>());
                    Ok(datafusion::arrow::compute::nullif(&out, &datafusion::arrow::compute::not(&keep)?)?)
                }
                _ => Ok(out),
            }
        }
        "array_sort" => {
            let (offsets, values, nulls, item) = list_parts(&data[0])?;
            let planned =
                plan(&spec.lambdas[0], &[item.data_type().clone(), item.data_type().clone()], &capture_fields)?;
            let mut order: Vec<u32> = Vec::with_capacity(values.len());
            for (row, w) in offsets.windows(2).enumerate() {
                let mut idx: Vec<u32> = (w[0] as u32..w[1] as u32).collect();
                let caps: Vec<ArrayRef> = captures.iter().map(|c| c.slice(row, 1)).collect();
                let mut failure = None;
                idx.sort_by(|x, y| {
                    let compare = || -> Result<i64> {
                        let out = planned
                            .eval(vec![values.slice(*x as usize, 1), values.slice(*y as usize, 1)], caps.clone())?;
                        super::values::int(&ScalarValue::try_from_array(&out, 0)?)
                            .ok_or_else(|| invalid("Lambda comparator must return either -1, 0, or 1"))
                    };
                    match compare() {
                        Ok(c) => c.cmp(&0),
                        Err(e) => {
                            failure.get_or_insert(e);
                            std::cmp::Ordering::Equal
                        }
                    }
                });
                if let Some(e) = failure {
                    return Err(e);
                }
                order.extend(idx);
            }
            let sorted = take(values.as_ref(), &UInt32Array::from(order), None)?;
            Ok(Arc::new(ListArray::try_new(item, offsets, sorted, nulls)?))
        }
        other => Err(invalid(format!("{other} does not take a lambda"))),
    }
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::with_fields(
            "__lakebox_hof",
            Signature::variadic_any(Volatility::Immutable),
            |fields, scalars| {
                let spec = spec_of(scalars)?;
                let data = &fields[1..1 + spec.data];
                let captures = &fields[1 + spec.data..];
                Ok(Field::new("r", result_type(&spec, data, captures)?, true))
            },
            hof,
        )
        .udf(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    // https://trino.io/docs/current/functions/lambda.html: `x -> x + 1` over integers is an
    // integer; outer columns arrive as __c0, __c1, ...
    #[test]
    fn bodies_are_typed_and_evaluated_over_elements() {
        let lambda = Lambda { params: vec!["x".into()], body: "x * 2 + __c0".into() };
        let outer: FieldRef = Arc::new(Field::new("n", DataType::Int32, true));
        let planned = plan(&lambda, &[DataType::Int32], &[outer]).unwrap();
        assert_eq!(planned.result, DataType::Int32);
        let x: ArrayRef = Arc::new(datafusion::arrow::array::Int32Array::from(vec![1, 2, 3]));
        let n: ArrayRef = Arc::new(datafusion::arrow::array::Int32Array::from(vec![10, 10, 20]));
        let out = planned.eval(vec![x], vec![n]).unwrap();
        assert_eq!(out.as_primitive::<datafusion::arrow::datatypes::Int32Type>().values().to_vec(), vec![12, 14, 26]);
        assert!(plan(&lambda, &[DataType::Int32, DataType::Int32], &[]).is_err(), "arity is checked");
        let offsets = OffsetBuffer::from_lengths([2, 0, 1]);
        assert_eq!(owners(&offsets).values().to_vec(), vec![0, 0, 2]);
    }
}
