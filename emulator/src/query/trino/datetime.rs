//! Trino's date and time functions. Athena's session zone is UTC: timestamps without a zone are
//! UTC wall-clock times; values with a zone are Arrow timestamps whose zone is the Trino zone
//! (`UTC`, a region such as `Europe/Paris`, or an offset such as `+01:00`).
//! <https://trino.io/docs/current/functions/datetime.html>

use super::udf::{Udf, arity, arity_with, invalid};
use super::values::{any_null, bigint, float, int, rowwise, text, utf8};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{ScalarUDF, Volatility};
use std::sync::Arc;

const MS_PER_DAY: i64 = 86_400_000;

/// A date or timestamp argument: UTC milliseconds, whether it was a date, and its zone.
#[derive(Debug, Clone)]
pub struct Instant {
    pub millis: i64,
    pub date: bool,
    pub zone: Option<Arc<str>>,
}

pub fn instant(v: &ScalarValue) -> Option<Instant> {
    let ts = |millis: i64, zone: &Option<Arc<str>>| Some(Instant { millis, date: false, zone: zone.clone() });
    match v {
        ScalarValue::Date32(Some(d)) => Some(Instant { millis: i64::from(*d) * MS_PER_DAY, date: true, zone: None }),
        ScalarValue::Date64(Some(d)) => Some(Instant { millis: *d, date: true, zone: None }),
        ScalarValue::TimestampSecond(Some(v), z) => ts(v * 1000, z),
        ScalarValue::TimestampMillisecond(Some(v), z) => ts(*v, z),
        ScalarValue::TimestampMicrosecond(Some(v), z) => ts(v.div_euclid(1000), z),
        ScalarValue::TimestampNanosecond(Some(v), z) => ts(v.div_euclid(1_000_000), z),
        _ => None,
    }
}

/// The wall-clock time of an instant in its zone (UTC when it has none).
pub fn local(i: &Instant) -> NaiveDateTime {
    let utc = DateTime::<Utc>::from_timestamp_millis(i.millis).unwrap_or_default();
    match i.zone.as_deref().map(zone) {
        Some(Some(Zone::Named(z))) => utc.with_timezone(&z).naive_local(),
        Some(Some(Zone::Fixed(o))) => utc.with_timezone(&o).naive_local(),
        _ => utc.naive_utc(),
    }
}

pub enum Zone {
    Named(chrono_tz::Tz),
    Fixed(chrono::FixedOffset),
}

pub fn zone(name: &str) -> Option<Zone> {
    if let Ok(z) = name.parse::<chrono_tz::Tz>() {
        return Some(Zone::Named(z));
    }
    let s = name.strip_prefix("UTC").or_else(|| name.strip_prefix("GMT")).unwrap_or(name);
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    chrono::FixedOffset::east_opt(secs).map(Zone::Fixed)
}

/// The UTC milliseconds of a wall-clock time in a zone.
pub(super) fn from_local(t: NaiveDateTime, z: Option<&str>) -> Option<i64> {
    match z.map(zone) {
        Some(Some(Zone::Named(tz))) => tz.from_local_datetime(&t).earliest().map(|d| d.timestamp_millis()),
        Some(Some(Zone::Fixed(o))) => o.from_local_datetime(&t).earliest().map(|d| d.timestamp_millis()),
        _ => Some(t.and_utc().timestamp_millis()),
    }
}

fn value_of(i: &Instant, millis: i64) -> ScalarValue {
    if i.date {
        ScalarValue::Date32(Some(millis.div_euclid(MS_PER_DAY) as i32))
    } else {
        ScalarValue::TimestampMillisecond(Some(millis), i.zone.clone())
    }
}

/// The result type of functions that keep their argument's kind: dates stay dates, timestamps
/// become `timestamp(3)` with the same zone.
fn same_kind(t: &DataType) -> Result<DataType> {
    Ok(match t {
        DataType::Date32 | DataType::Date64 => DataType::Date32,
        DataType::Timestamp(_, zone) => DataType::Timestamp(TimeUnit::Millisecond, zone.clone()),
        DataType::Null => DataType::Timestamp(TimeUnit::Millisecond, None),
        other => {
            return Err(datafusion::error::DataFusionError::Plan(format!(
                "TYPE_MISMATCH: line 1:1: Unexpected parameters ({}) for a date/time function",
                crate::query::types::athena_type_name(other)
            )));
        }
    })
}

fn add_months(t: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let total = i64::from(t.year()) * 12 + i64::from(t.month0()) + months;
    let (year, month0) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32);
    let last = last_day(year, month0 + 1)?;
    NaiveDate::from_ymd_opt(year, month0 + 1, t.day().min(last)).map(|d| d.and_time(t.time()))
}

