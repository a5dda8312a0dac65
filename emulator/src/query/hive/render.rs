//! Glue tables from Hive DDL, and Hive's text renderings of tables: `SHOW CREATE TABLE`,
//! `DESCRIBE [FORMATTED]` and `SHOW COLUMNS`, laid out as Athena's Hive engine prints them.

use super::{CreateTable, RowFormat, StoredAs};
use crate::catalog::model::{Column, Parameters, SerDeInfo, StorageDescriptor, Table, TableInput};
use std::collections::BTreeMap;

const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
const TEXT_INPUT: &str = "org.apache.hadoop.mapred.TextInputFormat";
const TEXT_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat";

/// Input format, output format and SerDe of a `STORED AS` name.
fn stored_as(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match name {
        "PARQUET" | "PARQUETFILE" => (
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        ),
        "TEXTFILE" => (TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE),
        "JSONFILE" | "JSON" => (TEXT_INPUT, TEXT_OUTPUT, "org.apache.hive.hcatalog.data.JsonSerDe"),
        "ORC" => (
            "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
        ),
        "AVRO" => (
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
            "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
        ),
        "SEQUENCEFILE" => (
            "org.apache.hadoop.mapred.SequenceFileInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
            LAZY_SIMPLE,
        ),
        _ => return None,
    })
}

fn columns(defs: &[super::ColumnDef]) -> Vec<Column> {
    defs.iter()
        .map(|c| Column {
            name: c.name.clone(),
            data_type: Some(c.data_type.clone()),
            comment: c.comment.clone(),
            parameters: None,
        })
        .collect()
}

/// The Glue `TableInput` Athena's Hive engine writes for `CREATE EXTERNAL TABLE`.
pub fn table_input(ct: &CreateTable, now_secs: i64) -> Result<TableInput, String> {
    let (mut input, mut output, mut library) =
        (TEXT_INPUT.to_string(), TEXT_OUTPUT.to_string(), LAZY_SIMPLE.to_string());
    match &ct.stored_as {
        Some(StoredAs::Named(name)) => {
            let (i, o, s) =
                stored_as(name).ok_or_else(|| format!("Unrecognized file format in STORED AS clause: '{name}'"))?;
            (input, output, library) = (i.into(), o.into(), s.into());
        }
        Some(StoredAs::Formats { input: i, output: o }) => (input, output) = (i.clone(), o.clone()),
        None => {}
    }
    let mut serde_params: Parameters = BTreeMap::new();
    serde_params.insert("serialization.format".into(), "1".into());
    match &ct.row_format {
        Some(RowFormat::Delimited(params)) => {
            library = LAZY_SIMPLE.into();
            for (k, v) in params {
                // Hive's constant for the collection delimiter is misspelled; Glue stores it so.
                let key = if k == "collection.delim" { "colelction.delim" } else { k.as_str() };
                serde_params.insert(key.into(), v.clone());
            }
        }
        Some(RowFormat::Serde { library: l, properties }) => {
            library = l.clone();
            serde_params.extend(properties.clone());
        }
        None => {}
    }
    let mut parameters: Parameters = ct.properties.clone();
    parameters.insert("EXTERNAL".into(), "TRUE".into());
    parameters.insert("transient_lastDdlTime".into(), now_secs.to_string());
    if let Some(c) = &ct.comment {
        parameters.insert("comment".into(), c.clone());
    }
    let (buckets, bucket_columns) = match &ct.bucketed {
        Some((cols, n)) => (*n as i32, cols.clone()),
        None => (-1, Vec::new()),
    };
    let sd = StorageDescriptor {
        columns: Some(columns(&ct.columns)),
        location: ct.location.clone(),
        input_format: Some(input),
        output_format: Some(output),
        compressed: Some(false),
        number_of_buckets: Some(buckets),
        serde_info: Some(SerDeInfo {
            name: None,
            serialization_library: Some(library),
            parameters: Some(serde_params),
        }),
        bucket_columns: Some(bucket_columns),
        sort_columns: Some(Vec::new()),
        parameters: Some(BTreeMap::new()),
        stored_as_sub_directories: Some(false),
        ..Default::default()
    };
    Ok(TableInput {
        name: ct.table.name.clone(),
        description: ct.comment.clone(),
        owner: Some("hadoop".into()),
        storage_descriptor: Some(sd),
        partition_keys: Some(columns(&ct.partitioned_by)),
        table_type: Some("EXTERNAL_TABLE".into()),
        parameters: Some(parameters),
        ..Default::default()
    })
}

