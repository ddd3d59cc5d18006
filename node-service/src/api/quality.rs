//! Quality scoring of calls (话务质检): the centre's form, the day's random sample for the
//! supervisors, a supervisor's score of a call, and the scores an operator sees of their own
//! calls. `GET /api/quality/form`, `GET /api/quality/sample?date=`, `PUT /api/calls/{call_id}/score`,
//! `GET /api/quality/scores?operator=&from=&to=`. The pages call the same functions.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use hotline_model::quality::{CallScore, QualityForm};
pub use hotline_operations::quality::*;

/// `GET /api/quality/form`.
pub async fn form(State(state): State<AppState>, Actor(_user): Actor) -> Json<QualityForm> {
    Json(state.refdata().quality.clone())
}

/// `GET /api/quality/sample?date=`.
pub async fn sample(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<SampleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Sample>, ApiError> {
    let Query(q) = query?;
    Ok(Json(sample_for(&state, &user, q.date).await?))
}

/// `PUT /api/calls/{call_id}/score`.
pub async fn score(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(call_id): Path<String>,
    body: Result<Json<ScoreRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<CallScore>, ApiError> {
    let Json(req) = body?;
    Ok(Json(score_call(&state, &user, &call_id, req).await?))
}

/// `GET /api/quality/scores`.
pub async fn scores(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<ScoresQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<CallScore>>, ApiError> {
    let Query(q) = query?;
    Ok(Json(scores_for(&state, &user, q).await?))
}
