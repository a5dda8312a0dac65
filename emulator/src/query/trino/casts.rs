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

/// `__lakebox_double_decimal(x, p, s, safe)`: what the analyzer puts in place of `CAST(x AS
/// decimal(p, s))` (`TRY_CAST` when `safe`) for a double or real `x`. Trino's
/// `DecimalConversions` round the *shortest* decimal that reads back as the double (Java's
/// `BigDecimal.valueOf`, the text `Double.toString` prints) half up, so `CAST(1.005E0 AS
/// decimal(10, 2))` is 1.01; arrow multiplies by 10^s first and rounds the binary product
/// (100.49999999999999: 1.00). NaN, the infinities and values over `p` digits are
/// `INVALID_CAST_ARGUMENT: Cannot cast DOUBLE '1.0E10' to DECIMAL(4, 2)`.
pub fn double_decimal_udf() -> ScalarUDF {
    fn target(scalars: &[Option<&ScalarValue>]) -> (u8, i8) {
        // Integer literals may have been narrowed to `Int32` by the time the call is typed again.
        let int = |i: usize| scalars.get(i).copied().flatten().and_then(super::values::int);
        (int(1).unwrap_or(38).clamp(1, 38) as u8, int(2).unwrap_or(0).clamp(0, 38) as i8)
    }
    Udf::with_fields(
        "__lakebox_double_decimal",
        arity(&[4]),
        |_, scalars| {
            let (p, s) = target(scalars);
            Ok(Field::new("r", DataType::Decimal128(p, s), true))
        },
        |a| {
            use datafusion::arrow::array::AsArray;
            use datafusion::arrow::datatypes::{Decimal128Type, Float32Type, Float64Type};
            let DataType::Decimal128(p, s) = *a.result.data_type() else { unreachable!("typed as a decimal") };
            let safe = matches!(a.constants.get(3), Some(Some(ScalarValue::Boolean(Some(true)))));
            let x = a.get(0);
            let real = matches!(x.data_type(), DataType::Float32);
            let target = DecimalTarget::new(p, s);
            let failure = |v: f64| {
                let (name, text) = if real {
                    ("REAL", crate::query::results::java_float(v as f32))
                } else {
                    ("DOUBLE", crate::query::results::java_double(v))
                };
                format!("Cannot cast {name} '{text}' to DECIMAL({p}, {s})")
            };
            let out = match (real, safe) {
                (true, true) => x
                    .as_primitive::<Float32Type>()
                    .unary_opt::<_, Decimal128Type>(|v| target.unscaled(f64::from(v), true)),
                (true, false) => x
                    .as_primitive::<Float32Type>()
                    .try_unary::<_, Decimal128Type, _>(|v| {
                        target.unscaled(f64::from(v), true).ok_or_else(|| failure(f64::from(v)))
                    })
                    .map_err(cast_failure)?,
                (false, safe) => {
                    let x = datafusion::arrow::compute::cast(x, &DataType::Float64)?;
                    let x = x.as_primitive::<Float64Type>();
                    if safe {
                        x.unary_opt::<_, Decimal128Type>(|v| target.unscaled(v, false))
                    } else {
                        x.try_unary::<_, Decimal128Type, _>(|v| target.unscaled(v, false).ok_or_else(|| failure(v)))
                            .map_err(cast_failure)?
                    }
                }
            };
            Ok(Arc::new(out.with_precision_and_scale(p, s)?))
        },
    )
    .udf()
}

/// A `decimal(p, s)` target: `10^s` and `10^p` computed once for a column.
struct DecimalTarget {
    p: u8,
    s: i8,
    factor: f64,
    limit: i128,
}

impl DecimalTarget {
    fn new(p: u8, s: i8) -> Self {
        Self { p, s, factor: 10f64.powi(i32::from(s)), limit: 10i128.pow(u32::from(p)) }
    }

    /// `v` at scale `s` as Trino casts it (see [`double_decimal_udf`]), or `None` if it is not
    /// finite or needs more than `p` digits. `real` reads `v` as the float it was.
    #[inline(always)]
    fn unscaled(&self, v: f64, real: bool) -> Option<i128> {
        // The product's rounding error (two ulps, under 1e-6 below 1e9) cannot move it across a
        // rounding boundary unless it lies within 1e-6 of one: then the exact digits decide. A
        // real's shortest digits are too far from its binary value for this: always exact.
        let y = v * self.factor;
        if !real && y.abs() < 1e9 && ((y - y.floor()) - 0.5).abs() > 1e-6 {
            // Through i64 (one instruction; `as i128` is a library call): |y| < 1e9 here.
            let u = i128::from(y.round() as i64);
            return (u.abs() < self.limit).then_some(u);
        }
        self.exact(v, real)
    }

