//! Shared setup of the benchmarks that run real nodes (the sync scenarios, `view`, `stats`, and
//! the 16-client ticket fill `intake` uses too): a project CA made on the spot, a hub (C) and an edge node
//! (district D01) as real nodes with real SQLite files and QUIC links on loopback, bulk tickets;
//! for three tiers, the district's town T0101 below it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use node_service::sync::{ChildNode, SyncConfig};
use node_service::{NodeConfig, NodeRole, RunningNode};
use rand::SeedableRng;
use replica_store::{NewEvent, Store};
use sync_protocol::pki::CertificateAuthority;
use time::OffsetDateTime;

use crate::fixtures;

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed");

/// A hub and an edge node's configurations, sharing a CA; and a town below the edge.
pub struct Pair {
    _dir: tempfile::TempDir,
    pub hub: NodeConfig,
    pub edge: NodeConfig,
    pub town: NodeConfig,
}

fn issue(ca: &CertificateAuthority, dir: &Path, node: &str, scope: &str) -> Result<SyncConfig> {
    let issued = ca.issue_node(node, scope, OffsetDateTime::now_utc(), 30, rand::random())?;
    let cert = dir.join(format!("{node}.pem"));
    let key = dir.join(format!("{node}.key"));
    std::fs::write(&cert, &issued.cert_pem)?;
    std::fs::write(&key, &issued.key_pem)?;
    Ok(SyncConfig {
        cert,
        key,
        ca: dir.join("ca.pem"),
        tick_ms: 100,
        ..SyncConfig::default()
    })
}

fn node(dir: &Path, code: &str, jurisdiction: &str, sync: SyncConfig) -> NodeConfig {
    NodeConfig {
        node_code: code.into(),
        role: if code == "HUB" {
            NodeRole::Hub
        } else {
            NodeRole::Edge
        },
        jurisdiction: jurisdiction.into(),
        data_dir: dir.join(code),
        seed_dir: Some(PathBuf::from(SEED)),
        sync,
        ..NodeConfig::default()
    }
}

impl Pair {
    /// The hub listens on a loopback port chosen at its first start; the edge dials it.
    pub fn new() -> Result<Pair> {
        let dir = tempfile::tempdir()?;
        let ca = CertificateAuthority::create(
            "bench-ca",
            OffsetDateTime::now_utc(),
            30,
            rand::random(),
        )?;
        std::fs::write(dir.path().join("ca.pem"), ca.cert_pem())?;
        let hub = node(
            dir.path(),
            "HUB",
            "C",
            SyncConfig {
                listen: Some("127.0.0.1:0".parse()?),
                ..issue(&ca, dir.path(), "HUB", "C")?
            },
        );
        let edge = node(
            dir.path(),
            "D01",
            "D01",
            SyncConfig {
                upstream_node: Some("HUB".into()),
                listen: Some("127.0.0.1:0".parse()?),
                children: vec![ChildNode {
                    node: "T0101".into(),
                    scope: "D01-T01".into(),
                }],
                ..issue(&ca, dir.path(), "D01", "D01")?
            },
        );
        let town = node(
            dir.path(),
            "T0101",
            "D01-T01",
            SyncConfig {
                upstream_node: Some("D01".into()),
                ..issue(&ca, dir.path(), "T0101", "D01-T01")?
            },
        );
        Ok(Pair {
            _dir: dir,
            hub,
            edge,
            town,
        })
    }

    /// Starts the hub; keeps its port for later starts and points the edge at it.
    pub async fn start_hub(&mut self) -> Result<RunningNode> {
        let hub = start(&self.hub).await?;
        self.hub.sync.listen = hub.sync_addr();
        self.edge.sync.upstream = hub.sync_addr();
        Ok(hub)
    }

    /// Starts the edge, linked (`linked`) or cut off from the hub.
    pub async fn start_edge(&self, linked: bool) -> Result<RunningNode> {
        let mut cfg = self.edge.clone();
        if !linked {
            cfg.sync.upstream = None;
        }
        start(&cfg).await
    }

    /// Starts the town under a running edge (`edge` as returned by [`Pair::start_edge`]).
    pub async fn start_town(&mut self, edge: &RunningNode) -> Result<RunningNode> {
        self.town.sync.upstream = edge.sync_addr();
        start(&self.town).await
    }
}

