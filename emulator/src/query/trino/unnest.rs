//! Trino's lateral `UNNEST`: `FROM t CROSS JOIN UNNEST(t.items) [WITH ORDINALITY] AS u(x[, n])`,
//! `LEFT JOIN UNNEST(...) ... ON TRUE`, maps (`AS u(k, v)`), arrays of rows (one column per
//! field) and several arrays at once. DataFusion unnests in a projection, so the join becomes a
//! derived table, `(SELECT t.*, unnest(t.items) AS x FROM t) AS __lakebox_unnest0`, and the
//! query's `t.` and `u.` qualifiers name it. Helper functions split maps and rows into lists
//! (`__lakebox_unnest_part`), number the elements (`__lakebox_ordinality`) and keep rows whose
//! array is empty or NULL for `LEFT JOIN` (`__lakebox_or_null`).
//! <https://trino.io/docs/current/sql/select.html#unnest>

use super::udf::{Udf, arity, invalid};
use super::values::{int, list_of, rowwise};
use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ScalarUDF, Signature, Volatility};
use datafusion::sql::sqlparser::ast::{
    self, Expr, JoinConstraint, JoinOperator, Query, SelectItem, SetExpr, TableFactor, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use std::ops::ControlFlow;

/// The column list an `UNNEST(...) AS alias(columns)` produces, as projection items.
fn columns(exprs: &[Expr], names: &[String], ordinality: bool, left: bool) -> Option<Vec<String>> {
    let (values, ordinal) =
        if ordinality { (&names[..names.len().checked_sub(1)?], names.last()) } else { (names, None) };
    let wrap = |e: String| if left { format!("__lakebox_or_null({e})") } else { e };
    let mut out = Vec::new();
    if exprs.len() == 1 {
        let e = &exprs[0];
        if values.len() == 1 {
            out.push(format!("unnest({}) AS {}", wrap(format!("__lakebox_unnest_part({e}, 0)")), values[0]));
        } else {
            for (i, name) in values.iter().enumerate() {
                out.push(format!("unnest({}) AS {name}", wrap(format!("__lakebox_unnest_part({e}, {i})"))));
            }
        }
    } else {
        if exprs.len() != values.len() {
            return None;
        }
        for (e, name) in exprs.iter().zip(values) {
            out.push(format!("unnest({}) AS {name}", wrap(format!("__lakebox_unnest_part({e}, 0)"))));
        }
    }
    if let Some(ord) = ordinal {
        let all: Vec<String> = exprs.iter().map(ToString::to_string).collect();
        out.push(format!("unnest({}) AS {ord}", wrap(format!("__lakebox_ordinality({})", all.join(", ")))));
    }
    Some(out)
}

fn parse_factor(sql: &str) -> Option<TableFactor> {
    let mut statements = Parser::parse_sql(&GenericDialect {}, &format!("SELECT * FROM {sql}")).ok()?;
    let ast::Statement::Query(q) = statements.pop()? else { return None };
    let SetExpr::Select(s) = *q.body else { return None };
    s.from.into_iter().next().map(|f| f.relation)
}

fn qualifier(factor: &TableFactor) -> Option<String> {
    match factor {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            Some(a.name.value.clone())
        }
        TableFactor::Table { name, alias: None, .. } => {
            name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone())
        }
        _ => None,
    }
}

fn is_true(e: &Expr) -> bool {
    matches!(e, Expr::Value(v) if matches!(v.value, ast::Value::Boolean(true)))
}

struct Lateral {
    /// The qualifier of the row side and the unnest alias, both renamed to `name`.
    renames: Vec<(String, String)>,
}

