//! Trino's `approx_percentile(x, percentage)`, `approx_percentile(x, percentages)` and the
//! weighted `approx_percentile(x, w, percentage[s])`, over histograms with relative-width buckets.
//! <https://trino.io/docs/current/functions/aggregate.html#approx_percentile>
//!
//! DataFusion's `approx_percentile_cont` (a t-digest) sorts every batch before merging it into the
//! digest: the sort was 72 % of a two-percentile query over 10M trips. This sketch does not sort.
//! A number's bucket is the top bits of its magnitude: the exponent and the first [`SUB_BITS`]
//! bits of the mantissa, so each power of two is split into 128 buckets (each under 0.8 % of its
//! values wide), and adding a value is one array update. Positive and negative numbers have a
//! histogram each; zeros, infinities and NaN are counted apart. A bucket keeps its count and the
//! smallest and largest value it holds; the value of a rank is interpolated between those two by
//! its place in the bucket. So:
//! - the answer for a rank lies between the smallest and largest input in that rank's bucket:
//!   within 0.8 % of the exact percentile, and exact when the bucket holds one distinct value
//!   (money amounts under 1.28, small integers, repeated values);
//! - inputs are kept as they are while that takes less memory than the histograms would (at
//!   least the first [`EXACT`], at most [`MAX_EXACT`]), so small groups are exact;
//! - percentiles interpolate between the two ranks around `p * (n - 1)` (as DuckDB's
//!   `quantile_cont` and DataFusion's t-digest do on small inputs);
//! - NaN sorts above every other value; NULLs (and rows with a NULL weight) are skipped.
//!
//! Trino's own sketch is a t-digest (an error in rank rather than in value): the answers match
//! Athena's where both are exact, and are otherwise within a bucket of the exact percentile.
//! A histogram spans at most [`MAX_BUCKETS`] buckets (64 powers of two and room to grow, 195 KiB); smaller
//! magnitudes than that below the largest share its lowest bucket (their ranks are then
//! interpolated between that bucket's smallest and largest value).

use super::udf::invalid;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Float64Builder, ListBuilder, UInt64Array, UInt64Builder,
    new_empty_array,
};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Float32Type, Float64Type, Int64Type, Schema, UInt64Type,
};
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use std::sync::Arc;

/// Mantissa bits in a bucket's index: 2^7 = 128 buckets per power of two.
const SUB_BITS: u32 = 7;
/// The shift from a magnitude's bits to its bucket.
const SHIFT: u32 = 52 - SUB_BITS;
/// Inputs are kept exactly while they take less memory than histograms would, checked when
/// their number reaches `EXACT`, then each time it doubles, up to `MAX_EXACT`.
const EXACT: usize = 256;
const MAX_EXACT: usize = 1 << 16;
/// The buckets of one power of two.
const OCTAVE: u64 = 1 << SUB_BITS;
/// The widest histogram: 65 powers of two (one of them room to grow).
const MAX_BUCKETS: usize = 65 << SUB_BITS;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    count: u64,
    min: f64,
    max: f64,
}

const EMPTY: Bucket = Bucket { count: 0, min: f64::INFINITY, max: f64::NEG_INFINITY };

impl Bucket {
    fn absorb(&mut self, other: &Bucket) {
        self.count = self.count.saturating_add(other.count);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The estimated value of the `k`-th (0-based, ascending) input in this bucket.
    fn value(&self, k: u64) -> f64 {
        if self.count == 1 || self.min == self.max {
            return self.min;
        }
        self.min + (self.max - self.min) * (k as f64 / (self.count - 1) as f64)
    }
}

/// Counts of positive finite magnitudes by bucket `bits >> SHIFT`, for buckets `lo..lo + len`;
/// bucket `lo` also holds everything below it once the histogram is [`MAX_BUCKETS`] wide.
#[derive(Clone, Debug, Default)]
struct Histogram {
    lo: u64,
    buckets: Vec<Bucket>,
}

impl Histogram {
    #[inline]
    fn slot(&mut self, i: u64) -> usize {
        match i.checked_sub(self.lo) {
            Some(d) if (d as usize) < self.buckets.len() => d as usize,
            _ => self.grow(i),
        }
    }

    #[inline]
    fn add(&mut self, m: f64, w: u64) {
        let slot = self.slot(m.to_bits() >> SHIFT);
        let b = &mut self.buckets[slot];
        b.count = b.count.saturating_add(w);
        if m < b.min {
            b.min = m;
        }
        if m > b.max {
            b.max = m;
        }
    }

