//! Text to timestamp as Trino reads it: `CAST(x AS timestamp)` and `TIMESTAMP '...'` literals.
//!
//! Trino's pattern (`io.trino.type.DateTimes.DATETIME_PATTERN`) is a date `[+-]yyyy-M-d`, then
//! optionally a space, a time `H:m[:s[.fraction]]` and a time zone, each optional:
//! `TIMESTAMP '2012-08-08 01:00'` (the example of Trino's own documentation) has no seconds,
//! `'2024-01-01'` no time. A cast to `timestamp` trims the text, ignores the zone (the wall-clock
//! time is kept) and rounds the fraction half up to the type's precision; anything else is
//! `INVALID_CAST_ARGUMENT: Value cannot be cast to timestamp: ...` (a `T` between date and time
//! is not Trino's format either: that is `from_iso8601_timestamp`). A literal with a zone
//! (`TIMESTAMP '2012-10-31 01:00 UTC'`) is a `timestamp(3) with time zone` in that zone.
//! Arrow's own cast accepts `T`, needs the seconds and converts a zone to UTC, so casts of text to
//! timestamps are routed here by the analyzer.

use super::udf::{Udf, arity, invalid_cast};
use super::values::text;
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

/// A timestamp as written: wall-clock fields, the fraction's digits and the zone text, if any.
#[derive(Debug, PartialEq)]
pub struct Written<'a> {
    pub date: NaiveDate,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub fraction: &'a str,
    pub zone: Option<&'a str>,
}

fn digits(s: &str, min: usize, max: usize) -> Option<(&str, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    (n >= min).then(|| s.split_at(n))
}

/// The value of a run of ASCII digits (at most 9 of them: no overflow).
fn value(digits: &str) -> Option<u32> {
    (digits.len() <= 9).then(|| digits.bytes().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// The date at the start of `s` (`[+-]yyyy-M-d`) and what follows it.
fn date_prefix(s: &str) -> Option<(NaiveDate, &str)> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' | b'-' => s.split_at(1),
        _ => ("", s),
    };
    let (year, rest) = digits(rest, 4, usize::MAX)?;
    let (month, rest) = digits(rest.strip_prefix('-')?, 1, 2)?;
    let (day, rest) = digits(rest.strip_prefix('-')?, 1, 2)?;
    let year = i32::try_from(value(year)?).ok()?;
    let year = if sign == "-" { -year } else { year };
    Some((NaiveDate::from_ymd_opt(year, value(month)?, value(day)?)?, rest))
}

/// `CAST(text AS date)` as Trino's `DateOperators.castFromVarchar`: the trimmed text is a date
/// and nothing else.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    date_prefix(s.trim()).and_then(|(d, rest)| rest.is_empty().then_some(d))
}

/// Parses `s` as Trino's `DATETIME_PATTERN` does (the regular expression's optional parts are
/// tried greedily; whatever follows a time that does not continue it is the zone, as the
/// pattern's trailing `\s*(?<timezone>.+)?` takes it).
pub fn parse(s: &str) -> Option<Written<'_>> {
    let (date, rest) = date_prefix(s)?;
    let mut written = Written { date, hour: 0, minute: 0, second: 0, fraction: "", zone: None };
    if rest.is_empty() {
        return Some(written);
    }
    let mut rest = rest.strip_prefix(' ')?;
    if let Some((h, after)) = digits(rest, 1, 2)
        && let Some((m, after)) = after.strip_prefix(':').and_then(|a| digits(a, 1, 2))
    {
        (written.hour, written.minute) = (value(h)?, value(m)?);
        rest = after;
        if let Some((sec, after)) = rest.strip_prefix(':').and_then(|a| digits(a, 1, 2)) {
            written.second = value(sec)?;
            rest = after;
            if let Some((f, after)) = rest.strip_prefix('.').and_then(|a| digits(a, 1, usize::MAX)) {
                written.fraction = f;
                rest = after;
            }
        }
    }
    let zone = rest.trim_start();
    written.zone = (!zone.is_empty()).then_some(zone);
    (written.hour < 24 && written.minute < 60 && written.second < 60).then_some(written)
}

/// Digits of precision of a unit.
fn precision(unit: TimeUnit) -> u32 {
    match unit {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    }
}

/// The fraction in units of 10^-`p` seconds, rounded half up as Trino's `roundDiv` does (a
/// result of 10^p carries into the second).
fn fraction_in(fraction: &str, p: u32) -> Option<i64> {
    let digits = fraction.len() as u32;
    if digits > 18 {
        return None;
    }
    let value = fraction.bytes().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    Some(if digits <= p {
        value * 10i64.pow(p - digits)
    } else {
        let factor = 10i64.pow(digits - p);
        (value + factor / 2) / factor
    })
}

