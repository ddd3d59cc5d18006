//! `GET /api/public/figures?month=YYYY-MM`: the month's public figures (月度数据公开) — orders
//! received and closed, the share of replies on time, the share of satisfied callbacks. No login:
//! counts only, nothing about any citizen. Default: the current local month.

use axum::Json;
use axum::extract::{Query, State};
use hotline_model::assessment::PublicFigures;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Query parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
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
    // From the running totals (kept per Beijing day and month: a local month is one bucket).
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
