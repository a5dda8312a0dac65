//! Partition projection: a table whose `projection.*` properties describe its partitions, so a
//! query computes them instead of reading them from the catalog.
//!
//! As Athena does (docs: "Partition projection with Amazon Athena"): when `projection.enabled` is
//! `true`, registered partitions are ignored; every partition key needs a `projection.<key>.type`
//! of `enum`, `integer`, `date` or `injected`; partitions live at `storage.location.template`
//! (with `${key}` placeholders) or at `<table location>/key=value/...`; values outside the
//! configured ranges, and partitions with no files, simply have no rows. Candidates are
//! enumerated one key at a time and filtered by the query's predicates on that key before the
//! keys are combined, so `WHERE dt = '2024/01/01'` over ten years of hours touches one value.

use crate::catalog::model::Table;
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Timelike};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, Operator};
use std::collections::HashMap;

/// Athena rejects a query over a projected table that could read more partitions than this.
pub const MAX_PARTITIONS: usize = 1_000_000;

/// The projection of a table, checked against its partition keys.
#[derive(Debug, Clone)]
pub struct Projection {
    /// One per partition key, in key order.
    pub columns: Vec<ColumnProjection>,
    template: Option<String>,
    root: String,
}

#[derive(Debug, Clone)]
pub struct ColumnProjection {
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Enum(Vec<String>),
    Integer {
        start: i64,
        end: i64,
        interval: i64,
        digits: Option<usize>,
    },
    Date {
        start: Bound,
        end: Bound,
        format: DateFormat,
        interval: i64,
        unit: Unit,
    },
    /// Values come from the query's equality predicates.
    Injected,
}

/// A date range bound: a fixed time, or `NOW` plus or minus an amount, at query time (UTC).
#[derive(Debug, Clone)]
pub enum Bound {
    Fixed(NaiveDateTime),
    Now { sign: i64, amount: i64, unit: Unit },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Millis,
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl Unit {
    fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_uppercase();
        let t = t.strip_suffix('S').unwrap_or(&t);
        Some(match t {
            "MILLI" | "MILLISECOND" => Unit::Millis,
            "SECOND" => Unit::Seconds,
            "MINUTE" => Unit::Minutes,
            "HOUR" => Unit::Hours,
            "DAY" => Unit::Days,
            "WEEK" => Unit::Weeks,
            "MONTH" => Unit::Months,
            "YEAR" => Unit::Years,
            _ => return None,
        })
    }

    /// `t` plus `n` of this unit, in UTC (months and years keep the day where it exists).
    fn add(self, t: NaiveDateTime, n: i64) -> Option<NaiveDateTime> {
        match self {
            Unit::Millis => t.checked_add_signed(Duration::try_milliseconds(n)?),
            Unit::Seconds => t.checked_add_signed(Duration::try_seconds(n)?),
            Unit::Minutes => t.checked_add_signed(Duration::try_minutes(n)?),
            Unit::Hours => t.checked_add_signed(Duration::try_hours(n)?),
            Unit::Days => t.checked_add_signed(Duration::try_days(n)?),
            Unit::Weeks => t.checked_add_signed(Duration::try_weeks(n)?),
            Unit::Months | Unit::Years => {
                let months = if self == Unit::Years { n.checked_mul(12)? } else { n };
                let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                if months >= 0 { t.checked_add_months(m) } else { t.checked_sub_months(m) }
            }
        }
    }
}

/// A Java `DateTimeFormatter` pattern, the subset projections use: `yyyy`/`uuuu`, `yy`, `MM`,
/// `M`, `dd`, `d`, `HH`, `H`, `mm`, `ss`, `SSS`, quoted literals and any other punctuation.
#[derive(Debug, Clone)]
pub struct DateFormat {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Year4,
    Year2,
    Month { pad: bool },
    Day { pad: bool },
    Hour { pad: bool },
    Minute,
    Second,
    Millis,
    Literal(String),
}

