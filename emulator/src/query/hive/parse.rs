//! A parser for the Hive DDL Athena accepts (`CREATE EXTERNAL TABLE ... ROW FORMAT ... STORED AS
//! ... LOCATION ... TBLPROPERTIES`, `ALTER TABLE ... ADD PARTITION`, `MSCK REPAIR TABLE`, `SHOW`,
//! `DESCRIBE`, ...), over sqlparser's tokenizer. Athena sends these statements to Hive rather
//! than Trino, and their grammar (backquotes, `array<struct<a:int>>` types, per-partition
//! `LOCATION`s, table `COMMENT`) is Hive's, so they get a parser of their own.

use super::{ColumnDef, HiveStatement, PartitionSpec, QualifiedName, RowFormat, StoredAs};
use crate::query::formats::unescape;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::collections::BTreeMap;

/// A parse failure, with the 1-based line and column of the offending token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

type Result<T> = std::result::Result<T, ParseError>;

/// Parses one Hive DDL statement (a trailing `;` is allowed).
pub fn parse(sql: &str) -> Result<HiveStatement> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location().map_err(|e| ParseError {
        line: e.location.line,
        column: e.location.column,
        message: e.message,
    })?;
    let tokens: Vec<TokenWithSpan> = tokens.into_iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
    let mut p = P { tokens, pos: 0 };
    let statement = p.statement()?;
    while p.eat(&Token::SemiColon) {}
    if p.pos < p.tokens.len() {
        return Err(p.error("extraneous input"));
    }
    Ok(statement)
}

struct P {
    tokens: Vec<TokenWithSpan>,
    pos: usize,
}

