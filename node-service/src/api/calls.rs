//! The calls the telephony reported (通话记录): `GET /api/calls?operator=&caller=&from=&to=&before=`,
//! newest first and paged by key, each with the orders registered during it. Shift leaders,
//! supervisors, leaders and inspectors see every call; an operator sees their own.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use crate::telephony::live::{LiveCalls, live_for, monitor_call};
use axum::Json;
use axum::extract::{Query, State};
pub use hotline_operations::calls::*;

/// `GET /api/calls`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<CallQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CallPage>, ApiError> {
    let Query(q) = query?;
    Ok(Json(calls_for(&state, &user, q).await?))
}

/// `GET /api/calls/live`.
pub async fn live(
    State(state): State<AppState>,
    Actor(user): Actor,
) -> Result<Json<LiveCalls>, ApiError> {
    Ok(Json(live_for(&state, &user)?))
}

/// `POST /api/calls/{call_id}/monitor`.
pub async fn monitor(
    State(state): State<AppState>,
    Actor(user): Actor,
    axum::extract::Path(call_id): axum::extract::Path<String>,
    body: Result<Json<MonitorRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<MonitorStarted>, ApiError> {
    let Json(req) = body?;
    Ok(Json(
        monitor_call(&state, &user, &call_id, req.barge).await?,
    ))
}

/// `GET /api/calls/{call_id}/recording`.
pub async fn recording(
    State(state): State<AppState>,
    Actor(user): Actor,
    axum::extract::Path(call_id): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match open_recording(&state, &user, &call_id).await {
        Ok(opened) => crate::files::serve(opened, &headers).await,
        Err(e) => ApiError::from(e).into_response(),
    }
}
