//! A scalar function from two closures: one that types the result from the arguments, one that
//! computes it over arrays. Most Trino functions are a few lines each this way; arguments are
//! accepted as any type and converted by the body, so a type error is the function's own
//! message (worded as Trino words it), not DataFusion's signature mismatch.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use std::sync::Arc;

/// The arguments a body sees: arrays of equal length, their fields, and the row count.
pub struct Args<'a> {
    pub arrays: Vec<ArrayRef>,
    pub fields: &'a [FieldRef],
    pub rows: usize,
    /// The result field (its type is the one the typing closure chose).
    pub result: &'a Field,
    /// The arguments that are constants (a pattern, a format, a unit), by position.
    pub constants: Vec<Option<ScalarValue>>,
}

impl Args<'_> {
    pub fn get(&self, i: usize) -> &ArrayRef {
        &self.arrays[i]
    }

    /// The text of a constant argument.
    pub fn constant_text(&self, i: usize) -> Option<&str> {
        self.constants.get(i)?.as_ref().and_then(crate::query::trino::values::text)
    }
}

type TypeFn = dyn Fn(&[FieldRef], &[Option<&ScalarValue>]) -> Result<Field> + Send + Sync;
type BodyFn = dyn Fn(&Args<'_>) -> Result<ArrayRef> + Send + Sync;

pub struct Udf {
    name: String,
    aliases: Vec<String>,
    signature: Signature,
    typing: Arc<TypeFn>,
    body: Arc<BodyFn>,
}

impl std::fmt::Debug for Udf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Udf").field("name", &self.name).finish()
    }
}

impl PartialEq for Udf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.signature == other.signature
    }
}

impl Eq for Udf {}

impl std::hash::Hash for Udf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// How many arguments a function takes.
pub fn arity(counts: &[usize]) -> Signature {
    arity_with(counts, Volatility::Immutable)
}

pub fn arity_with(counts: &[usize], volatility: Volatility) -> Signature {
    let sigs: Vec<TypeSignature> =
        counts.iter().map(|n| if *n == 0 { TypeSignature::Nullary } else { TypeSignature::Any(*n) }).collect();
    if sigs.len() == 1 {
        Signature::new(sigs.into_iter().next().unwrap_or(TypeSignature::Nullary), volatility)
    } else {
        Signature::one_of(sigs, volatility)
    }
}

impl Udf {
    /// A function whose result type depends only on the argument types.
    pub fn new(
        name: &str,
        signature: Signature,
        typing: impl Fn(&[DataType]) -> Result<DataType> + Send + Sync + 'static,
        body: impl Fn(&Args<'_>) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.to_string(),
            aliases: Vec::new(),
            signature,
            typing: Arc::new(move |fields, _| {
                let types: Vec<DataType> = fields.iter().map(|f| f.data_type().clone()).collect();
                Ok(Field::new("r", typing(&types)?, true))
            }),
            body: Arc::new(body),
        }
    }

    /// A function whose result field depends on the argument fields and constant arguments (a
    /// type named by a string, a JSON-typed result).
    pub fn with_fields(
        name: &str,
        signature: Signature,
        typing: impl Fn(&[FieldRef], &[Option<&ScalarValue>]) -> Result<Field> + Send + Sync + 'static,
        body: impl Fn(&Args<'_>) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> Self {
        Self { name: name.to_string(), aliases: Vec::new(), signature, typing: Arc::new(typing), body: Arc::new(body) }
    }

    pub fn alias(mut self, name: &str) -> Self {
        self.aliases.push(name.to_string());
        self
    }

    pub fn udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }
}

impl ScalarUDFImpl for Udf {
    fn name(&self) -> &str {
        &self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{} is typed from its fields", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new((self.typing)(args.arg_fields, args.scalar_arguments)?))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if scalar { 1 } else { args.number_rows };
        let arrays = args.args.iter().map(|a| a.clone().into_array(rows)).collect::<Result<Vec<_>>>()?;
        let constants = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) => Some(s.clone()),
                ColumnarValue::Array(_) => None,
            })
            .collect();
        let out = (self.body)(&Args { arrays, fields: &args.arg_fields, rows, result: &args.return_field, constants })?;
        if out.len() != rows {
            return datafusion::common::internal_err!("{} returned {} rows for {rows}", self.name, out.len());
        }
        if scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// An execution error worded as Trino's `INVALID_FUNCTION_ARGUMENT`.
pub fn invalid(message: impl std::fmt::Display) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!("INVALID_FUNCTION_ARGUMENT: {message}"))
}

/// An execution error worded as Trino's `INVALID_CAST_ARGUMENT`.
pub fn invalid_cast(message: impl std::fmt::Display) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(format!("INVALID_CAST_ARGUMENT: {message}"))
}

/// The string values of an argument (any string type, or cast from another type).
pub fn strings(a: &ArrayRef) -> Result<ArrayRef> {
    match a.data_type() {
        DataType::Utf8 => Ok(a.clone()),
        _ => Ok(datafusion::arrow::compute::cast(a, &DataType::Utf8)?),
    }
}

pub fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

pub fn is_binary(t: &DataType) -> bool {
    matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_))
}
