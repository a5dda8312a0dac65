//! From SQL text to a statement Lakebox can run: classification by the leading keywords (as
//! Athena routes statements to Hive or Trino), `EXECUTE ... USING` and `ExecutionParameters`
//! substituted for `?`, quoted identifiers folded to lower case (Athena's names are
//! case-insensitive even when quoted), and Trino's `_colN` names for unnamed result columns.

use super::error::{Failure, Rejected};
use super::hive::{self, HiveStatement};
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{self, Expr, Ident, SelectItem, SetExpr, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// A statement ready to run.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Hive DDL or a utility statement.
    Hive(HiveStatement),
    /// A Hive statement that fails when run (Hive reports parse errors as failed queries).
    HiveError(Failure),
    /// A query for DataFusion (already rewritten).
    Query { sql: String, explain: bool },
    /// Something Athena runs that Lakebox does not yet: fails with `NOT_SUPPORTED`.
    Unsupported(String),
    /// `CREATE TABLE ... AS` (query already rewritten).
    Ctas(super::dml::Ctas),
    /// `INSERT INTO`.
    Insert(super::dml::Insert),
    /// `UNLOAD`.
    Unload(super::dml::Unload),
    /// `CREATE [OR REPLACE] VIEW`.
    CreateView(super::dml::CreateView),
    /// `DROP VIEW [IF EXISTS]`.
    DropView { view: super::hive::QualifiedName, if_exists: bool },
    /// `SHOW VIEWS [IN db] [LIKE 'pattern']`.
    ShowViews { database: Option<String>, pattern: Option<String> },
    /// `SHOW CREATE VIEW`.
    ShowCreateView { view: super::hive::QualifiedName },
}

/// What `StartQueryExecution` learns about a statement before running it.
#[derive(Debug, Clone)]
pub struct Classified {
    pub prepared: Prepared,
    pub statement_type: &'static str,
    pub substatement_type: &'static str,
}

/// Looks up a prepared statement's text by name (for `EXECUTE`).
pub type PreparedLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn tokens(sql: &str) -> Result<Vec<TokenWithSpan>, Rejected> {
    Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| Rejected::malformed(format!("line {}:{}: {}", e.location.line, e.location.column, e.message)))
}

fn significant(tokens: &[TokenWithSpan]) -> Vec<&TokenWithSpan> {
    tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect()
}

fn word(t: Option<&&TokenWithSpan>) -> String {
    match t.map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        Some(Token::LParen) => "(".into(),
        _ => String::new(),
    }
}