/// A multi-threaded runtime for a scenario.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// A hub on its own (no sync), seeded, with the alert sweep off, its data in `dir`.
pub async fn lone_hub(dir: &Path) -> Result<RunningNode> {
    let cfg = NodeConfig {
        data_dir: dir.join("hub"),
        seed_dir: Some(PathBuf::from(SEED)),
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    start(&cfg).await
}

/// A pair with its hub started.
pub async fn hub_pair() -> Result<(Pair, RunningNode)> {
    let mut pair = Pair::new()?;
    let hub = pair.start_hub().await?;
    Ok((pair, hub))
}

async fn start(cfg: &NodeConfig) -> Result<RunningNode> {
    let mut last = None;
    // A restarted hub takes its old UDP port back; the old endpoint may still be letting go of it.
    for _ in 0..50 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        match node_service::start(cfg.clone(), listener, Arc::new(fixtures::now_ms)).await {
            Ok(n) => return Ok(n),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    Err(last.unwrap_or_else(|| anyhow!("node did not start")))
}

/// Creates `n` tickets at `store` with 16 clients; ticket `i` is registered by the district D01
/// (so in the edge's scope) when `in_scope(i)`, else by the centre.
pub async fn fill(store: &Store, n: u64, in_scope: fn(u64) -> bool) -> Result<()> {
    fill_with(store, n, move |i, t| {
        if in_scope(i) {
            t.unit = "D01".into();
            t.author = "d01-handler".into();
        }
    })
    .await
}

/// Creates `n` tickets at `store` with 16 clients, `adjust` shaping ticket `i` (at `now`).
pub async fn fill_with(
    store: &Store,
    n: u64,
    adjust: impl Fn(u64, &mut replica_store::NewTicket) + Send + Sync + Copy + 'static,
) -> Result<()> {
    const CLIENTS: u64 = 16;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(c);
            let now = fixtures::now_ms();
            let mut i = c;
            while i < n {
                let mut t = fixtures::new_ticket(i, now, &mut rng);
                adjust(i, &mut t);
                store.create_ticket(t).await?;
                i += CLIENTS;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Ticket document ids held by a store, sorted.
pub async fn ticket_ids(store: &Store) -> Result<Vec<String>> {
    Ok(store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id FROM docs WHERE kind = 'ticket' ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .await?)
}

/// Ticket documents held.
pub async fn ticket_count(store: &Store) -> Result<u64> {
    Ok(store
        .read(|c| {
            Ok(
                c.query_row("SELECT COUNT(*) FROM docs WHERE kind = 'ticket'", [], |r| {
                    r.get::<_, i64>(0)
                })?,
            )
        })
        .await? as u64)
}

/// Heads of the given documents, in order (empty string when absent).
pub async fn heads(store: &Store, ids: Vec<String>) -> Result<Vec<String>> {
    Ok(store
        .read(move |c| {
            let mut stmt = c.prepare_cached("SELECT heads FROM docs WHERE id = ?1")?;
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                let h: Option<String> =
                    rusqlite::OptionalExtension::optional(stmt.query_row([id], |r| r.get(0)))?;
                out.push(h.unwrap_or_default());
            }
            Ok(out)
        })
        .await?)
}

/// A workflow change to each ticket of `ids` (the shift leader's review), 16 at a time.
pub async fn touch(store: &Store, ids: &[String], note: &str) -> Result<()> {
    let mut tasks = Vec::new();
    for chunk in ids.chunks(ids.len().div_ceil(16).max(1)) {
        let store = store.clone();
        let chunk = chunk.to_vec();
        let note = note.to_string();
        tasks.push(tokio::spawn(async move {
            for id in chunk {
                store
                    .apply(
                        id,
                        NewEvent {
                            id: uuid_like(),
                            author: "sl01".into(),
                            unit: "C".into(),
                            action: hotline_model::event::Action::accept_review(note.clone()),
                            now_ms: fixtures::now_ms(),
                        },
                    )
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

fn uuid_like() -> String {
    let b: [u8; 16] = rand::random();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Waits until `check` holds, re-checking on each commit of `store` or every `poll` (checks that
/// query the stores should poll slowly: they compete with the sync for the CPU).
pub async fn until<F, Fut>(
    store: &Store,
    timeout: Duration,
    poll: Duration,
    what: &str,
    mut check: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + timeout;
    let mut w = store.committed();
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        let _ = tokio::time::timeout(poll, w.changed()).await;
    }
}

/// Both directions of the pair are parked at each other's feed head: nothing left to move.
pub fn in_sync(hub: &RunningNode, edge: &RunningNode) -> bool {
    parked(hub, "HUB", edge, "D01")
}

/// Both directions of the link between `a` (node code `a_code`) and `b` are parked at each
/// other's feed head.
pub fn parked(a: &RunningNode, a_code: &str, b: &RunningNode, b_code: &str) -> bool {
    let a_head = *a.state.store.committed().borrow() as u64;
    let b_head = *b.state.store.committed().borrow() as u64;
    let a_to_b = a.state.sync_links.get(b_code);
    let b_to_a = b.state.sync_links.get(a_code);
    matches!((b_to_a, a_to_b), (Some(u), Some(d))
        if u.connected && d.connected && u.peer_cursor == Some(b_head) && d.peer_cursor == Some(a_head))
}

/// Peak resident memory of this process, in MiB (both nodes run in it).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
