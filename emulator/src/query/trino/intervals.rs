//! `interval * n`, `n * interval` and `interval / n`, which DataFusion does not type. The SQL
//! rewrite (`rewrite.rs`) turns them into these two functions when one side is an interval
//! literal (or one of these calls), and they compute as Trino's `IntervalDayTimeOperators` and
//! `IntervalYearMonthOperators` do: a day-to-second interval is a count of milliseconds, a
//! year-to-month one of months; times a bigint it is multiplied exactly (wrapping as Java's
//! `long` does), times or divided by a double it is truncated toward zero (`(long) (left *
//! right)`), and a NaN factor or a zero divisor is `INVALID_FUNCTION_ARGUMENT`.

use super::udf::{Udf, arity, invalid};
use super::values::rowwise;
use datafusion::arrow::datatypes::{DataType, IntervalDayTime, IntervalMonthDayNano};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::ScalarUDF;

/// The rewrite's name for `interval * n` (the interval first).
pub const MULTIPLY: &str = "__lakebox_interval_multiply";
/// The rewrite's name for `interval / n`.
pub const DIVIDE: &str = "__lakebox_interval_divide";

const MILLIS_PER_DAY: i64 = 86_400_000;

pub fn functions() -> Vec<ScalarUDF> {
    [(MULTIPLY, false), (DIVIDE, true)]
        .into_iter()
        .map(|(name, divide)| {
            Udf::new(
                name,
                arity(&[2]),
                |t| match (&t[0], &t[1]) {
                    (DataType::Interval(_), n) if n.is_numeric() || n.is_null() => Ok(t[0].clone()),
                    (i, n) => plan_err!("TYPE_MISMATCH: Cannot apply operator: {i} and {n}"),
                },
                move |a| rowwise(a, |r| apply(&r[0], &r[1], divide)),
            )
            .udf()
        })
        .collect()
}

enum Factor {
    Bigint(i64),
    Double(f64),
}

fn factor(n: &ScalarValue) -> Result<Option<Factor>> {
    if n.is_null() {
        return Ok(None);
    }
    Ok(Some(match n {
        ScalarValue::Float64(Some(d)) => Factor::Double(*d),
        ScalarValue::Float32(Some(d)) => Factor::Double(f64::from(*d)),
        // Trino coerces a decimal to double for these operators.
        ScalarValue::Decimal128(Some(v), _, scale) => Factor::Double(*v as f64 / 10f64.powi(i32::from(*scale))),
        other => match other.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(v)) => Factor::Bigint(v),
            _ => return Err(invalid(format!("Cannot multiply an interval by {other}"))),
        },
    }))
}

