//! The operators' callback list (回访): the orders that need a phone call now (no answer to the
//! survey text within its wait, no text possible, or 不满意 by text to verify), the longest waiting
//! first, key-paged. The call's outcome is recorded as the order's callback action. For centre staff.

use crate::Hotline;
use crate::OpError;
use hotline_model::role::User;
use replica_store::projection::CallbackItem;
use serde::{Deserialize, Serialize};

/// Query parameters.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
}

/// A page of the list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Callbacks {
    /// Orders on the list now.
    pub count: i64,
    /// The longest waiting first.
    pub items: Vec<CallbackItem>,
    /// The cursor of the next page, if there may be one.
    pub next: Option<String>,
}

/// How long an order whose survey text went out waits for its answer before an operator calls:
/// none when surveys are off or no SMS gateway is configured.
pub fn survey_wait_ms(state: &Hotline) -> i64 {
    let survey = state.refdata().notices.survey.clone();
    if survey.enabled && state.settings.sms_gateway {
        survey.wait_ms()
    } else {
        0
    }
}

/// A page of the callback list (the pages and the API).
pub async fn page(state: &Hotline, user: &User, q: CallbackQuery) -> Result<Callbacks, OpError> {
    if !user.role.is_centre() {
        return Err(OpError::forbidden("回访名单只对中心人员开放"));
    }
    let now = state.now();
    let wait = survey_wait_ms(state);
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let after = q.after;
    let mut items = state
        .store
        .read(move |c| {
            replica_store::projection::callback_list(c, now, wait, after.as_deref(), limit)
        })
        .await?;
    if wait == 0 {
        // No survey text goes out here: nothing went unanswered.
        for i in items.iter_mut().filter(|i| i.kind == "survey") {
            i.reason = "待电话回访（本节点未发短信回访）".into();
        }
    }
    let count = state
        .store
        .read(move |c| replica_store::projection::callback_count(c, now, wait))
        .await?;
    let next = (items.len() as u32 == limit)
        .then(|| {
            items
                .last()
                .map(|i| format!("{}:{}", i.since, i.ticket.number))
        })
        .flatten();
    Ok(Callbacks { count, items, next })
}
