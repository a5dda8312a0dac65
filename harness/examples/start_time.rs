//! How long `Lakebox::start()` takes, and until the first Glue answer, over 30 starts:
//! `cargo run --release -p lakebox-harness --example start_time` (docs/PERFORMANCE.md).

use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut start, mut first) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let t = Instant::now();
        let lakebox = lakebox_harness::Lakebox::start().await?;
        start.push(t.elapsed());
        lakebox.glue().get_databases().send().await?;
        first.push(t.elapsed());
    }
    for (name, mut samples) in [("Lakebox::start()", start), ("start + first GetDatabases", first)] {
        samples.sort();
        println!(
            "{name}: median {:.1} ms, p90 {:.1} ms, max {:.1} ms (30 starts)",
            percentile(&samples, 0.5).as_secs_f64() * 1e3,
            percentile(&samples, 0.9).as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3
        );
    }
    Ok(())
}
