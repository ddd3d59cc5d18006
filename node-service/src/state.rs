//! What every request handler shares: the store, the reference data, the config and the clock.

use std::sync::{Arc, RwLock};

use hotline_model::refdata::ReferenceData;
use replica_store::Store;

use crate::config::NodeConfig;

pub use hotline_operations::{Clock, system_clock};

/// Shared state of a node's HTTP API.
#[derive(Clone)]
pub struct AppState {
    /// The replica store.
    pub store: Store,
    /// Reference data, replaced when its documents change.
    pub refdata: Arc<RwLock<Arc<ReferenceData>>>,
    /// Configuration.
    pub config: Arc<NodeConfig>,
    /// Now.
    pub clock: Clock,
    /// The citizens' endpoints' limits and caches.
    pub citizens: Arc<crate::citizen::CitizenGuards>,
    /// Files attached to orders.
    pub blobs: crate::blobs::Blobs,
    /// The knowledge-base search index (absent only while it is being opened).
    pub kb: Option<Arc<crate::kb::KbService>>,
    /// The node's sync links, for the health API (empty when sync is off).
    pub sync_links: crate::sync::SyncLinks,
    /// Staff credentials, sessions and service tokens.
    pub auth: Arc<crate::auth::Auth>,
    /// The telephony's live side: calls in progress, screen pops, the event socket.
    pub cti: Arc<crate::telephony::Cti>,
}

impl AppState {
    /// The current reference data.
    pub fn refdata(&self) -> Arc<ReferenceData> {
        self.refdata
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-reads the reference data from the store (after an edit, or changes from a peer); keeps
    /// the previous data when the stored set is incomplete or unreadable.
    pub async fn reload_refdata(&self) {
        match self.store.refdata().await {
            Ok(Some(rd)) => {
                *self.refdata.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rd);
                tracing::info!(node = %self.config.node_code, "reference data reloaded");
            }
            Ok(None) => tracing::warn!("reference data incomplete; keeping the previous"),
            Err(e) => tracing::error!(error = %e, "cannot reload reference data"),
        }
    }

    /// Now, in Unix ms.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}