/// Whether the SerDe takes its schema from the data (Hive then says `from deserializer`).
fn schema_from_deserializer(table: &Table) -> bool {
    let lib = serde_library(table).to_ascii_lowercase();
    lib.contains("jsonserde") || lib.contains("opencsvserde") || lib.contains("regexserde")
}

fn serde_library(table: &Table) -> String {
    table
        .storage_descriptor
        .as_ref()
        .and_then(|sd| sd.serde_info.as_ref())
        .and_then(|s| s.serialization_library.clone())
        .unwrap_or_default()
}

fn data_columns(table: &Table) -> Vec<Column> {
    table.storage_descriptor.as_ref().and_then(|sd| sd.columns.clone()).unwrap_or_default()
}

fn ty(c: &Column) -> String {
    c.data_type.clone().unwrap_or_else(|| "string".into())
}

/// Escapes a value for a quoted Hive literal as `SHOW CREATE TABLE` prints it.
fn quoted(v: &str) -> String {
    let mut out = String::new();
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    format!("'{out}'")
}

/// `SHOW CREATE TABLE`: one line per row.
pub fn show_create_table(table: &Table) -> Vec<String> {
    let mut lines = Vec::new();
    let external = table.table_type.as_deref() != Some("MANAGED_TABLE");
    lines.push(format!("CREATE {}TABLE `{}`(", if external { "EXTERNAL " } else { "" }, table.name));
    let from_deserializer = schema_from_deserializer(table);
    let cols = data_columns(table);
    for (i, c) in cols.iter().enumerate() {
        let comment = c.comment.clone().or_else(|| from_deserializer.then(|| "from deserializer".into()));
        let mut line = format!("  `{}` {}", c.name, ty(c));
        if let Some(comment) = comment {
            line.push_str(&format!(" COMMENT {}", quoted(&comment)));
        }
        line.push_str(if i + 1 == cols.len() { ")" } else { ", " });
        lines.push(line);
    }
    if cols.is_empty() {
        lines[0].push(')');
    }
    let params = table.parameters.clone().unwrap_or_default();
    if let Some(c) = params.get("comment") {
        lines.push(format!("COMMENT {}", quoted(c)));
    }
    let keys = table.partition_keys();
    if !keys.is_empty() {
        lines.push("PARTITIONED BY ( ".into());
        for (i, k) in keys.iter().enumerate() {
            let mut line = format!("  `{}` {}", k.name, ty(k));
            if let Some(c) = &k.comment {
                line.push_str(&format!(" COMMENT {}", quoted(c)));
            }
            line.push_str(if i + 1 == keys.len() { ")" } else { ", " });
            lines.push(line);
        }
    }
    let sd = table.storage_descriptor.clone().unwrap_or_default();
    if let Some(buckets) = sd.number_of_buckets.filter(|n| *n > 0) {
        let cols: Vec<String> =
            sd.bucket_columns.clone().unwrap_or_default().iter().map(|c| format!("`{c}`")).collect();
        lines.push("CLUSTERED BY ( ".into());
        lines.push(format!("  {}) ", cols.join(", ")));
        lines.push(format!("INTO {buckets} BUCKETS"));
    }
    let library = serde_library(table);
    let mut serde_params = sd.serde_info.as_ref().and_then(|s| s.parameters.clone()).unwrap_or_default();
    serde_params.remove("serialization.format");
    let delimited_keys = [
        "field.delim",
        "colelction.delim",
        "collection.delim",
        "mapkey.delim",
        "line.delim",
        "serialization.null.format",
    ];
    if library == LAZY_SIMPLE
        && serde_params.keys().all(|k| delimited_keys.contains(&k.as_str()))
        && !serde_params.is_empty()
    {
        lines.push("ROW FORMAT DELIMITED ".into());
        let labels = [
            ("field.delim", "FIELDS TERMINATED BY"),
            ("colelction.delim", "COLLECTION ITEMS TERMINATED BY"),
            ("collection.delim", "COLLECTION ITEMS TERMINATED BY"),
            ("mapkey.delim", "MAP KEYS TERMINATED BY"),
            ("line.delim", "LINES TERMINATED BY"),
            ("serialization.null.format", "NULL DEFINED AS"),
        ];
        for (key, label) in labels {
            if let Some(v) = serde_params.get(key) {
                lines.push(format!("  {label} {} ", quoted(v)));
            }
        }
    } else {
        lines.push("ROW FORMAT SERDE ".into());
        lines.push(format!("  {} ", quoted(&library)));
        if !serde_params.is_empty() {
            lines.push("WITH SERDEPROPERTIES ( ".into());
            let n = serde_params.len();
            for (i, (k, v)) in serde_params.iter().enumerate() {
                lines.push(format!("  {}={}{}", quoted(k), quoted(v), if i + 1 == n { ") " } else { ", " }));
            }
        }
    }
    lines.push("STORED AS INPUTFORMAT ".into());
    lines.push(format!("  {} ", quoted(sd.input_format.as_deref().unwrap_or(TEXT_INPUT))));
    lines.push("OUTPUTFORMAT ".into());
    lines.push(format!("  {}", quoted(sd.output_format.as_deref().unwrap_or(TEXT_OUTPUT))));
    if let Some(location) = &sd.location {
        lines.push("LOCATION".into());
        lines.push(format!("  {}", quoted(location)));
    }
    let shown: Vec<(&String, &String)> = params.iter().filter(|(k, _)| *k != "EXTERNAL" && *k != "comment").collect();
    if !shown.is_empty() {
        lines.push("TBLPROPERTIES (".into());
        let n = shown.len();
        for (i, (k, v)) in shown.into_iter().enumerate() {
            lines.push(format!("  {}={}{}", quoted(k), quoted(v), if i + 1 == n { ")" } else { ", " }));
        }
    }
    lines
}

