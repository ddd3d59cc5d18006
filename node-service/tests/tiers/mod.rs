//! Three real nodes for the multi-node tests: the hub (C), district D01 and its town D01-T01 on
//! loopback, with real QUIC and mutual TLS (certificates from a project CA made here) and real
//! SQLite files; and the helpers those tests share. Each test binary uses what it needs.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hotline_model::event::{Action, AssignTo};
use node_service::sync::{ChildNode, SyncConfig};
use node_service::{NodeConfig, NodeRole, RunningNode};
use replica_store::{NewEvent, NewTicket};
use sync_protocol::pki::CertificateAuthority;
use sync_protocol::transport::NodeTls;
use time::OffsetDateTime;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
pub const NOW: i64 = 1_795_485_600_000;
pub const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed");
pub const WAIT: Duration = Duration::from_secs(40);

pub fn rnd16() -> [u8; 16] {
    rand::random()
}

/// A CA and the certificate files of the nodes, in a temporary directory.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: CertificateAuthority,
}

impl Pki {
    pub fn new(dir: &Path, name: &str) -> Pki {
        let ca =
            CertificateAuthority::create(name, OffsetDateTime::now_utc(), 30, rnd16()).unwrap();
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
        Pki { dir, ca }
    }

    /// Issues `node`'s certificate for `scope`; returns a sync config using it.
    pub fn sync_for(&self, node: &str, scope: &str) -> SyncConfig {
        let issued = self
            .ca
            .issue_node(node, scope, OffsetDateTime::now_utc(), 30, rnd16())
            .unwrap();
        let cert = self.dir.join(format!("{node}.pem"));
        let key = self.dir.join(format!("{node}.key"));
        std::fs::write(&cert, &issued.cert_pem).unwrap();
        std::fs::write(&key, &issued.key_pem).unwrap();
        SyncConfig {
            cert,
            key,
            ca: self.dir.join("ca.pem"),
            tick_ms: 50,
            retry_ms: 2_000,
            ..SyncConfig::default()
        }
    }

    pub fn tls(&self, node: &str) -> NodeTls {
        let read =
            |ext: &str| std::fs::read_to_string(self.dir.join(format!("{node}.{ext}"))).unwrap();
        NodeTls::from_pem(
            &std::fs::read_to_string(self.dir.join("ca.pem")).unwrap(),
            &read("pem"),
            &read("key"),
            "",
        )
        .unwrap()
    }
}

pub fn config(root: &Path, code: &str, jurisdiction: &str, sync: SyncConfig) -> NodeConfig {
    NodeConfig {
        node_code: code.into(),
        role: if code == "HUB" {
            NodeRole::Hub
        } else {
            NodeRole::Edge
        },
        jurisdiction: jurisdiction.into(),
        data_dir: root.join(code),
        seed_dir: Some(SEED.into()),
        sync,
        ..NodeConfig::default()
    }
}

pub async fn start(cfg: &NodeConfig) -> RunningNode {
    // A restarted node listens on its old UDP port; the previous endpoint may take a moment to let go.
    let mut last = None;
    for _ in 0..50 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        match node_service::start(cfg.clone(), listener, Arc::new(|| NOW)).await {
            Ok(n) => return n,
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("node {} did not start: {last:?}", cfg.node_code);
}

/// Three tiers: the hub (C), district D01 and its town D01-T01.
pub struct Tiers {
    pub _tmp: tempfile::TempDir,
    pub pki: Pki,
    pub hub_cfg: NodeConfig,
    pub district_cfg: NodeConfig,
    pub town_cfg: NodeConfig,
}

impl Tiers {
    pub fn new() -> Tiers {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(tmp.path(), "project-ca");
        let localhost: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let hub_cfg = config(
            tmp.path(),
            "HUB",
            "C",
            SyncConfig {
                listen: Some(localhost),
                ..pki.sync_for("HUB", "C")
            },
        );
        let district_cfg = config(
            tmp.path(),
            "D01",
            "D01",
            SyncConfig {
                listen: Some(localhost),
                upstream_node: Some("HUB".into()),
                children: vec![ChildNode {
                    node: "T0101".into(),
                    scope: "D01-T01".into(),
                }],
                ..pki.sync_for("D01", "D01")
            },
        );
        let town_cfg = config(
            tmp.path(),
            "T0101",
            "D01-T01",
            SyncConfig {
                upstream_node: Some("D01".into()),
                ..pki.sync_for("T0101", "D01-T01")
            },
        );
        Tiers {
            _tmp: tmp,
            pki,
            hub_cfg,
            district_cfg,
            town_cfg,
        }
    }

    /// Starts the hub, then the district dialling it, then the town dialling the district. Listen
    /// ports chosen at the first start (port 0) are kept for later starts.
    pub async fn start_all(&mut self) -> (RunningNode, RunningNode, RunningNode) {
        let hub = self.start_hub().await;
        let district = self.start_district().await;
        let town = self.start_town().await;
        (hub, district, town)
    }

    pub async fn start_hub(&mut self) -> RunningNode {
        let hub = start(&self.hub_cfg).await;
        self.hub_cfg.sync.listen = hub.sync_addr();
        self.district_cfg.sync.upstream = hub.sync_addr();
        hub
    }

    pub async fn start_district(&mut self) -> RunningNode {
        let district = start(&self.district_cfg).await;
        self.district_cfg.sync.listen = district.sync_addr();
        self.town_cfg.sync.upstream = district.sync_addr();
        district
    }

    pub async fn start_town(&mut self) -> RunningNode {
        start(&self.town_cfg).await
    }
}

/// Waits until `check` holds, re-checking whenever any of `nodes` commits (and every 100 ms for
/// link state, which commits nothing); fails after [`WAIT`].
pub async fn until<F, Fut>(nodes: &[&RunningNode], what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut watches: Vec<_> = nodes.iter().map(|n| n.state.store.committed()).collect();
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        let any = futures::future::select_all(watches.iter_mut().map(|w| Box::pin(w.changed())));
        let _ = tokio::time::timeout(Duration::from_millis(100), any).await;
    }
}

