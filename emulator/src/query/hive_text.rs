//! Field text to typed values as Athena reads LazySimpleSerDe (`ROW FORMAT DELIMITED`) tables:
//! Trino's native text encodings (`io.trino.hive.formats.encodings.text`, "bug for bug
//! compatible with LazySimpleSerDe"), where Arrow's casts would give another answer. A value
//! that does not parse is NULL, never an error.
//!
//! - integers (`LongEncoding`): an optional sign and digits; a fraction is checked and dropped
//!   (`12.0` and `12.5` are 12: pandas writes integer columns holding NaN as `12.0`); no
//!   whitespace (` 5` is NULL); out of the column's range NULL.
//! - double and real (`DoubleEncoding`): Java's `parseDouble` (trimmed, `NaN` and `Infinity`
//!   spelled so, a trailing `d`/`f`); `nan`, `inf` are NULL.
//! - decimal (`DecimalEncoding`): Java's `new BigDecimal(text)` (exponents, no whitespace),
//!   rounded half up to the scale, NULL past the precision.
//! - date (`HiveFormatUtils.parseHiveDate`): trimmed, cut at the first space, `y-M-d` with one
//!   or two digit month and day, resolved leniently (`2024-02-30` is 2024-03-01).
//! - timestamp (`parseHiveTimestamp`): at least 8 bytes, trimmed; `y-M-d[ H:m:s[.f]]` leniently,
//!   else ISO `yyyy-MM-ddTHH:mm[:ss[.f]]`; a zone or offset (`Z`, `+02:00`) is NULL; the fraction
//!   rounded half up to the column's unit.

use super::functions::per_second;
use chrono::{Duration, Months, NaiveDate, NaiveDateTime};
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float32Array, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, DecimalType, TimeUnit};
use std::sync::Arc;

/// `strings` as `target` by the rules above, or `None` for a type these rules do not cover.
pub fn parse_column(strings: &StringArray, target: &DataType) -> Option<ArrayRef> {
    let array: ArrayRef = match target {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let (lo, hi) = integer_range(target);
            from_i64s(strings.iter().map(|s| s.and_then(integer).filter(|v| (lo..=hi).contains(v))), target)?
        }
        DataType::Float64 => Arc::new(strings.iter().map(|s| s.and_then(double)).collect::<Float64Array>()),
        DataType::Float32 => Arc::new(strings.iter().map(|s| s.and_then(real)).collect::<Float32Array>()),
        DataType::Decimal128(p, s) => Arc::new(
            strings
                .iter()
                .map(|v| v.and_then(|v| decimal(v, *p, *s)))
                .collect::<Decimal128Array>()
                .with_precision_and_scale(*p, *s)
                .ok()?,
        ),
        DataType::Date32 => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
            Arc::new(
                strings
                    .iter()
                    .map(|s| s.and_then(date).map(|d| (d - epoch).num_days() as i32))
                    .collect::<Date32Array>(),
            )
        }
        DataType::Timestamp(unit, None) => {
            from_i64s(strings.iter().map(|s| s.and_then(|s| timestamp(s, *unit))), target)?
        }
        _ => return None,
    };
    Some(array)
}

/// Integers already in `target`'s range, or timestamps already in its unit, as a `target` array
/// (an `Int64` one, cast: exact for such values).
fn from_i64s(values: impl Iterator<Item = Option<i64>>, target: &DataType) -> Option<ArrayRef> {
    let array: ArrayRef = Arc::new(values.collect::<Int64Array>());
    if target == &DataType::Int64 { Some(array) } else { datafusion::arrow::compute::cast(&array, target).ok() }
}

