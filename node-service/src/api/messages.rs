//! Each user's messages (站内消息): what their unit's inbox holds — new assignments, urges,
//! supervisions, extension decisions, redos, reopens; for the centre, the supervisions it issued —
//! with what they read. `GET /api/messages?before=&limit=` (newest first, with the unread count),
//! `POST /api/messages/read {"events": [...]}` or `{"all": true}`. Filled at every node from the
//! orders' histories, so a town that was offline has its messages once it hears of the events.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
pub use hotline_operations::messages::*;

/// `GET /api/messages`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<MessageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Messages>, ApiError> {
    let Query(q) = query?;
    Ok(Json(page(&state, &user, q).await?))
}

/// `POST /api/messages/read`.
pub async fn read(
    State(state): State<AppState>,
    Actor(user): Actor,
    body: Result<Json<ReadRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(req) = body?;
    mark(&state, &user, req).await?;
    Ok(Json(
        serde_json::json!({"unread": unread(&state, &user).await?}),
    ))
}
