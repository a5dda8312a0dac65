//! Row-by-row evaluation over `ScalarValue`s, for functions where clarity matters more than
//! speed (string, regex, JSON and URL functions). Results are built with the result field's type,
//! so a NULL row is a typed NULL.

use super::udf::Args;
use datafusion::arrow::array::{ArrayRef, new_empty_array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};

/// Evaluates `f` on each row's argument values.
pub fn rowwise(args: &Args<'_>, f: impl Fn(&[ScalarValue]) -> Result<ScalarValue>) -> Result<ArrayRef> {
    let target = args.result.data_type().clone();
    let mut out = Vec::with_capacity(args.rows);
    let mut row = Vec::with_capacity(args.arrays.len());
    for i in 0..args.rows {
        row.clear();
        for a in &args.arrays {
            row.push(ScalarValue::try_from_array(a, i)?);
        }
        let v = f(&row)?;
        out.push(if v.is_null() { ScalarValue::try_from(&target)? } else { v });
    }
    if out.is_empty() {
        return Ok(new_empty_array(&target));
    }
    let array = ScalarValue::iter_to_array(out)?;
    if array.data_type() == &target { Ok(array) } else { Ok(datafusion::arrow::compute::cast(&array, &target)?) }
}

/// [`rowwise`] for a function that is NULL when any argument is NULL (most Trino functions
/// are): `f` sees only rows without NULLs.
pub fn strict(args: &Args<'_>, f: impl Fn(&[ScalarValue]) -> Result<ScalarValue>) -> Result<ArrayRef> {
    rowwise(args, |r| if any_null(r) { Ok(ScalarValue::Null) } else { f(r) })
}

/// The text of a string value (any string type); numbers and other values are not text.
pub fn text(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => s.as_deref(),
        _ => None,
    }
}

/// The bytes of a varbinary value (or of a string, as its UTF-8).
pub fn bytes(v: &ScalarValue) -> Option<&[u8]> {
    match v {
        ScalarValue::Binary(b) | ScalarValue::LargeBinary(b) | ScalarValue::BinaryView(b) => b.as_deref(),
        ScalarValue::FixedSizeBinary(_, b) => b.as_deref(),
        other => text(other).map(str::as_bytes),
    }
}

/// An integer value.
pub fn int(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int8(x) => x.map(i64::from),
        ScalarValue::Int16(x) => x.map(i64::from),
        ScalarValue::Int32(x) => x.map(i64::from),
        ScalarValue::Int64(x) => *x,
        ScalarValue::UInt8(x) => x.map(i64::from),
        ScalarValue::UInt16(x) => x.map(i64::from),
        ScalarValue::UInt32(x) => x.map(i64::from),
        ScalarValue::UInt64(x) => x.and_then(|x| i64::try_from(x).ok()),
        _ => None,
    }
}

/// A numeric value as a double.
pub fn float(v: &ScalarValue) -> Option<f64> {
    match v {
        ScalarValue::Float64(x) => *x,
        ScalarValue::Float32(x) => x.map(f64::from),
        ScalarValue::Float16(x) => x.map(f64::from),
        ScalarValue::Decimal128(Some(x), _, s) => Some(*x as f64 / 10f64.powi(i32::from(*s))),
        other => int(other).map(|i| i as f64),
    }
}

pub fn utf8(s: Option<String>) -> ScalarValue {
    ScalarValue::Utf8(s)
}

pub fn bigint(v: Option<i64>) -> ScalarValue {
    ScalarValue::Int64(v)
}

pub fn binary(v: Option<Vec<u8>>) -> ScalarValue {
    ScalarValue::Binary(v)
}

/// A `List<Utf8>` value.
pub fn string_list(items: Option<Vec<Option<String>>>) -> ScalarValue {
    match items {
        None => ScalarValue::try_from(&list_of(DataType::Utf8)).unwrap_or(ScalarValue::Null),
        Some(items) => {
            let values: Vec<ScalarValue> = items.into_iter().map(ScalarValue::Utf8).collect();
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Utf8))
        }
    }
}

pub fn list_of(item: DataType) -> DataType {
    DataType::List(std::sync::Arc::new(datafusion::arrow::datatypes::Field::new("item", item, true)))
}

/// Whether any argument is NULL (most Trino functions return NULL then).
pub fn any_null(row: &[ScalarValue]) -> bool {
    row.iter().any(ScalarValue::is_null)
}