/// An OpenCSVSerde column of `target`, as Athena documents its CSV reader ("Open CSV SerDe for
/// processing CSV": it recognises BOOLEAN, BIGINT, INT and DOUBLE; TIMESTAMP as UNIX
/// milliseconds, DATE as days since 1970-01-01; an empty or invalid field in such a column is
/// `HIVE_BAD_DATA: Error parsing field value`, or NULL with `use.null.for.invalid.data`).
/// Integers and doubles parse as Java's `parseLong`/`parseDouble`, booleans are `true`/`false` in
/// any case. `Ok(None)` for the other types (text, decimals, nested: read as before); `Err`
/// holds the field and why it does not parse.
pub fn csv_column(
    strings: &StringArray,
    target: &DataType,
    null_for_invalid: bool,
) -> Result<Option<ArrayRef>, (String, String)> {
    fn parse<T>(
        strings: &StringArray,
        null_for_invalid: bool,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<Option<T>>, (String, String)> {
        strings
            .iter()
            .map(|s| match s {
                None => Ok(None),
                Some(text) => match f(text) {
                    Some(v) => Ok(Some(v)),
                    None if null_for_invalid => Ok(None),
                    None => Err((text.to_string(), format!("For input string: \"{text}\""))),
                },
            })
            .collect()
    }
    let unreadable = || (String::new(), "unsupported column type".to_string());
    let array: ArrayRef = match target {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let (lo, hi) = integer_range(target);
            let values = parse(strings, null_for_invalid, |t| java_long(t).filter(|v| (lo..=hi).contains(v)))?;
            from_i64s(values.into_iter(), target).ok_or_else(unreadable)?
        }
        DataType::Float64 => Arc::new(Float64Array::from(parse(strings, null_for_invalid, double)?)),
        DataType::Float32 => Arc::new(Float32Array::from(parse(strings, null_for_invalid, real)?)),
        DataType::Boolean => {
            Arc::new(datafusion::arrow::array::BooleanArray::from(parse(strings, null_for_invalid, |t| {
                if t.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if t.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    None
                }
            })?))
        }
        DataType::Date32 => Arc::new(Date32Array::from(parse(strings, null_for_invalid, |t| {
            java_long(t).and_then(|d| i32::try_from(d).ok())
        })?)),
        // UNIX milliseconds, in the column's unit.
        DataType::Timestamp(unit, None) => {
            let per_milli = per_second(*unit) / 1000;
            let values = parse(strings, null_for_invalid, |t| {
                let ms = java_long(t)?;
                if per_milli == 0 { Some(ms.div_euclid(1000)) } else { ms.checked_mul(per_milli) }
            })?;
            from_i64s(values.into_iter(), target).ok_or_else(unreadable)?
        }
        _ => return Ok(None),
    };
    Ok(Some(array))
}

/// Java's `Long.parseLong`: an optional sign and decimal digits, nothing else.
fn java_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A JSON value as the OpenX SerDe's reader (Trino's `OpenXJsonDeserializer`) coerces it to a
/// scalar column, shaped so arrow's JSON decoder reads it exactly (a timestamp as an integer in
/// the column's unit, a date as a day number, a decimal as its digits); `None` where arrow's own
/// reading is kept (text, nested types, NULL). A value it cannot read is `Value::Null`.
///
/// - integers: numbers truncated, strings read as a decimal and truncated (`"12.5"` is 12);
/// - doubles: strings as Java's `parseDouble` (`"NaN"`, `"1e3"`; `"inf"` is NULL);
/// - booleans: Java's `Boolean.parseBoolean` of the text: `true` in any case, anything else false;
/// - decimals: the number's shortest digits (or the string) rounded half up;
/// - dates: Hive's date text, or a number of days;
/// - timestamps: a number, or a string of digits, is epoch seconds, or milliseconds from 13
///   digits on, or seconds with a fraction; text with a zone (`Z`, `+02:00`) is that instant in
///   UTC; other text Hive's `y-M-d H:m:s[.f]` or ISO local; the fraction rounded half up.
pub fn openx_value(v: &serde_json::Value, t: &DataType) -> Option<serde_json::Value> {
    use serde_json::Value;
    // The usual cases, kept as they are or read without formatting the number.
    match (v, t) {
        (Value::Number(n), DataType::Float64 | DataType::Float32) if n.as_f64().is_some_and(f64::is_finite) => {
            return None;
        }
        (Value::Bool(_), DataType::Boolean) => return None,
        (Value::Number(n), DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64)
            if n.as_i64().is_some() =>
        {
            let (lo, hi) = integer_range(t);
            return Some(n.as_i64().filter(|i| (lo..=hi).contains(i)).map_or(Value::Null, Value::from));
        }
        (Value::Number(n), DataType::Timestamp(unit, None)) if n.as_i64().is_some() => {
            let i = n.as_i64().unwrap_or_default();
            // The length of its text, as Trino measures it.
            let length = i.unsigned_abs().checked_ilog10().map_or(1, |l| l as usize + 1) + usize::from(i < 0);
            return Some(epoch(i, length, *unit).map_or(Value::Null, Value::from));
        }
        _ => {}
    }
    let text = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Object(_) => {
            return match t {
                DataType::Boolean => Some(Value::Bool(false)),
                _ => None,
            };
        }
    };
    let number = |x: Option<i64>| x.map_or(Value::Null, Value::from);
    Some(match t {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let (lo, hi) = integer_range(t);
            number(truncated(&text).filter(|n| (lo..=hi).contains(n)))
        }
        DataType::Float64 | DataType::Float32 => match double(&text) {
            Some(x) if x.is_finite() => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
            // arrow's decoder reads these spellings as the special values.
            Some(x) if x.is_nan() => Value::String("NaN".into()),
            Some(x) if x > 0.0 => Value::String("inf".into()),
            Some(_) => Value::String("-inf".into()),
            None => Value::Null,
        },
        DataType::Boolean => Value::Bool(text.eq_ignore_ascii_case("true")),
        DataType::Decimal128(p, s) => match decimal(&text, *p, *s) {
            Some(u) => Value::String(Decimal128Type::format_decimal(u, *p, *s)),
            None => Value::Null,
        },
        DataType::Date32 => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
            match java_long(&text) {
                Some(days) => number(Some(days)),
                None => number(date(&text).map(|d| (d - epoch).num_days())),
            }
        }
        DataType::Timestamp(unit, None) => number(openx_timestamp(&text, *unit)),
        _ => return None,
    })
}

