//! One operator's day for the supervisors (监督管理): when they signed in and out, how long in
//! each state, their calls in and out, talk and after-call time, the orders they registered and
//! answered at once, and their calls' quality scores. `GET /api/operators/{login}/day?date=`; the
//! page is `pages/operators.rs`.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
pub use hotline_operations::operators::*;

/// `GET /api/operators/{login}/day?date=`.
pub async fn get_day(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(login): Path<String>,
    query: Result<Query<DayQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OperatorDay>, ApiError> {
    let Query(q) = query?;
    Ok(Json(
        day_for(&state, &user, &login, q.date.as_deref()).await?,
    ))
}
