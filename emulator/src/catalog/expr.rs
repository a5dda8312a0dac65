//! The partition-filter language of `GetPartitions`' `Expression`.
//!
//! Grammar (AWS Glue API reference, GetPartitions): comparisons `= <> != < > <= >=`, `AND`, `OR`,
//! `NOT`, `[NOT] IN (...)`, `[NOT] BETWEEN x AND y`, `[NOT] LIKE 'pattern'`, `IS [NOT] NULL` and
//! parentheses, over the table's partition keys. Comparisons are typed by the key's type: `string`,
//! `char`/`varchar`, `date`, `timestamp`, `int`/`integer`, `bigint`/`long`, `tinyint`, `smallint` and
//! `decimal`; so `month > 9` on an `int` key matches 10, 11 and 12. A partition value that does not
//! parse as its key's type matches no comparison. Hive's `__HIVE_DEFAULT_PARTITION__` is NULL.

use super::error::{CatalogError, Result};
use super::model::Column;
use regex::Regex;
use std::cmp::Ordering;

/// Hive's marker for a NULL partition value.
pub const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// A parsed filter, bound to the positions of a table's partition keys.
#[derive(Debug)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare { key: Key, op: CmpOp, value: Typed },
    Between { key: Key, low: Typed, high: Typed },
    In { key: Key, list: Vec<Typed> },
    Like { key: Key, pattern: Regex },
    IsNull { key: Key },
}

/// A partition key referenced by a filter.
#[derive(Debug, Clone)]
pub struct Key {
    index: usize,
    kind: KeyType,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The types a partition key can be compared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    String,
    Integer,
    Decimal,
    Date,
    Timestamp,
}

/// A value of a key's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Str(String),
    Int(i128),
    /// Mantissa and scale: `12.50` is (1250, 2).
    Dec(i128, u32),
    Date(i32, u32, u32),
    /// Date, then seconds of the day, then nanoseconds.
    Ts((i32, u32, u32), u32, u32),
}

impl Filter {
    /// Parses `expression` against `keys`, the table's partition keys.
    pub fn parse(expression: &str, keys: &[Column]) -> Result<Filter> {
        let tokens = tokenize(expression)?;
        let mut parser = Parser { tokens, pos: 0, keys, depth: 0 };
        let filter = parser.or()?;
        match parser.peek() {
            None => Ok(filter),
            Some(t) => Err(syntax(format!("unexpected {} after the end of the expression", t.describe()))),
        }
    }

    /// Whether a partition with these values passes the filter.
    pub fn matches(&self, values: &[String]) -> bool {
        self.eval(values) == Some(true)
    }

    /// SQL's three-valued logic: `None` is UNKNOWN (a comparison with a NULL partition value).
    fn eval(&self, values: &[String]) -> Option<bool> {
        match self {
            Filter::And(a, b) => match (a.eval(values), b.eval(values)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Filter::Or(a, b) => match (a.eval(values), b.eval(values)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Filter::Not(f) => f.eval(values).map(|b| !b),
            Filter::Compare { key, op, value } => {
                let ord = compare(&key.value(values)?, value)?;
                Some(match op {
                    CmpOp::Eq => ord == Ordering::Equal,
                    CmpOp::Ne => ord != Ordering::Equal,
                    CmpOp::Lt => ord == Ordering::Less,
                    CmpOp::Le => ord != Ordering::Greater,
                    CmpOp::Gt => ord == Ordering::Greater,
                    CmpOp::Ge => ord != Ordering::Less,
                })
            }
            Filter::Between { key, low, high } => {
                let v = key.value(values)?;
                Some(compare(&v, low)? != Ordering::Less && compare(&v, high)? != Ordering::Greater)
            }
            Filter::In { key, list } => {
                let v = key.value(values)?;
                Some(list.iter().any(|item| compare(&v, item) == Some(Ordering::Equal)))
            }
            Filter::Like { key, pattern } => {
                key.raw(values).filter(|raw| *raw != HIVE_DEFAULT_PARTITION).map(|raw| pattern.is_match(raw))
            }
            Filter::IsNull { key } => Some(key.raw(values).is_none_or(|raw| raw == HIVE_DEFAULT_PARTITION)),
        }
    }
}

impl Key {
    fn raw<'v>(&self, values: &'v [String]) -> Option<&'v str> {
        values.get(self.index).map(String::as_str)
    }

