//! Trino functions the taxi reports need that DataFusion lacks or names differently: the
//! date-part family (`year`, `month`, `day`, `hour`, `day_of_week`, ... returning `bigint`, as in
//! Trino), `date(x)`, and `approx_percentile(x, p)`. The full Trino pack is its own work
//! (docs/SQL.md lists what is there). Date parts of timestamps without a zone and of dates are
//! computed in integer arithmetic (tested against arrow's calendar code): `hour(ts)` over ten
//! million trips is a report's hot loop.

use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array};
use datafusion::arrow::compute::kernels::arity::unary;
use datafusion::arrow::compute::kernels::temporal::{DatePart, date_part};
use datafusion::arrow::compute::{CastOptions, cast, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// Registers the functions on a session.
pub fn register(ctx: &SessionContext) -> Result<()> {
    let parts: [(&'static str, &'static [&'static str], Part); 12] = [
        ("year", &[], Part::Year),
        ("quarter", &[], Part::Quarter),
        ("month", &[], Part::Month),
        ("week", &["week_of_year"], Part::Week),
        ("day", &["day_of_month"], Part::Day),
        ("day_of_week", &["dow"], Part::DayOfWeek),
        ("day_of_year", &["doy"], Part::DayOfYear),
        ("hour", &[], Part::Hour),
        ("minute", &[], Part::Minute),
        ("second", &[], Part::Second),
        ("year_of_week", &["yow"], Part::YearOfWeek),
        ("millisecond", &[], Part::Millisecond),
    ];
    for (name, aliases, part) in parts {
        ctx.register_udf(ScalarUDF::new_from_impl(DatePartFn::new(name, aliases, part)));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(DateFn::new()));
    let percentile = datafusion::functions_aggregate::approx_percentile_cont::approx_percentile_cont_udaf();
    ctx.register_udaf((*percentile).clone().with_aliases(["approx_percentile"]));
    Ok(())
}

fn temporal_signature() -> Signature {
    use datafusion::arrow::datatypes::TimeUnit::*;
    let mut types: Vec<TypeSignature> = [Second, Millisecond, Microsecond, Nanosecond]
        .into_iter()
        .map(|u| TypeSignature::Exact(vec![DataType::Timestamp(u, None)]))
        .collect();
    types.push(TypeSignature::Exact(vec![DataType::Date32]));
    types.push(TypeSignature::Exact(vec![DataType::Date64]));
    types.push(TypeSignature::Exact(vec![DataType::Timestamp(Nanosecond, Some("+00:00".into()))]));
    Signature::one_of(types, Volatility::Immutable)
}

/// A field of a date or time, as Trino's functions name them.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Part {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    DayOfWeek,
    DayOfYear,
    Hour,
    Minute,
    Second,
    YearOfWeek,
    Millisecond,
}

impl Part {
    fn arrow(self) -> DatePart {
        match self {
            Part::Year => DatePart::Year,
            Part::Quarter => DatePart::Quarter,
            Part::Month => DatePart::Month,
            Part::Week => DatePart::WeekISO,
            Part::Day => DatePart::Day,
            Part::DayOfWeek => DatePart::DayOfWeekMonday1,
            Part::DayOfYear => DatePart::DayOfYear,
            Part::Hour => DatePart::Hour,
            Part::Minute => DatePart::Minute,
            Part::Second => DatePart::Second,
            Part::YearOfWeek => DatePart::YearISO,
            Part::Millisecond => DatePart::Millisecond,
        }
    }

    /// The field of a time `t` in `per_second` units since the epoch (UTC, no zone), in integer
    /// arithmetic: a few nanoseconds a value, where a calendar conversion takes tens.
    fn of(self, t: i64, per_second: i64) -> i64 {
        let second = t.div_euclid(per_second);
        match self {
            Part::Hour => second.div_euclid(3600).rem_euclid(24),
            Part::Minute => second.div_euclid(60).rem_euclid(60),
            Part::Second => second.rem_euclid(60),
            Part::Millisecond => t.rem_euclid(per_second) * 1000 / per_second,
            _ => self.of_day(second.div_euclid(86_400)),
        }
    }

    /// The field of a date given as days since 1970-01-01.
    fn of_day(self, days: i64) -> i64 {
        let (year, month, day) = civil_from_days(days);
        match self {
            Part::Year => year,
            Part::Quarter => (month - 1) / 3 + 1,
            Part::Month => month,
            Part::Day => day,
            // 1970-01-01 was a Thursday; ISO weeks start on Monday (1).
            Part::DayOfWeek => (days + 3).rem_euclid(7) + 1,
            Part::DayOfYear => days - days_from_civil(year, 1, 1) + 1,
            Part::Week | Part::YearOfWeek => {
                let (iso_year, week) = iso_week(days, year);
                if self == Part::Week { week } else { iso_year }
            }
            Part::Hour | Part::Minute | Part::Second | Part::Millisecond => 0,
        }
    }
}

/// (year, month, day) of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The ISO-8601 (year, week) of a day.
fn iso_week(days: i64, year: i64) -> (i64, i64) {
    let weekday = (days + 3).rem_euclid(7); // Monday = 0
    let thursday = days - weekday + 3;
    let (thursday_year, _, _) = civil_from_days(thursday);
    let _ = year;
    let week = (thursday - days_from_civil(thursday_year, 1, 1)) / 7 + 1;
    (thursday_year, week)
}

/// `year(x)`, `hour(x)`, ...: one field of a date or timestamp, as a `bigint`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DatePartFn {
    name: &'static str,
    aliases: Vec<String>,
    part: Part,
    signature: Signature,
}

impl DatePartFn {
    fn new(name: &'static str, aliases: &[&str], part: Part) -> Self {
        Self { name, aliases: aliases.iter().map(|a| a.to_string()).collect(), part, signature: temporal_signature() }
    }
}

/// Units per second of a timestamp unit.
fn per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

/// An array of timestamps (any unit, no zone) or dates as raw integers and their scale.
enum Raw {
    Times(Int64Array, i64),
    Days(Int64Array),
}

fn raw(array: &ArrayRef) -> Result<Option<Raw>> {
    Ok(match array.data_type() {
        DataType::Timestamp(unit, None) => {
            let ints = cast(array, &DataType::Int64)?;
            Some(Raw::Times(ints.as_primitive::<Int64Type>().clone(), per_second(*unit)))
        }
        DataType::Date32 => {
            let ints = cast(&cast(array, &DataType::Int32)?, &DataType::Int64)?;
            Some(Raw::Days(ints.as_primitive::<Int64Type>().clone()))
        }
        _ => None,
    })
}

fn scalar_or_array(arg: &ColumnarValue, values: ArrayRef) -> Result<ColumnarValue> {
    if matches!(arg, ColumnarValue::Scalar(_)) {
        return Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&values, 0)?));
    }
    Ok(ColumnarValue::Array(values))
}