/// Classifies and prepares `sql` with its execution parameters.
pub fn classify(sql: &str, parameters: &[String], lookup: PreparedLookup<'_>) -> Result<Classified, Rejected> {
    let sql = sql.trim().trim_end_matches(';').trim();
    let all = tokens(sql)?;
    let toks = significant(&all);
    let first = word(toks.first());
    let second = word(toks.get(1));
    let third = word(toks.get(2));
    let hive_or_error = |stmt_type: &'static str, sub: &'static str| -> Result<Classified, Rejected> {
        match hive::parse::parse(sql) {
            Ok(statement) => {
                let (t, s) = statement.statement_type();
                Ok(Classified { prepared: Prepared::Hive(statement), statement_type: t, substatement_type: s })
            }
            Err(e) if e.line == 0 => Ok(Classified {
                prepared: Prepared::Unsupported(e.message),
                statement_type: stmt_type,
                substatement_type: sub,
            }),
            Err(e) => Ok(Classified {
                prepared: Prepared::HiveError(Failure::hive(
                    format!("FAILED: ParseException line {}:{} {}", e.line, e.column.saturating_sub(1), e.message),
                    1,
                    1003,
                )),
                statement_type: stmt_type,
                substatement_type: sub,
            }),
        }
    };
    let unsupported = |what: &str, t: &'static str, s: &'static str| {
        Ok(Classified {
            prepared: Prepared::Unsupported(format!("{what} is not supported by Lakebox yet")),
            statement_type: t,
            substatement_type: s,
        })
    };
    match first.as_str() {
        "SELECT" | "WITH" | "VALUES" | "TABLE" | "(" => query(sql, parameters, false),
        "EXPLAIN" => query(sql, parameters, true),
        "EXECUTE" => {
            let name = match toks.get(1).map(|t| &t.token) {
                Some(Token::Word(w)) => w.value.clone(),
                _ => return Err(Rejected::malformed("line 1:9: mismatched input '<EOF>'. Expecting: <identifier>")),
            };
            let text = lookup(&name).ok_or_else(|| {
                Rejected::invalid(format!("Prepared statement {name} was not found in the workgroup"))
            })?;
            let using = sql.to_ascii_uppercase().find(" USING ").map(|i| &sql[i + 7..]);
            let values = match using {
                Some(list) => split_values(list),
                None => Vec::new(),
            };
            let mut combined = values;
            combined.extend(parameters.iter().cloned());
            classify(&text, &combined, lookup)
        }
        "CREATE" => {
            let words: Vec<String> = toks.iter().take(6).map(|t| word(Some(t))).collect();
            let is_view = words.iter().take(4).any(|w| w == "VIEW");
            if is_view {
                let (text, _) = rewrite_tokens(sql, parameters)?;
                let view = super::dml::parse_create_view(&text)?;
                let (_, refused) = parse_user_query(&view.query)?;
                return Ok(Classified {
                    prepared: refused.map_or(Prepared::CreateView(view), Prepared::HiveError),
                    statement_type: "DDL",
                    substatement_type: "CREATE_VIEW",
                });
            }
            if second == "DATABASE" || second == "SCHEMA" {
                return hive_or_error("DDL", "CREATE_DATABASE");
            }
            if is_ctas(&toks) {
                let (text, _) = rewrite_tokens(sql, parameters)?;
                let ctas = super::dml::parse_ctas(&text)?;
                let (_, refused) = parse_user_query(&ctas.query)?;
                return Ok(Classified {
                    prepared: refused.map_or(Prepared::Ctas(ctas), Prepared::HiveError),
                    statement_type: "DDL",
                    substatement_type: "CREATE_TABLE_AS_SELECT",
                });
            }
            if !toks.iter().any(|t| word(Some(t)) == "LOCATION") {
                return Err(Rejected::malformed(
                    "No location was specified for table. An S3 location must be specified",
                ));
            }
            if second != "EXTERNAL" && !sql.to_ascii_lowercase().contains("'table_type'") {
                return Ok(Classified {
                    prepared: Prepared::HiveError(Failure::hive(
                        "FAILED: SemanticException Athena creates only EXTERNAL tables (except Iceberg tables): \
                         use CREATE EXTERNAL TABLE"
                            .into(),
                        2,
                        1100,
                    )),
                    statement_type: "DDL",
                    substatement_type: "CREATE_TABLE",
                });
            }
            if sql.to_ascii_lowercase().contains("'iceberg'") {
                return unsupported("Iceberg tables", "DDL", "CREATE_TABLE");
            }
            hive_or_error("DDL", "CREATE_TABLE")
        }
        "DROP" if second == "VIEW" => {
            let text = sql.trim();
            let upper = text.to_ascii_uppercase();
            let if_exists = upper.split_whitespace().nth(2) == Some("IF");
            let rest = text.split_whitespace().skip(if if_exists { 4 } else { 2 }).collect::<Vec<_>>();
            let [name] = rest.as_slice() else {
                return Err(Rejected::malformed("line 1:1: mismatched input. Expecting: DROP VIEW [IF EXISTS] name"));
            };
            let view = qualified(name);
            Ok(Classified {
                prepared: Prepared::DropView { view, if_exists },
                statement_type: "DDL",
                substatement_type: "DROP_VIEW",
            })
        }
        "DROP" => hive_or_error("DDL", if second == "TABLE" { "DROP_TABLE" } else { "DROP_DATABASE" }),
        "ALTER" => hive_or_error("DDL", "ALTER_TABLE"),
        "MSCK" => hive_or_error("DDL", "MSCK_REPAIR"),
        "SHOW" if second == "VIEWS" => {
            let mut database = None;
            let mut pattern = None;
            let mut i = 2;
            while i < toks.len() {
                match (word(toks.get(i)).as_str(), toks.get(i + 1).map(|t| &t.token)) {
                    ("IN" | "FROM", Some(Token::Word(w))) => {
                        database = Some(w.value.to_lowercase());
                        i += 2;
                    }
                    ("LIKE", Some(Token::SingleQuotedString(p))) => {
                        pattern = Some(p.clone());
                        i += 2;
                    }
                    _ => match toks.get(i).map(|t| &t.token) {
                        Some(Token::SingleQuotedString(p)) => {
                            pattern = Some(p.clone());
                            i += 1;
                        }
                        _ => {
                            return Err(Rejected::malformed(
                                "line 1:1: mismatched input. Expecting: SHOW VIEWS [IN db] [LIKE 'pattern']",
                            ));
                        }
                    },
                }
            }
            Ok(Classified {
                prepared: Prepared::ShowViews { database, pattern },
                statement_type: "UTILITY",
                substatement_type: "SHOW_VIEWS",
            })
        }
        "SHOW" if second == "FUNCTIONS" => unsupported("SHOW FUNCTIONS", "UTILITY", "SHOW_FUNCTIONS"),
        "SHOW" if second == "CREATE" && third == "VIEW" => {
            let name = sql
                .split_whitespace()
                .nth(3)
                .ok_or_else(|| Rejected::malformed("line 1:17: mismatched input '<EOF>'"))?;
            Ok(Classified {
                prepared: Prepared::ShowCreateView { view: qualified(name) },
                statement_type: "UTILITY",
                substatement_type: "SHOW_CREATE_VIEW",
            })
        }
        "SHOW" => hive_or_error("UTILITY", "SHOW"),
        "DESCRIBE" | "DESC" => hive_or_error("UTILITY", "DESCRIBE_TABLE"),
        "INSERT" => {
            let (text, _) = rewrite_tokens(sql, parameters)?;
            let insert = super::dml::parse_insert(&text)?;
            let (_, refused) = parse_user_query(&insert.query)?;
            let prepared = refused.map_or(Prepared::Insert(insert), Prepared::HiveError);
            Ok(Classified { prepared, statement_type: "DML", substatement_type: "INSERT" })
        }
        "UNLOAD" => {
            let (text, _) = rewrite_tokens(sql, parameters)?;
            let unload = super::dml::parse_unload(&text)?;
            let (_, refused) = parse_user_query(&unload.query)?;
            let prepared = refused.map_or(Prepared::Unload(unload), Prepared::HiveError);
            Ok(Classified { prepared, statement_type: "DML", substatement_type: "UNLOAD" })
        }
        "UPDATE" | "DELETE" | "MERGE" => unsupported(&format!("{first} (Iceberg tables)"), "DML", "UPDATE"),
        _ => {
            let (line, column, near) = match toks.first() {
                Some(t) => (t.span.start.line, t.span.start.column, t.token.to_string()),
                None => (1, 1, "<EOF>".to_string()),
            };
            Err(Rejected::malformed(format!(
                "line {line}:{column}: mismatched input '{near}'. Expecting: 'ALTER', 'ANALYZE', 'CALL', 'COMMENT', \
                 'COMMIT', 'CREATE', 'DEALLOCATE', 'DELETE', 'DENY', 'DESC', 'DESCRIBE', 'DROP', 'EXECUTE', 'EXPLAIN', \
                 'GRANT', 'INSERT', 'MERGE', 'PREPARE', 'REFRESH', 'RESET', 'REVOKE', 'ROLLBACK', 'SET', 'SHOW', \
                 'START', 'TRUNCATE', 'UNLOAD', 'UPDATE', 'USE', <query>"
            )))
        }
    }
}