    fn value(&self, values: &[String]) -> Option<Typed> {
        let raw = self.raw(values)?;
        if raw == HIVE_DEFAULT_PARTITION {
            return None;
        }
        parse_typed(self.kind, raw)
    }
}

fn compare(a: &Typed, b: &Typed) -> Option<Ordering> {
    match (a, b) {
        (Typed::Str(x), Typed::Str(y)) => Some(x.cmp(y)),
        (Typed::Int(x), Typed::Int(y)) => Some(x.cmp(y)),
        (Typed::Dec(m1, s1), Typed::Dec(m2, s2)) => {
            let scale = (*s1).max(*s2);
            let x = m1.checked_mul(10i128.checked_pow(scale - s1)?)?;
            let y = m2.checked_mul(10i128.checked_pow(scale - s2)?)?;
            Some(x.cmp(&y))
        }
        (Typed::Date(..), Typed::Date(..)) | (Typed::Ts(..), Typed::Ts(..)) => a.partial_cmp_same(b),
        _ => None,
    }
}

impl Typed {
    fn partial_cmp_same(&self, other: &Typed) -> Option<Ordering> {
        match (self, other) {
            (Typed::Date(y1, m1, d1), Typed::Date(y2, m2, d2)) => Some((y1, m1, d1).cmp(&(y2, m2, d2))),
            (Typed::Ts(d1, s1, n1), Typed::Ts(d2, s2, n2)) => Some((d1, s1, n1).cmp(&(d2, s2, n2))),
            _ => None,
        }
    }
}

fn key_type(column: &Column) -> Result<KeyType> {
    let raw = column.data_type.as_deref().unwrap_or("string").trim().to_ascii_lowercase();
    let base = raw.split('(').next().unwrap_or_default().trim();
    Ok(match base {
        "string" | "varchar" | "char" => KeyType::String,
        "int" | "integer" | "bigint" | "long" | "tinyint" | "smallint" => KeyType::Integer,
        "decimal" => KeyType::Decimal,
        "date" => KeyType::Date,
        "timestamp" => KeyType::Timestamp,
        _ => {
            return Err(CatalogError::invalid(format!(
                "Partition key '{}' has type '{raw}', which partition filters do not support \
                 (supported: string, char, varchar, date, timestamp, int, bigint, long, tinyint, smallint, decimal)",
                column.name
            )));
        }
    })
}

fn parse_typed(kind: KeyType, text: &str) -> Option<Typed> {
    let text = text.trim();
    match kind {
        KeyType::String => Some(Typed::Str(text.to_string())),
        KeyType::Integer => text.parse::<i128>().ok().map(Typed::Int),
        KeyType::Decimal => parse_decimal(text),
        KeyType::Date => parse_date(text).map(|(y, m, d)| Typed::Date(y, m, d)),
        KeyType::Timestamp => parse_timestamp(text),
    }
}

fn parse_decimal(text: &str) -> Option<Typed> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mantissa: i128 = format!("{int_part}{frac_part}").parse().ok()?;
    Some(Typed::Dec(if negative { -mantissa } else { mantissa }, frac_part.len() as u32))
}

fn parse_date(text: &str) -> Option<(i32, u32, u32)> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&day).then_some((year, month, day))
}

fn parse_timestamp(text: &str) -> Option<Typed> {
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, t),
        None => (text, "00:00:00"),
    };
    let date = parse_date(date)?;
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut parts = hms.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next().unwrap_or("0").parse().ok()?;
    let s: u32 = parts.next().unwrap_or("0").parse().ok()?;
    if h > 23 || m > 59 || s > 59 || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().ok()? };
    Some(Typed::Ts(date, h * 3600 + m * 60 + s, nanos))
}