/// One interval times (or divided by) one number.
fn apply(interval: &ScalarValue, n: &ScalarValue, divide: bool) -> Result<ScalarValue> {
    let Some(factor) = factor(n)? else { return Ok(ScalarValue::Null) };
    // Trino divides only by a double (a bigint divisor is coerced).
    let factor = match factor {
        Factor::Bigint(v) if divide => Factor::Double(v as f64),
        f => f,
    };
    if let Factor::Double(d) = factor {
        if d.is_nan() && !divide {
            return Err(invalid("Cannot multiply by double NaN"));
        }
        if divide && (d.is_nan() || d == 0.0) {
            return Err(invalid(format!("Cannot divide by double {d:?}")));
        }
    }
    // Java's `(long) x` truncates toward zero and saturates, as Rust's `as` does.
    let times = |v: i64| match factor {
        Factor::Bigint(b) => v.wrapping_mul(b),
        Factor::Double(d) if divide => (v as f64 / d) as i64,
        Factor::Double(d) => (v as f64 * d) as i64,
    };
    let out_of_range = || invalid("Interval value out of range");
    let months = |m: i32| i32::try_from(times(i64::from(m))).map_err(|_| out_of_range());
    // A day-to-second product as whole days and the rest in milliseconds (both with its sign).
    let day_time = |millis_in: i64| -> Result<(i32, i64)> {
        let millis = times(millis_in);
        Ok((i32::try_from(millis / MILLIS_PER_DAY).map_err(|_| out_of_range())?, millis % MILLIS_PER_DAY))
    };
    match interval {
        ScalarValue::IntervalYearMonth(None)
        | ScalarValue::IntervalDayTime(None)
        | ScalarValue::IntervalMonthDayNano(None) => Ok(ScalarValue::Null),
        ScalarValue::IntervalYearMonth(Some(m)) => Ok(ScalarValue::IntervalYearMonth(Some(months(*m)?))),
        ScalarValue::IntervalDayTime(Some(v)) => {
            let (days, millis) = day_time(i64::from(v.days) * MILLIS_PER_DAY + i64::from(v.milliseconds))?;
            Ok(ScalarValue::IntervalDayTime(Some(IntervalDayTime::new(days, millis as i32))))
        }
        // Literals the analyzer did not narrow to one of the two types above.
        ScalarValue::IntervalMonthDayNano(Some(v)) if v.days == 0 && v.nanoseconds == 0 => {
            Ok(ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(months(v.months)?, 0, 0))))
        }
        ScalarValue::IntervalMonthDayNano(Some(v)) if v.months == 0 => {
            let (days, millis) = day_time(i64::from(v.days) * MILLIS_PER_DAY + v.nanoseconds / 1_000_000)?;
            Ok(ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, days, millis * 1_000_000))))
        }
        other => Err(invalid(format!("Cannot multiply {other} by a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_time(days: i32, millis: i32) -> ScalarValue {
        ScalarValue::IntervalDayTime(Some(IntervalDayTime::new(days, millis)))
    }

    #[test]
    fn day_to_second_intervals_are_milliseconds_times_the_factor() {
        let hour = day_time(0, 3_600_000);
        assert_eq!(apply(&hour, &ScalarValue::Int64(Some(36)), false).unwrap(), day_time(1, 12 * 3_600_000));
        // 1.5 hours; a negative factor keeps the sign in both fields, as Trino's one count does.
        assert_eq!(apply(&hour, &ScalarValue::Float64(Some(1.5)), false).unwrap(), day_time(0, 5_400_000));
        assert_eq!(apply(&day_time(1, 0), &ScalarValue::Int64(Some(-2)), false).unwrap(), day_time(-2, 0));
        // One second divided by 3 truncates toward zero: 333 ms.
        let second = day_time(0, 1_000);
        assert_eq!(apply(&second, &ScalarValue::Float64(Some(3.0)), true).unwrap(), day_time(0, 333));
        assert_eq!(apply(&second, &ScalarValue::Int64(Some(-3)), true).unwrap(), day_time(0, -333));
        assert_eq!(apply(&second, &ScalarValue::Int64(None), false).unwrap(), ScalarValue::Null);
    }

    #[test]
    fn year_to_month_intervals_are_months_times_the_factor() {
        let months = |m| ScalarValue::IntervalYearMonth(Some(m));
        assert_eq!(apply(&months(3), &ScalarValue::Int64(Some(4)), false).unwrap(), months(12));
        assert_eq!(apply(&months(4), &ScalarValue::Decimal128(Some(203), 3, 2), false).unwrap(), months(8));
        assert_eq!(apply(&months(1), &ScalarValue::Float64(Some(1.5)), true).unwrap(), months(0));
        assert!(apply(&months(i32::MAX), &ScalarValue::Int64(Some(2)), false).is_err());
    }

    #[test]
    fn nan_and_zero_divisors_fail_as_trino_words_them() {
        let hour = day_time(0, 3_600_000);
        let zero = apply(&hour, &ScalarValue::Int64(Some(0)), true).unwrap_err().to_string();
        assert!(zero.contains("INVALID_FUNCTION_ARGUMENT: Cannot divide by double 0.0"), "{zero}");
        let nan = apply(&hour, &ScalarValue::Float64(Some(f64::NAN)), false).unwrap_err().to_string();
        assert!(nan.contains("Cannot multiply by double NaN"), "{nan}");
        let nan = apply(&hour, &ScalarValue::Float64(Some(f64::NAN)), true).unwrap_err().to_string();
        assert!(nan.contains("Cannot divide by double NaN"), "{nan}");
    }
}