fn integer_range(t: &DataType) -> (i64, i64) {
    match t {
        DataType::Int8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
        DataType::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DataType::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

/// A number's text truncated toward zero (`new BigDecimal(s).setScale(0, DOWN)`): an integer
/// exactly, a fraction or an exponent through a double (exact below 2^53).
fn truncated(text: &str) -> Option<i64> {
    if let Some(n) = java_long(text) {
        return Some(n);
    }
    let decimal_text = !text.is_empty()
        && text.bytes().any(|c| c.is_ascii_digit())
        && text.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'));
    let x: f64 = text.parse().ok().filter(|_| decimal_text)?;
    let t = x.trunc();
    (t.abs() < 9.2e18).then_some(t as i64)
}

/// An epoch number whose text is `length` characters long, in `unit`s: OpenX reads 13
/// characters and more as milliseconds, fewer as seconds.
fn epoch(n: i64, length: usize, unit: TimeUnit) -> Option<i64> {
    let units = n.checked_mul(per_second(unit))?;
    Some(if length >= 13 { units.div_euclid(1000) } else { units })
}

/// OpenX's `parseTimestamp`, in `unit`s since the epoch.
fn openx_timestamp(text: &str, unit: TimeUnit) -> Option<i64> {
    let per_second = per_second(unit);
    let t = text.trim();
    // Digits only: epoch seconds, or milliseconds from 13 characters on, or seconds.fraction.
    if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.')) {
        if t.contains('.') {
            let seconds: f64 = t.parse().ok()?;
            return Some((seconds * per_second as f64).round() as i64);
        }
        return epoch(t.parse().ok()?, t.len(), unit);
    }
    // With a zone: that instant, in UTC.
    let zoned = t.ends_with(['Z', 'z']) || t.rfind(['+', '-']).is_some_and(|i| i > 10 && t[..i].contains(':'));
    if zoned {
        let normalized = t.replacen(' ', "T", 1);
        let at = chrono::DateTime::parse_from_rfc3339(&normalized)
            .or_else(|_| chrono::DateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .ok()?;
        let nanos = i64::from(at.timestamp_subsec_nanos());
        let step = 1_000_000_000 / per_second;
        return at.timestamp().checked_mul(per_second)?.checked_add((nanos + step / 2) / step);
    }
    // A date alone is not a timestamp for OpenX.
    if !t.contains(':') {
        return None;
    }
    timestamp(t, unit)
}

/// `LongEncoding`: `[+-]digits[.digits]`, the fraction validated and dropped.
fn integer(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (negative, rest) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if rest.is_empty() {
        return None;
    }
    let (whole, fraction) = match rest.iter().position(|&c| c == b'.') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    if !whole.iter().chain(fraction).all(u8::is_ascii_digit) {
        return None;
    }
    // Accumulated negatively, as Java's parseLong, so the smallest long fits.
    let mut v: i64 = 0;
    for &d in whole {
        v = v.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative { Some(v) } else { v.checked_neg() }
}

/// Java's `Double.parseDouble` text: trimmed, `NaN`/`Infinity` with an optional sign, decimal
/// digits with an optional exponent and a trailing type letter.
fn java_number(s: &str) -> Option<&str> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).filter(|r| !r.is_empty()).unwrap_or(t);
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "NaN" || unsigned == "Infinity" {
        return Some(t);
    }
    unsigned.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')).then_some(t)
}

fn double(s: &str) -> Option<f64> {
    java_float(s, f64::NAN, f64::INFINITY)
}

fn real(s: &str) -> Option<f32> {
    java_float(s, f32::NAN, f32::INFINITY)
}

/// Java's `Double.parseDouble` / `Float.parseFloat` of `s` (see [`java_number`]).
fn java_float<T: std::str::FromStr + std::ops::Neg<Output = T>>(s: &str, nan: T, infinity: T) -> Option<T> {
    // The usual shape, plain digits (`12.5`, `-3`, `1e3`), goes straight to the parser.
    if s.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'e' | b'E' | b'+'))
        && s.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'-' || c == b'.')
    {
        return s.parse().ok();
    }
    let t = java_number(s)?;
    match t.trim_start_matches('+') {
        "NaN" | "-NaN" => Some(nan),
        "Infinity" => Some(infinity),
        "-Infinity" => Some(-infinity),
        n => n.parse().ok(),
    }
}

