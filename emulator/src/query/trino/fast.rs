//! Vectorized bodies for the Trino functions reports call on every row (regular expressions,
//! `length`, `substr`, `strpos`, `split_part`, `date_format`, `date_diff`,
//! `json_extract_scalar`, `CAST(integer AS varchar)`): the arguments are read as Arrow arrays once, constants (a pattern, a
//! format, a unit) are prepared once, and each row costs the function's own work, not a
//! `ScalarValue` per argument. Each returns `None` when its arguments are not of the shape it
//! handles, and the function falls back to its row-by-row body (docs/PERFORMANCE.md measures
//! both).

use super::udf::{Args, invalid};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
use datafusion::common::Result;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// Argument `i` as UTF-8 text (cast once), if it is text.
fn text(a: &Args<'_>, i: usize) -> Result<Option<ArrayRef>> {
    match a.get(i).data_type() {
        DataType::Utf8 => Ok(Some(a.get(i).clone())),
        DataType::LargeUtf8 | DataType::Utf8View => {
            Ok(Some(datafusion::arrow::compute::cast(a.get(i), &DataType::Utf8)?))
        }
        _ => Ok(None),
    }
}

fn strings(array: &ArrayRef) -> &StringArray {
    array.as_string::<i32>()
}

/// `regexp_like` of text with a constant pattern (`re`, compiled once per query by `regex`).
pub fn regexp_like(a: &Args<'_>, re: &regex::Regex) -> Result<Option<ArrayRef>> {
    let Some(s) = text(a, 0)? else { return Ok(None) };
    let out: BooleanArray = strings(&s).iter().map(|v| v.map(|v| re.is_match(v))).collect();
    Ok(Some(Arc::new(out)))
}

pub fn regexp_replace(a: &Args<'_>, re: &regex::Regex) -> Result<Option<ArrayRef>> {
    let Some(s) = text(a, 0)? else { return Ok(None) };
    let replacement = match a.arrays.len() {
        2 => String::new(),
        _ => match a.constant_text(2) {
            Some(r) => super::regex::java_replacement(r),
            None => return Ok(None),
        },
    };
    let out = per_distinct(strings(&s), |v| Some(re.replace_all(v, replacement.as_str())));
    Ok(Some(Arc::new(out)))
}

/// How many rows of a batch [`per_distinct`] looks at before it decides whether values repeat.
const PROBE_ROWS: usize = 1024;

/// The most distinct values [`per_distinct`] keeps the results of.
const MEMO_VALUES: usize = 4096;

/// `f` of every value of `s` (NULL stays NULL; `f` may return NULL), computed once per distinct
/// value while the values repeat. A regular expression costs a few hundred nanoseconds a row;
/// text derived from a low-cardinality column (`CAST(zone AS varchar)`, a status, a category)
/// holds a few hundred distinct values in ten million rows, and looking a value up costs a
/// fraction of matching it. DuckDB gets the same from its dictionary vectors. When more than half
/// of the first [`PROBE_ROWS`] values are distinct, or the memo reaches [`MEMO_VALUES`] values,
/// the rest of the batch is computed row by row.
fn per_distinct<'a>(s: &'a StringArray, mut f: impl FnMut(&'a str) -> Option<Cow<'a, str>>) -> StringArray {
    type Memo<'a> = HashMap<&'a str, Option<String>, BuildHasherDefault<twox_hash::XxHash64>>;
    let mut out = StringBuilder::with_capacity(s.len(), s.value_data().len());
    let mut memo: Option<Memo<'a>> = Some(Memo::default());
    let mut seen = 0usize;
    for v in s.iter() {
        let Some(v) = v else {
            out.append_null();
            continue;
        };
        seen += 1;
        if let Some(m) = &memo
            && (m.len() >= MEMO_VALUES || (seen == PROBE_ROWS && m.len() > PROBE_ROWS / 2))
        {
            memo = None;
        }
        match &mut memo {
            Some(m) => {
                let r = m.entry(v).or_insert_with(|| f(v).map(Cow::into_owned));
                out.append_option(r.as_deref());
            }
            None => out.append_option(f(v)),
        }
    }
    out.finish()
}

