//! The outbox page: the texts and e-mails this node sent, is sending and gave up, with every
//! attempt's answer; an administrator sends a given-up one again. The same operations as
//! `GET /api/outbox` and `POST /api/outbox/{id}/retry`.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::role::Role;
use serde::Deserialize;
use web::{OutboxPage, OutboxRow};

use super::format::{local_time, url_encode};
use super::{Staff, layout, render};
use crate::state::AppState;
use hotline_operations::outbox::{OutboxQuery, page as outbox_page, retry_one};

/// Page parameters.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    state: String,
    before: Option<i64>,
    done: Option<String>,
}

const PAGE: u32 = 50;

/// `GET /staff/outbox`.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(p): Query<Params>,
) -> Response {
    let mut l = layout(&state, &user, "消息发送", "/staff/outbox");
    l.flash = p.done.map(|text| web::Flash {
        kind: if text.contains('未') { "error" } else { "ok" },
        text,
    });
    let q = OutboxQuery {
        state: (!p.state.is_empty()).then(|| p.state.clone()),
        before: p.before,
        limit: Some(PAGE),
    };
    let v = match outbox_page(&state, &user, q).await {
        Ok(v) => v,
        Err(e) => return super::error_page(l, &e),
    };
    let rows: Vec<OutboxRow> = v
        .items
        .into_iter()
        .map(|i| {
            let o = i.notification;
            let last_try = i.attempts.last().map(|a| a.at);
            OutboxRow {
                id: o.id,
                medium: o.medium.label().into(),
                recipient: o.recipient,
                ticket: o.ticket,
                text: if o.subject.is_empty() {
                    o.body
                } else {
                    o.subject
                },
                state: match o.state.as_str() {
                    "sent" => "已送达",
                    "dead" => "已停止重试",
                    _ => "待发送",
                }
                .into(),
                created: local_time(o.created_at),
                attempts: o.attempts,
                when: match o.state.as_str() {
                    "sent" => o.sent_at.map(local_time).unwrap_or_default(),
                    "dead" => last_try
                        .map(|t| format!("最后尝试 {}", local_time(t)))
                        .unwrap_or_default(),
                    _ => format!("下次发送 {}", local_time(o.next_at)),
                },
                error: o.last_error.unwrap_or_default(),
                state_code: o.state,
            }
        })
        .collect();
    let next = (rows.len() as u32 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    render(&OutboxPage {
        l,
        counts: (v.counts.pending, v.counts.sent, v.counts.dead),
        shown: p.state,
        rows,
        may_retry: user.role == Role::Admin,
        next,
    })
}

/// `POST /staff/outbox/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Response {
    let text = match retry_one(&state, &user, id).await {
        Ok(()) => "已重新排队发送".to_owned(),
        Err(e) => format!("重新发送未完成：{}", e.message),
    };
    Redirect::to(&format!(
        "/staff/outbox?state=dead&done={}",
        url_encode(&text)
    ))
    .into_response()
}
