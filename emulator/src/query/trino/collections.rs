//! Trino's array and map functions that DataFusion lacks or answers differently.
//! <https://trino.io/docs/current/functions/array.html>, <https://trino.io/docs/current/functions/map.html>

use super::udf::{Udf, arity, invalid};
use super::values::{any_null, int, rowwise, strict};
use datafusion::arrow::array::{Array, ArrayRef, ListArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

fn list_value(item: &Arc<Field>, values: ArrayRef) -> ScalarValue {
    ScalarValue::List(Arc::new(ListArray::new(item.clone(), OffsetBuffer::from_lengths([values.len()]), values, None)))
}

/// The elements of an array value (`None` for NULL).
pub(super) fn elements(v: &ScalarValue) -> Option<ArrayRef> {
    match v {
        ScalarValue::List(l) if !l.is_null(0) => Some(l.value(0)),
        ScalarValue::LargeList(l) if !l.is_null(0) => Some(l.value(0)),
        _ => None,
    }
}

fn element_type(t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Ok(f.data_type().clone()),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => Ok(fields[1].data_type().clone()),
            _ => Err(invalid("malformed map")),
        },
        DataType::Null => Ok(DataType::Null),
        other => Err(datafusion::error::DataFusionError::Plan(format!(
            "TYPE_MISMATCH: line 1:1: Unexpected parameters ({}) for function element_at",
            crate::query::types::athena_type_name(other)
        ))),
    }
}

/// The value of a map (one row) for a key, compared after casting the key to the map's key type.
fn map_lookup(m: &datafusion::arrow::array::MapArray, key: &ScalarValue) -> Result<Option<ScalarValue>> {
    let entries = m.value(0);
    for i in 0..entries.len() {
        let k = ScalarValue::try_from_array(entries.column(0), i)?;
        if k == *key || key.cast_to(&k.data_type()).is_ok_and(|c| c == k) {
            return ScalarValue::try_from_array(entries.column(1), i).map(Some);
        }
    }
    Ok(None)
}

/// The field a subscript on a row selects: by 1-based position (Trino) or by name.
fn struct_field(fields: &datafusion::arrow::datatypes::Fields, key: &ScalarValue) -> Result<usize> {
    if let Some(i) = int(key) {
        return usize::try_from(i - 1)
            .ok()
            .filter(|i| *i < fields.len())
            .ok_or_else(|| invalid(format!("Invalid field index: {i}")));
    }
    let name = super::values::text(key).unwrap_or("");
    fields
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| invalid(format!("Field not found: {name}")))
}

/// `a[i]` on arrays (1-based; out of range fails, as in Trino), `m[k]` on maps (a missing key
/// fails) and `r[i]` on rows; written by the AST rewrite (element_at is the NULL-giving form).
fn subscript() -> ScalarUDF {
    Udf::with_fields(
        "__lakebox_subscript",
        arity(&[2]),
        |fields, scalars| {
            let t = match fields[0].data_type() {
                DataType::Struct(fs) => {
                    let key =
                        scalars.get(1).copied().flatten().ok_or_else(|| invalid("row subscripts must be constants"))?;
                    fs[struct_field(fs, key)?].data_type().clone()
                }
                other => element_type(other)?,
            };
            Ok(Field::new("r", t, true))
        },
        |a| {
            strict(a, |r| match &r[0] {
                ScalarValue::Map(m) => {
                    map_lookup(m, &r[1])?.ok_or_else(|| invalid(format!("Key not present in map: {}", r[1])))
                }
                ScalarValue::Struct(st) => {
                    let i = struct_field(st.fields(), &r[1])?;
                    ScalarValue::try_from_array(st.column(i), 0)
                }
                list => {
                    let Some(items) = elements(list) else { return Ok(ScalarValue::Null) };
                    let i = int(&r[1]).ok_or_else(|| invalid("array subscripts must be integers"))?;
                    let n = items.len() as i64;
                    if i < 1 {
                        return Err(invalid(format!("Array subscript is negative or zero: {i}")));
                    }
                    if i > n {
                        return Err(invalid(format!(
                            "Array subscript must be less than or equal to array length: {i} > {n}"
                        )));
                    }
                    ScalarValue::try_from_array(&items, (i - 1) as usize)
                }
            })
        },
    )
    .udf()
}

