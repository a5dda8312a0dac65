//! Trino's mathematical and bitwise functions that DataFusion lacks.
//! <https://trino.io/docs/current/functions/math.html>, <https://trino.io/docs/current/functions/bitwise.html>

use super::udf::{Udf, arity, invalid};
use super::values::{bigint, float, int, rowwise, strict, text, utf8};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;

/// A function of two integers; the result has the first argument's integer type (Trino's
/// bitwise functions are typed by their value), bigint otherwise.
fn int2(name: &str, f: fn(i64, i64) -> Result<i64>) -> ScalarUDF {
    let shift = name.contains("shift");
    Udf::new(
        name,
        arity(&[2]),
        move |t| Ok(if shift && t[0].is_integer() { t[0].clone() } else { DataType::Int64 }),
        move |a| {
            strict(a, |r| {
                let v = bigint(Some(f(int(&r[0]).unwrap_or(0), int(&r[1]).unwrap_or(0))?));
                if a.result.data_type() == &DataType::Int64 { Ok(v) } else { Ok(v.cast_to(a.result.data_type())?) }
            })
        },
    )
    .udf()
}

/// Trino's `greatest` and `least`: NULL when any argument is NULL, where DataFusion's skip NULLs
/// (as PostgreSQL's do). DataFusion's function, with the rows that had a NULL argument made NULL.
#[derive(Debug)]
struct NullIfAnyNull {
    inner: std::sync::Arc<ScalarUDF>,
}

impl PartialEq for NullIfAnyNull {
    fn eq(&self, other: &Self) -> bool {
        self.inner.name() == other.inner.name()
    }
}

impl Eq for NullIfAnyNull {}

impl std::hash::Hash for NullIfAnyNull {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.name().hash(state);
    }
}

