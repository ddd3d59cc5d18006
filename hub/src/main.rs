//! The city centre's hub node: holds every work order. Usage: `hub [--config FILE]`.

use clap::Parser;
use node_service::NodeRole;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "12345 hotline hub node")]
struct Args {
    /// The node's TOML config; without it, the development defaults.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    node_service::cli::init_logging();
    let args = Args::parse();
    let config = node_service::cli::load_config(args.config, NodeRole::Hub)?;
    node_service::cli::serve_until_ctrl_c(config).await
}
