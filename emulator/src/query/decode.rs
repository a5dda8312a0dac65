//! Decoding Hive text, CSV and JSON files into Arrow batches the way Athena's SerDes read them:
//! LazySimpleSerDe (delimited, no quoting, `\N` for NULL, escapes, collections), OpenCSVSerde
//! (quoted CSV, every value text first), and the OpenX / Hive JSON SerDes (keys
//! case-insensitive, optionally skipping malformed lines). Values that do not parse as their
//! column's type read as NULL, as Hive's lazy parsing does. Pure code over a `BufRead`.

use super::formats::{Codec, CsvOptions, JsonOptions, TableFormat, TextOptions};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder, new_null_array};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::ReaderBuilder;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

type Result<T> = std::result::Result<T, ArrowError>;

/// A reader that decompresses `bytes` with `codec`.
pub fn decompress(codec: Codec, bytes: bytes::Bytes) -> Result<Box<dyn BufRead + Send>> {
    let raw = std::io::Cursor::new(bytes);
    let external = |e: datafusion::error::DataFusionError| ArrowError::ExternalError(Box::new(e));
    let read: Box<dyn Read + Send> = match codec {
        Codec::None => Box::new(raw),
        Codec::Gzip => FileCompressionType::GZIP.convert_read(raw).map_err(external)?,
        Codec::Bzip2 => FileCompressionType::BZIP2.convert_read(raw).map_err(external)?,
        Codec::Zstd => FileCompressionType::ZSTD.convert_read(raw).map_err(external)?,
        Codec::Xz => FileCompressionType::XZ.convert_read(raw).map_err(external)?,
        Codec::Deflate => Box::new(flate2::read::ZlibDecoder::new(raw)),
        Codec::Snappy => snappy_reader(raw)?,
    };
    Ok(Box::new(BufReader::with_capacity(256 * 1024, read)))
}

/// Snappy files come framed (the snappy framing format, as Firehose writes them) or in Hadoop's
/// block format (`[uncompressed length][compressed length][block]...`, as Hive writes them).
fn snappy_reader(mut raw: std::io::Cursor<bytes::Bytes>) -> Result<Box<dyn Read + Send>> {
    const FRAMED: &[u8] = b"\xff\x06\x00\x00sNaPpY";
    if raw.get_ref().starts_with(FRAMED) {
        return Ok(Box::new(snap::read::FrameDecoder::new(raw)));
    }
    let mut out = Vec::new();
    let data = std::mem::take(raw.get_mut());
    let mut pos = 0usize;
    let be32 = |p: usize| -> Result<usize> {
        data.get(p..p + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| ArrowError::ParseError("truncated Hadoop snappy block".into()))
    };
    while pos < data.len() {
        let block_len = be32(pos)?;
        pos += 4;
        let mut produced = 0;
        while produced < block_len {
            let len = be32(pos)?;
            pos += 4;
            let chunk =
                data.get(pos..pos + len).ok_or_else(|| ArrowError::ParseError("truncated snappy chunk".into()))?;
            let decoded = snap::raw::Decoder::new()
                .decompress_vec(chunk)
                .map_err(|e| ArrowError::ParseError(format!("bad snappy data: {e}")))?;
            produced += decoded.len();
            out.extend_from_slice(&decoded);
            pos += len;
        }
    }
    Ok(Box::new(std::io::Cursor::new(out)))
}

/// Decodes the rows of one file into batches of at most `batch_size` rows of `schema`, whose
/// fields are the file columns at `positions` (0-based column numbers of the table).
pub struct Decoder {
    format: TableFormat,
    schema: SchemaRef,
    positions: Vec<usize>,
    input: Box<dyn BufRead + Send>,
    csv: Option<csv::Reader<Box<dyn BufRead + Send>>>,
    batch_size: usize,
    skipped_header: bool,
    line: Vec<u8>,
    done: bool,
}

impl Decoder {
    /// A decoder of `input` in `format`.
    pub fn new(
        format: TableFormat,
        schema: SchemaRef,
        positions: Vec<usize>,
        input: Box<dyn BufRead + Send>,
        batch_size: usize,
    ) -> Self {
        Self {
            format,
            schema,
            positions,
            input,
            csv: None,
            batch_size: batch_size.max(1),
            skipped_header: false,
            line: Vec::new(),
            done: false,
        }
    }