/// `[catalog.][db.]name` from text (quotes and backquotes removed, lower case).
fn qualified(name: &str) -> super::hive::QualifiedName {
    let parts: Vec<String> = name
        .trim_end_matches(';')
        .split('.')
        .map(|p| p.trim_matches(|c| c == '"' || c == '`').to_lowercase())
        .collect();
    let mut parts = parts.into_iter().rev();
    let name = parts.next().unwrap_or_default();
    let database = parts.next();
    let catalog = parts.next();
    super::hive::QualifiedName { catalog, database, name }
}

/// `CREATE TABLE ... AS` / `WITH (...) AS` at the top level (not inside the column list).
fn is_ctas(toks: &[&TokenWithSpan]) -> bool {
    let mut depth = 0i32;
    let mut previous = String::new();
    for t in toks {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Word(w)
                if depth == 0
                    && w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("AS")
                    && previous != "STORED" =>
            {
                return true;
            }
            _ => {}
        }
        previous = word(Some(t));
    }
    false
}

/// The comma-separated values of `EXECUTE ... USING a, 'b', 3`.
fn split_values(list: &str) -> Vec<String> {
    let Ok(all) = tokens(list) else { return vec![list.to_string()] };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    for t in all {
        match &t.token {
            Token::Comma if depth == 0 => out.push(std::mem::take(&mut current).trim().to_string()),
            Token::LParen => {
                depth += 1;
                current.push('(');
            }
            Token::RParen => {
                depth -= 1;
                current.push(')');
            }
            other => current.push_str(&other.to_string()),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// An execution parameter as SQL: kept as an expression if it is one without column
/// references (`'abc'`, `1 + 1`, `DATE '2024-01-01'`), else quoted as a string (`abc`).
fn parameter_sql(value: &str) -> String {
    let dialect = GenericDialect {};
    let parsed = datafusion::sql::sqlparser::parser::Parser::new(&dialect).try_with_sql(value).and_then(|mut p| {
        let e = p.parse_expr()?;
        p.expect_token(&Token::EOF)?;
        Ok(e)
    });
    match parsed {
        Ok(expr) if !mentions_columns(&expr) => value.to_string(),
        _ => format!("'{}'", value.replace('\'', "''")),
    }
}

fn mentions_columns(expr: &Expr) -> bool {
    let mut found = false;
    let _ = ast::visit_expressions(expr, |e| {
        if matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            found = true;
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    found
}

/// Rewrites a query's tokens: quoted identifiers to lower case, `?` to the parameters.
fn rewrite_tokens(sql: &str, parameters: &[String]) -> Result<(String, usize), Rejected> {
    let mut out = String::with_capacity(sql.len());
    let mut used = 0;
    for t in tokens(sql)? {
        match t.token {
            // Glue names are lower case. Backquotes stay as written: the query is refused as in
            // Trino ("backquoted identifiers are not supported", `trino::refuse`).
            Token::Word(mut w) if w.quote_style == Some('"') || w.quote_style == Some('`') => {
                w.value = w.value.to_lowercase();
                out.push_str(&super::trino::tokens::render(&Token::Word(w)));
            }
            Token::Placeholder(p) if p == "?" => {
                match parameters.get(used) {
                    Some(v) => out.push_str(&parameter_sql(v)),
                    None => out.push('?'),
                }
                used += 1;
            }
            other => out.push_str(&super::trino::tokens::render(&other)),
        }
    }
    Ok((out, used))
}

/// Converts a sqlparser error (`... found: X at Line: 1, Column: 8`) into Athena's wording.
pub fn syntax_message(e: &str) -> String {
    let e = e.trim_start_matches("SQL error: ").trim_start_matches("ParserError(\"").trim_end_matches("\")");
    let e = e.trim_start_matches("sql parser error: ");
    let (line, column) = match e.rfind(" at Line: ") {
        Some(i) => {
            let rest = &e[i + 10..];
            let mut parts = rest.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse().ok()).unwrap_or(1);
            let column = parts.next().and_then(|c| c.trim().parse().ok()).unwrap_or(1);
            (line, column)
        }
        None => (1u64, 1u64),
    };
    let body = e.split(" at Line: ").next().unwrap_or(e);
    let found = body.rsplit("found: ").next().filter(|_| body.contains("found: ")).unwrap_or("<EOF>");
    let found = if found == "EOF" { "<EOF>" } else { found };
    let expected = body.strip_prefix("Expected: ").and_then(|b| b.split(", found:").next()).unwrap_or("<query>");
    format!("line {line}:{column}: mismatched input '{found}'. Expecting: {expected}")
}

fn query(sql: &str, parameters: &[String], explain: bool) -> Result<Classified, Rejected> {
    let (text, used) = rewrite_tokens(sql, parameters)?;
    let (statement, refused) = parse_user_query(&text)?;
    let substatement_type = if explain { "EXPLAIN" } else { "SELECT" };
    if let Some(failure) = refused {
        return Ok(Classified { prepared: Prepared::HiveError(failure), statement_type: "DML", substatement_type });
    }
    let sql = if used > parameters.len() {
        // Too few parameters: the query fails when run, as in Athena.
        return Ok(Classified {
            prepared: Prepared::HiveError(Failure::trino(
                "INVALID_PARAMETER_USAGE",
                format!("Incorrect number of parameters: expected {used} but found {}", parameters.len()),
            )),
            statement_type: "DML",
            substatement_type: if explain { "EXPLAIN" } else { "SELECT" },
        });
    } else {
        statement.to_string()
    };
    Ok(Classified {
        prepared: Prepared::Query { sql, explain },
        statement_type: "DML",
        substatement_type: if explain { "EXPLAIN" } else { "SELECT" },
    })
}

/// Parses a query and names its unnamed result columns `_col0`, `_col1`, ... as Trino does.
pub fn parse_query(sql: &str) -> Result<DFStatement, Rejected> {
    parse(sql, None)
}

/// `parse_query` for SQL as the user wrote it, and the failure of a query that would pass here
/// and fail on AWS: SQL Trino's grammar refuses (`trino::refuse`) or a call of a function Trino
/// does not have (`FUNCTION_NOT_FOUND`). The rewritten text is parsed again with `parse_query`
/// to plan it.
pub fn parse_user_query(sql: &str) -> Result<(DFStatement, Option<Failure>), Rejected> {
    let mut failure = None;
    let statement = parse(sql, Some(&mut failure))?;
    Ok((statement, failure))
}

fn parse(sql: &str, check: Option<&mut Option<Failure>>) -> Result<DFStatement, Rejected> {
    let user_sql = sql;
    let sql = super::trino::tokens::rewrite(sql);
    let mut statements = DFParser::parse_sql_with_dialect(&sql, &GenericDialect {})
        .map_err(|e| Rejected::malformed(syntax_message(&e.to_string())))?;
    if statements.len() != 1 {
        return Err(Rejected::malformed("line 1:1: only one statement can be run at a time"));
    }
    let mut statement = statements.pop_front().expect("one statement");
    // DataFusion's parser reads `EXPLAIN` itself: rewrite the statement it explains.
    let target = match &mut statement {
        DFStatement::Explain(explain) => explain.statement.as_mut(),
        other => other,
    };
    if let DFStatement::Statement(inner) = target {
        if let Some(failure) = check {
            *failure = super::trino::refuse::check(inner, user_sql).or_else(|| {
                super::trino::rewrite::non_trino_function(inner)
                    .map(|message| Failure::trino("FUNCTION_NOT_FOUND", message))
            });
        }
        super::trino::rewrite::statement(inner);
        match inner.as_mut() {
            Statement::Query(q) => name_columns(q),
            Statement::Explain { statement: explained, .. } => {
                if let Statement::Query(q) = explained.as_mut() {
                    name_columns(q)
                }
            }
            _ => {}
        }
    }
    Ok(statement)
}

fn name_columns(query: &mut ast::Query) {
    let mut body = query.body.as_mut();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            SetExpr::Query(q) => body = q.body.as_mut(),
            _ => break,
        }
    }
    if let SetExpr::Select(select) = body {
        for (i, item) in select.projection.iter_mut().enumerate() {
            if let SelectItem::UnnamedExpr(expr) = item
                && !matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
            {
                let alias = Ident::new(format!("_col{i}"));
                *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn sql_of(c: &Classified) -> &str {
        match &c.prepared {
            Prepared::Query { sql, .. } => sql,
            other => panic!("not a query: {other:?}"),
        }
    }

    #[test]
    fn queries_are_classified_and_rewritten() {
        let c = classify("  -- report\n SELECT count(*), \"VendorID\" FROM \"Sales\".trips;", &[], &none).unwrap();
        assert_eq!((c.statement_type, c.substatement_type), ("DML", "SELECT"));
        assert_eq!(sql_of(&c), "SELECT count(*) AS _col0, \"vendorid\" FROM \"sales\".trips");
        let c = classify("EXPLAIN SELECT 1", &[], &none).unwrap();
        assert_eq!(c.substatement_type, "EXPLAIN");
        // Quotes inside literals and quoted names survive the token passes.
        let c = classify(r#"SELECT 'it''s' AS "A""b""#, &[], &none).unwrap();
        assert_eq!(sql_of(&c), r#"SELECT 'it''s' AS "a""b""#);
        // The explained query gets the Trino rewrites too.
        let c = classify("EXPLAIN SELECT if(a > 1, 'x', 'y') FROM t", &[], &none).unwrap();
        assert_eq!(sql_of(&c), "EXPLAIN SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END AS _col0 FROM t");
    }

    #[test]
    fn parameters_fill_placeholders() {
        let params = vec!["'a''b'".to_string(), "abc def".to_string(), "1 + 1".to_string()];
        let c = classify("SELECT * FROM t WHERE a = ? AND b = ? AND c = ?", &params, &none).unwrap();
        assert_eq!(sql_of(&c), "SELECT * FROM t WHERE a = 'a''b' AND b = 'abc def' AND c = 1 + 1");
        let c = classify("SELECT ? AS x", &[], &none).unwrap();
        assert!(matches!(c.prepared, Prepared::HiveError(_)), "too few parameters fail the query");
        let lookup = |name: &str| (name == "by_vendor").then(|| "SELECT * FROM t WHERE v = ?".to_string());
        let c = classify("EXECUTE by_vendor USING 2", &[], &lookup).unwrap();
        assert_eq!(sql_of(&c), "SELECT * FROM t WHERE v = 2");
        assert_eq!(classify("EXECUTE nope", &[], &lookup).unwrap_err().code, "INVALID_INPUT");
    }

    #[test]
    fn syntax_errors_are_rejected_as_athena_does() {
        let e = classify("SELEC 1", &[], &none).unwrap_err();
        assert_eq!(e.code, "MALFORMED_QUERY");
        assert!(e.message.starts_with("line 1:1: mismatched input 'SELEC'. Expecting: 'ALTER'"), "{}", e.message);
        let e = classify("SELECT * FORM t", &[], &none).unwrap_err();
        assert!(e.message.starts_with("line 1:"), "{}", e.message);
        assert!(e.message.contains("mismatched input"), "{}", e.message);
        let e = classify("CREATE TABLE t (a int)", &[], &none).unwrap_err();
        assert_eq!(e.message, "No location was specified for table. An S3 location must be specified");
    }

    #[test]
    fn ddl_goes_to_hive() {
        let c = classify("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/t/'", &[], &none).unwrap();
        assert_eq!((c.statement_type, c.substatement_type), ("DDL", "CREATE_TABLE"));
        let c = classify("SHOW TABLES", &[], &none).unwrap();
        assert_eq!((c.statement_type, c.substatement_type), ("UTILITY", "SHOW_TABLES"));
        let c = classify("ALTER TABLE t ADD PARTITION (a='1')", &[], &none).unwrap();
        assert_eq!(c.substatement_type, "ALTER_TABLE_ADD_PARTITION");
        let c = classify("SHOW TABLES IN", &[], &none).unwrap();
        let Prepared::HiveError(Failure::Failed { reason, .. }) = c.prepared else { panic!() };
        assert!(reason.starts_with("FAILED: ParseException line 1:"), "{reason}");
        let c = classify("CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET LOCATION 's3://b/'", &[], &none).unwrap();
        assert!(matches!(c.prepared, Prepared::Hive(_)), "STORED AS is not CTAS");
        let c = classify("CREATE TABLE t WITH (format='PARQUET') AS SELECT 1 AS x", &[], &none).unwrap();
        assert_eq!((c.statement_type, c.substatement_type), ("DDL", "CREATE_TABLE_AS_SELECT"));
        assert!(matches!(c.prepared, Prepared::Ctas(_)));
        let c = classify("INSERT INTO t SELECT 1", &[], &none).unwrap();
        assert_eq!((c.statement_type, c.substatement_type), ("DML", "INSERT"));
        let c = classify("DROP VIEW IF EXISTS db.v", &[], &none).unwrap();
        assert!(matches!(c.prepared, Prepared::DropView { if_exists: true, .. }));
        let c = classify("SHOW VIEWS IN db LIKE 'v*'", &[], &none).unwrap();
        assert!(matches!(c.prepared, Prepared::ShowViews { database: Some(_), pattern: Some(_) }));
        assert!(classify("CREATE VIEW v AS SELEC 1", &[], &none).is_err(), "the view's query is checked");
    }

    #[test]
    fn sqlparser_errors_translate() {
        assert_eq!(
            syntax_message("sql parser error: Expected: end of statement, found: t at Line: 1, Column: 15"),
            "line 1:15: mismatched input 't'. Expecting: end of statement"
        );
    }
}
