//! Analyzer rules for Trino's typing and arithmetic.
//!
//! - [`IntegerLiterals`] (before type coercion): an integer literal that fits in 32 bits is an
//!   `integer`, as in Trino (`typeof(1)` is `integer`, `typeof(2147483648)` is `bigint`).
//!   DataFusion's parser makes every integer literal an `Int64`. `LIMIT`/`OFFSET` counts and the
//!   arguments of window functions (`lag(x, 2)`, `ntile(4)`) keep theirs.
//! - [`CheckedArithmetic`] (after type coercion): `+`, `-` and `*` on integers fail with
//!   `NUMERIC_VALUE_OUT_OF_RANGE` on overflow, as Trino does, where DataFusion wraps around
//!   (`9223372036854775807 * 2` would be `-2`).

use super::udf::is_text;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprSchemable as _, LogicalPlan, LogicalPlanBuilder, Operator, ScalarUDF,
};
use datafusion::optimizer::AnalyzerRule;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct IntegerLiterals;

fn narrow(e: Expr) -> Result<Transformed<Expr>> {
    match e {
        // Window functions take their offsets and bucket counts as 64-bit literals.
        Expr::WindowFunction(_) => Ok(Transformed::new(e, false, TreeNodeRecursion::Jump)),
        // `count(*)` is DataFusion's `count(Int64(1))`, kept 64-bit: the optimizer answers only
        // that literal from exact row counts (Parquet footers, `GlueTable::scan`).
        Expr::AggregateFunction(ref f)
            if f.func.name() == "count"
                && f.params.filter.is_none()
                && f.params.order_by.is_empty()
                && matches!(f.params.args.as_slice(), [Expr::Literal(ScalarValue::Int64(Some(1)), _)]) =>
        {
            Ok(Transformed::new(e, false, TreeNodeRecursion::Jump))
        }
        Expr::Literal(ScalarValue::Int64(Some(v)), meta) if i32::try_from(v).is_ok() => {
            Ok(Transformed::yes(Expr::Literal(ScalarValue::Int32(Some(v as i32)), meta)))
        }
        // `INTERVAL '3' MONTH` is an `interval year to month` in Trino, `INTERVAL '2' DAY` an
        // `interval day to second`; DataFusion makes both month-day-nano intervals.
        Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), meta) if v.days == 0 && v.nanoseconds == 0 => {
            Ok(Transformed::yes(Expr::Literal(ScalarValue::IntervalYearMonth(Some(v.months)), meta)))
        }
        Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), meta)
            if v.months == 0 && v.nanoseconds % 1_000_000 == 0 && i32::try_from(v.nanoseconds / 1_000_000).is_ok() =>
        {
            let millis = (v.nanoseconds / 1_000_000) as i32;
            Ok(Transformed::yes(Expr::Literal(
                ScalarValue::IntervalDayTime(Some(datafusion::arrow::datatypes::IntervalDayTime::new(v.days, millis))),
                meta,
            )))
        }
        other => Ok(Transformed::no(other)),
    }
}

/// A type with its 32-bit integers as 64-bit ones, inside arrays, maps and rows too.
fn widened(t: &DataType) -> DataType {
    use datafusion::arrow::datatypes::Field;
    let field = |f: &Field| Arc::new(f.clone().with_data_type(widened(f.data_type())));
    match t {
        DataType::Int32 => DataType::Int64,
        DataType::List(f) => DataType::List(field(f)),
        DataType::Map(f, sorted) => DataType::Map(field(f), *sorted),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(|f| field(f)).collect()),
        other => other.clone(),
    }
}

/// An expression with its 32-bit integer literals as Trino types them (for lambda bodies).
pub fn narrow_literals(e: Expr) -> Result<Expr> {
    e.transform_down(narrow).map(|t| t.data)
}

#[derive(Clone, Copy)]
enum Order {
    /// Parents first (a rewrite can stop the descent with `TreeNodeRecursion::Jump`).
    Down,
    /// Children first (a rewrite sees its arguments already rewritten).
    Up,
}

/// Rewrites every expression of one plan node, keeping the names its parents refer to, then
/// recomputes the node's schema (the rewrites may change types).
fn rewrite_exprs(
    plan: LogicalPlan,
    order: Order,
    f: impl Fn(Expr) -> Result<Transformed<Expr>>,
) -> Result<Transformed<LogicalPlan>> {
    let preserver = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = preserver.save(&expr);
        let t = match order {
            Order::Down => expr.transform_down(&f),
            Order::Up => expr.transform_up(&f),
        };
        t.map(|t| t.update_data(|e| name.restore(e)))
    })?
    .map_data(|p| p.recompute_schema())
}