    /// The next line without its `\n` / `\r\n` (Hadoop's line reader ends lines at either).
    fn next_line(&mut self) -> Result<bool> {
        self.line.clear();
        if self.input.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(false);
        }
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(true)
    }

    fn skip_header(&mut self, lines: usize) -> Result<()> {
        if !self.skipped_header {
            self.skipped_header = true;
            for _ in 0..lines {
                if !self.next_line()? {
                    break;
                }
            }
        }
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        match self.format.clone() {
            TableFormat::Text(o) => self.text_batch(&o),
            TableFormat::Csv(o) => self.csv_batch(&o),
            TableFormat::Json(o) => self.json_batch(&o),
            TableFormat::Parquet => Err(ArrowError::InvalidArgumentError("Parquet is not a text format".into())),
        }
    }

    fn text_batch(&mut self, o: &TextOptions) -> Result<Option<RecordBatch>> {
        self.skip_header(o.skip_header)?;
        let mut columns = TextColumns::new(&self.schema);
        let mut fields = Vec::new();
        while columns.rows < self.batch_size && self.next_line()? {
            split_fields(&self.line, o.field_delim, o.escape, &mut fields);
            for (i, &pos) in self.positions.iter().enumerate() {
                match fields.get(pos).map(|r| &self.line[r.clone()]) {
                    Some(raw) if raw != o.null_format.as_bytes() => {
                        columns.push(i, Some(&String::from_utf8_lossy(&unescape_field(raw, o.escape))))
                    }
                    _ => columns.push(i, None),
                }
            }
            columns.rows += 1;
        }
        columns.finish(&self.schema, Some(o))
    }

    fn csv_batch(&mut self, o: &CsvOptions) -> Result<Option<RecordBatch>> {
        if self.csv.is_none() {
            self.skip_header(o.skip_header)?;
            let input = std::mem::replace(&mut self.input, Box::new(std::io::empty()));
            let reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(o.separator)
                .quote(o.quote)
                .escape(o.escape)
                .double_quote(true)
                .from_reader(input);
            self.csv = Some(reader);
        }
        let Some(reader) = self.csv.as_mut() else { return Ok(None) };
        let mut columns = TextColumns::new(&self.schema);
        let mut record = csv::StringRecord::new();
        while columns.rows < self.batch_size {
            let more = reader.read_record(&mut record).map_err(|e| ArrowError::CsvError(e.to_string()))?;
            if !more {
                break;
            }
            for (i, &pos) in self.positions.iter().enumerate() {
                columns.push(i, Some(record.get(pos).unwrap_or_default()));
            }
            columns.rows += 1;
        }
        columns.finish_csv(&self.schema, &self.positions, o)
    }

    fn json_batch(&mut self, o: &JsonOptions) -> Result<Option<RecordBatch>> {
        let mut rows = Vec::new();
        while rows.len() < self.batch_size && self.next_line()? {
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            // The first JSON value of the line: Trino's readers stop after it, so a line holding
            // several objects (Firehose records without a newline between them) is its first.
            let first = serde_json::Deserializer::from_slice(&self.line).into_iter::<Value>().next();
            let first = first.unwrap_or_else(|| serde_json::from_slice::<Value>(b""));
            match first {
                Ok(Value::Object(map)) => rows.push(json_row(&self.schema, map, o)),
                Ok(_) | Err(_) if o.ignore_malformed => rows.push(Value::Object(Map::new())),
                Ok(_) => return Err(ArrowError::JsonError("Row is not a valid JSON Object".into())),
                Err(e) => return Err(ArrowError::JsonError(format!("Row is not a valid JSON Object - {e}"))),
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        decode_json_rows(&self.schema, &rows).map(Some)
    }
}

impl Iterator for Decoder {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Splits a LazySimpleSerDe line into its raw fields; with an escape byte, an escaped
/// delimiter does not split. Hive compares the raw field with the NULL marker before unescaping.
fn split_fields(line: &[u8], delim: u8, escape: Option<u8>, out: &mut Vec<std::ops::Range<usize>>) {
    out.clear();
    let mut start = 0;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if Some(b) == escape && i + 1 < line.len() {
            i += 2;
            continue;
        }
        if b == delim {
            out.push(start..i);
            start = i + 1;
        }
        i += 1;
    }
    out.push(start..line.len());
}

/// A raw field with its escapes removed (`escape` + any byte is that byte).
fn unescape_field(raw: &[u8], escape: Option<u8>) -> std::borrow::Cow<'_, [u8]> {
    match escape {
        Some(e) if raw.contains(&e) => {
            let mut out = Vec::with_capacity(raw.len());
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == e && i + 1 < raw.len() {
                    out.push(raw[i + 1]);
                    i += 2;
                } else {
                    out.push(raw[i]);
                    i += 1;
                }
            }
            std::borrow::Cow::Owned(out)
        }
        _ => std::borrow::Cow::Borrowed(raw),
    }
}