fn last_day(year: i32, month: u32) -> Option<u32> {
    let next =
        if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    next.map(|d| (d - Duration::days(1)).day())
}

fn unit_of(r: &ScalarValue) -> Result<String> {
    Ok(text(r).unwrap_or("").to_ascii_lowercase())
}

fn bad_unit(unit: &str, date: bool) -> datafusion::error::DataFusionError {
    invalid(format!("'{unit}' is not a valid {} field", if date { "DATE" } else { "TIMESTAMP" }))
}

/// `date_add(unit, value, x)`.
pub fn date_add(unit: &str, n: i64, i: &Instant) -> Result<i64> {
    let fixed = |ms: i64| {
        if i.date {
            Err(bad_unit(unit, true))
        } else {
            n.checked_mul(ms).and_then(|d| i.millis.checked_add(d)).ok_or_else(|| invalid("date_add overflows"))
        }
    };
    let months = |m: i64| -> Result<i64> {
        let t = add_months(local(i), n.checked_mul(m).ok_or_else(|| invalid("date_add overflows"))?)
            .ok_or_else(|| invalid("date_add overflows"))?;
        if i.date {
            Ok(t.and_utc().timestamp_millis())
        } else {
            from_local(t, i.zone.as_deref()).ok_or_else(|| invalid("no such local time"))
        }
    };
    match unit {
        "millisecond" => fixed(1),
        "second" => fixed(1000),
        "minute" => fixed(60_000),
        "hour" => fixed(3_600_000),
        "day" | "week" => {
            let days = if unit == "week" { 7 } else { 1 };
            let t = local(i) + Duration::days(n * days);
            if i.date {
                Ok(t.and_utc().timestamp_millis())
            } else {
                from_local(t, i.zone.as_deref()).ok_or_else(|| invalid("no such local time"))
            }
        }
        "month" => months(1),
        "quarter" => months(3),
        "year" => months(12),
        other => Err(bad_unit(other, i.date)),
    }
}

/// Whole months from `start` to `end` as Joda counts them (Trino's `date_diff` is Joda's field
/// difference): when `end` is the last day of its month, a later day of month in `start` counts
/// as that last day, so 2024-01-31 to 2024-02-29 is one month, as adding a month to the first
/// gives the second. Negative when `end` is earlier (the difference of the reversed pair).
fn joda_months(start: NaiveDateTime, end: NaiveDateTime) -> i64 {
    if end < start {
        return -joda_months(end, start);
    }
    let mut months =
        (i64::from(end.year()) - i64::from(start.year())) * 12 + i64::from(end.month()) - i64::from(start.month());
    let last_of_month = NaiveDate::from_ymd_opt(end.year(), end.month(), 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day());
    let start_day = if end.day() == last_of_month { start.day().min(end.day()) } else { start.day() };
    if (end.day(), end.time()) < (start_day, start.time()) {
        months -= 1;
    }
    months
}

/// `date_diff(unit, a, b)`: whole units from a to b, truncated toward zero.
pub fn date_diff(unit: &str, a: &Instant, b: &Instant) -> Result<i64> {
    let ms = b.millis - a.millis;
    let date = a.date && b.date;
    let fixed = |per: i64| if date { Err(bad_unit(unit, true)) } else { Ok(ms / per) };
    let months = || joda_months(local(a), local(b));
    match unit {
        "millisecond" => fixed(1),
        "second" => fixed(1000),
        "minute" => fixed(60_000),
        "hour" => fixed(3_600_000),
        "day" => Ok(ms / MS_PER_DAY),
        "week" => Ok(ms / (7 * MS_PER_DAY)),
        "month" => Ok(months()),
        "quarter" => Ok(months() / 3),
        "year" => Ok(months() / 12),
        other => Err(bad_unit(other, date)),
    }
}

/// `date_trunc(unit, x)`.
pub fn date_trunc(unit: &str, i: &Instant) -> Result<i64> {
    let t = local(i);
    let day = t.date();
    let truncated = match unit {
        "millisecond" => return Ok(i.millis),
        "second" if !i.date => t.with_nanosecond(0),
        "minute" if !i.date => t.with_nanosecond(0).and_then(|t| t.with_second(0)),
        "hour" if !i.date => t.with_nanosecond(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_minute(0)),
        "day" => Some(day.and_hms_opt(0, 0, 0).unwrap_or_default()),
        "week" => Some(
            (day - Duration::days(i64::from(day.weekday().num_days_from_monday())))
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default(),
        ),
        "month" => NaiveDate::from_ymd_opt(day.year(), day.month(), 1).and_then(|d| d.and_hms_opt(0, 0, 0)),
        "quarter" => {
            NaiveDate::from_ymd_opt(day.year(), day.month0() / 3 * 3 + 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
        }
        "year" => NaiveDate::from_ymd_opt(day.year(), 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)),
        other => return Err(bad_unit(other, i.date)),
    }
    .ok_or_else(|| invalid("date_trunc out of range"))?;
    if i.date {
        Ok(truncated.and_utc().timestamp_millis())
    } else {
        from_local(truncated, i.zone.as_deref()).ok_or_else(|| invalid("no such local time"))
    }
}

