//! The node's outbox for those who look after it: notifications newest first with every delivery
//! attempt (citizens' numbers masked), for administrators and the centre's supervisors; putting a
//! given-up notification back in the queue, for administrators.

use crate::Hotline;
use crate::Kind;
use crate::OpError;
use hotline_model::privacy::mask_phone;
use hotline_model::role::{Role, User};
use replica_store::outbox::{Attempt, Outgoing};
use serde::{Deserialize, Serialize};

/// Query parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Only `pending`, `sent` or `dead` notifications.
    pub state: Option<String>,
    /// Only those with ids below this (the next page).
    pub before: Option<i64>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
}

fn may_look(user: &User) -> Result<(), OpError> {
    if matches!(user.role, Role::Admin | Role::Supervisor) {
        Ok(())
    } else {
        Err(OpError::forbidden(
            "只有用户管理员和审核督办员可以查看消息发送记录",
        ))
    }
}

/// How many notifications are in each state.
#[derive(Debug, Serialize)]
pub struct Counts {
    /// Waiting to be sent (or retried).
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// Given up.
    pub dead: i64,
}

/// One notification with its attempts.
#[derive(Debug, Serialize)]
pub struct Item {
    /// The notification (a citizen's number masked).
    pub notification: Outgoing,
    /// Its delivery attempts, oldest first.
    pub attempts: Vec<Attempt>,
}

/// A page of the outbox and its totals.
#[derive(Debug, Serialize)]
pub struct Listing {
    /// Totals.
    pub counts: Counts,
    /// Newest first.
    pub items: Vec<Item>,
}

/// A page of the outbox and its totals (the pages and the API).
pub async fn page(state: &Hotline, user: &User, q: OutboxQuery) -> Result<Listing, OpError> {
    may_look(user)?;
    if let Some(s) = &q.state
        && !matches!(s.as_str(), "pending" | "sent" | "dead")
    {
        return Err(OpError::bad_request("状态只能是 pending、sent 或 dead"));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = state.store.outbox_list(q.state, q.before, limit).await?;
    let (pending, sent, dead) = state.store.outbox_counts().await?;
    let items = rows
        .into_iter()
        .map(|(mut o, attempts)| {
            if o.citizen {
                o.recipient = mask_phone(&o.recipient);
            }
            Item {
                notification: o,
                attempts,
            }
        })
        .collect();
    Ok(Listing {
        counts: Counts {
            pending,
            sent,
            dead,
        },
        items,
    })
}

/// Puts given-up notification `id` back in the queue (the pages and the API).
pub async fn retry_one(state: &Hotline, user: &User, id: i64) -> Result<(), OpError> {
    if user.role != Role::Admin {
        return Err(OpError::forbidden("只有用户管理员可以重新发送消息"));
    }
    if !state.store.outbox_retry(id, state.now()).await? {
        return Err(OpError::new(
            Kind::Conflict,
            "not_dead",
            "只有发送失败、已停止重试的消息可以重新发送",
        ));
    }
    tracing::info!(id, by = %user.login, "notification queued again");
    Ok(())
}
