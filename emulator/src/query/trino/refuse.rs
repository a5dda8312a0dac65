//! SQL that DataFusion runs and Trino (so Athena) refuses: a query using it would pass here and
//! fail on AWS, so it fails here too, worded as Trino's parser or analyzer words it. Checked on
//! the statement as the user wrote it, before our rewrites (which may produce some of these
//! forms themselves), by [`check`].
//!
//! - Operators Trino's grammar does not have: `::` casts, `==`, `^`, `&`, `|`, `<<`, `>>`,
//!   `~`/`~*`/`!~`, `@>`/`<@` (DataFusion's XOR, bitwise and regular-expression operators).
//! - Backquoted identifiers (`` `x` ``): Trino's "backquoted identifiers are not supported; use
//!   double quotes to quote identifiers" (Hive DDL, which takes them, never comes here).
//! - `x IS [NOT] TRUE | FALSE | UNKNOWN`, `ILIKE`, `SIMILAR TO`, `QUALIFY`, `GROUP BY ALL`
//!   without expressions, `SELECT DISTINCT ON (...)`, `* EXCLUDE | EXCEPT | REPLACE | RENAME
//!   (...)`, and array literals without `ARRAY` (`[1, 2]`).
//! - `NATURAL JOIN`, which Trino parses and refuses when it analyzes the query.
//!
//! Each failure names the line and column of the offending token.

use crate::query::error::Failure;
use datafusion::sql::sqlparser::ast::{self, Expr, GroupByExpr, Spanned, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::ops::ControlFlow;

/// The failure Athena gives for Trino-foreign SQL in `statement` (parsed from `sql`), if any.
pub fn check(statement: &ast::Statement, sql: &str) -> Option<Failure> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location().ok()?;
    let tokens: Vec<&TokenWithSpan> = tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
    if let Some(message) = foreign_tokens(&tokens) {
        return Some(Failure::trino("SYNTAX_ERROR", message));
    }
    let mut forms = Forms { found: None };
    let _ = statement.visit(&mut forms);
    let (keyword, fallback) = match forms.found? {
        Found::NaturalJoin(message) => return Some(Failure::trino("NOT_SUPPORTED", message)),
        Found::Keyword(k, at) => (k, at),
    };
    // The keyword's own position (the AST keeps the spans of expressions, not of keywords).
    let at = if keyword == "[" {
        tokens
            .iter()
            .enumerate()
            .find(|(i, t)| matches!(t.token, Token::LBracket) && (*i == 0 || !ends_operand(&tokens[i - 1].token)))
            .map(|(_, t)| t.span.start)
    } else {
        tokens.iter().find(|t| is_word(&t.token, keyword)).map(|t| t.span.start)
    }
    .unwrap_or(fallback);
    Some(Failure::trino(
        "SYNTAX_ERROR",
        format!("line {}:{}: mismatched input '{keyword}'", at.line.max(1), at.column.max(1)),
    ))
}

fn is_word(t: &Token, w: &str) -> bool {
    matches!(t, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w))
}

/// Whether a token can end an operand, so that a `[` after it is a subscript.
fn ends_operand(t: &Token) -> bool {
    const BEFORE_OPERANDS: &[&str] = &[
        "SELECT", "WHERE", "AND", "OR", "NOT", "IN", "ON", "BY", "WHEN", "THEN", "ELSE", "CASE", "IS", "LIKE",
        "BETWEEN", "HAVING", "DISTINCT", "ALL",
    ];
    if let Token::Word(w) = t {
        return w.quote_style.is_some() || !BEFORE_OPERANDS.iter().any(|k| w.value.eq_ignore_ascii_case(k));
    }
    matches!(
        t,
        Token::RParen
            | Token::RBracket
            | Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
    )
}