/// `date_trunc` with a constant unit over a column, without a value per row: the monthly
/// reports' grouping key.
fn date_trunc_vectorized(a: &super::udf::Args<'_>) -> Result<Option<datafusion::arrow::array::ArrayRef>> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Date32Type, TimestampMillisecondType};
    let unit_array = a.get(0);
    if unit_array.null_count() > 0 || a.rows == 0 {
        return Ok(None);
    }
    let units = super::udf::strings(unit_array)?;
    let units = units.as_string::<i32>();
    let first = units.value(0);
    if units.iter().any(|u| u != Some(first)) {
        return Ok(None);
    }
    let unit = first.to_ascii_lowercase();
    let target = a.result.data_type();
    let input = datafusion::arrow::compute::cast(a.get(1), target)?;
    let result: datafusion::arrow::array::ArrayRef = match target {
        DataType::Date32 => {
            let days = input.as_primitive::<Date32Type>();
            std::sync::Arc::new(days.try_unary::<_, Date32Type, datafusion::error::DataFusionError>(|d| {
                let i = Instant { millis: i64::from(d) * MS_PER_DAY, date: true, zone: None };
                Ok(date_trunc(&unit, &i)?.div_euclid(MS_PER_DAY) as i32)
            })?)
        }
        DataType::Timestamp(_, zone) => {
            let ms = input.as_primitive::<TimestampMillisecondType>();
            let fixed = match unit.as_str() {
                "second" => Some(1000),
                "minute" => Some(60_000),
                "hour" if zone.is_none() => Some(3_600_000),
                "day" if zone.is_none() => Some(MS_PER_DAY),
                _ => None,
            };
            let out = match fixed {
                Some(step) => ms.unary::<_, TimestampMillisecondType>(|v| v - v.rem_euclid(step)),
                None => ms.try_unary::<_, TimestampMillisecondType, datafusion::error::DataFusionError>(|v| {
                    date_trunc(&unit, &Instant { millis: v, date: false, zone: zone.clone() })
                })?,
            };
            std::sync::Arc::new(out.with_timezone_opt(zone.clone()))
        }
        _ => return Ok(None),
    };
    Ok(Some(result))
}

/// A MySQL `date_format` pattern as a chrono one.
pub fn mysql_to_chrono(pattern: &str, parsing: bool) -> Result<String> {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else { break };
        out.push_str(match spec {
            'a' => "%a",
            'b' => "%b",
            'c' => {
                if parsing {
                    "%m"
                } else {
                    "%-m"
                }
            }
            'd' => "%d",
            'e' => {
                if parsing {
                    "%e"
                } else {
                    "%-d"
                }
            }
            'f' => "%6f",
            'H' => "%H",
            'h' | 'I' => "%I",
            'i' => "%M",
            'j' => "%j",
            'k' => {
                if parsing {
                    "%H"
                } else {
                    "%-H"
                }
            }
            'l' => {
                if parsing {
                    "%I"
                } else {
                    "%-I"
                }
            }
            'M' => "%B",
            'm' => "%m",
            'p' => "%p",
            'r' => "%I:%M:%S %p",
            'S' | 's' => "%S",
            'T' => "%H:%M:%S",
            'v' => "%V",
            'x' => "%G",
            'W' => "%A",
            'w' => "%w",
            'Y' => "%Y",
            'y' => "%y",
            '%' => "%%",
            other => return Err(invalid(format!("%{other} not supported in date format string"))),
        });
    }
    // A fraction after a dot: chrono's `%.f` reads any number of digits.
    Ok(if parsing { out.replace(".%6f", "%.f") } else { out })
}

/// A Joda-Time pattern (`format_datetime`, `parse_datetime`) as a chrono one.
pub fn joda_to_chrono(pattern: &str) -> Result<String> {
    joda_pattern(pattern, None)
}

