//! Starting and stopping a node: open the store, load reference data (seeding it on first start), serve
//! the API on a listener the caller bound.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result, bail};
use hotline_model::refdata::{ReferenceData, seed_users};
use rand::RngCore;
use replica_store::{Store, refdata_doc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use hotline_operations::seed::read_seed_refdata;

use crate::config::NodeConfig;
use crate::state::{AppState, Clock};

/// A running node.
pub struct RunningNode {
    /// Shared state (store, reference data).
    pub state: AppState,
    /// The HTTP address it listens on.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    sync: Option<crate::sync::SyncService>,
    /// The sync listener's address while suspended, to listen on again.
    suspended_listen: Option<SocketAddr>,
    alerts: Option<JoinHandle<()>>,
    kb_follow: Option<JoinHandle<()>>,
    sender: Option<JoinHandle<()>>,
    retention: Option<JoinHandle<()>>,
    uploader: Option<JoinHandle<()>>,
    esl: Option<JoinHandle<()>>,
    softphones: Vec<JoinHandle<()>>,
}

impl RunningNode {
    /// The base URL of its API and pages.
    pub fn url(&self) -> String {
        let scheme = if self.state.auth.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops this node's sync links, as when an office is cut off from the network: it goes on
    /// serving its own staff from its own store. [`RunningNode::resume_sync`] reconnects.
    pub async fn suspend_sync(&mut self) {
        if let Some(sync) = self.sync.take() {
            self.suspended_listen = sync.listen_addr();
            sync.shutdown().await;
        }
        self.state.sync_links.mark_all_down();
    }

    /// Starts the sync links again after [`RunningNode::suspend_sync`].
    pub async fn resume_sync(&mut self) -> Result<()> {
        if self.sync.is_none() && self.state.config.sync.enabled() {
            let listen = self
                .suspended_listen
                .take()
                .or(self.state.config.sync.listen);
            self.sync = Some(
                crate::sync::SyncService::start_listening_on(self.state.clone(), listen).await?,
            );
        }
        Ok(())
    }

    /// The bound sync listen address, when the node listens for downstream nodes.
    pub fn sync_addr(&self) -> Option<SocketAddr> {
        self.sync.as_ref().and_then(|s| s.listen_addr())
    }

    /// The running sync service, if configured.
    pub fn sync(&self) -> Option<&crate::sync::SyncService> {
        self.sync.as_ref()
    }

    /// Starts the hub's automatic alert sweep every `every`, unless it runs already. For a caller
    /// that started the hub with `alert_sweep_secs = 0` to load its data first (the demo's seed).
    pub fn start_alert_sweep(&mut self, every: std::time::Duration) {
        if self.alerts.is_none() && self.state.config.role == crate::config::NodeRole::Hub {
            self.alerts = Some(crate::alerts::spawn(self.state.clone(), every));
        }
    }

    /// Stops sync links, then serving (in-flight requests finish), and waits until it has.
    pub async fn shutdown(mut self) -> Result<()> {
        for task in [
            self.alerts.take(),
            self.kb_follow.take(),
            self.sender.take(),
            self.retention.take(),
            self.uploader.take(),
            self.esl.take(),
        ]
        .into_iter()
        .flatten()
        .chain(std::mem::take(&mut self.softphones))
        {
            task.abort();
            let _ = task.await;
        }
        if let Some(sync) = self.sync.take() {
            sync.shutdown().await;
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.context("server task")??;
        Ok(())
    }
}

/// Gives the seed's users of `jurisdiction` their seed passwords, when the store holds no
/// credential at all (a new node seeded from files; a node synced from upstream receives its
/// users' credentials with them). One hash per distinct password: the demo gives everyone the same.
async fn seed_credentials(
    store: &Store,
    dir: &std::path::Path,
    jurisdiction: &str,
    now: i64,
) -> Result<()> {
    if !store.credentials().await?.is_empty() {
        return Ok(());
    }
    let Some(refdata) = store.refdata().await? else {
        return Ok(());
    };
    let path = dir.join("users.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    let mut n = 0;
    for seed in seed_users(&text).context("parsing users.toml")? {
        let Some(pw) = seed.password else { continue };
        if !refdata.org.is_within(&seed.user.unit, jurisdiction) {
            continue;
        }
        let hash = match hashes.get(&pw) {
            Some(h) => h.clone(),
            None => {
                let h = crate::auth::password::hash_async(pw.clone()).await?;
                hashes.insert(pw, h.clone());
                h
            }
        };
        let credential = hotline_model::credential::Credential {
            hash,
            disabled: false,
            changed_ms: 0,
        };
        store
            .put_credential(seed.user.unit, seed.user.login, credential, now)
            .await?;
        n += 1;
    }
    if n > 0 {
        tracing::info!(users = n, "seed passwords set");
    }
    Ok(())
}

/// Opens the node's store and reference data, then serves the API on `listener` until shut down.
pub async fn start(config: NodeConfig, listener: TcpListener, clock: Clock) -> Result<RunningNode> {
    if !NodeConfig::valid_node_code(&config.node_code) {
        bail!(
            "node_code {:?} must be 1-8 capital letters or digits",
            config.node_code
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let mut actor = [0u8; 16];
    rand::rng().fill_bytes(&mut actor);
    let db = config.db_path();
    let store = {
        let node = config.node_code.clone();
        tokio::task::spawn_blocking(move || Store::open(&db, &node, actor)).await??
    };
    // Users were one document for every node before they were kept per unit: drop that one.
    store
        .write(|ctx| refdata_doc::remove_legacy_users(ctx.conn))
        .await?;
    let mut refdata = store.refdata().await?;
    // Seeded when missing; users too when none are held (a store from before users were per unit).
    let unseeded = refdata.as_ref().is_none_or(|r| r.users.is_empty());
    if unseeded && let Some(dir) = &config.seed_dir {
        let files = read_seed_refdata(dir, &config.jurisdiction)?;
        let files = match &refdata {
            Some(_) => files
                .into_iter()
                .filter(|(name, _)| {
                    !refdata_doc::SHARED.contains(&name.as_str())
                        && !refdata_doc::OPTIONAL_SHARED.contains(&name.as_str())
                })
                .collect(),
            None => files,
        };
        store.put_refdata(files, clock()).await?;
        refdata = store.refdata().await?;
        tracing::info!(node = %config.node_code, dir = %dir.display(), "reference data seeded");
    }
    let refdata = match refdata {
        Some(r) => {
            if !r.org.contains(&config.jurisdiction) {
                bail!(
                    "jurisdiction {} is not a unit of the org tree",
                    config.jurisdiction
                );
            }
            r
        }
        // A new office: its reference data comes from upstream with its first sync; until then
        // the API answers 503.
        None if config.role == crate::config::NodeRole::Edge && config.sync.upstream.is_some() => {
            tracing::warn!(node = %config.node_code, "no reference data yet: waiting for it from upstream");
            ReferenceData::unloaded()
        }
        None => bail!(
            "node {} has no reference data: set seed_dir or sync from upstream",
            config.node_code
        ),
    };
    if config.role == crate::config::NodeRole::Hub
        && let Some(dir) = &config.seed_dir
    {
        let n =
            crate::kb::seed_if_empty(&store, &dir.join("knowledge"), &config.node_code, clock())
                .await?;
        if n > 0 {
            tracing::info!(articles = n, "knowledge base seeded");
        }
    }
    if let Some(dir) = &config.seed_dir {
        seed_credentials(&store, dir, &config.jurisdiction, clock()).await?;
    }
    let policy = hotline_model::credential::SessionPolicy {
        idle_ms: i64::from(config.session_idle_minutes) * 60_000,
        absolute_ms: i64::from(config.session_max_hours) * 3_600_000,
    };
    let tls = match &config.https {
        Some(h) => Some(crate::tls::server_config(&h.cert, &h.key)?),
        None => None,
    };
    // Sessions past their longest life are of no use: dropped at every start.
    let stale = clock() - policy.absolute_ms;
    store
        .write(move |ctx| replica_store::sessions::remove_stale(ctx.conn, stale))
        .await?;
    let auth = Arc::new(crate::auth::Auth::load(&store, policy, tls.is_some()).await?);
    let kb = crate::kb::KbService::open(&config.data_dir.join("kb-index"), &store).await?;
    let kb_follow = kb.clone().follow(store.clone());
    let state = AppState {
        hotline: crate::Hotline {
            citizens: Arc::new(crate::citizen::CitizenGuards {
                inbound: crate::inbound::InboundGuard::new(
                    config.notify.inbound.per_sender_per_hour,
                    config.notify.inbound.per_peer_per_minute,
                ),
                ..Default::default()
            }),
            blobs: crate::blobs::Blobs::new(&config.data_dir),
            kb: Some(kb),
            store,
            refdata: Arc::new(RwLock::new(Arc::new(refdata))),
            settings: Arc::new(config.settings()),
            clock,
            sync_links: crate::sync::SyncLinks::default(),
            auth,
        },
        config: Arc::new(config),
        cti: Arc::default(),
    };
    let sync = if state.config.sync.enabled() {
        Some(crate::sync::SyncService::start(state.clone()).await?)
    } else {
        None
    };
    let alerts = (state.config.role == crate::config::NodeRole::Hub
        && state.config.alert_sweep_secs > 0)
        .then(|| {
            crate::alerts::spawn(
                state.clone(),
                std::time::Duration::from_secs(state.config.alert_sweep_secs),
            )
        });
    // What events recorded here cause is queued with them, and delivered from the outbox.
    crate::notify::install(&state);
    let channels = Arc::new(
        crate::notify::Channels::new(&state.config.notify)
            .context("notification settings ([notify])")?,
    );
    let sender = tokio::spawn(crate::notify::run_sender(state.clone(), channels));
    // Files past their retention: the hub records their removal, every node deletes its copies.
    let retention =
        crate::files::spawn_retention(state.hotline.clone(), std::time::Duration::from_secs(3600));
    // The switch's event socket, when configured.
    let esl = state
        .config
        .telephony
        .esl
        .clone()
        .map(|esl| crate::telephony::esl::spawn(state.clone(), esl));
    let softphones = crate::telephony::softphone::spawn_all(&state);
    // Files named here go up to the parent.
    let uploader = state
        .config
        .sync
        .upstream
        .is_some()
        .then(|| crate::files::spawn_uploader(state.hotline.clone()));
    if state.config.role == crate::config::NodeRole::Hub {
        // Open311 batch requests accepted before a stop are registered now.
        tokio::spawn(crate::open311::drain_queue(state.clone()));
    }
    let addr = listener.local_addr()?;
    let app = crate::http::app(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let task = match tls {
        Some(config) => {
            let listener = crate::tls::TlsListener::new(listener, config)?;
            tokio::spawn(async move {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<crate::tls::TlsPeer>(),
                )
                .with_graceful_shutdown(shutdown)
                .await
            })
        }
        None => tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await
        }),
    };
    tracing::info!(node = %state.config.node_code, %addr, "node serving");
    Ok(RunningNode {
        state,
        addr,
        stop: Some(stop),
        task,
        sync,
        suspended_listen: None,
        alerts,
        kb_follow: Some(kb_follow),
        sender: Some(sender),
        retention: Some(retention),
        uploader,
        esl,
        softphones,
    })
}
