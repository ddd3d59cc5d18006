//! The calls the telephony reported (通话记录): `GET /api/calls?operator=&caller=&from=&to=&before=`,
//! newest first and paged by key, each with the orders registered during it. Shift leaders,
//! supervisors, leaders and inspectors see every call; an operator sees their own.

use axum::Json;
use axum::extract::{Query, State};
use hotline_model::call::CallRecord;
use hotline_model::role::{Role, User};
use replica_store::calls::CallFilter;
use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::error::ApiError;
use crate::state::AppState;

/// Query of the call list.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    /// One operator's calls (login).
    pub operator: Option<String>,
    /// One caller's calls (number).
    pub caller: Option<String>,
    /// Started at or after (Unix ms; default 30 days before `to`).
    pub from: Option<i64>,
    /// Started before (Unix ms; default now).
    pub to: Option<i64>,
    /// The `next` cursor of the previous page.
    pub before: Option<String>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
}

/// A call with the orders registered during it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CallItem {
    /// The call.
    #[serde(flatten)]
    pub call: CallRecord,
    /// The operator's name.
    pub operator_name: Option<String>,
    /// The numbers of the orders registered from it.
    pub orders: Vec<String>,
}

/// A page of calls.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CallPage {
    /// The calls, newest first.
    pub items: Vec<CallItem>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// The calls `user` may list (the API and the page).
pub async fn calls_for(state: &AppState, user: &User, q: CallQuery) -> Result<CallPage, ApiError> {
    let operator = match user.role {
        Role::ShiftLeader | Role::Supervisor | Role::Leader | Role::Inspector => q.operator,
        Role::Operator => {
            if q.operator.as_ref().is_some_and(|o| *o != user.login) {
                return Err(ApiError::forbidden("话务员只能查看自己的通话记录"));
            }
            Some(user.login.clone())
        }
        _ => return Err(ApiError::forbidden("只有中心人员可以查看通话记录")),
    };
    let (from, to) = super::stats::time_range(q.from, q.to, state.now())?;
    let before = match q.before.as_deref() {
        None => None,
        Some(c) => Some(
            c.split_once(':')
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_owned())))
                .filter(|(_, id)| !id.is_empty())
                .ok_or_else(|| ApiError::bad_request("分页参数 before 无效"))?,
        ),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter = CallFilter {
        operator,
        caller: q.caller,
        from,
        to,
        before,
        limit,
    };
    let rows = state
        .store
        .read(move |c| {
            let calls = replica_store::calls::list(c, &filter)?;
            let mut out = Vec::with_capacity(calls.len());
            for call in calls {
                let orders = replica_store::projection::orders_of_call(c, &call.call_id)?;
                out.push((call, orders));
            }
            Ok(out)
        })
        .await?;
    let refdata = state.refdata();
    let next = (rows.len() as u32 == limit)
        .then(|| {
            rows.last()
                .map(|(c, _)| format!("{}:{}", c.started_at, c.call_id))
        })
        .flatten();
    let items = rows
        .into_iter()
        .map(|(call, orders)| CallItem {
            operator_name: call
                .operator
                .as_deref()
                .and_then(|o| refdata.user(o))
                .map(|u| u.name.clone()),
            call,
            orders,
        })
        .collect();
    Ok(CallPage { items, next })
}

/// `GET /api/calls`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<CallQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CallPage>, ApiError> {
    let Query(q) = query?;
    Ok(Json(calls_for(&state, &user, q).await?))
}