pub fn regexp_extract(a: &Args<'_>, re: &regex::Regex) -> Result<Option<ArrayRef>> {
    let Some(s) = text(a, 0)? else { return Ok(None) };
    let group = match a.arrays.len() {
        2 => 0,
        _ => match a.constants[2].as_ref().and_then(super::values::int) {
            Some(g) => g,
            None => return Ok(None),
        },
    };
    let groups = re.captures_len() as i64 - 1;
    if group < 0 || group > groups {
        return Err(invalid(format!("Pattern has {groups} groups. Cannot access group {group}")));
    }
    let out = per_distinct(strings(&s), |v| {
        re.captures(v).and_then(|c| c.get(group as usize)).map(|m| Cow::Borrowed(m.as_str()))
    });
    Ok(Some(Arc::new(out)))
}

pub fn length(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let Some(s) = text(a, 0)? else { return Ok(None) };
    let s = strings(&s);
    // ASCII text (checked a word at a time): a character is a byte, the offsets say the lengths.
    if s.value_data().is_ascii() {
        let lengths: Vec<i64> = s.value_offsets().windows(2).map(|w| i64::from(w[1] - w[0])).collect();
        return Ok(Some(Arc::new(Int64Array::new(lengths.into(), s.nulls().cloned()))));
    }
    let out: Int64Array = s.iter().map(|v| v.map(|v| v.chars().count() as i64)).collect();
    Ok(Some(Arc::new(out)))
}

/// `substr` of text with constant start and length.
pub fn substr(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let Some(s) = text(a, 0)? else { return Ok(None) };
    let Some(start) = a.constants[1].as_ref().and_then(super::values::int) else { return Ok(None) };
    let length = match a.arrays.len() {
        2 => None,
        _ => match a.constants[2].as_ref().and_then(super::values::int) {
            Some(l) => Some(l),
            None => return Ok(None),
        },
    };
    let s = strings(&s);
    let mut out = StringBuilder::with_capacity(s.len(), s.value_data().len());
    for v in s.iter() {
        match v {
            Some(v) if v.is_ascii() => {
                let (from, to) = super::strings::substr_range(v.len(), start, length);
                out.append_value(&v[from..to]);
            }
            Some(v) => {
                let chars: Vec<char> = v.chars().collect();
                let (from, to) = super::strings::substr_range(chars.len(), start, length);
                out.append_value(chars[from..to].iter().collect::<String>());
            }
            None => out.append_null(),
        }
    }
    Ok(Some(Arc::new(out.finish())))
}

/// `strpos(s, constant)` (the first instance).
pub fn strpos(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    if a.arrays.len() != 2 {
        return Ok(None);
    }
    let (Some(s), Some(sub)) = (text(a, 0)?, a.constant_text(1)) else { return Ok(None) };
    let out: Int64Array = strings(&s)
        .iter()
        .map(|v| v.map(|v| v.find(sub).map_or(0, |byte| v[..byte].chars().count() as i64 + 1)))
        .collect();
    Ok(Some(Arc::new(out)))
}

/// `split_part(s, constant delimiter, constant index)`.
pub fn split_part(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let (Some(s), Some(d)) = (text(a, 0)?, a.constant_text(1)) else { return Ok(None) };
    let Some(index) = a.constants[2].as_ref().and_then(super::values::int) else { return Ok(None) };
    if index <= 0 {
        return Err(invalid("Index must be greater than zero"));
    }
    if d.is_empty() {
        return Ok(None);
    }
    let out: StringArray = strings(&s).iter().map(|v| v.and_then(|v| v.split(d).nth(index as usize - 1))).collect();
    Ok(Some(Arc::new(out)))
}

/// Timestamps without a zone as UTC milliseconds.
fn millis(a: &Args<'_>, i: usize) -> Result<Option<ArrayRef>> {
    match a.get(i).data_type() {
        DataType::Timestamp(_, None) => {
            Ok(Some(datafusion::arrow::compute::cast(a.get(i), &DataType::Timestamp(TimeUnit::Millisecond, None))?))
        }
        _ => Ok(None),
    }
}

