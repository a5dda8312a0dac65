//! How a Glue table's files are read: the storage descriptor's SerDe and input format name the
//! format (Parquet, Hive text through LazySimpleSerDe, CSV through OpenCSVSerde, JSON through the
//! OpenX or Hive JSON SerDes), and its SerDe parameters and table properties the details.

use crate::catalog::model::{StorageDescriptor, Table};
use std::collections::BTreeMap;

/// How the files of a table are decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum TableFormat {
    Parquet,
    /// `LazySimpleSerDe`: delimited text, no quoting.
    Text(TextOptions),
    /// `OpenCSVSerde`: quoted CSV.
    Csv(CsvOptions),
    /// One JSON object per line (OpenX or Hive JSON SerDe).
    Json(JsonOptions),
}

/// LazySimpleSerDe's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TextOptions {
    pub field_delim: u8,
    pub escape: Option<u8>,
    pub null_format: String,
    pub collection_delim: u8,
    pub map_key_delim: u8,
    pub skip_header: usize,
}

/// OpenCSVSerde's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    pub separator: u8,
    pub quote: u8,
    pub escape: Option<u8>,
    pub skip_header: usize,
    /// The table property `use.null.for.invalid.data`: a field that does not parse as its
    /// column's type reads as NULL instead of failing the query.
    pub null_for_invalid: bool,
}

/// The JSON SerDes' settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonOptions {
    /// `ignore.malformed.json`: a line that is not a JSON object reads as a row of NULLs.
    pub ignore_malformed: bool,
    /// `mapping.<column>` = JSON key: columns read from keys of another name.
    pub mappings: BTreeMap<String, String>,
    /// The OpenX SerDe (`org.openx.data.jsonserde.JsonSerDe`), whose reader coerces values
    /// (numbers in strings, epoch timestamps; `hive_text::openx_value`); the Hive SerDe's does not.
    pub openx: bool,
    /// OpenX's `dots.in.keys`: the key `a.b` is the column `a_b`.
    pub dots_in_keys: bool,
}

const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";

/// The format of a table's (or partition's) files.
pub fn table_format(table: &Table, sd: &StorageDescriptor) -> Result<TableFormat, String> {
    let serde = sd.serde_info.as_ref();
    let library = serde.and_then(|s| s.serialization_library.as_deref()).unwrap_or_default();
    let input = sd.input_format.as_deref().unwrap_or_default();
    let params = serde.and_then(|s| s.parameters.clone()).unwrap_or_default();
    let table_params = table.parameters.clone().unwrap_or_default();
    let skip_header = table_params
        .get("skip.header.line.count")
        .or_else(|| params.get("skip.header.line.count"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let lib = library.to_ascii_lowercase();
    let classification = table_params.get("classification").map(|c| c.to_ascii_lowercase()).unwrap_or_default();
    if lib.contains("parquet") || input.to_ascii_lowercase().contains("parquet") {
        return Ok(TableFormat::Parquet);
    }
    if lib.contains("orc") || input.to_ascii_lowercase().contains("orc") {
        return Err("ORC tables are not supported by Lakebox yet".into());
    }
    if lib.contains("avro") {
        return Err("Avro tables are not supported by Lakebox yet".into());
    }
    if lib.contains("jsonserde") || lib.ends_with(".jsonserde") || (library.is_empty() && classification == "json") {
        let mappings = params
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("mapping.").map(|c| (c.to_ascii_lowercase(), v.clone())))
            .collect();
        let openx = lib.contains("openx");
        return Ok(TableFormat::Json(JsonOptions {
            ignore_malformed: is_true(&params, "ignore.malformed.json"),
            mappings,
            openx,
            dots_in_keys: openx && is_true(&params, "dots.in.keys"),
        }));
    }
    if lib.contains("opencsvserde") {
        let char_of =
            |key: &str, default: u8| params.get(key).and_then(|v| unescape(v).bytes().next()).unwrap_or(default);
        return Ok(TableFormat::Csv(CsvOptions {
            separator: char_of("separatorChar", b','),
            quote: char_of("quoteChar", b'"'),
            escape: Some(char_of("escapeChar", b'\\')),
            skip_header,
            null_for_invalid: is_true(&table_params, "use.null.for.invalid.data"),
        }));
    }
    if lib.is_empty()
        || library == LAZY_SIMPLE
        || lib.contains("lazysimpleserde")
        || lib.contains("metadatatypedcolumnsetserde")
    {
        let field_delim = params
            .get("field.delim")
            .or_else(|| params.get("serialization.format"))
            .map(|v| hive_byte(v, 1))
            .unwrap_or(1);
        return Ok(TableFormat::Text(TextOptions {
            field_delim,
            escape: params.get("escape.delim").map(|v| hive_byte(v, b'\\')),
            // Used as stored, as Trino's TextEncodingOptions does: a table whose Glue parameter
            // is the two characters `\N` reads `\N` fields as NULL.
            null_format: params.get("serialization.null.format").cloned().unwrap_or_else(|| "\\N".into()),
            collection_delim: params
                .get("collection.delim")
                .or_else(|| params.get("colelction.delim"))
                .map(|v| hive_byte(v, 2))
                .unwrap_or(2),
            map_key_delim: params.get("mapkey.delim").map(|v| hive_byte(v, 3)).unwrap_or(3),
            skip_header,
        }));
    }
    Err(format!("The SerDe '{library}' is not supported by Lakebox yet"))
}

/// A boolean SerDe or table property: `true` in any case, as Java's `Boolean.parseBoolean`.
fn is_true(params: &crate::catalog::model::Parameters, key: &str) -> bool {
    params.get(key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A delimiter as Hive's LazySerDeParameters reads it: a number is the byte with that value
/// (`serialization.format = 1` is `\x01`), anything else its first byte.
fn hive_byte(value: &str, default: u8) -> u8 {
    let value = unescape(value);
    if value.is_empty() {
        return default;
    }
    if let Ok(n) = value.parse::<i8>() {
        return n as u8;
    }
    value.bytes().next().unwrap_or(default)
}

/// Hive's unescaping of DDL string literals: `\t`, `\n`, `\r`, octal `\001`, `\u0001`, `\\`.
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' || i + 1 == chars.len() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let next = chars[i + 1];
        if next == 'u' && chars.len() >= i + 6 {
            let hex: String = chars[i + 2..i + 6].iter().collect();
            if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                out.push(c);
                i += 6;
                continue;
            }
        }
        if next.is_digit(8) {
            let mut end = i + 1;
            while end < chars.len() && end < i + 4 && chars[end].is_digit(8) {
                end += 1;
            }
            let oct: String = chars[i + 1..end].iter().collect();
            if let Some(c) = u32::from_str_radix(&oct, 8).ok().and_then(char::from_u32) {
                out.push(c);
                i = end;
                continue;
            }
        }
        out.push(match next {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            '0' => '\0',
            other => other,
        });
        i += 2;
    }
    out
}