/// The wall-clock time as a count of `unit` since the epoch, read as UTC (Athena's session zone).
pub fn wall_clock(w: &Written<'_>, unit: TimeUnit) -> Option<i64> {
    let p = precision(unit);
    let seconds = w.date.and_hms_opt(w.hour, w.minute, w.second)?.and_utc().timestamp();
    seconds.checked_mul(10i64.pow(p))?.checked_add(fraction_in(w.fraction, p)?)
}

/// `CAST(text AS timestamp(p))`: trimmed, zone ignored (a `TRY_CAST` gives NULL instead of
/// failing).
pub fn cast_text(input: &ArrayRef, unit: TimeUnit, safe: bool) -> Result<ArrayRef> {
    let strings = super::udf::strings(input)?;
    let strings = strings.as_string::<i32>();
    let mut out = Vec::with_capacity(strings.len());
    let mut valid = Vec::with_capacity(strings.len());
    for s in strings.iter() {
        let value = match s {
            None => None,
            Some(s) => match parse(s.trim()).and_then(|w| wall_clock(&w, unit)) {
                Some(v) => Some(v),
                None if safe => None,
                None => return Err(invalid_cast(format!("Value cannot be cast to timestamp: {s}"))),
            },
        };
        valid.push(value.is_some());
        out.push(value.unwrap_or_default());
    }
    let nulls = Some(datafusion::arrow::buffer::NullBuffer::from(valid));
    let values = datafusion::arrow::buffer::ScalarBuffer::from(out);
    let array: ArrayRef = match unit {
        TimeUnit::Second => Arc::new(datafusion::arrow::array::TimestampSecondArray::new(values, nulls)),
        TimeUnit::Millisecond => Arc::new(TimestampMillisecondArray::new(values, nulls)),
        TimeUnit::Microsecond => Arc::new(datafusion::arrow::array::TimestampMicrosecondArray::new(values, nulls)),
        TimeUnit::Nanosecond => Arc::new(datafusion::arrow::array::TimestampNanosecondArray::new(values, nulls)),
    };
    Ok(array)
}

/// `__lakebox_text_timestamp(x, p, safe)`: what the analyzer puts in place of `CAST(x AS
/// timestamp(p))` (`TRY_CAST` when `safe`) for text `x`; `p` is 0, 3, 6 or 9.
pub fn cast_udf() -> ScalarUDF {
    fn unit(scalars: &[Option<&ScalarValue>]) -> TimeUnit {
        // Integer literals may have been narrowed to `Int32` by the time the call is typed again.
        match scalars.get(1).copied().flatten().and_then(super::values::int) {
            Some(0) => TimeUnit::Second,
            Some(6) => TimeUnit::Microsecond,
            Some(9) => TimeUnit::Nanosecond,
            _ => TimeUnit::Millisecond,
        }
    }
    Udf::with_fields(
        "__lakebox_text_timestamp",
        arity(&[3]),
        |_, scalars| Ok(Field::new("r", DataType::Timestamp(unit(scalars), None), true)),
        |a| {
            let DataType::Timestamp(unit, _) = a.result.data_type() else { unreachable!("typed as a timestamp") };
            let safe = matches!(a.constants.get(2), Some(Some(ScalarValue::Boolean(Some(true)))));
            cast_text(a.get(0), *unit, safe)
        },
    )
    .udf()
}

/// The expression the analyzer puts in place of a cast of text to `timestamp(p)`.
pub fn cast_expr(
    udf: &Arc<ScalarUDF>,
    x: datafusion::logical_expr::Expr,
    unit: TimeUnit,
    safe: bool,
) -> datafusion::logical_expr::Expr {
    use datafusion::logical_expr::{expr::ScalarFunction, lit};
    let p = i64::from(precision(unit));
    datafusion::logical_expr::Expr::ScalarFunction(ScalarFunction::new_udf(udf.clone(), vec![x, lit(p), lit(safe)]))
}

