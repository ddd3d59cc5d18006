//! The local three-tier demo: the hub, two district nodes and one town node on loopback, each with its
//! own data directory, seeded on first run.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use node_service::{NodeConfig, NodeRole, RunningNode};

use crate::seed_tickets;

/// The password of every demo login (`deploy/seed/users.toml`).
pub const DEMO_PASSWORD: &str = "12345demo";

/// The seed directory shipped with the project.
pub fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seed")
}

/// The seed's reference data, for the whole city (tests and benchmarks plan against it).
pub fn seed_refdata() -> Result<hotline_model::refdata::ReferenceData> {
    let read = |n: &str| std::fs::read_to_string(seed_dir().join(format!("{n}.toml")));
    Ok(hotline_model::refdata::ReferenceData::from_toml(
        &read("org")?,
        &read("categories")?,
        &read("users")?,
        &read("calendar")?,
    )?)
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
    /// The demo Open311 app's api_key (issued on first run).
    pub open311_key: Option<String>,
    /// Where the nodes' texts go instead of phones.
    pub sms: crate::demo_gateway::DemoGateway,
}

/// The secret in the demo's SMS reply push URL (`/api/inbound/sms/aliyun/{secret}`), for trying
/// a citizen's reply by hand.
pub const DEMO_PUSH_SECRET: &str = "demo";

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

/// How often the demo hub sweeps for due urges and supervisions.
const ALERT_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);

/// A demo port another program holds.
#[derive(Debug, thiserror::Error)]
#[error(
    "端口 {port} 已被占用（{title} 的{what}端口），演示无法启动。请关闭占用该端口的程序，或用 --port-base N 换一组端口：各节点的 HTTP 端口为 N…N+3，同步端口为 N+1000…N+1003（当前 N = {port_base}）。"
)]
pub struct PortTaken {
    /// The port.
    pub port: u16,
    /// The node that wanted it.
    pub title: &'static str,
    /// HTTP or sync.
    pub what: &'static str,
    /// The `--port-base` in use.
    pub port_base: u16,
}

/// Binds every node's HTTP listener and checks that every sync port is free, before anything
/// starts: a taken port is a [`PortTaken`] error naming it and the option that moves it.
async fn bind_ports(data_dir: &Path, port_base: u16) -> Result<Vec<tokio::net::TcpListener>> {
    let taken = |port: u16, i: usize, what: &'static str| PortTaken {
        port,
        title: NODES[i].title,
        what,
        port_base,
    };
    let mut listeners = Vec::new();
    for i in 0..NODES.len() {
        let addr = config(i, data_dir, port_base).http_addr;
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => listeners.push(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(taken(addr.port(), i, " HTTP ").into());
            }
            Err(e) => return Err(e).with_context(|| format!("binding {addr}")),
        }
        let has_children = PARENT.contains(&Some(i));
        if port_base != 0 && has_children {
            // QUIC listens on UDP; the sync service binds it itself a moment later.
            let port = port_base + 1000 + i as u16;
            if let Err(e) = std::net::UdpSocket::bind(("127.0.0.1", port)) {
                if e.kind() == std::io::ErrorKind::AddrInUse {
                    return Err(taken(port, i, "同步").into());
                }
                return Err(e).with_context(|| format!("binding UDP port {port}"));
            }
        }
    }
    Ok(listeners)
}

/// Starts the four nodes, parents first, linked by sync; seeds the hub on first run (planned at
/// `now_ms`, before its alert sweep starts, so no automatic alert slips between seeded steps). Edge
/// nodes get their tickets and the published knowledge base from the hub by sync. A later start
/// finds the data as it is, renews certificates that are near their end and seeds nothing.
pub async fn start(data_dir: &Path, port_base: u16, now_ms: i64) -> Result<Demo> {
    let listeners = bind_ports(data_dir, port_base).await?;
    let ca_dir = certificates(data_dir, now_ms)?;
    let sms = crate::demo_gateway::start(data_dir).await?;
    let mut nodes: Vec<RunningNode> = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
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
        cfg.alert_sweep_secs = 0;
        cfg.notify.sms = Some(node_service::notify::sms::SmsConfig::Http {
            url: sms.url.clone(),
            token: None,
        });
        cfg.notify.inbound.sms_secret = Some(DEMO_PUSH_SECRET.into());
        let mut node = node_service::start(cfg, listener, node_service::system_clock()).await?;
        if i == 0 {
            seed_hub(&node, data_dir, now_ms).await?;
            node.start_alert_sweep(ALERT_SWEEP);
        }
        nodes.push(node);
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
    let open311_key = open311_key(&nodes[0], data_dir, now_ms).await?;
    Ok(Demo {
        nodes,
        samples,
        open311_key,
        sms,
    })
}

/// The demo Open311 app's api_key: issued at the hub on first run and kept in the data
/// directory (a real centre hands each app its key once, through `POST /api/tokens`).
async fn open311_key(hub: &RunningNode, data_dir: &Path, now_ms: i64) -> Result<Option<String>> {
    let file = data_dir.join("open311-key.txt");
    if let Ok(key) = std::fs::read_to_string(&file) {
        return Ok(Some(key.trim().to_owned()));
    }
    let state = &hub.state;
    if state.refdata().user("app-suishoupai").is_none() {
        return Ok(None);
    }
    let key = state
        .auth
        .issue_token(
            &state.store,
            "演示：临江随手拍",
            "app-suishoupai",
            "admin",
            now_ms,
        )
        .await?;
    std::fs::write(&file, &key)?;
    Ok(Some(key))
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

/// The number of demo work orders, and the random seed of their plan.
pub const SEED_TICKETS: usize = 128;
const SEED_RANDOM: u64 = 12345;

/// Plans the demo's work orders at `now_ms` against the hub's reference data (no store involved).
pub fn plan_seed(
    refdata: &hotline_model::refdata::ReferenceData,
    now_ms: i64,
) -> Result<crate::seed_plan::SeedPlan> {
    let text = std::fs::read_to_string(seed_dir().join("tickets.toml"))?;
    let templates = crate::seed_plan::Templates::parse(&text).context("parsing tickets.toml")?;
    Ok(crate::seed_plan::plan(
        refdata,
        &templates,
        now_ms,
        SEED_TICKETS,
        SEED_RANDOM,
    )?)
}

/// Seeds the hub's tickets on first run and writes a few citizen lookup samples.
async fn seed_hub(hub: &RunningNode, data_dir: &Path, now_ms: i64) -> Result<()> {
    let hub = &hub.state;
    if !hub.store.list(Default::default()).await?.is_empty() {
        return Ok(());
    }
    let plan = plan_seed(&hub.refdata(), now_ms)?;
    // History notifies nobody: the seeded orders' texts and e-mails were sent long ago.
    let seeded = seed_tickets::run(&hub.store.quiet(), &plan, SEED_RANDOM).await?;
    tracing::info!(tickets = seeded.tickets, "demo tickets seeded at the hub");
    let calls = crate::seed_calls::run(hub, &plan, now_ms).await?;
    tracing::info!(
        recordings = calls.recordings,
        states = calls.states,
        scores = calls.scores,
        "demo recordings, operators' states and quality scores seeded"
    );
    let text: String = seeded
        .samples
        .iter()
        .map(|(n, c, s)| format!("{n}\t{c}\t{s}\n"))
        .collect();
    std::fs::write(data_dir.join("citizen-samples.txt"), text)?;
    Ok(())
}
