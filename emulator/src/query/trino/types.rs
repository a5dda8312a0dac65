//! Trino type names in SQL text (`CAST(x AS ARRAY(ROW(a INTEGER, b VARCHAR)))`) as Arrow types,
//! and the `json` type: Arrow `Utf8` values holding canonical JSON text, marked on their field
//! with Arrow's canonical `arrow.json` extension name so `ColumnInfo`, `typeof` and casts can
//! tell JSON from varchar.

use crate::query::types::{TIMESTAMP, map_type};
use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use std::collections::HashMap;
use std::sync::Arc;

pub const EXTENSION_KEY: &str = "ARROW:extension:name";
pub const JSON_EXTENSION: &str = "arrow.json";

/// A field of the JSON type.
pub fn json_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
        .with_metadata(HashMap::from([(EXTENSION_KEY.to_string(), JSON_EXTENSION.to_string())]))
}

pub fn is_json(field: &Field) -> bool {
    field.metadata().get(EXTENSION_KEY).is_some_and(|v| v == JSON_EXTENSION)
}

/// The `ColumnInfo` of a result field: JSON fields are `json`.
pub fn column_info(field: &Field) -> serde_json::Value {
    let mut info = crate::query::types::column_info(field.name(), field.data_type());
    if is_json(field) {
        info["Type"] = "json".into();
        info["Precision"] = 0.into();
    }
    info
}

/// What Trino's `typeof(x)` says: `json` for JSON, `timestamp(3)` with its precision, and
/// `varchar(n)` for a constant string of n characters (Trino types string literals so).
pub fn typeof_name(field: &Field, value: &datafusion::logical_expr::ColumnarValue) -> String {
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::ColumnarValue;
    if is_json(field) {
        return "json".into();
    }
    match (field.data_type(), value) {
        (DataType::Timestamp(_, None), _) => "timestamp(3)".into(),
        (DataType::Timestamp(_, Some(_)), _) => "timestamp(3) with time zone".into(),
        (
            DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8,
            ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
            ),
        ) => format!("varchar({})", s.chars().count()),
        (t, _) => crate::query::types::athena_type_name(t),
    }
}

/// A Trino type as written in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum TrinoType {
    Json,
    /// `varchar(n)`: values longer than `n` are cut by casts.
    Varchar(Option<usize>),
    Plain(DataType),
    Array(Box<TrinoType>),
    Map(Box<TrinoType>, Box<TrinoType>),
    Row(Vec<(String, TrinoType)>),
}

impl TrinoType {
    pub fn arrow(&self) -> DataType {
        match self {
            Self::Json | Self::Varchar(_) => DataType::Utf8,
            Self::Plain(t) => t.clone(),
            Self::Array(e) => DataType::List(Arc::new(Field::new("item", e.arrow(), true))),
            Self::Map(k, v) => map_type(k.arrow(), v.arrow()),
            Self::Row(fields) => DataType::Struct(Fields::from(
                fields.iter().map(|(n, t)| Field::new(n, t.arrow(), true)).collect::<Vec<_>>(),
            )),
        }
    }

