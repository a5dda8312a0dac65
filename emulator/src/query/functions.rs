//! Trino functions the taxi reports need that DataFusion lacks or names differently: the
//! date-part family (`year`, `month`, `day`, `hour`, `day_of_week`, ... returning `bigint`, as in
//! Trino), and `date(x)`. The full Trino pack is its own work
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
    ctx.register_udf(ScalarUDF::new_from_impl(TypeOfFn { signature: Signature::any(1, Volatility::Immutable) }));
    super::trino::register(ctx)
}

fn temporal_signature() -> Signature {
    use datafusion::arrow::datatypes::TimeUnit::*;
    let mut types: Vec<TypeSignature> = [Second, Millisecond, Microsecond, Nanosecond]
        .into_iter()
        .map(|u| TypeSignature::Exact(vec![DataType::Timestamp(u, None)]))
        .collect();
    types.push(TypeSignature::Exact(vec![DataType::Date32]));
    types.push(TypeSignature::Exact(vec![DataType::Date64]));
    // A timestamp with time zone keeps its zone (the fields are its wall clock there).
    let any_zone = || Some(datafusion::logical_expr::TIMEZONE_WILDCARD.into());
    types.extend(
        [Millisecond, Microsecond, Nanosecond, Second]
            .into_iter()
            .map(|u| TypeSignature::Exact(vec![DataType::Timestamp(u, any_zone())])),
    );
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

/// Rewrites `CAST(ts AS DATE)` of a timestamp without a zone into `DateFn`: arrow's cast
/// converts each value through a calendar type, ten times slower than the integer division.
#[derive(Debug, Default)]
pub struct FastCasts;

impl datafusion::optimizer::OptimizerRule for FastCasts {
    fn name(&self) -> &str {
        "lakebox_fast_casts"
    }

    fn apply_order(&self) -> Option<datafusion::optimizer::ApplyOrder> {
        Some(datafusion::optimizer::ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _config: &dyn datafusion::optimizer::OptimizerConfig,
    ) -> Result<datafusion::common::tree_node::Transformed<datafusion::logical_expr::LogicalPlan>> {
        use datafusion::common::tree_node::{Transformed, TreeNode as _};
        use datafusion::logical_expr::{Expr, ExprSchemable as _};
        let schema = match plan.inputs().as_slice() {
            [input] => input.schema().clone(),
            _ => return Ok(Transformed::no(plan)),
        };
        let date = Arc::new(ScalarUDF::new_from_impl(DateFn::new()));
        plan.map_expressions(|e| {
            e.transform(|e| {
                if let Expr::Cast(c) = &e
                    && c.field.data_type() == &DataType::Date32
                    && let Ok((DataType::Timestamp(_, None), _)) =
                        c.expr.to_field(&schema).map(|(_, f)| (f.data_type().clone(), ()))
                {
                    let call = date.call(vec![c.expr.as_ref().clone()]);
                    let name = e.schema_name().to_string();
                    return Ok(Transformed::yes(call.alias(name)));
                }
                Ok(Transformed::no(e))
            })
        })
    }
}

/// Runs `$body` with `$s` bound to the timestamp scale as a constant, so that divisions by it
/// compile to multiplications (a `hour(ts)` over millions of rows is a division-bound loop).
macro_rules! with_scale {
    ($scale:expr, $s:ident, $body:expr) => {
        match $scale {
            1 => {
                const $s: i64 = 1;
                $body
            }
            1_000 => {
                const $s: i64 = 1_000;
                $body
            }
            1_000_000 => {
                const $s: i64 = 1_000_000;
                $body
            }
            _ => {
                const $s: i64 = 1_000_000_000;
                $body
            }
        }
    };
}

/// A field of every time in `t` (in `1/scale` seconds), one specialised loop per field.
fn times_part(part: Part, t: &Int64Array, scale: i64) -> Int64Array {
    with_scale!(scale, S, {
        match part {
            Part::Hour => unary(t, |v| v.div_euclid(S * 3600).rem_euclid(24)),
            Part::Minute => unary(t, |v| v.div_euclid(S * 60).rem_euclid(60)),
            Part::Second => unary(t, |v| v.div_euclid(S).rem_euclid(60)),
            Part::Millisecond => unary(t, |v| v.rem_euclid(S) * 1000 / S),
            other => unary(t, |v| other.of_day(v.div_euclid(S * 86_400))),
        }
    })
}

/// A field of every date in `d` (days since 1970-01-01).
fn days_part(part: Part, d: &Int64Array) -> Int64Array {
    unary(d, |v| part.of_day(v))
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
pub(crate) fn per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

/// An array of timestamps (any unit; with a zone, as their wall clock in it: Trino's `hour` of a
/// `timestamp with time zone` is the hour there) or dates as raw integers and their scale.
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
        DataType::Timestamp(unit, Some(tz)) => {
            use crate::query::trino::datetime::{Zone, zone};
            use chrono::{Offset, TimeZone};
            let scale = per_second(*unit);
            let ints = cast(array, &DataType::Int64)?;
            let ints = ints.as_primitive::<Int64Type>();
            let local: Int64Array = match zone(tz) {
                Some(Zone::Fixed(o)) => unary(ints, |v| v.saturating_add(i64::from(o.local_minus_utc()) * scale)),
                Some(Zone::Named(named)) => unary(ints, |v| {
                    let utc = chrono::DateTime::from_timestamp(v.div_euclid(scale), 0).unwrap_or_default().naive_utc();
                    let offset = named.offset_from_utc_datetime(&utc).fix().local_minus_utc();
                    v.saturating_add(i64::from(offset) * scale)
                }),
                None => ints.clone(),
            };
            Some(Raw::Times(local, scale))
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
            Some(Raw::Times(t, scale)) => Arc::new(times_part(part, &t, scale)),
            Some(Raw::Days(d)) => Arc::new(days_part(part, &d)),
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

/// `date(x)`: a timestamp, or a `yyyy-mm-dd` string (trimmed, nothing after it), as a date.
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
        let dates: ArrayRef = match raw(&array)? {
            Some(Raw::Times(t, scale)) => Arc::new(with_scale!(scale, S, {
                unary::<_, _, datafusion::arrow::datatypes::Date32Type>(&t, |v| v.div_euclid(S * 86_400) as i32)
            })),
            // Text as CAST(x AS date) reads it (Trino's date(x) is that cast).
            _ if crate::query::trino::udf::is_text(array.data_type()) => {
                crate::query::trino::timestamp_text::cast_text_date(&array, false)?
            }
            _ => {
                cast_with_options(array.as_ref(), &DataType::Date32, &CastOptions { safe: false, ..Default::default() })
                    .map_err(|e| datafusion::error::DataFusionError::Execution(format!("INVALID_CAST_ARGUMENT: {e}")))?
            }
        };
        scalar_or_array(arg, dates)
    }
}

/// Trino's `typeof(x)`: the type name of its argument, as Athena spells it in `ColumnInfo`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct TypeOfFn {
    signature: Signature,
}

impl ScalarUDFImpl for TypeOfFn {
    fn name(&self) -> &str {
        "typeof"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else { return exec_err!("typeof takes one argument") };
        let name = super::trino::types::typeof_name(&args.arg_fields[0], arg);
        Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::Utf8(Some(name))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::TimestampMillisecondArray;

    /// `CAST(ts AS DATE)` rewritten to the integer path answers as arrow's cast does, also
    /// before 1970 (where truncating division would be off by a day).
    #[tokio::test]
    async fn cast_to_date_is_rewritten_and_exact() {
        use datafusion::execution::SessionStateBuilder;
        let sql = "SELECT CAST(t AS DATE) AS d FROM (VALUES (TIMESTAMP '1969-12-31 23:59:59.999'), \
                   (TIMESTAMP '1970-01-01 00:00:00'), (TIMESTAMP '2024-02-29 23:00:00'), (NULL)) AS v(t)";
        let mut answers = Vec::new();
        for fast in [false, true] {
            let mut builder = SessionStateBuilder::new().with_default_features();
            if fast {
                builder = builder.with_optimizer_rule(Arc::new(FastCasts));
            }
            let ctx = SessionContext::new_with_state(builder.build());
            let plan = ctx.sql(&format!("EXPLAIN {sql}")).await.unwrap().collect().await.unwrap();
            let plan = datafusion::arrow::util::pretty::pretty_format_batches(&plan).unwrap().to_string();
            assert_eq!(plan.contains("date("), fast, "{plan}");
            let rows = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            answers.push(datafusion::arrow::util::pretty::pretty_format_batches(&rows).unwrap().to_string());
        }
        assert_eq!(answers[0], answers[1]);
        assert!(answers[1].contains("1969-12-31"), "{}", answers[1]);
    }

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
            let got = times_part(part, &Int64Array::from(times.clone()), 1000);
            for (i, t) in times.iter().enumerate() {
                let want = if part == Part::Millisecond { expected.value(i) % 1000 } else { expected.value(i) };
                assert_eq!(got.value(i), want, "{part:?} of {t}");
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
