//! The operators' queue of citizens' messages (intake drafts: texts, e-mails, WeChat messages that
//! were not survey answers): `GET /api/drafts?state=&before=&limit=`; `GET /api/drafts/{id}`;
//! `POST /api/drafts/{id}/answer {"text"}` answers the citizen by the channel they used;
//! `POST /api/drafts/{id}/dismiss {"reason"}` sets one aside; a draft becomes an order through
//! `POST /api/tickets` with `"draft": id`, and the citizen is sent the number and query code by
//! the channel they used. For the centre's operators and shift leaders (supervisors may read).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use hotline_model::notify::{Medium, fill, is_mobile};
use hotline_model::role::{Role, User};
use replica_store::inbound::{Handling, Message};
use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::error::ApiError;
use crate::inbound::reply_notice;
use crate::state::AppState;

/// Query parameters.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftQuery {
    /// `new` (default: waiting for an operator), `survey`, `registered`, `answered`, `dismissed`
    /// or `all`.
    pub state: Option<String>,
    /// Only those with ids below this (the next page).
    pub before: Option<i64>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<u32>,
}

/// A page of the queue.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Drafts {
    /// Drafts waiting for an operator.
    pub waiting: i64,
    /// Newest first.
    pub items: Vec<Message>,
}

fn may_read(user: &User) -> Result<(), ApiError> {
    if matches!(
        user.role,
        Role::Operator | Role::ShiftLeader | Role::Supervisor
    ) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "只有中心话务员、值班长和审核督办员可以查看市民来信",
        ))
    }
}

fn may_handle(user: &User) -> Result<(), ApiError> {
    if matches!(user.role, Role::Operator | Role::ShiftLeader) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "只有中心话务员和值班长可以处理市民来信",
        ))
    }
}

/// A page of the queue (the pages and the API).
pub async fn page(state: &AppState, user: &User, q: DraftQuery) -> Result<Drafts, ApiError> {
    may_read(user)?;
    let wanted = q.state.unwrap_or_else(|| "new".into());
    if !matches!(
        wanted.as_str(),
        "new" | "survey" | "registered" | "answered" | "dismissed" | "all"
    ) {
        return Err(ApiError::bad_request(
            "状态只能是 new、survey、registered、answered、dismissed 或 all",
        ));
    }
    let limit = q.limit.unwrap_or(50);
    let before = q.before;
    let items = state
        .store
        .read(move |c| {
            let s = (wanted != "all").then_some(wanted.as_str());
            replica_store::inbound::list(c, s, before, limit)
        })
        .await?;
    let waiting = state.store.read(replica_store::inbound::waiting).await?;
    Ok(Drafts { waiting, items })
}

/// One message.
pub async fn one(state: &AppState, user: &User, id: i64) -> Result<Message, ApiError> {
    may_read(user)?;
    state
        .store
        .read(move |c| replica_store::inbound::get(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found("市民来信"))
}

/// A draft still waiting for an operator, for `user` to handle.
pub async fn waiting_draft(state: &AppState, user: &User, id: i64) -> Result<Message, ApiError> {
    may_handle(user)?;
    let m = one(state, user, id).await?;
    if m.state != "new" {
        return Err(already_handled());
    }
    Ok(m)
}

fn already_handled() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::CONFLICT,
        "already_handled",
        "这条来信已被处理（可能是其他话务员刚刚处理），请刷新列表",
    )
}

/// How a text reaches the sender of `m` (the channel they used).
fn medium_of(m: &Message) -> Result<Medium, ApiError> {
    match m.channel.as_str() {
        "sms" if is_mobile(&m.sender) => Ok(Medium::Sms),
        "sms" => Err(ApiError::bad_request("来信号码不是手机号码，无法短信答复")),
        "email" => Ok(Medium::Email),
        "wechat" => Ok(Medium::Wechat),
        other => Err(ApiError::bad_request(format!("未知的来信渠道：{other}"))),
    }
}

