//! Runs a [`Session`] over a QUIC [`Link`]: feeds it the peer's messages, timer ticks and "feed
//! advanced" notices, sends what it answers, and publishes its [`LinkStatus`]. One call per live
//! link; when it returns, dial again (see [`crate::transport::Dialer`]) and start a new session.

use crate::session::{Input, LinkStatus, Session};
use crate::store::SyncStore;
use crate::transport::{Link, TransportError, close_code};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// Why a link's run ended.
#[derive(Debug, thiserror::Error)]
pub enum DriverError<E: std::error::Error + 'static> {
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    #[error("store: {0}")]
    Store(#[source] E),
    #[error("stopped")]
    Stopped,
}

/// What the driver shares with the rest of the node.
pub struct LinkContext<S> {
    /// The node's replica store (each session step is one short synchronous critical section).
    pub store: Arc<Mutex<S>>,
    /// The node's feed head: bumped by whoever advances the feed (local edits, every link's
    /// driver); every driver wakes its session on a change.
    pub feed: watch::Sender<u64>,
    /// Milliseconds on the node's clock (passed to the session).
    pub clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    /// Tick period.
    pub tick: Duration,
    /// Where the link's status is published for the health API.
    pub status: Option<watch::Sender<LinkStatus>>,
    /// Set to `true` to end the run (node shutdown).
    pub stop: watch::Receiver<bool>,
}

impl<S> Clone for LinkContext<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            feed: self.feed.clone(),
            clock: self.clock.clone(),
            tick: self.tick,
            status: self.status.clone(),
            stop: self.stop.clone(),
        }
    }
}

fn step<S: SyncStore>(
    session: &mut Session,
    ctx: &LinkContext<S>,
    input: Input,
) -> Result<Vec<crate::message::Message>, DriverError<S::Error>> {
    let mut store = ctx.store.lock().unwrap_or_else(PoisonError::into_inner);
    let before = store.feed_head().map_err(DriverError::Store)?;
    let out = session
        .handle((ctx.clock)(), input, &mut *store)
        .map_err(DriverError::Store)?;
    let after = store.feed_head().map_err(DriverError::Store)?;
    drop(store);
    if after != before {
        ctx.feed.send_replace(after);
    }
    Ok(out)
}

/// Runs `session` over `link` until the link fails or `ctx.stop` turns true.
pub async fn run_link<S>(
    link: Link,
    mut session: Session,
    ctx: LinkContext<S>,
) -> Result<(), DriverError<S::Error>>
where
    S: SyncStore + Send + 'static,
{
    let (conn, peer, mut writer, mut reader) = link.into_parts();
    // Reads are not cancel-safe: a task of their own feeds a channel.
    let (tx, mut rx) = mpsc::channel(64);
    let reader_task = tokio::spawn(async move {
        loop {
            let r = reader.recv().await;
            let end = r.is_err();
            if tx.send(r).await.is_err() || end {
                break;
            }
        }
    });
    let mut feed = ctx.feed.subscribe();
    let mut stop = ctx.stop.clone();
    let mut ticker = tokio::time::interval(ctx.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut input = Some(Input::Start);
    let result = loop {
        if let Some(i) = input.take() {
            let out = match step(&mut session, &ctx, i) {
                Ok(o) => o,
                Err(e) => break Err(e),
            };
            let mut failed = None;
            for m in &out {
                if let Err(e) = writer.send(m).await {
                    failed = Some(e);
                    break;
                }
            }
            if let Some(e) = failed {
                break Err(e.into());
            }
            if let Some(s) = &ctx.status {
                s.send_replace(session.status());
            }
            if session.has_work() {
                input = Some(Input::Continue);
                continue;
            }
        }
        input = tokio::select! {
            m = rx.recv() => match m {
                Some(Ok(m)) => Some(Input::Message(m)),
                Some(Err(e)) => break Err(e.into()),
                None => break Err(TransportError::Closed.into()),
            },
            _ = ticker.tick() => Some(Input::Tick),
            changed = feed.changed() => match changed {
                Ok(()) => Some(Input::LocalChange),
                Err(_) => break Err(DriverError::Stopped),
            },
            _ = stop.changed() => {
                if *stop.borrow() {
                    conn.close(close_code::NORMAL.into(), b"shutting down");
                    break Ok(());
                }
                None
            }
        };
    };
    reader_task.abort();
    match &result {
        Ok(()) => info!(peer = %peer.node_code, "sync link closed"),
        Err(e) => warn!(peer = %peer.node_code, error = %e, "sync link ended"),
    }
    if let Some(s) = &ctx.status {
        let mut st = session.status();
        st.caught_up = false;
        s.send_replace(st);
    }
    result
}
