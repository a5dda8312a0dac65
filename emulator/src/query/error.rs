//! How queries fail, worded as Athena words it. A statement Athena would not even start (a
//! syntax error) is a [`Rejected`] (`InvalidRequestException` with an `AthenaErrorCode`); one
//! that starts and fails is a [`Failure`]: `ERROR_NAME: line L:C: message` for the Trino engine,
//! `FAILED: ...` for Hive DDL, each with Athena's `ErrorCategory` and `ErrorType`.

use datafusion::error::DataFusionError;

/// A statement refused by `StartQueryExecution`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Rejected {
    /// `AthenaErrorCode`, e.g. `MALFORMED_QUERY`.
    pub code: &'static str,
    pub message: String,
}

impl Rejected {
    pub fn malformed(message: impl Into<String>) -> Self {
        Self { code: "MALFORMED_QUERY", message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self { code: "INVALID_INPUT", message: message.into() }
    }
}

/// Why a running query ended without success.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// FAILED with `StateChangeReason` and `AthenaError`.
    Failed { reason: String, category: u8, error_type: u16, retryable: bool, hive: bool },
    /// CANCELLED (the workgroup's bytes-scanned cutoff).
    Cancelled(String),
}

impl Failure {
    /// A Trino-engine failure: `NAME: message`, classified as Athena classifies `NAME`.
    pub fn trino(name: &str, message: impl std::fmt::Display) -> Self {
        let (category, error_type) = match name {
            "TABLE_NOT_FOUND" | "SCHEMA_NOT_FOUND" => (2, 1301),
            "COLUMN_NOT_FOUND" | "CATALOG_NOT_FOUND" | "SYNTAX_ERROR" | "MISSING_COLUMN_NAME" | "AMBIGUOUS_NAME" => {
                (2, 1006)
            }
            "TYPE_MISMATCH" => (2, 1002),
            "FUNCTION_NOT_FOUND" => (2, 1303),
            "DIVISION_BY_ZERO" | "NUMERIC_VALUE_OUT_OF_RANGE" => (2, 1001),
            "INVALID_CAST_ARGUMENT" | "INVALID_FUNCTION_ARGUMENT" | "INVALID_PARAMETER_USAGE" => (2, 1100),
            "NOT_SUPPORTED" => (2, 1200),
            "HIVE_BAD_DATA" | "HIVE_CURSOR_ERROR" | "HIVE_INVALID_PARTITION_VALUE" => (2, 1001),
            "HIVE_PATH_ERROR" | "HIVE_METASTORE_ERROR" => (2, 1109),
            "CONSTRAINT_VIOLATION" | "HIVE_EXCEEDED_PARTITION_LIMIT" => (2, 1000),
            "TABLE_ALREADY_EXISTS" => (2, 1110),
            "EXCEEDED_LOCAL_MEMORY_LIMIT" => (1, 0),
            "GENERIC_INTERNAL_ERROR" => (1, 200),
            _ => (2, 1000),
        };
        let retryable = category == 1;
        Self::Failed { reason: format!("{name}: {message}"), category, error_type, retryable, hive: false }
    }

    /// A Hive DDL failure (its reason already starts with `FAILED: `).
    pub fn hive(reason: String, category: u8, error_type: u16) -> Self {
        Self::Failed { reason, category, error_type, retryable: false, hive: true }
    }
}

/// Finds `line L:C` for a name in the SQL: where the name first appears (case-insensitively).
pub fn position_of(sql: &str, needle: &str) -> (usize, usize) {
    position_after(sql, "", needle)
}

/// `position_of` for the first appearance of `needle` after the first of `anchor` (`HAVING`),
/// or anywhere if there is none after it.
pub fn position_after(sql: &str, anchor: &str, needle: &str) -> (usize, usize) {
    let lower = sql.to_lowercase();
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return (1, 1);
    }
    let from = lower.find(&anchor.to_lowercase()).unwrap_or(0);
    let found = lower[from..].find(&needle).map(|i| from + i).or_else(|| lower.find(&needle));
    let Some(offset) = found else { return (1, 1) };
    let before = &sql[..offset.min(sql.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, column)
}