/// Settles a draft as handled, queuing `body` to its sender when given (one transaction).
async fn settle(
    state: &AppState,
    user: &User,
    m: &Message,
    how: Handling,
    body: Option<(String, String)>,
) -> Result<(), ApiError> {
    let now = state.now();
    let replies = match body {
        Some((ticket, text)) => vec![reply_notice(
            format!("draft:{}:{}", m.id, how_key(&how)),
            medium_of(m)?,
            &m.sender,
            &ticket,
            text,
            now,
        )],
        None => vec![],
    };
    if !state
        .store
        .handle_draft(m.id, how, user.login.clone(), now, replies)
        .await?
    {
        return Err(already_handled());
    }
    Ok(())
}

fn how_key(how: &Handling) -> &'static str {
    match how {
        Handling::Registered(_) => "registered",
        Handling::Answered(_) => "answered",
        Handling::Dismissed(_) => "dismissed",
    }
}

/// Answers a draft's sender with `text` by the channel they used.
pub async fn answer(state: &AppState, user: &User, id: i64, text: &str) -> Result<(), ApiError> {
    let m = waiting_draft(state, user, id).await?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(ApiError::bad_request("答复内容不能为空，且不超过 500 字"));
    }
    medium_of(&m)?;
    let hotline = state.refdata().notices.hotline.clone();
    let body = format!("【{hotline}】{text}");
    settle(
        state,
        user,
        &m,
        Handling::Answered(text.to_owned()),
        Some((String::new(), body)),
    )
    .await
}

/// Sets a draft aside (spam, a duplicate, a message with nothing to do).
pub async fn dismiss(state: &AppState, user: &User, id: i64, reason: &str) -> Result<(), ApiError> {
    let m = waiting_draft(state, user, id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ApiError::bad_request("请填写归档理由（不超过 200 字）"));
    }
    settle(
        state,
        user,
        &m,
        Handling::Dismissed(reason.to_owned()),
        None,
    )
    .await
}

/// Records that draft `m` became the order `number` (query code `code`), telling the sender by
/// the channel they used; a text's sender whose number is the order's gets the usual
/// registration text instead (it is queued with the order).
pub async fn registered(
    state: &AppState,
    user: &User,
    m: &Message,
    number: &str,
    code: &str,
    caller_phone: &str,
) -> Result<(), ApiError> {
    let refdata = state.refdata();
    let rules = &refdata.notices;
    let told_already = m.channel == "sms" && m.sender == caller_phone && rules.citizen_registered;
    let body = (!told_already).then(|| {
        fill(
            &rules.registered_text,
            &[
                ("hotline", &rules.hotline),
                ("number", number),
                ("code", code),
            ],
        )
    });
    settle(
        state,
        user,
        m,
        Handling::Registered(number.to_owned()),
        body.map(|b| (number.to_owned(), b)),
    )
    .await
}

/// `GET /api/drafts`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<DraftQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Drafts>, ApiError> {
    let Query(q) = query?;
    Ok(Json(page(&state, &user, q).await?))
}

/// `GET /api/drafts/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<i64>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(one(&state, &user, id).await?))
}

/// `POST /api/drafts/{id}/answer` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The answer (at most 500 characters).
    pub text: String,
}

/// `POST /api/drafts/{id}/dismiss` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// Why it is set aside.
    pub reason: String,
}

/// `POST /api/drafts/{id}/answer`.
pub async fn answer_route(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<i64>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Json<Message>, ApiError> {
    let Json(req) = body?;
    answer(&state, &user, id, &req.text).await?;
    Ok(Json(one(&state, &user, id).await?))
}

/// `POST /api/drafts/{id}/dismiss`.
pub async fn dismiss_route(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<i64>,
    body: Result<Json<DismissRequest>, JsonRejection>,
) -> Result<Json<Message>, ApiError> {
    let Json(req) = body?;
    dismiss(&state, &user, id, &req.reason).await?;
    Ok(Json(one(&state, &user, id).await?))
}