impl AnalyzerRule for IntegerLiterals {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        // A recursive CTE keeps DataFusion's bigint literals: its recursive term reads a work
        // table typed from the unnarrowed static term (`SELECT 1 UNION ALL SELECT n + 1 FROM r`
        // would no longer match). Its columns are bigint where Trino's would be integer.
        let skip_recursive = |plan: LogicalPlan| {
            let recursive = matches!(plan, LogicalPlan::RecursiveQuery(_));
            Ok(Transformed::new(
                plan,
                false,
                if recursive { TreeNodeRecursion::Jump } else { TreeNodeRecursion::Continue },
            ))
        };
        plan.transform_down_up_with_subqueries(skip_recursive, |plan| match plan {
            LogicalPlan::Limit(_) => Ok(Transformed::no(plan)),
            LogicalPlan::Values(values) => {
                let mut changed = false;
                let rows: Vec<Vec<Expr>> = values
                    .values
                    .iter()
                    .map(|row| {
                        row.iter()
                            .zip(values.schema.fields())
                            .map(|(e, field)| {
                                let empty = datafusion::common::DFSchema::empty();
                                let e = match e {
                                    // A NULL the planner typed as bigint takes the other rows' type.
                                    Expr::Literal(ScalarValue::Int64(None), meta) => {
                                        changed = true;
                                        Expr::Literal(ScalarValue::Null, meta.clone())
                                    }
                                    // The planner casts each row to the rows' common type, found
                                    // while literals were still bigint: undo the casts that only
                                    // widen integers, so the common type is found again from the
                                    // narrowed rows (`MAP(ARRAY['x'], ARRAY[1])` next to a
                                    // `map(varchar, integer)` row).
                                    Expr::Cast(datafusion::logical_expr::Cast { expr, field: to })
                                        if to.data_type() == field.data_type()
                                            && expr.get_type(&empty).is_ok_and(|t| {
                                                &t != field.data_type() && &widened(&t) == field.data_type()
                                            }) =>
                                    {
                                        changed = true;
                                        (**expr).clone()
                                    }
                                    other => other.clone(),
                                };
                                let t = e.transform_down(narrow)?;
                                changed |= t.transformed;
                                Ok(t.data)
                            })
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<_>>()?;
                if !changed {
                    return Ok(Transformed::no(LogicalPlan::Values(values)));
                }
                // The schema is the rows' common types, as the SQL planner derived it.
                let rebuilt = LogicalPlanBuilder::values(rows)?.build()?;
                let renamed =
                    rebuilt.schema().fields().iter().zip(values.schema.fields()).all(|(a, b)| a.name() == b.name());
                if renamed { Ok(Transformed::yes(rebuilt)) } else { Ok(Transformed::no(LogicalPlan::Values(values))) }
            }
            LogicalPlan::Union(u) => {
                // A union keeps the schema it was built with; rebuild it from the narrowed inputs.
                let stale = u.inputs.iter().any(|i| {
                    i.schema().fields().iter().zip(u.schema.fields()).any(|(a, b)| a.data_type() != b.data_type())
                });
                if stale {
                    Ok(Transformed::yes(LogicalPlan::Union(datafusion::logical_expr::Union::try_new_with_loose_types(
                        u.inputs,
                    )?)))
                } else {
                    Ok(Transformed::no(LogicalPlan::Union(u)))
                }
            }
            other => rewrite_exprs(other, Order::Down, narrow),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "lakebox_integer_literals"
    }
}

#[derive(Debug)]
pub struct CheckedArithmetic {
    add: Arc<ScalarUDF>,
    subtract: Arc<ScalarUDF>,
    multiply: Arc<ScalarUDF>,
}

impl Default for CheckedArithmetic {
    fn default() -> Self {
        Self {
            add: Arc::new(checked("__lakebox_add", Operator::Plus)),
            subtract: Arc::new(checked("__lakebox_subtract", Operator::Minus)),
            multiply: Arc::new(checked("__lakebox_multiply", Operator::Multiply)),
        }
    }
}

fn checked(name: &str, op: Operator) -> ScalarUDF {
    use super::udf::{Udf, arity};
    Udf::new(
        name,
        arity(&[2]),
        |t| Ok(t[0].clone()),
        move |a| {
            use datafusion::arrow::compute::kernels::numeric::{add, mul, sub};
            let (l, r) = (a.get(0), a.get(1));
            let out: std::result::Result<ArrayRef, _> = match op {
                Operator::Plus => add(l, r),
                Operator::Minus => sub(l, r),
                _ => mul(l, r),
            };
            out.map_err(|e| match e {
                datafusion::arrow::error::ArrowError::ArithmeticOverflow(m) => {
                    datafusion::error::DataFusionError::Execution(format!(
                        "NUMERIC_VALUE_OUT_OF_RANGE: {} overflow: {m}",
                        crate::query::types::athena_type_name(l.data_type())
                    ))
                }
                other => other.into(),
            })
        },
    )
    .udf()
}

impl AnalyzerRule for CheckedArithmetic {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = datafusion::logical_expr::utils::merge_schema(&plan.inputs());
            let rewrite = |e: Expr| -> Result<Transformed<Expr>> {
                let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else { return Ok(Transformed::no(e)) };
                let (Ok(lt), Ok(rt)) = (left.get_type(&schema), right.get_type(&schema)) else {
                    return Ok(Transformed::no(e));
                };
                if let (Operator::Multiply, DataType::Decimal128(xp, xs), DataType::Decimal128(yp, ys)) = (op, &lt, &rt)
                {
                    // Trino's decimal product: precision min(38, xp + yp), scale xs + ys.
                    let to = DataType::Decimal128((*xp + *yp).min(38), *xs + *ys);
                    if e.get_type(&schema).ok().as_ref() == Some(&to) {
                        return Ok(Transformed::no(e));
                    }
                    return Ok(Transformed::yes(datafusion::logical_expr::cast(e, to)));
                }
                if let (Operator::Divide, DataType::Decimal128(xp, xs), DataType::Decimal128(_, ys)) = (op, &lt, &rt) {
                    // Trino's decimal quotient: precision min(38, xp + ys + max(0, ys - xs)),
                    // scale max(xs, ys), rounded half up (DataFusion keeps more digits).
                    let (xp, xs, ys) = (i16::from(*xp), i16::from(*xs), i16::from(*ys));
                    let scale = xs.max(ys);
                    let precision = (xp + ys + (ys - xs).max(0)).clamp(1, 38).max(scale);
                    let to = DataType::Decimal128(precision as u8, scale as i8);
                    if e.get_type(&schema).ok().as_ref() == Some(&to) {
                        return Ok(Transformed::no(e));
                    }
                    return Ok(Transformed::yes(datafusion::logical_expr::cast(e, to)));
                }
                let udf = match op {
                    Operator::Plus => &self.add,
                    Operator::Minus => &self.subtract,
                    Operator::Multiply => &self.multiply,
                    _ => return Ok(Transformed::no(e)),
                };
                if !(lt.is_integer() && lt == rt) {
                    return Ok(Transformed::no(e));
                }
                let Expr::BinaryExpr(BinaryExpr { left, right, .. }) = e else { unreachable!("matched above") };
                Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(udf.clone(), vec![*left, *right]))))
            };
            rewrite_exprs(plan, Order::Up, rewrite)
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "lakebox_checked_arithmetic"
    }
}

