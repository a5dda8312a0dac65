//! `__lakebox_cast(x, 'type', try)`: casts to the Trino types DataFusion's SQL cannot name
//! (`ARRAY(...)`, `MAP(...)`, `ROW(...)`, `JSON`, `varchar(n)`), written by [`super::tokens`].
//! JSON text is decoded into nested types by arrow's JSON reader; values become JSON as Trino
//! casts them (rows as arrays).

use super::json::to_json;
use super::types::{TrinoType, is_json, parse};
use super::udf::{Args, Udf, arity};
use super::values::{rowwise, text, utf8};
use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::sync::Arc;

fn target(scalars: &[Option<&ScalarValue>]) -> Result<TrinoType> {
    let name = scalars
        .get(1)
        .and_then(|s| s.and_then(text))
        .ok_or_else(|| datafusion::error::DataFusionError::Plan("__lakebox_cast takes a constant type name".into()))?;
    parse(name).map_err(|e| {
        datafusion::error::DataFusionError::Plan(format!("TYPE_MISMATCH: line 1:1: Unknown type: {name} ({e})"))
    })
}

fn cast_failure(e: impl std::fmt::Display) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!("INVALID_CAST_ARGUMENT: {e}"))
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::with_fields(
            "__lakebox_cast",
            arity(&[3]),
            |_, scalars| Ok(target(scalars)?.field("r")),
            |a| {
                let ty = parse(text(&ScalarValue::try_from_array(a.get(1), 0)?).unwrap_or_default())
                    .map_err(cast_failure)?;
                let safe = matches!(ScalarValue::try_from_array(a.get(2), 0)?, ScalarValue::Boolean(Some(true)));
                cast(a, &ty, safe)
            },
        )
        .udf(),
        ScalarUDF::new_from_impl(Typed { signature: Signature::any(2, Volatility::Immutable) }),
    ]
}

/// `__lakebox_typed(CAST(x AS t), 't')` is `CAST(x AS t)` under a name that says `t`.
/// DataFusion names a cast by its operand alone, so `sum(x)` and `sum(CAST(x AS double))` in one
/// query both name their aggregate `sum(x)` and the plan is refused ("duplicate unqualified field
/// name"); Trino runs it. The AST pass (`rewrite::cast_names`) wraps the casts of such colliding
/// calls; the optimizer's simplifier removes the wrapper, so it never runs.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Typed {
    signature: Signature,
}

impl ScalarUDFImpl for Typed {
    fn name(&self) -> &str {
        "__lakebox_typed"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.first().cloned().unwrap_or(DataType::Null))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.arg_fields.first() {
            Some(f) => Ok(f.clone()),
            None => datafusion::common::internal_err!("__lakebox_typed takes two arguments"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(v) => Ok(v),
            None => datafusion::common::internal_err!("__lakebox_typed takes two arguments"),
        }
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        match args.into_iter().next() {
            Some(e) => Ok(ExprSimplifyResult::Simplified(e)),
            None => datafusion::common::internal_err!("__lakebox_typed takes two arguments"),
        }
    }
}

fn cast(a: &Args<'_>, ty: &TrinoType, safe: bool) -> Result<ArrayRef> {
    let input = a.get(0);
    let from_json = is_json(&a.fields[0]);
    match ty {
        TrinoType::Json => rowwise(a, |r| {
            if r[0].is_null() {
                return Ok(utf8(None));
            }
            Ok(utf8(Some(to_json(&r[0], from_json)?.to_string())))
        }),
        TrinoType::Varchar(limit) => {
            let strings = if from_json {
                rowwise(a, |r| {
                    Ok(utf8(
                        text(&r[0])
                            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                            .and_then(|v| super::json::scalar_text(&v)),
                    ))
                })?
            } else {
                cast_with_options(input, &DataType::Utf8, &CastOptions { safe, ..Default::default() })
                    .map_err(cast_failure)?
            };
            let Some(n) = limit else { return Ok(strings) };
            let s = strings.as_any().downcast_ref::<StringArray>().ok_or_else(|| cast_failure("not text"))?;
            Ok(Arc::new(s.iter().map(|v| v.map(|v| v.chars().take(*n).collect::<String>())).collect::<StringArray>()))
        }
        other
            if (from_json || matches!(input.data_type(), DataType::Utf8)) && !matches!(other, TrinoType::Plain(_)) =>
        {
            decode_json(input, other, safe)
        }
        other => {
            cast_with_options(input, &other.arrow(), &CastOptions { safe, ..Default::default() }).map_err(cast_failure)
        }
    }
}