/// `(doc id, heads)` of every document a node holds.
pub async fn docs(node: &RunningNode) -> Vec<(String, String)> {
    node.state
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id, heads FROM docs ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap()
}

/// `(doc id, heads)` of the documents every node holds (reference data, published articles).
pub async fn shared_docs(node: &RunningNode) -> Vec<(String, String)> {
    node.state
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id, heads FROM docs WHERE scope = '*' ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap()
}

pub async fn heads_of(node: &RunningNode, id: &str) -> Option<String> {
    docs(node)
        .await
        .into_iter()
        .find(|(d, _)| d == id)
        .map(|(_, h)| h)
}

/// `GET /api/health` through the node's router.
pub async fn health_json(node: &RunningNode) -> serde_json::Value {
    let client = node_service::api::in_process::Client::new(node.state.clone());
    let (status, body) = client.call("GET", "/api/health", None, None).await.unwrap();
    assert_eq!(status, axum::http::StatusCode::OK);
    body
}

pub fn connected(node: &RunningNode, peer: &str) -> bool {
    node.state.sync_links.get(peer).is_some_and(|l| l.connected)
}

pub fn intake(title: &str) -> hotline_model::intake::Intake {
    serde_json::from_value(serde_json::json!({
        "channel": "phone",
        "caller_name": "李四",
        "caller_phone": "13900001111",
        "address": "临江市某镇某村",
        "request_type": "complaint",
        "subject": "CX.WY.DT",
        "title": title,
        "content": "电梯停运，无人维修。",
        "urgent": false
    }))
    .unwrap()
}

pub async fn create(node: &RunningNode, user: &str, unit: &str, title: &str) -> (String, String) {
    create_with(node, user, unit, intake(title)).await
}

/// Registers `intake` at `node` as `user` of `unit`; (id, number).
pub async fn create_with(
    node: &RunningNode,
    user: &str,
    unit: &str,
    intake: hotline_model::intake::Intake,
) -> (String, String) {
    let mut random = [0u8; 24];
    random.copy_from_slice(&rand::random::<[u8; 32]>()[..24]);
    let created = node
        .state
        .store
        .create_ticket(NewTicket {
            intake,
            author: user.into(),
            unit: unit.into(),
            now_ms: NOW,
            random,
            then: Vec::new(),
        })
        .await
        .unwrap();
    (created.ticket.id, created.ticket.number)
}

pub async fn act(
    node: &RunningNode,
    ticket: &str,
    user: &str,
    unit: &str,
    action: Action,
) -> String {
    let view = node
        .state
        .store
        .apply(
            ticket.into(),
            NewEvent {
                id: uuid::Uuid::new_v4().to_string(),
                author: user.into(),
                unit: unit.into(),
                action,
                now_ms: NOW,
            },
        )
        .await
        .unwrap();
    view.state.status.as_str().to_string()
}

/// Registers at the hub, reviews and dispatches to `lead`.
pub async fn dispatched_at_hub(hub: &RunningNode, lead: &str, title: &str) -> String {
    dispatched_with(hub, lead, intake(title)).await.0
}

/// Registers `intake` at the hub, reviews and dispatches to `lead`; (id, number).
pub async fn dispatched_with(
    hub: &RunningNode,
    lead: &str,
    intake: hotline_model::intake::Intake,
) -> (String, String) {
    let (id, number) = create_with(hub, "op01", "C", intake).await;
    let review = Action::accept_review("");
    act(hub, &id, "sl01", "C", review).await;
    let dispatch = Action::Dispatch {
        lead: AssignTo {
            unit: lead.into(),
            sign_due_at: NOW + 2 * 3_600_000,
            due_at: NOW + 20 * 86_400_000,
        },
        co: Vec::new(),
        note: "请核实处理".into(),
        final_assignment: false,
    };
    assert_eq!(act(hub, &id, "sl01", "C", dispatch).await, "dispatched");
    (id, number)
}