/// A compression codec named by a file's extension, as Hadoop picks codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Bzip2,
    Zstd,
    Snappy,
    Deflate,
    Xz,
}

/// The codec of a text or JSON file, from its name.
pub fn codec_of(path: &str) -> Result<Codec, String> {
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or_default();
    Ok(match ext {
        "gz" | "gzip" => Codec::Gzip,
        "bz2" => Codec::Bzip2,
        "zst" | "zstd" => Codec::Zstd,
        "snappy" => Codec::Snappy,
        "deflate" => Codec::Deflate,
        "xz" => Codec::Xz,
        "lz4" | "lzo" => return Err(format!("Lakebox cannot read {ext}-compressed files yet ({path})")),
        _ => Codec::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::SerDeInfo;

    fn sd(library: &str, params: &[(&str, &str)]) -> StorageDescriptor {
        StorageDescriptor {
            serde_info: Some(SerDeInfo {
                serialization_library: Some(library.into()),
                parameters: Some(params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn lazy_simple_defaults_follow_hive() {
        let t = Table::default();
        let TableFormat::Text(o) = table_format(&t, &sd(LAZY_SIMPLE, &[])).unwrap() else { panic!() };
        assert_eq!((o.field_delim, o.collection_delim, o.map_key_delim), (1, 2, 3));
        assert_eq!(o.null_format, "\\N");
        let TableFormat::Text(o) = table_format(&t, &sd(LAZY_SIMPLE, &[("serialization.format", "1")])).unwrap() else {
            panic!()
        };
        assert_eq!(o.field_delim, 1, "a number is a byte value");
        let TableFormat::Text(o) =
            table_format(&t, &sd(LAZY_SIMPLE, &[("field.delim", "\t"), ("escape.delim", "\\\\")])).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.field_delim, b'\t');
        assert_eq!(o.escape, Some(b'\\'));
        let TableFormat::Text(o) = table_format(&t, &sd(LAZY_SIMPLE, &[("field.delim", "\\001")])).unwrap() else {
            panic!()
        };
        assert_eq!(o.field_delim, 1, "octal escapes are unescaped");
    }

    #[test]
    fn serdes_pick_formats() {
        let t = Table::default();
        assert_eq!(
            table_format(&t, &sd("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", &[])).unwrap(),
            TableFormat::Parquet
        );
        let json = table_format(&t, &sd("org.openx.data.jsonserde.JsonSerDe", &[("ignore.malformed.json", "TRUE")]));
        assert!(matches!(json, Ok(TableFormat::Json(JsonOptions { ignore_malformed: true, .. }))));
        let csv = table_format(&t, &sd("org.apache.hadoop.hive.serde2.OpenCSVSerde", &[("separatorChar", ";")]));
        assert!(matches!(csv, Ok(TableFormat::Csv(CsvOptions { separator: b';', quote: b'"', .. }))));
        assert!(table_format(&t, &sd("org.apache.hadoop.hive.ql.io.orc.OrcSerde", &[])).is_err());
    }

    #[test]
    fn unescape_handles_hive_escapes() {
        assert_eq!(unescape("\\t"), "\t");
        assert_eq!(unescape("\\001"), "\u{1}");
        assert_eq!(unescape("\\u0002"), "\u{2}");
        assert_eq!(unescape("a\\\\b"), "a\\b");
        assert_eq!(unescape("plain"), "plain");
        assert_eq!(codec_of("a/b.csv.gz").unwrap(), Codec::Gzip);
        assert_eq!(codec_of("a/b.json").unwrap(), Codec::None);
        assert!(codec_of("x.lz4").is_err());
    }
}