impl DateFormat {
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                let close = chars[i + 1..].iter().position(|&x| x == '\'').map(|p| p + i + 1);
                let Some(close) = close else { return Err(format!("unterminated quote in '{pattern}'")) };
                let text: String = if close == i + 1 { "'".into() } else { chars[i + 1..close].iter().collect() };
                tokens.push(Token::Literal(text));
                i = close + 1;
                continue;
            }
            let run = chars[i..].iter().take_while(|&&x| x == c).count();
            let token = match (c, run) {
                ('y' | 'u', 4) => Token::Year4,
                ('y' | 'u', 2) => Token::Year2,
                ('M', 2) => Token::Month { pad: true },
                ('M', 1) => Token::Month { pad: false },
                ('d', 2) => Token::Day { pad: true },
                ('d', 1) => Token::Day { pad: false },
                ('H', 2) => Token::Hour { pad: true },
                ('H', 1) => Token::Hour { pad: false },
                ('m', 2) => Token::Minute,
                ('s', 2) => Token::Second,
                ('S', 3) => Token::Millis,
                (c, _) if c.is_ascii_alphabetic() => {
                    return Err(format!(
                        "the pattern letter '{}' in '{pattern}' is not supported by Lakebox",
                        chars[i..i + run].iter().collect::<String>()
                    ));
                }
                _ => Token::Literal(chars[i..i + run].iter().collect()),
            };
            tokens.push(token);
            i += run;
        }
        Ok(Self { tokens })
    }

    /// The finest unit the pattern shows.
    fn precision(&self) -> Unit {
        let mut finest = Unit::Years;
        for t in &self.tokens {
            let u = match t {
                Token::Year4 | Token::Year2 => Unit::Years,
                Token::Month { .. } => Unit::Months,
                Token::Day { .. } => Unit::Days,
                Token::Hour { .. } => Unit::Hours,
                Token::Minute => Unit::Minutes,
                Token::Second => Unit::Seconds,
                Token::Millis => Unit::Millis,
                Token::Literal(_) => continue,
            };
            finest = finest.min(u);
        }
        finest
    }

    pub fn format(&self, t: NaiveDateTime) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Year4 => out.push_str(&format!("{:04}", t.year())),
                Token::Year2 => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
                Token::Month { pad } => out.push_str(&pad2(t.month(), *pad)),
                Token::Day { pad } => out.push_str(&pad2(t.day(), *pad)),
                Token::Hour { pad } => out.push_str(&pad2(t.hour(), *pad)),
                Token::Minute => out.push_str(&format!("{:02}", t.minute())),
                Token::Second => out.push_str(&format!("{:02}", t.second())),
                Token::Millis => out.push_str(&format!("{:03}", t.nanosecond() / 1_000_000)),
                Token::Literal(s) => out.push_str(s),
            }
        }
        out
    }

    /// Parses a whole string; fields the pattern lacks are the start of their unit.
    pub fn parse_time(&self, text: &str) -> Option<NaiveDateTime> {
        let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut millis) = (1970, 1, 1, 0, 0, 0, 0);
        let mut rest = text;
        let number = |rest: &mut &str, min: usize, max: usize| -> Option<i64> {
            let digits = rest.bytes().take(max).take_while(u8::is_ascii_digit).count();
            if digits < min {
                return None;
            }
            let value = rest[..digits].parse().ok()?;
            *rest = &rest[digits..];
            Some(value)
        };
        for token in &self.tokens {
            match token {
                Token::Year4 => year = number(&mut rest, 4, 4)?,
                Token::Year2 => year = 2000 + number(&mut rest, 2, 2)?,
                Token::Month { pad } => month = number(&mut rest, if *pad { 2 } else { 1 }, 2)?,
                Token::Day { pad } => day = number(&mut rest, if *pad { 2 } else { 1 }, 2)?,
                Token::Hour { pad } => hour = number(&mut rest, if *pad { 2 } else { 1 }, 2)?,
                Token::Minute => minute = number(&mut rest, 2, 2)?,
                Token::Second => second = number(&mut rest, 2, 2)?,
                Token::Millis => millis = number(&mut rest, 3, 3)?,
                Token::Literal(s) => rest = rest.strip_prefix(s.as_str())?,
            }
        }
        if !rest.is_empty() {
            return None;
        }
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, u32::try_from(month).ok()?, u32::try_from(day).ok()?)?
            .and_hms_milli_opt(
                u32::try_from(hour).ok()?,
                u32::try_from(minute).ok()?,
                u32::try_from(second).ok()?,
                u32::try_from(millis).ok()?,
            )
    }
}

