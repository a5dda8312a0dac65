//! Athena's Hive DDL and utility statements, run against the shared Glue catalog: the statement
//! forms ([`HiveStatement`]), their parser ([`parse`]) and their execution ([`exec`]), with
//! results and failures worded as Athena's Hive engine words them (`FAILED: ...`).

pub mod exec;
pub mod parse;
mod render;

use std::collections::BTreeMap;

/// `[catalog.][database.]name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub catalog: Option<String>,
    pub database: Option<String>,
    pub name: String,
}

/// A column in `CREATE TABLE` or `PARTITIONED BY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// The Hive type as Glue stores it (`decimal(10,2)`, `array<string>`).
    pub data_type: String,
    pub comment: Option<String>,
}

/// `ROW FORMAT ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowFormat {
    /// `DELIMITED ...`, as the LazySimpleSerDe parameters it sets.
    Delimited(BTreeMap<String, String>),
    /// `SERDE 'class' [WITH SERDEPROPERTIES (...)]`.
    Serde { library: String, properties: BTreeMap<String, String> },
}

/// `STORED AS ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredAs {
    /// `PARQUET`, `TEXTFILE`, `ORC`, `AVRO`, `JSON`, ...
    Named(String),
    /// `INPUTFORMAT 'x' OUTPUTFORMAT 'y'`.
    Formats { input: String, output: String },
}

/// `CREATE [EXTERNAL] TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    pub table: QualifiedName,
    pub external: bool,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub comment: Option<String>,
    pub partitioned_by: Vec<ColumnDef>,
    pub bucketed: Option<(Vec<String>, i64)>,
    pub row_format: Option<RowFormat>,
    pub stored_as: Option<StoredAs>,
    pub location: Option<String>,
    pub properties: BTreeMap<String, String>,
}

/// One partition of `ALTER TABLE ... ADD PARTITION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSpec {
    pub values: Vec<(String, String)>,
    pub location: Option<String>,
}

/// The Hive statements Athena runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiveStatement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        comment: Option<String>,
        location: Option<String>,
        properties: BTreeMap<String, String>,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    CreateTable(Box<CreateTable>),
    DropTable {
        table: QualifiedName,
        if_exists: bool,
    },
    AddPartitions {
        table: QualifiedName,
        if_not_exists: bool,
        partitions: Vec<PartitionSpec>,
    },
    DropPartitions {
        table: QualifiedName,
        if_exists: bool,
        partitions: Vec<Vec<(String, String)>>,
    },
    AddColumns {
        table: QualifiedName,
        columns: Vec<ColumnDef>,
    },
    ReplaceColumns {
        table: QualifiedName,
        columns: Vec<ColumnDef>,
    },
    /// `CHANGE [COLUMN] old new type [COMMENT 'c'] [FIRST | AFTER col]`.
    ChangeColumn {
        table: QualifiedName,
        old: String,
        column: ColumnDef,
        /// `Some(None)` for FIRST, `Some(Some(col))` for AFTER col.
        position: Option<Option<String>>,
    },
    RenameTable {
        table: QualifiedName,
        to: QualifiedName,
    },
    SetProperties {
        table: QualifiedName,
        properties: BTreeMap<String, String>,
    },
    SetLocation {
        table: QualifiedName,
        location: String,
    },
    SetPartitionLocation {
        table: QualifiedName,
        partition: Vec<(String, String)>,
        location: String,
    },
    MsckRepair {
        table: QualifiedName,
    },
    ShowDatabases {
        pattern: Option<String>,
    },
    ShowTables {
        database: Option<String>,
        pattern: Option<String>,
    },
    ShowPartitions {
        table: QualifiedName,
    },
    ShowColumns {
        table: QualifiedName,
    },
    ShowCreateTable {
        table: QualifiedName,
    },
    ShowTblProperties {
        table: QualifiedName,
        key: Option<String>,
    },
    Describe {
        table: QualifiedName,
        formatted: bool,
        partition: Option<Vec<(String, String)>>,
    },
}

impl HiveStatement {
    /// Athena's `StatementType` and `SubstatementType` for this statement.
    pub fn statement_type(&self) -> (&'static str, &'static str) {
        match self {
            Self::CreateDatabase { .. } => ("DDL", "CREATE_DATABASE"),
            Self::DropDatabase { .. } => ("DDL", "DROP_DATABASE"),
            Self::CreateTable(_) => ("DDL", "CREATE_TABLE"),
            Self::DropTable { .. } => ("DDL", "DROP_TABLE"),
            Self::AddPartitions { .. } => ("DDL", "ALTER_TABLE_ADD_PARTITION"),
            Self::DropPartitions { .. } => ("DDL", "ALTER_TABLE_DROP_PARTITION"),
            Self::AddColumns { .. } => ("DDL", "ALTER_TABLE_ADD_COLUMN"),
            Self::ReplaceColumns { .. } => ("DDL", "ALTER_TABLE_REPLACE_COLUMN"),
            Self::ChangeColumn { .. } => ("DDL", "ALTER_TABLE_CHANGE_COLUMN"),
            Self::RenameTable { .. } => ("DDL", "ALTER_TABLE_RENAME"),
            Self::SetProperties { .. } => ("DDL", "ALTER_TABLE_PROPERTIES"),
            Self::SetLocation { .. } | Self::SetPartitionLocation { .. } => ("DDL", "ALTER_TABLE_SET_LOCATION"),
            Self::MsckRepair { .. } => ("DDL", "MSCK_REPAIR"),
            Self::ShowDatabases { .. } => ("UTILITY", "SHOW_DATABASES"),
            Self::ShowTables { .. } => ("UTILITY", "SHOW_TABLES"),
            Self::ShowPartitions { .. } => ("UTILITY", "SHOW_PARTITIONS"),
            Self::ShowColumns { .. } => ("UTILITY", "SHOW_COLUMNS"),
            Self::ShowCreateTable { .. } => ("UTILITY", "SHOW_CREATE_TABLE"),
            Self::ShowTblProperties { .. } => ("UTILITY", "SHOW_TABLE_PROPERTIES"),
            Self::Describe { .. } => ("UTILITY", "DESCRIBE_TABLE"),
        }
    }
}