fn foreign_tokens(tokens: &[&TokenWithSpan]) -> Option<String> {
    for (i, t) in tokens.iter().enumerate() {
        let at = |message: String| Some(format!("line {}:{}: {message}", t.span.start.line, t.span.start.column));
        match &t.token {
            Token::Word(w) if w.quote_style == Some('`') => {
                return at("backquoted identifiers are not supported; use double quotes to quote identifiers".into());
            }
            Token::DoubleColon
            | Token::DoubleEq
            | Token::Caret
            | Token::Ampersand
            | Token::Pipe
            | Token::ShiftLeft
            | Token::ShiftRight
            | Token::Tilde
            | Token::TildeAsterisk
            | Token::ExclamationMarkTilde
            | Token::ExclamationMarkTildeAsterisk
            | Token::AtArrow
            | Token::ArrowAt => return at(format!("mismatched input '{}'", t.token)),
            // `IS [NOT]` takes NULL, DISTINCT FROM or JSON in Trino.
            Token::Word(w) if is_word(&t.token, "IS") && w.quote_style.is_none() => {
                let next = match tokens.get(i + 1) {
                    Some(n) if is_word(&n.token, "NOT") => tokens.get(i + 2),
                    other => other,
                };
                if let Some(n) = next
                    && ["TRUE", "FALSE", "UNKNOWN"].iter().any(|k| is_word(&n.token, k))
                {
                    let word = n.token.to_string().to_ascii_uppercase();
                    return Some(format!(
                        "line {}:{}: mismatched input '{word}'. Expecting: 'DISTINCT', 'JSON', 'NULL'",
                        n.span.start.line, n.span.start.column
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

enum Found {
    NaturalJoin(String),
    /// The keyword to report and a position near it.
    Keyword(&'static str, datafusion::sql::sqlparser::tokenizer::Location),
}

struct Forms {
    found: Option<Found>,
}

impl Forms {
    fn body(&mut self, body: &ast::SetExpr) -> ControlFlow<()> {
        let select = match body {
            ast::SetExpr::Select(select) => select,
            ast::SetExpr::SetOperation { left, right, .. } => {
                self.body(left)?;
                return self.body(right);
            }
            _ => return ControlFlow::Continue(()),
        };
        let near = select.span().start;
        if select.qualify.is_some() {
            return self.keyword("QUALIFY", near);
        }
        if let GroupByExpr::All(_) = select.group_by {
            return self.keyword("ALL", near);
        }
        if let Some(ast::Distinct::On(_)) = select.distinct {
            return self.keyword("ON", near);
        }
        for item in &select.projection {
            let (ast::SelectItem::Wildcard(o) | ast::SelectItem::QualifiedWildcard(_, o)) = item else { continue };
            let keyword = if o.opt_exclude.is_some() {
                "EXCLUDE"
            } else if o.opt_except.is_some() {
                "EXCEPT"
            } else if o.opt_replace.is_some() {
                "REPLACE"
            } else if o.opt_rename.is_some() {
                "RENAME"
            } else if o.opt_ilike.is_some() {
                "ILIKE"
            } else {
                continue;
            };
            return self.keyword(keyword, near);
        }
        for from in &select.from {
            for join in &from.joins {
                use ast::{JoinConstraint, JoinOperator};
                let constraint = match &join.join_operator {
                    JoinOperator::Join(c)
                    | JoinOperator::Inner(c)
                    | JoinOperator::Left(c)
                    | JoinOperator::LeftOuter(c)
                    | JoinOperator::Right(c)
                    | JoinOperator::RightOuter(c)
                    | JoinOperator::FullOuter(c) => c,
                    _ => continue,
                };
                if matches!(constraint, JoinConstraint::Natural) {
                    // Trino places the join where its left side starts; a subquery's span
                    // starts inside its parenthesis (`(SELECT`).
                    let start = from.relation.span().start;
                    let paren = u64::from(matches!(from.relation, ast::TableFactor::Derived { .. }));
                    let (line, column) = (start.line.max(1), start.column.saturating_sub(paren).max(1));
                    self.found = Some(Found::NaturalJoin(format!("line {line}:{column}: Natural join not supported")));
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn keyword(
        &mut self,
        keyword: &'static str,
        near: datafusion::sql::sqlparser::tokenizer::Location,
    ) -> ControlFlow<()> {
        self.found = Some(Found::Keyword(keyword, near));
        ControlFlow::Break(())
    }
}

impl Visitor for Forms {
    type Break = ();

    fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
        self.body(&query.body)
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::ILike { .. } => self.keyword("ILIKE", e.span().start),
            Expr::SimilarTo { .. } => self.keyword("SIMILAR", e.span().start),
            Expr::Array(ast::Array { named: false, .. }) => self.keyword("[", e.span().start),
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(sql: &str) -> Option<String> {
        let statement = datafusion::sql::sqlparser::parser::Parser::parse_sql(&GenericDialect {}, sql).ok()?.remove(0);
        match check(&statement, sql)? {
            Failure::Failed { reason, .. } => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn trino_foreign_forms_fail_at_their_token() {
        let cases = [
            ("SELECT '1'::int", "SYNTAX_ERROR: line 1:11: mismatched input '::'"),
            ("SELECT 2 ^ 3", "SYNTAX_ERROR: line 1:10: mismatched input '^'"),
            ("SELECT 6 & 3", "SYNTAX_ERROR: line 1:10: mismatched input '&'"),
            ("SELECT 6 | 3", "SYNTAX_ERROR: line 1:10: mismatched input '|'"),
            ("SELECT 1 == 1", "SYNTAX_ERROR: line 1:10: mismatched input '=='"),
            ("SELECT 'a' ~ 'b'", "SYNTAX_ERROR: line 1:12: mismatched input '~'"),
            (
                "SELECT `x` FROM t",
                "SYNTAX_ERROR: line 1:8: backquoted identifiers are not supported; use double quotes to quote identifiers",
            ),
            (
                "SELECT x FROM t WHERE x IS NOT TRUE",
                "SYNTAX_ERROR: line 1:32: mismatched input 'TRUE'. Expecting: 'DISTINCT', 'JSON', 'NULL'",
            ),
            (
                "SELECT x FROM t WHERE x IS unknown",
                "SYNTAX_ERROR: line 1:28: mismatched input 'UNKNOWN'. Expecting: 'DISTINCT', 'JSON', 'NULL'",
            ),
            ("SELECT x FROM t WHERE s ILIKE 'a%'", "SYNTAX_ERROR: line 1:25: mismatched input 'ILIKE'"),
            ("SELECT x FROM t WHERE s SIMILAR TO 'a%'", "SYNTAX_ERROR: line 1:25: mismatched input 'SIMILAR'"),
            ("SELECT x FROM t QUALIFY row_number() OVER () = 1", "SYNTAX_ERROR: line 1:17: mismatched input 'QUALIFY'"),
            ("SELECT x, count(*) FROM t GROUP BY ALL", "SYNTAX_ERROR: line 1:36: mismatched input 'ALL'"),
            ("SELECT DISTINCT ON (x) x FROM t", "SYNTAX_ERROR: line 1:17: mismatched input 'ON'"),
            ("SELECT * EXCLUDE (y) FROM t", "SYNTAX_ERROR: line 1:10: mismatched input 'EXCLUDE'"),
            ("SELECT x FROM t WHERE x IN (SELECT [1, 2][1])", "SYNTAX_ERROR: line 1:36: mismatched input '['"),
            ("SELECT * FROM a NATURAL JOIN b", "NOT_SUPPORTED: line 1:15: Natural join not supported"),
        ];
        for (sql, expected) in cases {
            assert_eq!(reason(sql).as_deref(), Some(expected), "{sql}");
        }
    }

    #[test]
    fn trino_forms_pass() {
        for sql in [
            "SELECT a || b, x IS NULL, x IS NOT DISTINCT FROM y, \"weird name\" FROM t",
            "SELECT arr[1], m['k'], ARRAY[1, 2][2], (ARRAY[1])[1] FROM t",
            "SELECT regexp_like(s, '^a|b$'), 'x::y', 'a == b' FROM t -- ^ & | in a comment",
            "SELECT x FROM t GROUP BY ALL x",
            "SELECT count(DISTINCT x) FROM t WHERE s LIKE 'a%' ORDER BY 1",
            "SELECT * FROM a JOIN b USING (k) EXCEPT SELECT * FROM c",
            "SELECT x FROM t WHERE x IS NULL AND y IS NOT NULL",
        ] {
            assert_eq!(reason(sql), None, "{sql}");
        }
    }
}
