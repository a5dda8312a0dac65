//! `current_catalog` and `current_schema`, Trino's session values: the catalog Athena names
//! `awsdatacatalog` and the query's database (`QueryExecutionContext.Database`, the session's
//! default schema). The SQL rewrite turns the unquoted keywords into these calls (`rewrite.rs`);
//! a quoted `"current_schema"` stays a column, as in Trino.

use crate::query::provider::CATALOG_NAME;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// The rewrite's name for `current_catalog`.
pub const CURRENT_CATALOG: &str = "__lakebox_current_catalog";
/// The rewrite's name for `current_schema`.
pub const CURRENT_SCHEMA: &str = "__lakebox_current_schema";

pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(SessionValue::new(CURRENT_CATALOG)),
        ScalarUDF::new_from_impl(SessionValue::new(CURRENT_SCHEMA)),
    ]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SessionValue {
    name: &'static str,
    signature: Signature,
}

impl SessionValue {
    fn new(name: &'static str) -> Self {
        // Stable: one value for the whole query, never folded across sessions (each query plans
        // in its own session).
        Self { name, signature: Signature::new(TypeSignature::Nullary, Volatility::Stable) }
    }
}

impl ScalarUDFImpl for SessionValue {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let value = if self.name == CURRENT_CATALOG {
            CATALOG_NAME.to_string()
        } else {
            args.config_options.catalog.default_schema.clone()
        };
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(value))))
    }
}
