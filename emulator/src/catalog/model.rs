//! The Glue data model: databases, tables, partitions and their storage descriptors.
//!
//! These are the records the catalog stores and the shapes Glue speaks; AWS's names are kept
//! verbatim (PascalCase on the wire and on disk) so a stored record reads like a `GetTable` answer.
//! Rarely-used nested structures (skew info, schema references, federation, view definitions)
//! are kept as opaque JSON: stored and returned as sent, never interpreted.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_with::skip_serializing_none;
use std::collections::BTreeMap;

/// Seconds since the Unix epoch, with a fractional part: the JSON timestamp form of the AWS SDKs.
pub type Timestamp = f64;

/// `Parameters` maps of databases, tables, partitions and columns.
pub type Parameters = BTreeMap<String, String>;

/// A Glue database.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Database {
    pub name: String,
    pub description: Option<String>,
    pub location_uri: Option<String>,
    pub parameters: Option<Parameters>,
    pub create_time: Option<Timestamp>,
    pub create_table_default_permissions: Option<Value>,
    pub target_database: Option<Value>,
    pub catalog_id: Option<String>,
    pub federated_database: Option<Value>,
}

/// The writable part of a database (`DatabaseInput`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DatabaseInput {
    pub name: String,
    pub description: Option<String>,
    pub location_uri: Option<String>,
    pub parameters: Option<Parameters>,
    pub create_table_default_permissions: Option<Value>,
    pub target_database: Option<Value>,
    pub federated_database: Option<Value>,
}

/// A column of a table or a partition key.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Column {
    pub name: String,
    #[serde(rename = "Type")]
    pub data_type: Option<String>,
    pub comment: Option<String>,
    pub parameters: Option<Parameters>,
}

/// Serialization and deserialization information of a storage descriptor.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SerDeInfo {
    pub name: Option<String>,
    pub serialization_library: Option<String>,
    pub parameters: Option<Parameters>,
}

/// A sort column of a bucketed table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Order {
    pub column: String,
    pub sort_order: i32,
}

/// Where and how the data of a table or partition is stored.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageDescriptor {
    pub columns: Option<Vec<Column>>,
    pub location: Option<String>,
    pub additional_locations: Option<Vec<String>>,
    pub input_format: Option<String>,
    pub output_format: Option<String>,
    pub compressed: Option<bool>,
    pub number_of_buckets: Option<i32>,
    pub serde_info: Option<SerDeInfo>,
    pub bucket_columns: Option<Vec<String>>,
    pub sort_columns: Option<Vec<Order>>,
    pub parameters: Option<Parameters>,
    pub skewed_info: Option<Value>,
    pub stored_as_sub_directories: Option<bool>,
    pub schema_reference: Option<Value>,
}

impl StorageDescriptor {
    /// Fills every field this descriptor leaves out from `base` (a partition inherits its table's).
    pub fn inherit_from(&mut self, base: &StorageDescriptor) {
        macro_rules! inherit {
            ($($field:ident),*) => {$(
                if self.$field.is_none() { self.$field = base.$field.clone(); }
            )*};
        }
        inherit!(
            columns,
            input_format,
            output_format,
            compressed,
            number_of_buckets,
            serde_info,
            bucket_columns,
            sort_columns,
            parameters,
            skewed_info,
            stored_as_sub_directories,
            schema_reference
        );
    }
}

/// A Glue table (also a view: `TableType = VIRTUAL_VIEW`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    pub name: String,
    pub database_name: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub create_time: Option<Timestamp>,
    pub update_time: Option<Timestamp>,
    pub last_access_time: Option<Timestamp>,
    pub last_analyzed_time: Option<Timestamp>,
    pub retention: Option<i32>,
    pub storage_descriptor: Option<StorageDescriptor>,
    pub partition_keys: Option<Vec<Column>>,
    pub view_original_text: Option<String>,
    pub view_expanded_text: Option<String>,
    pub table_type: Option<String>,
    pub parameters: Option<Parameters>,
    pub created_by: Option<String>,
    pub is_registered_with_lake_formation: Option<bool>,
    pub target_table: Option<Value>,
    pub catalog_id: Option<String>,
    pub version_id: Option<String>,
    pub federated_table: Option<Value>,
    pub view_definition: Option<Value>,
    pub is_multi_dialect_view: Option<bool>,
}

/// The writable part of a table (`TableInput`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableInput {
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub last_access_time: Option<Timestamp>,
    pub last_analyzed_time: Option<Timestamp>,
    pub retention: Option<i32>,
    pub storage_descriptor: Option<StorageDescriptor>,
    pub partition_keys: Option<Vec<Column>>,
    pub view_original_text: Option<String>,
    pub view_expanded_text: Option<String>,
    pub table_type: Option<String>,
    pub parameters: Option<Parameters>,
    pub target_table: Option<Value>,
    pub federated_table: Option<Value>,
    pub view_definition: Option<Value>,
}

impl Table {
    /// The partition keys, empty for an unpartitioned table.
    pub fn partition_keys(&self) -> &[Column] {
        self.partition_keys.as_deref().unwrap_or_default()
    }
}

/// A partition of a table.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Partition {
    pub values: Vec<String>,
    pub database_name: Option<String>,
    pub table_name: Option<String>,
    pub creation_time: Option<Timestamp>,
    pub last_access_time: Option<Timestamp>,
    pub storage_descriptor: Option<StorageDescriptor>,
    pub parameters: Option<Parameters>,
    pub last_analyzed_time: Option<Timestamp>,
    pub catalog_id: Option<String>,
}

/// The writable part of a partition (`PartitionInput`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionInput {
    pub values: Option<Vec<String>>,
    pub last_access_time: Option<Timestamp>,
    pub storage_descriptor: Option<StorageDescriptor>,
    pub parameters: Option<Parameters>,
    pub last_analyzed_time: Option<Timestamp>,
}

/// A partition index: the keys Glue may use to answer `GetPartitions` faster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartitionIndex {
    pub index_name: String,
    pub keys: Vec<String>,
}

/// Statistics of one column of a table or a partition (`ColumnStatistics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ColumnStatistics {
    pub column_name: String,
    pub column_type: String,
    pub analyzed_time: Timestamp,
    /// `StatisticsData`: its `Type` and the matching `...ColumnStatisticsData`, kept as sent.
    pub statistics_data: Value,
}

/// A user-defined function registered in a database.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDefinedFunction {
    pub function_name: String,
    pub database_name: Option<String>,
    pub class_name: Option<String>,
    pub owner_name: Option<String>,
    pub owner_type: Option<String>,
    pub create_time: Option<Timestamp>,
    pub resource_uris: Option<Vec<Value>>,
    pub catalog_id: Option<String>,
}

/// The writable part of a user-defined function (`UserDefinedFunctionInput`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDefinedFunctionInput {
    pub function_name: Option<String>,
    pub class_name: Option<String>,
    pub owner_name: Option<String>,
    pub owner_type: Option<String>,
    pub resource_uris: Option<Vec<Value>>,
}
