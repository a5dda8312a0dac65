//! Types across the three worlds: Hive type strings as Glue stores them (`decimal(10,2)`,
//! `array<struct<a:int>>`), the Arrow types DataFusion computes with, and the lower-case type
//! names Athena reports in `ColumnInfo` (`varchar`, `integer`, `row(a integer)`, ...).

use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use std::sync::Arc;

/// Athena (Trino) reads Hive timestamps with millisecond precision.
pub const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);

/// Why a Hive type string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TypeError(pub String);

/// Parses a Hive type as Glue stores it into an Arrow type.
pub fn hive_to_arrow(hive: &str) -> Result<DataType, TypeError> {
    let mut p = TypeParser { s: hive.as_bytes(), pos: 0, text: hive };
    let t = p.parse()?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(p.error("unexpected text after the type"));
    }
    Ok(t)
}

struct TypeParser<'a> {
    s: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl TypeParser<'_> {
    fn error(&self, what: &str) -> TypeError {
        TypeError(format!("Unsupported Hive type '{}': {what}", self.text))
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), TypeError> {
        if self.eat(c) { Ok(()) } else { Err(self.error(&format!("expected '{}'", c as char))) }
    }

    /// A word (type name or field name); backquoted field names are allowed.
    fn word(&mut self) -> Result<String, TypeError> {
        self.skip_ws();
        if self.eat(b'`') {
            let start = self.pos;
            while self.pos < self.s.len() && self.s[self.pos] != b'`' {
                self.pos += 1;
            }
            let w = String::from_utf8_lossy(&self.s[start..self.pos]).to_string();
            self.expect(b'`')?;
            return Ok(w);
        }
        let start = self.pos;
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_') {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.error("expected a name"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).to_string())
    }

    fn number(&mut self) -> Result<u32, TypeError> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos])
            .ok()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| self.error("expected a number"))
    }

    fn parse(&mut self) -> Result<DataType, TypeError> {
        let name = self.word()?.to_ascii_lowercase();
        Ok(match name.as_str() {
            "tinyint" => DataType::Int8,
            "smallint" => DataType::Int16,
            "int" | "integer" => DataType::Int32,
            "bigint" | "long" => DataType::Int64,
            "float" | "real" => DataType::Float32,
            "double" => {
                // `double precision`
                let save = self.pos;
                if !matches!(self.word().map(|w| w.to_ascii_lowercase()), Ok(w) if w == "precision") {
                    self.pos = save;
                }
                DataType::Float64
            }
            "boolean" => DataType::Boolean,
            "string" => DataType::Utf8,
            "varchar" | "char" => {
                if self.eat(b'(') {
                    self.number()?;
                    self.expect(b')')?;
                }
                DataType::Utf8
            }
            "date" => DataType::Date32,
            "timestamp" => TIMESTAMP,
            "binary" | "varbinary" => DataType::Binary,
            "decimal" | "numeric" => {
                let (mut precision, mut scale) = (10, 0);
                if self.eat(b'(') {
                    precision = self.number()?;
                    if self.eat(b',') {
                        scale = self.number()?;
                    }
                    self.expect(b')')?;
                }
                if !(1..=38).contains(&precision) || scale > precision {
                    return Err(self.error("decimal precision must be 1 to 38 and scale at most the precision"));
                }
                DataType::Decimal128(precision as u8, scale as i8)
            }
            "array" => {
                self.expect(b'<')?;
                let item = self.parse()?;
                self.expect(b'>')?;
                DataType::List(Arc::new(Field::new("item", item, true)))
            }
            "map" => {
                self.expect(b'<')?;
                let key = self.parse()?;
                self.expect(b',')?;
                let value = self.parse()?;
                self.expect(b'>')?;
                map_type(key, value)
            }
            "struct" => {
                self.expect(b'<')?;
                let mut fields = Vec::new();
                if !self.eat(b'>') {
                    loop {
                        let name = self.word()?;
                        self.expect(b':')?;
                        fields.push(Field::new(name.to_ascii_lowercase(), self.parse()?, true));
                        if self.eat(b'>') {
                            break;
                        }
                        self.expect(b',')?;
                    }
                }
                DataType::Struct(Fields::from(fields))
            }
            _ => return Err(self.error(&format!("unknown type '{name}'"))),
        })
    }
}

/// The Arrow map type Hive's `map<K,V>` reads as.
pub fn map_type(key: DataType, value: DataType) -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![Field::new("key", key, false), Field::new("value", value, true)])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// The type name Athena reports for an Arrow type (`ColumnInfo.Type`), as Trino spells it, e.g.
/// `varchar`, `decimal(10,2)`, `array(integer)`, `map(varchar, bigint)`, `row(a integer, b varchar)`.
pub fn athena_type_name(t: &DataType) -> String {
    match t {
        DataType::Null => "unknown".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt8 => "smallint".into(),
        DataType::Int32 | DataType::UInt16 => "integer".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "real".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => {
            format!("decimal({p},{s})")
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "varchar".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            "varbinary".into()
        }
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp with time zone".into(),
        DataType::Time32(_) | DataType::Time64(_) => "time".into(),
        DataType::Interval(datafusion::arrow::datatypes::IntervalUnit::YearMonth) => "interval year to month".into(),
        DataType::Interval(_) | DataType::Duration(_) => "interval day to second".into(),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::FixedSizeList(f, _) => {
            format!("array({})", athena_type_name(f.data_type()))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map({}, {})", athena_type_name(kv[0].data_type()), athena_type_name(kv[1].data_type()))
            }
            _ => "map".into(),
        },
        DataType::Struct(fields) => {
            let parts: Vec<String> =
                fields.iter().map(|f| format!("{} {}", f.name(), athena_type_name(f.data_type()))).collect();
            format!("row({})", parts.join(", "))
        }
        DataType::Dictionary(_, value) => athena_type_name(value),
        DataType::RunEndEncoded(_, value) => athena_type_name(value.data_type()),
        DataType::Union(..) => "unknown".into(),
    }
}

