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

/// The calls `user` may list (the API and the page).
/// Whose calls, scores or day `user` may see (`what`, in words, for the refusal): centre
/// supervisors, leaders and inspectors every operator's (`asked` kept), an operator only their own.
pub(crate) fn reach(
    user: &User,
    asked: Option<String>,
    what: &str,
) -> Result<Option<String>, ApiError> {
    match user.role {
        Role::ShiftLeader | Role::Supervisor | Role::Leader | Role::Inspector => Ok(asked),
        Role::Operator => {
            if asked.as_ref().is_some_and(|o| *o != user.login) {
                return Err(ApiError::forbidden(format!("话务员只能查看自己的{what}")));
            }
            Ok(Some(user.login.clone()))
        }
        _ => Err(ApiError::forbidden(format!("只有中心人员可以查看{what}"))),
    }
}

/// Whether `user` may watch over every operator's calls (listen in, score).
pub fn supervises(user: &User) -> bool {
    matches!(user.role, Role::ShiftLeader | Role::Supervisor)
}

/// The calls `user` may list (the API and the page).
pub async fn calls_for(state: &AppState, user: &User, q: CallQuery) -> Result<CallPage, ApiError> {
    let operator = reach(user, q.operator, "通话记录")?;
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

/// `GET /api/calls`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<CallQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CallPage>, ApiError> {
    let Query(q) = query?;
    Ok(Json(calls_for(&state, &user, q).await?))
}

/// Calls in progress, and whether the telephony takes live-monitoring commands now.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LiveCalls {
    /// The calls, oldest first.
    pub calls: Vec<crate::telephony::LiveCall>,
    /// Live monitoring (监听/强插) is offered: the event socket is connected.
    pub monitoring: bool,
}

/// The calls in progress `user` may see (the API and the page).
pub fn live_for(state: &AppState, user: &User) -> Result<LiveCalls, ApiError> {
    let only = reach(user, None, "通话记录")?;
    let calls = state
        .cti
        .live_calls()
        .into_iter()
        .filter(|c| only.as_ref().is_none_or(|o| *o == c.operator))
        .collect();
    Ok(LiveCalls {
        calls,
        monitoring: supervises(user) && state.cti.client().is_some(),
    })
}

/// `GET /api/calls/live`.
pub async fn live(
    State(state): State<AppState>,
    Actor(user): Actor,
) -> Result<Json<LiveCalls>, ApiError> {
    Ok(Json(live_for(&state, &user)?))
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

/// Live monitoring (the API and the page): the switch rings the supervisor's extension and joins
/// it to the call. Recorded in the audit log first.
pub async fn monitor_call(
    state: &AppState,
    user: &User,
    call_id: &str,
    barge: bool,
) -> Result<MonitorStarted, ApiError> {
    if !supervises(user) {
        return Err(ApiError::forbidden("只有值班长和监督员可以监听或强插通话"));
    }
    let call = state
        .cti
        .live_by_id(call_id)
        .ok_or_else(|| ApiError::not_found("进行中的通话"))?;
    let client = state.cti.client().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "话务系统未连接，暂不能监听",
        )
    })?;
    let extension = state
        .config
        .telephony
        .extension_of(&user.login)
        .ok_or_else(|| ApiError::bad_request("您没有配置分机号（telephony.extensions），无法监听"))?
        .to_owned();
    hotline_operations::tickets::record_access(
        state,
        user,
        if barge { "barge_call" } else { "monitor_call" },
        "",
        &format!("{} {} → 分机 {extension}", call.call_id, call.operator),
    )
    .await?;
    let job = crate::telephony::esl::monitor(&client, &extension, &call.call_id, barge)
        .await
        .map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "telephony",
                format!("话务系统未能执行监听：{e}"),
            )
        })?;
    Ok(MonitorStarted { job, extension })
}

/// `POST /api/calls/{call_id}/monitor`.
pub async fn monitor(
    State(state): State<AppState>,
    Actor(user): Actor,
    axum::extract::Path(call_id): axum::extract::Path<String>,
    body: Result<Json<MonitorRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<MonitorStarted>, ApiError> {
    let Json(req) = body?;
    Ok(Json(
        monitor_call(&state, &user, &call_id, req.barge).await?,
    ))
}

/// A call's recording for who may see the call (an operator their own), every opening audited:
/// the API and the call list's player.
pub async fn open_recording(
    state: &AppState,
    user: &User,
    call_id: &str,
) -> Result<crate::files::Opened, ApiError> {
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
        return Err(ApiError::not_found("该通话的录音"));
    };
    if let Some(o) = only
        && call.operator.as_deref() != Some(o.as_str())
    {
        return Err(ApiError::forbidden("话务员只能收听自己的通话录音"));
    }
    hotline_operations::tickets::record_access(
        state,
        user,
        "open_recording",
        "",
        &format!("通话 {call_id} {sha256}"),
    )
    .await?;
    let path = state.blobs.local(&sha256).ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::GONE,
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

/// `GET /api/calls/{call_id}/recording`.
pub async fn recording(
    State(state): State<AppState>,
    Actor(user): Actor,
    axum::extract::Path(call_id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match open_recording(&state, &user, &call_id).await {
        Ok(opened) => crate::files::serve(opened, &headers).await,
        Err(e) => e.into_response(),
    }
}
