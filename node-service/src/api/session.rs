//! Signing in and out through the JSON API (the pages use the same operations):
//! `POST /api/session` `{login, password}` opens a session (cookie); `GET /api/session` names the
//! signed-in user; `POST /api/session/end` signs out; `POST /api/session/password`
//! `{old, new}` changes one's own password (a new session replaces the old).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::signin::{SignInError, sign_in as do_sign_in};
use crate::auth::{Principal, Via};
use crate::http_common::actor::Actor;
use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// `POST /api/session` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// The API error of a failed sign-in.
pub fn sign_in_error(e: &SignInError) -> ApiError {
    let (status, code) = match e {
        SignInError::Wrong => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
        SignInError::Locked(_) => (StatusCode::TOO_MANY_REQUESTS, "locked"),
        SignInError::Pending => (StatusCode::SERVICE_UNAVAILABLE, "reference_data_pending"),
        SignInError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    ApiError::new(status, code, e.message_zh())
}

fn user_json(u: &hotline_model::role::User) -> serde_json::Value {
    json!({ "login": u.login, "name": u.name, "role": u.role, "role_label": u.role.label(), "unit": u.unit })
}

/// `POST /api/session`.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let (id, user) = do_sign_in(&state, &req.login, &req.password, addr)
        .await
        .map_err(|e| sign_in_error(&e))?;
    Ok((
        [(
            header::SET_COOKIE,
            crate::auth::session_cookie(&state.auth, &id),
        )],
        Json(json!({ "user": user_json(&user) })),
    )
        .into_response())
}

/// `GET /api/session`.
pub async fn whoami(Actor(user): Actor) -> Json<serde_json::Value> {
    Json(json!({ "user": user_json(&user) }))
}

/// `POST /api/session/end`.
pub async fn sign_out(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<Response, ApiError> {
    if let Via::Session(h) = &p.via {
        state.auth.end_session(&state.store, h).await.map_err(|e| {
            tracing::error!(error = %e, "sign-out failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "服务器内部错误，请稍后重试",
            )
        })?;
    }
    Ok((
        [(header::SET_COOKIE, crate::auth::clear_cookie(&state.auth))],
        Json(json!({ "signed_out": true })),
    )
        .into_response())
}

/// `POST /api/session/password` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub old: String,
    /// The new password.
    pub new: String,
}

/// `POST /api/session/password`.
pub async fn change_password(
    State(state): State<AppState>,
    Actor(user): Actor,
    body: Result<Json<ChangePassword>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let id = crate::auth::accounts::change_own_password(&state, &user, &req.old, &req.new).await?;
    Ok((
        [(
            header::SET_COOKIE,
            crate::auth::session_cookie(&state.auth, &id),
        )],
        Json(json!({ "changed": true })),
    )
        .into_response())
}
