//! The local three-tier demo: the hub, two district nodes and one town node on loopback, each with its
//! own data directory, seeded on first run.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use node_service::{NodeConfig, NodeRole, RunningNode};

use crate::seed_tickets;

/// The seed directory shipped with the project.
pub fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seed")
}

/// One node of the demo.
pub struct DemoNode {
    /// Code used in ticket numbers.
    pub code: &'static str,
    /// Hub or edge.
    pub role: NodeRole,
    /// The unit subtree served.
    pub jurisdiction: &'static str,
    /// What to call it on screen.
    pub title: &'static str,
}

/// The demo's nodes; their HTTP ports are `port_base + index`.
pub const NODES: [DemoNode; 4] = [
    DemoNode { code: "HUB", role: NodeRole::Hub, jurisdiction: "C", title: "市12345热线中心（枢纽）" },
    DemoNode { code: "D01", role: NodeRole::Edge, jurisdiction: "D01", title: "东湖区（区级节点）" },
    DemoNode { code: "D02", role: NodeRole::Edge, jurisdiction: "D02", title: "西山区（区级节点）" },
    DemoNode { code: "T0101", role: NodeRole::Edge, jurisdiction: "D01-T01", title: "东湖区东湖街道（镇街节点）" },
];

/// The configuration of demo node `i`; a `port_base` of 0 gives every node an ephemeral port.
pub fn config(i: usize, data_dir: &Path, port_base: u16) -> NodeConfig {
    let n = &NODES[i];
    NodeConfig {
        node_code: n.code.into(),
        role: n.role,
        jurisdiction: n.jurisdiction.into(),
        data_dir: data_dir.join(n.code.to_lowercase()),
        http_addr: SocketAddr::from(([127, 0, 0, 1], if port_base == 0 { 0 } else { port_base + i as u16 })),
        seed_dir: Some(seed_dir()),
        ..NodeConfig::default()
    }
}

/// A started demo.
pub struct Demo {
    /// The running nodes, hub first.
    pub nodes: Vec<RunningNode>,
    /// Seeded sample tickets for the citizen lookup: `(number, query code, status)`.
    pub samples: Vec<(String, String, String)>,
}

/// Starts the four nodes; seeds the hub's tickets on first run and gives each edge node the hub's
/// tickets in its jurisdiction.
pub async fn start(data_dir: &Path, port_base: u16, now_ms: i64) -> Result<Demo> {
    let mut nodes = Vec::new();
    for i in 0..NODES.len() {
        let cfg = config(i, data_dir, port_base);
        let listener = tokio::net::TcpListener::bind(cfg.http_addr)
            .await
            .with_context(|| format!("binding {} for {}", cfg.http_addr, cfg.node_code))?;
        nodes.push(node_service::start(cfg, listener, node_service::system_clock()).await?);
    }
    let hub = nodes[0].state.clone();
    let samples_file = data_dir.join("citizen-samples.txt");
    let mut samples = Vec::new();
    if hub.store.list(Default::default()).await?.is_empty() {
        let templates = std::fs::read_to_string(seed_dir().join("tickets.toml"))?;
        let seeded = seed_tickets::seed(&hub.store, &hub.refdata(), &templates, now_ms, 128, 12345).await?;
        tracing::info!(tickets = seeded.tickets, "demo tickets seeded at the hub");
        let text: String = seeded
            .samples
            .iter()
            .map(|(n, c, s)| format!("{n}\t{c}\t{s}\n"))
            .collect();
        std::fs::write(&samples_file, text)?;
    }
    if let Ok(text) = std::fs::read_to_string(&samples_file) {
        for line in text.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            if let [n, c, s] = parts[..] {
                samples.push((n.to_string(), c.to_string(), s.to_string()));
            }
        }
    }
    // Edge nodes start from the hub's copy of their tickets (sync keeps them current afterwards).
    for node in &nodes[1..] {
        let edge = &node.state;
        if !edge.store.list(Default::default()).await?.is_empty() {
            continue;
        }
        let root = edge.config.jurisdiction.clone();
        let org = hub.refdata().org.clone();
        let ids = hub
            .store
            .ticket_ids_where(move |units| units.iter().any(|u| org.is_within(u, &root)))
            .await?;
        for id in ids {
            if let Some((_, bytes)) = hub.store.export_doc(id.clone()).await? {
                edge.store.import_ticket(id, bytes).await?;
            }
        }
    }
    Ok(Demo { nodes, samples })
}
