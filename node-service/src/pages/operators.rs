//! One operator's day for the supervisors (监督管理): sign-in and sign-out, a bar of their states
//! over the day, their figures, and the day's calls with their recordings and scores. The same
//! operation as `GET /api/operators/{login}/day`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use hotline_model::agent::AgentState;
use hotline_model::call::talk_time;
use web::{Fact, OperatorDayPage};

use super::calls::call_row;
use super::format::local_time;
use super::{Staff, error_page, layout, render};
use crate::state::AppState;
use hotline_operations::calls::{CallQuery, calls_for};
use hotline_operations::operators::day_for;

/// `?date=`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DayParams {
    date: Option<String>,
}

fn clock(ms: i64) -> String {
    local_time(ms)
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `GET /staff/operators/{login}?date=`.
pub async fn day(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(login): Path<String>,
    query: Result<Query<DayParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "话务员工作情况", "/staff/stats/operators");
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let d = match day_for(&state, &user, &login, p.date.as_deref()).await {
        Ok(d) => d,
        Err(e) => return error_page(l, &e),
    };
    let calls = match calls_for(
        &state,
        &user,
        CallQuery {
            operator: Some(login.clone()),
            from: Some(d.from),
            to: Some(d.to),
            limit: Some(500),
            ..CallQuery::default()
        },
    )
    .await
    {
        Ok(c) => c.items.into_iter().map(call_row).collect(),
        Err(e) => return error_page(l, &e),
    };
    let secs = |s: AgentState| talk_time(d.states.in_state(s));
    let answered = d.calls_in + d.calls_out;
    let facts = vec![
        (
            "首次签入",
            d.states.first_sign_in.map_or_else(|| "—".into(), clock),
        ),
        (
            "最后签出",
            d.states.last_sign_out.map_or_else(
                || {
                    if d.states.first_sign_in.is_some() {
                        "仍在线".into()
                    } else {
                        "—".into()
                    }
                },
                clock,
            ),
        ),
        ("在线时长", talk_time(d.states.signed_in_secs)),
        ("示闲", secs(AgentState::Ready)),
        ("通话中", secs(AgentState::Busy)),
        ("话后处理", secs(AgentState::AfterCall)),
        ("小休", secs(AgentState::Break)),
        ("接听来电", d.calls_in.to_string()),
        ("呼出", d.calls_out.to_string()),
        ("通话时长", talk_time(d.talk_secs)),
        (
            "平均通话",
            if answered == 0 {
                "—".into()
            } else {
                talk_time(d.talk_secs / u64::from(answered))
            },
        ),
        ("登记工单", d.orders_registered.to_string()),
        ("直接办结", d.answered_directly.to_string()),
        (
            "质检",
            match d.score_average {
                Some(a) => format!("{} 通，平均 {a:.1}%", d.scored),
                None => "未抽检".into(),
            },
        ),
    ]
    .into_iter()
    .map(|(label, value)| Fact {
        label: label.into(),
        value,
    })
    .collect();
    let spans = d
        .states
        .spans
        .iter()
        .filter(|(_, _, s)| *s != AgentState::SignedOut)
        .map(|&(a, b, s)| {
            let minute = |t: i64| (t - d.from) / 60_000;
            (
                minute(a).to_string(),
                (minute(b) - minute(a)).max(1).to_string(),
                s.as_str().to_owned(),
                format!("{}–{} {}", clock(a), clock(b), s.label()),
            )
        })
        .collect();
    l.title = format!("{} · {}", d.name, d.date);
    render(&OperatorDayPage {
        l,
        login: d.login,
        date: d.date,
        facts,
        spans,
        legend: AgentState::ALL
            .iter()
            .filter(|s| s.signed_in())
            .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
            .collect(),
        calls,
    })
}
