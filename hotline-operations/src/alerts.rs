//! Automatic urging and supervision (催办/督办): the hub sweeps the orders being handled and records, as
//! the system, an urge before a deadline and a supervision notice or reprimand after it. Only the hub
//! sweeps, so an alert is recorded once, however many nodes hold the order.

use hotline_model::alerts::{AlertPolicy, due_alerts};
use replica_store::{NewEvent, StoreError, TicketFilter};

use crate::Hotline;

/// The login recorded as author of automatic alerts.
pub const SYSTEM_USER: &str = "system";

/// Records every alert due at `now_ms`; returns how many were recorded.
pub async fn sweep(
    state: &Hotline,
    now_ms: i64,
    policy: &AlertPolicy,
) -> Result<usize, StoreError> {
    let refdata = state.refdata();
    let centre = refdata.org.root().to_string();
    let mut recorded = 0;
    // Long work: it reads on the store's reader for long work, a page at a time (by key).
    for status in ["dispatched", "handling"] {
        let mut after: Option<String> = None;
        loop {
            let filter = TicketFilter {
                status: Some(status.into()),
                limit: Some(500),
                after: after.clone(),
                ..Default::default()
            };
            let page = {
                let filter = filter.clone();
                state
                    .store
                    .read_bulk(move |c| replica_store::projection::list(c, &filter))
                    .await?
            };
            let Some(last) = page.last() else {
                break;
            };
            after = Some(replica_store::projection::next_cursor(&filter, last));
            for summary in page {
                let id = summary.id.clone();
                let view = state
                    .store
                    .read_bulk(move |c| replica_store::projection::view(c, &id))
                    .await?;
                let Some(view) = view else {
                    continue;
                };
                for alert in due_alerts(&view.state, &refdata.calendar, now_ms, policy) {
                    let event = NewEvent {
                        id: uuid::Uuid::new_v4().to_string(),
                        author: SYSTEM_USER.into(),
                        unit: centre.clone(),
                        action: alert.action(),
                        now_ms,
                    };
                    match state.store.apply(view.id.clone(), event).await {
                        Ok(_) => {
                            recorded += 1;
                            tracing::info!(number = %view.number, unit = %alert.unit, kind = ?alert.kind, "alert recorded");
                        }
                        // The order moved on since it was read: nothing to do.
                        Err(StoreError::Rejected(r)) => {
                            tracing::debug!(number = %view.number, %r, "alert no longer due")
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
    Ok(recorded)
}
