//! Athena's result files: values rendered as Athena (Trino) renders them as text, SELECT results
//! as `<id>.csv` (a quoted header row, every value quoted, NULL an empty unquoted field) and
//! utility results as `<id>.txt` (tab-separated, no header), and the reader that pages through
//! them for `GetQueryResults`, telling NULL (empty, unquoted) from the empty string (`""`).

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// One row of text values; `None` is NULL.
pub type TextRow = Vec<Option<String>>;

/// A double as Java's `Double.toString` writes it (Trino's text form): `1.5`, `100.0`,
/// `1.0E7`, `1.234E-5`, `NaN`, `Infinity`.
pub fn java_double(v: f64) -> String {
    java_float_text(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        v == 0.0,
        v.abs(),
        format!("{v}"),
        format!("{v:e}"),
    )
}

/// A real as Java's `Float.toString` writes it.
pub fn java_float(v: f32) -> String {
    java_float_text(
        v.is_nan(),
        v.is_infinite(),
        v.is_sign_negative(),
        v == 0.0,
        f64::from(v.abs()),
        format!("{v}"),
        format!("{v:e}"),
    )
}

fn java_float_text(nan: bool, inf: bool, neg: bool, zero: bool, abs: f64, plain: String, sci: String) -> String {
    if nan {
        return "NaN".into();
    }
    if inf {
        return if neg { "-Infinity".into() } else { "Infinity".into() };
    }
    if zero {
        return if neg { "-0.0".into() } else { "0.0".into() };
    }
    if (1e-3..1e7).contains(&abs) {
        return if plain.contains('.') { plain } else { format!("{plain}.0") };
    }
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

/// The text of one value (`None` for NULL), as Athena writes it to result files.
pub fn value_text(array: &dyn Array, row: usize) -> Option<String> {
    // A NullArray has no validity buffer: `is_null` says false for its rows.
    if array.is_null(row) || array.data_type() == &DataType::Null {
        return None;
    }
    Some(match array.data_type() {
        DataType::Interval(_) | DataType::Duration(_) => interval_text(array, row),
        DataType::Float64 => java_double(array.as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(row)),
        DataType::Float32 => java_float(array.as_primitive::<datafusion::arrow::datatypes::Float32Type>().value(row)),
        DataType::Timestamp(unit, tz) => timestamp_text(array, row, *unit, tz.as_deref()),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let items = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(row),
                DataType::LargeList(_) => array.as_list::<i64>().value(row),
                _ => array.as_fixed_size_list().value(row),
            };
            let parts: Vec<String> = (0..items.len()).map(|i| nested_text(items.as_ref(), i)).collect();
            format!("[{}]", parts.join(", "))
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let parts: Vec<String> = (0..entries.len())
                .map(|i| format!("{}={}", nested_text(keys.as_ref(), i), nested_text(values.as_ref(), i)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let parts: Vec<String> = fields
                .iter()
                .zip(s.columns())
                .map(|(f, c)| format!("{}={}", f.name(), nested_text(c.as_ref(), row)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            let bytes: &[u8] = match array.data_type() {
                DataType::Binary => array.as_binary::<i32>().value(row),
                DataType::LargeBinary => array.as_binary::<i64>().value(row),
                DataType::BinaryView => array.as_binary_view().value(row),
                _ => array.as_fixed_size_binary().value(row),
            };
            bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
        }
        _ => {
            let options = FormatOptions::default().with_date_format(Some("%Y-%m-%d"));
            match ArrayFormatter::try_new(array, &options) {
                Ok(f) => f.value(row).to_string(),
                Err(_) => String::new(),
            }
        }
    })
}

/// A value inside an array, map or row: NULL reads `null`.
fn nested_text(array: &dyn Array, row: usize) -> String {
    value_text(array, row).unwrap_or_else(|| "null".into())
}

/// Trino's interval text: `Y-M` for year-month intervals, `D HH:MM:SS.mmm` for day-time ones.
fn interval_text(array: &dyn Array, row: usize) -> String {
    use datafusion::arrow::datatypes::*;
    let year_month = |months: i64| {
        let sign = if months < 0 { "-" } else { "" };
        format!("{sign}{}-{}", months.unsigned_abs() / 12, months.unsigned_abs() % 12)
    };
    let day_time = |millis: i64| {
        let sign = if millis < 0 { "-" } else { "" };
        let m = millis.unsigned_abs();
        let (days, rest) = (m / 86_400_000, m % 86_400_000);
        let (h, rest) = (rest / 3_600_000, rest % 3_600_000);
        let (min, rest) = (rest / 60_000, rest % 60_000);
        format!("{sign}{days} {h:02}:{min:02}:{:02}.{:03}", rest / 1000, rest % 1000)
    };
    match array.data_type() {
        DataType::Interval(IntervalUnit::YearMonth) => {
            year_month(i64::from(array.as_primitive::<IntervalYearMonthType>().value(row)))
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = array.as_primitive::<IntervalDayTimeType>().value(row);
            day_time(i64::from(v.days) * 86_400_000 + i64::from(v.milliseconds))
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            if v.months != 0 && v.days == 0 && v.nanoseconds == 0 {
                year_month(i64::from(v.months))
            } else {
                day_time(
                    i64::from(v.days) * 86_400_000 + v.nanoseconds / 1_000_000 + i64::from(v.months) * 30 * 86_400_000,
                )
            }
        }
        DataType::Duration(unit) => {
            let millis = match unit {
                TimeUnit::Second => array.as_primitive::<DurationSecondType>().value(row) * 1000,
                TimeUnit::Millisecond => array.as_primitive::<DurationMillisecondType>().value(row),
                TimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().value(row) / 1000,
                TimeUnit::Nanosecond => array.as_primitive::<DurationNanosecondType>().value(row) / 1_000_000,
            };
            day_time(millis)
        }
        _ => String::new(),
    }
}

fn timestamp_text(array: &dyn Array, row: usize, unit: TimeUnit, tz: Option<&str>) -> String {
    use datafusion::arrow::datatypes::*;
    // Seconds and nanoseconds of the instant, never through a nanosecond count (which ends in
    // 2262: a millisecond timestamp of the year 9999 would wrap around).
    let (raw, per_second) = match unit {
        TimeUnit::Second => (array.as_primitive::<TimestampSecondType>().value(row), 1),
        TimeUnit::Millisecond => (array.as_primitive::<TimestampMillisecondType>().value(row), 1_000),
        TimeUnit::Microsecond => (array.as_primitive::<TimestampMicrosecondType>().value(row), 1_000_000),
        TimeUnit::Nanosecond => (array.as_primitive::<TimestampNanosecondType>().value(row), 1_000_000_000),
    };
    let (secs, fraction) = (raw.div_euclid(per_second), raw.rem_euclid(per_second));
    let nanos = (fraction * (1_000_000_000 / per_second)) as u32;
    let mut digits = [0u8; 23];
    if tz.is_none()
        && let Some(millis) = secs.checked_mul(1000).and_then(|ms| ms.checked_add(i64::from(nanos / 1_000_000)))
        && super::trino::fast::timestamp_digits(millis, &mut digits)
    {
        return String::from_utf8_lossy(&digits).into_owned();
    }
    let Some(utc) = chrono::DateTime::from_timestamp(secs, nanos) else { return raw.to_string() };
    let text = |dt: chrono::NaiveDateTime| dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
    match tz {
        None => text(utc.naive_utc()),
        Some(zone) => match super::trino::datetime::zone(zone) {
            Some(super::trino::datetime::Zone::Named(z)) => {
                format!("{} {zone}", text(utc.with_timezone(&z).naive_local()))
            }
            Some(super::trino::datetime::Zone::Fixed(o)) => {
                format!("{} {zone}", text(utc.with_timezone(&o).naive_local()))
            }
            None => format!("{} {zone}", text(utc.naive_utc())),
        },
    }
}

/// The text rows of a batch.
pub fn batch_rows(batch: &RecordBatch) -> Vec<TextRow> {
    (0..batch.num_rows()).map(|r| batch.columns().iter().map(|c| value_text(c.as_ref(), r)).collect()).collect()
}

/// One CSV line of Athena's result format.
pub fn csv_line(values: &[Option<String>], out: &mut Vec<u8>) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Some(v) = v {
            out.push(b'"');
            for b in v.bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        }
    }
    out.push(b'\n');
}

/// One line of a utility statement's `.txt` result.
pub fn txt_line(values: &[Option<String>], out: &mut Vec<u8>) {
    let parts: Vec<&str> = values.iter().map(|v| v.as_deref().unwrap_or_default()).collect();
    out.extend_from_slice(parts.join("\t").as_bytes());
    out.push(b'\n');
}

/// Parses CSV rows of Athena's format from `data`, at most `max` rows. Returns the rows and the
/// number of bytes consumed; a final row without its line end is complete only if `at_end`.
pub fn parse_csv(data: &[u8], max: usize, at_end: bool) -> (Vec<TextRow>, usize) {
    let mut rows = Vec::new();
    let mut pos = 0;
    while rows.len() < max && pos < data.len() {
        match parse_csv_row(&data[pos..], at_end) {
            Some((row, used)) => {
                rows.push(row);
                pos += used;
            }
            None => break,
        }
    }
    (rows, pos)
}

fn parse_csv_row(data: &[u8], at_end: bool) -> Option<(TextRow, usize)> {
    let mut row = Vec::new();
    let mut i = 0;
    loop {
        // one field
        if data.get(i) == Some(&b'"') {
            let mut value = Vec::new();
            i += 1;
            loop {
                match data.get(i) {
                    None => return None,
                    Some(b'"') if data.get(i + 1) == Some(&b'"') => {
                        value.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b) => {
                        value.push(*b);
                        i += 1;
                    }
                }
            }
            row.push(Some(String::from_utf8_lossy(&value).into_owned()));
        } else {
            let start = i;
            while i < data.len() && data[i] != b',' && data[i] != b'\n' {
                i += 1;
            }
            let raw = &data[start..i];
            row.push(if raw.is_empty() { None } else { Some(String::from_utf8_lossy(raw).into_owned()) });
        }
        match data.get(i) {
            Some(b',') => i += 1,
            Some(b'\n') => return Some((row, i + 1)),
            None if at_end => return Some((row, i)),
            _ => return None,
        }
    }
}

/// Parses `.txt` rows: tab-separated, one row per line, `columns` values per row.
pub fn parse_txt(data: &[u8], columns: usize) -> Vec<TextRow> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .map(|line| {
            if columns <= 1 {
                vec![Some(line.to_string())]
            } else {
                let mut parts: Vec<Option<String>> = line.splitn(columns, '\t').map(|p| Some(p.to_string())).collect();
                parts.resize(columns, None);
                parts
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::*;
    use datafusion::arrow::datatypes::{Field, Fields};
    use std::sync::Arc;

    #[test]
    fn doubles_read_as_in_java() {
        // Expected strings are what java.lang.Double.toString prints for these values.
        for (v, text) in [
            (1.5, "1.5"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (-2.5e-5, "-2.5E-5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.0, "0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(java_double(v), text, "{v}");
        }
        assert_eq!(java_float(0.1f32), "0.1");
        assert_eq!(java_float(1.0e10f32), "1.0E10");
    }

    #[test]
    fn timestamps_outside_the_nanosecond_range_keep_their_instant() {
        use datafusion::arrow::array::{TimestampMillisecondArray, TimestampSecondArray};
        // 9999-12-31 23:59:59.999 and 1500-01-01: beyond what a nanosecond count holds
        // (1677-2262), which the text must not go through. Expected texts from chrono directly.
        for ms in [253_402_300_799_999i64, -14_831_769_600_000, 10_000_000_000_000] {
            let want = chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d %H:%M:%S%.3f").to_string();
            assert_eq!(value_text(&TimestampMillisecondArray::from(vec![ms]), 0), Some(want.clone()), "{ms}");
            let micros = TimestampMicrosecondArray::from(vec![ms * 1000]);
            assert_eq!(value_text(&micros, 0), Some(want.clone()), "{ms}");
            if ms % 1000 == 0 {
                assert_eq!(value_text(&TimestampSecondArray::from(vec![ms / 1000]), 0), Some(want), "{ms}");
            }
        }
        // With a zone, through chrono: from_unixtime(253402214400) is 9999-12-31 in UTC.
        let zoned = TimestampMillisecondArray::from(vec![253_402_214_400_000]).with_timezone("UTC");
        assert_eq!(value_text(&zoned, 0).as_deref(), Some("9999-12-31 00:00:00.000 UTC"));
    }

    #[test]
    fn values_render_as_athena_writes_them() {
        let ts = TimestampMicrosecondArray::from(vec![Some(1_704_067_200_123_456), None]);
        assert_eq!(value_text(&ts, 0).as_deref(), Some("2024-01-01 00:00:00.123"));
        assert_eq!(value_text(&ts, 1), None);
        let d = Date32Array::from(vec![19723]);
        assert_eq!(value_text(&d, 0).as_deref(), Some("2024-01-01"));
        let dec = Decimal128Array::from(vec![1250]).with_precision_and_scale(10, 2).unwrap();
        assert_eq!(value_text(&dec, 0).as_deref(), Some("12.50"));
        let list = ListArray::from_iter_primitive::<datafusion::arrow::datatypes::Int32Type, _, _>(vec![Some(vec![
            Some(1),
            None,
            Some(3),
        ])]);
        assert_eq!(value_text(&list, 0).as_deref(), Some("[1, null, 3]"));
        let s = StructArray::new(
            Fields::from(vec![Field::new("x", DataType::Int32, true), Field::new("y", DataType::Utf8, true)]),
            vec![Arc::new(Int32Array::from(vec![1])), Arc::new(StringArray::from(vec!["a"]))],
            None,
        );
        assert_eq!(value_text(&s, 0).as_deref(), Some("{x=1, y=a}"));
        let b = BooleanArray::from(vec![true]);
        assert_eq!(value_text(&b, 0).as_deref(), Some("true"));
    }

    #[test]
    fn csv_round_trip_keeps_null_apart_from_empty() {
        let rows: Vec<TextRow> = vec![
            vec![Some("a".into()), None, Some(String::new())],
            vec![Some("say \"hi\"".into()), Some("line\nbreak".into()), Some("x,y".into())],
        ];
        let mut out = Vec::new();
        for r in &rows {
            csv_line(r, &mut out);
        }
        assert_eq!(String::from_utf8_lossy(&out), "\"a\",,\"\"\n\"say \"\"hi\"\"\",\"line\nbreak\",\"x,y\"\n");
        let (parsed, used) = parse_csv(&out, 10, true);
        assert_eq!(parsed, rows);
        assert_eq!(used, out.len());
        let (first, used) = parse_csv(&out, 1, true);
        assert_eq!(first, rows[..1]);
        let (rest, _) = parse_csv(&out[used..], 10, true);
        assert_eq!(rest, rows[1..]);
        let (partial, used) = parse_csv(&out[..out.len() - 3], 10, false);
        assert_eq!((partial.len(), used), (1, 8), "an incomplete row waits for more bytes");
    }

    #[test]
    fn txt_rows() {
        let mut out = Vec::new();
        txt_line(&[Some("year=2024/month=03".into())], &mut out);
        txt_line(&[Some("a".into()), Some("b".into())], &mut out);
        assert_eq!(parse_txt(&out, 1)[0], vec![Some("year=2024/month=03".to_string())]);
        assert_eq!(parse_txt(b"k\tv\n", 2)[0], vec![Some("k".to_string()), Some("v".to_string())]);
    }
}
