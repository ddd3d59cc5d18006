//! [`Hotline`]: everything an operation runs against — the store, the reference data, the node's
//! settings, the clock, credentials and sessions, files and the knowledge-base index. A cheap clone;
//! every face and integration holds one.

use std::sync::{Arc, RwLock};

use hotline_model::refdata::ReferenceData;
use replica_store::Store;

use crate::auth::Auth;
use crate::blobs::Blobs;
use crate::clock::Clock;
use crate::kb::KbService;
use crate::links::SyncLinks;
use crate::settings::Settings;

/// The platform's operations over one node's data.
#[derive(Clone)]
pub struct Hotline {
    /// The replica store.
    pub store: Store,
    /// Reference data, replaced when its documents change.
    pub refdata: Arc<RwLock<Arc<ReferenceData>>>,
    /// Who this node is.
    pub settings: Arc<Settings>,
    /// Now.
    pub clock: Clock,
    /// Files attached to orders.
    pub blobs: Blobs,
    /// The knowledge-base search index (absent only while it is being opened).
    pub kb: Option<Arc<KbService>>,
    /// The node's sync links as the sync service reports them (empty when sync is off).
    pub sync_links: SyncLinks,
    /// The citizens' limits and caches (lookups, submissions, figures, messages).
    pub citizens: Arc<crate::citizen::CitizenGuards>,
    /// Staff credentials, sessions and service tokens.
    pub auth: Arc<Auth>,
}

impl Hotline {
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
                tracing::info!(node = %self.settings.node_code, "reference data reloaded");
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