fn syntax(message: String) -> CatalogError {
    CatalogError::invalid(format!("Invalid partition filter expression: {message}"))
}

// ---- tokens ----

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Str(String),
    Number(String),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) | Token::Quoted(w) => format!("'{w}'"),
            Token::Str(s) => format!("string '{s}'"),
            Token::Number(n) => format!("number {n}"),
            Token::Op(op) => format!("operator {op:?}"),
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::Comma => "','".into(),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => (tokens.push(Token::LParen), i += 1).1,
            ')' => (tokens.push(Token::RParen), i += 1).1,
            ',' => (tokens.push(Token::Comma), i += 1).1,
            '\'' | '`' | '"' => {
                let (text, next) = quoted(&chars, i)?;
                tokens.push(if c == '\'' { Token::Str(text) } else { Token::Quoted(text) });
                i = next;
            }
            '=' | '<' | '>' | '!' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let (op, len) = match two.as_str() {
                    "<=" => (CmpOp::Le, 2),
                    ">=" => (CmpOp::Ge, 2),
                    "<>" | "!=" => (CmpOp::Ne, 2),
                    _ if c == '=' => (CmpOp::Eq, 1),
                    _ if c == '<' => (CmpOp::Lt, 1),
                    _ if c == '>' => (CmpOp::Gt, 1),
                    _ => return Err(syntax(format!("unexpected '{c}' at position {i}"))),
                };
                tokens.push(Token::Op(op));
                i += len;
            }
            c if c.is_ascii_digit() || (c == '-' || c == '.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                tokens.push(Token::Number(chars[start..i].iter().collect()));
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            _ => return Err(syntax(format!("unexpected '{c}' at position {i}"))),
        }
    }
    Ok(tokens)
}

/// Reads a quoted token starting at `start`; a doubled quote stands for itself.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize)> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                text.push(quote);
                i += 2;
                continue;
            }
            return Ok((text, i + 1));
        }
        text.push(chars[i]);
        i += 1;
    }
    Err(syntax(format!("unterminated quote starting at position {start}")))
}

// ---- parser ----

struct Parser<'k> {
    tokens: Vec<Token>,
    pos: usize,
    keys: &'k [Column],
    depth: usize,
}