/// `new BigDecimal(text)` rounded half up to `s` digits, or `None` (also past `p` digits).
fn decimal(text: &str, p: u8, s: i8) -> Option<i128> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, unsigned) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let exp10 = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    crate::query::trino::casts::unscaled_half_up(negative, if digits.is_empty() { "0" } else { digits }, exp10, p, s)
}

/// `parseHiveDate`: trimmed, up to the first space, `y-M-d` resolved leniently.
fn date(s: &str) -> Option<NaiveDate> {
    if let Some(d) = s.as_bytes().get(..10).and_then(canonical_date)
        && (s.len() == 10 || s.as_bytes()[10] == b' ')
    {
        return Some(d);
    }
    let t = s.trim();
    let t = t.split(' ').next().unwrap_or(t);
    lenient_date(t)
}

/// `yyyy-MM-dd` with a valid month and day, the usual shape, read without the lenient resolver.
#[inline]
fn canonical_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// ASCII digits as a number (at most 9 of them).
#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |v, &c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
}

/// `y-M-d` (1 to 10 year digits, 1 or 2 month and day digits) as Java's LENIENT resolver reads
/// it: January 1st of the year, plus the months, plus the days.
fn lenient_date(t: &str) -> Option<NaiveDate> {
    let mut parts = t.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !(1..=10).contains(&y.len())
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
        || !y.bytes().chain(m.bytes()).chain(d.bytes()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (y, m, d): (i32, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let first = NaiveDate::from_ymd_opt(y, 1, 1)?;
    let months = m - 1;
    let shifted = if months >= 0 {
        first.checked_add_months(Months::new(u32::try_from(months).ok()?))?
    } else {
        first.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?
    };
    shifted.checked_add_signed(Duration::days(d - 1))
}

/// `yyyy-MM-dd HH:mm:ss[.f{1,9}]` with valid fields, the usual shape, read without the lenient
/// resolver: the local time and its nanoseconds.
#[inline]
fn canonical_timestamp(b: &[u8]) -> Option<(NaiveDateTime, u32)> {
    if b.len() < 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let day = canonical_date(&b[..10])?;
    let (h, m, sec) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    Some((day.and_hms_opt(h, m, sec)?, nanos))
}

/// `parseHiveTimestamp` in `unit`s since the epoch.
fn timestamp(s: &str, unit: TimeUnit) -> Option<i64> {
    if s.len() < 8 {
        return None;
    }
    let t = s.trim();
    let (local, nanos) =
        canonical_timestamp(t.as_bytes()).or_else(|| hive_default_timestamp(t)).or_else(|| iso_timestamp(t))?;
    let seconds = local.and_utc().timestamp();
    let per_second = per_second(unit);
    // The fraction rounded half up to the unit (Trino's ShortTimestampEncoder).
    let step = 1_000_000_000 / per_second;
    let fraction = (i64::from(nanos) + step / 2) / step;
    seconds.checked_mul(per_second)?.checked_add(fraction)
}

/// `y-M-d[ H:m:s[.fraction]]`, one or two digits a field but the year, resolved leniently.
fn hive_default_timestamp(t: &str) -> Option<(NaiveDateTime, u32)> {
    let (day, time) = match t.split_once(' ') {
        Some((d, rest)) => (d, Some(rest)),
        None => (t, None),
    };
    let midnight = lenient_date(day)?.and_hms_opt(0, 0, 0)?;
    let Some(time) = time else { return Some((midnight, 0)) };
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut fields = hms.split(':');
    let (h, m, sec) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some()
        || [h, m, sec].iter().any(|f| !(1..=2).contains(&f.len()) || !f.bytes().all(|c| c.is_ascii_digit()))
        || fraction.len() > 9
        || !fraction.bytes().all(|c| c.is_ascii_digit())
        || (time.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let (h, m, sec): (i64, i64, i64) = (h.parse().ok()?, m.parse().ok()?, sec.parse().ok()?);
    let at = midnight.checked_add_signed(Duration::seconds(h * 3600 + m * 60 + sec))?;
    Some((at, nanos_of(fraction)?))
}

/// ISO_LOCAL_DATE_TIME: `yyyy-MM-ddTHH:mm[:ss[.fraction]]`, strict, no zone.
fn iso_timestamp(t: &str) -> Option<(NaiveDateTime, u32)> {
    let (day, time) = t.split_once('T')?;
    let b = day.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let fields: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&fields.len())
        || fields.iter().any(|f| f.len() != 2 || !f.bytes().all(|c| c.is_ascii_digit()))
        || (fields.len() == 2 && time.contains('.'))
        || fraction.len() > 9
        || !fraction.bytes().all(|c| c.is_ascii_digit())
        || (time.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let n = |i: usize| fields.get(i).map_or(Some(0), |f| f.parse::<u32>().ok());
    Some((date.and_hms_opt(n(0)?, n(1)?, n(2)?)?, nanos_of(fraction)?))
}

/// Up to nine fraction digits as nanoseconds.
fn nanos_of(fraction: &str) -> Option<u32> {
    if fraction.is_empty() {
        return Some(0);
    }
    let v: u32 = fraction.parse().ok()?;
    Some(v * 10u32.pow(9 - fraction.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values are the rules of Trino's text encodings (LongEncoding, DoubleEncoding,
    // DecimalEncoding, HiveFormatUtils.parseHiveDate/parseHiveTimestamp), worked by hand.
    #[test]
    fn integers_drop_a_checked_fraction_and_take_no_whitespace() {
        for (text, want) in [
            ("12", Some(12)),
            ("+5", Some(5)),
            ("-7", Some(-7)),
            ("12.0", Some(12)),
            ("12.5", Some(12)),
            ("-12.9", Some(-12)),
            ("7.", Some(7)),
            (".5", Some(0)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            (" 5", None),
            ("5 ", None),
            ("12.5x", None),
            ("1e3", None),
            ("1,000", None),
            ("-", None),
            ("", None),
        ] {
            assert_eq!(integer(text), want, "{text:?}");
        }
    }

    #[test]
    fn csv_columns_take_what_athenas_csv_reader_recognises() {
        let strings = StringArray::from(vec![Some("12"), Some(""), None, Some("1.5")]);
        let err = csv_column(&strings, &DataType::Int32, false).unwrap_err();
        assert_eq!(err, ("".to_string(), "For input string: \"\"".to_string()), "an empty integer field fails");
        let lenient = csv_column(&strings, &DataType::Int64, true).unwrap().unwrap();
        let lenient = lenient.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(lenient.iter().collect::<Vec<_>>(), vec![Some(12), None, None, None]);
        let ms = StringArray::from(vec!["1579059880000"]);
        let at = csv_column(&ms, &DataType::Timestamp(TimeUnit::Millisecond, None), false).unwrap().unwrap();
        let at = at.as_any().downcast_ref::<datafusion::arrow::array::TimestampMillisecondArray>().unwrap();
        assert_eq!(at.value(0), 1_579_059_880_000);
        let text_time = StringArray::from(vec!["2020-01-15 03:44:40"]);
        assert!(csv_column(&text_time, &DataType::Timestamp(TimeUnit::Millisecond, None), false).is_err());
        let days = StringArray::from(vec!["18276"]);
        let day = csv_column(&days, &DataType::Date32, false).unwrap().unwrap();
        assert_eq!(day.as_any().downcast_ref::<Date32Array>().unwrap().value(0), 18_276, "2020-01-15");
        assert!(csv_column(&strings, &DataType::Utf8, false).unwrap().is_none(), "text stays text");
        assert_eq!(java_long("+7"), Some(7));
        assert_eq!(java_long(" 7"), None);
        assert_eq!(java_long("7.0"), None);
    }

    #[test]
    fn openx_json_values_coerce_as_trinos_reader() {
        use serde_json::{Value, json};
        let ms = DataType::Timestamp(TimeUnit::Millisecond, None);
        let v = |x: Value, t: &DataType| openx_value(&x, t);
        // 2024-01-05 10:00:00 UTC is 1704448800 seconds.
        assert_eq!(v(json!(1704448800), &ms), Some(json!(1_704_448_800_000i64)), "ten digits are seconds");
        assert_eq!(v(json!(1704448800123i64), &ms), Some(json!(1_704_448_800_123i64)), "thirteen are milliseconds");
        assert_eq!(v(json!("1704448800"), &ms), Some(json!(1_704_448_800_000i64)), "also in a string");
        assert_eq!(v(json!(1704448800.5), &ms), Some(json!(1_704_448_800_500i64)));
        assert_eq!(v(json!("2024-01-05T10:00:00Z"), &ms), Some(json!(1_704_448_800_000i64)));
        assert_eq!(v(json!("2024-01-05T12:00:00.1239+02:00"), &ms), Some(json!(1_704_448_800_124i64)), "half up");
        assert_eq!(v(json!("2024-01-05 10:00:00"), &ms), Some(json!(1_704_448_800_000i64)));
        assert_eq!(v(json!("2024-01-05"), &ms), Some(Value::Null), "a date is no timestamp");
        assert_eq!(v(json!("12.5"), &DataType::Int32), Some(json!(12)));
        assert_eq!(v(json!(-12.9), &DataType::Int64), Some(json!(-12)));
        assert_eq!(v(json!("1e3"), &DataType::Int32), Some(json!(1000)));
        assert_eq!(v(json!("12.96"), &DataType::Int32), Some(json!(12)), "truncated, not rounded");
        assert_eq!(v(json!(3_000_000_000i64), &DataType::Int32), Some(Value::Null), "out of range");
        assert_eq!(v(json!(" 12"), &DataType::Int32), Some(Value::Null));
        assert_eq!(v(json!("yes"), &DataType::Boolean), Some(json!(false)), "parseBoolean");
        assert_eq!(v(json!(1), &DataType::Boolean), Some(json!(false)));
        assert_eq!(v(json!("TRUE"), &DataType::Boolean), Some(json!(true)));
        assert_eq!(v(json!(10.005), &DataType::Decimal128(4, 2)), Some(json!("10.01")));
        assert_eq!(v(json!("-0.05"), &DataType::Decimal128(4, 2)), Some(json!("-0.05")));
        assert_eq!(v(json!(100.0), &DataType::Decimal128(4, 2)), Some(Value::Null), "over the precision");
        assert_eq!(v(json!(19727), &DataType::Date32), Some(json!(19727)), "days");
        assert_eq!(v(json!("2024-01-05 10:00:00"), &DataType::Date32), Some(json!(19727)));
        assert_eq!(v(json!("2024-01-05T10:00:00Z"), &DataType::Date32), Some(Value::Null));
        assert_eq!(v(json!("inf"), &DataType::Float64), Some(Value::Null), "not Java's spelling");
        assert_eq!(v(json!("1.5"), &DataType::Float64), Some(json!(1.5)));
        assert_eq!(v(json!("x"), &DataType::Utf8), None, "text is read as before");
        assert_eq!(v(json!(123.45), &DataType::Decimal128(10, 2)), Some(json!("123.45")));
        assert_eq!(v(json!(7), &DataType::Decimal128(4, 0)), Some(json!("7")));
    }

    #[test]
    fn doubles_read_as_java_reads_them() {
        assert_eq!(double("1e3"), Some(1000.0));
        assert_eq!(double(" 1.5 "), Some(1.5));
        assert_eq!(double("1.5d"), Some(1.5));
        assert_eq!(double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(double("NaN").is_some_and(f64::is_nan));
        for text in ["nan", "inf", "INFINITY", "1,5", "", "abc"] {
            assert_eq!(double(text), None, "{text:?}");
        }
        assert_eq!(real("0.1"), Some(0.1f32));
    }

    #[test]
    fn decimals_round_half_up_and_refuse_what_does_not_fit() {
        assert_eq!(decimal("1.005", 10, 2), Some(101));
        assert_eq!(decimal("-1.005", 10, 2), Some(-101));
        assert_eq!(decimal("1e2", 10, 2), Some(10_000));
        assert_eq!(decimal("12", 10, 2), Some(1_200));
        assert_eq!(decimal(".5", 10, 1), Some(5));
        assert_eq!(decimal("999.995", 5, 2), None, "rounds to 1000.00: six digits");
        assert_eq!(decimal(" 1.5", 10, 2), None, "BigDecimal does not trim");
        assert_eq!(decimal("", 10, 2), None);
        assert_eq!(decimal("1.2.3", 10, 2), None);
    }

    #[test]
    fn dates_stop_at_a_space_and_resolve_leniently() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(date("2024-01-05"), d(2024, 1, 5));
        assert_eq!(date("2024-1-5"), d(2024, 1, 5));
        assert_eq!(date(" 2024-01-05 10:00:00"), d(2024, 1, 5));
        assert_eq!(date("2024-02-30"), d(2024, 3, 1));
        assert_eq!(date("20240105"), None);
        assert_eq!(date("2024-01-05T10:00:00"), None);
        assert_eq!(date("01/05/2024"), None);
    }

    #[test]
    fn timestamps_take_hive_text_or_iso_without_a_zone() {
        let ms = |s: &str| timestamp(s, TimeUnit::Millisecond);
        let at = |y, mo, d, h, mi, s, milli: i64| {
            NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, s).unwrap().and_utc().timestamp() * 1000
                + milli
        };
        assert_eq!(ms("2024-01-05 10:00:00"), Some(at(2024, 1, 5, 10, 0, 0, 0)));
        assert_eq!(ms("2024-01-05 10:00:00.1239"), Some(at(2024, 1, 5, 10, 0, 0, 124)), "half up");
        assert_eq!(ms("2024-01-05 10:00:00.123456789"), Some(at(2024, 1, 5, 10, 0, 0, 123)));
        assert_eq!(ms("2024-1-5 1:2:3"), Some(at(2024, 1, 5, 1, 2, 3, 0)));
        assert_eq!(ms(" 2024-01-05 10:00:00 "), Some(at(2024, 1, 5, 10, 0, 0, 0)));
        assert_eq!(ms("2024-01-05"), Some(at(2024, 1, 5, 0, 0, 0, 0)));
        assert_eq!(ms("2024-01-05T10:00:00"), Some(at(2024, 1, 5, 10, 0, 0, 0)));
        assert_eq!(ms("2024-01-05T10:00"), Some(at(2024, 1, 5, 10, 0, 0, 0)));
        assert_eq!(ms("2024-01-05T10:00:00.5"), Some(at(2024, 1, 5, 10, 0, 0, 500)));
        for text in
            ["2024-01-05T10:00:00Z", "2024-01-05T10:00:00+02:00", "2024-01-05 10:00", "1704448800000", "24-1-5", "x"]
        {
            assert_eq!(ms(text), None, "{text:?}");
        }
        assert_eq!(timestamp("2024-01-05 10:00:00.5", TimeUnit::Second), Some(at(2024, 1, 5, 10, 0, 1, 0) / 1000));
    }
}