/// `date_format(timestamp, constant pattern)`.
pub fn date_format(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let (Some(ts), Some(p)) = (millis(a, 0)?, a.constant_text(1)) else { return Ok(None) };
    let pattern = super::datetime::mysql_to_chrono(p, false)?;
    let items: Vec<chrono::format::Item<'_>> = chrono::format::StrftimeItems::new(&pattern).collect();
    if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
        return Err(invalid(format!("Invalid format: {p}")));
    }
    let ts = ts.as_primitive::<TimestampMillisecondType>();
    let mut out = StringBuilder::with_capacity(ts.len(), ts.len() * pattern.len());
    let mut buffer = String::new();
    let pieces = digit_pieces(&items);
    let mut digits = [0u8; 23];
    let mut text = Vec::with_capacity(32);
    for v in ts.iter() {
        // Years 0-9999 with only zero-padded numeric fields and literals: slices of the digits.
        if let (Some(pieces), Some(ms)) = (&pieces, v)
            && timestamp_digits(ms, &mut digits)
        {
            text.clear();
            for piece in pieces {
                match piece {
                    Piece::Text(t) => text.extend_from_slice(t.as_bytes()),
                    Piece::Digits(from, to) => text.extend_from_slice(&digits[*from..*to]),
                }
            }
            out.append_value(std::str::from_utf8(&text).map_err(|_| invalid(format!("Invalid format: {p}")))?);
            continue;
        }
        match v.and_then(chrono::DateTime::from_timestamp_millis) {
            Some(t) => {
                use std::fmt::Write as _;
                buffer.clear();
                write!(buffer, "{}", t.naive_utc().format_with_items(items.iter()))
                    .map_err(|_| invalid(format!("Invalid format: {p}")))?;
                out.append_value(&buffer);
            }
            None => out.append_null(),
        }
    }
    Ok(Some(Arc::new(out.finish())))
}

/// A part of a `date_format` result: literal text, or a range of [`timestamp_digits`]' text.
enum Piece {
    Text(String),
    Digits(usize, usize),
}

