//! The operators' callback list (回访): `GET /api/callbacks?after=&limit=` lists the orders that
//! need a phone call now (no answer to the survey text within its wait, no text possible, or
//! 不满意 by text to verify), the longest waiting first, key-paged. The call's outcome is recorded
//! as the order's callback (`POST /api/tickets/{key}/actions`, `callback`). For centre staff.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
pub use hotline_operations::callbacks::*;

/// `GET /api/callbacks`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Callbacks>, ApiError> {
    let Query(q) = query?;
    Ok(Json(page(&state, &user, q).await?))
}
