//! `try(e)` around Trino functions: `try(date_parse(s, '%Y-%m-%d'))` is NULL for the rows where
//! the function fails with one of the errors Trino's `try` catches (division by zero, an invalid
//! cast or function argument, a numeric value out of range) and the function's value elsewhere.
//! <https://trino.io/docs/current/functions/conditional.html#try>
//!
//! DataFusion evaluates a function's arguments before the function, so `try` cannot be a
//! function of the value. Inside `try(...)` the rewriter turns each call of a Trino function
//! `f(a, b)` into `__lakebox_try('f', a, b)`, which runs `f` over the batch and, only when that
//! fails with a catchable error, again row by row, giving NULL for the rows that fail (casts and
//! divisions inside `try` become `TRY_CAST` and `NULLIF(d, 0)` instead).

use datafusion::arrow::array::{ArrayRef, new_null_array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

pub const NAME: &str = "__lakebox_try";

/// The errors Trino's `try` turns into NULL (as our functions and error mapping word them).
fn catchable(e: &datafusion::error::DataFusionError) -> bool {
    let text = e.find_root().to_string();
    ["INVALID_FUNCTION_ARGUMENT", "INVALID_CAST_ARGUMENT", "DIVISION_BY_ZERO", "NUMERIC_VALUE_OUT_OF_RANGE"]
        .iter()
        .any(|code| text.contains(code))
        || matches!(e.find_root(), datafusion::error::DataFusionError::ArrowError(a, _)
            if matches!(**a, datafusion::arrow::error::ArrowError::DivideByZero
                | datafusion::arrow::error::ArrowError::CastError(_)
                | datafusion::arrow::error::ArrowError::ArithmeticOverflow(_)))
}

/// The Trino functions `try` can wrap, by every name they answer to: those that take arguments
/// of any type (the wrapper's own arguments are not coerced to a stricter signature).
fn wrappable() -> &'static HashMap<String, ScalarUDF> {
    static FUNCTIONS: LazyLock<HashMap<String, ScalarUDF>> = LazyLock::new(|| {
        let any = |t: &TypeSignature| {
            matches!(t, TypeSignature::Any(_) | TypeSignature::Nullary | TypeSignature::VariadicAny)
        };
        let mut map = HashMap::new();
        for f in &super::all_functions().0 {
            let accepted = match &f.signature().type_signature {
                TypeSignature::OneOf(all) => all.iter().all(any),
                t => any(t),
            };
            if accepted && f.name() != NAME && f.signature().volatility != Volatility::Volatile {
                for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
                    map.insert(name.to_ascii_lowercase(), f.clone());
                }
            }
        }
        map
    });
    &FUNCTIONS
}

/// Whether `try` wraps calls of the function named `name` (lower-case).
pub fn wraps(name: &str) -> bool {
    wrappable().contains_key(name)
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TryFunction {
    signature: Signature,
}

impl TryFunction {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(Self { signature: Signature::variadic_any(Volatility::Immutable) })
    }
}

fn inner(scalars: &[Option<&ScalarValue>]) -> Result<&'static ScalarUDF> {
    let name = match scalars.first().copied().flatten() {
        Some(ScalarValue::Utf8(Some(n))) => n,
        _ => return plan_err!("{NAME} takes the function's name first"),
    };
    match wrappable().get(name.as_str()) {
        Some(f) => Ok(f),
        None => plan_err!("{NAME}: no function {name}"),
    }
}

impl ScalarUDFImpl for TryFunction {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{NAME} is typed from its fields")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let f = inner(args.scalar_arguments)?;
        let field = f.return_field_from_args(ReturnFieldArgs {
            arg_fields: &args.arg_fields[1..],
            scalar_arguments: &args.scalar_arguments[1..],
        })?;
        Ok(Arc::new(Field::new(field.name(), field.data_type().clone(), true).with_metadata(field.metadata().clone())))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = match args.args.first() {
            Some(ColumnarValue::Scalar(s)) => Some(s),
            _ => None,
        };
        let f = inner(&[name])?;
        let call = |values: Vec<ColumnarValue>, rows: usize| {
            f.invoke_with_args(ScalarFunctionArgs {
                args: values,
                arg_fields: args.arg_fields[1..].to_vec(),
                number_rows: rows,
                return_field: args.return_field.clone(),
                config_options: args.config_options.clone(),
            })
        };
        let values = args.args[1..].to_vec();
        match call(values.clone(), args.number_rows) {
            Ok(out) => Ok(out),
            Err(e) if !catchable(&e) => Err(e),
            Err(_) => {
                let scalar = values.iter().all(|v| matches!(v, ColumnarValue::Scalar(_)));
                let rows = if scalar { 1 } else { args.number_rows };
                let mut pieces: Vec<ArrayRef> = Vec::with_capacity(rows);
                for i in 0..rows {
                    let row = values
                        .iter()
                        .map(|v| match v {
                            ColumnarValue::Array(a) => ColumnarValue::Array(a.slice(i, 1)),
                            s => s.clone(),
                        })
                        .collect();
                    pieces.push(match call(row, 1) {
                        Ok(out) => out.into_array(1)?,
                        Err(e) if catchable(&e) => new_null_array(args.return_field.data_type(), 1),
                        Err(e) => return Err(e),
                    });
                }
                let refs: Vec<&dyn datafusion::arrow::array::Array> = pieces.iter().map(|a| a.as_ref()).collect();
                let out = datafusion::arrow::compute::concat(&refs)?;
                if scalar {
                    return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
                }
                if out.len() != rows {
                    return exec_err!("{NAME} gave {} rows for {rows}", out.len());
                }
                Ok(ColumnarValue::Array(out))
            }
        }
    }
}