/// The Hive type Glue stores for a column of Arrow type `t` (CTAS, views), e.g. `bigint`,
/// `decimal(10,2)`, `array<struct<a:int>>`; `None` for types Hive has no name for.
pub fn arrow_to_hive(t: &DataType) -> Option<String> {
    Some(match t {
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt8 => "smallint".into(),
        DataType::Int32 | DataType::UInt16 => "int".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) => {
            format!("decimal({p},{s})")
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            "binary".into()
        }
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            format!("array<{}>", arrow_to_hive(f.data_type())?)
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map<{},{}>", arrow_to_hive(kv[0].data_type())?, arrow_to_hive(kv[1].data_type())?)
            }
            _ => return None,
        },
        DataType::Struct(fields) => {
            let parts = fields
                .iter()
                .map(|f| Some(format!("{}:{}", f.name(), arrow_to_hive(f.data_type())?)))
                .collect::<Option<Vec<_>>>()?;
            format!("struct<{}>", parts.join(","))
        }
        DataType::Dictionary(_, v) => arrow_to_hive(v)?,
        _ => return None,
    })
}

/// The `ColumnInfo` of one result column, with the members Athena fills for its type.
pub fn column_info(name: &str, t: &DataType) -> serde_json::Value {
    let full = athena_type_name(t);
    // ColumnInfo.Type is the bare type name; the parameters go to Precision and Scale. A `real`
    // is `real` in results (DDL spells it `float`; a client report of a result typed `real`:
    // https://github.com/DyfanJones/noctua/issues/133).
    let base = full.split('(').next().unwrap_or(&full).to_string();
    let (precision, scale) = match t {
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => (i64::from(*p), i64::from(*s)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => (2147483647, 0),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => (1073741824, 0),
        DataType::Int8 => (3, 0),
        DataType::Int16 | DataType::UInt8 => (5, 0),
        DataType::Int32 | DataType::UInt16 => (10, 0),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => (19, 0),
        DataType::Float32 | DataType::Float16 => (17, 0),
        DataType::Float64 => (17, 0),
        DataType::Date32 | DataType::Date64 => (0, 0),
        DataType::Timestamp(..) => (3, 0),
        _ => (0, 0),
    };
    serde_json::json!({
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": base,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_types_parse_as_glue_stores_them() {
        assert_eq!(hive_to_arrow("int").unwrap(), DataType::Int32);
        assert_eq!(hive_to_arrow("BIGINT").unwrap(), DataType::Int64);
        assert_eq!(hive_to_arrow("varchar(20)").unwrap(), DataType::Utf8);
        assert_eq!(hive_to_arrow("decimal(10,2)").unwrap(), DataType::Decimal128(10, 2));
        assert_eq!(hive_to_arrow("decimal").unwrap(), DataType::Decimal128(10, 0));
        assert_eq!(hive_to_arrow("timestamp").unwrap(), TIMESTAMP);
        let nested = hive_to_arrow("array<struct<a:int,`B`:map<string,array<double>>>>").unwrap();
        assert_eq!(athena_type_name(&nested), "array(row(a integer, b map(varchar, array(double))))");
        assert!(hive_to_arrow("decimal(40,2)").is_err());
        assert!(hive_to_arrow("uniontype<int,string>").is_err());
        assert!(hive_to_arrow("array<int").is_err());
        assert!(hive_to_arrow("int extra").is_err());
    }

    #[test]
    fn arrow_types_round_trip_through_hive_names() {
        for hive in [
            "int",
            "bigint",
            "double",
            "string",
            "decimal(10,2)",
            "date",
            "timestamp",
            "boolean",
            "array<struct<a:int,b:map<string,array<double>>>>",
        ] {
            let arrow = hive_to_arrow(hive).unwrap();
            assert_eq!(arrow_to_hive(&arrow).as_deref(), Some(hive));
        }
        assert_eq!(arrow_to_hive(&DataType::Null), None);
    }

    #[test]
    fn athena_names_and_column_info() {
        assert_eq!(athena_type_name(&DataType::Utf8), "varchar");
        assert_eq!(athena_type_name(&DataType::Int32), "integer");
        assert_eq!(athena_type_name(&DataType::Float32), "real");
        assert_eq!(
            athena_type_name(&DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))),
            "timestamp with time zone"
        );
        let info = column_info("fare", &DataType::Decimal128(10, 2));
        assert_eq!(info["Type"], "decimal");
        assert_eq!(info["Precision"], 10);
        assert_eq!(info["Scale"], 2);
        let info = column_info("m", &map_type(DataType::Utf8, DataType::Int64));
        assert_eq!(info["Type"], "map");
        assert_eq!(column_info("r", &DataType::Float32)["Type"], "real");
        assert_eq!(column_info("s", &DataType::Utf8)["Precision"], 2147483647);
    }
}