/// The deepest nesting of parentheses and NOTs an expression may have (the parser recurses).
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is_keyword(keyword));
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<()> {
        if self.eat_keyword(keyword) { Ok(()) } else { Err(self.unexpected(keyword)) }
    }

    fn unexpected(&self, wanted: &str) -> CatalogError {
        match self.peek() {
            Some(t) => syntax(format!("expected {wanted} but found {}", t.describe())),
            None => syntax(format!("expected {wanted} but the expression ended")),
        }
    }

    fn or(&mut self) -> Result<Filter> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter> {
        self.depth += 1;
        let result = self.not_inner();
        self.depth -= 1;
        result
    }

    fn not_inner(&mut self) -> Result<Filter> {
        if self.depth > MAX_DEPTH {
            return Err(syntax(format!("the expression nests deeper than {MAX_DEPTH} levels")));
        }
        if self.eat_keyword("NOT") {
            return Ok(Filter::Not(Box::new(self.not()?)));
        }
        if self.peek() == Some(&Token::LParen) {
            self.pos += 1;
            let inner = self.or()?;
            if self.next() != Some(Token::RParen) {
                self.pos -= 1;
                return Err(self.unexpected("')'"));
            }
            return Ok(inner);
        }
        self.predicate()
    }

    fn key(&mut self) -> Result<Key> {
        let name = match self.next() {
            Some(Token::Word(w) | Token::Quoted(w)) => w,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a partition key name"));
            }
        };
        let index =
            self.keys.iter().position(|k| k.name.eq_ignore_ascii_case(&name)).ok_or_else(|| {
                CatalogError::invalid(format!("Unknown partition key '{name}' in the partition filter"))
            })?;
        Ok(Key { index, kind: key_type(&self.keys[index])? })
    }

    fn literal(&mut self, key: &Key) -> Result<Typed> {
        let text = match self.next() {
            Some(Token::Str(s) | Token::Number(s)) => s,
            // Typed literals: DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00'.
            Some(Token::Word(w)) if ["date", "timestamp"].contains(&w.to_ascii_lowercase().as_str()) => {
                match self.next() {
                    Some(Token::Str(s)) => s,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected("a string after the type name"));
                    }
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a literal value"));
            }
        };
        parse_typed(key.kind, &text).ok_or_else(|| {
            CatalogError::invalid(format!("The value '{text}' is not a valid {:?} for the partition filter", key.kind))
        })
    }

    fn predicate(&mut self) -> Result<Filter> {
        let key = self.key()?;
        if let Some(Token::Op(op)) = self.peek().cloned() {
            self.pos += 1;
            let value = self.literal(&key)?;
            return Ok(Filter::Compare { key, op, value });
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            self.expect_keyword("NULL")?;
            let filter = Filter::IsNull { key };
            return Ok(if negated { Filter::Not(Box::new(filter)) } else { filter });
        }
        let negated = self.eat_keyword("NOT");
        let filter = if self.eat_keyword("BETWEEN") {
            let low = self.literal(&key)?;
            self.expect_keyword("AND")?;
            let high = self.literal(&key)?;
            Filter::Between { key, low, high }
        } else if self.eat_keyword("IN") {
            if self.next() != Some(Token::LParen) {
                self.pos -= 1;
                return Err(self.unexpected("'(' after IN"));
            }
            let mut list = vec![self.literal(&key)?];
            loop {
                match self.next() {
                    Some(Token::Comma) => list.push(self.literal(&key)?),
                    Some(Token::RParen) => break,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected("',' or ')' in the IN list"));
                    }
                }
            }
            Filter::In { key, list }
        } else if self.eat_keyword("LIKE") {
            let pattern = match self.next() {
                Some(Token::Str(s)) => like_regex(&s)?,
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected("a string pattern after LIKE"));
                }
            };
            Filter::Like { key, pattern }
        } else {
            return Err(self.unexpected("a comparison operator, BETWEEN, IN, LIKE or IS"));
        };
        Ok(if negated { Filter::Not(Box::new(filter)) } else { filter })
    }
}