/// Names the Trino error for a DataFusion failure, with Trino's wording where we know it.
pub fn from_datafusion(e: &DataFusionError, sql: &str) -> Failure {
    let e = e.find_root();
    let text = e.to_string();
    let at = |needle: &str| {
        let (l, c) = position_of(sql, needle);
        format!("line {l}:{c}")
    };
    // Our own readers and providers prefix their errors with Athena's names already.
    for name in [
        "HIVE_BAD_DATA",
        "HIVE_CURSOR_ERROR",
        "HIVE_INVALID_PARTITION_VALUE",
        "HIVE_PATH_ERROR",
        "HIVE_METASTORE_ERROR",
        "HIVE_EXCEEDED_PARTITION_LIMIT",
        "CONSTRAINT_VIOLATION",
        "NOT_SUPPORTED",
        "INVALID_CAST_ARGUMENT",
        "INVALID_PARAMETER_USAGE",
        "INVALID_LITERAL",
        // The Trino functions (query::trino) word their errors as Trino does.
        "INVALID_FUNCTION_ARGUMENT",
        "NUMERIC_VALUE_OUT_OF_RANGE",
        "TYPE_MISMATCH",
        "FUNCTION_NOT_FOUND",
    ] {
        if let Some(pos) = text.find(&format!("{name}: ")) {
            return Failure::trino(name, &text[pos + name.len() + 2..]);
        }
    }
    match e {
        DataFusionError::SchemaError(inner, _) => {
            let message = inner.to_string();
            if let Some(field) = between(&message, "No field named ", ".") {
                let name = field.trim_matches('"').rsplit('.').next().unwrap_or(field).trim_matches('"').to_string();
                return Failure::trino(
                    "COLUMN_NOT_FOUND",
                    format!(
                        "{}: Column '{name}' cannot be resolved or requester is not authorized to access requested resources",
                        at(&name)
                    ),
                );
            }
            if message.contains("Ambiguous reference") {
                return Failure::trino("AMBIGUOUS_NAME", format!("line 1:1: {message}"));
            }
            Failure::trino("SYNTAX_ERROR", format!("line 1:1: {message}"))
        }
        DataFusionError::Plan(message) => plan_failure(message, sql),
        // A correlated subquery DataFusion cannot decorrelate (a LATERAL subquery computing from
        // the outer row, a correlated scalar subquery under `<`) reaches the physical planner
        // with the outer reference still in it.
        DataFusionError::NotImplemented(message) if message.contains("OuterReferenceColumn") => {
            let column = between(message, "name: \"", "\"").unwrap_or("?");
            Failure::trino(
                "NOT_SUPPORTED",
                format!(
                    "{}: a correlated subquery or LATERAL that uses the outer column '{column}' here is not supported by Lakebox yet",
                    at(column)
                ),
            )
        }
        DataFusionError::NotImplemented(message) => Failure::trino("NOT_SUPPORTED", message),
        DataFusionError::ResourcesExhausted(message) => {
            Failure::trino("EXCEEDED_LOCAL_MEMORY_LIMIT", format!("Query exceeded local memory limit: {message}"))
        }
        DataFusionError::ArrowError(inner, _) => arrow_failure(inner),
        DataFusionError::Execution(message) => execution_failure(message),
        DataFusionError::ObjectStore(inner) => Failure::trino("HIVE_CURSOR_ERROR", inner),
        DataFusionError::External(inner) => Failure::trino("GENERIC_INTERNAL_ERROR", inner),
        DataFusionError::Internal(message) => Failure::trino("GENERIC_INTERNAL_ERROR", message),
        _ => Failure::trino("GENERIC_USER_ERROR", text),
    }
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(rest.split(end).next().unwrap_or(rest))
}

fn plan_failure(message: &str, sql: &str) -> Failure {
    let at = |needle: &str| {
        let (l, c) = position_of(sql, needle);
        format!("line {l}:{c}")
    };
    if let Some(name) = between(message, "table '", "'").filter(|_| message.contains("not found")) {
        let parts: Vec<&str> = name.split('.').collect();
        let short = parts.last().copied().unwrap_or(name);
        let full = match parts.len() {
            3 => name.to_string(),
            2 => format!("awsdatacatalog.{name}"),
            _ => format!("awsdatacatalog.default.{name}"),
        };
        return Failure::trino("TABLE_NOT_FOUND", format!("{}: Table '{full}' does not exist", at(short)));
    }
    if let Some(schema) =
        between(message, "failed to resolve schema: ", " ").or_else(|| between(message, "schema '", "'"))
    {
        return Failure::trino("SCHEMA_NOT_FOUND", format!("{}: Schema '{schema}' does not exist", at(schema)));
    }
    if let Some(function) = between(message, "Invalid function '", "'") {
        return Failure::trino("FUNCTION_NOT_FOUND", format!("{}: Function '{function}' not registered", at(function)));
    }
    if message.contains("Cannot infer common argument type")
        || message.contains("Cannot coerce")
        || message.contains("type_coercion")
        || message.contains("No function matches")
        || message.contains("does not support")
    {
        return Failure::trino("TYPE_MISMATCH", format!("line 1:1: {message}"));
    }
    Failure::trino("SYNTAX_ERROR", format!("line 1:1: {message}"))
}

