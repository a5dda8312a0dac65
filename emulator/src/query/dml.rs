//! The statements that write through Athena, parsed at the token level (their query part goes
//! to DataFusion's parser): `CREATE TABLE ... WITH (...) AS <query> [WITH [NO] DATA]`,
//! `INSERT INTO t [(columns)] <query>`, `UNLOAD (<query>) TO 's3://...' WITH (...)`, and
//! `CREATE [OR REPLACE] VIEW v AS <query>`.

use super::error::Rejected;
use super::hive::QualifiedName;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::collections::BTreeMap;

/// A value of a `WITH (...)` property.
#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    Text(String),
    Number(String),
    Bool(bool),
    List(Vec<String>),
}

impl Property {
    /// The value as text (a list's items joined by commas).
    pub fn text(&self) -> String {
        match self {
            Self::Text(s) | Self::Number(s) => s.clone(),
            Self::Bool(b) => b.to_string(),
            Self::List(items) => items.join(","),
        }
    }

    /// The value as a list (a single text value is a list of one).
    pub fn list(&self) -> Vec<String> {
        match self {
            Self::List(items) => items.clone(),
            other => vec![other.text()],
        }
    }
}

/// `CREATE TABLE ... AS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ctas {
    pub table: QualifiedName,
    pub if_not_exists: bool,
    pub properties: BTreeMap<String, Property>,
    pub query: String,
    pub with_data: bool,
}

/// `INSERT INTO`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: QualifiedName,
    pub columns: Vec<String>,
    pub query: String,
}

/// `UNLOAD`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unload {
    pub query: String,
    pub location: String,
    pub properties: BTreeMap<String, Property>,
}

/// `CREATE [OR REPLACE] VIEW`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub view: QualifiedName,
    pub or_replace: bool,
    pub query: String,
}

struct P<'a> {
    sql: &'a str,
    tokens: Vec<TokenWithSpan>,
    pos: usize,
    /// Byte offsets of each token's start in `sql`.
    offsets: Vec<usize>,
}

fn malformed(message: impl Into<String>) -> Rejected {
    Rejected::malformed(message)
}

