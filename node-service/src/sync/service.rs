//! Starts and stops a node's sync: the QUIC listener for downstream nodes with one task per
//! accepted link, and the dial loop (with backoff) to the upstream node.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sync_protocol::pki::DenyList;
use sync_protocol::scope::{NodeScope, Within};
use sync_protocol::transport::{
    self, Backoff, Dialer, NodeTls, Revocations, TransportSettings, close_code,
};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::link::{self, LinkEnv};
use crate::state::AppState;

/// A running sync service.
pub struct SyncService {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    endpoints: Vec<quinn::Endpoint>,
    listen_addr: Option<SocketAddr>,
    revocations: Revocations,
}

fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

impl SyncService {
    /// Starts sync as `state.config.sync` says. The node's identity and scope come from its own
    /// certificate, which must name the configured jurisdiction.
    pub async fn start(state: AppState) -> Result<SyncService> {
        let listen = state.config.sync.listen;
        Self::start_listening_on(state, listen).await
    }

    /// [`SyncService::start`], listening on `listen` instead of the configured address (a
    /// restarted service keeps the port its children dial).
    pub async fn start_listening_on(
        state: AppState,
        listen: Option<SocketAddr>,
    ) -> Result<SyncService> {
        let cfg = state.config.sync.clone();
        let crl = match &cfg.crl {
            Some(p) => read(p)?,
            None => String::new(),
        };
        let tls = NodeTls::from_pem(&read(&cfg.ca)?, &read(&cfg.cert)?, &read(&cfg.key)?, &crl)?;
        let identity = tls.identity()?;
        if identity.scope_unit != state.config.jurisdiction {
            bail!(
                "the node certificate serves {} but the node's jurisdiction is {}",
                identity.scope_unit,
                state.config.jurisdiction
            );
        }
        let deny = match &cfg.deny {
            Some(p) if p.exists() => DenyList::parse(&read(p)?),
            _ => DenyList::new(),
        };
        let revocations = Revocations::new(deny);
        // A child taken out of the configuration (an office closed down) is awaited no more.
        let children: std::collections::BTreeSet<String> =
            cfg.children.iter().map(|c| c.node.clone()).collect();
        let forgotten = state
            .store
            .write(move |ctx| Ok(super::purges::forget_children(ctx.conn, &children)?))
            .await?;
        if forgotten > 0 {
            tracing::warn!(
                documents = forgotten,
                "purges no longer wait for nodes that are not configured children"
            );
        }
        let settings = TransportSettings::default();
        let rd = state.refdata.clone();
        let within: Within = Arc::new(move |unit: &str, root: &str| {
            rd.read()
                .unwrap_or_else(|p| p.into_inner())
                .org
                .is_within(unit, root)
        });
        let env = Arc::new(LinkEnv {
            me: NodeScope {
                node_code: identity.node_code.clone(),
                scope_unit: identity.scope_unit.clone(),
            },
            children: cfg
                .children
                .iter()
                .map(|c| NodeScope {
                    node_code: c.node.clone(),
                    scope_unit: c.scope.clone(),
                })
                .collect(),
            within,
            links: state.sync_links.clone(),
            tick: Duration::from_millis(cfg.tick_ms.max(10)),
            retry_ms: cfg.retry_ms,
            digest_ms: cfg.digest_ms,
            page: cfg.page,
            started: Instant::now(),
            state: state.clone(),
        });
        let (shutdown, _) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut endpoints = Vec::new();
        let mut listen_addr = None;
        if let Some(addr) = listen {
            let ep = transport::server_endpoint(&tls, &settings, addr)?;
            listen_addr = Some(ep.local_addr()?);
            tracing::info!(node = %identity.node_code, addr = ?listen_addr, "sync listening");
            endpoints.push(ep.clone());
            tasks.spawn(accept_loop(
                env.clone(),
                ep,
                revocations.clone(),
                settings.clone(),
                shutdown.subscribe(),
            ));
        }
        if let Some(path) = cfg.deny.clone() {
            tasks.spawn(watch_deny_list(
                path,
                Duration::from_millis(cfg.deny_poll_ms.max(10)),
                revocations.clone(),
                shutdown.subscribe(),
            ));
        }
        if let Some(addr) = cfg.upstream {
            let Some(node) = cfg.upstream_node.clone() else {
                bail!("sync.upstream needs sync.upstream_node (the upstream node's code)");
            };
            let bind: SocketAddr = if addr.is_ipv6() {
                "[::]:0".parse()?
            } else {
                "0.0.0.0:0".parse()?
            };
            let ep = transport::client_endpoint(&tls, &settings, bind)?;
            endpoints.push(ep.clone());
            let dialer = Dialer {
                endpoint: ep,
                addr,
                node_code: node,
                revocations: revocations.clone(),
                settings: settings.clone(),
                backoff: Backoff::default(),
            };
            tasks.spawn(dial_loop(env.clone(), dialer, shutdown.subscribe()));
        }
        Ok(SyncService {
            shutdown,
            tasks,
            endpoints,
            listen_addr,
            revocations,
        })
    }

