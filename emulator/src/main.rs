//! The `lakebox` command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "lakebox", version, about = "AWS Glue Data Catalog, Athena and S3 on one local port")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate test data and load it through the S3 (and Glue) API of any endpoint.
    #[command(subcommand)]
    Fixtures(Fixtures),
    /// Serve Glue, Athena and S3 on one port until SIGINT or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LAKEBOX_HOST", default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on; 0 picks a free port (printed when ready).
        #[arg(long, env = "LAKEBOX_PORT", default_value_t = 4566)]
        port: u16,
        /// Directory for all state: the Glue catalog, Athena's state, and S3 objects with their metadata.
        #[arg(long, env = "LAKEBOX_DATA_DIR", default_value = "./lakebox-data")]
        data_dir: PathBuf,
        /// Account id used as the default Glue catalog id and in ARNs.
        #[arg(long, env = "LAKEBOX_ACCOUNT_ID", default_value = lakebox::DEFAULT_ACCOUNT_ID)]
        account_id: String,
        /// External-storage mode: keep table data and query results on this S3 endpoint (MinIO,
        /// Ceph, AWS) instead of the data dir. Credentials come from the AWS environment variables.
        #[arg(long, env = "LAKEBOX_S3_ENDPOINT")]
        s3_endpoint: Option<String>,
        /// Region of the external S3 endpoint.
        #[arg(long, env = "LAKEBOX_S3_REGION", default_value = "us-east-1")]
        s3_region: String,
        /// Directory under which file:// table locations are allowed (repeatable).
        #[arg(long = "file-root", env = "LAKEBOX_FILE_ROOTS", value_delimiter = ':')]
        file_roots: Vec<PathBuf>,
        /// How long StartQueryExecution waits for the query to finish before answering, in
        /// milliseconds (clients that poll every second then find short queries done; 0 answers
        /// at once, as Athena does).
        #[arg(long, env = "LAKEBOX_START_WAIT_MS", default_value_t = 1000)]
        start_wait_ms: u64,
        /// Read the data dir's files with ordinary reads instead of memory maps (use it when
        /// another process rewrites files under <data-dir>/s3/ in place while queries run).
        #[arg(long, env = "LAKEBOX_NO_MMAP", value_parser = clap::builder::FalseyValueParser::new())]
        no_mmap: bool,
    },
}

#[derive(Subcommand)]
enum Fixtures {
    /// NYC yellow-taxi trips (TLC columns), deterministic for a seed.
    Taxi(TaxiArgs),
    /// The 265-row taxi-zone lookup (LocationID, Borough, Zone, service_zone) as CSV.
    Zones(ZonesArgs),
}

#[derive(clap::Args)]
struct ZonesArgs {
    /// Destination: s3://bucket/prefix (the bucket must exist), or file:///dir to write a local file.
    #[arg(long)]
    to: String,
    /// Register a Glue table named database.table over the file.
    #[arg(long)]
    register: Option<String>,
    /// The endpoint (default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4566).
    #[arg(long)]
    endpoint: Option<String>,
}

#[derive(clap::Args)]
struct TaxiArgs {
    /// Number of trips.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// File format.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FormatArg,
    /// Gzip CSV files.
    #[arg(long)]
    gzip: bool,
    /// Folder layout: Hive year=/month= partitions, Firehose-style YYYY/MM/DD/HH, or flat.
    #[arg(long, value_enum, default_value = "hive")]
    layout: LayoutArg,
    /// Seed: the same seed writes byte-identical objects.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First month, YYYY-MM.
    #[arg(long, default_value = "2024-01")]
    start: String,
    /// Number of months the trips spread over.
    #[arg(long, default_value_t = 3)]
    months: u32,
    /// Most rows in one file.
    #[arg(long, default_value_t = 1_000_000)]
    rows_per_file: usize,
    /// Destination: s3://bucket/prefix (the bucket must exist), or file:///dir to write local files.
    #[arg(long)]
    to: String,
    /// Register a Glue table (and its partitions) named database.table over the files.
    #[arg(long)]
    register: Option<String>,
    /// Endpoint of the S3 and Glue APIs (default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4566).
    #[arg(long)]
    endpoint: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Parquet,
    Csv,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LayoutArg {
    Hive,
    Hourly,
    Flat,
}

async fn load_taxi(args: TaxiArgs) -> anyhow::Result<()> {
    let start = args
        .start
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?)))
        .ok_or_else(|| anyhow::anyhow!("--start wants YYYY-MM, got '{}'", args.start))?;
    if let Some(dir) = args.to.strip_prefix("file://") {
        if args.register.is_some() {
            anyhow::bail!("--register needs an s3:// destination");
        }
        let options = taxi_options(&args, start, false);
        let report = lakebox_fixtures::load::write_local(&options, std::path::Path::new(dir))?;
        println!("wrote {} rows in {} files ({} bytes) to {}", report.rows, report.files, report.bytes, args.to);
        return Ok(());
    }
    let (s3, glue) = clients(args.endpoint.clone()).await;
    let options = taxi_options(&args, start, std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let report = lakebox_fixtures::load::load_taxi(&s3, &glue, &options).await?;
    println!(
        "wrote {} rows in {} files ({} bytes) to {}{}",
        report.rows,
        report.files,
        report.bytes,
        args.to,
        args.register
            .map(|t| format!(", registered as {t} with {} partitions", report.partitions.len()))
            .unwrap_or_default()
    );
    Ok(())
}

