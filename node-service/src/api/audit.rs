//! `GET /api/audit?ticket=&limit=`: who saw citizens' personal data on this node, newest first, and
//! whether the log's hash chain is intact. For the discipline inspectors (纪委电子监察) and the
//! centre's supervisors only.

use axum::Json;
use axum::extract::{Query, State};
use hotline_model::role::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Query parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only accesses to this order (its number).
    pub ticket: Option<String>,
    /// At most this many entries (default 100, at most 1,000).
    pub limit: Option<u32>,
}

/// `GET /api/audit`.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    if !matches!(user.role, Role::Inspector | Role::Supervisor) {
        return Err(ApiError::forbidden(
            "只有纪委电子监察和审核督办员可以查看访问审计记录",
        ));
    }
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1_000);
    let (entries, chain) = state.store.audit_log(q.ticket, limit).await?;
    let chain = match chain {
        Ok(n) => json!({ "intact": true, "entries": n }),
        Err(seq) => {
            tracing::error!(seq, "the audit log's hash chain is broken");
            json!({ "intact": false, "broken_at": seq })
        }
    };
    Ok(Json(json!({ "entries": entries, "chain": chain })))
}
