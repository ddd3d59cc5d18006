//! Account management and service tokens (user administrators):
//! `POST /api/accounts` creates an account (hub); `POST /api/accounts/{login}/disable`,
//! `/enable`, `/password` `{password}`; `POST /api/tokens` `{name, login}` issues a service
//! account's bearer token (centre administrators), shown once.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hotline_model::role::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::accounts::{self, NewAccount};
use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// `POST /api/accounts`.
pub async fn create(
    State(state): State<AppState>,
    Actor(admin): Actor,
    body: Result<Json<NewAccount>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(new) = body?;
    let user = accounts::create(&state, &admin, new).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": user }))))
}

/// `POST /api/accounts/{login}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    Actor(admin): Actor,
    Path(login): Path<String>,
) -> Result<Json<Value>, ApiError> {
    accounts::set_disabled(&state, &admin, &login, true).await?;
    Ok(Json(json!({ "login": login, "disabled": true })))
}

/// `POST /api/accounts/{login}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    Actor(admin): Actor,
    Path(login): Path<String>,
) -> Result<Json<Value>, ApiError> {
    accounts::set_disabled(&state, &admin, &login, false).await?;
    Ok(Json(json!({ "login": login, "disabled": false })))
}

/// `POST /api/accounts/{login}/password` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    /// The new password.
    pub password: String,
}

/// `POST /api/accounts/{login}/password`.
pub async fn reset(
    State(state): State<AppState>,
    Actor(admin): Actor,
    Path(login): Path<String>,
    body: Result<Json<Reset>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(r) = body?;
    accounts::reset_password(&state, &admin, &login, &r.password).await?;
    Ok(Json(json!({ "login": login, "reset": true })))
}

/// `POST /api/tokens` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for (e.g. 话务系统).
    pub name: String,
    /// The service account it acts as.
    pub login: String,
}

/// `POST /api/tokens`.
pub async fn issue_token(
    State(state): State<AppState>,
    Actor(admin): Actor,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(t) = body?;
    let refdata = state.refdata();
    if admin.role != Role::Admin || admin.unit != refdata.org.root() {
        return Err(ApiError::forbidden("只有中心用户管理员可以签发接口令牌"));
    }
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(ApiError::bad_request("令牌用途须为 1–40 个字"));
    }
    if refdata.user(&t.login).is_none() {
        return Err(ApiError::unknown("login", &t.login));
    }
    let token = state
        .auth
        .issue_token(&state.store, name, &t.login, &admin.login, state.now())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot issue a token");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "服务器内部错误，请稍后重试",
            )
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "name": name, "login": t.login })),
    ))
}
