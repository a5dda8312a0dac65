//! Trino's JSON functions. JSON values are canonical text (keys sorted, no spaces) in a `Utf8`
//! field marked as JSON (see [`super::types::json_field`]); varchar arguments are parsed.
//! JSONPath is Trino's `json_extract` subset: `$`, `.name`, `["name"]`, `[index]`.
//! <https://trino.io/docs/current/functions/json.html>

use super::types::json_field;
use super::udf::{Udf, arity, invalid};
use super::values::{bigint, int, rowwise, strict, text, utf8};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Parses a JSONPath of the subset Trino's `json_extract` accepts.
pub fn parse_path(path: &str) -> Result<Vec<Step>> {
    let bad = || invalid(format!("Invalid JSON path: '{path}'"));
    let rest = path.trim().strip_prefix('$').ok_or_else(bad)?;
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                if end == start {
                    return Err(bad());
                }
                steps.push(Step::Key(chars[start..end].iter().collect()));
                i = end;
            }
            '[' => {
                let close = chars[i..].iter().position(|c| *c == ']').map(|p| p + i).ok_or_else(bad)?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    steps.push(Step::Key(q.to_string()));
                } else if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    steps.push(Step::Key(q.to_string()));
                } else {
                    steps.push(Step::Index(inner.parse().map_err(|_| bad())?));
                }
                i = close + 1;
            }
            _ => return Err(bad()),
        }
    }
    Ok(steps)
}

pub fn walk<'a>(mut v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    for s in steps {
        v = match (s, v) {
            (Step::Key(k), Value::Object(m)) => m.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// `json_extract_scalar`: the text of the scalar at `steps` of `text`, a number as it is written
/// there (Trino returns the parser's token text: `1.50` stays `1.50`, `1e2` stays `1e2`, where a
/// parsed value would print `1.5` and `100.0`). Walks raw sub-values, so only the path is parsed.
pub fn extract_scalar(text: &str, steps: &[Step]) -> Option<String> {
    let raw = match steps {
        [] => serde_json::from_str::<&serde_json::value::RawValue>(text).ok()?.get(),
        steps => steps.iter().try_fold(text, |doc, step| pick(doc, step))?,
    };
    let raw = raw.trim();
    match raw.as_bytes().first()? {
        b'-' | b'0'..=b'9' => Some(raw.to_string()),
        _ => scalar_text(&serde_json::from_str(raw).ok()?),
    }
}

/// The raw text of the member or element `step` of the JSON `doc` (None if it has none, or is
/// not JSON). One pass over `doc` that builds nothing: other members are skipped unparsed.
fn pick<'a>(doc: &'a str, step: &Step) -> Option<&'a str> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_str(doc);
    let found = Pick(step).deserialize(&mut de).ok()?;
    de.end().ok()?;
    found.map(serde_json::value::RawValue::get)
}

struct Pick<'s>(&'s Step);

/// A map key, borrowed from the text unless it has escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Pick<'_> {
    type Value = Option<&'de serde_json::value::RawValue>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pick<'_> {
    type Value = Option<&'de serde_json::value::RawValue>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            // The last of duplicate keys wins, as when the object is parsed into a map.
            match self.0 {
                Step::Key(want) if *key == **want => found = Some(map.next_value()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
        let mut found = None;
        let mut at = 0;
        loop {
            if matches!(self.0, Step::Index(i) if *i == at) {
                match seq.next_element()? {
                    Some(v) => found = Some(v),
                    None => break,
                }
            } else if seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
                break;
            }
            at += 1;
        }
        Ok(found)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
}

/// The text `json_extract_scalar` gives for a value: strings unquoted, no arrays or objects.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn parse(s: &str) -> Option<Value> {
    serde_json::from_str(s).ok()
}

