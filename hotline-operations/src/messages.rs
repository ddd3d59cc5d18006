//! Each user's messages (站内消息): what their unit's inbox holds — new assignments, urges,
//! supervisions, extension decisions, redos, reopens; for the centre, the supervisions it issued —
//! with what they read: a page (newest first, with the unread count), and marking them read.
//! Filled at every node from the orders' histories, so a town that was offline has its messages
//! once it hears of the events.

use crate::Hotline;
use crate::OpError;
use hotline_model::role::User;
use replica_store::inbox::Entry;
use serde::{Deserialize, Serialize};

/// Query parameters.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    /// The `next` cursor of the previous page (`<at>:<event id>`).
    pub before: Option<String>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<u32>,
}

/// A page of messages.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Messages {
    /// Unread in the last 30 days.
    pub unread: i64,
    /// Newest first.
    pub items: Vec<Entry>,
    /// The cursor of the next page, if there may be one.
    pub next: Option<String>,
}

/// `POST /api/messages/read` body.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The events read.
    #[serde(default)]
    pub events: Vec<String>,
    /// Everything up to now read.
    #[serde(default)]
    pub all: bool,
}

fn cursor(text: &str) -> Result<(i64, String), OpError> {
    text.split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
        .filter(|(_, id)| !id.is_empty())
        .ok_or_else(|| OpError::bad_request("翻页参数 before 格式不正确"))
}

/// The unread count of `user` (the pages' badge, and the API).
pub async fn unread(state: &Hotline, user: &User) -> Result<i64, OpError> {
    let (unit, login, now) = (user.unit.clone(), user.login.clone(), state.now());
    Ok(state
        .store
        .read(move |c| replica_store::inbox::unread(c, &unit, &login, now))
        .await?)
}

/// A page of `user`'s messages (the pages and the API).
pub async fn page(state: &Hotline, user: &User, q: MessageQuery) -> Result<Messages, OpError> {
    let before = q.before.as_deref().map(cursor).transpose()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let (unit, login) = (user.unit.clone(), user.login.clone());
    let items = state
        .store
        .read(move |c| replica_store::inbox::page(c, &unit, &login, before, limit))
        .await?;
    let next = (items.len() as u32 == limit)
        .then(|| items.last().map(|e| format!("{}:{}", e.at, e.event_id)))
        .flatten();
    // A supervision the centre issued names its target unit by code in the order's history:
    // shown by its name.
    let org = &state.refdata().org;
    let items = items
        .into_iter()
        .map(|mut e| {
            if let Some((what, code)) = e.what.split_once('：')
                && let Some(u) = org.get(code)
            {
                e.what = format!("{what}：{}", u.name);
            }
            e
        })
        .collect();
    Ok(Messages {
        unread: unread(state, user).await?,
        items,
        next,
    })
}

/// Marks `user`'s messages read.
pub async fn mark(state: &Hotline, user: &User, req: ReadRequest) -> Result<(), OpError> {
    if req.events.len() > 500 || req.events.iter().any(|e| e.len() > 100) {
        return Err(OpError::bad_request("一次最多标记 500 条消息"));
    }
    let (unit, login, now) = (user.unit.clone(), user.login.clone(), state.now());
    state
        .store
        .write(move |ctx| {
            if req.all {
                replica_store::inbox::mark_all(ctx.conn, &unit, &login, now)
            } else {
                replica_store::inbox::mark_read(ctx.conn, &unit, &login, &req.events)
            }
        })
        .await?;
    Ok(())
}