fn arrow_failure(e: &datafusion::arrow::error::ArrowError) -> Failure {
    use datafusion::arrow::error::ArrowError;
    match e {
        ArrowError::DivideByZero => Failure::trino("DIVISION_BY_ZERO", "Division by zero"),
        ArrowError::CastError(m) => cast_failure(m),
        ArrowError::ArithmeticOverflow(m) => Failure::trino("NUMERIC_VALUE_OUT_OF_RANGE", m),
        // Kernels that check for overflow (`abs(-9223372036854775808)`) say so in a compute error.
        ArrowError::ComputeError(m) if m.contains("overflow") => Failure::trino("NUMERIC_VALUE_OUT_OF_RANGE", m),
        // Operands arrow has no kernel for (`DATE '2024-01-01' + 1`): Trino refuses them while planning.
        ArrowError::InvalidArgumentError(m)
            if m.contains("Invalid arithmetic operation") || m.contains("Invalid comparison operation") =>
        {
            Failure::trino("TYPE_MISMATCH", format!("line 1:1: {m}"))
        }
        // A decimal that does not fit its precision (`CAST(99.99 AS decimal(3,1))` is 100.0): Trino's
        // `INVALID_CAST_ARGUMENT: Cannot cast DECIMAL(4, 2) '99.99' to DECIMAL(3, 1)`.
        ArrowError::InvalidArgumentError(m) if m.contains("too large to store in a Decimal") => {
            Failure::trino("INVALID_CAST_ARGUMENT", m)
        }
        ArrowError::ParseError(m) | ArrowError::CsvError(m) | ArrowError::JsonError(m) => {
            Failure::trino("HIVE_BAD_DATA", m)
        }
        other => Failure::trino("GENERIC_INTERNAL_ERROR", other),
    }
}

/// Arrow's cast errors: an integer that does not fit its target is Trino's
/// `NUMERIC_VALUE_OUT_OF_RANGE: Out of range for integer: 3000000000`.
fn cast_failure(m: &str) -> Failure {
    if let Some(value) = between(m, "Can't cast value ", " to type ") {
        let target = m.rsplit(" to type ").next().unwrap_or("");
        let trino = match target {
            "Int8" => Some("tinyint"),
            "Int16" => Some("smallint"),
            "Int32" => Some("integer"),
            "Int64" => Some("bigint"),
            _ => None,
        };
        if let Some(t) = trino {
            return Failure::trino("NUMERIC_VALUE_OUT_OF_RANGE", format!("Out of range for {t}: {value}"));
        }
    }
    Failure::trino("INVALID_CAST_ARGUMENT", m)
}

fn execution_failure(message: &str) -> Failure {
    if message.contains("Bytes scanned limit") {
        return Failure::Cancelled("Bytes scanned limit was exceeded".into());
    }
    if let Some(key) = message.split("duplicate key found: ").nth(1) {
        return Failure::trino("INVALID_FUNCTION_ARGUMENT", format!("Duplicate map keys ({key}) are not allowed"));
    }
    if message.contains("Scalar subquery returned more than one row") {
        return Failure::trino("SUBQUERY_MULTIPLE_ROWS", "Scalar sub-query has returned multiple rows");
    }
    if message.contains("Divide by zero") || message.contains("Division by zero") {
        return Failure::trino("DIVISION_BY_ZERO", "Division by zero");
    }
    Failure::trino("GENERIC_USER_ERROR", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position_of("SELECT * FROM nope", "nope"), (1, 15));
        assert_eq!(position_of("SELECT *\n  FROM Nope", "nope"), (2, 8));
        assert_eq!(position_of("SELECT 1", "missing"), (1, 1));
    }

    #[test]
    fn an_outer_reference_left_in_the_plan_is_not_supported_with_its_column() {
        // DataFusion 55's message for `SELECT a.x, b.y FROM (VALUES 1, 2) AS a(x), LATERAL (SELECT a.x * 10 AS y) b`.
        let message = r#"Physical plan does not support logical expression OuterReferenceColumn(Field { name: "x", data_type: Int64 }, Column { relation: Some(Bare { table: "a" }), name: "x" })"#;
        let sql = "SELECT a.x, b.y FROM (VALUES 1, 2) AS a(x), LATERAL (SELECT a.x * 10 AS y) b";
        let Failure::Failed { reason, .. } = from_datafusion(&DataFusionError::NotImplemented(message.into()), sql)
        else {
            panic!()
        };
        assert_eq!(
            reason,
            "NOT_SUPPORTED: line 1:10: a correlated subquery or LATERAL that uses the outer column 'x' here is not supported by Lakebox yet"
        );
    }

    #[test]
    fn table_not_found_reads_like_athena() {
        let f = plan_failure("table 'awsdatacatalog.sales.nope' not found", "SELECT * FROM sales.nope");
        let Failure::Failed { reason, category, error_type, .. } = f else { panic!() };
        assert_eq!(reason, "TABLE_NOT_FOUND: line 1:21: Table 'awsdatacatalog.sales.nope' does not exist");
        assert_eq!((category, error_type), (2, 1301));
    }

    #[test]
    fn classification_follows_athenas_table() {
        let Failure::Failed { category, error_type, retryable, .. } = Failure::trino("FUNCTION_NOT_FOUND", "x") else {
            panic!()
        };
        assert_eq!((category, error_type, retryable), (2, 1303, false));
        assert!(matches!(execution_failure("External error: Bytes scanned limit was exceeded"), Failure::Cancelled(_)));
    }
}
