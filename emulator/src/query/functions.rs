//! Trino functions the taxi reports need that DataFusion lacks or names differently: the
//! date-part family (`year`, `month`, `day`, `hour`, `day_of_week`, ... returning `bigint`, as in
//! Trino), `date(x)`, and `approx_percentile(x, p)`. The full Trino pack is its own work
//! (docs/SQL.md lists what is there).

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::kernels::temporal::{DatePart, date_part};
use datafusion::arrow::compute::{CastOptions, cast, cast_with_options};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// Registers the functions on a session.
pub fn register(ctx: &SessionContext) -> Result<()> {
    let parts: [(&'static str, &'static [&'static str], DatePart); 12] = [
        ("year", &[], DatePart::Year),
        ("quarter", &[], DatePart::Quarter),
        ("month", &[], DatePart::Month),
        ("week", &["week_of_year"], DatePart::WeekISO),
        ("day", &["day_of_month"], DatePart::Day),
        ("day_of_week", &["dow"], DatePart::DayOfWeekMonday1),
        ("day_of_year", &["doy"], DatePart::DayOfYear),
        ("hour", &[], DatePart::Hour),
        ("minute", &[], DatePart::Minute),
        ("second", &[], DatePart::Second),
        ("year_of_week", &["yow"], DatePart::YearISO),
        ("millisecond", &[], DatePart::Millisecond),
    ];
    for (name, aliases, part) in parts {
        ctx.register_udf(ScalarUDF::new_from_impl(DatePartFn::new(name, aliases, part)));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(DateFn::new()));
    let percentile = datafusion::functions_aggregate::approx_percentile_cont::approx_percentile_cont_udaf();
    ctx.register_udaf((*percentile).clone().with_aliases(["approx_percentile"]));
    Ok(())
}

fn temporal_signature() -> Signature {
    Signature::one_of(
        vec![
            TypeSignature::Exact(vec![DataType::Date32]),
            TypeSignature::Exact(vec![DataType::Date64]),
            TypeSignature::Exact(vec![DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None)]),
            TypeSignature::Exact(vec![DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None)]),
            TypeSignature::Exact(vec![DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, None)]),
            TypeSignature::Exact(vec![DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Second, None)]),
            TypeSignature::Exact(vec![DataType::Timestamp(
                datafusion::arrow::datatypes::TimeUnit::Nanosecond,
                Some("+00:00".into()),
            )]),
        ],
        Volatility::Immutable,
    )
}

/// `year(x)`, `hour(x)`, ...: one field of a date or timestamp, as a `bigint`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DatePartFn {
    name: &'static str,
    aliases: Vec<String>,
    part: DatePartKey,
    signature: Signature,
}

/// `DatePart` as a hashable key.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
struct DatePartKey(u8);

fn part_of(key: DatePartKey) -> DatePart {
    [
        DatePart::Year,
        DatePart::Quarter,
        DatePart::Month,
        DatePart::WeekISO,
        DatePart::Day,
        DatePart::DayOfWeekMonday1,
        DatePart::DayOfYear,
        DatePart::Hour,
        DatePart::Minute,
        DatePart::Second,
        DatePart::YearISO,
        DatePart::Millisecond,
    ][key.0 as usize]
}

impl DatePartFn {
    fn new(name: &'static str, aliases: &[&str], part: DatePart) -> Self {
        let key = (0u8..12).find(|i| part_of(DatePartKey(*i)) == part).unwrap_or(0);
        Self {
            name,
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            part: DatePartKey(key),
            signature: temporal_signature(),
        }
    }
}

impl ScalarUDFImpl for DatePartFn {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [arg] = args.args.as_slice() else { return exec_err!("{} takes one argument", self.name) };
        let array = arg.clone().into_array(rows)?;
        let part = part_of(self.part);
        let mut values: ArrayRef = cast(&date_part(array.as_ref(), part)?, &DataType::Int64)?;
        if part == DatePart::Millisecond {
            // Trino's millisecond(x) is the millisecond of the second, not of the minute.
            let ms = values.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>();
            if let Some(ms) = ms {
                values =
                    Arc::new(ms.iter().map(|v| v.map(|v| v % 1000)).collect::<datafusion::arrow::array::Int64Array>());
            }
        }
        if matches!(arg, ColumnarValue::Scalar(_)) {
            return Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&values, 0)?));
        }
        Ok(ColumnarValue::Array(values))
    }
}

/// `date(x)`: a timestamp or a `yyyy-mm-dd` string as a date.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DateFn {
    signature: Signature,
}

impl DateFn {
    fn new() -> Self {
        let mut sig = temporal_signature();
        if let TypeSignature::OneOf(ref mut options) = sig.type_signature {
            options.push(TypeSignature::Exact(vec![DataType::Utf8]));
        }
        Self { signature: sig }
    }
}

impl ScalarUDFImpl for DateFn {
    fn name(&self) -> &str {
        "date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [arg] = args.args.as_slice() else { return exec_err!("date takes one argument") };
        let array = arg.clone().into_array(rows)?;
        let dates =
            cast_with_options(array.as_ref(), &DataType::Date32, &CastOptions { safe: false, ..Default::default() })
                .map_err(|e| datafusion::error::DataFusionError::Execution(format!("INVALID_CAST_ARGUMENT: {e}")))?;
        if matches!(arg, ColumnarValue::Scalar(_)) && !dates.is_empty() {
            return Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&dates, 0)?));
        }
        Ok(ColumnarValue::Array(dates))
    }
}
