//! `GET /api/public/figures?month=YYYY-MM`: the month's public figures (月度数据公开) — orders
//! received and closed, the share of replies on time, the share of satisfied callbacks. No login:
//! counts only, nothing about any citizen. Default: the current local month.

use axum::Json;
use axum::extract::{Query, State};
use hotline_model::assessment::PublicFigures;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use crate::state::AppState;

/// Query parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// `YYYY-MM`.
    pub month: Option<String>,
}

fn parse_month(text: &str) -> Option<(i32, u8)> {
    let (y, m) = text.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    Some((y.parse().ok()?, m.parse().ok()?))
}

/// `GET /api/public/figures`.
pub async fn figures(
    State(state): State<AppState>,
    query: Result<Query<FiguresQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let refdata = state.refdata();
    let calendar = &refdata.calendar;
    let bad = || ApiError::bad_request("月份格式应为 YYYY-MM，例如 2026-11");
    let (year, month) = match q.month.as_deref() {
        Some(text) => parse_month(text).ok_or_else(bad)?,
        None => calendar.month_of(state.now()).ok_or_else(bad)?,
    };
    let (from, to) = calendar.month_bounds(year, month).ok_or_else(bad)?;
    // From the running totals (per hour: a local month is whole hours at a whole-hour offset).
    let hour = replica_store::projection::HOUR_MS;
    let sum = state
        .store
        .fact_sum(String::new(), from.div_euclid(hour), to.div_euclid(hour))
        .await?;
    let f = PublicFigures::from_counts(&sum);
    Ok(Json(json!({
        "month": format!("{year:04}-{month:02}"),
        "received": f.received,
        "closed": f.closed,
        "replied": f.replied,
        "on_time_rate": f.on_time_rate,
        "rated": f.rated,
        "satisfaction_rate": f.satisfaction_rate,
        "note": "受理量为当月登记的工单（含合并的重复件）；按时办结率为当月主办单位答复中按时的比例；满意率为当月回访评价中满意与基本满意的比例",
    })))
}

/// Query of the published results.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedQuery {
    /// At most this many (default 20, at most 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// `GET /api/public/published`: the results the centre chose to publish (公示), the latest closed
/// first, a page at a time (`next` continues): what was asked (type and one-line title), who
/// handled it, when it closed and the public reply. Never a name, phone number, address or
/// complaint text; confidential orders are never listed.
pub async fn published(
    State(state): State<AppState>,
    query: Result<Query<PublishedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let page = state.store.published(q.after, limit).await?;
    let refdata = state.refdata();
    let unit_name = |code: &str| {
        refdata
            .org
            .get(code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone())
    };
    let next = (page.len() == limit as usize)
        .then(|| page.last())
        .flatten()
        .map(|v| format!("{}:{}", v.state.closed_at.unwrap_or(0), v.number));
    let items: Vec<Value> = page
        .iter()
        .map(|v| {
            let s = &v.state;
            json!({
                "number": v.number,
                "request_type": s.request_type.label(),
                "title": s.title,
                "handling_unit": s.lead.as_ref().map(|l| unit_name(&l.unit)),
                "closed_at": s.closed_at,
                "reply": s.final_reply.as_ref().map(|r| r.public_reply.clone())
                    .or_else(|| s.direct_answer.clone()),
            })
        })
        .collect();
    Ok(Json(json!({ "results": items, "next": next })))
}