/// Columns gathered as text, converted to their types once a batch is complete.
struct TextColumns {
    builders: Vec<StringBuilder>,
    rows: usize,
}

impl TextColumns {
    fn new(schema: &Schema) -> Self {
        Self { builders: schema.fields().iter().map(|_| StringBuilder::new()).collect(), rows: 0 }
    }

    fn push(&mut self, column: usize, value: Option<&str>) {
        self.builders[column].append_option(value);
    }

    /// OpenCSVSerde's columns: text, or the types Athena's CSV reader recognises (see
    /// [`super::hive_text::csv_column`]; the others are cast as LazySimpleSerDe's without its
    /// options); a field that does not parse fails the query unless the table says
    /// `use.null.for.invalid.data`.
    fn finish_csv(self, schema: &SchemaRef, positions: &[usize], o: &CsvOptions) -> Result<Option<RecordBatch>> {
        self.finish_with(schema, |strings, field, i| {
            let recognised = super::hive_text::csv_column(&strings, field.data_type(), o.null_for_invalid).map_err(
                |(value, cause)| {
                    let position = positions.get(i).copied().unwrap_or(i);
                    ArrowError::ParseError(format!(
                        "HIVE_BAD_DATA: Error parsing field value '{value}' for field {position}: {cause}"
                    ))
                },
            )?;
            match recognised {
                Some(array) => Ok(array),
                None => typed(Arc::new(strings), field, None),
            }
        })
    }

    fn finish(self, schema: &SchemaRef, text: Option<&TextOptions>) -> Result<Option<RecordBatch>> {
        self.finish_with(schema, |strings, field, _| typed(Arc::new(strings), field, text))
    }

    /// The batch of the rows pushed so far, each column's text converted by `convert` (with the
    /// column's index in `schema`).
    fn finish_with(
        mut self,
        schema: &SchemaRef,
        convert: impl Fn(datafusion::arrow::array::StringArray, &Field, usize) -> Result<ArrayRef>,
    ) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.builders.len());
        for (i, (builder, field)) in self.builders.iter_mut().zip(schema.fields()).enumerate() {
            arrays.push(convert(builder.finish(), field, i)?);
        }
        let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(self.rows));
        RecordBatch::try_new_with_options(schema.clone(), arrays, &options).map(Some)
    }
}