fn pad2(v: u32, pad: bool) -> String {
    if pad { format!("{v:02}") } else { v.to_string() }
}

/// What went wrong, already worded as Athena's `NAME: message`.
pub type ProjectionError = String;

fn column_error(table: &str, column: &str, detail: impl std::fmt::Display) -> ProjectionError {
    format!("HIVE_METASTORE_ERROR: Column projection for column '{column}' failed. {detail} (table {table})")
}

impl Projection {
    /// The projection of `table` if it has `projection.enabled=true`, checked against `keys`.
    pub fn of(table: &Table, keys: &[FieldRef]) -> Result<Option<Self>, ProjectionError> {
        let params = table.parameters.clone().unwrap_or_default();
        let lookup: HashMap<String, &str> = params.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.as_str())).collect();
        let enabled = lookup.get("projection.enabled").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !enabled {
            return Ok(None);
        }
        let qualified = format!("{}.{}", table.database_name.as_deref().unwrap_or_default(), table.name);
        if keys.is_empty() {
            return Err(format!(
                "HIVE_METASTORE_ERROR: Partition projection cannot be enabled on a table that is not partitioned (table {qualified})"
            ));
        }
        let missing: Vec<&str> = keys
            .iter()
            .map(|k| k.name().as_str())
            .filter(|k| !lookup.contains_key(&format!("projection.{k}.type")))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "HIVE_METASTORE_ERROR: Table {qualified} is configured for partition projection, but the following \
                 partition columns are missing projection configuration: [{}] (table {qualified})",
                missing.join(", ")
            ));
        }
        let mut columns = Vec::new();
        for key in keys {
            let name = key.name().clone();
            let prop = |p: &str| lookup.get(&format!("projection.{name}.{p}")).copied();
            let required = |p: &str| {
                prop(p).ok_or_else(|| {
                    column_error(&qualified, &name, format!("Missing required property: 'projection.{name}.{p}'"))
                })
            };
            // `interval` of integer and date projections: a positive integer, 1 by default.
            let interval = || match prop("interval") {
                None => Ok(1),
                Some(v) => v.trim().parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| {
                    column_error(
                        &qualified,
                        &name,
                        format!("Property: 'projection.{name}.interval' needs to be a positive integer"),
                    )
                }),
            };
            let kind = match required("type")?.trim().to_ascii_lowercase().as_str() {
                "enum" => Kind::Enum(required("values")?.split(',').map(str::to_string).collect()),
                "integer" => {
                    let range: Vec<Option<i64>> =
                        required("range")?.split(',').map(|v| v.trim().parse().ok()).collect();
                    let [Some(start), Some(end)] = range[..] else {
                        return Err(column_error(
                            &qualified,
                            &name,
                            format!("Property: 'projection.{name}.range' needs to be list of 2 integers"),
                        ));
                    };
                    let interval = interval()?;
                    let digits = match prop("digits") {
                        None => None,
                        Some(v) => Some(v.trim().parse::<usize>().ok().filter(|d| *d > 0).ok_or_else(|| {
                            column_error(
                                &qualified,
                                &name,
                                format!("Property: 'projection.{name}.digits' needs to be a positive integer"),
                            )
                        })?),
                    };
                    Kind::Integer { start, end, interval, digits }
                }
                "date" => {
                    let pattern = required("format")?;
                    let format = DateFormat::parse(pattern).map_err(|e| column_error(&qualified, &name, e))?;
                    let range_error = || {
                        column_error(
                            &qualified,
                            &name,
                            format!(
                                "Property: 'projection.{name}.range' needs to be a list of 2 valid dates formatted as \
                                 '{pattern}' or '^\\s*NOW\\s*(([+-])\\s*([0-9]+)\\s*(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?)\\s*)?$' \
                                 that are sequential"
                            ),
                        )
                    };
                    let bounds: Vec<&str> = required("range")?.split(',').collect();
                    let [start, end] = bounds[..] else { return Err(range_error()) };
                    let start = parse_bound(start, &format).ok_or_else(range_error)?;
                    let end = parse_bound(end, &format).ok_or_else(range_error)?;
                    let precision = format.precision();
                    let unit = match prop("interval.unit") {
                        Some(u) => Unit::parse(u).ok_or_else(|| {
                            column_error(
                                &qualified,
                                &name,
                                format!(
                                    "Property: 'projection.{name}.interval.unit' must be one of YEARS, MONTHS, WEEKS, \
                                     DAYS, HOURS, MINUTES, SECONDS, MILLIS"
                                ),
                            )
                        })?,
                        None if precision == Unit::Days || precision == Unit::Months => precision,
                        None => {
                            return Err(column_error(
                                &qualified,
                                &name,
                                format!(
                                    "Property: 'projection.{name}.interval.unit' needs to be set when provided \
                                     'projection.{name}.format' is less than single-day precision. Interval defaults \
                                     to 1 day or 1 month, respectively. Otherwise, interval is required"
                                ),
                            ));
                        }
                    };
                    let interval = interval()?;
                    Kind::Date { start, end, format, interval, unit }
                }
                "injected" => {
                    if !matches!(key.data_type(), DataType::Utf8) {
                        return Err(column_error(
                            &qualified,
                            &name,
                            "Injected projection is supported only for columns of string type",
                        ));
                    }
                    Kind::Injected
                }
                other => {
                    return Err(column_error(&qualified, &name, format!("Unsupported projection type: '{other}'")));
                }
            };
            columns.push(ColumnProjection { name, kind });
        }
        let template = lookup.get("storage.location.template").map(|t| t.to_string());
        if let Some(t) = &template
            && let Some(key) = keys.iter().find(|k| !t.contains(&format!("${{{}}}", k.name())))
        {
            return Err(format!(
                "HIVE_METASTORE_ERROR: Partition projection location template: {t} is missing partition column: '{}' \
                 placeholder (table {qualified})",
                key.name()
            ));
        }
        let root = table.storage_descriptor.as_ref().and_then(|sd| sd.location.clone()).unwrap_or_default();
        if template.is_none() && root.is_empty() {
            return Err(format!("HIVE_METASTORE_ERROR: Table '{qualified}' has no location"));
        }
        Ok(Some(Self { columns, template, root }))
    }

    /// The candidate values of column `i`, as strings in the form they take in the partition
    /// location, and in the form the column's type reads (`date` columns: `yyyy-MM-dd`).
    /// `equalities` are the literals the query compares the column to, if it only does that.
    pub fn candidates(
        &self,
        i: usize,
        key: &FieldRef,
        equalities: Option<&[String]>,
        now: NaiveDateTime,
        qualified: &str,
    ) -> Result<Vec<(String, String)>, ProjectionError> {
        let column = &self.columns[i];
        let too_many = || {
            format!(
                "HIVE_EXCEEDED_PARTITION_LIMIT: Query over table '{qualified}' can potentially read more than \
                 {MAX_PARTITIONS} partitions"
            )
        };
        match &column.kind {
            Kind::Enum(values) => Ok(values.iter().map(|v| (v.clone(), v.clone())).collect()),
            Kind::Injected => match equalities {
                Some(values) => Ok(values.iter().map(|v| (v.clone(), v.clone())).collect()),
                None => Err(format!(
                    "CONSTRAINT_VIOLATION: For the injected projected partition column {}, the WHERE clause must \
                     contain only static equality conditions, and at least one such condition must be present.",
                    column.name
                )),
            },
            Kind::Integer { start, end, interval, digits } => {
                let render = |v: i64| match digits {
                    Some(d) => format!("{v:0d$}", d = *d),
                    None => v.to_string(),
                };
                if let Some(values) = equalities {
                    // Only the compared values can match: keep those on the range's grid.
                    let mut out = Vec::new();
                    for v in values {
                        if let Ok(n) = v.trim().parse::<i64>()
                            && n >= *start
                            && n <= *end
                            && (n - start) % interval == 0
                        {
                            let text = render(n);
                            out.push((text.clone(), text));
                        }
                    }
                    return Ok(out);
                }
                let count = (end.saturating_sub(*start)) / interval + 1;
                if count > MAX_PARTITIONS as i64 {
                    return Err(too_many());
                }
                Ok((0..count.max(0))
                    .map(|k| {
                        let text = render(start + k * interval);
                        (text.clone(), text)
                    })
                    .collect())
            }
            Kind::Date { start, end, format, interval, unit } => {
                let adjust = |t: NaiveDateTime| format.parse_time(&format.format(t)).unwrap_or(t);
                let resolve = |b: &Bound| match b {
                    Bound::Fixed(t) => Some(*t),
                    Bound::Now { sign, amount, unit } => unit.add(now, sign * amount).map(adjust),
                };
                let (Some(from), Some(to)) = (resolve(start), resolve(end)) else { return Ok(vec![]) };
                let typed = |t: NaiveDateTime, text: String| match key.data_type() {
                    DataType::Date32 | DataType::Date64 => t.format("%Y-%m-%d").to_string(),
                    DataType::Timestamp(..) => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                    _ => text,
                };
                let mut out = Vec::new();
                let mut current = from;
                let mut step = 0i64;
                while current <= to {
                    if out.len() >= MAX_PARTITIONS {
                        return Err(too_many());
                    }
                    let text = format.format(current);
                    out.push((text.clone(), typed(current, text)));
                    step += 1;
                    match interval.checked_mul(step).and_then(|n| unit.add(from, n)) {
                        Some(next) if next > current => current = next,
                        _ => break,
                    }
                }
                Ok(out)
            }
        }
    }

    /// Where the partition with these location values lives.
    pub fn location(&self, names: &[String], values: &[String]) -> String {
        match &self.template {
            Some(template) => {
                let mut location = template.clone();
                for (n, v) in names.iter().zip(values) {
                    location = location.replace(&format!("${{{n}}}"), v);
                }
                location
            }
            None => {
                let mut location = self.root.trim_end_matches('/').to_string();
                for (n, v) in names.iter().zip(values) {
                    location.push('/');
                    location.push_str(&format!("{n}={}", super::write::escape_path(v)));
                }
                location.push('/');
                location
            }
        }
    }
}