/// Before type coercion: comparing or combining a string with a number, a date or a timestamp
/// fails as in Trino (`'a' = 1` is `TYPE_MISMATCH: Cannot apply operator: varchar = integer`,
/// `date_col = '2024-01-01'` is Athena's familiar `Cannot apply operator: date = varchar`), where
/// DataFusion would cast the string; likewise in `IN` lists, `BETWEEN`, `COALESCE` and the branches of
/// `CASE`.
#[derive(Debug, Default)]
pub struct StrictOperands;

fn is_temporal(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64 | DataType::Timestamp(..))
}

/// Types Trino has no implicit coercion between: text and a number, date or timestamp.
fn incompatible(l: &DataType, r: &DataType) -> bool {
    let other = |t: &DataType| t.is_numeric() || is_temporal(t);
    (is_text(l) && other(r)) || (other(l) && is_text(r))
}

/// Two of `types` that have no common type.
fn incompatible_pair(types: &[DataType]) -> Option<(&DataType, &DataType)> {
    types.iter().enumerate().find_map(|(i, a)| types[i + 1..].iter().find(|b| incompatible(a, b)).map(|b| (a, b)))
}

fn mismatch(message: String) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Plan(format!("TYPE_MISMATCH: line 1:1: {message}"))
}

impl AnalyzerRule for StrictOperands {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        use datafusion::logical_expr::{Between, Case, expr::InList};
        let name = |t: &DataType| crate::query::types::athena_type_name(t);
        plan.apply_with_subqueries(|plan| {
            match plan {
                // `SELECT 1 UNION ALL SELECT 'a'`: DataFusion unions them as text.
                LogicalPlan::Union(u) => {
                    let columns = u.inputs.first().map_or(0, |i| i.schema().fields().len());
                    for c in 0..columns {
                        let types: Vec<DataType> = u
                            .inputs
                            .iter()
                            .filter_map(|i| i.schema().fields().get(c).map(|f| f.data_type().clone()))
                            .collect();
                        if let Some((a, b)) = incompatible_pair(&types) {
                            return Err(mismatch(format!(
                                "column {} in UNION query has incompatible types: {}, {}",
                                c + 1,
                                name(a),
                                name(b)
                            )));
                        }
                    }
                }
                // Equi-join keys (`USING (k)`, INTERSECT and EXCEPT, which DataFusion plans as
                // joins) of text against a number, date or timestamp.
                LogicalPlan::Join(j) => {
                    for (l, r) in &j.on {
                        if let (Ok(lt), Ok(rt)) = (l.get_type(j.left.schema()), r.get_type(j.right.schema()))
                            && incompatible(&lt, &rt)
                        {
                            return Err(mismatch(format!("Cannot apply operator: {} = {}", name(&lt), name(&rt))));
                        }
                    }
                }
                _ => {}
            }
            let schema = datafusion::logical_expr::utils::merge_schema(&plan.inputs());
            let ty = |e: &Expr| e.get_type(&schema).ok();
            plan.apply_expressions(|e| {
                e.apply(|e| {
                    match e {
                        // `x IN (SELECT text ...)` for a number, date or timestamp `x`.
                        Expr::InSubquery(datafusion::logical_expr::expr::InSubquery { expr, subquery, .. }) => {
                            if let Some(l) = ty(expr)
                                && let Some(field) = subquery.subquery.schema().fields().first()
                                && incompatible(&l, field.data_type())
                            {
                                return Err(mismatch(format!(
                                    "value and result of subquery must be of the same type for IN expression: {} vs {}",
                                    name(&l),
                                    name(field.data_type())
                                )));
                            }
                        }
                        Expr::BinaryExpr(BinaryExpr { left, op, right })
                            if op.supports_propagation()
                                || matches!(
                                    op,
                                    Operator::Plus
                                        | Operator::Minus
                                        | Operator::Multiply
                                        | Operator::Divide
                                        | Operator::Modulo
                                ) =>
                        {
                            if let (Some(l), Some(r)) = (ty(left), ty(right))
                                && incompatible(&l, &r)
                            {
                                return Err(mismatch(format!("Cannot apply operator: {} {op} {}", name(&l), name(&r))));
                            }
                        }
                        Expr::InList(InList { expr, list, .. }) => {
                            if let Some(l) = ty(expr)
                                && let Some(r) = list.iter().filter_map(ty).find(|r| incompatible(&l, r))
                            {
                                return Err(mismatch(format!(
                                    "IN value and list items must be the same type: {} and {}",
                                    name(&l),
                                    name(&r)
                                )));
                            }
                        }
                        Expr::Between(Between { expr, low, high, .. }) => {
                            if let Some(l) = ty(expr)
                                && let Some(r) = [low, high].into_iter().filter_map(|b| ty(b)).find(|r| incompatible(&l, r))
                            {
                                return Err(mismatch(format!(
                                    "Cannot check if {} is BETWEEN {} and {}",
                                    name(&l),
                                    name(&r),
                                    name(&r)
                                )));
                            }
                        }
                        Expr::Case(Case { when_then_expr, else_expr, .. }) => {
                            let results: Vec<DataType> = when_then_expr
                                .iter()
                                .map(|(_, then)| then.as_ref())
                                .chain(else_expr.as_deref())
                                .filter_map(ty)
                                .collect();
                            if let Some((a, b)) = incompatible_pair(&results) {
                                return Err(mismatch(format!(
                                    "All CASE results must be the same type or coercible to a common type. Cannot find common type between {} and {}",
                                    name(a),
                                    name(b)
                                )));
                            }
                        }
                        Expr::ScalarFunction(f) if f.name() == "coalesce" => {
                            let types: Vec<DataType> = f.args.iter().filter_map(ty).collect();
                            if let Some((a, b)) = incompatible_pair(&types) {
                                return Err(mismatch(format!(
                                    "All COALESCE operands must be the same type or coercible to a common type. Cannot find common type between {} and {}",
                                    name(a),
                                    name(b)
                                )));
                            }
                        }
                        _ => {}
                    }
                    Ok(TreeNodeRecursion::Continue)
                })
            })
        })?;
        Ok(plan)
    }

    fn name(&self) -> &str {
        "lakebox_strict_operands"
    }
}