async fn load_zones(args: ZonesArgs) -> anyhow::Result<()> {
    if let Some(dir) = args.to.strip_prefix("file://") {
        anyhow::ensure!(args.register.is_none(), "--register needs an s3:// destination");
        std::fs::create_dir_all(dir)?;
        let path = std::path::Path::new(dir).join(lakebox_fixtures::load::ZONES_FILE);
        std::fs::write(&path, lakebox_fixtures::zones::csv())?;
        println!("wrote {}", path.display());
        return Ok(());
    }
    let (s3, glue) = clients(args.endpoint.clone()).await;
    lakebox_fixtures::load::load_zones(&s3, &glue, &args.to, args.register.as_deref()).await?;
    println!("wrote 265 zones to {}", args.to);
    Ok(())
}

/// S3 (path style) and Glue clients for an endpoint.
async fn clients(endpoint: Option<String>) -> (aws_sdk_s3::Client, aws_sdk_glue::Client) {
    let endpoint =
        endpoint.or_else(|| std::env::var("AWS_ENDPOINT_URL").ok()).unwrap_or_else(|| "http://127.0.0.1:4566".into());
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(&endpoint);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() && std::env::var_os("AWS_PROFILE").is_none() {
        // Lakebox accepts any credentials; don't make the default chain probe for real ones.
        loader =
            loader.credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "lakebox"));
    }
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
        loader = loader.region(aws_config::Region::new("us-east-1"));
    }
    let sdk = loader.load().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    (s3, aws_sdk_glue::Client::new(&sdk))
}

fn taxi_options(args: &TaxiArgs, start: (i32, u32), progress: bool) -> lakebox_fixtures::load::LoadOptions {
    use lakebox_fixtures::write::{Format, Layout};
    lakebox_fixtures::load::LoadOptions {
        config: lakebox_fixtures::TaxiConfig { rows: args.rows, seed: args.seed, start, months: args.months },
        format: match args.format {
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Csv => Format::Csv { gzip: args.gzip },
            FormatArg::Json => Format::Json,
        },
        layout: match args.layout {
            LayoutArg::Hive => Layout::Hive,
            LayoutArg::Hourly => Layout::Hourly,
            LayoutArg::Flat => Layout::Flat,
        },
        rows_per_file: args.rows_per_file,
        destination: args.to.clone(),
        register: args.register.clone(),
        progress,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAKEBOX_LOG").unwrap_or_else(|_| "lakebox=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Fixtures(Fixtures::Taxi(args)) => load_taxi(args).await?,
        Command::Fixtures(Fixtures::Zones(args)) => load_zones(args).await?,
        Command::Serve {
            host,
            port,
            data_dir,
            account_id,
            s3_endpoint,
            s3_region,
            file_roots,
            start_wait_ms,
            no_mmap,
        } => {
            let mut builder = lakebox::LakeboxBuilder::default()
                .host(host)
                .port(port)
                .data_dir(&data_dir)
                .account_id(account_id)
                .start_wait(std::time::Duration::from_millis(start_wait_ms))
                .map_files(!no_mmap);
            if let Some(endpoint) = &s3_endpoint {
                builder = builder.s3_endpoint(endpoint, s3_region);
                tracing::info!(endpoint, "external-storage mode: objects live on the external S3 endpoint");
            }
            for root in file_roots {
                builder = builder.file_root(root);
            }
            let server = builder.start().await?;
            tracing::info!(data_dir = %data_dir.display(), "state kept in the data dir");
            // Scripts wait for this line (stdout) to know the port, also when --port 0.
            println!("Lakebox {} listening on {}", lakebox::VERSION, server.endpoint());
            shutdown_signal().await;
            tracing::info!("shutting down");
            server.stop().await?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
