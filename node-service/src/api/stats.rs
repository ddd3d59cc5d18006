//! `GET /api/stats/units?from=&to=&root=`: the assessment of member units (考核) for a period (widened
//! to whole hours), from the running totals this node keeps of its orders' facts (at the hub: all
//! orders); the same numbers as recomputing from the orders (`hotline_model::assessment::assess`). Centre staff may ask for
//! any subtree; a member unit's staff for their own unit's subtree only.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::actor::Actor;
use super::error::ApiError;
use crate::state::AppState;

/// Query parameters: the period `[from, to)` in Unix ms (default: the 30 days up to now) and the
/// subtree whose units are listed (default: the caller's reach).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub root: Option<String>,
}

const DAY_MS: i64 = 86_400_000;

/// `GET /api/stats/units`.
pub async fn units(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let now = state.now();
    // By default up to and including this millisecond.
    let to = q.to.unwrap_or(now + 1);
    let from = q.from.unwrap_or(to.saturating_sub(30 * DAY_MS));
    // Times between 1970 and 9999: anything else is not a period (and would overflow below).
    const LATEST: i64 = 253_402_300_799_999;
    if !(0..=LATEST).contains(&from) || !(0..=LATEST).contains(&to) {
        return Err(ApiError::bad_request(
            "统计时间须为 1970 至 9999 年之间的毫秒时间戳",
        ));
    }
    if from >= to {
        return Err(ApiError::bad_request("统计起始时间须早于截止时间"));
    }
    let refdata = state.refdata();
    let org = &refdata.org;
    let reach = if user.role.is_centre() {
        org.root().to_owned()
    } else {
        user.unit.clone()
    };
    let root = q.root.unwrap_or_else(|| reach.clone());
    if !org.contains(&root) {
        return Err(ApiError::unknown("root", &root));
    }
    if !org.is_within(&root, &reach) {
        return Err(ApiError::forbidden("只能查看本单位及下级单位的考核数据"));
    }
    // From the running totals, per hour: the period is widened to whole hours.
    let hour = replica_store::projection::HOUR_MS;
    let (from_hour, to_hour) = (from.div_euclid(hour), (to + hour - 1).div_euclid(hour));
    let units: Vec<String> = org.subtree(&root).map(|u| u.code.clone()).collect();
    let totals = state
        .store
        .unit_totals(units, from_hour, to_hour, now)
        .await?;
    let figures = totals.figures();
    let (from, to) = (from_hour * hour, to_hour * hour);
    let units: Vec<Value> = figures
        .into_iter()
        .map(|f| {
            let mut v = serde_json::to_value(&f).unwrap_or_default();
            v["name"] = json!(org.get(&f.unit).map(|u| u.name.clone()));
            v
        })
        .collect();
    Ok(Json(
        json!({ "from": from, "to": to, "root": root, "units": units }),
    ))
}
