//! `GET /api/audit?ticket=&limit=`: who saw citizens' personal data on this node, newest first, and
//! whether the log's hash chain is intact. For the discipline inspectors (纪委电子监察) and the
//! centre's supervisors only.

use axum::Json;
use axum::extract::{Query, State};
use hotline_operations::audit::{AuditLog, AuditQuery, log};

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// `GET /api/audit`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditLog>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    Ok(Json(log(&state, &user, q).await?))
}