/// After type coercion: Trino's casts where DataFusion's differ. A double or decimal cast to an
/// integer rounds half away from zero (`CAST(2.5E0 AS integer)` is 3; DataFusion truncates);
/// a timestamp cast to varchar reads `2024-01-02 03:04:05.100` (DataFusion writes a `T`); a
/// double cast to varchar is printed as Java prints it (`1.0E20`, DataFusion writes `1e20`);
/// text cast to a timestamp or date is read by Trino's rules (`timestamp_text`). And the other
/// rewrites that need the coerced types: the decimal result types of round/ceil/floor/truncate,
/// `concat_ws` over an array, and the nullable column of an uncorrelated scalar subquery.
#[derive(Debug)]
pub struct TrinoCasts {
    round: Arc<ScalarUDF>,
    integer_text: Arc<ScalarUDF>,
    double_text: Arc<ScalarUDF>,
    timestamp_text: Arc<ScalarUDF>,
    local_time: Arc<ScalarUDF>,
    json_text: Arc<ScalarUDF>,
    text_timestamp: Arc<ScalarUDF>,
    text_date: Arc<ScalarUDF>,
    double_decimal: Arc<ScalarUDF>,
    nullable: Arc<ScalarUDF>,
}

impl Default for TrinoCasts {
    fn default() -> Self {
        use super::udf::{Udf, arity};
        let timestamp_text = Udf::new(
            "__lakebox_timestamp_text",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| {
                if let Some(out) = super::fast::timestamp_text(a)? {
                    return Ok(out);
                }
                super::values::rowwise(a, |r| {
                    Ok(ScalarValue::Utf8(super::datetime::instant(&r[0]).map(|i| {
                        super::datetime::local(&i).format("%Y-%m-%d %H:%M:%S%.3f").to_string()
                            + &i.zone.as_deref().map(|z| format!(" {z}")).unwrap_or_default()
                    })))
                })
            },
        )
        .udf();
        let local_time = Udf::new(
            "__lakebox_local_time",
            arity(&[1]),
            |_| Ok(DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, None)),
            |a| {
                super::values::rowwise(a, |r| {
                    Ok(ScalarValue::TimestampMillisecond(
                        super::datetime::instant(&r[0])
                            .map(|i| super::datetime::local(&i).and_utc().timestamp_millis()),
                        None,
                    ))
                })
            },
        )
        .udf();
        // CAST(json AS varchar): a JSON string's text, a number's digits; arrays and objects fail.
        let json_text = Udf::new(
            "__lakebox_json_text",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| {
                super::values::rowwise(a, |r| {
                    let Some(s) = super::values::text(&r[0]) else { return Ok(ScalarValue::Utf8(None)) };
                    match serde_json::from_str::<serde_json::Value>(s) {
                        Ok(serde_json::Value::Null) => Ok(ScalarValue::Utf8(None)),
                        Ok(v) => super::json::scalar_text(&v)
                            .map(|t| ScalarValue::Utf8(Some(t)))
                            .ok_or_else(|| super::udf::invalid_cast(format!("Cannot cast '{s}' to varchar"))),
                        Err(_) => Err(super::udf::invalid_cast(format!("Cannot cast '{s}' to varchar"))),
                    }
                })
            },
        )
        .udf();
        // CAST(integer AS varchar), also the casts coercion puts on integers (`'a' || id`).
        let integer_text = Udf::new(
            "__lakebox_integer_text",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| match super::fast::integer_text(a)? {
                Some(out) => Ok(out),
                None => Ok(datafusion::arrow::compute::cast(a.get(0), &DataType::Utf8)?),
            },
        )
        .udf();
        // CAST(double AS varchar) as Java prints doubles, as Trino does: `1.0E20`, `1.5E-7`,
        // `-Infinity` (arrow writes `1e20`, `1.5e-7`, `-inf`).
        let double_text = Udf::new(
            "__lakebox_double_text",
            arity(&[1]),
            |_| Ok(DataType::Utf8),
            |a| {
                use datafusion::arrow::array::{AsArray, StringArray};
                use datafusion::arrow::datatypes::{Float32Type, Float64Type};
                let x = a.get(0);
                let out: StringArray = match x.data_type() {
                    DataType::Float64 => x
                        .as_primitive::<Float64Type>()
                        .iter()
                        .map(|v| v.map(crate::query::results::java_double))
                        .collect(),
                    DataType::Float32 => x
                        .as_primitive::<Float32Type>()
                        .iter()
                        .map(|v| v.map(crate::query::results::java_float))
                        .collect(),
                    _ => return Ok(datafusion::arrow::compute::cast(x, &DataType::Utf8)?),
                };
                Ok(Arc::new(out))
            },
        )
        .udf();
        Self {
            round: datafusion::functions::math::round(),
            integer_text: Arc::new(integer_text),
            double_text: Arc::new(double_text),
            timestamp_text: Arc::new(timestamp_text),
            local_time: Arc::new(local_time),
            json_text: Arc::new(json_text),
            text_timestamp: Arc::new(super::timestamp_text::cast_udf()),
            text_date: Arc::new(super::timestamp_text::date_cast_udf()),
            double_decimal: Arc::new(super::casts::double_decimal_udf()),
            // Volatile so that constant folding keeps it (a folded literal is non-nullable again).
            nullable: Arc::new(
                Udf::new(
                    "__lakebox_nullable",
                    super::udf::arity_with(&[1], datafusion::logical_expr::Volatility::Volatile),
                    |t| Ok(t[0].clone()),
                    |a| Ok(a.get(0).clone()),
                )
                .udf(),
            ),
        }
    }
}