/// `reverse` of a string, a varbinary or an array.
fn reverse() -> ScalarUDF {
    Udf::new(
        "reverse",
        arity(&[1]),
        |t| Ok(if t[0] == DataType::Null { DataType::Utf8 } else { t[0].clone() }),
        |a| {
            rowwise(a, |r| {
                Ok(match &r[0] {
                    v if v.is_null() => ScalarValue::Null,
                    ScalarValue::Binary(Some(b)) => ScalarValue::Binary(Some(b.iter().rev().copied().collect())),
                    v if super::values::text(v).is_some() => {
                        ScalarValue::Utf8(super::values::text(v).map(|s| s.chars().rev().collect()))
                    }
                    v => {
                        let (Some(items), DataType::List(item)) = (elements(v), a.result.data_type()) else {
                            return Err(invalid("reverse takes a string, varbinary or array"));
                        };
                        let indices =
                            datafusion::arrow::array::UInt32Array::from_iter_values((0..items.len() as u32).rev());
                        list_value(item, datafusion::arrow::compute::take(&items, &indices, None)?)
                    }
                })
            })
        },
    )
    .udf()
}

/// `zip(a1, a2, ...)`: an array of rows, the i-th row holding the arrays' i-th elements, shorter
/// arrays padded with NULLs.
fn zip() -> ScalarUDF {
    Udf::new(
        "zip",
        datafusion::logical_expr::Signature::variadic_any(datafusion::logical_expr::Volatility::Immutable),
        |t| {
            let fields: Vec<Field> = t
                .iter()
                .enumerate()
                .map(|(i, t)| Ok(Field::new(format!("field{i}"), element_type(t)?, true)))
                .collect::<Result<_>>()?;
            Ok(super::values::list_of(DataType::Struct(fields.into())))
        },
        |a| {
            let DataType::List(item) = a.result.data_type().clone() else { unreachable!("a list") };
            let DataType::Struct(fields) = item.data_type().clone() else { unreachable!("rows") };
            strict(a, |r| {
                let lists: Vec<ArrayRef> =
                    r.iter().map(|v| elements(v).ok_or_else(|| invalid("zip takes arrays"))).collect::<Result<_>>()?;
                let n = lists.iter().map(|l| l.len()).max().unwrap_or(0);
                let columns: Vec<ArrayRef> = lists
                    .iter()
                    .map(|l| {
                        let idx = datafusion::arrow::array::UInt32Array::from(
                            (0..n).map(|i| (i < l.len()).then_some(i as u32)).collect::<Vec<_>>(),
                        );
                        Ok(datafusion::arrow::compute::take(l, &idx, None)?)
                    })
                    .collect::<Result<_>>()?;
                let rows = datafusion::arrow::array::StructArray::try_new(fields.clone(), columns, None)?;
                Ok(list_value(&item, Arc::new(rows)))
            })
        },
    )
    .udf()
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        zip(),
        subscript(),
        reverse(),
        // ngrams(array, n): the n-element windows (the whole array when shorter).
        Udf::new(
            "ngrams",
            arity(&[2]),
            |t| Ok(super::values::list_of(t[0].clone())),
            |a| {
                let DataType::List(outer) = a.result.data_type().clone() else { unreachable!("a list") };
                let DataType::List(item) = outer.data_type().clone() else {
                    return Err(invalid("ngrams takes an array"));
                };
                rowwise(a, |r| {
                    let Some(items) = elements(&r[0]).filter(|_| !any_null(r)) else { return Ok(ScalarValue::Null) };
                    let n = int(&r[1]).unwrap_or(0);
                    if n <= 0 {
                        return Err(invalid("N must be positive"));
                    }
                    let n = (n as usize).min(items.len().max(1));
                    let grams: Vec<ScalarValue> = if items.len() <= n {
                        vec![list_value(&item, items.clone())]
                    } else {
                        (0..=items.len() - n).map(|i| list_value(&item, items.slice(i, n))).collect()
                    };
                    Ok(ScalarValue::List(ScalarValue::new_list_nullable(&grams, outer.data_type())))
                })
            },
        )
        .udf(),
        // shuffle(array): a random permutation.
        Udf::new(
            "shuffle",
            super::udf::arity_with(&[1], datafusion::logical_expr::Volatility::Volatile),
            |t| Ok(t[0].clone()),
            |a| {
                let DataType::List(item) = a.result.data_type().clone() else {
                    return Err(invalid("shuffle takes an array"));
                };
                rowwise(a, |r| {
                    let Some(items) = elements(&r[0]) else { return Ok(ScalarValue::Null) };
                    let mut order: Vec<u32> = (0..items.len() as u32).collect();
                    // Fisher-Yates, drawing from the OS generator through uuid's v4.
                    for i in (1..order.len()).rev() {
                        let j = uuid::Uuid::new_v4().as_u128() % (i as u128 + 1);
                        order.swap(i, j as usize);
                    }
                    let taken = datafusion::arrow::compute::take(
                        &items,
                        &datafusion::arrow::array::UInt32Array::from(order),
                        None,
                    )?;
                    Ok(list_value(&item, taken))
                })
            },
        )
        .udf(),
        // element_at(array, index): 1-based, negative from the end, NULL outside; index 0 fails.
        // element_at(map, key): the value, NULL if absent.
        Udf::new(
            "element_at",
            arity(&[2]),
            |t| element_type(&t[0]),
            |a| {
                strict(a, |r| match &r[0] {
                    ScalarValue::Map(m) => Ok(map_lookup(m, &r[1])?.unwrap_or(ScalarValue::Null)),
                    list => {
                        let Some(items) = elements(list) else { return Ok(ScalarValue::Null) };
                        let i = int(&r[1]).ok_or_else(|| invalid("element_at takes an integer index"))?;
                        if i == 0 {
                            return Err(invalid("SQL array indices start at 1"));
                        }
                        let n = items.len() as i64;
                        let at = if i > 0 { i - 1 } else { n + i };
                        if at < 0 || at >= n {
                            return Ok(ScalarValue::Null);
                        }
                        ScalarValue::try_from_array(&items, at as usize)
                    }
                })
            },
        )
        .udf(),
        // slice(array, start, length): negative starts count from the end.
        Udf::new(
            "slice",
            arity(&[3]),
            |t| Ok(t[0].clone()),
            |a| {
                let DataType::List(item) = a.result.data_type().clone() else {
                    return Err(invalid("slice takes an array"));
                };
                rowwise(a, |r| {
                    let Some(items) = elements(&r[0]).filter(|_| !any_null(r)) else { return Ok(ScalarValue::Null) };
                    let (start, length) = (int(&r[1]).unwrap_or(1), int(&r[2]).unwrap_or(0));
                    if start == 0 {
                        return Err(invalid("SQL array indices start at 1"));
                    }
                    if length < 0 {
                        return Err(invalid(format!("length must be greater than or equal to 0: {length}")));
                    }
                    let n = items.len() as i64;
                    let from = if start > 0 { start - 1 } else { n + start };
                    if from < 0 || from >= n {
                        return Ok(list_value(&item, items.slice(0, 0)));
                    }
                    let len = length.min(n - from);
                    Ok(list_value(&item, items.slice(from as usize, len as usize)))
                })
            },
        )
        .udf(),
        Udf::new(
            "trim_array",
            arity(&[2]),
            |t| Ok(t[0].clone()),
            |a| {
                let DataType::List(item) = a.result.data_type().clone() else {
                    return Err(invalid("trim_array takes an array"));
                };
                rowwise(a, |r| {
                    let Some(items) = elements(&r[0]).filter(|_| !any_null(r)) else { return Ok(ScalarValue::Null) };
                    let k = int(&r[1]).unwrap_or(0);
                    if k < 0 || k as usize > items.len() {
                        return Err(invalid(format!("size must not be negative and not exceed the array's size: {k}")));
                    }
                    Ok(list_value(&item, items.slice(0, items.len() - k as usize)))
                })
            },
        )
        .udf(),
        // sequence(start, stop[, step]) over integers, dates (step in days or an interval) and
        // timestamps; at most 10,000 elements as in Trino.
        Udf::new(
            "sequence",
            arity(&[2, 3]),
            |t| {
                Ok(super::values::list_of(match &t[0] {
                    DataType::Date32 | DataType::Date64 => DataType::Date32,
                    DataType::Timestamp(..) => DataType::Timestamp(TimeUnit::Millisecond, None),
                    _ => DataType::Int64,
                }))
            },
            |a| {
                let DataType::List(item) = a.result.data_type().clone() else { unreachable!("typed as a list") };
                strict(a, |r| {
                    let values = sequence(r, item.data_type())?;
                    let array = if values.is_empty() {
                        datafusion::arrow::array::new_empty_array(item.data_type())
                    } else {
                        ScalarValue::iter_to_array(values)?
                    };
                    Ok(list_value(&item, array))
                })
            },
        )
        .udf(),
    ]
}