    /// Makes room for bucket `i` and returns its slot (the lowest when `i` is too far below).
    #[cold]
    fn grow(&mut self, i: u64) -> usize {
        if self.buckets.is_empty() {
            self.lo = i;
            self.buckets.push(EMPTY);
            return 0;
        }
        if i < self.lo && self.buckets.len() >= MAX_BUCKETS {
            return 0;
        }
        let max = MAX_BUCKETS as u64;
        let end = self.lo + self.buckets.len() as u64;
        // The new range, with room to grow on the side that grew (up to a power of two, so a
        // full histogram keeps at least 64 powers of two of data), at most `max` wide.
        let (lo, end) = if i < self.lo {
            let lo = i.saturating_sub(((end - i) / 4 + 16).min(OCTAVE)).max(end.saturating_sub(max));
            (lo, end)
        } else {
            let end = i + 1 + ((i + 1 - self.lo) / 4 + 16).min(OCTAVE);
            (self.lo.max(end.saturating_sub(max)), end)
        };
        let mut buckets = vec![EMPTY; (end - lo) as usize];
        for (k, b) in self.buckets.iter().enumerate() {
            let at = (self.lo + k as u64).saturating_sub(lo) as usize;
            buckets[at].absorb(b);
        }
        self.buckets = buckets;
        self.lo = lo;
        i.saturating_sub(lo) as usize
    }

    fn merge(&mut self, other: &Histogram) {
        for (k, b) in other.buckets.iter().enumerate() {
            if b.count > 0 {
                let slot = self.slot(other.lo + k as u64);
                self.buckets[slot].absorb(b);
            }
        }
    }

    fn count(&self) -> u64 {
        self.buckets.iter().fold(0, |n, b| n.saturating_add(b.count))
    }

    fn size(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }
}

/// The histograms of a sketch, and the values they do not hold.
#[derive(Clone, Debug, Default)]
struct Histograms {
    negative: Histogram,
    positive: Histogram,
    negative_infinity: u64,
    zero: u64,
    positive_infinity: u64,
}

impl Histograms {
    #[inline]
    fn add(&mut self, x: f64, w: u64) {
        if x > 0.0 && x < f64::INFINITY {
            self.positive.add(x, w);
        } else if x < 0.0 && x > f64::NEG_INFINITY {
            self.negative.add(-x, w);
        } else if x == 0.0 {
            self.zero = self.zero.saturating_add(w);
        } else if x > 0.0 {
            self.positive_infinity = self.positive_infinity.saturating_add(w);
        } else {
            self.negative_infinity = self.negative_infinity.saturating_add(w);
        }
    }

    fn merge(&mut self, other: &Histograms) {
        self.negative.merge(&other.negative);
        self.positive.merge(&other.positive);
        self.negative_infinity = self.negative_infinity.saturating_add(other.negative_infinity);
        self.zero = self.zero.saturating_add(other.zero);
        self.positive_infinity = self.positive_infinity.saturating_add(other.positive_infinity);
    }

    /// The estimated `k`-th (0-based) number in ascending order, if there are more than `k`.
    fn value_at(&self, mut k: u64) -> Option<f64> {
        if k < self.negative_infinity {
            return Some(f64::NEG_INFINITY);
        }
        k -= self.negative_infinity;
        // Negative numbers ascend as their magnitudes descend.
        for b in self.negative.buckets.iter().rev() {
            if k < b.count {
                return Some(-b.value(b.count - 1 - k));
            }
            k -= b.count;
        }
        if k < self.zero {
            return Some(0.0);
        }
        k -= self.zero;
        for b in &self.positive.buckets {
            if k < b.count {
                return Some(b.value(k));
            }
            k -= b.count;
        }
        (k < self.positive_infinity).then_some(f64::INFINITY)
    }
}

/// The inputs of one group: kept as they are while there are few, then histograms.
#[derive(Clone, Debug, Default)]
struct Sketch {
    /// The exact inputs (empty once there are histograms).
    raw: Vec<(f64, u64)>,
    /// Whether `raw` is sorted (it is sorted to answer, and stays so until the next input).
    sorted: bool,
    /// The number of exact inputs at which to weigh them against histograms again (0: EXACT).
    check_at: usize,
    hist: Option<Box<Histograms>>,
    nan: u64,
    total: u64,
}

impl Sketch {
    #[inline]
    fn add(&mut self, x: f64, w: u64) {
        self.total = self.total.saturating_add(w);
        if x.is_nan() {
            self.nan = self.nan.saturating_add(w);
            return;
        }
        match &mut self.hist {
            Some(h) => h.add(x, w),
            None => {
                self.raw.push((x, w));
                self.sorted = false;
                if self.raw.len() >= self.check_at.max(EXACT) {
                    self.weigh();
                }
            }
        }
    }

    /// The histograms, built from the exact inputs the first time.
    fn histograms(&mut self) -> &mut Histograms {
        if self.hist.is_none() {
            let mut h = Box::<Histograms>::default();
            for (x, w) in std::mem::take(&mut self.raw) {
                h.add(x, w);
            }
            self.hist = Some(h);
        }
        self.hist.as_mut().expect("built above")
    }

    /// Builds the histograms once the exact inputs take as much memory as they would (or
    /// there are [`MAX_EXACT`]); otherwise looks again when their number has doubled.
    #[cold]
    fn weigh(&mut self) {
        let n = self.raw.len();
        let (mut positive, mut negative) = ((u64::MAX, 0), (u64::MAX, 0));
        for &(x, _) in &self.raw {
            let side = if x > 0.0 { &mut positive } else { &mut negative };
            if x != 0.0 && x.is_finite() {
                let i = x.abs().to_bits() >> SHIFT;
                *side = (side.0.min(i), side.1.max(i));
            }
        }
        let span = |(lo, hi): (u64, u64)| if lo > hi { 0 } else { (hi - lo + 1).min(MAX_BUCKETS as u64) as usize };
        let histograms = (span(positive) + span(negative)) * std::mem::size_of::<Bucket>();
        if n >= MAX_EXACT || n * std::mem::size_of::<(f64, u64)>() >= histograms {
            self.histograms();
        } else {
            self.check_at = 2 * n;
        }
    }