impl P {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|t| &t.token)
    }

    fn error(&self, what: &str) -> ParseError {
        let (line, column, near) = match self.tokens.get(self.pos) {
            Some(t) => (t.span.start.line, t.span.start.column, format!("'{}'", t.token)),
            None => {
                let (line, column) = self.tokens.last().map(|t| (t.span.end.line, t.span.end.column)).unwrap_or((1, 1));
                (line.max(1), column.max(1), "'<EOF>'".to_string())
            }
        };
        ParseError { line, column, message: format!("{what} near {near}") }
    }

    /// The upper-cased word at the cursor, if it is an unquoted word.
    fn word_at(&self, offset: usize) -> Option<String> {
        match self.tokens.get(self.pos + offset).map(|t| &t.token) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        self.word_at(0).as_deref() == Some(kw)
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn keywords(&mut self, kws: &[&str]) -> bool {
        if kws.iter().enumerate().all(|(i, k)| self.word_at(i).as_deref() == Some(*k)) {
            self.pos += kws.len();
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<()> {
        if self.keyword(kw) { Ok(()) } else { Err(self.error(&format!("expected {kw}"))) }
    }

    fn eat(&mut self, t: &Token) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Token) -> Result<()> {
        if self.eat(t) { Ok(()) } else { Err(self.error(&format!("expected '{t}'"))) }
    }

    /// An identifier (plain, "quoted" or `backquoted`), lower-cased as Hive stores names.
    fn ident(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::Word(w)) => {
                let v = w.value.to_lowercase();
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error("expected a name")),
        }
    }

    fn name(&mut self) -> Result<QualifiedName> {
        let first = self.ident()?;
        if self.eat(&Token::Period) {
            let second = self.ident()?;
            if self.eat(&Token::Period) {
                let third = self.ident()?;
                return Ok(QualifiedName { catalog: Some(first), database: Some(second), name: third });
            }
            return Ok(QualifiedName { catalog: None, database: Some(first), name: second });
        }
        Ok(QualifiedName { catalog: None, database: None, name: first })
    }

    fn string(&mut self) -> Result<String> {
        match self.peek() {
            Some(Token::SingleQuotedString(s)) | Some(Token::DoubleQuotedString(s)) => {
                let v = s.clone();
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error("expected a string literal")),
        }
    }

    /// A partition value: a string or a number, as written.
    fn value(&mut self) -> Result<String> {
        match self.peek().cloned() {
            Some(Token::SingleQuotedString(s)) | Some(Token::DoubleQuotedString(s)) => {
                self.pos += 1;
                Ok(s)
            }
            Some(Token::Number(n, _)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Token::Minus) => {
                self.pos += 1;
                Ok(format!("-{}", self.value()?))
            }
            Some(Token::Word(w)) if w.quote_style.is_none() => {
                self.pos += 1;
                Ok(w.value)
            }
            _ => Err(self.error("expected a partition value")),
        }
    }

    fn number(&mut self) -> Result<i64> {
        match self.peek() {
            Some(Token::Number(n, _)) => {
                let v = n.parse().map_err(|_| self.error("expected a whole number"))?;
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error("expected a number")),
        }
    }

    fn if_not_exists(&mut self) -> bool {
        self.keywords(&["IF", "NOT", "EXISTS"])
    }

    fn if_exists(&mut self) -> bool {
        self.keywords(&["IF", "EXISTS"])
    }

    fn statement(&mut self) -> Result<HiveStatement> {
        if self.keyword("CREATE") {
            let external = self.keyword("EXTERNAL");
            if !external && (self.keyword("DATABASE") || self.keyword("SCHEMA")) {
                return self.create_database();
            }
            self.expect_keyword("TABLE")?;
            return self.create_table(external);
        }
        if self.keyword("DROP") {
            if self.keyword("DATABASE") || self.keyword("SCHEMA") {
                let if_exists = self.if_exists();
                let name = self.ident()?;
                let cascade = self.keyword("CASCADE");
                if !cascade {
                    self.keyword("RESTRICT");
                }
                return Ok(HiveStatement::DropDatabase { name, if_exists, cascade });
            }
            self.expect_keyword("TABLE")?;
            let if_exists = self.if_exists();
            let table = self.name()?;
            self.keyword("PURGE");
            return Ok(HiveStatement::DropTable { table, if_exists });
        }
        if self.keyword("ALTER") {
            self.expect_keyword("TABLE")?;
            return self.alter_table();
        }
        if self.keyword("MSCK") {
            self.expect_keyword("REPAIR")?;
            self.expect_keyword("TABLE")?;
            return Ok(HiveStatement::MsckRepair { table: self.name()? });
        }
        if self.keyword("SHOW") {
            return self.show();
        }
        if self.keyword("DESCRIBE") || self.keyword("DESC") {
            let formatted = self.keyword("FORMATTED") || self.keyword("EXTENDED");
            let table = self.name()?;
            let partition = if self.is_keyword("PARTITION") { Some(self.partition_spec()?) } else { None };
            return Ok(HiveStatement::Describe { table, formatted, partition });
        }
        Err(self.error("mismatched input"))
    }

    fn properties(&mut self) -> Result<BTreeMap<String, String>> {
        self.expect(&Token::LParen)?;
        let mut out = BTreeMap::new();
        if self.eat(&Token::RParen) {
            return Ok(out);
        }
        loop {
            let key = self.string()?;
            self.expect(&Token::Eq)?;
            let value = self.string()?;
            out.insert(key, value);
            if self.eat(&Token::RParen) {
                return Ok(out);
            }
            self.expect(&Token::Comma)?;
        }
    }

    fn create_database(&mut self) -> Result<HiveStatement> {
        let if_not_exists = self.if_not_exists();
        let name = self.ident()?;
        let (mut comment, mut location, mut properties) = (None, None, BTreeMap::new());
        loop {
            if self.keyword("COMMENT") {
                comment = Some(self.string()?);
            } else if self.keyword("LOCATION") {
                location = Some(self.string()?);
            } else if self.keywords(&["WITH", "DBPROPERTIES"]) {
                properties = self.properties()?;
            } else {
                break;
            }
        }
        Ok(HiveStatement::CreateDatabase { name, if_not_exists, comment, location, properties })
    }

    /// A Hive type as Glue stores it: lower case, no spaces (`array<struct<a:int,b:string>>`).
    fn hive_type(&mut self) -> Result<String> {
        let mut out = String::new();
        let mut depth = 0i32;
        while let Some(t) = self.peek().cloned() {
            match &t {
                Token::Comma | Token::RParen if depth == 0 => break,
                Token::Word(w) if depth == 0 && !out.is_empty() && w.quote_style.is_none() => {
                    let upper = w.value.to_ascii_uppercase();
                    if upper == "COMMENT" {
                        break;
                    }
                    if upper == "PRECISION" && out == "double" {
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
                Token::Lt | Token::LParen => depth += 1,
                Token::Gt | Token::RParen => depth -= 1,
                Token::ShiftRight => depth -= 2,
                _ => {}
            }
            match &t {
                Token::Word(w) => out.push_str(&w.value.to_lowercase()),
                Token::ShiftRight => out.push_str(">>"),
                other => out.push_str(&other.to_string()),
            }
            self.pos += 1;
            if depth < 0 {
                return Err(self.error("unbalanced type"));
            }
        }
        if out.is_empty() || depth != 0 {
            return Err(self.error("expected a column type"));
        }
        Ok(out)
    }

    fn columns(&mut self) -> Result<Vec<ColumnDef>> {
        self.expect(&Token::LParen)?;
        let mut columns = Vec::new();
        loop {
            let name = self.ident()?;
            let data_type = self.hive_type()?;
            let comment = if self.keyword("COMMENT") { Some(self.string()?) } else { None };
            columns.push(ColumnDef { name, data_type, comment });
            if self.eat(&Token::RParen) {
                return Ok(columns);
            }
            self.expect(&Token::Comma)?;
        }
    }

    fn name_list(&mut self) -> Result<Vec<String>> {
        self.expect(&Token::LParen)?;
        let mut names = Vec::new();
        loop {
            names.push(self.ident()?);
            self.keyword("ASC");
            self.keyword("DESC");
            if self.eat(&Token::RParen) {
                return Ok(names);
            }
            self.expect(&Token::Comma)?;
        }
    }

    fn create_table(&mut self, external: bool) -> Result<HiveStatement> {
        let if_not_exists = self.if_not_exists();
        let table = self.name()?;
        let columns = if self.peek() == Some(&Token::LParen) { self.columns()? } else { Vec::new() };
        let mut s = super::CreateTable {
            table,
            external,
            if_not_exists,
            columns,
            comment: None,
            partitioned_by: Vec::new(),
            bucketed: None,
            row_format: None,
            stored_as: None,
            location: None,
            properties: BTreeMap::new(),
        };
        loop {
            if self.keyword("COMMENT") {
                s.comment = Some(self.string()?);
            } else if self.keywords(&["PARTITIONED", "BY"]) {
                s.partitioned_by = self.columns()?;
            } else if self.keywords(&["CLUSTERED", "BY"]) {
                let columns = self.name_list()?;
                if self.keywords(&["SORTED", "BY"]) {
                    self.name_list()?;
                }
                self.expect_keyword("INTO")?;
                let buckets = self.number()?;
                self.expect_keyword("BUCKETS")?;
                s.bucketed = Some((columns, buckets));
            } else if self.keywords(&["ROW", "FORMAT"]) {
                s.row_format = Some(self.row_format()?);
            } else if self.keywords(&["STORED", "AS"]) {
                if self.keyword("INPUTFORMAT") {
                    let input = self.string()?;
                    self.expect_keyword("OUTPUTFORMAT")?;
                    let output = self.string()?;
                    s.stored_as = Some(StoredAs::Formats { input, output });
                } else {
                    let format = self.ident()?.to_ascii_uppercase();
                    s.stored_as = Some(StoredAs::Named(format));
                }
            } else if self.keyword("LOCATION") {
                s.location = Some(self.string()?);
            } else if self.keyword("TBLPROPERTIES") {
                s.properties = self.properties()?;
            } else if self.keyword("AS") || self.keyword("WITH") {
                return Err(ParseError {
                    line: 0,
                    column: 0,
                    message: "CREATE TABLE AS SELECT is not supported by Lakebox yet".into(),
                });
            } else {
                break;
            }
        }
        Ok(HiveStatement::CreateTable(Box::new(s)))
    }

    fn row_format(&mut self) -> Result<RowFormat> {
        if self.keyword("SERDE") {
            let library = self.string()?;
            let properties =
                if self.keywords(&["WITH", "SERDEPROPERTIES"]) { self.properties()? } else { BTreeMap::new() };
            return Ok(RowFormat::Serde { library, properties });
        }
        self.expect_keyword("DELIMITED")?;
        let mut params = BTreeMap::new();
        loop {
            if self.keywords(&["FIELDS", "TERMINATED", "BY"]) {
                let delim = unescape(&self.string()?);
                params.insert("field.delim".to_string(), delim.clone());
                params.insert("serialization.format".to_string(), delim);
                if self.keywords(&["ESCAPED", "BY"]) {
                    params.insert("escape.delim".to_string(), unescape(&self.string()?));
                }
            } else if self.keywords(&["COLLECTION", "ITEMS", "TERMINATED", "BY"]) {
                params.insert("collection.delim".to_string(), unescape(&self.string()?));
            } else if self.keywords(&["MAP", "KEYS", "TERMINATED", "BY"]) {
                params.insert("mapkey.delim".to_string(), unescape(&self.string()?));
            } else if self.keywords(&["LINES", "TERMINATED", "BY"]) {
                params.insert("line.delim".to_string(), unescape(&self.string()?));
            } else if self.keywords(&["NULL", "DEFINED", "AS"]) {
                params.insert("serialization.null.format".to_string(), unescape(&self.string()?));
            } else {
                break;
            }
        }
        Ok(RowFormat::Delimited(params))
    }

    fn partition_spec(&mut self) -> Result<Vec<(String, String)>> {
        self.expect_keyword("PARTITION")?;
        self.expect(&Token::LParen)?;
        let mut spec = Vec::new();
        loop {
            let key = self.ident()?;
            self.expect(&Token::Eq)?;
            spec.push((key, self.value()?));
            if self.eat(&Token::RParen) {
                return Ok(spec);
            }
            self.expect(&Token::Comma)?;
        }
    }

    fn alter_table(&mut self) -> Result<HiveStatement> {
        let table = self.name()?;
        if self.keyword("ADD") {
            if self.keyword("COLUMNS") {
                return Ok(HiveStatement::AddColumns { table, columns: self.columns()? });
            }
            let if_not_exists = self.if_not_exists();
            let mut partitions = Vec::new();
            while self.is_keyword("PARTITION") {
                let spec = self.partition_spec()?;
                let location = if self.keyword("LOCATION") { Some(self.string()?) } else { None };
                partitions.push(PartitionSpec { values: spec, location });
            }
            if partitions.is_empty() {
                return Err(self.error("expected PARTITION"));
            }
            return Ok(HiveStatement::AddPartitions { table, if_not_exists, partitions });
        }
        if self.keyword("DROP") {
            let if_exists = self.if_exists();
            let mut partitions = vec![self.partition_spec()?];
            while self.eat(&Token::Comma) {
                partitions.push(self.partition_spec()?);
            }
            return Ok(HiveStatement::DropPartitions { table, if_exists, partitions });
        }
        if self.keywords(&["REPLACE", "COLUMNS"]) {
            return Ok(HiveStatement::ReplaceColumns { table, columns: self.columns()? });
        }
        if self.keyword("CHANGE") {
            self.keyword("COLUMN");
            let old = self.ident()?;
            let name = self.ident()?;
            let data_type = self.hive_type()?;
            let comment = if self.keyword("COMMENT") { Some(self.string()?) } else { None };
            let position = if self.keyword("FIRST") {
                Some(None)
            } else if self.keyword("AFTER") {
                Some(Some(self.ident()?))
            } else {
                None
            };
            self.keyword("CASCADE");
            self.keyword("RESTRICT");
            return Ok(HiveStatement::ChangeColumn {
                table,
                old,
                column: ColumnDef { name, data_type, comment },
                position,
            });
        }
        if self.keywords(&["RENAME", "TO"]) {
            return Ok(HiveStatement::RenameTable { table, to: self.name()? });
        }
        if self.keywords(&["SET", "TBLPROPERTIES"]) {
            return Ok(HiveStatement::SetProperties { table, properties: self.properties()? });
        }
        if self.keywords(&["SET", "LOCATION"]) {
            return Ok(HiveStatement::SetLocation { table, location: self.string()? });
        }
        if self.is_keyword("PARTITION") {
            let spec = self.partition_spec()?;
            self.expect_keyword("SET")?;
            self.expect_keyword("LOCATION")?;
            return Ok(HiveStatement::SetPartitionLocation { table, partition: spec, location: self.string()? });
        }
        Err(self.error("mismatched input"))
    }

    fn show(&mut self) -> Result<HiveStatement> {
        if self.keyword("DATABASES") || self.keyword("SCHEMAS") {
            let pattern = if self.keyword("LIKE") || self.peek_string() { Some(self.string()?) } else { None };
            return Ok(HiveStatement::ShowDatabases { pattern });
        }
        if self.keyword("TABLES") {
            let database = if self.keyword("IN") || self.keyword("FROM") { Some(self.ident()?) } else { None };
            let pattern = if self.keyword("LIKE") || self.peek_string() { Some(self.string()?) } else { None };
            return Ok(HiveStatement::ShowTables { database, pattern });
        }
        if self.keyword("PARTITIONS") {
            return Ok(HiveStatement::ShowPartitions { table: self.name()? });
        }
        if self.keyword("COLUMNS") {
            if !(self.keyword("IN") || self.keyword("FROM")) {
                return Err(self.error("expected IN or FROM"));
            }
            let mut table = self.name()?;
            if (self.keyword("IN") || self.keyword("FROM")) && table.database.is_none() {
                table.database = Some(self.ident()?);
            }
            return Ok(HiveStatement::ShowColumns { table });
        }
        if self.keywords(&["CREATE", "TABLE"]) {
            return Ok(HiveStatement::ShowCreateTable { table: self.name()? });
        }
        if self.keyword("TBLPROPERTIES") {
            let table = self.name()?;
            let key = if self.eat(&Token::LParen) {
                let k = self.string()?;
                self.expect(&Token::RParen)?;
                Some(k)
            } else {
                None
            };
            return Ok(HiveStatement::ShowTblProperties { table, key });
        }
        Err(self.error("mismatched input"))
    }

    fn peek_string(&self) -> bool {
        matches!(self.peek(), Some(Token::SingleQuotedString(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_external_table_with_everything() {
        let sql = "CREATE EXTERNAL TABLE IF NOT EXISTS sales.`Trips` (
              `VendorID` int COMMENT 'vendor', fare decimal(10, 2), tags array<struct<a:int,b:map<string,bigint>>>,
              d double precision)
            COMMENT 'taxi trips'
            PARTITIONED BY (year string, month int)
            ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' NULL DEFINED AS ''
            STORED AS TEXTFILE
            LOCATION 's3://lake/trips/'
            TBLPROPERTIES ('skip.header.line.count'='1');";
        let HiveStatement::CreateTable(t) = parse(sql).unwrap() else { panic!() };
        assert!(t.external && t.if_not_exists);
        assert_eq!(t.table, QualifiedName { catalog: None, database: Some("sales".into()), name: "trips".into() });
        let types: Vec<(&str, &str)> = t.columns.iter().map(|c| (c.name.as_str(), c.data_type.as_str())).collect();
        assert_eq!(
            types,
            vec![
                ("vendorid", "int"),
                ("fare", "decimal(10,2)"),
                ("tags", "array<struct<a:int,b:map<string,bigint>>>"),
                ("d", "double")
            ]
        );
        assert_eq!(t.columns[0].comment.as_deref(), Some("vendor"));
        assert_eq!(t.comment.as_deref(), Some("taxi trips"));
        assert_eq!(t.partitioned_by.len(), 2);
        let Some(RowFormat::Delimited(p)) = &t.row_format else { panic!() };
        assert_eq!(p["field.delim"], "\t");
        assert_eq!(p["escape.delim"], "\\");
        assert_eq!(p["serialization.null.format"], "");
        assert_eq!(t.stored_as, Some(StoredAs::Named("TEXTFILE".into())));
        assert_eq!(t.location.as_deref(), Some("s3://lake/trips/"));
        assert_eq!(t.properties["skip.header.line.count"], "1");
    }

    #[test]
    fn serde_and_formats() {
        let sql = "create external table j (a string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
            WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
            STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
            OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat' LOCATION 's3://b/j/'";
        let HiveStatement::CreateTable(t) = parse(sql).unwrap() else { panic!() };
        let Some(RowFormat::Serde { library, properties }) = &t.row_format else { panic!() };
        assert_eq!(library, "org.openx.data.jsonserde.JsonSerDe");
        assert_eq!(properties["ignore.malformed.json"], "true");
        assert!(matches!(t.stored_as, Some(StoredAs::Formats { .. })));
    }

    #[test]
    fn partitions_and_utilities() {
        let sql = "ALTER TABLE t ADD IF NOT EXISTS PARTITION (year='2024', month=03) LOCATION 's3://b/t/2024/03/'
                   PARTITION (year='2024', month=4)";
        let HiveStatement::AddPartitions { partitions, if_not_exists, .. } = parse(sql).unwrap() else { panic!() };
        assert!(if_not_exists);
        assert_eq!(partitions[0].values, vec![("year".into(), "2024".into()), ("month".into(), "03".into())]);
        assert_eq!(partitions[0].location.as_deref(), Some("s3://b/t/2024/03/"));
        assert_eq!(partitions[1].location, None);
        assert!(matches!(
            parse("alter table db.t drop if exists partition (dt='a'), partition (dt='b')"),
            Ok(HiveStatement::DropPartitions { if_exists: true, ref partitions, .. }) if partitions.len() == 2
        ));
        assert!(matches!(parse("MSCK REPAIR TABLE t"), Ok(HiveStatement::MsckRepair { .. })));
        assert!(matches!(
            parse("ALTER TABLE t CHANGE COLUMN a b bigint COMMENT 'x' AFTER c"),
            Ok(HiveStatement::ChangeColumn { position: Some(Some(_)), .. })
        ));
        assert!(matches!(
            parse("ALTER TABLE t REPLACE COLUMNS (a int, b string)"),
            Ok(HiveStatement::ReplaceColumns { .. })
        ));
        assert!(matches!(parse("ALTER TABLE db.t RENAME TO db.u"), Ok(HiveStatement::RenameTable { .. })));
        assert!(matches!(parse("show tables in sales 'tr*'"), Ok(HiveStatement::ShowTables { .. })));
        assert!(matches!(
            parse("SHOW TBLPROPERTIES t('classification')"),
            Ok(HiveStatement::ShowTblProperties { key: Some(_), .. })
        ));
        assert!(matches!(parse("DESCRIBE FORMATTED sales.t"), Ok(HiveStatement::Describe { formatted: true, .. })));
        assert!(matches!(
            parse("DROP DATABASE IF EXISTS x CASCADE"),
            Ok(HiveStatement::DropDatabase { cascade: true, .. })
        ));
        assert!(matches!(
            parse("CREATE DATABASE IF NOT EXISTS x COMMENT 'c' LOCATION 's3://b/x/' WITH DBPROPERTIES ('k'='v')"),
            Ok(HiveStatement::CreateDatabase { if_not_exists: true, .. })
        ));
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse("CREATE EXTERNAL TABLE t (a int,) LOCATION 's3://b/'").unwrap_err();
        assert_eq!((e.line, e.column), (1, 32), "{e:?}");
        let e = parse("SHOW NONSENSE").unwrap_err();
        assert_eq!((e.line, e.column), (1, 6));
        let e = parse("CREATE EXTERNAL TABLE t (a array<int) LOCATION 's3://b/'").unwrap_err();
        assert!(e.message.contains("type") || e.message.contains("expected"), "{e:?}");
    }
}