/// A JSON value shaped for arrow's reader as Trino casts JSON: `json` elements stay JSON (their
/// text), numbers and booleans cast to `varchar` are their text, and a JSON array cast to a row
/// fills its fields by position (an object by name, any case).
fn conform(v: serde_json::Value, ty: &TrinoType) -> serde_json::Value {
    use serde_json::Value;
    match (ty, v) {
        (_, Value::Null) => Value::Null,
        (TrinoType::Json, v) => Value::String(v.to_string()),
        (TrinoType::Varchar(_), v @ (Value::Number(_) | Value::Bool(_))) => Value::String(v.to_string()),
        (TrinoType::Array(e), Value::Array(items)) => Value::Array(items.into_iter().map(|i| conform(i, e)).collect()),
        (TrinoType::Map(_, value), Value::Object(m)) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, conform(v, value))).collect())
        }
        (TrinoType::Row(fields), Value::Array(items)) => {
            Value::Object(fields.iter().zip(items).map(|((name, t), v)| (name.clone(), conform(v, t))).collect())
        }
        (TrinoType::Row(fields), Value::Object(m)) => {
            let mut m: Vec<(String, Value)> = m.into_iter().collect();
            Value::Object(
                fields
                    .iter()
                    .map(|(name, t)| {
                        let v = m
                            .iter()
                            .position(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map_or(Value::Null, |i| m.swap_remove(i).1);
                        (name.clone(), conform(v, t))
                    })
                    .collect(),
            )
        }
        (_, v) => v,
    }
}

/// JSON text rows decoded into `to` by arrow's JSON reader (one `{"v": ...}` line per row).
fn decode_json(input: &ArrayRef, ty: &TrinoType, safe: bool) -> Result<ArrayRef> {
    let to = &ty.arrow();
    let strings = input.as_any().downcast_ref::<StringArray>().ok_or_else(|| cast_failure("not text"))?;
    let schema = Arc::new(Schema::new(vec![Field::new("v", to.clone(), true)]));
    let mut out: Vec<ArrayRef> = Vec::with_capacity(strings.len());
    for v in strings.iter() {
        let line = match v.map(|s| serde_json::from_str::<serde_json::Value>(s).map(|j| conform(j, ty))) {
            None => "{\"v\": null}".to_string(),
            Some(Ok(j)) => serde_json::json!({ "v": j }).to_string(),
            // Not JSON: arrow's reader gives the error (or NULL for TRY_CAST).
            Some(Err(_)) => format!("{{\"v\": {}}}", v.unwrap_or_default()),
        };
        let mut decoder =
            datafusion::arrow::json::ReaderBuilder::new(schema.clone()).build_decoder().map_err(cast_failure)?;
        let decoded = decoder.decode(line.as_bytes()).and_then(|_| decoder.flush());
        match decoded {
            Ok(Some(batch)) if batch.num_rows() == 1 => out.push(batch.column(0).clone()),
            Ok(_) | Err(_) if safe => out.push(datafusion::arrow::array::new_null_array(to, 1)),
            Ok(_) => return Err(cast_failure(format!("Cannot cast to {to}: {}", v.unwrap_or("")))),
            Err(e) => return Err(cast_failure(format!("Cannot cast to {to}: {e}"))),
        }
    }
    if out.is_empty() {
        return Ok(datafusion::arrow::array::new_empty_array(to));
    }
    let refs: Vec<&dyn Array> = out.iter().map(|a| a.as_ref()).collect();
    Ok(datafusion::arrow::compute::concat(&refs)?)
}
