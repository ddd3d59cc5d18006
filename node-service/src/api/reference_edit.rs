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
use axum::http::StatusCode;
use hotline_model::refdata::unit_users;
use hotline_model::role::Role;
use replica_store::refdata_doc;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::NodeRole;
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

fn known(name: &str) -> Result<(), ApiError> {
    if refdata_doc::is_valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::not_found(&format!("参考数据 {name}")))
    }
}

/// `GET /api/reference/{name}` (staff).
pub async fn get(
    State(state): State<AppState>,
    Actor(_user): Actor,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    known(&name)?;
    let texts = state.store.refdata_texts().await?;
    let (_, text) = texts
        .into_iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| ApiError::not_found(&format!("参考数据 {name}")))?;
    Ok(Json(json!({ "name": name, "text": text })))
}

/// Checks `texts` (every document held, with the edit of `name` in place): a unit's user list
/// holds that unit's users only, and everything fits together.
fn check(texts: &[(String, String)], name: &str) -> Result<(), String> {
    if let (Some(unit), Some((_, text))) = (
        name.strip_prefix("users:"),
        texts.iter().find(|(n, _)| n == name),
    ) {
        unit_users(text, unit).map_err(|e| e.to_string())?;
    }
    match refdata_doc::assemble(texts) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("org, categories or calendar missing".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `PUT /api/reference/{name}`: replaces one reference document (centre supervisors, at the hub).
pub async fn put(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(name): Path<String>,
    body: Result<Json<Edit>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    known(&name)?;
    if state.config.role != NodeRole::Hub {
        return Err(ApiError::forbidden(
            "参考数据由市中心统一维护，请在中心节点修改",
        ));
    }
    let refdata = state.refdata();
    if user.role != Role::Supervisor || user.unit != refdata.org.root() {
        return Err(ApiError::forbidden("只有中心审核督办员可以修改参考数据"));
    }
    let Json(edit) = body?;
    let mut texts = state.store.refdata_texts().await?;
    let unchanged = texts.iter().any(|(n, t)| *n == name && *t == edit.text);
    match texts.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => slot.1 = edit.text.clone(),
        None => texts.push((name.clone(), edit.text.clone())),
    }
    if let Err(reason) = check(&texts, &name) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_reference",
            "参考数据校验未通过，未作任何修改",
        )
        .with_detail(json!({ "name": name, "reason": reason })));
    }
    if !unchanged {
        state
            .store
            .put_refdata(vec![(name.clone(), edit.text)], state.now())
            .await?;
        state.reload_refdata().await;
        tracing::info!(name = %name, by = %user.login, "reference data edited");
    }
    Ok(Json(json!({ "name": name, "changed": !unchanged })))
}
