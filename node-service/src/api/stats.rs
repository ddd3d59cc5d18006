//! The assessment of member units (考核) for a period, from the running totals this node keeps of
//! its orders' facts (at the hub: all orders); the same numbers as recomputing from the orders
//! (`hotline_model::assessment::assess`), with the composite score by the centre's weights and the
//! rank. Centre staff may ask for any subtree; a member unit's staff for their own subtree only.
//!
//! `GET /api/stats/units?from=&to=&root=` (Unix ms; default the 30 days up to now) or
//! `?period=month&date=2026-11-01` (a day, week, month, quarter or year in Beijing time, or
//! `period=custom&date=…&end=…`); `GET /api/stats/orders?unit=&from=&to=&before=` lists the orders
//! behind a unit's figures (those it was given in the period). The statistics pages and the Excel
//! export call the same functions.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
pub use hotline_operations::stats::*;

/// `GET /api/stats/units`.
pub async fn units(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UnitReport>, ApiError> {
    let Query(q) = query?;
    Ok(Json(unit_report(&state, &user, &q).await?))
}

/// `GET /api/stats/orders`.
pub async fn orders(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<OrdersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UnitOrders>, ApiError> {
    let Query(q) = query?;
    Ok(Json(unit_orders(&state, &user, q).await?))
}