impl AnalyzerRule for TrinoCasts {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        use datafusion::logical_expr::{Cast, TryCast};
        plan.transform_up_with_subqueries(|plan| {
            let schema = datafusion::logical_expr::utils::merge_schema(&plan.inputs());
            let rewrite = |e: Expr| -> Result<Transformed<Expr>> {
                // concat_ws(sep, array) joins the array's non-NULL elements, as Trino's does
                // (DataFusion's coerced the array to its text, `[a, b]`).
                if let Expr::ScalarFunction(f) = &e
                    && f.name() == "concat_ws"
                    && let [sep, arg] = f.args.as_slice()
                {
                    let list = match arg {
                        Expr::Cast(datafusion::logical_expr::Cast { expr, .. }) => expr.as_ref(),
                        other => other,
                    };
                    if matches!(list.get_type(&schema), Ok(DataType::List(_) | DataType::LargeList(_))) {
                        let join = datafusion::functions_nested::string::array_to_string_udf();
                        let args = vec![list.clone(), sep.clone()];
                        return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(join, args))));
                    }
                }
                // An uncorrelated scalar subquery is NULL when it has no row, but DataFusion types
                // it as its column (`(SELECT 1 WHERE false)` would be a non-nullable column
                // holding a NULL, and the batch fails): its column is made nullable.
                if let Expr::ScalarSubquery(sq) = &e
                    && sq.outer_ref_columns.is_empty()
                    && sq.subquery.schema().fields().len() == 1
                    && !sq.subquery.schema().field(0).is_nullable()
                {
                    let (qualifier, field) = sq.subquery.schema().qualified_field(0);
                    let column = Expr::Column(datafusion::common::Column::new(qualifier.cloned(), field.name()));
                    let wrapped = Expr::ScalarFunction(ScalarFunction::new_udf(self.nullable.clone(), vec![column]))
                        .alias(field.name());
                    let plan = datafusion::logical_expr::Projection::try_new(vec![wrapped], sq.subquery.clone())?;
                    let mut sq = sq.clone();
                    sq.subquery = Arc::new(LogicalPlan::Projection(plan));
                    return Ok(Transformed::yes(Expr::ScalarSubquery(sq)));
                }
                // round/ceil/floor/truncate of a decimal: Trino's result types (round(x, d) is
                // decimal(p + 1, s); round(x), ceil(x), floor(x) are decimal(p - s + 1, 0);
                // truncate(x) is decimal(max(1, p - s), 0) and truncate(x, d) decimal(p, s)).
                if let Expr::ScalarFunction(f) = &e
                    && matches!(f.name(), "round" | "ceil" | "floor" | "trunc")
                    && let Some(Ok(DataType::Decimal128(p, s))) = f.args.first().map(|a| a.get_type(&schema))
                {
                    let to = if f.name() == "round" && f.args.len() == 2 {
                        DataType::Decimal128((p + 1).min(38), s)
                    } else if f.name() == "trunc" && f.args.len() == 2 {
                        DataType::Decimal128(p, s)
                    } else if f.name() == "trunc" {
                        DataType::Decimal128((p as i16 - s as i16).clamp(1, 38) as u8, 0)
                    } else {
                        DataType::Decimal128((p as i16 - s as i16 + i16::from(s > 0)).clamp(1, 38) as u8, 0)
                    };
                    if e.get_type(&schema).ok().as_ref() != Some(&to) {
                        return Ok(Transformed::yes(datafusion::logical_expr::cast(e, to)));
                    }
                    return Ok(Transformed::no(e));
                }
                let (inner, to, is_try) = match &e {
                    Expr::Cast(Cast { expr, field }) => (expr, field.data_type().clone(), false),
                    Expr::TryCast(TryCast { expr, field }) => (expr, field.data_type().clone(), true),
                    _ => return Ok(Transformed::no(e)),
                };
                let Ok(from) = inner.get_type(&schema) else { return Ok(Transformed::no(e)) };
                let rounded = |x: Expr| {
                    let as_double = if matches!(from, DataType::Float64) {
                        x
                    } else {
                        datafusion::logical_expr::cast(x, DataType::Float64)
                    };
                    Expr::ScalarFunction(ScalarFunction::new_udf(self.round.clone(), vec![as_double]))
                };
                if to.is_integer()
                    && (from.is_floating() || matches!(from, DataType::Decimal128(..) | DataType::Decimal256(..)))
                {
                    let x = rounded((**inner).clone());
                    let out = if is_try {
                        datafusion::logical_expr::try_cast(x, to)
                    } else {
                        datafusion::logical_expr::cast(x, to)
                    };
                    return Ok(Transformed::yes(out));
                }
                // Text to `timestamp(p)` by Trino's rules (optional seconds, no `T`, zone ignored).
                if let DataType::Timestamp(unit, None) = &to
                    && is_text(&from)
                {
                    let x = (**inner).clone();
                    return Ok(Transformed::yes(super::timestamp_text::cast_expr(
                        &self.text_timestamp,
                        x,
                        *unit,
                        is_try,
                    )));
                }
                // A double or real to `decimal(p, s)`: its shortest digits rounded half up.
                if let DataType::Decimal128(p, s) = to
                    && matches!(from, DataType::Float64 | DataType::Float32)
                {
                    use datafusion::logical_expr::lit;
                    let args = vec![(**inner).clone(), lit(i64::from(p)), lit(i64::from(s)), lit(is_try)];
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.double_decimal.clone(),
                        args,
                    ))));
                }
                // Text to `date`: trimmed, and only a date (Trino's `Value cannot be cast to date`).
                if matches!(to, DataType::Date32) && is_text(&from) {
                    let args = vec![(**inner).clone(), datafusion::logical_expr::lit(is_try)];
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.text_date.clone(),
                        args,
                    ))));
                }
                if let (DataType::Timestamp(_, Some(_)), DataType::Timestamp(_, None)) = (&from, &to) {
                    // Trino keeps the wall-clock time and drops the zone.
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.local_time.clone(),
                        vec![(**inner).clone()],
                    ))));
                }
                if is_text(&to) && inner.to_field(&schema).is_ok_and(|(_, f)| super::types::is_json(&f)) {
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.json_text.clone(),
                        vec![(**inner).clone()],
                    ))));
                }
                if matches!(to, DataType::Utf8) && from.is_integer() {
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.integer_text.clone(),
                        vec![(**inner).clone()],
                    ))));
                }
                if is_text(&to) && matches!(from, DataType::Float64 | DataType::Float32) {
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.double_text.clone(),
                        vec![(**inner).clone()],
                    ))));
                }
                if is_text(&to) && matches!(from, DataType::Timestamp(..)) {
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                        self.timestamp_text.clone(),
                        vec![(**inner).clone()],
                    ))));
                }
                Ok(Transformed::no(e))
            };
            rewrite_exprs(plan, Order::Up, rewrite)
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "lakebox_trino_casts"
    }
}

