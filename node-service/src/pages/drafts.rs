//! The operators' queue of citizens' messages (市民来信): register one as an order (the intake
//! form, pre-filled), answer it by the channel it came by, or set it aside. The same operations
//! as `/api/drafts`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::role::Role;
use serde::Deserialize;
use web::{DraftRow, DraftsPage};

use super::format::{local_time, url_encode};
use super::{Staff, layout, render};
use crate::state::AppState;
use hotline_operations::drafts::{DraftQuery, page as drafts_page};

/// Page parameters.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    state: String,
    before: Option<i64>,
    done: Option<String>,
}

const PAGE: u32 = 30;

/// A channel's name.
pub fn channel_label(code: &str) -> &'static str {
    match code {
        "sms" => "短信",
        "email" => "邮件",
        "wechat" => "微信",
        _ => "其他",
    }
}

/// `GET /staff/drafts`.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(p): Query<Params>,
) -> Response {
    let mut l = layout(&state, &user, "市民来信", "/staff/drafts");
    l.flash = p.done.map(|text| web::Flash {
        kind: if text.contains('未') { "error" } else { "ok" },
        text,
    });
    let shown = if p.state.is_empty() {
        "new".to_owned()
    } else {
        p.state.clone()
    };
    let q = DraftQuery {
        state: Some(shown.clone()),
        before: p.before,
        limit: Some(PAGE),
    };
    let v = match drafts_page(&state, &user, q).await {
        Ok(v) => v,
        Err(e) => return super::error_page(l, &e),
    };
    let rows: Vec<DraftRow> = v
        .items
        .into_iter()
        .map(|m| DraftRow {
            id: m.id,
            channel: channel_label(&m.channel).into(),
            sender: m.sender,
            subject: m.subject,
            content: m.content,
            received: local_time(m.received_at),
            state: match m.state.as_str() {
                "new" => "待处理",
                "survey" => "回访回复（已自动处理）",
                "registered" => "已登记为工单",
                "answered" => "已答复",
                _ => "已归档",
            }
            .into(),
            ticket: m.ticket.unwrap_or_default(),
            handled: match (m.handled_by, m.handled_at) {
                (Some(by), Some(at)) => format!(
                    "{by} 于 {} 处理{}",
                    local_time(at),
                    m.answer.map(|a| format!("：{a}")).unwrap_or_default()
                ),
                _ => String::new(),
            },
            state_code: m.state,
        })
        .collect();
    let next = (rows.len() as u32 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    render(&DraftsPage {
        l,
        waiting: v.waiting,
        shown,
        rows,
        may_handle: matches!(user.role, Role::Operator | Role::ShiftLeader),
        next,
    })
}

/// The answer form.
#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    text: String,
}

/// The set-aside form.
#[derive(Debug, Default, Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    reason: String,
}

fn back(done: Result<(), hotline_operations::OpError>, ok: &str) -> Response {
    let text = match done {
        Ok(()) => ok.to_owned(),
        Err(e) => format!("未完成：{}", e.message),
    };
    Redirect::to(&format!("/staff/drafts?done={}", url_encode(&text))).into_response()
}

/// `POST /staff/drafts/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(f): Form<AnswerForm>,
) -> Response {
    back(
        hotline_operations::drafts::answer(&state, &user, id, &f.text).await,
        "答复已排队发送",
    )
}

/// `POST /staff/drafts/{id}/dismiss`.
pub async fn dismiss(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(f): Form<DismissForm>,
) -> Response {
    back(
        hotline_operations::drafts::dismiss(&state, &user, id, &f.reason).await,
        "已归档",
    )
}
