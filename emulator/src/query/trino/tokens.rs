//! Rewrites of Trino forms that DataFusion's SQL parser cannot parse, done on the tokens before
//! parsing:
//!
//! - `CAST(x AS ARRAY(...))`, `MAP(...)`, `ROW(...)`, `JSON`, `VARCHAR(n)` (and `TRY_CAST`):
//!   `__lakebox_cast(x, 'type', try)`, a function that casts to any Trino type.
//! - `JSON '...'` literals: `json_parse('...')`.
//! - `VALUES 1, 2, 3` (rows without parentheses): `VALUES (1), (2), (3)`.
//! - lambdas `x -> body`: `__lakebox_lambda('x', 'body')`.
//! - `1.5E0` (a double in Trino; decimals are parsed as decimals): `CAST('1.5E0' AS DOUBLE)`.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

struct CastFrame {
    /// Where `CAST` starts in the output.
    start: usize,
    /// Where the expression starts (after the parenthesis).
    expr_start: usize,
    /// Where ` AS ` starts and where the type starts.
    as_at: Option<(usize, usize)>,
    depth: usize,
    is_try: bool,
}

struct ValuesFrame {
    depth: usize,
}

/// A token as SQL text. `Token`'s `Display` does not escape quotes inside literals and quoted
/// identifiers (`'a''b'` would come out as `'a'b'`), so those are written through the AST's
/// `Display`, which does. Every token pass over a query writes its tokens with this.
pub fn render(t: &Token) -> String {
    use datafusion::sql::sqlparser::ast::{Ident, Value};
    match t {
        Token::SingleQuotedString(s) => Value::SingleQuotedString(s.clone()).to_string(),
        Token::Word(w) if w.quote_style.is_some() => {
            Ident::with_quote(w.quote_style.unwrap_or('"'), w.value.clone()).to_string()
        }
        other => other.to_string(),
    }
}

fn is_word(t: &Token, w: &str) -> bool {
    matches!(t, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w))
}

/// Whether a type needs `__lakebox_cast` (DataFusion has no name for it, or casts differently).
fn needs_cast_function(ty: &str) -> bool {
    let t = ty.trim().to_ascii_lowercase();
    let head: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    matches!(head.as_str(), "array" | "map" | "row" | "json")
        || (matches!(head.as_str(), "varchar" | "char") && t.contains('('))
}

/// Lambdas (`x -> x * 2`, `(s, x) -> s + x`), which DataFusion's dialect reads as JSON
/// operators, become `__lakebox_lambda('x', 'x * 2')`: the parameters and the body as text,
/// planned by the function that takes the lambda (see [`super::lambda`]).
fn lambdas(tokens: Vec<Token>) -> Vec<Token> {
    let Some(arrow) = tokens.iter().position(|t| matches!(t, Token::Arrow)) else { return tokens };
    let significant_before = |i: usize| (0..i).rev().find(|j| !matches!(tokens[*j], Token::Whitespace(_)));
    let Some(p) = significant_before(arrow) else { return tokens };
    // The parameters: one name, or names in parentheses.
    let (start, params) = match &tokens[p] {
        Token::Word(w) => (p, vec![w.value.clone()]),
        Token::RParen => {
            let Some(open) = (0..p).rev().find(|j| matches!(tokens[*j], Token::LParen)) else { return tokens };
            let inner = &tokens[open + 1..p];
            if !inner.iter().all(|t| matches!(t, Token::Word(_) | Token::Comma | Token::Whitespace(_))) {
                return tokens;
            }
            let names = inner
                .iter()
                .filter_map(|t| match t {
                    Token::Word(w) => Some(w.value.clone()),
                    _ => None,
                })
                .collect();
            (open, names)
        }
        _ => return tokens,
    };
    // The body: up to the comma or parenthesis that ends the enclosing argument.
    let mut depth = 0usize;
    let mut end = arrow + 1;
    while end < tokens.len() {
        match tokens[end] {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket if depth == 0 => break,
            Token::RParen | Token::RBracket => depth -= 1,
            Token::Comma if depth == 0 => break,
            Token::EOF => break,
            _ => {}
        }
        end += 1;
    }
    let body: String = lambdas(tokens[arrow + 1..end].to_vec()).iter().map(render).collect();
    let call = format!("__lakebox_lambda('{}', '{}')", params.join(","), body.trim().replace('\'', "''"));
    let Ok(replacement) = Tokenizer::new(&GenericDialect {}, &call).tokenize() else { return tokens };
    let mut out: Vec<Token> = tokens[..start].to_vec();
    out.extend(replacement.into_iter().filter(|t| !matches!(t, Token::EOF)));
    out.extend_from_slice(&tokens[end..]);
    lambdas(out)
}