/// After type coercion: comparisons of doubles follow IEEE 754 as in Trino: NaN is not equal
/// to, less or greater than anything, and `<>` everything (DataFusion orders floats totally, so
/// `nan() = nan()` would be true). `a < b` becomes `a < b AND NOT (__lakebox_isnan(a) OR ...)`
/// for the sides that can be NaN; a wrapped comparison is recognised and left alone, so the
/// rule can run twice.
#[derive(Debug)]
pub struct IeeeComparisons {
    isnan: Arc<ScalarUDF>,
}

impl Default for IeeeComparisons {
    fn default() -> Self {
        use super::udf::{Udf, arity};
        let isnan = Udf::new(
            "__lakebox_isnan",
            arity(&[1]),
            |_| Ok(DataType::Boolean),
            |a| {
                use datafusion::arrow::array::{Array, AsArray, BooleanArray};
                let x = datafusion::arrow::compute::cast(a.get(0), &DataType::Float64)?;
                let x = x.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
                // One pass over the values into a bitmap; the NULLs stay NULL.
                let bits = datafusion::arrow::buffer::BooleanBuffer::collect_bool(x.len(), |i| x.value(i).is_nan());
                Ok(Arc::new(BooleanArray::new(bits, x.nulls().cloned())))
            },
        )
        .udf();
        Self { isnan: Arc::new(isnan) }
    }
}

