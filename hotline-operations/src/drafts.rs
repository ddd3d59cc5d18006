//! The operators' queue of citizens' messages (intake drafts: texts, e-mails, WeChat messages that
//! were not survey answers): a page of it, one message, answering the citizen by the channel they
//! used, setting one aside, and settling it when an order registers it. For the centre's
//! operators and shift leaders (supervisors may read).

use hotline_model::notify::{Medium, fill, is_mobile};
use hotline_model::role::{Role, User};
use replica_store::inbound::{Handling, Message};
use serde::{Deserialize, Serialize};

use crate::Hotline;
use crate::Kind;
use crate::OpError;
use crate::inbound::reply_notice;

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

fn may_read(user: &User) -> Result<(), OpError> {
    if matches!(
        user.role,
        Role::Operator | Role::ShiftLeader | Role::Supervisor
    ) {
        Ok(())
    } else {
        Err(OpError::forbidden(
            "只有中心话务员、值班长和审核督办员可以查看市民来信",
        ))
    }
}

fn may_handle(user: &User) -> Result<(), OpError> {
    if matches!(user.role, Role::Operator | Role::ShiftLeader) {
        Ok(())
    } else {
        Err(OpError::forbidden("只有中心话务员和值班长可以处理市民来信"))
    }
}

/// A page of the queue (the pages and the API).
pub async fn page(state: &Hotline, user: &User, q: DraftQuery) -> Result<Drafts, OpError> {
    may_read(user)?;
    let wanted = q.state.unwrap_or_else(|| "new".into());
    if !matches!(
        wanted.as_str(),
        "new" | "survey" | "registered" | "answered" | "dismissed" | "all"
    ) {
        return Err(OpError::bad_request(
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
pub async fn one(state: &Hotline, user: &User, id: i64) -> Result<Message, OpError> {
    may_read(user)?;
    state
        .store
        .read(move |c| replica_store::inbound::get(c, id))
        .await?
        .ok_or_else(|| OpError::not_found("市民来信"))
}

/// A draft still waiting for an operator, for `user` to handle.
pub async fn waiting_draft(state: &Hotline, user: &User, id: i64) -> Result<Message, OpError> {
    may_handle(user)?;
    let m = one(state, user, id).await?;
    if m.state != "new" {
        return Err(already_handled());
    }
    Ok(m)
}

fn already_handled() -> OpError {
    OpError::new(
        Kind::Conflict,
        "already_handled",
        "这条来信已被处理（可能是其他话务员刚刚处理），请刷新列表",
    )
}

/// How a text reaches the sender of `m` (the channel they used).
fn medium_of(m: &Message) -> Result<Medium, OpError> {
    match m.channel.as_str() {
        "sms" if is_mobile(&m.sender) => Ok(Medium::Sms),
        "sms" => Err(OpError::bad_request("来信号码不是手机号码，无法短信答复")),
        "email" => Ok(Medium::Email),
        "wechat" => Ok(Medium::Wechat),
        other => Err(OpError::bad_request(format!("未知的来信渠道：{other}"))),
    }
}

/// Settles a draft as handled, queuing `body` to its sender when given (one transaction).
async fn settle(
    state: &Hotline,
    user: &User,
    m: &Message,
    how: Handling,
    body: Option<(String, String)>,
) -> Result<(), OpError> {
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
pub async fn answer(state: &Hotline, user: &User, id: i64, text: &str) -> Result<(), OpError> {
    let m = waiting_draft(state, user, id).await?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(OpError::bad_request("答复内容不能为空，且不超过 500 字"));
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
pub async fn dismiss(state: &Hotline, user: &User, id: i64, reason: &str) -> Result<(), OpError> {
    let m = waiting_draft(state, user, id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(OpError::bad_request("请填写归档理由（不超过 200 字）"));
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
    state: &Hotline,
    user: &User,
    m: &Message,
    number: &str,
    code: &str,
    caller_phone: &str,
) -> Result<(), OpError> {
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