    /// Adds unweighted values; the common case, kept to one tight loop.
    fn add_all(&mut self, values: impl ExactSizeIterator<Item = f64>) {
        let mut values = values;
        while self.hist.is_none() {
            match values.next() {
                Some(x) => self.add(x, 1),
                None => return,
            }
        }
        let n = values.len() as u64;
        let mut nan = 0;
        let h = self.histograms();
        for x in values {
            if x > 0.0 && x < f64::INFINITY {
                h.positive.add(x, 1);
            } else if x.is_nan() {
                nan += 1;
            } else {
                h.add(x, 1);
            }
        }
        self.nan = self.nan.saturating_add(nan);
        self.total = self.total.saturating_add(n);
    }

    fn merge(&mut self, other: Sketch) {
        for (x, w) in other.raw {
            self.add(x, w);
        }
        if let Some(h) = &other.hist {
            let n = [h.negative.count(), h.positive.count(), h.negative_infinity, h.zero, h.positive_infinity]
                .into_iter()
                .fold(0u64, u64::saturating_add);
            self.histograms().merge(h);
            self.total = self.total.saturating_add(n);
        }
        self.nan = self.nan.saturating_add(other.nan);
        self.total = self.total.saturating_add(other.nan);
    }

    /// The estimated `k`-th (0-based) input; NaN past the last number.
    fn value_at(&self, k: u64) -> f64 {
        if let Some(h) = &self.hist {
            return h.value_at(k).unwrap_or(f64::NAN);
        }
        let mut k = k;
        for &(x, w) in &self.raw {
            if k < w {
                return x;
            }
            k -= w;
        }
        f64::NAN
    }

    /// The `p` percentile, interpolated between the ranks around `p * (n - 1)`.
    fn percentile(&mut self, p: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        if !self.sorted {
            self.raw.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            self.sorted = true;
        }
        let rank = p * (self.total - 1) as f64;
        let below = rank.floor();
        let frac = rank - below;
        let v0 = self.value_at(below as u64);
        if frac == 0.0 {
            return Some(v0);
        }
        let v1 = self.value_at(below as u64 + 1);
        Some(if v0 == v1 {
            v0
        } else if v0.is_finite() && v1.is_finite() {
            // DuckDB's quantile_cont's arithmetic, so small inputs give its very doubles.
            v0 + (v1 - v0) * frac
        } else {
            v0 * (1.0 - frac) + v1 * frac
        })
    }

    fn size(&self) -> usize {
        self.raw.capacity() * std::mem::size_of::<(f64, u64)>()
            + self
                .hist
                .as_ref()
                .map_or(0, |h| std::mem::size_of::<Histograms>() + h.negative.size() + h.positive.size())
    }
}

/// The percentage argument: one, or an array (the answer is then an array).
#[derive(Clone, Debug)]
enum Percentages {
    One(f64),
    Many(Vec<f64>),
}

fn percentage(v: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(invalid("Percentile must be between 0 and 1")) }
}