/// The pieces of a format made only of literals and zero-padded year, month, day, hour, minute
/// and second fields (`%Y-%m-%d %H`); `None` for any other field.
fn digit_pieces(items: &[chrono::format::Item<'_>]) -> Option<Vec<Piece>> {
    use chrono::format::{Item, Numeric, Pad};
    items
        .iter()
        .map(|item| match item {
            Item::Literal(t) | Item::Space(t) => Some(Piece::Text(t.to_string())),
            Item::OwnedLiteral(t) | Item::OwnedSpace(t) => Some(Piece::Text(t.to_string())),
            Item::Numeric(field, Pad::Zero) => Some(match field {
                Numeric::Year => Piece::Digits(0, 4),
                Numeric::Month => Piece::Digits(5, 7),
                Numeric::Day => Piece::Digits(8, 10),
                Numeric::Hour => Piece::Digits(11, 13),
                Numeric::Minute => Piece::Digits(14, 16),
                Numeric::Second => Piece::Digits(17, 19),
                _ => return None,
            }),
            _ => None,
        })
        .collect()
}

/// `date_diff(constant unit, timestamp, timestamp)` for units of fixed length.
pub fn date_diff(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let Some(unit) = a.constant_text(0).map(str::to_ascii_lowercase) else { return Ok(None) };
    let per = match unit.as_str() {
        "millisecond" => 1,
        "second" => 1000,
        "minute" => 60_000,
        "hour" => 3_600_000,
        "day" => 86_400_000,
        "week" => 7 * 86_400_000,
        _ => return Ok(None),
    };
    let (Some(x), Some(y)) = (millis(a, 1)?, millis(a, 2)?) else { return Ok(None) };
    let (x, y) = (x.as_primitive::<TimestampMillisecondType>(), y.as_primitive::<TimestampMillisecondType>());
    let out: Int64Array = x.iter().zip(y.iter()).map(|(x, y)| Some((y? - x?) / per)).collect();
    Ok(Some(Arc::new(out)))
}

/// `json_extract_scalar(text, constant path)`.
pub fn json_extract_scalar(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let (Some(s), Some(path)) = (text(a, 0)?, a.constant_text(1)) else { return Ok(None) };
    let steps = super::json::parse_path(path)?;
    let out: StringArray = strings(&s).iter().map(|v| super::json::extract_scalar(v?, &steps)).collect();
    Ok(Some(Arc::new(out)))
}

/// `CAST(timestamp AS varchar)` of timestamps without a zone: `2024-01-02 03:04:05.100`.
pub fn timestamp_text(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    let Some(ts) = millis(a, 0)? else { return Ok(None) };
    let ts = ts.as_primitive::<TimestampMillisecondType>();
    let mut out = StringBuilder::with_capacity(ts.len(), ts.len() * 23);
    let mut text = [0u8; 23];
    for v in ts.iter() {
        match v {
            Some(ms) if timestamp_digits(ms, &mut text) => {
                out.append_value(std::str::from_utf8(&text).expect("ASCII digits"));
            }
            Some(ms) => match chrono::DateTime::from_timestamp_millis(ms) {
                Some(t) => {
                    use chrono::{Datelike as _, Timelike as _};
                    let (d, time) = (t.date_naive(), t.time());
                    out.append_value(format!(
                        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
                        d.year(),
                        d.month(),
                        d.day(),
                        time.hour(),
                        time.minute(),
                        time.second(),
                        time.nanosecond() / 1_000_000
                    ));
                }
                None => out.append_null(),
            },
            None => out.append_null(),
        }
    }
    Ok(Some(Arc::new(out.finish())))
}

/// `yyyy-MM-dd HH:mm:ss.SSS` of milliseconds since the epoch, for years 0 to 9999 (false
/// otherwise), with integer arithmetic only: formatting through `write!` cost 65 ns a row.
pub fn timestamp_digits(ms: i64, out: &mut [u8; 23]) -> bool {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date
    // Algorithms", civil_from_days).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return false;
    }
    let put = |out: &mut [u8; 23], at: usize, width: usize, mut v: i64| {
        for i in (0..width).rev() {
            out[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(out, 0, 4, year);
    out[4] = b'-';
    put(out, 5, 2, month);
    out[7] = b'-';
    put(out, 8, 2, day);
    out[10] = b' ';
    put(out, 11, 2, rem / 3_600_000);
    out[13] = b':';
    put(out, 14, 2, rem / 60_000 % 60);
    out[16] = b':';
    put(out, 17, 2, rem / 1000 % 60);
    out[19] = b'.';
    put(out, 20, 3, rem % 1000);
    true
}

/// `CAST(integer AS varchar)`: the decimal digits, as arrow's cast writes them, written with
/// `itoa` straight into the result's buffer (arrow formats each value through a formatter).
pub fn integer_text(a: &Args<'_>) -> Result<Option<ArrayRef>> {
    use datafusion::arrow::datatypes::{
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    fn digits<T>(array: &ArrayRef) -> ArrayRef
    where
        T: datafusion::arrow::datatypes::ArrowPrimitiveType,
        T::Native: itoa::Integer,
    {
        let array = array.as_primitive::<T>();
        let mut buffer = itoa::Buffer::new();
        let mut out = StringBuilder::with_capacity(array.len(), array.len() * 4);
        match array.nulls() {
            None => array.values().iter().for_each(|v| out.append_value(buffer.format(*v))),
            Some(_) => array.iter().for_each(|v| match v {
                Some(v) => out.append_value(buffer.format(v)),
                None => out.append_null(),
            }),
        }
        Arc::new(out.finish())
    }
    let input = a.get(0);
    Ok(Some(match input.data_type() {
        DataType::Int8 => digits::<Int8Type>(input),
        DataType::Int16 => digits::<Int16Type>(input),
        DataType::Int32 => digits::<Int32Type>(input),
        DataType::Int64 => digits::<Int64Type>(input),
        DataType::UInt8 => digits::<UInt8Type>(input),
        DataType::UInt16 => digits::<UInt16Type>(input),
        DataType::UInt32 => digits::<UInt32Type>(input),
        DataType::UInt64 => digits::<UInt64Type>(input),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int8Array, Int32Array, Int64Array as I64, UInt64Array};
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::Field;

    /// What `per_distinct` must return: `f` applied row by row.
    fn row_by_row(s: &StringArray, f: impl Fn(&str) -> Option<String>) -> StringArray {
        s.iter().map(|v| v.and_then(&f)).collect()
    }

    #[test]
    fn per_distinct_is_the_function_row_by_row_whether_values_repeat_or_not() {
        let re = regex::Regex::new("(\\d)(\\d)").unwrap();
        let swap = |v: &str| Some(re.replace_all(v, "${2}${1}").into_owned());
        // NULL for values without a match, so `f` returning NULL is covered too.
        let first_pair = |v: &str| re.captures(v).map(|c| c[0].to_string());
        let cases: Vec<(&str, Vec<Option<String>>)> = vec![
            // 265 zones in 20,000 rows, with NULLs: memoized to the end.
            ("repeating", (0..20_000).map(|i| (i % 7 != 3).then(|| ((i * 37) % 265 + 1).to_string())).collect()),
            // Every value distinct: the probe turns the memo off after 1,024 rows.
            ("distinct", (0..20_000).map(|i| Some(format!("{}x{i}", i % 10))).collect()),
            // Each value four times in a row: the probe keeps the memo, which stops at 4,096 values.
            ("memo fills up", (0..40_000).map(|i| Some((i / 4).to_string())).collect()),
            ("empty", vec![]),
            ("only NULLs", vec![None; 3000]),
        ];
        for (name, values) in cases {
            let s: StringArray = values.iter().map(|v| v.as_deref()).collect();
            for (label, f) in [("swap", &swap as &dyn Fn(&str) -> Option<String>), ("first pair", &first_pair)] {
                let got = per_distinct(&s, |v| f(v).map(Cow::Owned));
                assert_eq!(got, row_by_row(&s, f), "{name}, {label}");
            }
        }
    }

    #[test]
    fn timestamp_digits_are_chronos_text() {
        let day = 86_400_000i64;
        let mut values = vec![0, -1, 1, 951_782_400_000, 951_868_799_999, 253_402_300_799_999, -62_167_219_200_000];
        // Every day of 1899-2101 at a varying time of day, and some instants before the epoch.
        values.extend((-25_567i64..48_000).step_by(7).map(|d| d * day + (d * 7_919_993).rem_euclid(day)));
        for ms in values {
            let mut text = [0u8; 23];
            assert!(timestamp_digits(ms, &mut text), "{ms}");
            let want = chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d %H:%M:%S%.3f").to_string();
            assert_eq!(std::str::from_utf8(&text).unwrap(), want, "{ms}");
        }
        // Outside years 0-9999 the caller formats with chrono.
        assert!(!timestamp_digits(253_402_300_800_000, &mut [0u8; 23]));
        assert!(!timestamp_digits(-62_167_219_200_001, &mut [0u8; 23]));
    }

    #[test]
    fn date_format_digit_slices_are_chronos_text() {
        use datafusion::arrow::array::{StringArray as S, TimestampMillisecondArray};
        use datafusion::common::ScalarValue;
        let day = 86_400_000i64;
        let values: Vec<Option<i64>> = (-3_000i64..20_000)
            .step_by(13)
            .map(|d| Some(d * day + (d * 7_919_993).rem_euclid(day)))
            .chain([None, Some(253_402_300_800_000)])
            .collect();
        let ts: ArrayRef = Arc::new(TimestampMillisecondArray::from(values.clone()));
        for format in ["%Y-%m-%d %H", "%Y%m%d", "%H:%i:%s", "%d/%m/%Y at %H h", "%Y-%m-%d %T", "%b %e, %Y"] {
            let pattern: ArrayRef = Arc::new(S::from(vec![format; values.len()]));
            let fields = vec![
                Arc::new(datafusion::arrow::datatypes::Field::new("t", ts.data_type().clone(), true)),
                Arc::new(datafusion::arrow::datatypes::Field::new("f", DataType::Utf8, true)),
            ];
            let result = datafusion::arrow::datatypes::Field::new("r", DataType::Utf8, true);
            let args = Args {
                arrays: vec![ts.clone(), pattern],
                fields: &fields,
                rows: values.len(),
                result: &result,
                constants: vec![None, Some(ScalarValue::Utf8(Some(format.into())))],
            };
            let got = date_format(&args).unwrap().unwrap();
            let got = got.as_string::<i32>();
            let chrono_pattern = super::super::datetime::mysql_to_chrono(format, false).unwrap();
            let items: Vec<chrono::format::Item<'_>> = chrono::format::StrftimeItems::new(&chrono_pattern).collect();
            // All but the month names (%b) take the digit slices (%T is %H:%M:%S).
            assert_eq!(digit_pieces(&items).is_some(), !format.contains("%b"), "{format}");
            for (i, v) in values.iter().enumerate() {
                let want = v
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| t.naive_utc().format(&chrono_pattern).to_string());
                assert_eq!(
                    got.is_null(i).then_some(()).map_or(Some(got.value(i).to_string()), |_| None),
                    want,
                    "{format} {v:?}"
                );
            }
        }
    }

    #[test]
    fn integer_text_is_arrows_cast() {
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int8Array::from(vec![Some(i8::MIN), None, Some(0), Some(i8::MAX)])),
            Arc::new(Int32Array::from(vec![Some(-1), Some(132), None, Some(i32::MIN)])),
            Arc::new(I64::from(vec![i64::MIN, -10, 9, i64::MAX])),
            Arc::new(UInt64Array::from(vec![u64::MAX, 0])),
        ];
        for array in arrays {
            let fields = vec![Arc::new(Field::new("x", array.data_type().clone(), true))];
            let result = Field::new("r", DataType::Utf8, true);
            let args = Args {
                arrays: vec![array.clone()],
                fields: &fields,
                rows: array.len(),
                result: &result,
                constants: vec![None],
            };
            let got = integer_text(&args).unwrap().unwrap();
            assert_eq!(&got, &cast(&array, &DataType::Utf8).unwrap(), "{array:?}");
        }
    }
}
