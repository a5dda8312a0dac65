//! Trino's map functions and map aggregates. The aggregates are rewritten (see
//! [`super::rewrite`]) into a scalar function over `array_agg`s: `histogram(x)` is
//! `__lakebox_histogram(array_agg(x))`, `map_agg(k, v)` is
//! `__lakebox_map_agg(array_agg(k), array_agg(v))`, `multimap_agg(k, v)` is
//! `__lakebox_multimap_agg(array_agg(k), array_agg(v))`; grouping, filters and windows work
//! as for any aggregate.
//! <https://trino.io/docs/current/functions/map.html>, <https://trino.io/docs/current/functions/aggregate.html#map-aggregate-functions>

use super::udf::{Udf, arity, invalid};
use super::values::{list_of, rowwise, strict, text};
use crate::query::types::map_type;
use datafusion::arrow::array::{Array, ArrayRef, MapArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

/// One map value from its entries (keys must not be NULL).
pub fn map_value(key: &DataType, value: &DataType, entries: Vec<(ScalarValue, ScalarValue)>) -> Result<ScalarValue> {
    let DataType::Map(entries_field, sorted) = map_type(key.clone(), value.clone()) else { unreachable!("a map type") };
    let DataType::Struct(fields) = entries_field.data_type() else { unreachable!("map entries are structs") };
    let n = entries.len();
    let (keys, values): (Vec<ScalarValue>, Vec<ScalarValue>) = entries.into_iter().unzip();
    let build = |items: Vec<ScalarValue>, t: &DataType| -> Result<ArrayRef> {
        if items.is_empty() {
            return Ok(datafusion::arrow::array::new_empty_array(t));
        }
        let items: Vec<ScalarValue> = items.into_iter().map(|v| v.cast_to(t)).collect::<Result<_>>()?;
        ScalarValue::iter_to_array(items)
    };
    let columns = vec![build(keys, key)?, build(values, value)?];
    let structs = StructArray::try_new(fields.clone(), columns, None)?;
    let map = MapArray::try_new(entries_field.clone(), OffsetBuffer::from_lengths([n]), structs, None, sorted)?;
    Ok(ScalarValue::Map(Arc::new(map)))
}

fn items(v: &ScalarValue) -> Result<Vec<ScalarValue>> {
    match v {
        ScalarValue::List(l) if !l.is_null(0) => {
            let values = l.value(0);
            (0..values.len()).map(|i| ScalarValue::try_from_array(&values, i)).collect()
        }
        _ => Ok(Vec::new()),
    }
}

fn entries(v: &ScalarValue) -> Result<Vec<(ScalarValue, ScalarValue)>> {
    match v {
        ScalarValue::Map(m) if !m.is_null(0) => {
            let e = m.value(0);
            (0..e.len())
                .map(|i| {
                    Ok((ScalarValue::try_from_array(e.column(0), i)?, ScalarValue::try_from_array(e.column(1), i)?))
                })
                .collect()
        }
        _ => Ok(Vec::new()),
    }
}

fn item_type(t: &DataType) -> DataType {
    match t {
        DataType::List(f) | DataType::LargeList(f) => f.data_type().clone(),
        other => other.clone(),
    }
}

/// The key and value types of a map type (`NULL` has NULL ones).
pub fn map_types(t: &DataType) -> Result<(DataType, DataType)> {
    match t {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(f) if f.len() == 2 => Ok((f[0].data_type().clone(), f[1].data_type().clone())),
            _ => Err(invalid("malformed map")),
        },
        DataType::Null => Ok((DataType::Null, DataType::Null)),
        other => Err(invalid(format!("expected a map, got {other}"))),
    }
}

fn typed(t: DataType) -> Result<Field> {
    Ok(Field::new("r", t, true))
}