impl datafusion::logical_expr::ScalarUDFImpl for NullIfAnyNull {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &datafusion::logical_expr::Signature {
        self.inner.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn invoke_with_args(
        &self,
        args: datafusion::logical_expr::ScalarFunctionArgs,
    ) -> Result<datafusion::logical_expr::ColumnarValue> {
        use datafusion::arrow::array::{Array, make_array};
        use datafusion::arrow::buffer::NullBuffer;
        use datafusion::logical_expr::ColumnarValue;
        if args.args.iter().any(|a| matches!(a, ColumnarValue::Scalar(s) if s.is_null())) {
            let null = datafusion::common::ScalarValue::try_from(args.return_field.data_type())?;
            return Ok(ColumnarValue::Scalar(null));
        }
        let nulls = args
            .args
            .iter()
            .filter_map(|a| match a {
                ColumnarValue::Array(a) => a.logical_nulls(),
                ColumnarValue::Scalar(_) => None,
            })
            .reduce(|a, b| NullBuffer::union(Some(&a), Some(&b)).unwrap_or(a));
        match (self.inner.invoke_with_args(args)?, nulls) {
            (ColumnarValue::Array(out), Some(nulls)) => {
                let nulls = NullBuffer::union(out.logical_nulls().as_ref(), Some(&nulls));
                Ok(ColumnarValue::Array(make_array(out.to_data().into_builder().nulls(nulls).build()?)))
            }
            (out, _) => Ok(out),
        }
    }
}

fn null_if_any_null(inner: std::sync::Arc<ScalarUDF>) -> ScalarUDF {
    ScalarUDF::new_from_impl(NullIfAnyNull { inner })
}

/// A function of one double giving a boolean.
fn float_test(name: &str, f: fn(f64) -> bool) -> ScalarUDF {
    Udf::new(
        name,
        arity(&[1]),
        |_| Ok(DataType::Boolean),
        move |a| rowwise(a, |r| Ok(datafusion::common::ScalarValue::Boolean(float(&r[0]).map(f)))),
    )
    .udf()
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        null_if_any_null(datafusion::functions::core::greatest()),
        null_if_any_null(datafusion::functions::core::least()),
        float_test("is_infinite", f64::is_infinite),
        float_test("is_finite", f64::is_finite),
        // sign keeps its argument's type (DataFusion's signum gives a double).
        Udf::new(
            "sign",
            arity(&[1]),
            |t| Ok(if t[0] == DataType::Null { DataType::Int32 } else { t[0].clone() }),
            |a| {
                use datafusion::common::ScalarValue;
                rowwise(a, |r| {
                    Ok(match &r[0] {
                        v if v.is_null() => ScalarValue::Null,
                        v if int(v).is_some() => {
                            ScalarValue::Int64(int(v).map(i64::signum)).cast_to(a.result.data_type())?
                        }
                        v => {
                            let x = float(v).unwrap_or(0.0);
                            let s = if x.is_nan() {
                                x
                            } else if x > 0.0 {
                                1.0
                            } else if x < 0.0 {
                                -1.0
                            } else {
                                0.0
                            };
                            ScalarValue::Float64(Some(s)).cast_to(a.result.data_type())?
                        }
                    })
                })
            },
        )
        .udf(),
        int2("bitwise_and", |a, b| Ok(a & b)),
        int2("bitwise_or", |a, b| Ok(a | b)),
        int2("bitwise_xor", |a, b| Ok(a ^ b)),
        int2("bitwise_left_shift", |a, s| Ok(if (0..64).contains(&s) { a << s } else { 0 })),
        int2("bitwise_right_shift", |a, s| Ok(if (0..64).contains(&s) { ((a as u64) >> s) as i64 } else { 0 })),
        int2("bitwise_right_shift_arithmetic", |a, s| Ok(if (0..64).contains(&s) { a >> s } else { a >> 63 })),
        int2("bit_count", |a, bits| {
            if !(2..=64).contains(&bits) {
                return Err(invalid(
                    "Bits specified in bit_count must be between 2 and 64, got ".to_string() + &bits.to_string(),
                ));
            }
            let low = if bits == 64 { a } else { a & ((1i64 << bits) - 1) };
            Ok(i64::from(low.count_ones()))
        }),
        Udf::new(
            "bitwise_not",
            arity(&[1]),
            |_| Ok(DataType::Int64),
            |a| rowwise(a, |r| Ok(bigint(int(&r[0]).map(|v| !v)))),
        )
        .udf(),
        Udf::new(
            "from_base",
            arity(&[2]),
            |_| Ok(DataType::Int64),
            |a| {
                strict(a, |r| {
                    let (s, radix) = (text(&r[0]).unwrap_or(""), int(&r[1]).unwrap_or(10));
                    if !(2..=36).contains(&radix) {
                        return Err(invalid("Radix must be between 2 and 36"));
                    }
                    i64::from_str_radix(s, radix as u32)
                        .map(|v| bigint(Some(v)))
                        .map_err(|_| invalid(format!("Not a valid base-{radix} number: {s}")))
                })
            },
        )
        .udf(),
        Udf::new(
            "to_base",
            arity(&[2]),
            |_| Ok(DataType::Utf8),
            |a| {
                strict(a, |r| {
                    let (v, radix) = (int(&r[0]).unwrap_or(0), int(&r[1]).unwrap_or(10));
                    if !(2..=36).contains(&radix) {
                        return Err(invalid("Radix must be between 2 and 36"));
                    }
                    Ok(utf8(Some(to_base(v, radix as u32))))
                })
            },
        )
        .udf(),
        // width_bucket(x, bound1, bound2, n): the bucket of x among n equal-width buckets.
        Udf::new(
            "width_bucket",
            arity(&[4]),
            |_| Ok(DataType::Int64),
            |a| {
                strict(a, |r| {
                    let (x, lo, hi) =
                        (float(&r[0]).unwrap_or(0.0), float(&r[1]).unwrap_or(0.0), float(&r[2]).unwrap_or(0.0));
                    let n = int(&r[3]).unwrap_or(0);
                    if n <= 0 {
                        return Err(invalid("bucketCount must be greater than 0"));
                    }
                    if lo == hi || !x.is_finite() || !lo.is_finite() || !hi.is_finite() {
                        return Err(invalid("bounds cannot equal each other and must be finite"));
                    }
                    Ok(bigint(Some(width_bucket(x, lo, hi, n))))
                })
            },
        )
        .udf(),
    ]
}

fn to_base(v: i64, radix: u32) -> String {
    let mut n = v.unsigned_abs();
    let mut digits = Vec::new();
    loop {
        digits.push(std::char::from_digit((n % u64::from(radix)) as u32, radix).unwrap_or('0'));
        n /= u64::from(radix);
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn width_bucket(x: f64, lo: f64, hi: f64, n: i64) -> i64 {
    let (lower, upper, ascending) = if lo < hi { (lo, hi, true) } else { (hi, lo, false) };
    if x < lower {
        return if ascending { 0 } else { n + 1 };
    }
    if x >= upper {
        return if ascending { n + 1 } else { 0 };
    }
    let bucket = ((x - lower) / (upper - lower) * n as f64) as i64 + 1;
    if ascending { bucket } else { n + 1 - bucket }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_and_buckets() {
        // https://trino.io/docs/current/functions/math.html
        assert_eq!(to_base(255, 16), "ff");
        assert_eq!(to_base(-5, 2), "-101");
        assert_eq!(to_base(0, 2), "0");
        assert_eq!(width_bucket(5.3, 0.2, 10.6, 5), 3);
        assert_eq!(width_bucket(-1.0, 0.0, 10.0, 5), 0);
        assert_eq!(width_bucket(11.0, 0.0, 10.0, 5), 6);
    }
}
