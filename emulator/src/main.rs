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
    /// Serve Glue, Athena and S3 on one port until SIGINT or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LAKEBOX_HOST", default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on; 0 picks a free port (printed when ready).
        #[arg(long, env = "LAKEBOX_PORT", default_value_t = 4566)]
        port: u16,
        /// Directory for all state: the catalog store (and, later, S3 objects and query results).
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
    },
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
        Command::Serve { host, port, data_dir, account_id, s3_endpoint, s3_region, file_roots } => {
            let mut builder =
                lakebox::LakeboxBuilder::default().host(host).port(port).data_dir(&data_dir).account_id(account_id);
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