fn json_udf(
    name: &str,
    counts: &[usize],
    body: impl Fn(&super::udf::Args<'_>) -> Result<datafusion::arrow::array::ArrayRef> + Send + Sync + 'static,
) -> ScalarUDF {
    let name_owned = name.to_string();
    Udf::with_fields(name, arity(counts), move |_, _| Ok(json_field(&name_owned)), body).udf()
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        json_udf("json_parse", &[1], |a| {
            rowwise(a, |r| {
                let Some(s) = text(&r[0]) else { return Ok(utf8(None)) };
                let v = parse(s).ok_or_else(|| invalid(format!("Cannot convert value to JSON: '{s}'")))?;
                Ok(utf8(Some(v.to_string())))
            })
        }),
        Udf::new(
            "json_format",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| {
                rowwise(a, |r| Ok(utf8(text(&r[0]).map(|s| parse(s).map_or_else(|| s.to_string(), |v| v.to_string())))))
            },
        )
        .udf(),
        json_udf("json_extract", &[2], |a| {
            strict(a, |r| {
                let steps = parse_path(text(&r[1]).unwrap_or(""))?;
                Ok(utf8(parse(text(&r[0]).unwrap_or("")).and_then(|v| walk(&v, &steps).map(Value::to_string))))
            })
        }),
        Udf::new(
            "json_extract_scalar",
            arity(&[2]),
            |_| Ok(DataType::Utf8),
            |a| {
                if let Some(out) = super::fast::json_extract_scalar(a)? {
                    return Ok(out);
                }
                strict(a, |r| {
                    let steps = parse_path(text(&r[1]).unwrap_or(""))?;
                    Ok(utf8(extract_scalar(text(&r[0]).unwrap_or(""), &steps)))
                })
            },
        )
        .udf(),
        Udf::new(
            "json_array_length",
            arity(&[1]),
            |_| Ok(DataType::Int64),
            |a| {
                rowwise(a, |r| {
                    Ok(bigint(text(&r[0]).and_then(parse).and_then(|v| v.as_array().map(|a| a.len() as i64))))
                })
            },
        )
        .udf(),
        Udf::new(
            "json_array_contains",
            arity(&[2]),
            |_| Ok(DataType::Boolean),
            |a| {
                strict(a, |r| {
                    let Some(Value::Array(items)) = text(&r[0]).and_then(parse) else {
                        return Ok(ScalarValue::Boolean(None));
                    };
                    let found = items.iter().any(|item| match (&r[1], item) {
                        (v, Value::String(s)) if text(v).is_some() => text(v) == Some(s.as_str()),
                        (ScalarValue::Boolean(Some(b)), Value::Bool(x)) => b == x,
                        (v, Value::Number(n)) => match (int(v), n.as_i64()) {
                            (Some(a), Some(b)) => a == b,
                            _ => super::values::float(v).zip(n.as_f64()).is_some_and(|(a, b)| a == b),
                        },
                        _ => false,
                    });
                    Ok(ScalarValue::Boolean(Some(found)))
                })
            },
        )
        .udf(),
        json_udf("json_array_get", &[2], |a| {
            strict(a, |r| {
                let Some(Value::Array(items)) = text(&r[0]).and_then(parse) else { return Ok(utf8(None)) };
                let i = int(&r[1]).unwrap_or(0);
                let at = if i < 0 { items.len().checked_sub(i.unsigned_abs() as usize) } else { Some(i as usize) };
                Ok(utf8(at.and_then(|i| items.get(i)).map(Value::to_string)))
            })
        }),
        Udf::new(
            "json_size",
            arity(&[2]),
            |_| Ok(DataType::Int64),
            |a| {
                strict(a, |r| {
                    let steps = parse_path(text(&r[1]).unwrap_or(""))?;
                    Ok(bigint(parse(text(&r[0]).unwrap_or("")).and_then(|v| {
                        walk(&v, &steps).map(|v| match v {
                            Value::Array(a) => a.len() as i64,
                            Value::Object(o) => o.len() as i64,
                            _ => 0,
                        })
                    })))
                })
            },
        )
        .udf(),
        Udf::new(
            "is_json_scalar",
            arity(&[1]),
            |_| Ok(DataType::Boolean),
            |a| {
                rowwise(a, |r| {
                    let Some(s) = text(&r[0]) else { return Ok(ScalarValue::Boolean(None)) };
                    let v = parse(s).ok_or_else(|| invalid(format!("Invalid JSON value: {s}")))?;
                    Ok(ScalarValue::Boolean(Some(!matches!(v, Value::Array(_) | Value::Object(_)))))
                })
            },
        )
        .udf(),
    ]
}