fn percentages(expr: &Arc<dyn datafusion::physical_expr::PhysicalExpr>) -> Result<Percentages> {
    let empty = datafusion::arrow::record_batch::RecordBatch::new_empty(Arc::new(Schema::empty()));
    let Ok(ColumnarValue::Scalar(value)) = expr.evaluate(&empty) else {
        return Err(invalid("approx_percentile: the percentage must be a constant"));
    };
    match &value {
        ScalarValue::Float64(Some(v)) => Ok(Percentages::One(percentage(*v)?)),
        ScalarValue::Float64(None) => Err(invalid("Percentile cannot be null")),
        ScalarValue::List(list) if list.len() == 1 && !list.is_null(0) => {
            let values = list.value(0);
            let values = values.as_primitive::<Float64Type>();
            let all = values.iter().map(|v| v.ok_or_else(|| invalid("Percentile cannot be null")).and_then(percentage));
            Ok(Percentages::Many(all.collect::<Result<_>>()?))
        }
        ScalarValue::List(_) => Err(invalid("Percentile cannot be null")),
        other => Err(invalid(format!("approx_percentile: unexpected percentage {other}"))),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ApproxPercentile {
    signature: Signature,
}

fn mismatch(arg_types: &[DataType]) -> DataFusionError {
    let names: Vec<String> = arg_types.iter().map(crate::query::types::athena_type_name).collect();
    DataFusionError::Plan(format!(
        "TYPE_MISMATCH: line 1:1: Unexpected parameters ({}) for function approx_percentile. Expected: \
         approx_percentile(bigint, double), approx_percentile(double, double), approx_percentile(real, double), \
         approx_percentile(T, array(double)), approx_percentile(T, bigint, double), \
         approx_percentile(T, bigint, array(double))",
        names.join(", ")
    ))
}

/// Inputs as Trino types them: integers as bigint, real, and double (decimals too).
fn value_type(t: &DataType) -> Option<DataType> {
    Some(match t {
        t if t.is_integer() => DataType::Int64,
        DataType::Float16 | DataType::Float32 => DataType::Float32,
        DataType::Float64 | DataType::Null => DataType::Float64,
        DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..) => {
            DataType::Float64
        }
        _ => return None,
    })
}

fn percentage_type(t: &DataType) -> Option<DataType> {
    match t {
        t if t.is_numeric() || *t == DataType::Null => Some(DataType::Float64),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if f.data_type().is_numeric() || *f.data_type() == DataType::Null =>
        {
            Some(DataType::new_list(DataType::Float64, true))
        }
        _ => None,
    }
}

impl AggregateUDFImpl for ApproxPercentile {
    fn name(&self) -> &str {
        "approx_percentile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let coerced = match arg_types {
            [x, p] => value_type(x).zip(percentage_type(p)).map(|(x, p)| vec![x, p]),
            [x, w, p] if w.is_integer() || w.is_floating() || *w == DataType::Null => {
                value_type(x).zip(percentage_type(p)).map(|(x, p)| vec![x, DataType::Int64, p])
            }
            _ => None,
        };
        coerced.ok_or_else(|| mismatch(arg_types))
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let (Some(x), Some(p)) = (arg_types.first(), arg_types.last()) else {
            return Err(mismatch(arg_types));
        };
        Ok(match p {
            DataType::List(_) => DataType::new_list(x.clone(), true),
            _ => x.clone(),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, t: DataType| {
            Field::new_list(format_state_name(args.name, name), Field::new_list_field(t, true), true)
        };
        let mut fields = vec![list("raw_values", DataType::Float64), list("raw_weights", DataType::UInt64)];
        for side in ["negative", "positive"] {
            fields.push(Field::new(format_state_name(args.name, &format!("{side}_lo")), DataType::UInt64, true));
            fields.push(list(&format!("{side}_counts"), DataType::UInt64));
            fields.push(list(&format!("{side}_mins"), DataType::Float64));
            fields.push(list(&format!("{side}_maxs"), DataType::Float64));
        }
        // -inf, zero, +inf and NaN.
        fields.push(list("specials", DataType::UInt64));
        Ok(fields.into_iter().map(Arc::new).collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PercentileAccumulator { sketch: Sketch::default(), spec: Spec::new(&args)? }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PercentileGroups {
            spec: Spec::new(&args)?,
            sketches: Vec::new(),
            sizes: Vec::new(),
            touched: Vec::new(),
            touched_list: Vec::new(),
            bytes: 0,
        }))
    }
}

/// What an accumulator answers: its percentages, whether rows carry weights, and the type of `x`
/// after coercion (bigint, real or double), which is the answer's.
#[derive(Debug, Clone)]
struct Spec {
    percentages: Percentages,
    weighted: bool,
    output: DataType,
}

/// The values of `x` as doubles (NULL as None), whatever its coerced type.
fn doubles(values: &ArrayRef) -> Result<Vec<Option<f64>>> {
    Ok(match values.data_type() {
        DataType::Float64 => values.as_primitive::<Float64Type>().iter().collect(),
        DataType::Float32 => values.as_primitive::<Float32Type>().iter().map(|v| v.map(f64::from)).collect(),
        DataType::Int64 => values.as_primitive::<Int64Type>().iter().map(|v| v.map(|v| v as f64)).collect(),
        DataType::Null => vec![None; values.len()],
        other => return Err(invalid(format!("approx_percentile: unexpected input type {other}"))),
    })
}

impl Spec {
    fn new(args: &AccumulatorArgs) -> Result<Self> {
        let (Some(x), Some(p)) = (args.expr_fields.first(), args.exprs.last()) else {
            return Err(invalid("approx_percentile: missing arguments"));
        };
        Ok(Spec { percentages: percentages(p)?, weighted: args.exprs.len() == 3, output: x.data_type().clone() })
    }

    fn return_type(&self) -> DataType {
        match self.percentages {
            Percentages::One(_) => self.output.clone(),
            Percentages::Many(_) => DataType::new_list(self.output.clone(), true),
        }
    }

    fn answer(&self, v: Option<f64>) -> ScalarValue {
        match self.output {
            DataType::Int64 => ScalarValue::Int64(v.map(|v| v.round() as i64)),
            DataType::Float32 => ScalarValue::Float32(v.map(|v| v as f32)),
            _ => ScalarValue::Float64(v),
        }
    }

    fn evaluate(&self, s: &mut Sketch) -> Result<ScalarValue> {
        match &self.percentages {
            Percentages::One(p) => Ok(self.answer(s.percentile(*p))),
            Percentages::Many(_) if s.total == 0 => ScalarValue::try_from(self.return_type()),
            Percentages::Many(ps) => {
                let values: Vec<ScalarValue> = ps.iter().map(|p| self.answer(s.percentile(*p))).collect();
                Ok(ScalarValue::List(ScalarValue::new_list_nullable(&values, &self.output)))
            }
        }
    }

    /// Calls `f(row, x, weight)` for each row of a batch that counts: not NULL (nor its weight),
    /// not filtered out. A weight below 1 is an error, as in Trino.
    fn rows(
        &self,
        values: &[ArrayRef],
        filter: Option<&BooleanArray>,
        mut f: impl FnMut(usize, f64, u64),
    ) -> Result<()> {
        let xs = doubles(&values[0])?;
        let weights = if self.weighted { Some(values[1].as_primitive::<Int64Type>()) } else { None };
        for (row, x) in xs.into_iter().enumerate() {
            let Some(x) = x else { continue };
            if filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                continue;
            }
            let w = match weights {
                None => 1,
                Some(w) if w.is_null(row) => continue,
                Some(w) if w.value(row) < 1 => {
                    return Err(invalid(format!("approx_percentile: weight must be >= 1, was {}", w.value(row))));
                }
                Some(w) => w.value(row) as u64,
            };
            f(row, x, w);
        }
        Ok(())
    }
}