/// A Joda pattern as chrono's, with the names a formatted value's zone prints as: `ZZZ` (or more)
/// is the zone's id, `z` its abbreviation (`None` when parsing).
fn joda_pattern(pattern: &str, names: Option<(&str, &str)>) -> Result<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal text; '' is a quote.
            i += 1;
            if chars.get(i) == Some(&'\'') {
                out.push('\'');
                i += 1;
                continue;
            }
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '%' {
                    out.push_str("%%");
                } else {
                    out.push(chars[i]);
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if c == '%' {
                out.push_str("%%")
            } else {
                out.push(c)
            }
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        i += n;
        // A formatted value's zone by name: `ZZZ` (or more) its id, `z` its abbreviation.
        let name = match (c, n, names) {
            ('Z', 3.., Some((id, _))) => Some(id),
            ('z', _, Some((_, abbreviation))) => Some(abbreviation),
            _ => None,
        };
        if let Some(name) = name {
            out.push_str(&name.replace('%', "%%"));
            continue;
        }
        out.push_str(match (c, n) {
            ('y' | 'Y' | 'x', 2) => "%y",
            ('y' | 'Y' | 'x', _) => "%Y",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('D', _) => "%j",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', 1) => "%1f",
            ('S', 2) => "%2f",
            ('S', 3) => "%3f",
            ('S', 6) => "%6f",
            ('S', _) => "%9f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('e', _) => "%u",
            ('Z', 1) => "%z",
            ('Z', _) => "%:z",
            ('z', _) => "%Z",
            (other, _) => return Err(invalid(format!("Illegal pattern component: {other}"))),
        });
    }
    Ok(out)
}

/// `format_datetime`: the instant in its zone (UTC, the session zone, when it has none), Joda's
/// `Z` as `+0900`, `ZZ` as `+09:00`, `ZZZ` as the zone id, `z` as its abbreviation.
fn format_joda(i: &Instant, pattern: &str) -> Result<String> {
    use chrono_tz::OffsetName as _;
    let utc = DateTime::<Utc>::from_timestamp_millis(i.millis).unwrap_or_default();
    let (t, id, abbreviation) = match i.zone.as_deref().map(|z| (z, zone(z))) {
        Some((_, Some(Zone::Named(tz)))) => {
            let t = utc.with_timezone(&tz);
            let abbreviation = t.offset().abbreviation().unwrap_or(tz.name()).to_string();
            (t.fixed_offset(), tz.name().to_string(), abbreviation)
        }
        Some((name, Some(Zone::Fixed(o)))) => (utc.with_timezone(&o), name.to_string(), o.to_string()),
        _ => (utc.fixed_offset(), "UTC".to_string(), "UTC".to_string()),
    };
    let chrono_pattern = joda_pattern(pattern, Some((&id, &abbreviation)))?;
    use std::fmt::Write as _;
    let mut s = String::new();
    write!(s, "{}", t.format(&chrono_pattern)).map_err(|_| invalid(format!("Invalid format: {pattern}")))?;
    Ok(s)
}

fn format_with(t: NaiveDateTime, chrono_pattern: &str) -> Result<String> {
    use std::fmt::Write as _;
    let mut s = String::new();
    write!(s, "{}", t.format(chrono_pattern)).map_err(|_| invalid(format!("Invalid format: {chrono_pattern}")))?;
    Ok(s)
}

/// Parses with a chrono pattern; fields the pattern lacks default to 1970-01-01 00:00:00.
pub fn parse_with(s: &str, chrono_pattern: &str) -> Result<NaiveDateTime> {
    use chrono::format::{Parsed, StrftimeItems, parse};
    let mut p = Parsed::new();
    parse(&mut p, s, StrftimeItems::new(chrono_pattern))
        .map_err(|e| invalid(format!("Invalid format: \"{s}\" ({e})")))?;
    let bad = |e: chrono::format::ParseError| invalid(format!("Invalid format: \"{s}\" ({e})"));
    if p.year().is_none() && p.year_mod_100().is_none() && p.isoyear().is_none() {
        p.set_year(1970).map_err(bad)?;
    }
    if p.month().is_none() && p.ordinal().is_none() {
        p.set_month(1).map_err(bad)?;
    }
    if p.day().is_none() && p.ordinal().is_none() {
        p.set_day(1).map_err(bad)?;
    }
    if p.hour_div_12().is_none() && p.hour_mod_12().is_none() {
        p.set_hour(0).map_err(bad)?;
    } else if p.hour_div_12().is_none() {
        p.set_ampm(false).map_err(bad)?;
    }
    if p.minute().is_none() {
        p.set_minute(0).map_err(bad)?;
    }
    if p.second().is_none() {
        p.set_second(0).map_err(bad)?;
    }
    p.to_naive_datetime_with_offset(0).map_err(bad)
}