fn sequence(r: &[ScalarValue], item: &DataType) -> Result<Vec<ScalarValue>> {
    use super::datetime::{date_add, instant};
    let too_long = || invalid("result of sequence function must not have more than 10000 entries");
    if let (Some(start), Some(stop)) = (instant(&r[0]), instant(&r[1])) {
        // The step: days for dates by default, or an interval.
        let (unit, n) = match r.get(2) {
            None if start.date => ("day", if stop.millis >= start.millis { 1 } else { -1 }),
            None => return Err(invalid("sequence of timestamps needs an interval step")),
            Some(ScalarValue::IntervalYearMonth(Some(m))) => ("month", i64::from(*m)),
            Some(ScalarValue::IntervalMonthDayNano(Some(v))) if v.months != 0 && v.days == 0 && v.nanoseconds == 0 => {
                ("month", i64::from(v.months))
            }
            Some(ScalarValue::IntervalMonthDayNano(Some(v))) if v.months == 0 => {
                ("millisecond", i64::from(v.days) * 86_400_000 + v.nanoseconds / 1_000_000)
            }
            Some(ScalarValue::IntervalDayTime(Some(v))) => {
                ("millisecond", i64::from(v.days) * 86_400_000 + i64::from(v.milliseconds))
            }
            Some(other) => match int(other) {
                Some(days) => ("day", days),
                None => return Err(invalid("sequence step must be an interval")),
            },
        };
        // Dates step by whole days of a day-to-second interval (`INTERVAL '1' DAY`, `'7' DAY`).
        let (unit, n) = match (unit, start.date) {
            ("millisecond", true) if n % 86_400_000 == 0 => ("day", n / 86_400_000),
            ("millisecond", true) => {
                return Err(invalid("sequence step must be a day interval if start and end values are dates"));
            }
            _ => (unit, n),
        };
        if n == 0 {
            return Err(invalid("step must not be zero"));
        }
        if (stop.millis > start.millis && n < 0) || (stop.millis < start.millis && n > 0) {
            return Err(invalid(
                "sequence stop value should be greater than or equal to start value if step is greater than zero otherwise stop should be less than or equal to start",
            ));
        }
        let mut out = Vec::new();
        for k in 0.. {
            let ms = date_add(unit, n * k, &start)?;
            if (n > 0 && ms > stop.millis) || (n < 0 && ms < stop.millis) {
                break;
            }
            if out.len() == 10_000 {
                return Err(too_long());
            }
            out.push(match item {
                DataType::Date32 => ScalarValue::Date32(Some(ms.div_euclid(86_400_000) as i32)),
                _ => ScalarValue::TimestampMillisecond(Some(ms), None),
            });
        }
        return Ok(out);
    }
    let (start, stop) = (int(&r[0]).unwrap_or(0), int(&r[1]).unwrap_or(0));
    let step = r.get(2).and_then(int).unwrap_or(if stop >= start { 1 } else { -1 });
    if step == 0 {
        return Err(invalid("step must not be zero"));
    }
    if (stop > start && step < 0) || (stop < start && step > 0) {
        return Err(invalid(
            "sequence stop value should be greater than or equal to start value if step is greater than zero otherwise stop should be less than or equal to start",
        ));
    }
    let count = (stop - start) / step + 1;
    if count > 10_000 {
        return Err(too_long());
    }
    Ok((0..count).map(|k| ScalarValue::Int64(Some(start + k * step))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    // https://trino.io/docs/current/functions/array.html#sequence and #slice
    #[test]
    fn sequences_and_subscripts() {
        let i = |v: i64| ScalarValue::Int64(Some(v));
        let ints = |r: &[ScalarValue]| {
            sequence(r, &DataType::Int64)
                .unwrap()
                .iter()
                .map(|v| super::super::values::int(v).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(ints(&[i(1), i(10), i(3)]), vec![1, 4, 7, 10]);
        assert_eq!(ints(&[i(5), i(1)]), vec![5, 4, 3, 2, 1]);
        assert!(sequence(&[i(1), i(5), i(-1)], &DataType::Int64).is_err());
        assert!(sequence(&[i(0), i(20_000)], &DataType::Int64).is_err(), "at most 10,000 entries");
        let jan30 = ScalarValue::Date32(Some(19_752));
        let feb1 = ScalarValue::Date32(Some(19_754));
        assert_eq!(sequence(&[jan30, feb1], &DataType::Date32).unwrap().len(), 3);
        let fields = datafusion::arrow::datatypes::Fields::from(vec![
            Field::new("x", DataType::Int32, true),
            Field::new("y", DataType::Utf8, true),
        ]);
        assert_eq!(struct_field(&fields, &i(2)).unwrap(), 1);
        assert_eq!(struct_field(&fields, &ScalarValue::Utf8(Some("X".into()))).unwrap(), 0);
        assert!(struct_field(&fields, &i(3)).is_err());
    }
}