/// Applies the rewrites; SQL that does not tokenize is returned as is (the parser reports it).
pub fn rewrite(sql: &str) -> String {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else { return sql.to_string() };
    let tokens = lambdas(tokens);
    let significant = |from: usize| tokens[from..].iter().find(|t| !matches!(t, Token::Whitespace(_)));
    let mut out = String::with_capacity(sql.len() + 16);
    let mut depth = 0usize;
    let mut casts: Vec<CastFrame> = Vec::new();
    let mut values: Vec<ValuesFrame> = Vec::new();
    let mut json_literal = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        i += 1;
        // The end of a `VALUES` list without parentheses.
        if let Some(v) = values.last()
            && depth == v.depth
            && (matches!(t, Token::RParen | Token::SemiColon | Token::EOF)
                || ["ORDER", "LIMIT", "OFFSET", "FETCH", "UNION", "INTERSECT", "EXCEPT", "WINDOW"]
                    .iter()
                    .any(|w| is_word(t, w)))
        {
            // Keep trailing whitespace outside the parenthesis.
            let trimmed = out.trim_end().len();
            let tail = out.split_off(trimmed);
            out.push(')');
            out.push_str(&tail);
            values.pop();
        }
        match t {
            Token::Word(_) if is_word(t, "CAST") || is_word(t, "TRY_CAST") => {
                if matches!(significant(i), Some(Token::LParen)) {
                    casts.push(CastFrame {
                        start: out.len(),
                        expr_start: 0,
                        as_at: None,
                        depth: depth + 1,
                        is_try: is_word(t, "TRY_CAST"),
                    });
                }
                out.push_str(&render(t));
            }
            Token::Word(_) if is_word(t, "JSON") && matches!(significant(i), Some(Token::SingleQuotedString(_))) => {
                // Inside `CAST(... AS JSON)` the word is a type, not a literal's prefix.
                let in_type = casts.last().is_some_and(|c| c.as_at.is_some() && c.depth == depth);
                if in_type {
                    out.push_str(&render(t));
                } else {
                    out.push_str("json_parse(");
                    json_literal = true;
                }
            }
            Token::Whitespace(_) if json_literal => {}
            Token::SingleQuotedString(_) if json_literal => {
                out.push_str(&render(t));
                out.push(')');
                json_literal = false;
            }
            Token::Word(_) if is_word(t, "AS") => {
                if let Some(c) = casts.last_mut()
                    && c.depth == depth
                    && c.as_at.is_none()
                {
                    let before = out.len();
                    out.push_str(&render(t));
                    c.as_at = Some((before, out.len()));
                } else {
                    out.push_str(&render(t));
                }
            }
            Token::Word(_) if is_word(t, "VALUES") => {
                out.push_str(&render(t));
                if !matches!(significant(i), Some(Token::LParen)) {
                    // Skip whitespace, then open the first row.
                    while i < tokens.len() && matches!(tokens[i], Token::Whitespace(_)) {
                        out.push_str(&render(&tokens[i]));
                        i += 1;
                    }
                    out.push('(');
                    values.push(ValuesFrame { depth });
                }
            }
            Token::Comma if values.last().is_some_and(|v| v.depth == depth) => {
                out.push_str("), (");
                while i < tokens.len() && matches!(tokens[i], Token::Whitespace(_)) {
                    i += 1;
                }
            }
            Token::LParen => {
                depth += 1;
                out.push('(');
                if let Some(c) = casts.last_mut()
                    && c.depth == depth
                    && c.expr_start == 0
                {
                    c.expr_start = out.len();
                }
            }
            Token::RParen => {
                if let Some(c) = casts.last()
                    && c.depth == depth
                {
                    let c = casts.pop().expect("a frame");
                    if let Some((as_start, type_start)) = c.as_at
                        && needs_cast_function(&out[type_start..])
                    {
                        let ty = out[type_start..].trim().replace('\'', "''");
                        let expr = out[c.expr_start..as_start].trim().to_string();
                        out.truncate(c.start);
                        out.push_str(&format!("__lakebox_cast({expr}, '{ty}', {})", c.is_try));
                    } else {
                        out.push(')');
                    }
                } else {
                    out.push(')');
                }
                depth = depth.saturating_sub(1);
            }
            // With `parse_float_as_decimal`, `1.5` is decimal(2,1) as in Trino; a number with an
            // exponent is a double in Trino, so it is written as one.
            Token::Number(n, _) if n.contains(['e', 'E']) => out.push_str(&format!("CAST('{n}' AS DOUBLE)")),
            Token::EOF => {}
            other => out.push_str(&render(other)),
        }
    }
    if !values.is_empty() {
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn casts_to_complex_types_become_a_function() {
        assert_eq!(
            rewrite("SELECT CAST(x AS ARRAY(varchar)) FROM t"),
            "SELECT __lakebox_cast(x, 'ARRAY(varchar)', false) FROM t"
        );
        assert_eq!(
            rewrite("SELECT TRY_CAST(CAST(a AS MAP(varchar, integer)) AS JSON)"),
            "SELECT __lakebox_cast(__lakebox_cast(a, 'MAP(varchar, integer)', false), 'JSON', true)"
        );
        assert_eq!(rewrite("SELECT CAST(x AS integer)"), "SELECT CAST(x AS integer)");
        assert_eq!(rewrite("SELECT CAST('abc' AS varchar(2))"), "SELECT __lakebox_cast('abc', 'varchar(2)', false)");
        assert_eq!(
            rewrite("SELECT CAST(ROW(1, 'a') AS ROW(x integer, y varchar)).x"),
            "SELECT __lakebox_cast(ROW(1, 'a'), 'ROW(x integer, y varchar)', false).x"
        );
    }

    #[test]
    fn json_literals_and_bare_values() {
        assert_eq!(rewrite("SELECT JSON '[1, 2]'"), "SELECT json_parse('[1, 2]')");
        assert_eq!(rewrite("VALUES 1, 2, 3"), "VALUES (1), (2), (3)");
        assert_eq!(
            rewrite("SELECT transform(a, x -> x * 2), reduce(a, 0, (s, x) -> s + x, s -> s)"),
            "SELECT transform(a, __lakebox_lambda('x', 'x * 2')), reduce(a, 0, __lakebox_lambda('s,x', 's + x'), __lakebox_lambda('s', 's'))"
        );
        assert_eq!(rewrite("SELECT filter(a, x -> x = 'b')"), "SELECT filter(a, __lakebox_lambda('x', 'x = ''b'''))");
        assert_eq!(rewrite("SELECT 1.5, 1.5E0, 1e308"), "SELECT 1.5, CAST('1.5E0' AS DOUBLE), CAST('1e308' AS DOUBLE)");
        assert_eq!(
            rewrite("SELECT x FROM (VALUES 3, NULL, 1) AS t(x) ORDER BY x"),
            "SELECT x FROM (VALUES (3), (NULL), (1)) AS t(x) ORDER BY x"
        );
        assert_eq!(
            rewrite("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t"),
            "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t"
        );
        assert_eq!(rewrite("VALUES 'a', f(1, 2) ORDER BY 1"), "VALUES ('a'), (f(1, 2)) ORDER BY 1");
        assert_eq!(rewrite(r#"SELECT 'a''b' AS "x""y""#), r#"SELECT 'a''b' AS "x""y""#);
    }
}