fn is_guard(e: &Expr) -> bool {
    let isnan = |e: &Expr| matches!(e, Expr::ScalarFunction(f) if f.name() == "__lakebox_isnan");
    match e {
        Expr::Not(inner) => is_guard(inner),
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => is_guard(left) && is_guard(right),
        other => isnan(other),
    }
}

impl AnalyzerRule for IeeeComparisons {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = datafusion::logical_expr::utils::merge_schema(&plan.inputs());
            let rewrite = |e: Expr| -> Result<Transformed<Expr>> {
                // Already guarded: `cmp AND NOT guard` or `cmp OR guard`.
                if let Expr::BinaryExpr(BinaryExpr { op: Operator::And | Operator::Or, right, .. }) = &e
                    && is_guard(right)
                {
                    return Ok(Transformed::new(e, false, TreeNodeRecursion::Jump));
                }
                let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else { return Ok(Transformed::no(e)) };
                if !matches!(
                    op,
                    Operator::Eq | Operator::NotEq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq
                ) {
                    return Ok(Transformed::no(e));
                }
                let nan = |x: &Expr| -> Option<Expr> {
                    let floating = x.get_type(&schema).is_ok_and(|t| t.is_floating());
                    let number_literal = matches!(x, Expr::Literal(v, _) if match v {
                        ScalarValue::Float64(Some(f)) => !f.is_nan(),
                        ScalarValue::Float32(Some(f)) => !f.is_nan(),
                        _ => true,
                    });
                    (floating && !number_literal)
                        .then(|| Expr::ScalarFunction(ScalarFunction::new_udf(self.isnan.clone(), vec![x.clone()])))
                };
                let Some(any_nan) = [nan(left), nan(right)].into_iter().flatten().reduce(Expr::or) else {
                    return Ok(Transformed::no(e));
                };
                let out = if *op == Operator::NotEq {
                    e.clone().or(any_nan)
                } else {
                    e.clone().and(datafusion::logical_expr::not(any_nan))
                };
                Ok(Transformed::new(out, true, TreeNodeRecursion::Jump))
            };
            rewrite_exprs(plan, Order::Down, rewrite)
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "lakebox_ieee_comparisons"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::SessionContext;

