//! What citizens asked about, from the running totals of the orders' topic facts
//! (`hotline_model::topics`): the hot topics (热点: what rose most against the previous period,
//! 环比, and the same period a year before, 同比), the hard problems (难点: returns, extensions,
//! redos, unsatisfied callbacks), repeated requests about one place and subject, a topic's trend
//! month by month, and the volume received by channel and request type over a period.
//!
//! `GET /api/stats/topics?period=month&date=…&dimension=subject|area|channel&level=&order=rise|troubles|received`,
//! `GET /api/stats/trend?dimension=subject&key=…&date=…&months=12`,
//! `GET /api/stats/volume?period=…&date=…`. The pages and the workbook call the same functions.
//!
//! These figures are the node's: all the orders it holds (at the hub, the city; at a district's
//! node, the district). So they are shown to centre staff, and to a unit's staff at a node whose
//! jurisdiction lies within their unit.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
pub use hotline_operations::topics::*;

/// `GET /api/stats/topics`.
pub async fn topics(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<TopicQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TopicReport>, ApiError> {
    let Query(q) = query?;
    Ok(Json(topic_report(&state, &user, &q).await?))
}

/// `GET /api/stats/topic_orders`.
pub async fn orders(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<TopicOrdersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TopicOrders>, ApiError> {
    let Query(q) = query?;
    Ok(Json(topic_orders(&state, &user, q).await?))
}

/// `GET /api/stats/trend`.
pub async fn trend(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<TrendQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TrendReport>, ApiError> {
    let Query(q) = query?;
    Ok(Json(trend_report(&state, &user, &q).await?))
}

/// `GET /api/stats/volume`.
pub async fn volume(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<VolumeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<VolumeReport>, ApiError> {
    let Query(q) = query?;
    Ok(Json(volume_report(&state, &user, &q).await?))
}