#[derive(Debug)]
struct PercentileAccumulator {
    sketch: Sketch,
    spec: Spec,
}

impl Accumulator for PercentileAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let x = &values[0];
        if let (false, DataType::Float64, 0) = (self.spec.weighted, x.data_type(), x.null_count()) {
            self.sketch.add_all(x.as_primitive::<Float64Type>().values().iter().copied());
            return Ok(());
        }
        let sketch = &mut self.sketch;
        self.spec.rows(values, None, |_, x, w| sketch.add(x, w))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.spec.evaluate(&mut self.sketch)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sketch.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut state = StateBuilder::default();
        state.append(&self.sketch);
        state.finish().iter().map(|column| ScalarValue::try_from_array(column, 0)).collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for row in 0..states.first().map_or(0, |s| s.len()) {
            if let Some(s) = sketch_from_state(states, row)? {
                self.sketch.merge(s);
            }
        }
        Ok(())
    }
}

/// One sketch per group. `size` is kept up to date from the groups each batch touched (DataFusion
/// asks after every batch; summing every group's sketch each time would be quadratic).
#[derive(Debug)]
struct PercentileGroups {
    spec: Spec,
    sketches: Vec<Sketch>,
    sizes: Vec<usize>,
    touched: Vec<bool>,
    touched_list: Vec<usize>,
    bytes: usize,
}

impl PercentileGroups {
    fn reserve(&mut self, groups: usize) {
        if self.sketches.len() < groups {
            self.sketches.resize_with(groups, Sketch::default);
            self.sizes.resize(groups, 0);
            self.touched.resize(groups, false);
        }
    }

    fn touch(touched: &mut [bool], list: &mut Vec<usize>, g: usize) {
        if !touched[g] {
            touched[g] = true;
            list.push(g);
        }
    }

    fn account(&mut self) {
        for g in std::mem::take(&mut self.touched_list) {
            self.touched[g] = false;
            let size = self.sketches[g].size();
            self.bytes = (self.bytes + size).saturating_sub(self.sizes[g]);
            self.sizes[g] = size;
        }
    }

    fn take(&mut self, emit_to: EmitTo) -> Vec<Sketch> {
        let sketches = emit_to.take_needed(&mut self.sketches);
        let sizes = emit_to.take_needed(&mut self.sizes);
        emit_to.take_needed(&mut self.touched);
        self.bytes = self.bytes.saturating_sub(sizes.iter().sum());
        sketches
    }
}

impl GroupsAccumulator for PercentileGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.reserve(total_num_groups);
        let (sketches, touched, list) = (&mut self.sketches, &mut self.touched, &mut self.touched_list);
        self.spec.rows(values, opt_filter, |row, x, w| {
            let g = group_indices[row];
            sketches[g].add(x, w);
            Self::touch(touched, list, g);
        })?;
        self.account();
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut sketches = self.take(emit_to);
        if sketches.is_empty() {
            return Ok(new_empty_array(&self.spec.return_type()));
        }
        let answers = sketches.iter_mut().map(|s| self.spec.evaluate(s)).collect::<Result<Vec<_>>>()?;
        ScalarValue::iter_to_array(answers)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut state = StateBuilder::default();
        // Each sketch is freed once it is in the state columns.
        for s in self.take(emit_to) {
            state.append(&s);
        }
        Ok(state.finish())
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.reserve(total_num_groups);
        for (row, &g) in group_indices.iter().enumerate() {
            if let Some(s) = sketch_from_state(values, row)? {
                self.sketches[g].merge(s);
                Self::touch(&mut self.touched, &mut self.touched_list, g);
            }
        }
        self.account();
        Ok(())
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        // One state row per input row: the row's value alone (or nothing).
        let mut inputs = vec![None; values[0].len()];
        self.spec.rows(values, opt_filter, |row, x, w| inputs[row] = Some((x, w)))?;
        let mut state = StateBuilder::default();
        for input in inputs {
            state.append(&Sketch { raw: input.into_iter().collect(), ..Sketch::default() });
        }
        Ok(state.finish())
    }

    fn size(&self) -> usize {
        self.bytes
            + self.sketches.capacity() * std::mem::size_of::<Sketch>()
            + self.sizes.capacity() * std::mem::size_of::<usize>()
            + self.touched.capacity()
    }
}