/// A SQL value as JSON (`CAST(x AS JSON)`): arrays, maps (keys as text) and rows (as arrays,
/// as Trino casts them) nest.
pub fn to_json(v: &ScalarValue, json_text: bool) -> Result<Value> {
    use datafusion::arrow::array::Array;
    if v.is_null() {
        return Ok(Value::Null);
    }
    if json_text {
        return Ok(text(v).and_then(parse).unwrap_or(Value::Null));
    }
    let nested =
        |array: &dyn Array, i: usize| -> Result<Value> { to_json(&ScalarValue::try_from_array(array, i)?, false) };
    Ok(match v {
        ScalarValue::Boolean(Some(b)) => Value::Bool(*b),
        ScalarValue::Float64(Some(f)) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ScalarValue::Float32(Some(f)) => serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        ScalarValue::List(l) => {
            let values = l.value(0);
            Value::Array((0..values.len()).map(|i| nested(values.as_ref(), i)).collect::<Result<_>>()?)
        }
        ScalarValue::Map(m) => {
            let entries = m.value(0);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut out = serde_json::Map::new();
            for i in 0..entries.len() {
                let k = ScalarValue::try_from_array(keys, i)?;
                let key = text(&k).map(str::to_string).unwrap_or_else(|| k.to_string());
                out.insert(key, nested(values.as_ref(), i)?);
            }
            Value::Object(out)
        }
        ScalarValue::Struct(s) => {
            Value::Array((0..s.num_columns()).map(|c| nested(s.column(c).as_ref(), 0)).collect::<Result<_>>()?)
        }
        other if text(other).is_some() => Value::String(text(other).unwrap_or("").to_string()),
        other if int(other).is_some() => Value::from(int(other).unwrap_or(0)),
        ScalarValue::Decimal128(Some(_), _, _) => {
            serde_json::from_str(&v.to_string()).unwrap_or_else(|_| Value::String(v.to_string()))
        }
        other => {
            let s = other.cast_to(&DataType::Utf8)?;
            Value::String(text(&s).unwrap_or("").to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // https://trino.io/docs/current/functions/json.html
    #[test]
    fn paths_walk_as_trino_walks_them() {
        let v: Value =
            serde_json::from_str(r#"{"store": {"book": [{"title": "A"}, {"title": "B"}]}, "a b": 1}"#).unwrap();
        let get = |p: &str| walk(&v, &parse_path(p).unwrap()).cloned();
        assert_eq!(get("$.store.book[1].title"), Some(Value::String("B".into())));
        assert_eq!(get("$[\"a b\"]"), Some(Value::from(1)));
        assert_eq!(get("$['store']['book'][0]['title']"), Some(Value::String("A".into())));
        assert_eq!(get("$.missing"), None);
        assert!(parse_path("a").is_err());
        assert_eq!(scalar_text(&Value::from(1.5)), Some("1.5".into()));
        assert_eq!(scalar_text(&serde_json::json!([1])), None);
        // Canonical text: keys sorted, no spaces.
        assert_eq!(serde_json::from_str::<Value>(r#"{"b": 1, "a": 2}"#).unwrap().to_string(), r#"{"a":2,"b":1}"#);
    }

    #[test]
    fn scalars_are_extracted_as_written_and_walk_like_values() {
        let text =
            r#"{"store": {"book": [{"title": "A\u00e9", "price": 8.50}, {"price": 1E+2}]}, "a b": [true, null]}"#;
        let get = |p: &str| extract_scalar(text, &parse_path(p).unwrap());
        assert_eq!(get("$.store.book[0].price").as_deref(), Some("8.50"));
        assert_eq!(get("$.store.book[1].price").as_deref(), Some("1E+2"));
        assert_eq!(get("$.store.book[0].title").as_deref(), Some("Aé"));
        assert_eq!(get("$[\"a b\"][0]").as_deref(), Some("true"));
        // NULL for JSON null, containers, missing keys, indexes past the end and bad JSON.
        for p in ["$[\"a b\"][1]", "$.store", "$.store.book", "$.nothing", "$.store.book[5]", "$.store.book.x"] {
            assert_eq!(get(p), None, "{p}");
        }
        assert_eq!(extract_scalar("{bad", &parse_path("$.a").unwrap()), None);
        // The same paths through parsed values agree wherever the number text is not at stake.
        let v: Value = serde_json::from_str(text).unwrap();
        for p in ["$.store.book[0].title", "$[\"a b\"][0]", "$.store", "$.nothing"] {
            let steps = parse_path(p).unwrap();
            assert_eq!(extract_scalar(text, &steps), walk(&v, &steps).and_then(scalar_text), "{p}");
        }
    }
}
