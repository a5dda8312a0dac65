//! AST rewrites of Trino forms DataFusion parses but plans differently or not at all. Each
//! rewrite turns a Trino form into DataFusion SQL with the same meaning; rewritten SQL is
//! parsed again by later stages, so every rewrite is idempotent.
//!
//! - `if(c, a[, b])` → `CASE WHEN c THEN a [ELSE b] END`
//! - `count_if(x)` → `count(CASE WHEN x THEN 1 END)`; `every` → `bool_and`;
//!   `arbitrary`/`any_value` → `first_value(x) IGNORE NULLS`
//! - `max_by(x, y)` / `min_by(x, y)` → `first_value(x ORDER BY y DESC/ASC NULLS LAST)`,
//!   with `n`: `array_slice(array_agg(x ORDER BY y ...), 1, n)`
//! - `listagg(x, sep) WITHIN GROUP (ORDER BY ...)` → `string_agg(x, sep ORDER BY ...)`
//! - `contains(a, x)` → `array_has`; `array_join` → `array_to_string`; `array_position` gives 0
//!   when absent; `levenshtein_distance`, `truncate`, `ceiling`, `rand`, `array_remove` (every match), `is_nan`, `e()`,
//!   `nan()`, `infinity()`, `mod`, 2-argument `replace`
//! - `EXTRACT(field FROM x)` → the `bigint` date-part functions (`year(x)`, `day_of_week(x)`)
//! - `try(e)`: casts inside become `TRY_CAST`, divisors `NULLIF(d, 0)`
//! - `histogram`, `map_agg`, `multimap_agg` → a map built from `array_agg`s ([`super::maps`])
//! - functions taking lambdas → `__lakebox_hof(...)` ([`super::lambda`])
//! - `FETCH FIRST n ROWS ONLY` → `LIMIT n`

use datafusion::sql::sqlparser::ast::{
    self, BinaryOperator, DateTimeField, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, LimitClause, NullTreatment, ObjectNamePart, Query, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

/// Rewrites a statement in place.
pub fn statement(s: &mut ast::Statement) {
    let _ = s.visit(&mut Rewriter { unnests: 0 });
    cast_names(s);
}

/// The text of a call with its casts replaced by their operands: how DataFusion names it.
fn name_without_casts(f: &Function) -> String {
    struct Strip;
    impl VisitorMut for Strip {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::Cast { expr, .. } = e {
                *e = (**expr).clone();
            }
            ControlFlow::Continue(())
        }
    }
    let mut f = Expr::Function(f.clone());
    let _ = f.visit(&mut Strip);
    f.to_string()
}

