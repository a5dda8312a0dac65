//! Eager aggregation: a report that joins a big fact table to a small lookup and groups by the
//! lookup's text columns (`trips JOIN zones ... GROUP BY zone`) aggregates the fact rows by the
//! join key first, then joins the few partial rows:
//!
//! ```text
//! Aggregate(G from D; f(F.x))                Aggregate(G; g(p))
//!   Join(F.k = D.k)              ==>           Join(F.k = D.k)
//!     F                                          Aggregate(F.k; f'(F.x) AS p)
//!     D                                            F
//!                                                D
//! ```
//!
//! Ten million joined rows of strings become a few hundred. It is exact for inner equi-joins
//! whatever the keys' multiplicities (each partial row meets the same lookup rows its fact rows
//! did): `count` -> sum of counts, `sum` -> sum of sums, `min`/`max` -> min/max, and `avg` (of
//! numbers, returning double) -> sum of sums / sum of counts. Anything else (DISTINCT, FILTER,
//! ORDER BY inside the aggregate, non-equi join conditions, group keys from both sides) is left
//! as DataFusion planned it.

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, Result};
use datafusion::functions_aggregate::expr_fn;
use datafusion::logical_expr::{
    Aggregate, Expr, ExprSchemable as _, Join, JoinType, LogicalPlan, Projection, cast, col,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use std::collections::HashSet;
use std::sync::Arc;

/// The rule (added after DataFusion's own rules).
#[derive(Debug, Default)]
pub struct EagerAggregation;

/// Prefix of the partial aggregates' names; a fact side already aggregated is not touched again.
const PARTIAL: &str = "__lakebox_partial_";

/// How one aggregate is split into a partial (below the join) and a final (above) part.
enum Split {
    /// `final(partial)`, e.g. count -> sum(count).
    Simple { partial: Expr, combine: fn(Expr) -> Expr },
    /// avg(x) -> sum(sum(x)) / sum(count(x)).
    Avg { sum: Expr, count: Expr },
}

fn columns_of(schema: &DFSchema) -> HashSet<Column> {
    schema.columns().into_iter().collect()
}

fn split(expr: &Expr, fact: &HashSet<Column>, fact_schema: &DFSchema) -> Option<Split> {
    let (name, arg) = super::plain_aggregate(expr)?;
    let arg = arg.clone();
    if !arg.column_refs().iter().all(|c| fact.contains(c)) {
        return None;
    }
    Some(match name {
        "count" => Split::Simple { partial: expr_fn::count(arg), combine: expr_fn::sum },
        "sum" => Split::Simple { partial: expr_fn::sum(arg), combine: expr_fn::sum },
        "min" => Split::Simple { partial: expr_fn::min(arg), combine: expr_fn::min },
        "max" => Split::Simple { partial: expr_fn::max(arg), combine: expr_fn::max },
        "avg" => {
            let t = arg.to_field(fact_schema).ok()?.1.data_type().clone();
            if !(t.is_integer() || t.is_floating()) {
                return None;
            }
            let as_double = cast(arg, datafusion::arrow::datatypes::DataType::Float64);
            Split::Avg { sum: expr_fn::sum(as_double.clone()), count: expr_fn::count(as_double) }
        }
        _ => return None,
    })
}

impl OptimizerRule for EagerAggregation {
    fn name(&self) -> &str {
        "lakebox_eager_aggregation"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        match rewrite_aggregate(&plan)? {
            Some(new) => Ok(Transformed::yes(new)),
            None => Ok(Transformed::no(plan)),
        }
    }
}

fn rewrite_aggregate(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Aggregate(agg) = plan else { return Ok(None) };
    // The join, directly or under a projection of plain columns.
    let join = match agg.input.as_ref() {
        LogicalPlan::Join(j) => j,
        LogicalPlan::Projection(Projection { expr, input, .. })
            if expr.iter().all(|e| matches!(e, Expr::Column(_))) =>
        {
            match input.as_ref() {
                LogicalPlan::Join(j) => j,
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    if join.join_type != JoinType::Inner
        || join.filter.is_some()
        || join.on.is_empty()
        || agg.aggr_expr.is_empty()
        || !agg.group_expr.iter().all(|e| matches!(e, Expr::Column(_)))
    {
        return Ok(None);
    }
    let left = columns_of(join.left.schema());
    let right = columns_of(join.right.schema());
    let group_columns: Vec<Column> = agg.group_expr.iter().flat_map(|e| e.column_refs().into_iter().cloned()).collect();
    // The lookup side holds every group column; the other side is the fact side.
    let (fact_is_left, fact_set) = if group_columns.iter().all(|c| right.contains(c)) {
        (true, &left)
    } else if group_columns.iter().all(|c| left.contains(c)) {
        (false, &right)
    } else {
        return Ok(None);
    };
    let fact = if fact_is_left { &join.left } else { &join.right };
    let dim = if fact_is_left { &join.right } else { &join.left };
    if let LogicalPlan::Aggregate(a) = fact.as_ref()
        && a.aggr_expr.iter().any(|e| e.schema_name().to_string().starts_with(PARTIAL))
    {
        return Ok(None);
    }
    let fact_keys: Vec<Expr> = join.on.iter().map(|(l, r)| if fact_is_left { l.clone() } else { r.clone() }).collect();
    if !fact_keys.iter().all(|k| matches!(k, Expr::Column(_))) {
        return Ok(None);
    }
    let mut splits = Vec::new();
    for e in &agg.aggr_expr {
        let (inner, name) = match e {
            Expr::Alias(a) => (a.expr.as_ref(), Some(a.name.clone())),
            other => (other, None),
        };
        match split(inner, fact_set, fact.schema()) {
            Some(s) => splits.push((s, name.unwrap_or_else(|| e.schema_name().to_string()))),
            None => return Ok(None),
        }
    }

    // Below the join: aggregate the fact side by its join keys.
    let mut partials = Vec::new();
    for (i, (s, _)) in splits.iter().enumerate() {
        match s {
            Split::Simple { partial, .. } => partials.push(partial.clone().alias(format!("{PARTIAL}{i}"))),
            Split::Avg { sum, count } => {
                partials.push(sum.clone().alias(format!("{PARTIAL}{i}_sum")));
                partials.push(count.clone().alias(format!("{PARTIAL}{i}_count")));
            }
        }
    }
    let pre = LogicalPlan::Aggregate(Aggregate::try_new(fact.clone(), fact_keys, partials)?);
    let (new_left, new_right) = if fact_is_left { (Arc::new(pre), dim.clone()) } else { (dim.clone(), Arc::new(pre)) };
    let joined = LogicalPlan::Join(Join::try_new(
        new_left,
        new_right,
        join.on.clone(),
        None,
        JoinType::Inner,
        join.join_constraint,
        join.null_equality,
        false,
    )?);

    // Above the join: combine the partials, under the original output names.
    let mut finals = Vec::new();
    let mut outputs = Vec::new();
    for (i, (s, name)) in splits.iter().enumerate() {
        match s {
            Split::Simple { combine, .. } => {
                finals.push(combine(col(format!("{PARTIAL}{i}"))).alias(name));
                outputs.push(col(Column::from_name(name)));
            }
            Split::Avg { .. } => {
                let (s_name, c_name) = (format!("{PARTIAL}{i}_s"), format!("{PARTIAL}{i}_c"));
                finals.push(expr_fn::sum(col(format!("{PARTIAL}{i}_sum"))).alias(&s_name));
                finals.push(expr_fn::sum(col(format!("{PARTIAL}{i}_count"))).alias(&c_name));
                let ratio = col(Column::from_name(s_name))
                    / cast(col(Column::from_name(c_name)), datafusion::arrow::datatypes::DataType::Float64);
                outputs.push(ratio.alias(name));
            }
        }
    }
    let combined = LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(joined), agg.group_expr.clone(), finals)?);
    // Keep the original schema exactly: group columns as they were, then the aggregates.
    let mut exprs: Vec<Expr> = agg.schema.columns().into_iter().take(agg.group_expr.len()).map(Expr::Column).collect();
    exprs.extend(outputs);
    let projected = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(combined))?);
    let expected = agg.schema.as_arrow();
    let got = projected.schema().as_arrow();
    let same = expected.fields().len() == got.fields().len()
        && expected
            .fields()
            .iter()
            .zip(got.fields())
            .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
    if !same {
        // A type or name would change (e.g. an unusual sum type): keep DataFusion's plan.
        return Ok(None);
    }
    Ok(Some(projected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int32Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::SessionContext;

    fn context(eager: bool) -> SessionContext {
        let mut builder = SessionStateBuilder::new().with_default_features();
        if eager {
            builder = builder.with_optimizer_rule(Arc::new(EagerAggregation));
        }
        let ctx = SessionContext::new_with_state(builder.build());
        let facts = Schema::new(vec![
            Field::new("k", DataType::Int32, true),
            Field::new("x", DataType::Float64, true),
            Field::new("n", DataType::Int32, true),
        ]);
        // Keys 0..9 and NULL, values with NULLs; the lookup repeats key 3 and lacks key 9.
        let k: Int32Array = (0..1000).map(|i| if i % 97 == 0 { None } else { Some(i % 10) }).collect();
        let x: Float64Array = (0..1000).map(|i| if i % 13 == 0 { None } else { Some(i as f64 * 0.5) }).collect();
        let n: Int32Array = (0..1000).map(|i| Some(i % 7)).collect();
        let batch = RecordBatch::try_new(Arc::new(facts.clone()), vec![Arc::new(k), Arc::new(x), Arc::new(n)]).unwrap();
        ctx.register_table("f", Arc::new(MemTable::try_new(Arc::new(facts), vec![vec![batch]]).unwrap())).unwrap();
        let dims = Schema::new(vec![Field::new("k", DataType::Int32, true), Field::new("name", DataType::Utf8, true)]);
        let keys: Int32Array = [0, 1, 2, 3, 3, 4, 5, 6, 7, 8].into_iter().map(Some).collect();
        let names = StringArray::from(vec!["a", "b", "a", "c", "c2", "d", "e", "a", "f", "g"]);
        let batch = RecordBatch::try_new(Arc::new(dims.clone()), vec![Arc::new(keys), Arc::new(names)]).unwrap();
        ctx.register_table("d", Arc::new(MemTable::try_new(Arc::new(dims), vec![vec![batch]]).unwrap())).unwrap();
        ctx
    }

    async fn rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        text.lines().map(str::to_string).collect()
    }

    /// The rewritten plan answers exactly as DataFusion's own plan, and is used.
    #[tokio::test]
    async fn eager_aggregation_keeps_the_answers() {
        let queries = [
            "SELECT d.name, count(*) AS c, sum(f.x) AS s, min(f.n), max(f.x) FROM f JOIN d ON f.k = d.k GROUP BY d.name ORDER BY d.name",
            "SELECT d.name, avg(f.x) AS a, avg(f.n) AS an, count(f.x) FROM d JOIN f ON d.k = f.k GROUP BY d.name ORDER BY d.name",
            "SELECT name, count(*) FROM f JOIN d ON f.k = d.k GROUP BY name ORDER BY 2 DESC, 1 LIMIT 3",
        ];
        let (plain, eager) = (context(false), context(true));
        for sql in queries {
            assert_eq!(rows(&eager, sql).await, rows(&plain, sql).await, "{sql}");
            let plan = rows(&eager, &format!("EXPLAIN {sql}")).await.join("\n");
            assert!(plan.contains(PARTIAL), "the rule applies to {sql}:\n{plan}");
        }
    }

    #[tokio::test]
    async fn other_shapes_are_left_alone() {
        let ctx = context(true);
        for sql in [
            "SELECT d.name, count(DISTINCT f.n) FROM f JOIN d ON f.k = d.k GROUP BY d.name",
            "SELECT d.name, f.n, count(*) FROM f JOIN d ON f.k = d.k GROUP BY d.name, f.n",
            "SELECT d.name, count(*) FROM f LEFT JOIN d ON f.k = d.k GROUP BY d.name",
            "SELECT d.name, sum(f.x + d.k) FROM f JOIN d ON f.k = d.k GROUP BY d.name",
        ] {
            let plan = rows(&ctx, &format!("EXPLAIN {sql}")).await.join("\n");
            assert!(!plan.contains(PARTIAL), "{sql}:\n{plan}");
            rows(&ctx, sql).await;
        }
    }
}
