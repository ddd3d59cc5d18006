//! Reference data endpoints: units, categories, users (without credentials).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// `?root=` limits the unit list to a subtree.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// Subtree root.
    pub root: Option<String>,
}

/// `GET /api/units`.
pub async fn units(
    State(state): State<AppState>,
    query: Result<Query<UnitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let refdata = state.refdata();
    let root = q.root.unwrap_or_else(|| refdata.org.root().to_string());
    if !refdata.org.contains(&root) {
        return Err(ApiError::unknown("root", &root));
    }
    let units: Vec<_> = refdata.org.subtree(&root).cloned().collect();
    Ok(Json(json!(units)))
}

/// `GET /api/categories`.
pub async fn categories(State(state): State<AppState>) -> Json<Value> {
    let refdata = state.refdata();
    let subjects: Vec<_> = refdata.catalogue.subjects().cloned().collect();
    let rules: Vec<_> = refdata.catalogue.rules().cloned().collect();
    Json(json!({ "request_types": rules, "subjects": subjects }))
}

/// `GET /api/users` (staff only).
pub async fn users(State(state): State<AppState>, Actor(_user): Actor) -> Json<Value> {
    let refdata = state.refdata();
    let users: Vec<_> = refdata.users.values().cloned().collect();
    Json(json!(users))
}
