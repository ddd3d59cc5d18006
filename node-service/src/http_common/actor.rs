//! Who is calling: every staff route runs behind [`authenticate`], which resolves the request's
//! session cookie or service token (see [`crate::auth`]) before the handler; handlers take the
//! user with the [`Actor`] extractor. There is no other way to name a user.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hotline_model::role::User;

use super::error::ApiError;
use crate::auth::{AuthFailure, Principal};
use crate::state::AppState;

/// The acting user.
#[derive(Clone, Debug)]
pub struct Actor(pub User);

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .map(|p| Actor(p.user.clone()))
            .ok_or_else(|| failure(AuthFailure::Missing))
    }
}

/// The API's answer to an unauthenticated request.
pub fn failure(f: AuthFailure) -> ApiError {
    match f {
        AuthFailure::Pending => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "reference_data_pending",
            f.message_zh(),
        ),
        AuthFailure::Missing => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", f.message_zh())
        }
        AuthFailure::Ended(_) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "session_ended", f.message_zh())
        }
    }
}

/// Resolves the request's principal at `now`, or why there is none.
pub fn principal(state: &AppState, req: &Request) -> Result<Principal, AuthFailure> {
    let refdata = state.refdata();
    if !refdata.is_loaded() {
        return Err(AuthFailure::Pending);
    }
    state
        .auth
        .resolve(
            &state.store,
            &refdata.users,
            crate::auth::presented(req.headers()),
            state.now(),
        )
        // An outside app's key opens Open311 only, never a staff route or page.
        .and_then(|p| {
            if p.user.role == hotline_model::role::Role::App {
                Err(AuthFailure::Missing)
            } else {
                Ok(p)
            }
        })
}

/// Middleware: lets the request through with its [`Principal`], or answers 401.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match principal(&state, &req) {
        Ok(p) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        Err(f) => failure(f).into_response(),
    }
}
