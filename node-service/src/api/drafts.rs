//! The operators' queue of citizens' messages (intake drafts: texts, e-mails, WeChat messages that
//! were not survey answers): `GET /api/drafts?state=&before=&limit=`; `GET /api/drafts/{id}`;
//! `POST /api/drafts/{id}/answer {"text"}` answers the citizen by the channel they used;
//! `POST /api/drafts/{id}/dismiss {"reason"}` sets one aside; a draft becomes an order through
//! `POST /api/tickets` with `"draft": id`, and the citizen is sent the number and query code by
//! the channel they used. For the centre's operators and shift leaders (supervisors may read).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use replica_store::inbound::Message;
use serde::Deserialize;

use hotline_operations::drafts::{DraftQuery, Drafts, answer, dismiss, one, page};

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// `GET /api/drafts`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<DraftQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Drafts>, ApiError> {
    let Query(q) = query?;
    Ok(Json(page(&state, &user, q).await?))
}

/// `GET /api/drafts/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<i64>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(one(&state, &user, id).await?))
}

/// `POST /api/drafts/{id}/answer` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The answer (at most 500 characters).
    pub text: String,
}

/// `POST /api/drafts/{id}/dismiss` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// Why it is set aside.
    pub reason: String,
}

/// `POST /api/drafts/{id}/answer`.
pub async fn answer_route(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<i64>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Json<Message>, ApiError> {
    let Json(req) = body?;
    answer(&state, &user, id, &req.text).await?;
    Ok(Json(one(&state, &user, id).await?))
}

/// `POST /api/drafts/{id}/dismiss`.
pub async fn dismiss_route(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<i64>,
    body: Result<Json<DismissRequest>, JsonRejection>,
) -> Result<Json<Message>, ApiError> {
    let Json(req) = body?;
    dismiss(&state, &user, id, &req.reason).await?;
    Ok(Json(one(&state, &user, id).await?))
}