/// Appends or replaces an entry (later keys win, as in `map_concat` and `map_agg`).
fn put(out: &mut Vec<(ScalarValue, ScalarValue)>, k: ScalarValue, v: ScalarValue) {
    match out.iter_mut().find(|(key, _)| *key == k) {
        Some(entry) => entry.1 = v,
        None => out.push((k, v)),
    }
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Udf::with_fields(
            "__lakebox_histogram",
            arity(&[1]),
            |f: &[FieldRef], _| typed(map_type(item_type(f[0].data_type()), DataType::Int64)),
            |a| {
                let key = item_type(a.fields[0].data_type());
                rowwise(a, |r| {
                    let mut counts: Vec<(ScalarValue, ScalarValue)> = Vec::new();
                    for x in items(&r[0])?.into_iter().filter(|x| !x.is_null()) {
                        match counts.iter_mut().find(|(k, _)| *k == x) {
                            Some((_, ScalarValue::Int64(Some(n)))) => *n += 1,
                            _ => counts.push((x, ScalarValue::Int64(Some(1)))),
                        }
                    }
                    map_value(&key, &DataType::Int64, counts)
                })
            },
        )
        .udf(),
        Udf::with_fields(
            "__lakebox_map_agg",
            arity(&[2]),
            |f: &[FieldRef], _| typed(map_type(item_type(f[0].data_type()), item_type(f[1].data_type()))),
            |a| {
                let (kt, vt) = (item_type(a.fields[0].data_type()), item_type(a.fields[1].data_type()));
                rowwise(a, |r| {
                    let mut out = Vec::new();
                    for (k, v) in items(&r[0])?.into_iter().zip(items(&r[1])?) {
                        if !k.is_null() {
                            put(&mut out, k, v);
                        }
                    }
                    map_value(&kt, &vt, out)
                })
            },
        )
        .udf(),
        Udf::with_fields(
            "__lakebox_multimap_agg",
            arity(&[2]),
            |f: &[FieldRef], _| typed(map_type(item_type(f[0].data_type()), list_of(item_type(f[1].data_type())))),
            |a| {
                let (kt, vt) = (item_type(a.fields[0].data_type()), item_type(a.fields[1].data_type()));
                rowwise(a, |r| {
                    let mut groups: Vec<(ScalarValue, Vec<ScalarValue>)> = Vec::new();
                    for (k, v) in items(&r[0])?.into_iter().zip(items(&r[1])?) {
                        if k.is_null() {
                            continue;
                        }
                        match groups.iter_mut().find(|(key, _)| *key == k) {
                            Some((_, vs)) => vs.push(v),
                            None => groups.push((k, vec![v])),
                        }
                    }
                    let entries = groups
                        .into_iter()
                        .map(|(k, vs)| {
                            let vs: Vec<ScalarValue> = vs.into_iter().map(|v| v.cast_to(&vt)).collect::<Result<_>>()?;
                            Ok((k, ScalarValue::List(ScalarValue::new_list_nullable(&vs, &vt))))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    map_value(&kt, &list_of(vt.clone()), entries)
                })
            },
        )
        .udf(),
        // map_from_entries(array(row(k, v)))
        Udf::with_fields(
            "map_from_entries",
            arity(&[1]),
            |f: &[FieldRef], _| match item_type(f[0].data_type()) {
                DataType::Struct(fs) if fs.len() == 2 => {
                    typed(map_type(fs[0].data_type().clone(), fs[1].data_type().clone()))
                }
                other => Err(invalid(format!("map_from_entries takes an array of rows, got {other}"))),
            },
            |a| {
                let (kt, vt) = map_types(a.result.data_type())?;
                rowwise(a, |r| {
                    if r[0].is_null() {
                        return Ok(ScalarValue::Null);
                    }
                    let mut out: Vec<(ScalarValue, ScalarValue)> = Vec::new();
                    for entry in items(&r[0])? {
                        let ScalarValue::Struct(s) = entry else { return Err(invalid("map entry must not be null")) };
                        let (k, v) = (
                            ScalarValue::try_from_array(s.column(0), 0)?,
                            ScalarValue::try_from_array(s.column(1), 0)?,
                        );
                        if k.is_null() {
                            return Err(invalid("map key cannot be null"));
                        }
                        if out.iter().any(|(key, _)| *key == k) {
                            return Err(invalid(format!("Duplicate map keys ({k}) are not allowed")));
                        }
                        out.push((k, v));
                    }
                    map_value(&kt, &vt, out)
                })
            },
        )
        .udf(),
        // map_concat(m1, m2, ...): later maps win.
        Udf::with_fields(
            "map_concat",
            datafusion::logical_expr::Signature::variadic_any(datafusion::logical_expr::Volatility::Immutable),
            |f: &[FieldRef], _| {
                typed(f.iter().map(|f| f.data_type().clone()).find(|t| *t != DataType::Null).unwrap_or(DataType::Null))
            },
            |a| {
                let (kt, vt) = map_types(a.result.data_type())?;
                strict(a, |r| {
                    let mut out = Vec::new();
                    for m in r {
                        for (k, v) in entries(m)? {
                            put(&mut out, k, v);
                        }
                    }
                    map_value(&kt, &vt, out)
                })
            },
        )
        .udf(),
        // split_to_map(string, entry_delimiter, key_value_delimiter)
        Udf::new(
            "split_to_map",
            arity(&[3]),
            |_| Ok(map_type(DataType::Utf8, DataType::Utf8)),
            |a| {
                strict(a, |r| {
                    let (s, entry, kv) =
                        (text(&r[0]).unwrap_or(""), text(&r[1]).unwrap_or(""), text(&r[2]).unwrap_or(""));
                    if entry.is_empty() || kv.is_empty() {
                        return Err(invalid("entryDelimiter and keyValueDelimiter must not be empty"));
                    }
                    let mut out: Vec<(ScalarValue, ScalarValue)> = Vec::new();
                    for part in s.split(entry).filter(|p| !p.is_empty()) {
                        let (k, v) = part.split_once(kv).ok_or_else(|| {
                            invalid(format!(
                                "Key-value delimiter must appear exactly once in each entry. Bad input: '{part}'"
                            ))
                        })?;
                        let k = ScalarValue::Utf8(Some(k.to_string()));
                        if out.iter().any(|(key, _)| *key == k) {
                            return Err(invalid(format!("Duplicate keys ({k}) are not allowed")));
                        }
                        out.push((k, ScalarValue::Utf8(Some(v.to_string()))));
                    }
                    map_value(&DataType::Utf8, &DataType::Utf8, out)
                })
            },
        )
        .udf(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_built_and_later_keys_win() {
        let k = |s: &str| ScalarValue::Utf8(Some(s.into()));
        let v = |i: i64| ScalarValue::Int64(Some(i));
        let mut entries = vec![(k("a"), v(1)), (k("b"), v(2))];
        put(&mut entries, k("b"), v(9));
        put(&mut entries, k("c"), v(3));
        assert_eq!(entries, vec![(k("a"), v(1)), (k("b"), v(9)), (k("c"), v(3))]);
        let m = map_value(&DataType::Utf8, &DataType::Int64, entries.clone()).unwrap();
        assert_eq!(super::entries(&m).unwrap(), entries);
        assert_eq!(m.data_type(), map_type(DataType::Utf8, DataType::Int64));
    }
}