/// A histogram's state columns: `lo`, counts, minimums, maximums.
type SideBuilder =
    (UInt64Builder, ListBuilder<UInt64Builder>, ListBuilder<Float64Builder>, ListBuilder<Float64Builder>);

/// The state columns (in `state_fields` order) of sketches, a row each.
#[derive(Default)]
struct StateBuilder {
    raw_values: ListBuilder<Float64Builder>,
    raw_weights: ListBuilder<UInt64Builder>,
    sides: [SideBuilder; 2],
    specials: ListBuilder<UInt64Builder>,
}

impl StateBuilder {
    fn append(&mut self, s: &Sketch) {
        self.raw_values.append_value(s.raw.iter().map(|r| Some(r.0)));
        self.raw_weights.append_value(s.raw.iter().map(|r| Some(r.1)));
        let empty = Histograms::default();
        let h = s.hist.as_deref().unwrap_or(&empty);
        for (side, (lo, counts, mins, maxs)) in [&h.negative, &h.positive].into_iter().zip(&mut self.sides) {
            // The buckets from the first to the last that holds a value (not the room to grow).
            let first = side.buckets.iter().position(|b| b.count > 0).unwrap_or(side.buckets.len());
            let last = side.buckets.iter().rposition(|b| b.count > 0).map_or(first, |i| i + 1);
            let used = &side.buckets[first..last];
            lo.append_value(side.lo + first as u64);
            counts.append_value(used.iter().map(|b| Some(b.count)));
            mins.append_value(used.iter().map(|b| Some(b.min)));
            maxs.append_value(used.iter().map(|b| Some(b.max)));
        }
        self.specials.append_value([h.negative_infinity, h.zero, h.positive_infinity, s.nan].map(Some));
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.raw_values.finish()), Arc::new(self.raw_weights.finish())];
        for (lo, counts, mins, maxs) in &mut self.sides {
            columns.push(Arc::new(lo.finish()));
            columns.push(Arc::new(counts.finish()));
            columns.push(Arc::new(mins.finish()));
            columns.push(Arc::new(maxs.finish()));
        }
        columns.push(Arc::new(self.specials.finish()));
        columns
    }
}

/// The sketch in row `row` of state columns (None for a NULL row).
fn sketch_from_state(states: &[ArrayRef], row: usize) -> Result<Option<Sketch>> {
    let malformed = || invalid("approx_percentile: malformed state");
    let [raw_values, raw_weights, sides @ .., specials] = states else {
        return Err(malformed());
    };
    if sides.len() != 8 {
        return Err(malformed());
    }
    let (raw_values, raw_weights) = (raw_values.as_list::<i32>(), raw_weights.as_list::<i32>());
    if raw_values.is_null(row) {
        return Ok(None);
    }
    let (values, weights) = (raw_values.value(row), raw_weights.value(row));
    let raw = values.as_primitive::<Float64Type>().values().iter().copied();
    let raw: Vec<(f64, u64)> = raw.zip(weights.as_primitive::<UInt64Type>().values().iter().copied()).collect();
    let histogram = |at: usize| -> Histogram {
        let lo: &UInt64Array = sides[at].as_primitive();
        let (counts, mins, maxs) =
            (sides[at + 1].as_list::<i32>(), sides[at + 2].as_list::<i32>(), sides[at + 3].as_list::<i32>());
        let (counts, mins, maxs) = (counts.value(row), mins.value(row), maxs.value(row));
        let (mins, maxs): (&Float64Array, &Float64Array) = (mins.as_primitive(), maxs.as_primitive());
        let buckets = counts
            .as_primitive::<UInt64Type>()
            .values()
            .iter()
            .zip(mins.values().iter().zip(maxs.values()))
            .map(|(&count, (&min, &max))| Bucket { count, min, max })
            .collect();
        Histogram { lo: lo.value(row), buckets }
    };
    let special = specials.as_list::<i32>().value(row);
    let &[negative_infinity, zero, positive_infinity, nan] = special.as_primitive::<UInt64Type>().values().as_ref()
    else {
        return Err(malformed());
    };
    let (negative, positive) = (histogram(0), histogram(4));
    let hist = (!negative.buckets.is_empty()
        || !positive.buckets.is_empty()
        || negative_infinity + zero + positive_infinity > 0)
        .then(|| Box::new(Histograms { negative, positive, negative_infinity, zero, positive_infinity }));
    Ok(Some(Sketch { raw, sorted: false, check_at: 0, hist, nan, total: 0 }))
}