/// Calls that differ only in casts (`sum(x)`, `sum(CAST(x AS double))`) get the same name from
/// DataFusion, which then refuses the plan; the casts in such calls are wrapped in
/// `__lakebox_typed(CAST(x AS t), 't')` (see `casts::Typed`), whose name says the type.
/// Idempotent: once wrapped, the names differ.
fn cast_names(s: &mut ast::Statement) {
    // Most statements have no cast: spare them a text per call.
    let any_cast = ast::visit_expressions(s, |e| match e {
        Expr::Cast { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    if any_cast.is_continue() {
        return;
    }
    let mut texts: HashMap<String, HashSet<String>> = HashMap::new();
    let _ = ast::visit_expressions(s, |e| {
        if let Expr::Function(f) = e {
            texts.entry(name_without_casts(f)).or_default().insert(f.to_string());
        }
        ControlFlow::<()>::Continue(())
    });
    let colliding: HashSet<String> = texts.into_iter().filter(|(_, t)| t.len() > 1).map(|(k, _)| k).collect();
    if !colliding.is_empty() {
        let _ = s.visit(&mut WrapCasts { colliding, stack: Vec::new() });
    }
}

struct WrapCasts {
    colliding: HashSet<String>,
    /// For each call being visited: (its casts are to be wrapped, it is a `__lakebox_typed`).
    stack: Vec<(bool, bool)>,
}

impl VisitorMut for WrapCasts {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = e {
            let typed = name_of(f).as_deref() == Some("__lakebox_typed");
            self.stack.push((self.colliding.contains(&name_without_casts(f)), typed));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        match e {
            Expr::Function(_) => {
                self.stack.pop();
            }
            Expr::Cast { data_type, .. }
                if self.stack.iter().any(|(wrap, _)| *wrap) && !self.stack.last().is_some_and(|(_, typed)| *typed) =>
            {
                let name = data_type.to_string().replace('\'', "''");
                if let Some(wrapped) = parse_expr(&format!("__lakebox_typed({e}, '{name}')")) {
                    *e = wrapped;
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

struct Rewriter {
    /// Lateral unnests rewritten so far (each derived table gets its own name).
    unnests: usize,
}

fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&GenericDialect {}).try_with_sql(sql).ok()?.parse_expr().ok()
}

fn name_of(f: &Function) -> Option<String> {
    match f.name.0.as_slice() {
        [ObjectNamePart::Identifier(i)] if i.quote_style.is_none() => Some(i.value.to_ascii_lowercase()),
        _ => None,
    }
}

fn rename(f: &mut Function, name: &str) {
    f.name = ast::ObjectName(vec![ObjectNamePart::Identifier(ast::Ident::new(name))]);
}

/// The plain positional arguments of a call (none when it has named or wildcard ones).
fn plain_args(f: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &f.args else {
        return matches!(f.args, FunctionArguments::None).then(Vec::new);
    };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn set_args(f: &mut Function, args: Vec<Expr>) {
    let clauses = match &f.args {
        FunctionArguments::List(l) => l.clauses.clone(),
        _ => Vec::new(),
    };
    let duplicate_treatment = match &f.args {
        FunctionArguments::List(l) => l.duplicate_treatment,
        _ => None,
    };
    f.args = FunctionArguments::List(ast::FunctionArgumentList {
        duplicate_treatment,
        args: args.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect(),
        clauses,
    });
}

fn add_clause(f: &mut Function, clause: FunctionArgumentClause) {
    if let FunctionArguments::List(l) = &mut f.args {
        l.clauses.push(clause);
    }
}

fn order_by(e: Expr, asc: bool) -> ast::OrderByExpr {
    ast::OrderByExpr {
        expr: e,
        options: ast::OrderByOptions { asc: Some(asc), nulls_first: Some(false) },
        with_fill: None,
    }
}

const HIGHER_ORDER: [&str; 11] = [
    "transform",
    "filter",
    "reduce",
    "any_match",
    "all_match",
    "none_match",
    "zip_with",
    "map_filter",
    "transform_keys",
    "transform_values",
    "array_sort",
];

/// The parameters and body of a `__lakebox_lambda('x,y', 'body')` written by the token pass.
fn lambda_of(e: &Expr) -> Option<(Vec<String>, String)> {
    let Expr::Function(f) = e else { return None };
    if name_of(f).as_deref() != Some("__lakebox_lambda") {
        return None;
    }
    let args = plain_args(f)?;
    let text = |e: &Expr| match e {
        Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let params = text(args.first()?)?.split(',').map(|p| p.trim().to_lowercase()).collect();
    Some((params, text(args.get(1)?)?))
}

/// Replaces the outer columns a lambda body reads with `__c0`, `__c1`, ... (shared across the
/// call's lambdas) and collects them.
struct Captures<'a> {
    params: &'a [String],
    found: &'a mut Vec<Expr>,
}

impl VisitorMut for Captures<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let outer = match e {
            Expr::Identifier(i) => !self.params.contains(&i.value.to_lowercase()),
            Expr::CompoundIdentifier(parts) => {
                !parts.first().is_some_and(|p| self.params.contains(&p.value.to_lowercase()))
            }
            _ => false,
        };
        if outer {
            let at = match self.found.iter().position(|c| c == e) {
                Some(i) => i,
                None => {
                    self.found.push(e.clone());
                    self.found.len() - 1
                }
            };
            *e = Expr::Identifier(ast::Ident::new(format!("__c{at}")));
        }
        ControlFlow::Continue(())
    }
}

/// `transform(a, x -> x + n)` as `__lakebox_hof('{spec}', a, n)` (see [`super::lambda`]).
fn higher_order(name: &str, args: &[Expr]) -> Option<Expr> {
    if !args.iter().any(|a| lambda_of(a).is_some()) {
        return None;
    }
    let mut data = Vec::new();
    let mut lambdas = Vec::new();
    let mut captures: Vec<Expr> = Vec::new();
    for a in args {
        match lambda_of(a) {
            Some((params, body)) => {
                let mut body_expr = Parser::new(&GenericDialect {}).try_with_sql(&body).ok()?.parse_expr().ok()?;
                let _ = body_expr.visit(&mut Captures { params: &params, found: &mut captures });
                lambdas.push(super::lambda::Lambda { params, body: body_expr.to_string() });
            }
            None => data.push(a.to_string()),
        }
    }
    let spec = super::lambda::Spec { function: name.to_string(), data: data.len(), lambdas, captures: captures.len() };
    let spec = serde_json::to_string(&spec).ok()?.replace('\'', "''");
    let mut call = vec![format!("'{spec}'")];
    call.extend(data);
    call.extend(captures.iter().map(ToString::to_string));
    parse_expr(&format!("__lakebox_hof({})", call.join(", ")))
}

/// The Trino type of a constant expression built from literals, as Trino types it before any
/// evaluation (`'abc'` is `varchar(3)`, `ARRAY['a', 'bb']` is `array(varchar(2))`, `ROW(1, 'a')`
/// is `row(integer, varchar(1))`); `None` when it is not such an expression (then `typeof` asks
/// the value's Arrow type at run time).
fn static_type(e: &Expr) -> Option<super::types::TrinoType> {
    use super::types::TrinoType;
    use datafusion::arrow::datatypes::DataType;
    let common = |items: &[Expr]| -> Option<TrinoType> {
        let mut types = items.iter().map(static_type);
        let first = types.next()??;
        types.try_fold(first, |acc, t| acc.common(&t?))
    };
    match e {
        Expr::Nested(inner) => static_type(inner),
        Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(TrinoType::Varchar(Some(s.chars().count()))),
            ast::Value::Boolean(_) => Some(TrinoType::Plain(DataType::Boolean)),
            ast::Value::Number(n, _) if n.chars().all(|c| c.is_ascii_digit()) => match n.parse::<i64>() {
                Ok(v) if i32::try_from(v).is_ok() => Some(TrinoType::Plain(DataType::Int32)),
                Ok(_) => Some(TrinoType::Plain(DataType::Int64)),
                Err(_) => None,
            },
            _ => None,
        },
        Expr::Array(a) => Some(TrinoType::Array(Box::new(common(&a.elem)?))),
        Expr::Cast { data_type, .. } => super::types::parse(&data_type.to_string()).ok(),
        Expr::Function(f) => {
            let args = plain_args(f)?;
            match name_of(f)?.as_str() {
                "row" => Some(TrinoType::Row(
                    args.iter().map(|a| Some((String::new(), static_type(a)?))).collect::<Option<_>>()?,
                )),
                // An anonymous `ROW(...)` once rewritten (`'field0', a, 'field1', b`).
                "named_struct"
                    if args.len() % 2 == 0
                        && args.chunks(2).enumerate().all(|(i, pair)| pair[0].to_string() == format!("'field{i}'")) =>
                {
                    Some(TrinoType::Row(
                        args.chunks(2)
                            .map(|pair| Some((String::new(), static_type(&pair[1])?)))
                            .collect::<Option<_>>()?,
                    ))
                }
                "map" if args.len() == 2 => match (&args[0], &args[1]) {
                    (Expr::Array(k), Expr::Array(v)) => {
                        Some(TrinoType::Map(Box::new(common(&k.elem)?), Box::new(common(&v.elem)?)))
                    }
                    _ => None,
                },
                "__lakebox_cast" => match args.get(1)? {
                    Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(t) => super::types::parse(t).ok(),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// The rewritten form of a function call, if it has one.
fn function(f: &mut Function) -> Option<Expr> {
    let name = name_of(f)?;
    let args = plain_args(f)?;
    if HIGHER_ORDER.contains(&name.as_str())
        && f.over.is_none()
        && let Some(e) = higher_order(&name, &args)
    {
        return Some(e);
    }
    let plain = f.over.is_none() && f.filter.is_none() && f.within_group.is_empty();
    let arg = |i: usize| args.get(i).map(ToString::to_string).unwrap_or_default();
    match (name.as_str(), args.len()) {
        ("typeof", 1) if plain => static_type(&args[0]).map(|t| Expr::value(ast::Value::SingleQuotedString(t.name()))),
        // Athena names the fields of an anonymous row `field0`, `field1`, ... (DataFusion's
        // `struct` says `c0`, `c1`): `ROW('Bob', 38)` shows as `{field0=Bob, field1=38}`.
        ("row", n) if plain && n > 0 => parse_expr(&format!(
            "named_struct({})",
            (0..n).map(|i| format!("'field{i}', {}", arg(i))).collect::<Vec<_>>().join(", ")
        )),
        // Trino places NULL elements last (DataFusion's default puts them first).
        ("array_sort", 1) if plain => parse_expr(&format!("array_sort({}, 'ASC', 'NULLS LAST')", arg(0))),
        // Trino's `localtimestamp`: the query's start in the session zone, as a `timestamp(3)`.
        ("localtimestamp", 0) if plain && matches!(f.args, FunctionArguments::None) => {
            parse_expr("CAST(current_timestamp AS timestamp)")
        }
        ("at_timezone", 2) => {
            rename(f, "__lakebox_at_timezone");
            None
        }
        ("if", 2) if plain => parse_expr(&format!("CASE WHEN {} THEN {} END", arg(0), arg(1))),
        ("if", 3) if plain => parse_expr(&format!("CASE WHEN {} THEN {} ELSE {} END", arg(0), arg(1), arg(2))),
        ("count_if", 1) => {
            let case = parse_expr(&format!("CASE WHEN {} THEN 1 END", arg(0)))?;
            rename(f, "count");
            set_args(f, vec![case]);
            None
        }
        // Trino's geometric_mean is exp of the mean of the logarithms (GeometricMeanAggregations:
        // a sum of ln(x) and a count), a double; FILTER and OVER stay on the mean.
        ("geometric_mean", 1) if f.within_group.is_empty() => {
            let mut mean = f.clone();
            rename(&mut mean, "avg");
            set_args(&mut mean, vec![parse_expr(&format!("ln(CAST({} AS DOUBLE))", arg(0)))?]);
            parse_expr(&format!("exp({mean})"))
        }
        // `grouping(a, b)` is a bigint in Trino (DataFusion's is an int).
        ("grouping", n) if plain && n > 0 => parse_expr(&format!("CAST({f} AS BIGINT)")),
        // approx_distinct(x, e): the standard error only tunes Trino's HyperLogLog; ours is kept.
        ("approx_distinct", 2) => {
            set_args(f, vec![args[0].clone()]);
            None
        }
        // Trino's bitwise aggregates are DataFusion's bit_and/bit_or/bit_xor over bigint.
        ("bitwise_and_agg" | "bitwise_or_agg" | "bitwise_xor_agg", 1) => {
            let target = match name.as_str() {
                "bitwise_and_agg" => "bit_and",
                "bitwise_or_agg" => "bit_or",
                _ => "bit_xor",
            };
            rename(f, target);
            set_args(f, vec![parse_expr(&format!("CAST({} AS BIGINT)", arg(0)))?]);
            None
        }
        ("every", 1) => {
            rename(f, "bool_and");
            None
        }
        ("arbitrary" | "any_value", 1) => {
            rename(f, "first_value");
            f.null_treatment = Some(NullTreatment::IgnoreNulls);
            None
        }
        ("max_by" | "min_by", 2) => {
            let asc = name == "min_by";
            rename(f, "first_value");
            set_args(f, vec![args[0].clone()]);
            add_clause(f, FunctionArgumentClause::OrderBy(vec![order_by(args[1].clone(), asc)]));
            None
        }
        ("max_by" | "min_by", 3) if plain => {
            let direction = if name == "min_by" { "ASC" } else { "DESC" };
            parse_expr(&format!(
                "array_slice(array_agg({} ORDER BY {} {direction} NULLS LAST) FILTER (WHERE {} IS NOT NULL), 1, {})",
                arg(0),
                arg(1),
                arg(1),
                arg(2)
            ))
        }
        ("listagg", 2) if !f.within_group.is_empty() => {
            let order = std::mem::take(&mut f.within_group);
            rename(f, "string_agg");
            add_clause(f, FunctionArgumentClause::OrderBy(order));
            None
        }
        ("listagg", 2) => {
            rename(f, "string_agg");
            None
        }
        ("array_remove", 2) => {
            rename(f, "array_remove_all");
            None
        }
        ("contains", 2) => {
            rename(f, "array_has");
            None
        }
        ("array_join", 2 | 3) => {
            rename(f, "array_to_string");
            None
        }
        ("array_position", 2) if plain => parse_expr(&format!(
            "CASE WHEN {a} IS NULL THEN NULL ELSE CAST(coalesce(array_position({a}, {b}), 0) AS BIGINT) END",
            a = arg(0),
            b = arg(1)
        )),
        ("truncate", 1 | 2) => {
            rename(f, "trunc");
            None
        }
        ("ceiling", 1) => {
            rename(f, "ceil");
            None
        }
        ("rand", 0) => {
            rename(f, "random");
            None
        }
        ("is_nan", 1) => {
            rename(f, "isnan");
            None
        }
        ("map", 0) if plain => parse_expr("map(make_array(), make_array())"),
        ("random", 1) if plain => parse_expr(&format!("CAST(floor(random() * ({a})) AS BIGINT)", a = arg(0))),
        ("variance", 1) => {
            rename(f, "var_samp");
            None
        }
        ("histogram", 1) if plain => parse_expr(&format!("__lakebox_histogram(array_agg({}))", arg(0))),
        ("map_agg", 2) if plain => {
            parse_expr(&format!("__lakebox_map_agg(array_agg({}), array_agg({}))", arg(0), arg(1)))
        }
        ("multimap_agg", 2) if plain => {
            parse_expr(&format!("__lakebox_multimap_agg(array_agg({}), array_agg({}))", arg(0), arg(1)))
        }
        ("e", 0) if plain => parse_expr("exp(1.0E0)"),
        ("nan", 0) if plain => parse_expr("CAST('NaN' AS DOUBLE)"),
        ("infinity", 0) if plain => parse_expr("CAST('Infinity' AS DOUBLE)"),
        ("mod", 2) if plain => parse_expr(&format!("(({}) % ({}))", arg(0), arg(1))),
        ("replace", 2) => {
            set_args(
                f,
                vec![args[0].clone(), args[1].clone(), Expr::value(ast::Value::SingleQuotedString(String::new()))],
            );
            None
        }
        ("try", 1) if plain => {
            let mut inner = args[0].clone();
            let _ = inner.visit(&mut TryRewriter);
            Some(Expr::Nested(Box::new(inner)))
        }
        _ => None,
    }
}

/// Inside `try(...)`: failures that Trino's `try` turns into NULL.
struct TryRewriter;

impl VisitorMut for TryRewriter {
    type Break = ();

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        match e {
            Expr::Cast { kind, .. } if *kind == ast::CastKind::Cast || *kind == ast::CastKind::DoubleColon => {
                *kind = ast::CastKind::TryCast;
            }
            Expr::BinaryOp { op: BinaryOperator::Divide | BinaryOperator::Modulo, right, .. } => {
                if let Some(guarded) = parse_expr(&format!("NULLIF({right}, 0)")) {
                    **right = guarded;
                }
            }
            Expr::Function(f) if name_of(f).as_deref() == Some("__lakebox_cast") => {
                if let FunctionArguments::List(l) = &mut f.args
                    && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(flag))) = l.args.get_mut(2)
                {
                    *flag = Expr::value(ast::Value::Boolean(true));
                }
            }
            // A Trino function: NULL for the rows where it fails (`try_fn`).
            Expr::Function(f)
                if f.over.is_none() && f.filter.is_none() && name_of(f).is_some_and(|n| super::try_fn::wraps(&n)) =>
            {
                if let (Some(name), Some(mut args)) = (name_of(f), plain_args(f)) {
                    args.insert(0, Expr::value(ast::Value::SingleQuotedString(name)));
                    rename(f, super::try_fn::NAME);
                    set_args(f, args);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn extract(field: &DateTimeField, expr: &Expr) -> Option<Expr> {
    let function = match field {
        DateTimeField::Year => "year",
        DateTimeField::Quarter => "quarter",
        DateTimeField::Month => "month",
        DateTimeField::Week(None) => "week",
        DateTimeField::Day => "day",
        DateTimeField::DayOfWeek | DateTimeField::Dow => "day_of_week",
        DateTimeField::DayOfYear | DateTimeField::Doy => "day_of_year",
        DateTimeField::Hour => "hour",
        DateTimeField::Minute => "minute",
        DateTimeField::Second => "second",
        DateTimeField::Custom(i) => match i.value.to_ascii_lowercase().as_str() {
            "day_of_week" | "dow" => "day_of_week",
            "day_of_year" | "doy" => "day_of_year",
            "year_of_week" | "yow" => "year_of_week",
            _ => return None,
        },
        _ => return None,
    };
    parse_expr(&format!("{function}({expr})"))
}

/// Functions DataFusion has and Trino (so Athena) does not: a query calling one would pass
/// here and fail on AWS (`left(s, 2)`, `nvl(x, 0)`, `median(x)`, `string_agg(s, ',')`), so it
/// fails here as there: `FUNCTION_NOT_FOUND: line L:C: Function 'left' not registered`. Only
/// names certainly absent from Trino's function list are here (Trino's own names that we
/// rewrite to these are matched before the rewrite).
const NOT_IN_TRINO: &[&str] = &[
    "left",
    "right",
    "nvl",
    "nvl2",
    "ifnull",
    "btrim",
    "initcap",
    "instr",
    "octet_length",
    "bit_length",
    "array_length",
    "array_append",
    "array_prepend",
    "array_concat",
    "array_cat",
    "array_has",
    "array_has_all",
    "array_has_any",
    "array_to_string",
    "string_to_array",
    "array_slice",
    "array_element",
    "array_repeat",
    "array_replace",
    "array_replace_all",
    "array_positions",
    "array_dims",
    "array_ndims",
    "array_pop_back",
    "array_pop_front",
    "array_resize",
    "array_reverse",
    "make_array",
    "make_list",
    "list_append",
    "list_concat",
    "list_contains",
    "list_distinct",
    "list_element",
    "list_has",
    "list_length",
    "list_slice",
    "list_sort",
    "string_agg",
    "regexp_match",
    "regexp_instr",
    "isnan",
    "iszero",
    "nanvl",
    "signum",
    "factorial",
    "gcd",
    "lcm",
    "to_timestamp_seconds",
    "to_timestamp_millis",
    "to_timestamp_micros",
    "to_timestamp_nanos",
    "make_date",
    "date_bin",
    "arrow_typeof",
    "arrow_cast",
    "named_struct",
    "struct",
    "get_field",
    "levenshtein",
    "bit_and",
    "bit_or",
    "bit_xor",
    "approx_median",
    "approx_percentile_cont",
    "approx_percentile_cont_with_weight",
    "median",
    "percentile_cont",
    "sha224",
    "sha384",
    "overlay",
    "find_in_set",
    "substr_index",
    "substring_index",
    "generate_series",
    "range",
];

/// The first call of a function Trino does not have, as Trino reports it (`line 1:8: Function
/// 'left' not registered`). Run on the user's statement before `statement` rewrites it (the
/// rewritten text, parsed again to plan it, calls some of these functions itself).
pub fn non_trino_function(s: &ast::Statement) -> Option<String> {
    let mut found = None;
    let _ = ast::visit_expressions(s, |e| {
        if let Expr::Function(f) = e
            && let Some(name) = name_of(f).filter(|n| NOT_IN_TRINO.contains(&n.as_str()))
            && let [ObjectNamePart::Identifier(ident)] = f.name.0.as_slice()
        {
            let (line, column) = (ident.span.start.line.max(1), ident.span.start.column.max(1));
            found = Some(format!("line {line}:{column}: Function '{name}' not registered"));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// `current_catalog` or `current_schema` (unquoted) as the `session` function's call.
fn session_value(name: &str) -> Option<Expr> {
    match name.to_ascii_lowercase().as_str() {
        "current_catalog" => parse_expr(&format!("{}()", super::session::CURRENT_CATALOG)),
        "current_schema" => parse_expr(&format!("{}()", super::session::CURRENT_SCHEMA)),
        _ => None,
    }
}

/// An interval literal, or an interval computed by the rewrite (`INTERVAL '1' DAY * 2 * 3`).
fn is_interval(e: &Expr) -> bool {
    match e {
        Expr::Interval(_) => true,
        Expr::Nested(inner)
        | Expr::UnaryOp { op: ast::UnaryOperator::Minus | ast::UnaryOperator::Plus, expr: inner } => is_interval(inner),
        Expr::Function(f) => {
            name_of(f).is_some_and(|n| n == super::intervals::MULTIPLY || n == super::intervals::DIVIDE)
        }
        _ => false,
    }
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let replacement = match e {
            // Trino's reserved `current_catalog` and `current_schema` (`session`): the parser
            // reads the first as a call without parentheses, the second as an identifier.
            Expr::Function(f)
                if matches!(f.args, FunctionArguments::None)
                    && f.name.0.len() == 1
                    && f.name.to_string().eq_ignore_ascii_case("current_catalog") =>
            {
                session_value("current_catalog")
            }
            Expr::Identifier(id) if id.quote_style.is_none() => session_value(&id.value),
            Expr::Function(f) => function(f),
            // `INTERVAL '1' DAY * 7`, `2 * INTERVAL '3' HOUR`, `INTERVAL '6' HOUR / 4` (`intervals`).
            Expr::BinaryOp { left, op: BinaryOperator::Multiply, right } if is_interval(left) != is_interval(right) => {
                let (interval, n) = if is_interval(left) { (left, right) } else { (right, left) };
                parse_expr(&format!("{}({interval}, {n})", super::intervals::MULTIPLY))
            }
            Expr::BinaryOp { left, op: BinaryOperator::Divide, right } if is_interval(left) && !is_interval(right) => {
                parse_expr(&format!("{}({left}, {right})", super::intervals::DIVIDE))
            }
            // `U&'\00e9t\00e9'`: the parser decoded the escapes; it is an ordinary varchar.
            Expr::Value(ast::ValueWithSpan { value: ast::Value::UnicodeStringLiteral(text), .. }) => {
                Some(Expr::value(ast::Value::SingleQuotedString(std::mem::take(text))))
            }
            Expr::Extract { field, expr, .. } => extract(field, expr),
            Expr::Position { expr, r#in } => parse_expr(&format!("strpos({in}, {expr})", r#in = r#in)),
            Expr::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![expr.to_string(), substring_from.as_ref().map_or("1".into(), ToString::to_string)];
                if let Some(n) = substring_for {
                    args.push(n.to_string());
                }
                parse_expr(&format!("__lakebox_substr({})", args.join(", ")))
            }
            Expr::AtTimeZone { timestamp, time_zone } => {
                parse_expr(&format!("__lakebox_at_timezone({timestamp}, {time_zone})"))
            }
            // Trino's `timestamp` is `timestamp(3)`: milliseconds (years up to 292 million), where
            // DataFusion's would be nanoseconds, which end in 2262 (`TIMESTAMP '9999-12-31
            // 23:59:59'`, a common "valid until" value, could not even be written).
            // `TIMESTAMP '2012-10-31 01:00 UTC'` is a `timestamp(3) with time zone` in that zone
            // (and a literal that is no timestamp fails as Trino's `INVALID_LITERAL`).
            Expr::TypedString(ast::TypedString {
                data_type: ast::DataType::Timestamp(_, ast::TimezoneInfo::None),
                value: ast::ValueWithSpan { value: ast::Value::SingleQuotedString(text), .. },
                ..
            }) if super::timestamp_text::literal_is_zoned_or_invalid(text) => {
                parse_expr(&format!("__lakebox_timestamptz_literal('{}')", text.replace('\'', "''")))
            }
            Expr::TypedString(ast::TypedString {
                data_type: ast::DataType::Date,
                value: ast::ValueWithSpan { value: ast::Value::SingleQuotedString(text), .. },
                ..
            }) if super::timestamp_text::parse_date(text).is_none() => {
                parse_expr(&format!("__lakebox_invalid_literal('DATE', '{}')", text.replace('\'', "''")))
            }
            Expr::Cast { data_type, .. } | Expr::TypedString(ast::TypedString { data_type, .. }) => {
                match data_type {
                    ast::DataType::Timestamp(None, tz) => *data_type = ast::DataType::Timestamp(Some(3), *tz),
                    // Trino's bare `decimal` is decimal(38, 0) (DataFusion's would be (38, 10)).
                    ast::DataType::Decimal(ast::ExactNumberInfo::None) => {
                        *data_type = ast::DataType::Decimal(ast::ExactNumberInfo::PrecisionAndScale(38, 0))
                    }
                    // DataFusion's SQL has no VARBINARY; BYTEA is its name for the same type.
                    ast::DataType::Varbinary(_) => *data_type = ast::DataType::Bytea,
                    _ => {}
                }
                None
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let mut current = root.to_string();
                for access in access_chain.iter() {
                    current = match access {
                        ast::AccessExpr::Subscript(ast::Subscript::Index { index }) => {
                            format!("__lakebox_subscript({current}, {index})")
                        }
                        ast::AccessExpr::Dot(Expr::Identifier(i)) => {
                            format!("get_field({current}, '{}')", i.value.replace('\'', "''"))
                        }
                        _ => return ControlFlow::Continue(()),
                    };
                }
                parse_expr(&current)
            }
            _ => None,
        };
        if let Some(r) = replacement {
            *e = r;
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        super::unnest::query(q, &mut self.unnests);
        if let Some(fetch) = q.fetch.take_if(|f| !f.with_ties && !f.percent) {
            let offset = match q.limit_clause.take() {
                Some(LimitClause::LimitOffset { offset, .. }) => offset,
                Some(LimitClause::OffsetCommaLimit { offset, .. }) => {
                    Some(ast::Offset { value: offset, rows: ast::OffsetRows::None })
                }
                None => None,
            };
            q.limit_clause = Some(LimitClause::LimitOffset { limit: fetch.quantity, offset, limit_by: Vec::new() });
        }
        ControlFlow::Continue(())
    }
}

/// Bare names in `GROUP BY`, then in `HAVING`, that are output aliases of their SELECT (an
/// alias of the column of its own name does not count), lower case. Trino resolves both clauses
/// against the input, so such a name is `COLUMN_NOT_FOUND` there (`SELECT x + 1 AS y ... GROUP
/// BY y`, `SELECT count(*) AS c ... HAVING c > 1`), where DataFusion reads the alias; the
/// engine refuses them when no aggregation's input has a column of that name.
pub fn alias_references(s: &ast::Statement) -> (Vec<String>, Vec<String>) {
    use ast::{GroupByExpr, SelectItem, SetExpr, Visit, Visitor};
    fn aliased(select: &ast::Select, name: &ast::Ident) -> bool {
        select.projection.iter().any(|p| match p {
            SelectItem::ExprWithAlias { expr, alias } => {
                alias.value.eq_ignore_ascii_case(&name.value)
                    && !matches!(expr, Expr::Identifier(i) if i.value.eq_ignore_ascii_case(&name.value))
                    && !matches!(expr, Expr::CompoundIdentifier(parts)
                        if parts.last().is_some_and(|i| i.value.eq_ignore_ascii_case(&name.value)))
            }
            _ => false,
        })
    }
    fn of_set(body: &SetExpr, found: &mut (Vec<String>, Vec<String>)) {
        match body {
            SetExpr::Select(select) => {
                if let GroupByExpr::Expressions(items, _) = &select.group_by {
                    for item in items {
                        if let Expr::Identifier(name) = item
                            && aliased(select, name)
                        {
                            found.0.push(name.value.to_ascii_lowercase());
                        }
                    }
                }
                if let Some(having) = &select.having {
                    let _ = ast::visit_expressions(having, |e| {
                        if let Expr::Identifier(name) = e
                            && aliased(select, name)
                        {
                            found.1.push(name.value.to_ascii_lowercase());
                        }
                        ControlFlow::<()>::Continue(())
                    });
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                of_set(left, found);
                of_set(right, found);
            }
            _ => {}
        }
    }
    struct Queries((Vec<String>, Vec<String>));
    impl Visitor for Queries {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            of_set(&q.body, &mut self.0);
            ControlFlow::Continue(())
        }
    }
    let mut queries = Queries((Vec::new(), Vec::new()));
    let _ = s.visit(&mut queries);
    queries.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&GenericDialect {}, sql).unwrap();
        statement(&mut statements[0]);
        let once = statements[0].to_string();
        // Idempotent: later stages parse and rewrite the text again.
        let mut again = Parser::parse_sql(&GenericDialect {}, &once).unwrap();
        statement(&mut again[0]);
        assert_eq!(again[0].to_string(), once);
        once
    }

    #[test]
    fn trino_forms_become_datafusion_forms() {
        assert_eq!(rewrite("SELECT if(a > 1, 'x', 'y')"), "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END");
        assert_eq!(rewrite("SELECT count_if(a > 1) FROM t"), "SELECT count(CASE WHEN a > 1 THEN 1 END) FROM t");
        assert_eq!(rewrite("SELECT max_by(x, y) FROM t"), "SELECT first_value(x ORDER BY y DESC NULLS LAST) FROM t");
        assert_eq!(
            rewrite("SELECT listagg(r, ',') WITHIN GROUP (ORDER BY id) FROM t"),
            "SELECT string_agg(r, ',' ORDER BY id) FROM t"
        );
        assert_eq!(rewrite("SELECT arbitrary(x) FROM t"), "SELECT first_value(x) IGNORE NULLS FROM t");
        assert_eq!(rewrite("SELECT try(CAST(a AS INTEGER))"), "SELECT (TRY_CAST(a AS INTEGER))");
        assert_eq!(rewrite("SELECT try(1 / b)"), "SELECT (1 / NULLIF(b, 0))");
        assert_eq!(rewrite("SELECT EXTRACT(DOW FROM d)"), "SELECT day_of_week(d)");
        assert_eq!(rewrite("SELECT n FROM t ORDER BY n FETCH FIRST 2 ROWS ONLY"), "SELECT n FROM t ORDER BY n LIMIT 2");
        assert_eq!(
            rewrite("SELECT n FROM t OFFSET 1 ROW FETCH NEXT 2 ROWS ONLY"),
            "SELECT n FROM t LIMIT 2 OFFSET 1 ROW"
        );
        assert_eq!(rewrite("SELECT replace('abc', 'b')"), "SELECT replace('abc', 'b', '')");
        // https://trino.io/docs/current/functions/conversion.html#typeof
        assert_eq!(
            rewrite("SELECT typeof(ROW(1, 'a')), typeof(MAP(ARRAY['a', 'bb'], ARRAY[1, 2147483648])), typeof(x)"),
            "SELECT 'row(integer, varchar(1))', 'map(varchar(2), bigint)', typeof(x)"
        );
        assert_eq!(
            rewrite("SELECT a[1]['k'], CAST(r AS INT)"),
            "SELECT __lakebox_subscript(__lakebox_subscript(a, 1), 'k'), CAST(r AS INT)"
        );
        assert_eq!(rewrite("SELECT position('c' IN s), substr(s, 2)"), "SELECT strpos(s, 'c'), __lakebox_substr(s, 2)");
    }

    #[test]
    fn calls_that_differ_only_in_casts_get_names_that_differ() {
        assert_eq!(
            rewrite("SELECT sum(x), sum(CAST(x AS DOUBLE)), sum(TRY_CAST(x AS BIGINT)), max(CAST(y AS INT)) FROM t"),
            "SELECT sum(x), sum(__lakebox_typed(CAST(x AS DOUBLE), 'DOUBLE')), \
             sum(__lakebox_typed(TRY_CAST(x AS BIGINT), 'BIGINT')), max(CAST(y AS INT)) FROM t"
        );
        assert_eq!(
            rewrite("SELECT count(DISTINCT CAST(CAST(q AS INT) AS TINYINT)), count(DISTINCT q) FROM t"),
            "SELECT count(DISTINCT __lakebox_typed(CAST(__lakebox_typed(CAST(q AS INT), 'INT') AS TINYINT), 'TINYINT')), \
             count(DISTINCT q) FROM t"
        );
        // Without a collision nothing changes.
        assert_eq!(rewrite("SELECT sum(CAST(x AS DOUBLE)) FROM t"), "SELECT sum(CAST(x AS DOUBLE)) FROM t");
    }
}
