//! Editing reference data at the hub: the org tree, the categories, the working-day calendar (a new
//! year is loaded when the State Council publishes it) and each unit's user list.
//!
//! `GET /api/reference/{name}` returns a document's TOML text; `PUT /api/reference/{name}` with
//! `{"text": …}` replaces it. Names: `org`, `categories`, `calendar`, `users:<unit>`. Only a centre
//! supervisor (审核督办员 of the root unit) may edit, and only at the hub: reference data flows down
//! to the other nodes by sync. An edit is checked together with everything else held (a unit still
//! named by a subject or a user cannot go, a calendar must parse); a refused edit writes nothing.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use hotline_operations::reference;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Body of a `PUT`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The document's new TOML text.
    pub text: String,
}

/// `GET /api/reference/{name}` (staff).
pub async fn get(
    State(state): State<AppState>,
    Actor(_user): Actor,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let text = reference::text(&state, &name).await?;
    Ok(Json(json!({ "name": name, "text": text })))
}

/// `PUT /api/reference/{name}`: replaces one reference document (centre supervisors, at the hub).
pub async fn put(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(name): Path<String>,
    body: Result<Json<Edit>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(edit) = body?;
    let changed = reference::edit(&state, &user, &name, edit.text).await?;
    Ok(Json(json!({ "name": name, "changed": changed })))
}
