//! Athena's SQL dialect (Trino, engine v3) on DataFusion: token rewrites for forms DataFusion's
//! parser cannot read ([`tokens`]), AST rewrites for forms it reads but plans differently
//! ([`rewrite`]), and a pack of Trino functions ([`register`]). Everything here is pure and
//! unit-tested; `tests/trino/*.test` is the end-to-end corpus (docs/SQL.md quotes its pass rate).

pub mod aggregates;
pub mod analyzer;
pub mod binary;
pub mod casts;
pub mod collections;
pub mod datetime;
pub mod fast;
pub mod json;
pub mod lambda;
pub mod maps;
pub mod math;
pub mod regex;
pub mod rewrite;
pub mod strings;
pub mod tokens;
pub mod types;
pub mod udf;
pub mod unnest;
pub mod values;

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

/// DataFusion's analyzer rules with Trino's integer literals before type coercion and checked
/// integer arithmetic after it.
pub fn analyzer_rules() -> Vec<std::sync::Arc<dyn datafusion::optimizer::AnalyzerRule + Send + Sync>> {
    let mut rules = datafusion::optimizer::Analyzer::new().rules;
    rules.insert(0, std::sync::Arc::new(analyzer::IntegerLiterals));
    rules.insert(1, std::sync::Arc::new(analyzer::StrictOperands));
    rules.push(std::sync::Arc::new(analyzer::CheckedArithmetic::default()));
    rules.push(std::sync::Arc::new(analyzer::TrinoCasts::default()));
    rules.push(std::sync::Arc::new(analyzer::IeeeComparisons::default()));
    rules
}

/// The plan after the analyzer: its schema has the types the rows will have (a `DataFrame`
/// reports the schema of the plan it was given, before the literal rule narrowed integers).
pub fn analyzed(
    ctx: &SessionContext,
    plan: datafusion::logical_expr::LogicalPlan,
) -> Result<datafusion::logical_expr::LogicalPlan> {
    let state = ctx.state();
    state.analyzer().execute_and_check(plan, state.config_options(), |_, _| {})
}

/// Registers the Trino functions on a session (after DataFusion's own, which some replace).
pub fn register(ctx: &SessionContext) -> Result<()> {
    let all = [
        strings::functions(),
        regex::functions(),
        binary::functions(),
        math::functions(),
        datetime::functions(),
        json::functions(),
        collections::functions(),
        maps::functions(),
        lambda::functions(),
        unnest::functions(),
        casts::functions(),
    ];
    for f in all.into_iter().flatten() {
        ctx.register_udf(f);
    }
    for f in aggregates::functions() {
        ctx.register_udaf(f);
    }
    Ok(())
}