/// SQL LIKE: `%` is any run of characters, `_` any one character; the whole value must match.
fn like_regex(pattern: &str) -> Result<Regex> {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| syntax(format!("bad LIKE pattern: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Column> {
        let col = |name: &str, ty: &str| Column { name: name.into(), data_type: Some(ty.into()), ..Default::default() };
        vec![col("year", "string"), col("month", "int"), col("dt", "date"), col("price", "decimal(10,2)")]
    }

    /// The partitions (year, month, dt, price) a filter is tried on.
    fn rows() -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for (year, month, day, price) in [
            ("2023", 9, "2023-09-30", "9.5"),
            ("2023", 10, "2023-10-01", "10.25"),
            ("2023", 12, "2023-12-31", "100"),
            ("2024", 1, "2024-01-15", "0.99"),
            ("2024", 2, "2024-02-29", "-3"),
            ("2024", 11, "2024-11-02", "10.250"),
            (HIVE_DEFAULT_PARTITION, 3, "2024-03-01", "1"),
        ] {
            out.push(vec![year.to_string(), month.to_string(), day.to_string(), price.to_string()]);
        }
        out
    }

    /// The months of the partitions the expression selects (months are unique in `rows`).
    fn select(expr: &str) -> Vec<i32> {
        let filter = Filter::parse(expr, &keys()).unwrap_or_else(|e| panic!("{expr}: {e}"));
        rows().into_iter().filter(|r| filter.matches(r)).map(|r| r[1].parse().unwrap()).collect()
    }

    fn error(expr: &str) -> String {
        match Filter::parse(expr, &keys()) {
            Ok(f) => panic!("{expr} parsed as {f:?}"),
            Err(e) => {
                assert_eq!(e.code(), "InvalidInputException");
                e.to_string()
            }
        }
    }

    #[test]
    fn integer_keys_compare_as_numbers_not_text() {
        // Lexically "9" > "12"; numerically it is not.
        assert_eq!(select("month > 9"), vec![10, 12, 11]);
        assert_eq!(select("month <= 2"), vec![1, 2]);
        assert_eq!(select("month between 2 and 10"), vec![9, 10, 2, 3]);
    }

    #[test]
    fn string_keys_compare_as_text() {
        assert_eq!(select("year = '2024'"), vec![1, 2, 11]);
        assert_eq!(select("year > '2023'"), vec![1, 2, 11]);
        assert_eq!(select("year in ('2023')"), vec![9, 10, 12]);
        assert_eq!(select("year like '20_4'"), vec![1, 2, 11]);
        assert_eq!(select("year not like '2%'"), Vec::<i32>::new(), "NULL matches no LIKE, nor NOT LIKE");
    }

    #[test]
    fn dates_and_decimals_compare_by_value() {
        assert_eq!(select("dt >= '2024-02-29'"), vec![2, 11, 3]);
        assert_eq!(select("dt < date '2023-10-01'"), vec![9]);
        // 10.25 and 10.250 are the same decimal.
        assert_eq!(select("price = 10.25"), vec![10, 11]);
        assert_eq!(select("price < 0"), vec![2]);
    }

    #[test]
    fn boolean_structure_and_precedence() {
        // AND binds tighter than OR.
        assert_eq!(select("year = '2023' or month = 1 and dt = '2024-01-15'"), vec![9, 10, 12, 1]);
        assert_eq!(select("(year='2023' or month=11) and month<>10"), vec![9, 12, 11]);
        assert_eq!(select("not (month = 1) and year = '2024'"), vec![2, 11]);
        assert_eq!(select("month not in (1, 2, 3) AND year != '2023'"), vec![11]);
        assert_eq!(select("month not between 2 and 11"), vec![12, 1]);
    }

    #[test]
    fn null_partitions() {
        assert_eq!(select("year is null"), vec![3]);
        assert_eq!(select("year is not null and month < 2"), vec![1]);
        assert_eq!(select("year <> '2023'"), vec![1, 2, 11], "NULL is not unequal either");
    }

    #[test]
    fn keys_are_case_insensitive_and_may_be_quoted() {
        assert_eq!(select("`Month` = 12"), vec![12]);
        assert_eq!(select("MONTH = '12'"), vec![12]);
    }

    #[test]
    fn bad_expressions_are_invalid_input() {
        assert!(error("nope = 1").contains("Unknown partition key 'nope'"));
        assert!(error("month = ").contains("expected a literal value"));
        assert!(error("month = 'x'").contains("not a valid"));
        assert!(error("(month = 1").contains("expected ')'"));
        assert!(error("month = 1 month").contains("unexpected"));
        assert!(error("year = 'open").contains("unterminated"));
        assert!(error("month # 1").contains("unexpected '#'"));
        assert!(error("month in (1 2)").contains("IN list"));
        let deep = format!("{}month = 1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(error(&deep).contains("nests deeper"));
        let nots = format!("{}month = 1", "NOT ".repeat(1000));
        assert!(error(&nots).contains("nests deeper"));
        assert_eq!(select(&format!("{}month = 1{}", "(".repeat(60), ")".repeat(60))), vec![1]);
    }

    #[test]
    fn unsupported_key_types_are_refused_when_used() {
        let keys = vec![Column { name: "flag".into(), data_type: Some("boolean".into()), ..Default::default() }];
        let err = Filter::parse("flag = true", &keys).unwrap_err();
        assert!(err.to_string().contains("boolean"), "{err}");
    }
}
