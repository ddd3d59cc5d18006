//! The node's outbox for those who look after it: `GET /api/outbox?state=&before=&limit=` lists
//! notifications newest first with every delivery attempt (citizens' numbers masked), for
//! administrators and the centre's supervisors; `POST /api/outbox/{id}/retry` puts a given-up
//! notification back in the queue, for administrators.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
pub use hotline_operations::outbox::*;
use serde_json::{Value, json};

/// `GET /api/outbox`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Listing>, ApiError> {
    let Query(q) = query?;
    Ok(Json(page(&state, &user, q).await?))
}

/// `POST /api/outbox/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("消息编号应为数字"))?;
    retry_one(&state, &user, id).await?;
    Ok(Json(json!({ "queued": id })))
}
