//! One live link: runs the sans-IO sync session over the transport's framed stream. Every session
//! step is one write job of the store (so it reads and writes inside the writer's transaction);
//! messages go out only after that job committed.

use std::time::{Duration, Instant};

use sync_protocol::message::Message;
use sync_protocol::scope::{NodeScope, Within};
use sync_protocol::session::{Input, Session, SessionConfig};
use sync_protocol::transport::{FrameWriter, Link, close_code};
use tokio::sync::{mpsc, watch};

use super::SyncLinks;
use super::sql_store::SqlSyncStore;
use crate::state::AppState;

/// What every link of a node shares.
pub struct LinkEnv {
    pub state: AppState,
    pub me: NodeScope,
    pub children: Vec<NodeScope>,
    pub within: Within,
    pub links: SyncLinks,
    pub tick: Duration,
    pub retry_ms: u64,
    pub digest_ms: u64,
    pub page: u32,
    /// The session clock's origin.
    pub started: Instant,
}

/// Why a link ended.
#[derive(Debug, thiserror::Error)]
pub enum LinkEnd {
    #[error("node shutting down")]
    Shutdown,
    #[error("transport: {0}")]
    Transport(String),
    #[error("store: {0}")]
    Store(String),
}

impl LinkEnv {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// One session step inside a store write job. The step's store work is rolled back if it fails.
async fn step(
    state: &AppState,
    session: Session,
    now: u64,
    input: Input,
) -> Result<(Session, Vec<Message>), LinkEnd> {
    let live_refdata = state.refdata.clone();
    let live_credentials = state.auth.credential_slot();
    let done = state
        .store
        .write(move |ctx| {
            let mut session = session;
            ctx.conn.execute_batch("SAVEPOINT sync_step")?;
            let mut store = SqlSyncStore::new(ctx)
                .with_live_refdata(live_refdata)
                .with_live_credentials(live_credentials);
            let out = session.handle(now, input, &mut store);
            match out {
                Ok(msgs) => {
                    ctx.conn.execute_batch("RELEASE sync_step")?;
                    Ok(Ok((session, msgs)))
                }
                Err(e) => {
                    ctx.conn
                        .execute_batch("ROLLBACK TO sync_step; RELEASE sync_step")?;
                    Ok(Err(e.to_string()))
                }
            }
        })
        .await;
    let error = match done {
        Ok(Ok(stepped)) => return Ok(stepped),
        Ok(Err(e)) => e,
        Err(e) => e.to_string(),
    };
    // Reference data is replaced inside the step, before its commit: when the step or its commit
    // failed, the live copy may show changes that are not in the store.
    state.reload_refdata().await;
    state.auth.reload_credentials(&state.store).await;
    Err(LinkEnd::Store(error))
}

async fn send_all(writer: &mut FrameWriter, msgs: &[Message]) -> Result<(), LinkEnd> {
    for m in msgs {
        writer
            .send(m)
            .await
            .map_err(|e| LinkEnd::Transport(e.to_string()))?;
    }
    Ok(())
}

/// Runs a link until it drops or the node shuts down. `key` names it in the link status.
pub async fn run(
    env: &LinkEnv,
    link: Link,
    key: &str,
    mut shutdown: watch::Receiver<bool>,
) -> LinkEnd {
    let (conn, peer, mut writer, mut reader) = link.into_parts();
    let peer_scope = NodeScope {
        node_code: peer.node_code.clone(),
        scope_unit: peer.scope_unit.clone(),
    };
    let mut cfg = SessionConfig::new(env.me.clone(), peer_scope, env.children.clone());
    cfg.retry_after_ms = env.retry_ms;
    cfg.digest_every_ms = env.digest_ms;
    cfg.page_limit = env.page;
    // A new office without its reference data takes the shared documents first.
    cfg.shared_first = !env.state.refdata().is_loaded();
    let mut session = Session::new(cfg, env.within.clone());
    env.links.update(key, |l| {
        l.peer = peer.node_code.clone();
        l.peer_scope = peer.scope_unit.clone();
        l.addr = conn.remote_address().to_string();
        l.connected = true;
        l.connects += 1;
        l.last_error = None;
        l.peer_cursor = None;
        l.change_bytes_sent = 0;
        l.pages_applied = 0;
        l.docs_applied = 0;
    });
    // Reads run in their own task: a frame read cancelled half-way would lose bytes.
    // Files: the parent answers its children's requests on streams of their own; a child asks
    // its parent through this connection while the link is up.
    let upstream = key.starts_with("upstream:");
    let blob_task = if upstream {
        env.state.blobs.set_upstream(Some(conn.clone()));
        None
    } else {
        Some(tokio::spawn(serve_files(
            env.state.clone(),
            conn.clone(),
            peer.scope_unit.clone(),
            env.within.clone(),
        )))
    };
    let (tx, mut rx) = mpsc::channel::<Result<Message, String>>(64);
    let reader_task = tokio::spawn(async move {
        loop {
            let r = reader.recv().await.map_err(|e| e.to_string());
            let end = r.is_err();
            if tx.send(r).await.is_err() || end {
                break;
            }
        }
    });
    let mut committed = env.state.store.committed();
    committed.borrow_and_update();
    let mut tick = tokio::time::interval(env.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut base_refusals = None::<u64>;
    let mut last_pages = 0u64;
    // A request the peer has nothing for is parked there, unanswered: a pull idle this long since
    // the last progress is taken as caught up (the peer answers at once when it has news).
    const PARKED_AFTER: Duration = Duration::from_millis(300);
    let mut last_progress = Instant::now();
    let mut peer_since: Option<u64> = None;
    let mut change_bytes = 0u64;
    let mut input = Some(Input::Start);
    let end = loop {
        if let Some(i) = input.take() {
            // Reference data that changed was already replaced, inside the step.
            let (s, msgs) = match step(&env.state, session, env.now(), i).await {
                Ok(v) => v,
                Err(e) => break e,
            };
            session = s;
            for m in &msgs {
                // Changes move in `Changes` answers and inline in feed pages.
                change_bytes += match m {
                    Message::Changes { docs, .. } => docs
                        .iter()
                        .flat_map(|d| d.changes.iter())
                        .map(|c| c.len() as u64)
                        .sum::<u64>(),
                    Message::FeedPage { entries, .. } => entries
                        .iter()
                        .flat_map(|e| e.changes.iter())
                        .map(|c| c.len() as u64)
                        .sum::<u64>(),
                    _ => 0,
                };
            }
            if let Err(e) = send_all(&mut writer, &msgs).await {
                break e;
            }
            let stats = conn.stats();
            let st = session.status();
            let local = u64::try_from(*env.state.store.committed().borrow()).unwrap_or(0);
            let feed_ahead = local.saturating_sub(peer_since.unwrap_or(0));
            let now_wall = env.state.now();
            let applied_page = st.pages_applied > last_pages;
            if applied_page || !session.is_idle() {
                last_progress = Instant::now();
            }
            let parked = session.is_idle() && last_progress.elapsed() >= PARKED_AFTER;
            last_pages = st.pages_applied;
            env.links.update(key, |l| {
                let base = *base_refusals.get_or_insert(l.refusals);
                l.refusals = base + st.refusals;
                l.caught_up = st.caught_up || parked;
                l.pending_docs = st.pending_docs as u64;
                l.feed_ahead = feed_ahead;
                l.changes_waiting = st.pending_docs as u64 + feed_ahead;
                l.pages_applied = st.pages_applied;
                l.docs_applied = st.docs_applied;
                l.peer_cursor = peer_since;
                l.bytes_sent = stats.udp_tx.bytes;
                l.bytes_received = stats.udp_rx.bytes;
                l.change_bytes_sent = change_bytes;
                if applied_page {
                    l.last_sync_ms = Some(now_wall);
                }
            });
            if session.has_work() {
                // A page is in hand and the request for the next one has left: work on it now,
                // while the peer reads the next.
                input = Some(Input::Continue);
                continue;
            }
        }
        tokio::select! {
            _ = shutdown.changed() => break LinkEnd::Shutdown,
            m = rx.recv() => match m {
                Some(Ok(m)) => {
                    if let Message::FeedRequest { since, .. } = &m {
                        peer_since = Some(*since);
                    }
                    input = Some(Input::Message(m));
                }
                Some(Err(e)) => break LinkEnd::Transport(e),
                None => break LinkEnd::Transport("reader stopped".into()),
            },
            r = committed.changed() => {
                if r.is_err() {
                    break LinkEnd::Store("store closed".into());
                }
                committed.borrow_and_update();
                input = Some(Input::LocalChange);
            }
            _ = tick.tick() => input = Some(Input::Tick),
        }
    };
    let code = match end {
        LinkEnd::Shutdown => close_code::NORMAL,
        LinkEnd::Transport(_) => close_code::PROTOCOL,
        LinkEnd::Store(_) => close_code::NORMAL,
    };
    conn.close(quinn::VarInt::from_u32(code), b"link ended");
    reader_task.abort();
    if upstream {
        env.state.blobs.set_upstream(None);
    }
    if let Some(t) = blob_task {
        t.abort();
    }
    let stats = conn.stats();
    env.links.update(key, |l| {
        l.bytes_sent = stats.udp_tx.bytes;
        l.bytes_received = stats.udp_rx.bytes;
        l.connected = false;
        l.caught_up = false;
        l.last_error = match &end {
            LinkEnd::Shutdown => None,
            other => Some(other.to_string()),
        };
    });
    match &end {
        LinkEnd::Shutdown => {
            tracing::info!(peer = %peer.node_code, "sync link closed for shutdown")
        }
        other => tracing::warn!(peer = %peer.node_code, reason = %other, "sync link ended"),
    }
    end
}

/// Answers a child's file requests, each in a task of its own (a slow one holds up nobody), until
/// the connection ends.
async fn serve_files(
    state: AppState,
    conn: quinn::Connection,
    child_scope: String,
    within: sync_protocol::scope::Within,
) {
    let mut running = tokio::task::JoinSet::new();
    while let Some(pending) = sync_protocol::blob::next_stream(&conn).await {
        let (state, scope, within) = (state.clone(), child_scope.clone(), within.clone());
        running.spawn(async move {
            match tokio::time::timeout(Duration::from_secs(10), pending.read()).await {
                Ok(Ok(incoming)) => {
                    crate::files::answer_child(&state, &scope, &within, incoming).await
                }
                Ok(Err(e)) => {
                    tracing::warn!(child = %scope, error = %e, "refused a malformed file request")
                }
                Err(_) => tracing::warn!(child = %scope, "a file request was not sent in time"),
            }
        });
        while running.try_join_next().is_some() {}
    }
    running.abort_all();
}