    /// The bound listen address (useful when configured with port 0).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen_addr
    }

    /// Revokes a certificate serial now: refused from now on and its live links dropped.
    pub fn revoke(&self, serial: &str) -> usize {
        self.revocations.revoke(serial)
    }

    /// Stops every link and loop, closes the endpoints and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
        for ep in &self.endpoints {
            ep.close(quinn::VarInt::from_u32(close_code::NORMAL), b"shutdown");
        }
        for ep in &self.endpoints {
            let _ = tokio::time::timeout(Duration::from_secs(2), ep.wait_idle()).await;
        }
    }
}

async fn accept_loop(
    env: Arc<LinkEnv>,
    ep: quinn::Endpoint,
    revocations: Revocations,
    settings: TransportSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut links = JoinSet::new();
    let live: Arc<Mutex<HashMap<String, quinn::Connection>>> = Arc::default();
    loop {
        let incoming = tokio::select! {
            _ = shutdown.changed() => break,
            i = ep.accept() => i,
            Some(_) = links.join_next(), if !links.is_empty() => continue,
        };
        let Some(incoming) = incoming else { break };
        let env = env.clone();
        let revocations = revocations.clone();
        let settings = settings.clone();
        let shutdown = shutdown.clone();
        let live = live.clone();
        links.spawn(async move {
            let link = match transport::accept(incoming, &revocations, &settings).await {
                Ok(l) => l,
                Err(e) => {
                    env.links.count_refused_connection();
                    tracing::warn!(error = %e, "sync connection refused");
                    return;
                }
            };
            let peer = link.peer().node_code.clone();
            // A peer that reconnects replaces its older connection.
            let old = live
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(peer.clone(), link.connection().clone());
            if let Some(old) = old {
                old.close(quinn::VarInt::from_u32(close_code::NORMAL), b"replaced");
            }
            env.links.update(&peer, |l| l.direction = "downstream");
            link::run(&env, link, &peer, shutdown).await;
        });
    }
    // Links see the same shutdown signal and end on their own; handshakes still hanging are cut.
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while links.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        links.abort_all();
        while links.join_next().await.is_some() {}
    }
}

async fn dial_loop(env: Arc<LinkEnv>, dialer: Dialer, mut shutdown: watch::Receiver<bool>) {
    let key = format!("upstream:{}", dialer.node_code);
    env.links.update(&key, |l| {
        l.peer = dialer.node_code.clone();
        l.direction = "upstream";
        l.addr = dialer.addr.to_string();
    });
    loop {
        let link = tokio::select! {
            _ = shutdown.changed() => return,
            l = dialer.connect_with_backoff(rand::random::<f64>, None) => l,
        };
        let started = Instant::now();
        match link {
            Ok(link) => {
                if let link::LinkEnd::Shutdown = link::run(&env, link, &key, shutdown.clone()).await
                {
                    return;
                }
            }
            Err(e) => {
                env.links
                    .update(&key, |l| l.last_error = Some(e.to_string()));
            }
        }
        // A link that drops at once is not redialled in a tight loop.
        if started.elapsed() < Duration::from_secs(1) {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(dialer.backoff.delay(2, rand::random::<f64>())) => {}
            }
        }
    }
}

/// Re-reads the deny-list file when it changes (size or modification time) and revokes every
/// serial newly listed: refused from then on, live links dropped. Serials are only ever added.
async fn watch_deny_list(
    path: std::path::PathBuf,
    every: Duration,
    revocations: Revocations,
    mut shutdown: watch::Receiver<bool>,
) {
    let stamp = |p: &std::path::Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    // Checked once at start too: the file may have changed since the node read it.
    let mut seen = None;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = stamp(&path);
        if now == seen {
            continue;
        }
        seen = now;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the deny-list");
                continue;
            }
        };
        for serial in DenyList::parse(&text).iter() {
            if !revocations.is_denied(serial) {
                let dropped = revocations.revoke(serial);
                tracing::warn!(
                    serial,
                    dropped,
                    "certificate newly on the deny-list: revoked"
                );
            }
        }
    }
}