/// A value right-padded to Hive's 20-character column.
fn pad(s: &str) -> String {
    format!("{s:<20}")
}

fn describe_row(name: &str, ty: &str, comment: &str) -> String {
    format!("{}\t{}\t{}", pad(name), pad(ty), pad(comment))
}

/// `DESCRIBE` (and `DESCRIBE FORMATTED`): the columns, then the partition keys.
pub fn describe(table: &Table, formatted: bool, db: &str) -> Vec<String> {
    let from_deserializer = schema_from_deserializer(table);
    let mut lines = Vec::new();
    if formatted {
        lines.push(describe_row("# col_name", "data_type", "comment"));
        lines.push("\t \t ".into());
    }
    for c in data_columns(table) {
        let comment = c
            .comment
            .clone()
            .unwrap_or_else(|| if from_deserializer { "from deserializer".into() } else { String::new() });
        lines.push(describe_row(&c.name, &ty(&c), &comment));
    }
    let keys = table.partition_keys();
    if !formatted {
        for k in keys {
            lines.push(describe_row(&k.name, &ty(k), k.comment.as_deref().unwrap_or_default()));
        }
    }
    if !keys.is_empty() {
        lines.push("\t \t ".into());
        lines.push("# Partition Information\t \t ".into());
        lines.push(describe_row("# col_name", "data_type", "comment"));
        lines.push("\t \t ".into());
        for k in keys {
            lines.push(describe_row(&k.name, &ty(k), k.comment.as_deref().unwrap_or_default()));
        }
    }
    if formatted {
        let sd = table.storage_descriptor.clone().unwrap_or_default();
        let created = table.create_time.map(|t| t as i64).unwrap_or_default();
        let info = |k: &str, v: &str| format!("{}\t{}\t ", pad(k), pad(v));
        lines.push("\t \t ".into());
        lines.push("# Detailed Table Information\t \t ".into());
        lines.push(info("Database:", db));
        lines.push(info("Owner:", table.owner.as_deref().unwrap_or("hadoop")));
        lines.push(info("CreateTime:", &crate::query::hive::exec::hive_time(created)));
        lines.push(info("LastAccessTime:", "UNKNOWN"));
        lines.push(info("Protect Mode:", "None"));
        lines.push(info("Retention:", "0"));
        lines.push(info("Location:", sd.location.as_deref().unwrap_or_default()));
        lines.push(info("Table Type:", table.table_type.as_deref().unwrap_or("EXTERNAL_TABLE")));
        lines.push(format!("{}\t \t ", pad("Table Parameters:")));
        for (k, v) in table.parameters.clone().unwrap_or_default() {
            lines.push(format!("\t{}\t{}", pad(&k), pad(&v)));
        }
        lines.push("\t \t ".into());
        lines.push("# Storage Information\t \t ".into());
        lines.push(info("SerDe Library:", &serde_library(table)));
        lines.push(info("InputFormat:", sd.input_format.as_deref().unwrap_or_default()));
        lines.push(info("OutputFormat:", sd.output_format.as_deref().unwrap_or_default()));
        lines.push(info("Compressed:", if sd.compressed == Some(true) { "Yes" } else { "No" }));
        lines.push(info("Num Buckets:", &sd.number_of_buckets.unwrap_or(-1).to_string()));
        lines.push(info("Bucket Columns:", &format!("{:?}", sd.bucket_columns.clone().unwrap_or_default())));
        lines.push(info("Sort Columns:", "[]"));
        let params = sd.serde_info.and_then(|s| s.parameters).unwrap_or_default();
        if !params.is_empty() {
            lines.push(format!("{}\t \t ", pad("Storage Desc Params:")));
            for (k, v) in params {
                lines.push(format!("\t{}\t{}", pad(&k), pad(&v)));
            }
        }
    }
    lines
}

