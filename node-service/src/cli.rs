//! The shared body of the `hub` and `edge-node` binaries: read the config, serve until Ctrl-C.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::config::{NodeConfig, NodeRole};

/// Installs the log subscriber (`RUST_LOG`, default `info`). Binaries only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Loads `path` (or the defaults for `role`) and checks the role matches the binary.
pub fn load_config(path: Option<PathBuf>, role: NodeRole) -> Result<NodeConfig> {
    let config = match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            NodeConfig::from_toml(&text).with_context(|| format!("parsing {}", p.display()))?
        }
        None => NodeConfig {
            role,
            ..NodeConfig::edge_or_hub_default(role)
        },
    };
    anyhow::ensure!(
        config.role == role,
        "this binary runs a {role:?} node, the config says {:?}",
        config.role
    );
    Ok(config)
}

/// Binds, serves and shuts down on Ctrl-C.
pub async fn serve_until_ctrl_c(config: NodeConfig) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("binding {}", config.http_addr))?;
    let node = crate::start(config, listener, crate::system_clock()).await?;
    println!("{} 已启动：{}", node.state.config.node_code, node.url());
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    node.shutdown().await
}
