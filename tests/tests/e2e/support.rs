//! Small builders shared by the tests.

use aws_sdk_glue::error::ProvideErrorMetadata;
use aws_sdk_glue::types::{Column, DatabaseInput, PartitionInput, StorageDescriptor, TableInput};

pub fn column(name: &str, ty: &str) -> Column {
    Column::builder().name(name).r#type(ty).build().expect("column")
}

pub fn database(name: &str) -> DatabaseInput {
    DatabaseInput::builder().name(name).build().expect("database input")
}

/// A Parquet table with two data columns and the given partition keys.
pub fn table(name: &str, keys: &[(&str, &str)]) -> TableInput {
    let sd = StorageDescriptor::builder()
        .columns(column("fare", "double"))
        .columns(column("vendor", "string"))
        .location(format!("s3://lake/{name}/"))
        .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
        .build();
    let mut input = TableInput::builder().name(name).storage_descriptor(sd).table_type("EXTERNAL_TABLE");
    for (key, ty) in keys {
        input = input.partition_keys(column(key, ty));
    }
    input.build().expect("table input")
}

pub fn partition(values: &[&str]) -> PartitionInput {
    PartitionInput::builder().set_values(Some(values.iter().map(|v| v.to_string()).collect())).build()
}

/// The AWS error code of a failed SDK call.
pub fn code<E: ProvideErrorMetadata, R>(result: Result<R, E>) -> String {
    match result {
        Ok(_) => panic!("the call succeeded, an error was expected"),
        Err(e) => e.code().unwrap_or("<no code>").to_string(),
    }
}

/// Deterministic bytes that do not repeat with a short period (xorshift), for round-trip checks.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
