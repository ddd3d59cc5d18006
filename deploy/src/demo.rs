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
    /// Set up from the seed files; otherwise (a new office) its reference data comes from upstream.
    pub seeded: bool,
}

/// The demo's nodes; their HTTP ports are `port_base + index`.
pub const NODES: [DemoNode; 4] = [
    DemoNode {
        code: "HUB",
        role: NodeRole::Hub,
        jurisdiction: "C",
        title: "市12345热线中心（枢纽）",
        seeded: true,
    },
    DemoNode {
        code: "D01",
        role: NodeRole::Edge,
        jurisdiction: "D01",
        title: "东湖区（区级节点）",
        seeded: true,
    },
    DemoNode {
        code: "D02",
        role: NodeRole::Edge,
        jurisdiction: "D02",
        title: "西山区（区级节点）",
        seeded: true,
    },
    DemoNode {
        code: "T0101",
        role: NodeRole::Edge,
        jurisdiction: "D01-T01",
        title: "东湖区东湖街道（镇街节点）",
        seeded: false,
    },
];

/// The configuration of demo node `i`; a `port_base` of 0 gives every node an ephemeral port.
pub fn config(i: usize, data_dir: &Path, port_base: u16) -> NodeConfig {
    let n = &NODES[i];
    NodeConfig {
        node_code: n.code.into(),
        role: n.role,
        jurisdiction: n.jurisdiction.into(),
        data_dir: data_dir.join(n.code.to_lowercase()),
        http_addr: SocketAddr::from((
            [127, 0, 0, 1],
            if port_base == 0 {
                0
            } else {
                port_base + i as u16
            },
        )),
        seed_dir: n.seeded.then(seed_dir),
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

/// Index of each node's parent in [`NODES`] (the hub has none).
const PARENT: [Option<usize>; 4] = [None, Some(0), Some(0), Some(1)];

/// Makes the demo's CA on first run and a node certificate for every node (renewed when it has less
/// than a week left); returns the CA directory.
fn certificates(data_dir: &Path, now_ms: i64) -> Result<PathBuf> {
    use rand::RngCore;
    let ca_dir = data_dir.join("ca");
    let now = time::OffsetDateTime::from_unix_timestamp(now_ms / 1000)?;
    let random = || {
        let mut r = [0u8; 16];
        rand::rng().fill_bytes(&mut r);
        r
    };
    let ca = sync_protocol::ca_dir::CaDir::open_or_init(&ca_dir, now, random())?;
    let issued = ca.issued()?;
    for n in &NODES {
        let fresh = issued
            .iter()
            .any(|r| r.node_code == n.code && r.not_after > now + time::Duration::days(7));
        let files_exist = ca_dir
            .join("nodes")
            .join(format!("{}.pem", n.code))
            .exists();
        if !(fresh && files_exist) {
            ca.issue(n.code, n.jurisdiction, 30, now, random())?;
        }
    }
    Ok(ca_dir)
}

/// The sync settings of node `i` given its parent's bound sync address.
fn sync_config(
    i: usize,
    ca_dir: &Path,
    port_base: u16,
    parent: Option<SocketAddr>,
) -> node_service::sync::SyncConfig {
    let n = &NODES[i];
    let children: Vec<node_service::sync::ChildNode> = PARENT
        .iter()
        .enumerate()
        .filter(|(_, p)| **p == Some(i))
        .map(|(c, _)| node_service::sync::ChildNode {
            node: NODES[c].code.into(),
            scope: NODES[c].jurisdiction.into(),
        })
        .collect();
    let listen_port = if port_base == 0 {
        0
    } else {
        port_base + 1000 + i as u16
    };
    node_service::sync::SyncConfig {
        listen: (!children.is_empty()).then(|| SocketAddr::from(([127, 0, 0, 1], listen_port))),
        upstream: parent,
        upstream_node: PARENT[i].map(|p| NODES[p].code.to_string()),
        cert: ca_dir.join("nodes").join(format!("{}.pem", n.code)),
        key: ca_dir.join("nodes").join(format!("{}.key", n.code)),
        ca: ca_dir.join("ca.pem"),
        crl: Some(ca_dir.join("crl.pem")),
        deny: Some(ca_dir.join("deny.txt")),
        children,
        ..Default::default()
    }
}

/// Starts the four nodes, parents first, linked by sync; seeds the hub on first run. Edge nodes get
/// their tickets and the published knowledge base from the hub by sync.
pub async fn start(data_dir: &Path, port_base: u16, now_ms: i64) -> Result<Demo> {
    let ca_dir = certificates(data_dir, now_ms)?;
    let mut nodes: Vec<RunningNode> = Vec::new();
    for i in 0..NODES.len() {
        let mut cfg = config(i, data_dir, port_base);
        let parent = match PARENT[i] {
            Some(p) => Some(
                nodes[p]
                    .sync_addr()
                    .context("parent node has no sync listener")?,
            ),
            None => None,
        };
        cfg.sync = sync_config(i, &ca_dir, port_base, parent);
        let listener = tokio::net::TcpListener::bind(cfg.http_addr)
            .await
            .with_context(|| format!("binding {} for {}", cfg.http_addr, cfg.node_code))?;
        nodes.push(node_service::start(cfg, listener, node_service::system_clock()).await?);
        if i == 0 {
            seed_hub(&nodes[0], data_dir, now_ms).await?;
        }
    }
    let samples_file = data_dir.join("citizen-samples.txt");
    let mut samples = Vec::new();
    if let Ok(text) = std::fs::read_to_string(&samples_file) {
        for line in text.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            if let [n, c, s] = parts[..] {
                samples.push((n.to_string(), c.to_string(), s.to_string()));
            }
        }
    }
    Ok(Demo { nodes, samples })
}

/// Waits until every edge node has pulled its parent's feed to the end (or `timeout` passes);
/// returns whether they all did.
pub async fn wait_caught_up(demo: &Demo, timeout: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut watches: Vec<_> = demo
        .nodes
        .iter()
        .map(|n| n.state.store.committed())
        .collect();
    loop {
        let all = demo.nodes.iter().enumerate().all(|(i, n)| match PARENT[i] {
            None => true,
            Some(p) => n
                .state
                .sync_links
                .get(NODES[p].code)
                .is_some_and(|l| l.connected && l.caught_up),
        });
        if all {
            return true;
        }
        // Wake on any node's commit, or at least every 100 ms to re-read link status.
        let changed =
            futures::future::select_all(watches.iter_mut().map(|w| Box::pin(w.changed())));
        let step = tokio::time::Instant::now() + std::time::Duration::from_millis(100);
        if tokio::time::timeout_at(step.min(deadline), changed)
            .await
            .is_err()
            && tokio::time::Instant::now() >= deadline
        {
            return false;
        }
    }
}

/// Seeds the hub's tickets on first run and writes a few citizen lookup samples.
async fn seed_hub(hub: &RunningNode, data_dir: &Path, now_ms: i64) -> Result<()> {
    let hub = &hub.state;
    if !hub.store.list(Default::default()).await?.is_empty() {
        return Ok(());
    }
    let templates = std::fs::read_to_string(seed_dir().join("tickets.toml"))?;
    let seeded =
        seed_tickets::seed(&hub.store, &hub.refdata(), &templates, now_ms, 128, 12345).await?;
    tracing::info!(tickets = seeded.tickets, "demo tickets seeded at the hub");
    let text: String = seeded
        .samples
        .iter()
        .map(|(n, c, s)| format!("{n}\t{c}\t{s}\n"))
        .collect();
    std::fs::write(data_dir.join("citizen-samples.txt"), text)?;
    Ok(())
}
