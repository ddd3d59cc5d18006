//! What a node shows about its sync links in `GET /api/health`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One link as the health API shows it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LinkInfo {
    /// The peer's node code (from its certificate; for an upstream link not yet up, the configured one).
    pub peer: String,
    /// The root unit of the peer's jurisdiction (from its certificate; empty until first connected).
    pub peer_scope: String,
    /// `upstream` (this node dialled it) or `downstream` (it dialled this node).
    pub direction: &'static str,
    /// The peer's address.
    pub addr: String,
    /// A link is up now.
    pub connected: bool,
    /// Wall time (Unix ms) a page of the peer's feed was last applied here.
    pub last_sync_ms: Option<i64>,
    /// This node has pulled the peer's feed to its end: a page was applied and the next request is
    /// out, or the request has stayed parked at the peer (which answers at once when it has news)
    /// for 300 ms with nothing else in progress.
    pub caught_up: bool,
    /// Changes waiting: documents being fetched from the peer plus entries of this node's feed the
    /// peer has not pulled yet (an upper bound: entries outside its scope count too).
    pub changes_waiting: u64,
    /// Documents whose changes are being fetched from the peer.
    pub pending_docs: u64,
    /// Entries of this node's feed after the peer's cursor.
    pub feed_ahead: u64,
    /// Refused requests or changes of this peer (scope, invalid data), over all its connections.
    pub refusals: u64,
    /// Pages of the peer's feed applied (this connection).
    pub pages_applied: u64,
    /// Documents changed by the peer's changes (this connection).
    pub docs_applied: u64,
    /// Times this link came up.
    pub connects: u64,
    /// The peer's cursor in this node's feed (the `since` of its last feed request).
    pub peer_cursor: Option<u64>,
    /// UDP bytes sent and received on the current (or last) connection, QUIC and TLS included.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Bytes of automerge changes sent to the peer in `Changes` messages (current connection).
    pub change_bytes_sent: u64,
    /// Why the link last ended, if it did.
    pub last_error: Option<String>,
}

/// The links of a node; cheap to clone. Empty when sync is off.
#[derive(Clone, Default)]
pub struct SyncLinks {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    links: Mutex<BTreeMap<String, LinkInfo>>,
    refused_connections: AtomicU64,
}

impl SyncLinks {
    /// Updates (creating if needed) the link under `key`.
    pub fn update(&self, key: &str, f: impl FnOnce(&mut LinkInfo)) {
        let mut links = self.inner.links.lock().unwrap_or_else(|p| p.into_inner());
        f(links.entry(key.to_owned()).or_default());
    }

    /// Marks every link down (the node stopped syncing).
    pub fn mark_all_down(&self) {
        let mut links = self.inner.links.lock().unwrap_or_else(|p| p.into_inner());
        for l in links.values_mut() {
            l.connected = false;
        }
    }

    /// A copy of every link, by key.
    pub fn snapshot(&self) -> Vec<LinkInfo> {
        let links = self.inner.links.lock().unwrap_or_else(|p| p.into_inner());
        links.values().cloned().collect()
    }

    /// The link of peer `node`, if any.
    pub fn get(&self, node: &str) -> Option<LinkInfo> {
        self.snapshot().into_iter().find(|l| l.peer == node)
    }

    /// Counts an incoming connection refused at the handshake (foreign CA, revoked, bad hello).
    pub fn count_refused_connection(&self) {
        self.inner
            .refused_connections
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Incoming connections refused at the handshake.
    pub fn refused_connections(&self) -> u64 {
        self.inner.refused_connections.load(Ordering::Relaxed)
    }
}
