//! Whether a Parquet scan evaluates its predicates while decoding (arrow-rs's row filter, what
//! DataFusion calls filter pushdown) or above the scan.
//!
//! A row filter decodes the first predicate's column in full and every other column only for the
//! rows still selected: a needle (`pulocationid = 132 AND dolocationid = 138`, a few rows in ten
//! million) reads a fraction of its other columns. A broad predicate (`payment_type = 1`, 70 % of
//! the rows) gains nothing and pays for decoding under a fragmented selection: "tip % by hour" runs
//! twice as long with it (docs/PERFORMANCE.md). So the row filter is chosen per scan, from the
//! share of rows the scan's equalities are expected to keep, estimated from the files' row-group
//! statistics: an equality on an integer column (dates included) keeps one value of the
//! `max - min + 1` its row group spans; anything else counts as keeping every row. The estimate
//! must be at most 1 % when it rests on two columns or more, 0.1 % when on one (skew).

use datafusion::arrow::datatypes::Schema;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::parquet::file::statistics::Statistics;

/// The largest expected share of rows for which a scan filters while decoding, when the estimate
/// rests on two or more columns' equalities.
pub const ROW_FILTER_SHARE: f64 = 0.01;

/// The same for an estimate from one column's equality, ten times smaller: real columns are skewed
/// (the airport zone holds a few percent of the trips, not 1/265 of them: filtering while decoding
/// made "`pulocationid = 132`" 25 % slower), and the uniform estimate's error is multiplied, not
/// averaged, when it rests on one column. A key lookup (`trip_id = 12345`) still qualifies.
pub const ROW_FILTER_SHARE_ONE_COLUMN: f64 = 0.001;

/// What a scan's equalities are expected to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The share of the rows kept.
    pub share: f64,
    /// How many distinct columns' statistics the share rests on.
    pub columns: usize,
}

impl Estimate {
    /// Whether filtering while decoding is expected to pay.
    pub fn row_filter_pays(&self) -> bool {
        match self.columns {
            0 => false,
            1 => self.share <= ROW_FILTER_SHARE_ONE_COLUMN,
            _ => self.share <= ROW_FILTER_SHARE,
        }
    }
}

/// One `column = literal` or `column IN (literals)` conjunct of a scan's filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equality {
    /// The table column's name.
    pub column: String,
    /// How many values it may take.
    pub values: usize,
}

/// The equalities among a scan's filters (DataFusion hands a scan its conjuncts one by one) on the
/// integer, date and time columns of `files` (the files' schema, without the partition keys:
/// those are decided before any file is read).
pub fn equalities(filters: &[Expr], files: &Schema) -> Vec<Equality> {
    let integer = |name: &str| {
        files.field_with_name(name).is_ok_and(|f| f.data_type().is_integer() || f.data_type().is_temporal())
    };
    filters
        .iter()
        .filter_map(|f| {
            let (column, values) = match f {
                Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => {
                    match (column_name(left), column_name(right)) {
                        (Some(c), None) if is_literal(right) => (c, 1),
                        (None, Some(c)) if is_literal(left) => (c, 1),
                        _ => return None,
                    }
                }
                Expr::InList(list) if !list.negated && list.list.iter().all(is_literal) => {
                    (column_name(&list.expr)?, list.list.len())
                }
                _ => return None,
            };
            integer(&column).then_some(Equality { column, values })
        })
        .collect()
}

fn column_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::Cast(c) => column_name(&c.expr),
        _ => None,
    }
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Literal(..) => true,
        Expr::Cast(c) => is_literal(&c.expr),
        _ => false,
    }
}

/// The share of the files' rows that `equalities` are expected to keep (row groups weighted by
/// their rows), or `None` when the files hold no rows.
pub fn expected_share(files: &[impl AsRef<ParquetMetaData>], equalities: &[Equality]) -> Option<Estimate> {
    let mut total = 0.0;
    let mut kept = 0.0;
    let mut informed = std::collections::BTreeSet::new();
    for metadata in files {
        let metadata = metadata.as_ref();
        let schema = metadata.file_metadata().schema_descr();
        // Files written by Spark or pandas say `VendorID` where Glue says `vendorid`.
        let leaves: Vec<Option<usize>> = equalities
            .iter()
            .map(|e| {
                schema
                    .columns()
                    .iter()
                    .position(|c| c.path().parts().len() == 1 && c.name().eq_ignore_ascii_case(&e.column))
            })
            .collect();
        for group in metadata.row_groups() {
            let rows = group.num_rows().max(0) as f64;
            let mut share = 1.0;
            for (equality, leaf) in equalities.iter().zip(&leaves) {
                let span = leaf.and_then(|i| group.column(i).statistics()).and_then(integer_span);
                if let Some(span) = span {
                    share *= (equality.values as f64 / span).min(1.0);
                    informed.insert(equality.column.as_str());
                }
            }
            total += rows;
            kept += rows * share;
        }
    }
    (total > 0.0).then(|| Estimate { share: kept / total, columns: informed.len() })
}