/// Converts a text column to its type; unparseable values become NULL.
fn typed(strings: ArrayRef, field: &Field, text: Option<&TextOptions>) -> Result<ArrayRef> {
    let target = field.data_type();
    match target {
        DataType::Utf8 => Ok(strings),
        DataType::List(_) | DataType::Map(..) | DataType::Struct(_) => {
            let Some(o) = text else {
                return Ok(new_null_array(target, strings.len()));
            };
            let values = strings.as_any().downcast_ref::<datafusion::arrow::array::StringArray>();
            let Some(values) = values else { return Ok(new_null_array(target, strings.len())) };
            let rows: Vec<Value> = values
                .iter()
                .map(|v| {
                    let mut row = Map::new();
                    if let Some(v) = v {
                        row.insert(field.name().clone(), nested_text(v, target, o, 0));
                    }
                    Value::Object(row)
                })
                .collect();
            let schema = Arc::new(Schema::new(vec![field.clone().with_nullable(true)]));
            Ok(decode_json_rows(&schema, &rows)?.column(0).clone())
        }
        // LazySimpleSerDe text: Trino's text encodings, not Arrow's casts.
        _ if text.is_some()
            && let Some(values) = strings.as_any().downcast_ref::<datafusion::arrow::array::StringArray>()
            && let Some(parsed) = super::hive_text::parse_column(values, target) =>
        {
            Ok(parsed)
        }
        _ => {
            let trimmed: ArrayRef = if matches!(target, DataType::Boolean) {
                // Hive reads only TRUE / FALSE (any case) as booleans.
                let values = strings.as_any().downcast_ref::<datafusion::arrow::array::StringArray>();
                match values {
                    Some(v) => Arc::new(
                        v.iter()
                            .map(|s| s.filter(|s| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")))
                            .collect::<datafusion::arrow::array::StringArray>(),
                    ),
                    None => strings,
                }
            } else {
                strings
            };
            cast_with_options(&trimmed, target, &CastOptions { safe: true, ..Default::default() })
        }
    }
}

/// A collection in LazySimpleSerDe text as JSON: level 0 splits on the collection delimiter,
/// maps' keys on the map-key delimiter, and deeper levels on the bytes after them (\x04, ...).
fn nested_text(text: &str, t: &DataType, o: &TextOptions, level: u8) -> Value {
    let delim = |l: u8| -> char {
        match l {
            0 => o.collection_delim as char,
            1 => o.map_key_delim as char,
            n => (n + 2) as char,
        }
    };
    match t {
        DataType::List(_) if text.is_empty() => Value::Array(Vec::new()),
        DataType::List(item) => {
            Value::Array(text.split(delim(level)).map(|v| nested_text(v, item.data_type(), o, level + 1)).collect())
        }
        DataType::Struct(fields) => {
            let mut map = Map::new();
            for (f, v) in fields.iter().zip(text.split(delim(level))) {
                map.insert(f.name().clone(), nested_text(v, f.data_type(), o, level + 1));
            }
            Value::Object(map)
        }
        DataType::Map(entries, _) => {
            let (kt, vt) = match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => (kv[0].data_type().clone(), kv[1].data_type().clone()),
                _ => (DataType::Utf8, DataType::Utf8),
            };
            let mut map = Map::new();
            for pair in text.split(delim(level)).filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once(delim(level + 1)).unwrap_or((pair, ""));
                let _ = kt;
                map.insert(k.to_string(), nested_text(v, &vt, o, level + 2));
            }
            Value::Object(map)
        }
        _ if text == o.null_format => Value::Null,
        _ => Value::String(text.to_string()),
    }
}

/// A JSON key as the SerDe matches it to a column: lower case, and with OpenX's `dots.in.keys`
/// dots as underscores.
fn json_key(k: String, o: &JsonOptions) -> String {
    // Most keys are lower case already: no new string for them.
    let k = if k.bytes().any(|c| c.is_ascii_uppercase()) || !k.is_ascii() { k.to_lowercase() } else { k };
    if o.dots_in_keys && k.contains('.') { k.replace('.', "_") } else { k }
}

/// One JSON object as a row of `schema`: keys matched case-insensitively (or through
/// `mapping.<column>`), nested objects' keys too; objects and arrays in string columns kept as
/// their JSON text, as the OpenX SerDe does.
fn json_row(schema: &Schema, map: Map<String, Value>, o: &JsonOptions) -> Value {
    let mut lower: Map<String, Value> = map.into_iter().map(|(k, v)| (json_key(k, o), v)).collect();
    let mut row = Map::new();
    for field in schema.fields() {
        let key = o.mappings.get(field.name()).map(|k| k.to_lowercase()).unwrap_or_else(|| field.name().clone());
        // Taken, not copied, unless mappings could read one key into two columns.
        let value = if o.mappings.is_empty() { lower.remove(&key) } else { lower.get(&key).cloned() };
        if let Some(v) = value {
            row.insert(field.name().clone(), json_value(v, field.data_type(), o));
        }
    }
    Value::Object(row)
}

fn json_value(v: Value, t: &DataType, o: &JsonOptions) -> Value {
    if o.openx
        && let Some(coerced) = super::hive_text::openx_value(&v, t)
    {
        return coerced;
    }
    match (v, t) {
        (v @ (Value::Object(_) | Value::Array(_)), DataType::Utf8) => Value::String(v.to_string()),
        (Value::Object(m), DataType::Struct(fields)) => {
            let lower: Map<String, Value> = m.into_iter().map(|(k, v)| (json_key(k, o), v)).collect();
            let mut out = Map::new();
            for f in fields {
                if let Some(v) = lower.get(f.name()) {
                    out.insert(f.name().clone(), json_value(v.clone(), f.data_type(), o));
                }
            }
            Value::Object(out)
        }
        (Value::Array(items), DataType::List(item)) => {
            Value::Array(items.into_iter().map(|v| json_value(v, item.data_type(), o)).collect())
        }
        (Value::Bool(b), DataType::Utf8) => Value::String(b.to_string()),
        (Value::Number(n), DataType::Utf8) => Value::String(n.to_string()),
        (Value::String(s), DataType::Boolean) => match s.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        (v, _) => v,
    }
}

