//! Signing in and out, and changing one's own password, through pages: the same operations as
//! `POST /api/session` and `POST /api/session/password`.

use axum::Form;
use axum::extract::{Extension, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use web::{Flash, LoginPage, PasswordPage};

use super::{Staff, layout, node_label, render};
use crate::auth::signin::{SignInError, sign_in};
use crate::auth::{Principal, Via};
use crate::http_common::client::ClientAddr;
use crate::state::AppState;

/// `?next=&ended=` of the sign-in page.
#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    /// Where to go after signing in.
    #[serde(default)]
    next: String,
    /// Set when a session just ended.
    #[serde(default)]
    ended: Option<String>,
}

/// Only a path of the staff pages is a place to go back to (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with("/staff") && !next.starts_with("//") && !next.contains("://") {
        next.to_owned()
    } else {
        "/staff/".to_owned()
    }
}

/// `GET /staff/login`.
pub async fn form(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    render(&LoginPage {
        node: node_label(&state),
        login: String::new(),
        error: q
            .ended
            .map(|_| "登录已失效（长时间未操作、密码已更改或账号已停用），请重新登录".to_owned()),
        next: safe_next(&q.next),
    })
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /staff/login`.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    match sign_in(&state, &f.login, &f.password, addr).await {
        Ok((id, _)) => (
            [(
                header::SET_COOKIE,
                crate::auth::session_cookie(&state.auth, &id),
            )],
            Redirect::to(&safe_next(&f.next)),
        )
            .into_response(),
        Err(e) => {
            // The form again with the reason; a page the user asked for is no failed load.
            let status = match e {
                SignInError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                SignInError::Pending => StatusCode::SERVICE_UNAVAILABLE,
                SignInError::Wrong | SignInError::Locked(_) => StatusCode::OK,
            };
            let page = LoginPage {
                node: node_label(&state),
                login: f.login.chars().take(32).collect(),
                error: Some(e.message_zh()),
                next: safe_next(&f.next),
            };
            (status, render(&page)).into_response()
        }
    }
}

/// `POST /staff/logout`.
pub async fn logout(State(state): State<AppState>, Extension(p): Extension<Principal>) -> Response {
    if let Via::Session(h) = &p.via
        && let Err(e) = state.auth.end_session(&state.store, h).await
    {
        tracing::error!(error = %e, "sign-out failed");
    }
    (
        [(header::SET_COOKIE, crate::auth::clear_cookie(&state.auth))],
        Redirect::to("/staff/login"),
    )
        .into_response()
}

/// `GET /staff/password`.
pub async fn password_form(State(state): State<AppState>, Staff(user): Staff) -> Response {
    render(&PasswordPage {
        l: layout(&state, &user, "修改密码", "/staff/password"),
        error: None,
    })
}

/// The change-password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    old: String,
    new: String,
}

/// `POST /staff/password`.
pub async fn password_submit(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<PasswordForm>,
) -> Response {
    match crate::auth::accounts::change_own_password(&state, &user, &f.old, &f.new).await {
        Ok(id) => {
            let mut l = layout(&state, &user, "修改密码", "/staff/password");
            l.flash = Some(Flash {
                kind: "ok",
                text: "密码已修改。".into(),
            });
            (
                [(
                    header::SET_COOKIE,
                    crate::auth::session_cookie(&state.auth, &id),
                )],
                render(&PasswordPage { l, error: None }),
            )
                .into_response()
        }
        Err(e) => (
            match crate::http_common::status_of(e.kind) {
                s if s.is_server_error() => s,
                _ => StatusCode::OK,
            },
            render(&PasswordPage {
                l: layout(&state, &user, "修改密码", "/staff/password"),
                error: Some(e.message),
            }),
        )
            .into_response(),
    }
}