/// `CAST(text AS date)` (`TRY_CAST` when `safe`).
pub fn cast_text_date(input: &ArrayRef, safe: bool) -> Result<ArrayRef> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let strings = super::udf::strings(input)?;
    let mut out = datafusion::arrow::array::Date32Builder::with_capacity(strings.len());
    for s in strings.as_string::<i32>().iter() {
        match s.map(|s| (s, parse_date(s))) {
            None => out.append_null(),
            Some((_, Some(d))) => out.append_value((d - epoch).num_days() as i32),
            Some((_, None)) if safe => out.append_null(),
            Some((s, None)) => return Err(invalid_cast(format!("Value cannot be cast to date: {s}"))),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// `__lakebox_text_date(x, safe)`: what the analyzer puts in place of `CAST(x AS date)` for text.
pub fn date_cast_udf() -> ScalarUDF {
    Udf::new(
        "__lakebox_text_date",
        arity(&[2]),
        |_| Ok(DataType::Date32),
        |a| {
            let safe = matches!(a.constants.get(1), Some(Some(ScalarValue::Boolean(Some(true)))));
            cast_text_date(a.get(0), safe)
        },
    )
    .udf()
}

/// The zone of a literal, as the result type names it: a region or `UTC` as written, an offset
/// as `+01:00`.
fn zone_name(z: &str) -> Option<Arc<str>> {
    match super::datetime::zone(z)? {
        super::datetime::Zone::Named(tz) => Some(tz.name().into()),
        super::datetime::Zone::Fixed(o) if o.local_minus_utc() == 0 && z.starts_with(['U', 'G']) => Some("UTC".into()),
        super::datetime::Zone::Fixed(o) => Some(o.to_string().into()),
    }
}

/// The instant of a literal with a zone, in milliseconds.
fn zoned_millis(w: &Written<'_>, zone: &str) -> Option<i64> {
    // An unknown zone is no literal (`from_local` would read it as UTC).
    super::datetime::zone(zone)?;
    let local = w.date.and_hms_opt(w.hour, w.minute, w.second)?;
    super::datetime::from_local(local, Some(zone))?.checked_add(fraction_in(w.fraction, 3)?)
}

/// Trino's `INVALID_LITERAL` for a `kind` ('DATE', 'TIMESTAMP') literal whose text is not one.
fn invalid_literal(kind: &str, text: &str) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Plan(format!(
        "INVALID_LITERAL: line 1:1: '{text}' is not a valid {kind} literal"
    ))
}

/// Whether a `TIMESTAMP` literal is not a plain timestamp: it names a zone (`TIMESTAMP '... UTC'`
/// is a timestamp with time zone), or it is not a timestamp at all (Trino's `INVALID_LITERAL`).
pub fn literal_is_zoned_or_invalid(s: &str) -> bool {
    parse(s).is_none_or(|w| w.zone.is_some())
}

/// `__lakebox_timestamptz_literal('2012-10-31 01:00 UTC')`: the value of a `TIMESTAMP` literal that
/// names a zone, typed `timestamp(3) with time zone` in that zone.
pub fn functions() -> Vec<ScalarUDF> {
    let bad = |s: &str| invalid_literal("TIMESTAMP", s);
    vec![
        cast_udf(),
        date_cast_udf(),
        // `__lakebox_invalid_literal('DATE', '2024-13-01')`: a literal that is not of its type.
        Udf::with_fields(
            "__lakebox_invalid_literal",
            arity(&[2]),
            |_, scalars| {
                let arg = |i: usize| scalars.get(i).copied().flatten().and_then(text).unwrap_or_default();
                Err(invalid_literal(arg(0), arg(1)))
            },
            |a| datafusion::common::exec_err!("{} rows of an invalid literal", a.rows),
        )
        .udf(),
        Udf::with_fields(
            "__lakebox_timestamptz_literal",
            arity(&[1]),
            move |_, scalars| {
                let s = scalars.first().and_then(|s| s.and_then(text)).unwrap_or_default();
                let zone = parse(s).and_then(|w| w.zone.and_then(zone_name)).ok_or_else(|| bad(s))?;
                Ok(Field::new("r", DataType::Timestamp(TimeUnit::Millisecond, Some(zone)), true))
            },
            move |a| {
                let DataType::Timestamp(_, zone) = a.result.data_type() else { unreachable!("typed as a timestamp") };
                let s = a.constant_text(0).unwrap_or_default();
                let millis = parse(s).and_then(|w| zoned_millis(&w, w.zone?)).ok_or_else(|| bad(s))?;
                ScalarValue::TimestampMillisecond(Some(millis), zone.clone()).to_array_of_size(a.rows)
            },
        )
        .udf(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(s: &str) -> Option<i64> {
        parse(s).and_then(|w| wall_clock(&w, TimeUnit::Millisecond))
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, s).unwrap().and_utc().timestamp_millis()
    }

    #[test]
    fn trinos_optional_parts() {
        // Expected values: Trino's DATETIME_PATTERN and VarcharToTimestampCast (missing parts are 0).
        assert_eq!(millis("2012-08-08 01:00"), Some(utc(2012, 8, 8, 1, 0, 0)));
        assert_eq!(millis("2024-01-01"), Some(utc(2024, 1, 1, 0, 0, 0)));
        assert_eq!(millis("2024-3-7 4:5:6"), Some(utc(2024, 3, 7, 4, 5, 6)));
        assert_eq!(millis("2024-01-01 10:00:00.5"), Some(utc(2024, 1, 1, 10, 0, 0) + 500));
        assert_eq!(millis("9999-12-31 23:59:59.999"), Some(utc(9999, 12, 31, 23, 59, 59) + 999));
        assert_eq!(millis("-0001-01-01 00:00:00"), Some(utc(-1, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn fractions_round_half_up_to_the_precision() {
        assert_eq!(millis("1970-01-01 00:00:00.1234"), Some(123));
        assert_eq!(millis("1970-01-01 00:00:00.1235"), Some(124));
        // .9995 s rounds to the next second.
        assert_eq!(millis("1970-01-01 00:00:00.9995"), Some(1000));
        let w = parse("1970-01-01 00:00:00.123456789").unwrap();
        assert_eq!(wall_clock(&w, TimeUnit::Second), Some(0));
        assert_eq!(wall_clock(&w, TimeUnit::Microsecond), Some(123_457));
        assert_eq!(wall_clock(&w, TimeUnit::Nanosecond), Some(123_456_789));
    }

    #[test]
    fn the_zone_is_whatever_follows_the_time() {
        let zone = |s| parse(s).and_then(|w| w.zone);
        assert_eq!(zone("2012-10-31 01:00 UTC"), Some("UTC"));
        assert_eq!(zone("2012-10-31 01:00:00.000 America/Los_Angeles"), Some("America/Los_Angeles"));
        assert_eq!(zone("2012-10-31 01:00+01:00"), Some("+01:00"));
        assert_eq!(zone("2012-10-31 UTC"), Some("UTC"));
        assert_eq!(zone("2012-10-31 01:00"), None);
        // The wall clock of a text with a zone is kept by a cast to `timestamp`.
        assert_eq!(millis("2024-01-01 10:00:00 America/New_York"), Some(utc(2024, 1, 1, 10, 0, 0)));
    }

    #[test]
    fn not_trinos_format() {
        for s in [
            "2024-01-01T10:00:00",
            "2024-13-01",
            "2024-02-30",
            "24-01-01",
            "2024-01-01 25:00",
            "2024-01-01 10:60",
            "2024/01/01",
            "",
            "2024-01-011",
            "2024-01-01 10:00:61",
        ] {
            assert_eq!(millis(s), None, "{s}");
        }
    }

    #[test]
    fn casts_trim_and_try_casts_give_null() {
        let input: ArrayRef =
            Arc::new(datafusion::arrow::array::StringArray::from(vec![Some(" 1970-01-01 00:01 "), None, Some("x")]));
        let err = cast_text(&input, TimeUnit::Millisecond, false).unwrap_err().to_string();
        assert!(err.contains("INVALID_CAST_ARGUMENT: Value cannot be cast to timestamp: x"), "{err}");
        let out = cast_text(&input, TimeUnit::Millisecond, true).unwrap();
        let out = out.as_primitive::<datafusion::arrow::datatypes::TimestampMillisecondType>();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some(60_000), None, None]);
    }

    #[test]
    fn dates_are_trimmed_and_nothing_else() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date(" 2024-03-07 "), d(2024, 3, 7));
        assert_eq!(parse_date("2024-3-7"), d(2024, 3, 7));
        for s in ["2024-03-07 10:00", "2024-02-30", "2024-03-07T00:00", "20240307", "x"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        let input: ArrayRef =
            Arc::new(datafusion::arrow::array::StringArray::from(vec![Some("1970-01-02"), None, Some("x")]));
        let err = cast_text_date(&input, false).unwrap_err().to_string();
        assert!(err.contains("INVALID_CAST_ARGUMENT: Value cannot be cast to date: x"), "{err}");
        let out = cast_text_date(&input, true).unwrap();
        let out = out.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some(1), None, None]);
    }

    #[test]
    fn literals_with_a_zone_are_instants_in_it() {
        let w = parse("2012-10-31 01:00 America/Los_Angeles").unwrap();
        // 01:00 PDT (UTC-7) is 08:00 UTC.
        assert_eq!(zoned_millis(&w, w.zone.unwrap()), Some(utc(2012, 10, 31, 8, 0, 0)));
        let w = parse("2024-01-01 10:00:00.25 +01:00").unwrap();
        assert_eq!(zoned_millis(&w, w.zone.unwrap()), Some(utc(2024, 1, 1, 9, 0, 0) + 250));
        assert_eq!(zone_name("+01:00").as_deref(), Some("+01:00"));
        assert_eq!(zone_name("UTC").as_deref(), Some("UTC"));
        assert_eq!(zone_name("Europe/Paris").as_deref(), Some("Europe/Paris"));
        assert_eq!(zone_name("Mars/Olympus"), None);
    }
}