fn parse_bound(text: &str, format: &DateFormat) -> Option<Bound> {
    let trimmed = text.trim();
    if let Some(rest) = trimmed.strip_prefix("NOW") {
        let rest = rest.trim();
        if rest.is_empty() {
            return Some(Bound::Now { sign: 1, amount: 0, unit: Unit::Days });
        }
        let (sign, rest) = match rest.chars().next()? {
            '+' => (1, rest[1..].trim_start()),
            '-' => (-1, rest[1..].trim_start()),
            _ => return None,
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let amount: i64 = rest[..digits].parse().ok()?;
        let unit = Unit::parse(&rest[digits..])?;
        return Some(Bound::Now { sign, amount, unit });
    }
    // "In date literals, white space is part of the date string."
    format.parse_time(text).map(Bound::Fixed)
}

/// The literals a column is compared to when every predicate on it is `col = literal`,
/// `col IN (literals)` or an `OR` of those; `None` if some predicate on it is anything else, or
/// none mentions it.
pub fn equality_values(filters: &[Expr], column: &str) -> Option<Vec<String>> {
    let mut result: Option<Vec<String>> = None;
    for f in filters {
        let mentions = f.column_refs().iter().any(|c| c.name == column);
        if !mentions {
            continue;
        }
        let values = equalities(f, column)?;
        result = Some(match result {
            None => values,
            Some(previous) => previous.into_iter().filter(|v| values.contains(v)).collect(),
        });
    }
    result
}

fn equalities(e: &Expr, column: &str) -> Option<Vec<String>> {
    fn is_column(e: &Expr, column: &str) -> bool {
        match e {
            Expr::Column(c) => c.name == column,
            Expr::Cast(c) => is_column(&c.expr, column),
            Expr::TryCast(c) => is_column(&c.expr, column),
            _ => false,
        }
    }
    fn literal(e: &Expr) -> Option<String> {
        match e {
            Expr::Literal(v, _) if !v.is_null() => scalar_text(v),
            Expr::Cast(c) => literal(&c.expr),
            Expr::TryCast(c) => literal(&c.expr),
            _ => None,
        }
    }
    match e {
        Expr::BinaryExpr(b) if b.op == Operator::Eq => {
            if is_column(&b.left, column) {
                Some(vec![literal(&b.right)?])
            } else if is_column(&b.right, column) {
                Some(vec![literal(&b.left)?])
            } else {
                None
            }
        }
        Expr::BinaryExpr(b) if b.op == Operator::Or => {
            let mut values = equalities(&b.left, column)?;
            values.extend(equalities(&b.right, column)?);
            Some(values)
        }
        Expr::InList(list) if !list.negated && is_column(&list.expr, column) => list.list.iter().map(literal).collect(),
        _ => None,
    }
}

fn scalar_text(v: &ScalarValue) -> Option<String> {
    match v {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Some(s.clone())
        }
        ScalarValue::Dictionary(_, inner) => scalar_text(inner),
        v if v.data_type().is_integer() => Some(v.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn java_patterns_format_and_parse_back() {
        for (pattern, time, text) in [
            ("yyyy/MM/dd/HH", "2024-03-05 07:00:00", "2024/03/05/07"),
            ("yyyyMM", "2024-11-01 00:00:00", "202411"),
            ("dd-MM-yyyy-HH-mm-ss", "2023-01-31 23:59:58", "31-01-2023-23-59-58"),
            ("yyyy-MM-dd'T'HH", "2024-02-29 01:00:00", "2024-02-29T01"),
            ("M/d/yy", "2024-03-05 00:00:00", "3/5/24"),
        ] {
            let f = DateFormat::parse(pattern).unwrap();
            assert_eq!(f.format(at(time)), text, "{pattern}");
            assert_eq!(f.parse_time(text), Some(at(time)), "{pattern}");
        }
        assert_eq!(DateFormat::parse("yyyyMM").unwrap().precision(), Unit::Months);
        assert_eq!(DateFormat::parse("yyyy/MM/dd/HH").unwrap().precision(), Unit::Hours);
        assert!(DateFormat::parse("yyyy-MMM").is_err());
        assert_eq!(DateFormat::parse("yyyy-MM-dd").unwrap().parse_time("2024-02-30"), None);
    }

    #[test]
    fn now_bounds_parse_as_athena_documents() {
        let f = DateFormat::parse("yyyy-MM-dd").unwrap();
        assert!(matches!(parse_bound("NOW", &f), Some(Bound::Now { amount: 0, .. })));
        assert!(matches!(
            parse_bound(" NOW - 3YEARS ", &f),
            Some(Bound::Now { sign: -1, amount: 3, unit: Unit::Years })
        ));
        assert!(matches!(parse_bound("NOW+1MONTH", &f), Some(Bound::Now { sign: 1, amount: 1, unit: Unit::Months })));
        assert!(parse_bound("NOW*2DAYS", &f).is_none());
        assert!(parse_bound("2024-13-01", &f).is_none());
    }

    #[test]
    fn month_steps_keep_the_calendar() {
        // 2024-01-31 + 1 month is 2024-02-29 (chrono clamps to the month's end, as java.time does).
        assert_eq!(Unit::Months.add(at("2024-01-31 00:00:00"), 1), Some(at("2024-02-29 00:00:00")));
        assert_eq!(Unit::Years.add(at("2024-02-29 00:00:00"), -1), Some(at("2023-02-28 00:00:00")));
    }

    #[test]
    fn equalities_are_read_from_eq_in_and_or() {
        use datafusion::prelude::{col, lit};
        let filters = vec![col("k").eq(lit("a")).or(col("k").eq(lit("b")))];
        assert_eq!(equality_values(&filters, "k"), Some(vec!["a".into(), "b".into()]));
        let filters = vec![col("k").in_list(vec![lit("a"), lit("c")], false), col("k").eq(lit("c"))];
        assert_eq!(equality_values(&filters, "k"), Some(vec!["c".into()]));
        assert_eq!(equality_values(&[col("k").gt(lit("a"))], "k"), None);
        assert_eq!(equality_values(&[col("j").eq(lit("a"))], "k"), None);
        assert_eq!(equality_values(&[col("k").eq(col("j"))], "k"), None);
    }
}