pub fn human_readable_seconds(seconds: f64) -> String {
    let mut left = seconds.round() as i64;
    let mut parts = Vec::new();
    for (name, size) in [("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)] {
        let n = left / size;
        left %= size;
        if n != 0 {
            parts.push(format!("{n} {name}{}", if n.abs() == 1 { "" } else { "s" }));
        }
    }
    if parts.is_empty() { "0 seconds".into() } else { parts.join(", ") }
}

pub fn to_iso8601(i: &Instant) -> String {
    let t = local(i);
    if i.date {
        return t.format("%Y-%m-%d").to_string();
    }
    let base = t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
    match i.zone.as_deref() {
        None => base,
        Some("UTC" | "+00:00" | "Z") => format!("{base}Z"),
        Some(z) => match zone(z) {
            Some(Zone::Fixed(o)) => format!("{base}{o}"),
            Some(Zone::Named(tz)) => {
                let utc = DateTime::<Utc>::from_timestamp_millis(i.millis).unwrap_or_default();
                format!("{base}{}", utc.with_timezone(&tz).format("%:z"))
            }
            None => base,
        },
    }
}

/// `from_iso8601_timestamp`: a date, or a date and time with an optional offset (UTC if none).
pub fn from_iso8601(s: &str) -> Option<(i64, Arc<str>)> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        let offset = d.offset().local_minus_utc();
        let zone: Arc<str> = if offset == 0 && (s.ends_with('Z') || s.ends_with('z')) {
            "UTC".into()
        } else {
            d.offset().to_string().into()
        };
        return Some((d.timestamp_millis(), zone));
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, pattern) {
            return Some((t.and_utc().timestamp_millis(), "UTC".into()));
        }
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(d) = DateTime::parse_from_str(s, pattern) {
            return Some((d.timestamp_millis(), d.offset().to_string().into()));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| (d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis(), "UTC".into()))
}

