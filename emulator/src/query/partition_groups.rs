//! GROUP BY a partition key: one aggregation per partition value.
//!
//! A report grouped by a partition key and a column (`GROUP BY month, pulocationid`) makes
//! DataFusion hash and compare the partition's text on every row, although it is the same for
//! every row of a file: at 10M trips the query took twice as long as `GROUP BY pulocationid`
//! alone. When the table's registered partitions have a few distinct values of the grouped keys,
//! the aggregation is planned once per value, over that value's partitions only, grouped by the
//! other keys, with the value put back as a constant:
//!
//! ```text
//! Aggregate(p, k; aggs)              Union( Projection('v1' AS p, k, aggs)
//!   ... TableScan(t)          ==>              Aggregate(k; aggs)
//!                                                ... TableScan(t, p = 'v1')
//!                                           , ... one branch per value of p )
//! ```
//!
//! It is exact for every aggregate: rows of different partition values are in different groups
//! anyway, and every row the scan reads belongs to a registered partition. It applies only when
//! the aggregate's input is the table's scan under filters and plain projections, when some group
//! keys are not partition keys (a branch without group keys would answer one row even when its
//! partition has none), and for 2 to [`MAX_BRANCHES`] values. Tables with partition projection
//! are left alone (their partitions are computed, possibly many).

use super::provider::GlueTable;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, Projection, TableScan, lit};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use std::sync::Arc;

/// At most this many branches (distinct values of the grouped partition keys): every branch
/// scans with its own partitions of work, all running at once (the 3-month benchmark's peak RSS
/// went from 172 to 231 MiB), so the rule stops at a year of months.
pub const MAX_BRANCHES: usize = 16;

/// The rule (added after DataFusion's own rules).
#[derive(Debug, Default)]
pub struct PartitionGroups;

impl OptimizerRule for PartitionGroups {
    fn name(&self) -> &str {
        "lakebox_partition_groups"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        super::rewritten_or_kept(plan, "partition_groups", rewrite)
    }
}

/// The scan under filters, plain-column projections and aliases.
fn scan_below(plan: &LogicalPlan) -> Option<&TableScan> {
    match plan {
        LogicalPlan::TableScan(s) => Some(s),
        LogicalPlan::Filter(f) => scan_below(&f.input),
        LogicalPlan::Projection(p) if p.expr.iter().all(|e| matches!(e, Expr::Column(_))) => scan_below(&p.input),
        LogicalPlan::SubqueryAlias(a) => scan_below(&a.input),
        _ => None,
    }
}

/// `plan` with `predicate` added to the filters of its scan (the provider prunes partitions
/// with it, exactly).
fn with_scan_filter(plan: &LogicalPlan, predicate: &Expr) -> Result<LogicalPlan> {
    match plan {
        LogicalPlan::TableScan(s) => {
            let mut s = s.clone();
            s.filters.push(predicate.clone());
            Ok(LogicalPlan::TableScan(s))
        }
        other => {
            let inputs =
                other.inputs().into_iter().map(|i| with_scan_filter(i, predicate)).collect::<Result<Vec<_>>>()?;
            other.with_new_exprs(other.expressions(), inputs)
        }
    }
}

fn rewrite(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Aggregate(agg) = plan else { return Ok(None) };
    if agg.group_expr.is_empty() || !agg.group_expr.iter().all(|e| matches!(e, Expr::Column(_))) {
        return Ok(None);
    }
    let Some(scan) = scan_below(&agg.input) else { return Ok(None) };
    if scan.fetch.is_some() {
        return Ok(None);
    }
    let Ok(provider) = source_as_provider(&scan.source) else { return Ok(None) };
    let Some(table) = provider.as_ref().downcast_ref::<GlueTable>() else { return Ok(None) };
    let names = table.partition_key_names();
    // (position in GROUP BY, index of the partition key) of the grouped partition keys.
    let grouped: Vec<(usize, usize)> = agg
        .group_expr
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Expr::Column(c) => names.iter().position(|n| *n == c.name).map(|k| (i, k)),
            _ => None,
        })
        .collect();
    if grouped.is_empty() || grouped.len() == agg.group_expr.len() {
        return Ok(None);
    }
    let keys: Vec<usize> = grouped.iter().map(|(_, k)| *k).collect();
    let Some(tuples) = table.distinct_partition_values(&keys, MAX_BRANCHES) else { return Ok(None) };
    if tuples.len() < 2 {
        return Ok(None);
    }
    let rest: Vec<Expr> = agg
        .group_expr
        .iter()
        .enumerate()
        .filter(|(i, _)| !grouped.iter().any(|(g, _)| g == i))
        .map(|(_, e)| e.clone())
        .collect();
    let mut branches = Vec::with_capacity(tuples.len());
    for tuple in &tuples {
        let predicate = conjunction(keys.iter().zip(tuple).map(|(k, v)| {
            let column = Expr::Column(Column::new(Some(scan.table_name.clone()), names[*k].clone()));
            if v.is_null() { column.is_null() } else { column.eq(lit(v.clone())) }
        }))
        .expect("at least one key");
        let input = with_scan_filter(&agg.input, &predicate)?;
        let inner = LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(input), rest.clone(), agg.aggr_expr.clone())?);
        let inner_schema = inner.schema().clone();
        let mut exprs = Vec::with_capacity(agg.schema.fields().len());
        for (i, (qualifier, field)) in agg.schema.iter().enumerate() {
            exprs.push(match grouped.iter().position(|(g, _)| *g == i) {
                Some(j) => lit(tuple[j].clone()).alias_qualified(qualifier.cloned(), field.name()),
                None => {
                    let (q, f) = inner_schema.qualified_field_with_name(qualifier, field.name())?;
                    Expr::Column(Column::from((q, f)))
                }
            });
        }
        branches.push(LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(inner))?));
    }
    let mut builder = LogicalPlanBuilder::from(branches.remove(0));
    for b in branches {
        builder = builder.union(b)?;
    }
    let union = builder.build()?;
    // The same qualified names and types as the aggregate had, for the plan above.
    let union_schema = union.schema().clone();
    let exprs: Vec<Expr> = union_schema
        .iter()
        .zip(agg.schema.iter())
        .map(|((uq, uf), (q, f))| Expr::Column(Column::from((uq, uf))).alias_qualified(q.cloned(), f.name()))
        .collect();
    Ok(Some(LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(union))?)))
}
