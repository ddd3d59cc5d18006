//! What the node's faces and integrations share: the core's [`Hotline`] (every operation runs on
//! it; an `AppState` derefs to it), the node's whole configuration, the citizens' guards and the
//! telephony's live side. Parts move into the core as their operations do.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

pub use hotline_operations::{Clock, Hotline, system_clock};

use crate::config::NodeConfig;

/// Shared state of a node's HTTP faces and background tasks.
#[derive(Clone)]
pub struct AppState {
    /// The operations' state.
    pub hotline: Hotline,
    /// Configuration.
    pub config: Arc<NodeConfig>,
    /// The telephony's live side: calls in progress, screen pops, the event socket.
    pub cti: Arc<crate::telephony::cti::Cti>,
}

impl Deref for AppState {
    type Target = Hotline;
    fn deref(&self) -> &Hotline {
        &self.hotline
    }
}

impl DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Hotline {
        &mut self.hotline
    }
}