/// Rewrites the lateral unnests of one SELECT; the qualifiers to rename in its query.
fn select(s: &mut ast::Select, counter: &mut usize) -> Lateral {
    let mut renames = Vec::new();
    // `FROM t, UNNEST(...)`: a comma is a cross join.
    let mut i = 1;
    while i < s.from.len() {
        if matches!(s.from[i].relation, TableFactor::UNNEST { .. }) && s.from[i].joins.is_empty() {
            let unnest = s.from.remove(i);
            s.from[i - 1].joins.push(ast::Join {
                relation: unnest.relation,
                global: false,
                join_operator: JoinOperator::CrossJoin(JoinConstraint::None),
            });
        } else {
            i += 1;
        }
    }
    for from in &mut s.from {
        // A standalone UNNEST with ordinality, a map or rows.
        if let TableFactor::UNNEST { alias: Some(alias), array_exprs, with_ordinality, .. } = &from.relation
            && (*with_ordinality || alias.columns.len() > array_exprs.len())
        {
            let names: Vec<String> = alias.columns.iter().map(|c| c.name.to_string()).collect();
            if let Some(cols) = columns(array_exprs, &names, *with_ordinality, false)
                && let Some(f) = parse_factor(&format!("(SELECT {}) AS {}", cols.join(", "), alias.name))
            {
                from.relation = f;
            }
        }
        while let Some(join) = from.joins.first() {
            let left = match &join.join_operator {
                JoinOperator::CrossJoin(_) => false,
                JoinOperator::Join(JoinConstraint::On(e)) | JoinOperator::Inner(JoinConstraint::On(e))
                    if is_true(e) =>
                {
                    false
                }
                JoinOperator::Left(JoinConstraint::On(e)) | JoinOperator::LeftOuter(JoinConstraint::On(e))
                    if is_true(e) =>
                {
                    true
                }
                _ => break,
            };
            let TableFactor::UNNEST { alias: Some(alias), array_exprs, with_ordinality, .. } = &join.relation else {
                break;
            };
            let Some(base) = qualifier(&from.relation) else { break };
            let names: Vec<String> = alias.columns.iter().map(|c| c.name.to_string()).collect();
            if names.is_empty() {
                break;
            }
            let Some(cols) = columns(array_exprs, &names, *with_ordinality, left) else { break };
            let name = format!("__lakebox_unnest{}", *counter);
            *counter += 1;
            let sql = format!("(SELECT {base}.*, {} FROM {}) AS {name}", cols.join(", "), from.relation);
            let Some(derived) = parse_factor(&sql) else { break };
            renames.push((base.to_lowercase(), name.clone()));
            renames.push((alias.name.value.to_lowercase(), name.clone()));
            from.relation = derived;
            from.joins.remove(0);
        }
    }
    Lateral { renames }
}

/// Renames qualifiers (`o.id` → `__lakebox_unnest0.id`), outside the derived tables.
struct Rename<'a>(&'a [(String, String)]);

impl Rename<'_> {
    fn to(&self, q: &str) -> Option<&str> {
        // The last rename of a qualifier wins (chained unnests wrap earlier ones).
        self.0.iter().rev().find(|(from, _)| from == &q.to_lowercase()).map(|(_, to)| to.as_str())
    }
}