    /// The type's name as Trino's `typeof` prints it (`row(integer, varchar(1))`,
    /// `map(varchar(1), integer)`; a row field without a name is printed without one).
    pub fn name(&self) -> String {
        match self {
            Self::Json => "json".into(),
            Self::Varchar(Some(n)) => format!("varchar({n})"),
            Self::Varchar(None) => "varchar".into(),
            Self::Plain(DataType::Timestamp(_, None)) => "timestamp(3)".into(),
            Self::Plain(DataType::Timestamp(_, Some(_))) => "timestamp(3) with time zone".into(),
            Self::Plain(t) => crate::query::types::athena_type_name(t),
            Self::Array(e) => format!("array({})", e.name()),
            Self::Map(k, v) => format!("map({}, {})", k.name(), v.name()),
            Self::Row(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| if n.is_empty() { t.name() } else { format!("{n} {}", t.name()) })
                    .collect();
                format!("row({})", parts.join(", "))
            }
        }
    }

    /// The type both of two values have (`varchar(1)` and `varchar(3)`: `varchar(3)`;
    /// `integer` and `bigint`: `bigint`), if this module knows it.
    pub fn common(&self, other: &Self) -> Option<Self> {
        match (self, other) {
            (a, b) if a == b => Some(a.clone()),
            (Self::Varchar(Some(a)), Self::Varchar(Some(b))) => Some(Self::Varchar(Some(*a.max(b)))),
            (Self::Varchar(_), Self::Varchar(_)) => Some(Self::Varchar(None)),
            (Self::Plain(DataType::Int32), Self::Plain(DataType::Int64))
            | (Self::Plain(DataType::Int64), Self::Plain(DataType::Int32)) => Some(Self::Plain(DataType::Int64)),
            (Self::Array(a), Self::Array(b)) => Some(Self::Array(Box::new(a.common(b)?))),
            _ => None,
        }
    }

    /// The result field of a cast to this type.
    pub fn field(&self, name: &str) -> Field {
        match self {
            Self::Json => json_field(name),
            other => Field::new(name, other.arrow(), true),
        }
    }
}

