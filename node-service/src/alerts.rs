//! The hub's automatic urge and supervision sweep as a background task; what one sweep records is
//! the core's (`hotline_operations::alerts`, re-exported).

use std::time::Duration;

pub use hotline_operations::alerts::*;

use crate::state::AppState;
use hotline_model::alerts::AlertPolicy;

/// Sweeps every `every` (and queues the monthly report when due) until the returned handle is
/// aborted.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let policy = AlertPolicy::default();
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = sweep(&state, state.now(), &policy).await {
                tracing::error!(error = %e, "alert sweep failed");
            }
            // The monthly report is the hub's too: queued once per month and address.
            if let Err(e) = crate::report::queue_due(&state, state.now()).await {
                tracing::error!(error = %e.message, "monthly report not queued");
            }
        }
    })
}