    fn ctx() -> SessionContext {
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_analyzer_rules(super::super::analyzer_rules())
            .build();
        SessionContext::new_with_state(state)
    }

    async fn types(sql: &str) -> Vec<DataType> {
        let ctx = ctx();
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        let plan = super::super::analyzed(&ctx.state(), plan).unwrap();
        plan.schema().fields().iter().map(|f| f.data_type().clone()).collect()
    }

    async fn failure(sql: &str) -> String {
        let ctx = ctx();
        match ctx.sql(sql).await {
            Err(e) => e.to_string(),
            Ok(frame) => frame.collect().await.err().map(|e| e.to_string()).unwrap_or_default(),
        }
    }

    // Trino's rules: https://trino.io/docs/current/language/types.html#integer and
    // https://trino.io/docs/current/functions/comparison.html
    #[tokio::test]
    async fn literals_arithmetic_and_operands_are_typed_as_trino_types_them() {
        assert_eq!(types("SELECT 1, 2147483648, 7 / 2").await, [DataType::Int32, DataType::Int64, DataType::Int32]);
        assert_eq!(types("SELECT * FROM (VALUES (1), (NULL)) AS t(x)").await, [DataType::Int32]);
        assert!(failure("SELECT CAST(2147483647 AS INTEGER) + 1").await.contains("NUMERIC_VALUE_OUT_OF_RANGE"));
        assert!(failure("SELECT 'a' = 1").await.contains("TYPE_MISMATCH"));
        let rows = ctx()
            .sql("SELECT CAST(CAST('2.5' AS DOUBLE) AS INTEGER), CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(
            datafusion::arrow::util::pretty::pretty_format_batches(&rows)
                .unwrap()
                .to_string()
                .lines()
                .nth(3)
                .unwrap()
                .replace(' ', ""),
            "|3|false|"
        );
        assert_eq!(
            widened(&crate::query::types::map_type(DataType::Utf8, DataType::Int32)),
            crate::query::types::map_type(DataType::Utf8, DataType::Int64)
        );
    }
}
