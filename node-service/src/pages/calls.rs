//! The call list (通话记录): the calls the telephony reported, newest first, per operator or
//! caller and period, each with the orders registered during it. The same operation as
//! `GET /api/calls`.

use axum::extract::{Query, State};
use axum::response::Response;
use hotline_model::call::{hangup_label, talk_time};
use hotline_model::period::{beijing_date, parse_date, ymd};
use hotline_model::role::Role;
use web::{CallRow, CallsPage, Choice, LiveRow};

use super::format::{local_time, url_encode};
use super::{Staff, layout, render};
use crate::state::AppState;
use hotline_operations::calls::{CallQuery, calls_for};

/// The page's parameters: days rather than times.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallParams {
    operator: Option<String>,
    caller: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

/// `GET /staff/calls`.
pub async fn calls(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<CallParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let l = layout(&state, &user, "通话记录", "/staff/calls");
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let today = beijing_date(state.now());
    let day = |s: &Option<String>, default: time::Date| {
        s.as_deref()
            .filter(|s| !s.is_empty())
            .and_then(parse_date)
            .unwrap_or(default)
    };
    let (first, last) = (
        day(&p.from, today - time::Duration::days(6)),
        day(&p.to, today),
    );
    let range = |d: time::Date| {
        hotline_model::period::Period::new(hotline_model::period::PeriodKind::Day, d, None)
            .map(|p| p.range_ms())
            .unwrap_or_default()
    };
    let operator = p.operator.clone().filter(|o| !o.is_empty());
    let caller = p.caller.clone().filter(|c| !c.is_empty());
    let q = CallQuery {
        operator: operator.clone(),
        caller: caller.clone(),
        from: Some(range(first).0),
        to: Some(range(last).1),
        before: p.before.clone(),
        limit: Some(50),
    };
    let page = match calls_for(&state, &user, q).await {
        Ok(v) => v,
        Err(e) => return super::error_page(l, &e),
    };
    let refdata = state.refdata();
    let operators = if user.role == Role::Operator {
        Vec::new()
    } else {
        let mut list = vec![Choice {
            value: String::new(),
            label: "全部".into(),
            hint: String::new(),
            selected: operator.is_none(),
        }];
        list.extend(
            refdata
                .users
                .values()
                .filter(|u| u.role == Role::Operator)
                .map(|u| Choice {
                    value: u.login.clone(),
                    label: format!("{}（{}）", u.name, u.login),
                    hint: String::new(),
                    selected: operator.as_deref() == Some(u.login.as_str()),
                }),
        );
        list
    };
    let rows = page.items.into_iter().map(call_row).collect();
    let live = crate::telephony::live::live_for(&state, &user).ok();
    let monitoring = live.as_ref().is_some_and(|l| l.monitoring);
    let live = live
        .map(|l| l.calls)
        .unwrap_or_default()
        .into_iter()
        .map(|c| LiveRow {
            since: local_time(c.answered_at),
            operator: refdata
                .user(&c.operator)
                .map_or_else(|| c.operator.clone(), |u| u.name.clone()),
            queue: c.queue.unwrap_or_default(),
            caller: c.caller,
            call_id: c.call_id,
        })
        .collect();
    let next = page.next.map(|n| {
        format!(
            "/staff/calls?operator={}&caller={}&from={}&to={}&before={}",
            url_encode(operator.as_deref().unwrap_or("")),
            url_encode(caller.as_deref().unwrap_or("")),
            ymd(first),
            ymd(last),
            url_encode(&n)
        )
    });
    render(&CallsPage {
        l,
        operators,
        caller: caller.unwrap_or_default(),
        from: ymd(first),
        to: ymd(last),
        rows,
        next,
        live,
        monitoring,
        scoring: hotline_operations::calls::supervises(&user),
    })
}

/// A call as the pages list it.
pub fn call_row(i: hotline_operations::calls::CallItem) -> CallRow {
    CallRow {
        started: local_time(i.call.started_at),
        direction: i.call.direction.label(),
        answered: i.call.answered(),
        talk: talk_time(u64::from(i.call.talk_secs)),
        cause: hangup_label(&i.call.hangup_cause).to_owned(),
        operator: i
            .operator_name
            .or(i.call.operator.clone())
            .unwrap_or_else(|| "—".into()),
        queue: i.call.queue.clone().unwrap_or_default(),
        caller: i.call.caller,
        orders: i.orders,
        recorded: i.recording_sha256.is_some(),
        score: i.score.map(|p| format!("{p:.1}%")),
        call_id: i.call.call_id,
    }
}

/// `GET /staff/calls/{call_id}/recording`: a call's recording, for who may see the call.
pub async fn recording(
    State(state): State<AppState>,
    Staff(user): Staff,
    axum::extract::Path(call_id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    match hotline_operations::calls::open_recording(&state, &user, &call_id).await {
        Ok(opened) => crate::files::serve(opened, &headers).await,
        Err(e) => super::error_page(layout(&state, &user, "通话录音", "/staff/calls"), &e),
    }
}

/// `POST /staff/calls/{call_id}/monitor`: listen in (`barge=false`) or barge in.
pub async fn monitor(
    State(state): State<AppState>,
    Staff(user): Staff,
    axum::extract::Path(call_id): axum::extract::Path<String>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Response {
    use axum::response::IntoResponse;
    let barge = form.get("barge").is_some_and(|b| b == "true");
    match crate::telephony::live::monitor_call(&state, &user, &call_id, barge).await {
        Ok(m) => axum::response::Redirect::to(&format!(
            "/staff/calls?done={}",
            url_encode(&format!(
                "已请话务系统呼叫您的分机 {}，接起即{}",
                m.extension,
                if barge {
                    "加入通话"
                } else {
                    "开始监听"
                }
            ))
        ))
        .into_response(),
        Err(e) => super::error_page(layout(&state, &user, "通话记录", "/staff/calls"), &e),
    }
}

/// `GET /staff/calls/pop`: the signed-in operator's screen pops as server-sent events (`call`,
/// JSON: call id, caller, where to take it). The browser keeps it open on every page.
pub async fn pop(State(state): State<AppState>, Staff(user): Staff) -> Response {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, KeepAlive, Sse};
    if user.role != Role::Operator {
        return (axum::http::StatusCode::NO_CONTENT, "").into_response();
    }
    let rx = state.cti.subscribe();
    let login = user.login.clone();
    let events = futures::stream::unfold(rx, move |mut rx| {
        let login = login.clone();
        async move {
            loop {
                match rx.recv().await {
                    Ok(call) if call.operator == login => {
                        let data = serde_json::json!({
                            "call_id": call.call_id,
                            "caller": call.caller,
                            "queue": call.queue,
                            "url": format!("/staff/intake?call={}", url_encode(&call.call_id)),
                        });
                        let event = Event::default().event("call").data(data.to_string());
                        return Some((Ok::<_, std::convert::Infallible>(event), rx));
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