/// The `approx_percentile` aggregate.
pub fn functions() -> Vec<AggregateUDF> {
    vec![AggregateUDF::new_from_impl(ApproxPercentile { signature: Signature::user_defined(Volatility::Immutable) })]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic generator (xorshift), so the tests need no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The exact `p` percentile of `values` as DuckDB's `quantile_cont` defines it.
    fn exact(values: &[f64], p: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = p * (v.len() - 1) as f64;
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
    }

    fn sketch_of(values: &[f64]) -> Sketch {
        let mut s = Sketch::default();
        for chunk in values.chunks(8192) {
            s.add_all(chunk.iter().copied());
        }
        s
    }

    const PS: [f64; 9] = [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0];

    fn assert_close(values: &[f64], s: &mut Sketch, tolerance: f64) {
        for p in PS {
            let (got, want) = (s.percentile(p).unwrap(), exact(values, p));
            let err = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
            assert!(err <= tolerance, "p={p}: got {got}, exact {want} (relative error {err})");
        }
    }

    #[test]
    fn small_inputs_are_exact() {
        let values = [5.0, 10.0, 15.0, 20.0, 30.0, -3.5, 0.0, 7.25];
        let mut s = sketch_of(&values);
        assert!(s.hist.is_none());
        for p in PS {
            assert_eq!(s.percentile(p), Some(exact(&values, p)), "p={p}");
        }
        assert_eq!(Sketch::default().percentile(0.5), None);
    }

    #[test]
    fn large_inputs_are_within_a_bucket_of_the_exact_percentile() {
        let mut rng = Rng(42);
        // Uniform, log-normal-like (fares), and signed values spanning many powers of two.
        let uniform: Vec<f64> = (0..200_000).map(|_| rng.unit() * 100.0).collect();
        let skewed: Vec<f64> = (0..200_000).map(|_| (rng.unit() * 8.0).exp()).collect();
        let signed: Vec<f64> = (0..200_000).map(|_| (rng.unit() - 0.3) * 1e6 * rng.unit().powi(2)).collect();
        for values in [&uniform, &skewed, &signed] {
            let mut s = sketch_of(values);
            assert!(s.hist.is_some());
            // A bucket is 1/128 of a power of two wide: under 0.79 % of its values.
            assert_close(values, &mut s, 1.0 / 128.0);
        }
    }

    #[test]
    fn repeated_values_are_exact() {
        // Money amounts: every bucket under 1.28 holds one cent value; 10,000 copies of each.
        let values: Vec<f64> = (0..1_000_000).map(|i| ((i % 100) as f64) / 100.0).collect();
        let mut s = sketch_of(&values);
        for p in [0.0, 0.1, 0.37, 0.5, 0.99, 1.0] {
            let rank = (p * (values.len() - 1) as f64).floor();
            let want = exact(&values, p);
            // Exact whenever both neighbouring ranks hold the same amount.
            if exact(&values, rank / (values.len() - 1) as f64) == want {
                assert_eq!(s.percentile(p), Some(want), "p={p}");
            }
        }
    }

    fn spec(percentages: Percentages) -> Spec {
        Spec { percentages, weighted: false, output: DataType::Float64 }
    }

    #[test]
    fn merged_partial_states_answer_as_one_sketch() {
        let mut rng = Rng(7);
        let values: Vec<f64> = (0..100_000).map(|_| (rng.unit() * 6.0).exp() - 20.0).collect();
        let mut whole = sketch_of(&values);
        // Four partial sketches (one still exact), merged through the accumulator state.
        let mut merged = PercentileAccumulator { sketch: Sketch::default(), spec: spec(Percentages::One(0.5)) };
        for part in [&values[..100], &values[100..40_000], &values[40_000..90_000], &values[90_000..]] {
            let mut acc = PercentileAccumulator { sketch: sketch_of(part), spec: spec(Percentages::One(0.5)) };
            let state: Vec<ArrayRef> = acc.state().unwrap().iter().map(|v| v.to_array().unwrap()).collect();
            merged.merge_batch(&state).unwrap();
        }
        assert_eq!(merged.sketch.total, values.len() as u64);
        for p in PS {
            assert_eq!(merged.sketch.percentile(p), whole.percentile(p), "p={p}");
        }
        assert_close(&values, &mut merged.sketch, 1.0 / 128.0);
    }

    #[test]
    fn groups_answer_as_a_sketch_per_group() {
        // 50 groups of very different sizes (group g gets about g^2 rows), in batches of 8,192
        // rows, half the batches through partial states and half through convert_to_state, some
        // NULLs and a filter; each group must answer as a sketch of its own rows does.
        let mut rng = Rng(5);
        let n = 200_000;
        let groups: Vec<usize> = (0..n).map(|_| ((rng.unit() * 2500.0).sqrt() as usize).min(49)).collect();
        let xs: Vec<Option<f64>> = (0..n)
            .map(|i| (i % 97 != 0).then(|| (rng.unit() * 7.0).exp() * if i % 5 == 0 { -1.0 } else { 1.0 }))
            .collect();
        let keep: Vec<bool> = (0..n).map(|i| i % 11 != 0).collect();
        let ps = vec![0.0, 0.05, 0.5, 0.95, 1.0];
        let new = || PercentileGroups {
            spec: spec(Percentages::Many(ps.clone())),
            sketches: Vec::new(),
            sizes: Vec::new(),
            touched: Vec::new(),
            touched_list: Vec::new(),
            bytes: 0,
        };
        let (mut partial, mut last) = (new(), new());
        for start in (0..n).step_by(8192) {
            let end = (start + 8192).min(n);
            let values: ArrayRef = Arc::new(Float64Array::from(xs[start..end].to_vec()));
            let filter = BooleanArray::from(keep[start..end].to_vec());
            if (start / 8192) % 2 == 0 {
                partial.update_batch(&[values], &groups[start..end], Some(&filter), 50).unwrap();
            } else {
                let state = last.convert_to_state(&[values], Some(&filter)).unwrap();
                last.merge_batch(&state, &groups[start..end], 50).unwrap();
            }
        }
        assert!(partial.size() > 0);
        let state = partial.state(EmitTo::All).unwrap();
        last.merge_batch(&state, &(0..50).collect::<Vec<_>>(), 50).unwrap();
        let answers = last.evaluate(EmitTo::All).unwrap();
        let answers = answers.as_list::<i32>();
        for g in 0..50 {
            let rows: Vec<f64> = (0..n).filter(|&i| groups[i] == g && keep[i]).filter_map(|i| xs[i]).collect();
            let got = answers.value(g);
            let got: Vec<Option<f64>> = got.as_primitive::<Float64Type>().iter().collect();
            assert_eq!(got.len(), ps.len());
            for (&p, v) in ps.iter().zip(&got) {
                let (v, exact) = (v.unwrap(), exact(&rows, p));
                // Groups of up to 256 rows are exact; the others within a bucket.
                if rows.len() <= EXACT {
                    assert_eq!(v, exact, "group {g} ({} rows) p={p}", rows.len());
                }
                assert!((v - exact).abs() <= exact.abs() / 128.0, "group {g} p={p}: {v} vs {exact}");
            }
        }
    }

    #[test]
    fn weights_count_as_copies() {
        let mut rng = Rng(3);
        let pairs: Vec<(f64, u64)> = (0..5_000).map(|_| (rng.unit() * 1000.0, 1 + rng.next() % 5)).collect();
        let copies: Vec<f64> = pairs.iter().flat_map(|&(x, w)| std::iter::repeat_n(x, w as usize)).collect();
        let mut weighted = Sketch::default();
        pairs.iter().for_each(|&(x, w)| weighted.add(x, w));
        let mut repeated = sketch_of(&copies);
        // Both as histograms (the exact inputs of each would be exact anyway).
        weighted.histograms();
        repeated.histograms();
        for p in PS {
            assert_eq!(weighted.percentile(p), repeated.percentile(p), "p={p}");
        }
        assert_close(&copies, &mut weighted, 1.0 / 128.0);
    }

    #[test]
    fn magnitudes_beyond_the_widest_histogram_share_its_lowest_bucket() {
        // Every power of two from 2^-1000 to 2^999, both signs, the infinities and zeros.
        let mut values: Vec<f64> = (-1000..1000).flat_map(|e| [2f64.powi(e), -(2f64.powi(e)) * 1.5]).collect();
        values.extend([f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]);
        let mut s = sketch_of(&values);
        // Fewer inputs than the histograms' buckets stay exact; these test the histograms.
        assert!(s.hist.is_none());
        s.histograms();
        let h = s.hist.as_ref().unwrap();
        assert_eq!((h.positive.buckets.len(), h.negative.buckets.len()), (MAX_BUCKETS, MAX_BUCKETS));
        assert_eq!((h.zero, h.positive_infinity, h.negative_infinity), (2, 1, 1));
        let n = (values.len() - 1) as f64;
        assert_eq!(s.percentile(0.0), Some(f64::NEG_INFINITY));
        assert_eq!(s.percentile(1.0), Some(f64::INFINITY));
        // The largest 64 powers of two have a bucket each, so their ranks are exact.
        assert_eq!(s.percentile(1.0 / n), Some(-1.5 * 2f64.powi(999)));
        assert_eq!(s.percentile((n - 1.0) / n), Some(2f64.powi(999)));
        assert_eq!(s.percentile((n - 64.0) / n), Some(2f64.powi(936)));
        // Below them ranks interpolate in the shared bucket, in order, and the middle is zero.
        let answers: Vec<f64> = (0..=1000).map(|p| s.percentile(p as f64 / 1000.0).unwrap()).collect();
        assert!(answers.windows(2).all(|w| w[0] <= w[1]), "{answers:?}");
        assert_eq!(s.percentile(0.5), Some(0.0));
    }

    #[test]
    fn nan_sorts_last() {
        let mut values: Vec<f64> = (0..1000).map(f64::from).collect();
        values.extend([f64::NAN; 10]);
        let mut s = sketch_of(&values);
        assert!(s.percentile(1.0).unwrap().is_nan());
        assert_eq!(s.percentile(0.0), Some(0.0));
        assert_eq!(s.percentile(999.0 / 1009.0), Some(999.0));
    }

    #[test]
    fn positive_and_negative_values_keep_their_precision_around_zero() {
        // Tips: many zeros, small and large amounts, a few negative corrections.
        let mut rng = Rng(11);
        let values: Vec<f64> = (0..300_000)
            .map(|i| match i % 10 {
                0..=3 => 0.0,
                4 => -(rng.unit() * 5.0),
                _ => (rng.unit() * 4.0).exp() - 1.0,
            })
            .collect();
        let mut s = sketch_of(&values);
        for p in PS {
            let (got, want) = (s.percentile(p).unwrap(), exact(&values, p));
            assert!((got - want).abs() <= want.abs() / 128.0, "p={p}: got {got}, exact {want}");
        }
    }
}