/// `max - min + 1` of an integer column chunk's statistics.
fn integer_span(statistics: &Statistics) -> Option<f64> {
    let (min, max) = match statistics {
        Statistics::Int32(s) => (i64::from(*s.min_opt()?), i64::from(*s.max_opt()?)),
        Statistics::Int64(s) => (*s.min_opt()?, *s.max_opt()?),
        _ => return None,
    };
    (max >= min).then_some((max as f64) - (min as f64) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int32Array, Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field};
    use datafusion::logical_expr::{col, lit};
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    use std::sync::Arc;

    fn files() -> Schema {
        Schema::new(vec![
            Field::new("zone", DataType::Int64, true),
            Field::new("passengers", DataType::Int64, true),
            Field::new("flag", DataType::Utf8, true),
        ])
    }

    #[test]
    fn equalities_are_integer_column_equalities_and_in_lists() {
        let filters = vec![
            col("zone").eq(lit(132i64)),
            lit(4i64).eq(col("passengers")),
            col("flag").eq(lit("Y")),
            col("zone").gt(lit(3i64)),
            col("passengers").in_list(vec![lit(1i64), lit(2i64)], false),
            col("passengers").in_list(vec![lit(1i64)], true),
            col("month").eq(lit(3i64)),
        ];
        assert_eq!(
            equalities(&filters, &files()),
            vec![
                Equality { column: "zone".into(), values: 1 },
                Equality { column: "passengers".into(), values: 1 },
                Equality { column: "passengers".into(), values: 2 },
            ]
        );
    }

    /// A file of two row groups: `Zone` 1..=100 then 1..=10 (the file's own capitalisation),
    /// `passengers` 0..=4, `flag` text.
    fn metadata() -> Arc<ParquetMetaData> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Zone", DataType::Int32, false),
            Field::new("passengers", DataType::Int64, false),
            Field::new("flag", DataType::Utf8, false),
        ]));
        let group = |zones: Vec<i32>| {
            let n = zones.len();
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int32Array::from(zones)),
                    Arc::new(Int64Array::from((0..n as i64).map(|i| i % 5).collect::<Vec<_>>())),
                    Arc::new(StringArray::from(vec!["N"; n])),
                ],
            )
            .unwrap()
        };
        let mut bytes = Vec::new();
        let properties = WriterProperties::builder().set_max_row_group_row_count(Some(100)).build();
        let mut writer = ArrowWriter::try_new(&mut bytes, schema.clone(), Some(properties)).unwrap();
        writer.write(&group((1..=100).collect())).unwrap();
        writer.flush().unwrap();
        writer.write(&group((1..=10).cycle().take(100).collect())).unwrap();
        writer.close().unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        Arc::new(reader.metadata().clone())
    }

    #[test]
    fn the_expected_share_multiplies_each_row_groups_value_spans() {
        let files = [metadata()];
        let zone = Equality { column: "zone".into(), values: 1 };
        let passengers = Equality { column: "passengers".into(), values: 1 };
        // Row group 1 spans 100 zones, row group 2 spans 10, 100 rows each.
        let one = expected_share(&files, std::slice::from_ref(&zone)).unwrap();
        assert!((one.share - (0.01 + 0.1) / 2.0).abs() < 1e-12, "{one:?}");
        assert_eq!(one.columns, 1);
        // Both row groups span 5 passenger counts.
        let two = expected_share(&files, &[zone.clone(), passengers.clone()]).unwrap();
        assert!((two.share - (0.01 / 5.0 + 0.1 / 5.0) / 2.0).abs() < 1e-12, "{two:?}");
        assert_eq!(two.columns, 2);
        // An IN list of 20 values keeps a row group of 10 whole; two conjuncts on one column
        // are one column.
        let list = Equality { column: "zone".into(), values: 20 };
        let share = expected_share(&files, std::slice::from_ref(&list)).unwrap().share;
        assert!((share - (0.2 + 1.0) / 2.0).abs() < 1e-12, "{share}");
        assert_eq!(expected_share(&files, &[zone.clone(), list]).unwrap().columns, 1);
        // A column without integer statistics, or missing from the file, keeps every row.
        let flag = Equality { column: "flag".into(), values: 1 };
        let missing = Equality { column: "nothing".into(), values: 1 };
        assert_eq!(expected_share(&files, &[flag, missing]), Some(Estimate { share: 1.0, columns: 0 }));
        assert_eq!(expected_share(&[] as &[Arc<ParquetMetaData>], &[zone]), None);
    }

    #[test]
    fn one_columns_estimate_must_be_ten_times_smaller() {
        let pays = |share, columns| Estimate { share, columns }.row_filter_pays();
        assert!(pays(0.01, 2) && !pays(0.011, 2));
        assert!(pays(0.001, 1) && !pays(0.0038, 1));
        assert!(!pays(0.0, 0));
    }
}