/// Decodes JSON rows with arrow-json; a value that does not fit its column is NULL.
fn decode_json_rows(schema: &SchemaRef, rows: &[Value]) -> Result<RecordBatch> {
    let mut decoder = ReaderBuilder::new(schema.clone()).with_coerce_primitive(true).build_decoder()?;
    match decoder.serialize(rows).and_then(|()| decoder.flush()) {
        Ok(Some(batch)) => Ok(batch),
        Ok(None) => Ok(RecordBatch::new_empty(schema.clone())),
        // One bad value fails the whole batch in arrow-json: decode row by row, NULL-ing cells.
        Err(_) => decode_json_rows_leniently(schema, rows),
    }
}

fn decode_json_rows_leniently(schema: &SchemaRef, rows: &[Value]) -> Result<RecordBatch> {
    let mut columns: Vec<Vec<ArrayRef>> = vec![Vec::new(); schema.fields().len()];
    for row in rows {
        for (i, field) in schema.fields().iter().enumerate() {
            let one = Arc::new(Schema::new(vec![field.as_ref().clone().with_nullable(true)]));
            let cell =
                Value::Object(row.get(field.name()).map(|v| (field.name().clone(), v.clone())).into_iter().collect());
            let mut decoder = ReaderBuilder::new(one.clone()).with_coerce_primitive(true).build_decoder()?;
            let array = match decoder.serialize(std::slice::from_ref(&cell)).and_then(|()| decoder.flush()) {
                Ok(Some(b)) => b.column(0).clone(),
                _ => new_null_array(field.data_type(), 1),
            };
            columns[i].push(array);
        }
    }
    let arrays = columns
        .iter()
        .map(|parts| {
            let refs: Vec<&dyn datafusion::arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
            datafusion::arrow::compute::concat(&refs)
        })
        .collect::<Result<Vec<_>>>()?;
    let options = datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Float64Type, Int32Type};

    fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
        Arc::new(Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>()))
    }

    fn decode(format: TableFormat, schema: SchemaRef, positions: Vec<usize>, text: &str) -> Vec<RecordBatch> {
        let input: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        Decoder::new(format, schema, positions, input, 2).collect::<Result<Vec<_>>>().unwrap()
    }

    fn text(delim: u8, skip_header: usize) -> TableFormat {
        TableFormat::Text(TextOptions {
            field_delim: delim,
            escape: Some(b'\\'),
            null_format: "\\N".into(),
            collection_delim: 2,
            map_key_delim: 3,
            skip_header,
        })
    }

    #[test]
    fn lazy_simple_reads_by_position_with_hive_nulls() {
        let s = schema(&[("id", DataType::Int32), ("name", DataType::Utf8), ("fare", DataType::Float64)]);
        let data = "id,name,fare\n1,a\\,b,2.5\r\n\\N,\\N,x\n3,,\n4\n";
        let batches = decode(text(b',', 1), s, vec![0, 1, 2], data);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 4);
        assert_eq!(batches.len(), 2, "batches of at most 2 rows");
        let ids = batches[0].column(0).as_primitive::<Int32Type>();
        assert_eq!(ids.value(0), 1);
        assert!(ids.is_null(1), "\\N is NULL");
        let names = batches[0].column(1).as_string::<i32>();
        assert_eq!(names.value(0), "a,b", "escaped delimiter");
        assert!(names.is_null(1));
        let fares = batches[0].column(2).as_primitive::<Float64Type>();
        assert_eq!(fares.value(0), 2.5, "\\r\\n line end");
        assert!(fares.is_null(1), "'x' is not a double: NULL");
        let names = batches[1].column(1).as_string::<i32>();
        assert_eq!(names.value(0), "", "an empty string stays a string");
        assert!(names.is_null(1), "missing trailing fields are NULL");
        assert!(batches[1].column(2).is_null(0));
    }

    #[test]
    fn lazy_simple_projection_and_collections() {
        let s = schema(&[
            ("tags", DataType::List(Arc::new(Field::new("item", DataType::Int32, true)))),
            ("name", DataType::Utf8),
        ]);
        let data = "x\x011\x022\x023\x01bob\n";
        let batches = decode(text(1, 0), s, vec![1, 2], data);
        let tags = batches[0].column(0).as_list::<i32>();
        let first = tags.value(0);
        assert_eq!(first.as_primitive::<Int32Type>().values().to_vec(), vec![1, 2, 3]);
        assert_eq!(batches[0].column(1).as_string::<i32>().value(0), "bob");
    }

    #[test]
    fn open_csv_reads_quoted_values() {
        let s = schema(&[("a", DataType::Utf8), ("b", DataType::Int32)]);
        let csv = |null_for_invalid| {
            TableFormat::Csv(CsvOptions {
                separator: b',',
                quote: b'"',
                escape: Some(b'\\'),
                skip_header: 1,
                null_for_invalid,
            })
        };
        let data = "a,b\n\"x,y\",\"7\"\n\"say \\\"hi\\\"\",\n";
        let batches = decode(csv(true), s.clone(), vec![0, 1], data);
        let a = batches[0].column(0).as_string::<i32>();
        assert_eq!(a.value(0), "x,y");
        assert_eq!(a.value(1), "say \"hi\"");
        let b = batches[0].column(1).as_primitive::<Int32Type>();
        assert_eq!(b.value(0), 7);
        assert!(b.is_null(1), "with use.null.for.invalid.data an empty field of a number column is NULL");
        // Without it the query fails, as Athena's CSV reader does.
        let input: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(data.as_bytes().to_vec()));
        let err = Decoder::new(csv(false), s, vec![0, 1], input, 10).collect::<Result<Vec<_>>>().unwrap_err();
        assert!(err.to_string().contains("HIVE_BAD_DATA: Error parsing field value '' for field 1"), "{err}");
    }

    #[test]
    fn json_keys_are_case_insensitive_and_malformed_lines_fail_or_skip() {
        let s = schema(&[("vendorid", DataType::Int32), ("note", DataType::Utf8), ("ok", DataType::Boolean)]);
        let data = "{\"VendorID\": 2, \"note\": {\"a\": 1}, \"OK\": \"true\"}\n\n{\"vendorid\": \"x\"}\nnot json\n";
        let lenient = TableFormat::Json(JsonOptions { ignore_malformed: true, ..Default::default() });
        let batches = decode(lenient, s.clone(), vec![0, 1, 2], data);
        let ids = batches[0].column(0).as_primitive::<Int32Type>();
        assert_eq!(ids.value(0), 2);
        assert!(ids.is_null(1), "a value that is not a number is NULL");
        assert_eq!(batches[0].column(1).as_string::<i32>().value(0), "{\"a\":1}");
        assert!(batches[0].column(2).as_boolean().value(0));
        assert_eq!(batches[1].num_rows(), 1, "the malformed line is a row of NULLs");
        assert!(batches[1].column(0).is_null(0));
        let strict = TableFormat::Json(JsonOptions::default());
        let input: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(data.as_bytes().to_vec()));
        let err = Decoder::new(strict, s, vec![0, 1, 2], input, 10).collect::<Result<Vec<_>>>().unwrap_err();
        assert!(err.to_string().contains("not a valid JSON Object"), "{err}");
    }

    #[test]
    fn compressed_inputs() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"1,a\n").unwrap();
        let mut out = String::new();
        decompress(Codec::Gzip, gz.finish().unwrap().into()).unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "1,a\n");
        let mut framed = snap::write::FrameEncoder::new(Vec::new());
        framed.write_all(b"hello snappy").unwrap();
        let mut out = String::new();
        decompress(Codec::Snappy, framed.into_inner().unwrap().into()).unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello snappy");
        // Hadoop block format: [uncompressed len][compressed len][chunk]
        let chunk = snap::raw::Encoder::new().compress_vec(b"hadoop block").unwrap();
        let mut hadoop = Vec::new();
        hadoop.extend_from_slice(&(12u32).to_be_bytes());
        hadoop.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        hadoop.extend_from_slice(&chunk);
        let mut out = String::new();
        decompress(Codec::Snappy, hadoop.into()).unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "hadoop block");
    }
}