fn utc_ts() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// A function giving a timestamp in the zone named by its constant second argument:
/// `with_timezone` keeps the wall-clock time, `AT TIME ZONE` the instant.
fn zoned(name: &str, keep_wall_clock: bool) -> ScalarUDF {
    Udf::with_fields(
        name,
        arity(&[2]),
        |_, scalars| {
            let zone: Arc<str> = scalars.get(1).and_then(|s| s.and_then(text)).unwrap_or("UTC").into();
            Ok(datafusion::arrow::datatypes::Field::new(
                "r",
                DataType::Timestamp(TimeUnit::Millisecond, Some(zone)),
                true,
            ))
        },
        move |a| {
            rowwise(a, |r| {
                let (Some(i), Some(z)) = (instant(&r[0]), text(&r[1])) else { return Ok(ScalarValue::Null) };
                if zone(z).is_none() {
                    return Err(invalid(format!("Invalid time zone: {z}")));
                }
                let DataType::Timestamp(_, result_zone) = a.result.data_type() else { unreachable!("a timestamp") };
                if result_zone.as_deref() != Some(z) {
                    return Err(invalid("the time zone must be a constant"));
                }
                let ms = if keep_wall_clock {
                    from_local(local(&i), Some(z)).ok_or_else(|| invalid("no such local time"))?
                } else {
                    i.millis
                };
                Ok(ScalarValue::TimestampMillisecond(Some(ms), result_zone.clone()))
            })
        },
    )
    .udf()
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::new(
            "date_add",
            arity(&[3]),
            |t| same_kind(&t[2]),
            |a| {
                rowwise(a, |r| {
                    let Some(i) = instant(&r[2]).filter(|_| !any_null(r)) else { return Ok(ScalarValue::Null) };
                    let n = int(&r[1]).ok_or_else(|| invalid("date_add takes an integer value"))?;
                    Ok(value_of(&i, date_add(&unit_of(&r[0])?, n, &i)?))
                })
            },
        )
        .udf(),
        Udf::new(
            "date_diff",
            arity(&[3]),
            |_| Ok(DataType::Int64),
            |a| {
                if let Some(out) = super::fast::date_diff(a)? {
                    return Ok(out);
                }
                rowwise(a, |r| {
                    let (Some(x), Some(y)) = (instant(&r[1]), instant(&r[2])) else { return Ok(bigint(None)) };
                    if r[0].is_null() {
                        return Ok(bigint(None));
                    }
                    Ok(bigint(Some(date_diff(&unit_of(&r[0])?, &x, &y)?)))
                })
            },
        )
        .udf(),
        Udf::new(
            "date_trunc",
            arity(&[2]),
            |t| same_kind(&t[1]),
            |a| {
                if let Some(fast) = date_trunc_vectorized(a)? {
                    return Ok(fast);
                }
                rowwise(a, |r| {
                    let Some(i) = instant(&r[1]).filter(|_| !r[0].is_null()) else { return Ok(ScalarValue::Null) };
                    Ok(value_of(&i, date_trunc(&unit_of(&r[0])?, &i)?))
                })
            },
        )
        .udf(),
        Udf::new(
            "last_day_of_month",
            arity(&[1]),
            |_| Ok(DataType::Date32),
            |a| {
                rowwise(a, |r| {
                    let Some(i) = instant(&r[0]) else { return Ok(ScalarValue::Date32(None)) };
                    let t = local(&i);
                    let last =
                        last_day(t.year(), t.month()).and_then(|d| NaiveDate::from_ymd_opt(t.year(), t.month(), d));
                    Ok(ScalarValue::Date32(last.map(|d| d.num_days_from_ce() - 719_163)))
                })
            },
        )
        .udf(),
        Udf::new(
            "date_format",
            arity(&[2]),
            |_| Ok(DataType::Utf8),
            |a| {
                if let Some(out) = super::fast::date_format(a)? {
                    return Ok(out);
                }
                rowwise(a, |r| {
                    let (Some(i), Some(p)) = (instant(&r[0]), text(&r[1])) else { return Ok(utf8(None)) };
                    Ok(utf8(Some(format_with(local(&i), &mysql_to_chrono(p, false)?)?)))
                })
            },
        )
        .udf(),
        Udf::new(
            "date_parse",
            arity(&[2]),
            |_| Ok(DataType::Timestamp(TimeUnit::Millisecond, None)),
            |a| {
                rowwise(a, |r| {
                    let (Some(s), Some(p)) = (text(&r[0]), text(&r[1])) else { return Ok(ScalarValue::Null) };
                    let t = parse_with(s, &mysql_to_chrono(p, true)?)?;
                    Ok(ScalarValue::TimestampMillisecond(Some(t.and_utc().timestamp_millis()), None))
                })
            },
        )
        .udf(),
        Udf::new(
            "format_datetime",
            arity(&[2]),
            |_| Ok(DataType::Utf8),
            |a| {
                rowwise(a, |r| {
                    let (Some(i), Some(p)) = (instant(&r[0]), text(&r[1])) else { return Ok(utf8(None)) };
                    Ok(utf8(Some(format_joda(&i, p)?)))
                })
            },
        )
        .udf(),
        Udf::new(
            "parse_datetime",
            arity(&[2]),
            |_| Ok(utc_ts()),
            |a| {
                rowwise(a, |r| {
                    let (Some(s), Some(p)) = (text(&r[0]), text(&r[1])) else { return Ok(ScalarValue::Null) };
                    let t = parse_with(s, &joda_to_chrono(p)?)?;
                    Ok(ScalarValue::TimestampMillisecond(Some(t.and_utc().timestamp_millis()), Some("UTC".into())))
                })
            },
        )
        .udf(),
        Udf::with_fields(
            "from_iso8601_timestamp",
            arity(&[1]),
            |_, scalars| {
                // The zone of a constant argument is the result's zone; otherwise UTC.
                let zone = scalars.first().and_then(|s| s.and_then(text)).and_then(from_iso8601).map(|(_, z)| z);
                Ok(datafusion::arrow::datatypes::Field::new(
                    "r",
                    DataType::Timestamp(TimeUnit::Millisecond, Some(zone.unwrap_or_else(|| "UTC".into()))),
                    true,
                ))
            },
            |a| {
                rowwise(a, |r| {
                    let Some(s) = text(&r[0]) else { return Ok(ScalarValue::Null) };
                    let (ms, _) = from_iso8601(s).ok_or_else(|| invalid(format!("Invalid format: \"{s}\"")))?;
                    let DataType::Timestamp(_, zone) = a.result.data_type() else {
                        unreachable!("typed as a timestamp")
                    };
                    Ok(ScalarValue::TimestampMillisecond(Some(ms), zone.clone()))
                })
            },
        )
        .udf(),
        Udf::new(
            "from_iso8601_date",
            arity(&[1]),
            |_| Ok(DataType::Date32),
            |a| {
                rowwise(a, |r| {
                    let Some(s) = text(&r[0]) else { return Ok(ScalarValue::Date32(None)) };
                    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| invalid(format!("Invalid format: \"{s}\"")))?;
                    Ok(ScalarValue::Date32(Some(d.num_days_from_ce() - 719_163)))
                })
            },
        )
        .udf(),
        Udf::new(
            "to_iso8601",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| rowwise(a, |r| Ok(utf8(instant(&r[0]).map(|i| to_iso8601(&i))))),
        )
        .udf(),
        // `from_unixtime(x[, zone])`: typed in the constant zone (`from_unixtime(0, 'Asia/Tokyo')`
        // shows Tokyo's wall clock), UTC otherwise.
        Udf::with_fields(
            "from_unixtime",
            arity(&[1, 2]),
            |_, scalars| {
                let zone_name = scalars.get(1).copied().flatten().and_then(text).unwrap_or("UTC");
                if zone(zone_name).is_none() {
                    return Err(invalid(format!("Invalid time zone: {zone_name}")));
                }
                Ok(datafusion::arrow::datatypes::Field::new(
                    "r",
                    DataType::Timestamp(TimeUnit::Millisecond, Some(zone_name.into())),
                    true,
                ))
            },
            |a| {
                use datafusion::arrow::array::{Array, AsArray, TimestampMillisecondArray};
                let DataType::Timestamp(_, result_zone) = a.result.data_type() else { unreachable!("a timestamp") };
                if let Some(zones) = a.arrays.get(1).filter(|_| a.constants.get(1).is_some_and(Option::is_none)) {
                    let zones = super::udf::strings(zones)?;
                    for z in zones.as_string::<i32>().iter().flatten() {
                        if zone(z).is_none() {
                            return Err(invalid(format!("Invalid time zone: {z}")));
                        }
                    }
                }
                let seconds = datafusion::arrow::compute::cast(a.get(0), &DataType::Float64)?;
                let millis: TimestampMillisecondArray = seconds
                    .as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                    .unary(|s| (s * 1000.0).round() as i64);
                let nulls = datafusion::arrow::buffer::NullBuffer::union(
                    millis.nulls(),
                    a.arrays.get(1).and_then(|z| z.logical_nulls()).as_ref(),
                );
                let millis = TimestampMillisecondArray::new(millis.values().clone(), nulls);
                Ok(Arc::new(millis.with_timezone_opt(result_zone.clone())))
            },
        )
        .udf(),
        Udf::new(
            "to_unixtime",
            arity(&[1]),
            |_| Ok(DataType::Float64),
            |a| rowwise(a, |r| Ok(ScalarValue::Float64(instant(&r[0]).map(|i| i.millis as f64 / 1000.0)))),
        )
        .udf(),
        zoned("with_timezone", true),
        // `x AT TIME ZONE z`: the same instant shown in z (a timestamp without a zone is UTC,
        // Athena's session zone).
        zoned("__lakebox_at_timezone", false),
        Udf::new(
            "current_timezone",
            arity_with(&[0], Volatility::Stable),
            |_| Ok(DataType::Utf8),
            |a| rowwise(a, |_| Ok(utf8(Some("UTC".into())))),
        )
        .udf(),
        Udf::new(
            "human_readable_seconds",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| rowwise(a, |r| Ok(utf8(float(&r[0]).map(human_readable_seconds)))),
        )
        .udf(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Instant {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Instant { millis: d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis(), date: true, zone: None }
    }

    fn ts(s: &str) -> Instant {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        Instant { millis: t.and_utc().timestamp_millis(), date: false, zone: None }
    }

    fn show(i: &Instant, ms: i64) -> String {
        let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap().naive_utc();
        if i.date { t.format("%Y-%m-%d").to_string() } else { t.format("%Y-%m-%d %H:%M:%S%.3f").to_string() }
    }

    // Expected values from https://trino.io/docs/current/functions/datetime.html and Joda's
    // month arithmetic (the end of the month is clamped).
    #[test]
    fn adding_and_differencing() {
        let d = date("2024-01-31");
        assert_eq!(show(&d, date_add("month", 1, &d).unwrap()), "2024-02-29");
        let leap = date("2024-02-29");
        assert_eq!(show(&leap, date_add("year", -1, &leap).unwrap()), "2023-02-28");
        let t = ts("2024-01-01 23:00:00");
        assert_eq!(show(&t, date_add("hour", 3, &t).unwrap()), "2024-01-02 02:00:00.000");
        assert!(date_add("hour", 1, &d).is_err());
        assert!(date_add("fortnight", 1, &d).is_err());
        assert_eq!(date_diff("month", &date("2024-01-15"), &date("2024-03-14")).unwrap(), 1);
        assert_eq!(date_diff("year", &date("2020-02-29"), &date("2024-02-28")).unwrap(), 3);
        assert_eq!(date_diff("day", &ts("2024-01-01 23:00:00"), &ts("2024-01-02 01:00:00")).unwrap(), 0);
        assert_eq!(date_diff("minute", &ts("2024-01-01 00:10:00"), &ts("2024-01-01 00:00:00")).unwrap(), -10);
        assert_eq!(date_diff("week", &date("2024-01-01"), &date("2024-01-20")).unwrap(), 2);
        // Joda's month difference: a start day past the end month's last day counts as that day,
        // so the difference is the months `date_add` needs (Jan 31 + 1 month = Feb 29 in 2024).
        let months = |x: &str, y: &str| date_diff("month", &date(x), &date(y)).unwrap();
        assert_eq!(months("2024-01-31", "2024-02-29"), 1);
        assert_eq!(months("2024-01-31", "2024-02-28"), 0);
        assert_eq!(months("2023-01-31", "2023-02-28"), 1);
        assert_eq!(months("2024-03-31", "2024-04-30"), 1);
        assert_eq!(months("2024-02-29", "2024-01-31"), -1);
        assert_eq!(months("2024-01-15", "2024-02-14"), 0);
        assert_eq!(months("2024-01-15", "2024-02-15"), 1);
        assert_eq!(date_diff("month", &ts("2024-01-31 10:00:00"), &ts("2024-02-29 09:00:00")).unwrap(), 0);
        assert_eq!(date_diff("year", &date("2020-02-29"), &date("2021-02-28")).unwrap(), 1);
        assert_eq!(date_diff("quarter", &date("2024-01-31"), &date("2024-04-30")).unwrap(), 1);
        let w = date("2024-03-15");
        assert_eq!(show(&w, date_trunc("week", &w).unwrap()), "2024-03-11");
        assert_eq!(show(&w, date_trunc("quarter", &w).unwrap()), "2024-01-01");
    }

    #[test]
    fn formats_and_parses() {
        let t = ts("2024-01-02 15:04:05.123");
        let f = |p: &str| format_with(local(&t), &mysql_to_chrono(p, false).unwrap()).unwrap();
        assert_eq!(f("%W %M %e %Y %h %p"), "Tuesday January 2 2024 03 PM");
        assert_eq!(f("%j %f"), "002 123000");
        assert_eq!(f("%k %l %S %%"), "15 3 05 %");
        let j = |p: &str| format_with(local(&t), &joda_to_chrono(p).unwrap()).unwrap();
        assert_eq!(j("EEE, dd MMM yyyy"), "Tue, 02 Jan 2024");
        assert_eq!(j("h:mm a SSS"), "3:04 PM 123");
        assert_eq!(j("yyyy-MM-dd'T'HH"), "2024-01-02T15");
        // Zones (Joda: Z offset, ZZ offset with a colon, ZZZ the id, z the abbreviation); a
        // timestamp without a zone is in the session zone, UTC.
        let z = |i: &Instant, p: &str| format_joda(i, p).unwrap();
        assert_eq!(z(&t, "HH:mm Z ZZ ZZZ z"), "15:04 +0000 +00:00 UTC UTC");
        let tokyo = Instant { zone: Some("Asia/Tokyo".into()), ..t.clone() };
        assert_eq!(z(&tokyo, "yyyy-MM-dd HH:mm Z ZZ ZZZ z"), "2024-01-03 00:04 +0900 +09:00 Asia/Tokyo JST");
        let fixed = Instant { zone: Some("-05:30".into()), ..t.clone() };
        assert_eq!(z(&fixed, "HH:mm Z ZZZ"), "09:34 -0530 -05:30");
        let p = |s: &str, f: &str| parse_with(s, &mysql_to_chrono(f, true).unwrap()).unwrap().to_string();
        assert_eq!(p("Jan 5 2024 11:30 PM", "%b %e %Y %h:%i %p"), "2024-01-05 23:30:00");
        assert_eq!(p("2024-01-02T03:04:05.123", "%Y-%m-%dT%H:%i:%s.%f"), "2024-01-02 03:04:05.123");
        assert_eq!(p("20240105", "%Y%m%d"), "2024-01-05 00:00:00");
        assert!(parse_with("2024-13-45", &mysql_to_chrono("%Y-%m-%d", true).unwrap()).is_err());
        assert_eq!(human_readable_seconds(3762.0), "1 hour, 2 minutes, 42 seconds");
        assert_eq!(human_readable_seconds(96.0), "1 minute, 36 seconds");
    }

    #[test]
    fn iso8601_keeps_offsets() {
        let (ms, z) = from_iso8601("2024-01-02T03:04:05.123+01:00").unwrap();
        assert_eq!((ms, &*z), (ts("2024-01-02 02:04:05.123").millis, "+01:00"));
        assert_eq!(&*from_iso8601("2024-01-02T03:04:05Z").unwrap().1, "UTC");
        assert_eq!(from_iso8601("2024-01-02").unwrap().0, date("2024-01-02").millis);
        let i = Instant { millis: ms, date: false, zone: Some(z) };
        assert_eq!(to_iso8601(&i), "2024-01-02T03:04:05.123+01:00");
    }
}