/// Parses a Trino type name (case-insensitive).
pub fn parse(text: &str) -> Result<TrinoType, String> {
    let mut p = Parser { s: text.as_bytes(), pos: 0 };
    let t = p.ty().map_err(|e| format!("Unknown type: {text} ({e})"))?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(format!("Unknown type: {text}"));
    }
    Ok(t)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> Result<String, String> {
        self.ws();
        if self.s.get(self.pos) == Some(&b'"') {
            let start = self.pos + 1;
            let end = self.s[start..].iter().position(|c| *c == b'"').ok_or("unterminated name")? + start;
            self.pos = end + 1;
            return Ok(String::from_utf8_lossy(&self.s[start..end]).to_lowercase());
        }
        let start = self.pos;
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_') {
            self.pos += 1;
        }
        if start == self.pos {
            return Err("expected a name".into());
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).to_lowercase())
    }

    fn number(&mut self) -> Result<usize, String> {
        self.ws();
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or("expected a number".into())
    }

    /// Looks ahead for a keyword sequence (`with time zone`).
    fn keywords(&mut self, words: &[&str]) -> bool {
        let save = self.pos;
        for w in words {
            match self.word() {
                Ok(got) if got == *w => {}
                _ => {
                    self.pos = save;
                    return false;
                }
            }
        }
        true
    }

    fn ty(&mut self) -> Result<TrinoType, String> {
        let name = self.word()?;
        Ok(match name.as_str() {
            "json" => TrinoType::Json,
            "varchar" | "string" => {
                if self.eat(b'(') {
                    let n = self.number()?;
                    if !self.eat(b')') {
                        return Err("expected ')'".into());
                    }
                    TrinoType::Varchar(Some(n))
                } else {
                    TrinoType::Varchar(None)
                }
            }
            "char" => {
                let n = if self.eat(b'(') {
                    let n = self.number()?;
                    if !self.eat(b')') {
                        return Err("expected ')'".into());
                    }
                    n
                } else {
                    1
                };
                TrinoType::Varchar(Some(n))
            }
            "boolean" => TrinoType::Plain(DataType::Boolean),
            "tinyint" => TrinoType::Plain(DataType::Int8),
            "smallint" => TrinoType::Plain(DataType::Int16),
            "integer" | "int" => TrinoType::Plain(DataType::Int32),
            "bigint" => TrinoType::Plain(DataType::Int64),
            "real" | "float" => TrinoType::Plain(DataType::Float32),
            "double" => {
                self.keywords(&["precision"]);
                TrinoType::Plain(DataType::Float64)
            }
            "decimal" | "numeric" => {
                let (mut p, mut s) = (38u8, 0i8);
                if self.eat(b'(') {
                    p = u8::try_from(self.number()?).map_err(|_| "precision too large")?;
                    if self.eat(b',') {
                        s = i8::try_from(self.number()?).map_err(|_| "scale too large")?;
                    }
                    if !self.eat(b')') {
                        return Err("expected ')'".into());
                    }
                }
                TrinoType::Plain(DataType::Decimal128(p, s))
            }
            "date" => TrinoType::Plain(DataType::Date32),
            "varbinary" => TrinoType::Plain(DataType::Binary),
            "timestamp" => {
                if self.eat(b'(') {
                    self.number()?;
                    if !self.eat(b')') {
                        return Err("expected ')'".into());
                    }
                }
                if self.keywords(&["with", "time", "zone"]) {
                    TrinoType::Plain(DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())))
                } else {
                    self.keywords(&["without", "time", "zone"]);
                    TrinoType::Plain(TIMESTAMP)
                }
            }
            "array" => {
                if !self.eat(b'(') && !self.eat(b'<') {
                    return Err("expected '('".into());
                }
                let e = self.ty()?;
                if !self.eat(b')') && !self.eat(b'>') {
                    return Err("expected ')'".into());
                }
                TrinoType::Array(Box::new(e))
            }
            "map" => {
                if !self.eat(b'(') && !self.eat(b'<') {
                    return Err("expected '('".into());
                }
                let k = self.ty()?;
                if !self.eat(b',') {
                    return Err("expected ','".into());
                }
                let v = self.ty()?;
                if !self.eat(b')') && !self.eat(b'>') {
                    return Err("expected ')'".into());
                }
                TrinoType::Map(Box::new(k), Box::new(v))
            }
            "row" | "struct" => {
                if !self.eat(b'(') && !self.eat(b'<') {
                    return Err("expected '('".into());
                }
                let mut fields = Vec::new();
                loop {
                    let save = self.pos;
                    let field_name = self.word()?;
                    // `ROW(a INTEGER)` names its fields; `ROW(INTEGER, VARCHAR)` does not.
                    self.ws();
                    let named = self.pos < self.s.len() && !matches!(self.s[self.pos], b',' | b')' | b'>' | b'(');
                    let t = if named {
                        self.eat(b':');
                        self.ty()?
                    } else {
                        self.pos = save;
                        self.ty()?
                    };
                    let n = if named { field_name } else { format!("field{}", fields.len()) };
                    fields.push((n, t));
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b')') || self.eat(b'>') {
                        break;
                    }
                    return Err("expected ',' or ')'".into());
                }
                TrinoType::Row(fields)
            }
            other => return Err(format!("unknown type '{other}'")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trino_type_names_parse() {
        assert_eq!(parse("INTEGER").unwrap(), TrinoType::Plain(DataType::Int32));
        assert_eq!(parse("varchar(3)").unwrap(), TrinoType::Varchar(Some(3)));
        assert_eq!(parse("decimal(10, 2)").unwrap().arrow(), DataType::Decimal128(10, 2));
        assert_eq!(parse("array(varchar)").unwrap(), TrinoType::Array(Box::new(TrinoType::Varchar(None))));
        assert_eq!(
            parse("ROW(x integer, y varchar)").unwrap(),
            TrinoType::Row(vec![
                ("x".into(), TrinoType::Plain(DataType::Int32)),
                ("y".into(), TrinoType::Varchar(None))
            ])
        );
        assert_eq!(
            parse("map(varchar, array(bigint))").unwrap(),
            TrinoType::Map(
                Box::new(TrinoType::Varchar(None)),
                Box::new(TrinoType::Array(Box::new(TrinoType::Plain(DataType::Int64))))
            )
        );
        assert_eq!(
            parse("timestamp(3) with time zone").unwrap().arrow(),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert_eq!(parse("JSON").unwrap(), TrinoType::Json);
        assert!(parse("array(").is_err());
        assert!(parse("wat").is_err());
    }
}