    /// The shortest round-trip digits, `d.ddde±x` (Java's for the type read), rounded: the rare
    /// path, kept out of the loop above.
    #[cold]
    #[inline(never)]
    fn exact(&self, v: f64, real: bool) -> Option<i128> {
        if !v.is_finite() {
            return None;
        }
        let text = if real { format!("{:e}", v as f32) } else { format!("{v:e}") };
        let (mantissa, exponent) = text.split_once('e')?;
        let exponent: i32 = exponent.parse().ok()?;
        let negative = mantissa.starts_with('-');
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        // value = digits * 10^(exponent - (len - 1)).
        unscaled_half_up(negative, &digits, exponent - (digits.len() as i32 - 1), self.p, self.s)
    }
}

/// The unscaled value at scale `s` of `±digits * 10^exp10`, rounded half up (away from zero on
/// a tie, Java's HALF_UP), or `None` past `p` digits. `digits` are ASCII digits, at most 38.
pub(crate) fn unscaled_half_up(negative: bool, digits: &str, exp10: i32, p: u8, s: i8) -> Option<i128> {
    let digits_value: i128 = digits.parse().ok()?;
    let shift = exp10.checked_add(i32::from(s))?;
    let magnitude = if shift >= 0 {
        10i128.checked_pow(shift as u32).and_then(|m| digits_value.checked_mul(m))?
    } else if -shift > 38 {
        0
    } else {
        let d = 10i128.pow((-shift) as u32);
        let (q, r) = (digits_value / d, digits_value % d);
        if r * 2 >= d { q + 1 } else { q }
    };
    (magnitude < 10i128.pow(u32::from(p))).then_some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::DecimalTarget;

    fn double_to_unscaled(v: f64, p: u8, s: i8, real: bool) -> Option<i128> {
        DecimalTarget::new(p, s).unscaled(v, real)
    }

    // Expected values are Java's `BigDecimal.valueOf(v).setScale(s, HALF_UP)` (Trino's
    // DecimalConversions.internalDoubleToLongDecimal), worked by hand from the shortest digits.
    #[test]
    fn doubles_round_their_shortest_digits_half_up() {
        assert_eq!(double_to_unscaled(1.005, 10, 2, false), Some(101), "1.005 is 1.00499999999999989... in binary");
        assert_eq!(double_to_unscaled(2.675, 10, 2, false), Some(268));
        assert_eq!(double_to_unscaled(-1.005, 10, 2, false), Some(-101), "half up is away from zero");
        assert_eq!(double_to_unscaled(0.125, 10, 2, false), Some(13));
        assert_eq!(double_to_unscaled(-0.125, 10, 2, false), Some(-13));
        assert_eq!(double_to_unscaled(123.456, 10, 1, false), Some(1235));
        assert_eq!(double_to_unscaled(123.44, 10, 1, false), Some(1234));
        assert_eq!(double_to_unscaled(0.0, 10, 2, false), Some(0));
        assert_eq!(double_to_unscaled(1e20, 38, 2, false), Some(10i128.pow(22)));
        assert_eq!(double_to_unscaled(1234567890.125, 20, 2, false), Some(123456789013));
        assert_eq!(double_to_unscaled(1e-30, 10, 2, false), Some(0));
        assert_eq!(double_to_unscaled(0.005, 10, 2, false), Some(1));
    }

    #[test]
    fn reals_round_their_own_shortest_digits() {
        // 2.675f is 2.6749999523... as a double; Java's Float.toString prints 2.675.
        assert_eq!(double_to_unscaled(f64::from(2.675f32), 10, 2, true), Some(268));
        assert_eq!(double_to_unscaled(f64::from(0.1f32), 20, 10, true), Some(1_000_000_000));
    }

    #[test]
    fn what_does_not_fit_is_refused() {
        assert_eq!(double_to_unscaled(1e10, 4, 2, false), None);
        assert_eq!(double_to_unscaled(99.995, 4, 2, false), None, "rounds to 100.00: five digits");
        assert_eq!(double_to_unscaled(99.994, 4, 2, false), Some(9999));
        assert_eq!(double_to_unscaled(f64::NAN, 10, 2, false), None);
        assert_eq!(double_to_unscaled(f64::INFINITY, 10, 2, false), None);
        assert_eq!(double_to_unscaled(1e300, 38, 2, false), None);
    }
}
