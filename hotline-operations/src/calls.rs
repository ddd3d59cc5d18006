//! The calls the telephony reported (通话记录), newest first and paged by key, each with the orders
//! registered during it, and a call's recording. Shift leaders, supervisors, leaders and inspectors
//! see every call; an operator sees their own.

use crate::Hotline;
use crate::Kind;
use crate::OpError;
use hotline_model::call::CallRecord;
use hotline_model::role::{Role, User};
use replica_store::calls::CallFilter;
use serde::{Deserialize, Serialize};

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
    /// The recording's content hash, when the telephony delivered one (`GET
    /// /api/calls/{call_id}/recording`).
    pub recording_sha256: Option<String>,
    /// Its quality score (percent), when scored.
    pub score: Option<f64>,
}

impl CallItem {
    /// A call with what the lists show of it, its operator named from the reference data.
    pub fn of(
        refdata: &hotline_model::refdata::ReferenceData,
        call: CallRecord,
        orders: Vec<String>,
        recording_sha256: Option<String>,
        score: Option<f64>,
    ) -> CallItem {
        CallItem {
            operator_name: call
                .operator
                .as_deref()
                .and_then(|o| refdata.user(o))
                .map(|u| u.name.clone()),
            call,
            orders,
            recording_sha256,
            score,
        }
    }
}

/// A page of calls.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CallPage {
    /// The calls, newest first.
    pub items: Vec<CallItem>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// Whose calls, scores or day `user` may see (`what`, in words, for the refusal): centre
/// supervisors, leaders and inspectors every operator's (`asked` kept), an operator only their own.
pub fn reach(user: &User, asked: Option<String>, what: &str) -> Result<Option<String>, OpError> {
    match user.role {
        Role::ShiftLeader | Role::Supervisor | Role::Leader | Role::Inspector => Ok(asked),
        Role::Operator => {
            if asked.as_ref().is_some_and(|o| *o != user.login) {
                return Err(OpError::forbidden(format!("话务员只能查看自己的{what}")));
            }
            Ok(Some(user.login.clone()))
        }
        _ => Err(OpError::forbidden(format!("只有中心人员可以查看{what}"))),
    }
}

/// Whether `user` may watch over every operator's calls (listen in, score).
pub fn supervises(user: &User) -> bool {
    matches!(user.role, Role::ShiftLeader | Role::Supervisor)
}

/// The calls `user` may list (the API and the page).
pub async fn calls_for(state: &Hotline, user: &User, q: CallQuery) -> Result<CallPage, OpError> {
    let operator = reach(user, q.operator, "通话记录")?;
    let (from, to) = crate::stats::time_range(q.from, q.to, state.now())?;
    let before = match q.before.as_deref() {
        None => None,
        Some(c) => Some(
            c.split_once(':')
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_owned())))
                .filter(|(_, id)| !id.is_empty())
                .ok_or_else(|| OpError::bad_request("分页参数 before 无效"))?,
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
                let rec = replica_store::files::recording_of(c, &call.call_id)?.map(|r| r.0);
                let score = replica_store::quality::get(c, &call.call_id)?.map(|s| s.percent);
                out.push((call, orders, rec, score));
            }
            Ok(out)
        })
        .await?;
    let refdata = state.refdata();
    let next = (rows.len() as u32 == limit)
        .then(|| {
            rows.last()
                .map(|(c, ..)| format!("{}:{}", c.started_at, c.call_id))
        })
        .flatten();
    let items = rows
        .into_iter()
        .map(|(call, orders, recording_sha256, score)| {
            CallItem::of(&refdata, call, orders, recording_sha256, score)
        })
        .collect();
    Ok(CallPage { items, next })
}

/// How a supervisor joins a live call.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorRequest {
    /// Speak too (强插, `three_way`); listen only (监听, `eavesdrop`) when false.
    #[serde(default)]
    pub barge: bool,
}

/// What the telephony was asked.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MonitorStarted {
    /// The switch's job id.
    pub job: String,
    /// The extension that will ring.
    pub extension: String,
}

/// A call's recording for who may see the call (an operator their own), every opening audited:
/// the API and the call list's player.
pub async fn open_recording(
    state: &Hotline,
    user: &User,
    call_id: &str,
) -> Result<crate::files::Opened, OpError> {
    let only = reach(user, None, "通话记录")?;
    let id = call_id.to_owned();
    let (call, rec) = state
        .store
        .read(move |c| {
            Ok((
                replica_store::calls::get(c, &id)?,
                replica_store::files::recording_of(c, &id)?,
            ))
        })
        .await?;
    let (Some(call), Some((sha256, media_type, size, _))) = (call, rec) else {
        return Err(OpError::not_found("该通话的录音"));
    };
    if let Some(o) = only
        && call.operator.as_deref() != Some(o.as_str())
    {
        return Err(OpError::forbidden("话务员只能收听自己的通话录音"));
    }
    crate::tickets::record_access(
        state,
        user,
        "open_recording",
        "",
        &format!("通话 {call_id} {sha256}"),
    )
    .await?;
    let path = state.blobs.local(&sha256).ok_or_else(|| {
        OpError::new(
            Kind::Gone,
            "gone",
            "该录音已超过保存期限被删除，或不在本节点",
        )
    })?;
    Ok(crate::files::Opened {
        path,
        named: crate::files::Named {
            file: hotline_model::intake::Attachment {
                name: crate::files::recording_name(call_id, &media_type),
                sha256,
                size,
                media_type,
            },
            kind: hotline_model::file::FileKind::Recording,
            removed: None,
        },
    })
}