/// `SHOW COLUMNS`: every column name, partition keys included, padded to 20 characters.
pub fn show_columns(table: &Table) -> Vec<String> {
    data_columns(table).iter().chain(table.partition_keys()).map(|c| pad(&c.name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::hive::HiveStatement;
    use crate::query::hive::parse::parse;

    fn table(sql: &str) -> Table {
        let HiveStatement::CreateTable(ct) = parse(sql).unwrap() else { panic!() };
        let input = table_input(&ct, 1_700_000_000).unwrap();
        Table {
            name: input.name,
            storage_descriptor: input.storage_descriptor,
            partition_keys: input.partition_keys,
            table_type: input.table_type,
            parameters: input.parameters,
            owner: input.owner,
            ..Default::default()
        }
    }

    #[test]
    fn create_table_becomes_the_glue_table_athena_writes() {
        let t = table(
            "CREATE EXTERNAL TABLE trips (id int COMMENT 'trip id', fare double) COMMENT 'taxi'
             PARTITIONED BY (year string) STORED AS PARQUET LOCATION 's3://lake/trips/'
             TBLPROPERTIES ('parquet.compress'='SNAPPY')",
        );
        let sd = t.storage_descriptor.clone().unwrap();
        assert_eq!(sd.input_format.as_deref(), Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"));
        let serde = sd.serde_info.clone().unwrap();
        assert_eq!(
            serde.serialization_library.as_deref(),
            Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
        );
        assert_eq!(serde.parameters.unwrap()["serialization.format"], "1");
        let params = t.parameters.clone().unwrap();
        assert_eq!(params["EXTERNAL"], "TRUE");
        assert_eq!(params["comment"], "taxi");
        assert_eq!(params["transient_lastDdlTime"], "1700000000");
        assert_eq!(sd.number_of_buckets, Some(-1));
        assert_eq!(t.table_type.as_deref(), Some("EXTERNAL_TABLE"));
        let shown = show_create_table(&t);
        assert_eq!(shown[0], "CREATE EXTERNAL TABLE `trips`(");
        assert_eq!(shown[1], "  `id` int COMMENT 'trip id', ");
        assert_eq!(shown[2], "  `fare` double)");
        assert_eq!(shown[3], "COMMENT 'taxi'");
        assert_eq!(shown[4], "PARTITIONED BY ( ");
        assert!(shown.contains(&"ROW FORMAT SERDE ".to_string()));
        assert!(shown.contains(&"  'parquet.compress'='SNAPPY', ".to_string()));
        assert_eq!(shown.last().unwrap(), "  'transient_lastDdlTime'='1700000000')");
    }

    #[test]
    fn delimited_text_round_trips_through_show_create_table() {
        let t = table(
            "CREATE EXTERNAL TABLE t (a string) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t'
             COLLECTION ITEMS TERMINATED BY '|' LOCATION 's3://b/t/'",
        );
        let serde = t.storage_descriptor.clone().unwrap().serde_info.unwrap().parameters.unwrap();
        assert_eq!(serde["field.delim"], "\t");
        assert_eq!(serde["colelction.delim"], "|");
        let shown = show_create_table(&t);
        assert!(shown.contains(&"ROW FORMAT DELIMITED ".to_string()), "{shown:?}");
        assert!(shown.contains(&"  FIELDS TERMINATED BY '\\t' ".to_string()), "{shown:?}");
        let again = super::super::parse::parse(&shown.join("\n")).unwrap();
        assert!(matches!(again, HiveStatement::CreateTable(_)), "SHOW CREATE TABLE output parses back");
    }

    #[test]
    fn describe_pads_like_hive() {
        let t = table(
            "CREATE EXTERNAL TABLE j (a string, b int) PARTITIONED BY (dt string)
             ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://b/j/'",
        );
        let rows = describe(&t, false, "db");
        assert_eq!(rows[0], format!("{:<20}\t{:<20}\t{:<20}", "a", "string", "from deserializer"));
        assert_eq!(rows.len(), 3 + 4 + 1);
        assert_eq!(rows[4], "# Partition Information\t \t ");
        assert_eq!(show_columns(&t), vec![format!("{:<20}", "a"), format!("{:<20}", "b"), format!("{:<20}", "dt")]);
    }
}
