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
pub mod intervals;
pub mod json;
pub mod lambda;
pub mod maps;
pub mod math;
pub mod percentile;
pub mod refuse;
pub mod regex;
pub mod rewrite;
pub mod session;
pub mod strings;
pub mod timestamp_text;
pub mod tokens;
pub mod try_fn;
pub mod types;
pub mod udf;
pub mod unnest;
pub mod values;

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

type Rule = std::sync::Arc<dyn datafusion::optimizer::AnalyzerRule + Send + Sync>;

/// DataFusion's analyzer rules with Trino's integer literals and operand checks before type
/// coercion and checked arithmetic, Trino's casts and IEEE comparisons after it. Built once: every
/// query's session shares them.
pub fn analyzer_rules() -> Vec<Rule> {
    static RULES: std::sync::LazyLock<Vec<Rule>> = std::sync::LazyLock::new(|| {
        let mut rules = datafusion::optimizer::Analyzer::new().rules;
        rules.insert(0, std::sync::Arc::new(analyzer::IntegerLiterals));
        rules.insert(1, std::sync::Arc::new(analyzer::StrictOperands));
        rules.push(std::sync::Arc::new(analyzer::CheckedArithmetic::default()));
        rules.push(std::sync::Arc::new(analyzer::TrinoCasts::default()));
        rules.push(std::sync::Arc::new(analyzer::IeeeComparisons::default()));
        rules
    });
    RULES.clone()
}

/// The plan after the analyzer: its schema has the types the rows will have (a `DataFrame`
/// reports the schema of the plan it was given, before the literal rule narrowed integers).
pub fn analyzed(
    state: &datafusion::execution::SessionState,
    plan: datafusion::logical_expr::LogicalPlan,
) -> Result<datafusion::logical_expr::LogicalPlan> {
    state.analyzer().execute_and_check(plan, state.config_options(), |_, _| {})
}

/// The Trino functions, built once (their closures and caches are shared by every query).
fn all_functions() -> &'static (Vec<datafusion::logical_expr::ScalarUDF>, Vec<datafusion::logical_expr::AggregateUDF>) {
    static FUNCTIONS: std::sync::LazyLock<(
        Vec<datafusion::logical_expr::ScalarUDF>,
        Vec<datafusion::logical_expr::AggregateUDF>,
    )> = std::sync::LazyLock::new(|| {
        let scalars = [
            strings::functions(),
            regex::functions(),
            binary::functions(),
            math::functions(),
            datetime::functions(),
            intervals::functions(),
            session::functions(),
            json::functions(),
            collections::functions(),
            maps::functions(),
            lambda::functions(),
            unnest::functions(),
            casts::functions(),
            timestamp_text::functions(),
            vec![try_fn::TryFunction::udf()],
        ]
        .into_iter()
        .flatten()
        .collect();
        (scalars, [aggregates::functions(), percentile::functions()].concat())
    });
    &FUNCTIONS
}

/// Registers the Trino functions on a session (after DataFusion's own, which some replace).
pub fn register(ctx: &SessionContext) -> Result<()> {
    let (scalars, aggregates) = all_functions();
    for f in scalars {
        ctx.register_udf(f.clone());
    }
    for f in aggregates {
        ctx.register_udaf(f.clone());
    }
    Ok(())
}