impl ScalarUDFImpl for DatePartFn {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [arg] = args.args.as_slice() else { return exec_err!("{} takes one argument", self.name) };
        let array = arg.clone().into_array(rows)?;
        let part = self.part;
        let values: ArrayRef = match raw(&array)? {
            Some(Raw::Times(t, scale)) => Arc::new(unary::<_, _, Int64Type>(&t, |v| part.of(v, scale))),
            Some(Raw::Days(d)) => Arc::new(unary::<_, _, Int64Type>(&d, |v| part.of_day(v))),
            None => {
                let mut values = cast(&date_part(array.as_ref(), part.arrow())?, &DataType::Int64)?;
                if part == Part::Millisecond {
                    // Trino's millisecond(x) is the millisecond of the second.
                    let ms = values.as_primitive::<Int64Type>();
                    values = Arc::new(unary::<_, _, Int64Type>(ms, |v| v % 1000));
                }
                values
            }
        };
        scalar_or_array(arg, values)
    }
}

/// `date(x)`: a timestamp or a `yyyy-mm-dd` string as a date.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DateFn {
    signature: Signature,
}

impl DateFn {
    fn new() -> Self {
        let mut sig = temporal_signature();
        if let TypeSignature::OneOf(ref mut options) = sig.type_signature {
            options.push(TypeSignature::Exact(vec![DataType::Utf8]));
        }
        Self { signature: sig }
    }
}

impl ScalarUDFImpl for DateFn {
    fn name(&self) -> &str {
        "date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [arg] = args.args.as_slice() else { return exec_err!("date takes one argument") };
        let array = arg.clone().into_array(rows)?;
        let dates =
            cast_with_options(array.as_ref(), &DataType::Date32, &CastOptions { safe: false, ..Default::default() })
                .map_err(|e| datafusion::error::DataFusionError::Execution(format!("INVALID_CAST_ARGUMENT: {e}")))?;
        if matches!(arg, ColumnarValue::Scalar(_)) && !dates.is_empty() {
            return Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&dates, 0)?));
        }
        Ok(ColumnarValue::Array(dates))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::TimestampMillisecondArray;

    /// The fast integer paths agree with arrow's calendar-based `date_part` on every field,
    /// over times from 1900 to 2100 (leap years, ISO weeks across years, negative epochs).
    #[test]
    fn integer_date_parts_agree_with_the_calendar() {
        let times: Vec<i64> = (0..20_000i64).map(|i| -2_208_988_800_000 + i * 315_569_261).collect();
        let array: ArrayRef = Arc::new(TimestampMillisecondArray::from(times.clone()));
        let dates: ArrayRef = cast(&array, &DataType::Date32).unwrap();
        for part in [
            Part::Year,
            Part::Quarter,
            Part::Month,
            Part::Week,
            Part::Day,
            Part::DayOfWeek,
            Part::DayOfYear,
            Part::Hour,
            Part::Minute,
            Part::Second,
            Part::YearOfWeek,
            Part::Millisecond,
        ] {
            let expected = cast(&date_part(array.as_ref(), part.arrow()).unwrap(), &DataType::Int64).unwrap();
            let expected = expected.as_primitive::<Int64Type>();
            for (i, t) in times.iter().enumerate() {
                let want = if part == Part::Millisecond { expected.value(i) % 1000 } else { expected.value(i) };
                assert_eq!(part.of(*t, 1000), want, "{part:?} of {t}");
            }
            if !matches!(part, Part::Hour | Part::Minute | Part::Second | Part::Millisecond) {
                let expected = cast(&date_part(dates.as_ref(), part.arrow()).unwrap(), &DataType::Int64).unwrap();
                let days = dates.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
                for i in 0..days.len() {
                    assert_eq!(part.of_day(i64::from(days.value(i))), expected.as_primitive::<Int64Type>().value(i));
                }
            }
        }
    }
}
