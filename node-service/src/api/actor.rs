//! Who is calling: the acting user, resolved against the reference data.
//!
//! The staff login (passwords, sessions, CSRF) belongs to the web front end; until it exists the API
//! takes the user's login from the `X-Hotline-User` header, so the node must only listen on addresses
//! reachable by trusted front ends (the default is loopback).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use hotline_model::role::User;

use super::error::ApiError;
use crate::state::AppState;

/// The header naming the acting user.
pub const USER_HEADER: &str = "x-hotline-user";

/// The acting user.
#[derive(Clone, Debug)]
pub struct Actor(pub User);

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let login = parts
            .headers
            .get(USER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录")
            })?;
        let refdata = state.refdata();
        if !refdata.is_loaded() {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "reference_data_pending",
                "本节点正在从上级同步基础数据，请稍后重试",
            ));
        }
        let user = refdata.user(login).cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "用户不存在或已停用",
            )
        })?;
        Ok(Actor(user))
    }
}