impl<'a> P<'a> {
    fn new(sql: &'a str) -> Result<Self, Rejected> {
        let all = Tokenizer::new(&GenericDialect {}, sql)
            .tokenize_with_location()
            .map_err(|e| malformed(format!("line {}:{}: {}", e.location.line, e.location.column, e.message)))?;
        let line_starts: Vec<usize> = std::iter::once(0).chain(sql.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let offset = |t: &TokenWithSpan| {
            let line = (t.span.start.line.max(1) - 1) as usize;
            let start = line_starts.get(line).copied().unwrap_or(0);
            // Columns count characters, not bytes.
            let col = (t.span.start.column.max(1) - 1) as usize;
            start + sql[start..].char_indices().nth(col).map_or(sql.len() - start, |(i, _)| i)
        };
        let tokens: Vec<TokenWithSpan> = all.into_iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
        let offsets = tokens.iter().map(offset).collect();
        Ok(Self { sql, tokens, pos: 0, offsets })
    }

    fn error(&self, what: &str) -> Rejected {
        match self.tokens.get(self.pos) {
            Some(t) => malformed(format!(
                "line {}:{}: mismatched input '{}'. Expecting: {what}",
                t.span.start.line, t.span.start.column, t.token
            )),
            None => malformed(format!("line 1:{}: mismatched input '<EOF>'. Expecting: {what}", self.sql.len() + 1)),
        }
    }

    fn word(&self) -> Option<String> {
        match self.tokens.get(self.pos).map(|t| &t.token) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if self.word().as_deref() == Some(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), Rejected> {
        if self.keyword(kw) { Ok(()) } else { Err(self.error(&format!("'{kw}'"))) }
    }

    fn eat(&mut self, t: &Token) -> bool {
        if self.tokens.get(self.pos).map(|x| &x.token) == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<QualifiedName, Rejected> {
        let mut parts = Vec::new();
        loop {
            match self.tokens.get(self.pos).map(|t| &t.token) {
                Some(Token::Word(w)) => {
                    parts.push(w.value.to_lowercase());
                    self.pos += 1;
                }
                _ => return Err(self.error("<identifier>")),
            }
            if !self.eat(&Token::Period) {
                break;
            }
        }
        let name = parts.pop().unwrap_or_default();
        let database = parts.pop();
        let catalog = parts.pop();
        Ok(QualifiedName { catalog, database, name })
    }

    fn string(&mut self) -> Result<String, Rejected> {
        match self.tokens.get(self.pos).map(|t| &t.token) {
            Some(Token::SingleQuotedString(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.error("<string>")),
        }
    }

    fn value(&mut self) -> Result<Property, Rejected> {
        let token = self.tokens.get(self.pos).map(|t| t.token.clone());
        match token {
            Some(Token::SingleQuotedString(s)) => {
                self.pos += 1;
                Ok(Property::Text(s))
            }
            Some(Token::Number(n, _)) => {
                self.pos += 1;
                Ok(Property::Number(n))
            }
            Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("true") || w.value.eq_ignore_ascii_case("false") => {
                self.pos += 1;
                Ok(Property::Bool(w.value.eq_ignore_ascii_case("true")))
            }
            Some(Token::Word(w)) if w.value.eq_ignore_ascii_case("ARRAY") => {
                self.pos += 1;
                if !self.eat(&Token::LBracket) {
                    return Err(self.error("'['"));
                }
                let mut items = Vec::new();
                if !self.eat(&Token::RBracket) {
                    loop {
                        items.push(self.string()?);
                        if self.eat(&Token::RBracket) {
                            break;
                        }
                        if !self.eat(&Token::Comma) {
                            return Err(self.error("',' or ']'"));
                        }
                    }
                }
                Ok(Property::List(items))
            }
            _ => Err(self.error("<property value>")),
        }
    }

    fn properties(&mut self) -> Result<BTreeMap<String, Property>, Rejected> {
        let mut out = BTreeMap::new();
        if !self.eat(&Token::LParen) {
            return Err(self.error("'('"));
        }
        loop {
            let key = match self.tokens.get(self.pos).map(|t| &t.token) {
                Some(Token::Word(w)) => w.value.to_lowercase(),
                _ => return Err(self.error("<property name>")),
            };
            self.pos += 1;
            if !self.eat(&Token::Eq) {
                return Err(self.error("'='"));
            }
            out.insert(key, self.value()?);
            if self.eat(&Token::RParen) {
                return Ok(out);
            }
            if !self.eat(&Token::Comma) {
                return Err(self.error("',' or ')'"));
            }
        }
    }

    /// The rest of the statement from the cursor, as text.
    fn rest(&self) -> String {
        match self.offsets.get(self.pos) {
            Some(&start) => self.sql[start..].trim().to_string(),
            None => String::new(),
        }
    }
}

/// Splits a trailing `WITH [NO] DATA` off a CTAS query.
fn with_data(query: &str) -> (String, bool) {
    let upper = query.to_ascii_uppercase();
    for (suffix, data) in [("WITH NO DATA", false), ("WITH DATA", true)] {
        if let Some(head) = upper.strip_suffix(suffix)
            && head.ends_with(char::is_whitespace)
        {
            return (query[..head.len()].trim().to_string(), data);
        }
    }
    (query.to_string(), true)
}

/// Parses `CREATE TABLE [IF NOT EXISTS] name [WITH (...)] AS query [WITH [NO] DATA]`.
pub fn parse_ctas(sql: &str) -> Result<Ctas, Rejected> {
    let mut p = P::new(sql)?;
    p.expect_keyword("CREATE")?;
    p.expect_keyword("TABLE")?;
    let if_not_exists = if p.keyword("IF") {
        p.expect_keyword("NOT")?;
        p.expect_keyword("EXISTS")?;
        true
    } else {
        false
    };
    let table = p.name()?;
    let properties = if p.keyword("WITH") { p.properties()? } else { BTreeMap::new() };
    p.expect_keyword("AS")?;
    let mut query = p.rest();
    // `AS (SELECT ...)`: the parentheses are optional.
    if query.starts_with('(') && query.ends_with(')') && balanced(&query[1..query.len() - 1]) {
        query = query[1..query.len() - 1].trim().to_string();
    }
    let (query, data) = with_data(&query);
    if query.is_empty() {
        return Err(p.error("<query>"));
    }
    Ok(Ctas { table, if_not_exists, properties, query, with_data: data })
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Parses `INSERT INTO name [(a, b)] query`.
pub fn parse_insert(sql: &str) -> Result<Insert, Rejected> {
    let mut p = P::new(sql)?;
    p.expect_keyword("INSERT")?;
    p.expect_keyword("INTO")?;
    let table = p.name()?;
    let mut columns = Vec::new();
    // A column list, unless the parenthesis opens the query itself.
    let opens_query = matches!(
        p.tokens.get(p.pos + 1).map(|t| &t.token),
        Some(Token::Word(w)) if ["SELECT", "WITH", "VALUES"].contains(&w.value.to_ascii_uppercase().as_str())
    );
    if !opens_query && p.eat(&Token::LParen) {
        loop {
            match p.tokens.get(p.pos).map(|t| &t.token) {
                Some(Token::Word(w)) => columns.push(w.value.to_lowercase()),
                _ => return Err(p.error("<column name>")),
            }
            p.pos += 1;
            if p.eat(&Token::RParen) {
                break;
            }
            if !p.eat(&Token::Comma) {
                return Err(p.error("',' or ')'"));
            }
        }
    }
    let query = p.rest();
    if query.is_empty() {
        return Err(p.error("<query>"));
    }
    Ok(Insert { table, columns, query })
}

/// Parses `UNLOAD (query) TO 's3://...' WITH (...)`.
pub fn parse_unload(sql: &str) -> Result<Unload, Rejected> {
    let mut p = P::new(sql)?;
    p.expect_keyword("UNLOAD")?;
    if !p.eat(&Token::LParen) {
        return Err(p.error("'('"));
    }
    let start = p.offsets.get(p.pos).copied().unwrap_or(sql.len());
    let mut depth = 1;
    while depth > 0 {
        match p.tokens.get(p.pos).map(|t| &t.token) {
            Some(Token::LParen) => depth += 1,
            Some(Token::RParen) => depth -= 1,
            None => return Err(p.error("')'")),
            _ => {}
        }
        p.pos += 1;
    }
    let end = p.offsets.get(p.pos - 1).copied().unwrap_or(sql.len());
    let query = sql[start..end].trim().to_string();
    p.expect_keyword("TO")?;
    let location = p.string()?;
    let properties = if p.keyword("WITH") { p.properties()? } else { BTreeMap::new() };
    if p.pos < p.tokens.len() && p.tokens[p.pos].token != Token::SemiColon {
        return Err(p.error("<EOF>"));
    }
    Ok(Unload { query, location, properties })
}

/// Parses `CREATE [OR REPLACE] VIEW name AS query`.
pub fn parse_create_view(sql: &str) -> Result<CreateView, Rejected> {
    let mut p = P::new(sql)?;
    p.expect_keyword("CREATE")?;
    let or_replace = if p.keyword("OR") {
        p.expect_keyword("REPLACE")?;
        true
    } else {
        false
    };
    p.expect_keyword("VIEW")?;
    let view = p.name()?;
    p.expect_keyword("AS")?;
    let query = p.rest();
    if query.is_empty() {
        return Err(p.error("<query>"));
    }
    Ok(CreateView { view, or_replace, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctas_with_properties() {
        let c = parse_ctas(
            "CREATE TABLE IF NOT EXISTS sales.by_month WITH (format = 'PARQUET', external_location = 's3://b/x/',
             partitioned_by = ARRAY['month'], bucket_count = 4, write_compression='SNAPPY')
             AS SELECT a, month FROM t WITH NO DATA",
        )
        .unwrap();
        assert!(c.if_not_exists);
        assert_eq!(c.table.database.as_deref(), Some("sales"));
        assert_eq!(c.properties["format"], Property::Text("PARQUET".into()));
        assert_eq!(c.properties["partitioned_by"], Property::List(vec!["month".into()]));
        assert_eq!(c.properties["bucket_count"], Property::Number("4".into()));
        assert_eq!(c.query, "SELECT a, month FROM t");
        assert!(!c.with_data);
        let c = parse_ctas("create table t as (select 1 as x)").unwrap();
        assert_eq!((c.query.as_str(), c.with_data), ("select 1 as x", true));
        assert!(parse_ctas("CREATE TABLE t WITH (format 'x') AS SELECT 1").is_err());
    }

    #[test]
    fn insert_and_unload_and_views() {
        let i = parse_insert("INSERT INTO db.t (a, b) SELECT 1, 2").unwrap();
        assert_eq!((i.columns.len(), i.query.as_str()), (2, "SELECT 1, 2"));
        let i = parse_insert("INSERT INTO t (SELECT 1)").unwrap();
        assert!(i.columns.is_empty());
        assert_eq!(i.query, "(SELECT 1)");
        let i = parse_insert("INSERT INTO t VALUES (1, 'a')").unwrap();
        assert_eq!(i.query, "VALUES (1, 'a')");
        let u =
            parse_unload("UNLOAD (SELECT a FROM t WHERE b IN (1, 2)) TO 's3://b/out/' WITH (format = 'JSON')").unwrap();
        assert_eq!(u.query, "SELECT a FROM t WHERE b IN (1, 2)");
        assert_eq!(u.location, "s3://b/out/");
        assert_eq!(u.properties["format"].text(), "JSON");
        let v = parse_create_view("CREATE OR REPLACE VIEW v AS SELECT * FROM t").unwrap();
        assert!(v.or_replace);
        assert_eq!(v.query, "SELECT * FROM t");
    }
}