impl VisitorMut for Rename<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, _: &mut TableFactor) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Expr::CompoundIdentifier(parts) = e
            && parts.len() >= 2
            && let Some(to) = self.to(&parts[0].value)
        {
            parts[0] = ast::Ident::new(to);
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites a query's lateral unnests (its own SELECT; nested queries are visited on their own).
pub fn query(q: &mut Query, counter: &mut usize) {
    let SetExpr::Select(s) = q.body.as_mut() else { return };
    let original_from = s.from.clone();
    let lateral = select(s, counter);
    if lateral.renames.is_empty() {
        return;
    }
    // Rename outside the FROM clause (the derived tables keep the original names inside).
    let new_from = std::mem::replace(&mut s.from, original_from);
    s.from = Vec::new();
    let mut rename = Rename(&lateral.renames);
    for item in &mut s.projection {
        match item {
            SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                if let Some(first) = name.0.first().and_then(|p| p.as_ident()).map(|i| i.value.clone())
                    && let Some(to) = rename.to(&first)
                {
                    name.0[0] = ast::ObjectNamePart::Identifier(ast::Ident::new(to));
                }
            }
            other => {
                let _ = other.visit(&mut rename);
            }
        }
    }
    let _ = s.selection.visit(&mut rename);
    let _ = s.group_by.visit(&mut rename);
    let _ = s.having.visit(&mut rename);
    let _ = q.order_by.visit(&mut rename);
    let SetExpr::Select(s) = q.body.as_mut() else { return };
    s.from = new_from;
}

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        // The i-th list an UNNEST argument gives: a map's keys (0) or values (1), an array of
        // rows' i-th field, or the array itself.
        Udf::with_fields(
            "__lakebox_unnest_part",
            arity(&[2]),
            |fields, scalars| {
                let i = scalars.get(1).copied().flatten().and_then(int).unwrap_or(0) as usize;
                let t = match fields[0].data_type() {
                    DataType::Map(entries, _) => match entries.data_type() {
                        DataType::Struct(f) if f.len() == 2 && i < 2 => list_of(f[i].data_type().clone()),
                        _ => return Err(invalid("UNNEST of a map gives two columns")),
                    },
                    DataType::List(item) => match item.data_type() {
                        DataType::Struct(f) if i < f.len() => list_of(f[i].data_type().clone()),
                        _ if i == 0 => fields[0].data_type().clone(),
                        _ => return Err(invalid("UNNEST of an array gives one column")),
                    },
                    other => other.clone(),
                };
                Ok(Field::new("r", t, true))
            },
            |a| {
                let i = int(&ScalarValue::try_from_array(a.get(1), 0)?).unwrap_or(0) as usize;
                let input = a.get(0);
                match input.data_type() {
                    DataType::Map(..) => {
                        let m = input
                            .as_any()
                            .downcast_ref::<datafusion::arrow::array::MapArray>()
                            .ok_or_else(|| invalid("a map"))?;
                        let DataType::List(f) = a.result.data_type() else { unreachable!("a list") };
                        let values = if i == 0 { m.keys().clone() } else { m.values().clone() };
                        Ok(std::sync::Arc::new(datafusion::arrow::array::ListArray::try_new(
                            f.clone(),
                            m.offsets().clone(),
                            values,
                            m.nulls().cloned(),
                        )?))
                    }
                    DataType::List(item) if matches!(item.data_type(), DataType::Struct(_)) => {
                        let l = input
                            .as_any()
                            .downcast_ref::<datafusion::arrow::array::ListArray>()
                            .ok_or_else(|| invalid("a list"))?;
                        let structs = l
                            .values()
                            .as_any()
                            .downcast_ref::<datafusion::arrow::array::StructArray>()
                            .ok_or_else(|| invalid("rows"))?;
                        let DataType::List(f) = a.result.data_type() else { unreachable!("a list") };
                        Ok(std::sync::Arc::new(datafusion::arrow::array::ListArray::try_new(
                            f.clone(),
                            l.offsets().clone(),
                            structs.column(i).clone(),
                            l.nulls().cloned(),
                        )?))
                    }
                    _ => Ok(input.clone()),
                }
            },
        )
        .udf(),
        // 1..n for the longest of the arguments.
        Udf::new(
            "__lakebox_ordinality",
            Signature::variadic_any(Volatility::Immutable),
            |_| Ok(list_of(DataType::Int64)),
            |a| {
                rowwise(a, |r| {
                    let lengths: Vec<usize> = r
                        .iter()
                        .filter_map(|v| match v {
                            ScalarValue::Map(m) if !m.is_null(0) => Some(m.value(0).len()),
                            other => super::collections::elements(other).map(|l| l.len()),
                        })
                        .collect();
                    if lengths.is_empty() {
                        return Ok(ScalarValue::Null);
                    }
                    let n = lengths.into_iter().max().unwrap_or(0) as i64;
                    let values: Vec<ScalarValue> = (1..=n).map(|i| ScalarValue::Int64(Some(i))).collect();
                    Ok(ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Int64)))
                })
            },
        )
        .udf(),
        // An empty or NULL list as one NULL element: LEFT JOIN UNNEST keeps the row.
        Udf::new(
            "__lakebox_or_null",
            arity(&[1]),
            |t| Ok(t[0].clone()),
            |a| {
                let DataType::List(item) = a.result.data_type().clone() else { return Ok(a.get(0).clone()) };
                rowwise(a, |r| match super::collections::elements(&r[0]) {
                    Some(l) if !l.is_empty() => Ok(r[0].clone()),
                    _ => {
                        let null = ScalarValue::try_from(item.data_type())?;
                        Ok(ScalarValue::List(ScalarValue::new_list_nullable(&[null], item.data_type())))
                    }
                })
            },
        )
        .udf(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&GenericDialect {}, sql).unwrap();
        let ast::Statement::Query(q) = &mut statements[0] else { panic!("a query") };
        query(q, &mut 0);
        statements[0].to_string()
    }

    #[test]
    fn lateral_unnests_become_derived_tables() {
        assert_eq!(
            rewrite("SELECT o.id, i.item FROM orders o CROSS JOIN UNNEST(o.items) AS i(item) ORDER BY o.id"),
            "SELECT __lakebox_unnest0.id, __lakebox_unnest0.item FROM (SELECT o.*, unnest(__lakebox_unnest_part(o.items, 0)) AS item FROM orders o) AS __lakebox_unnest0 ORDER BY __lakebox_unnest0.id"
        );
        assert!(rewrite("SELECT * FROM t LEFT JOIN UNNEST(t.m) WITH ORDINALITY AS u(k, v, n) ON TRUE").contains(
            "unnest(__lakebox_or_null(__lakebox_unnest_part(t.m, 1))) AS v, unnest(__lakebox_or_null(__lakebox_ordinality(t.m))) AS n"
        ));
        // Not lateral, or not understood: left alone.
        assert_eq!(rewrite("SELECT x FROM UNNEST(ARRAY[1]) AS t(x)"), "SELECT x FROM UNNEST(ARRAY[1]) AS t (x)");
    }
}
