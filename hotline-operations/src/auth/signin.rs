//! Signing in: one operation for the sign-in page and the JSON API.
//!
//! A wrong login and a wrong password get the same answer and take as long (a decoy hash is
//! verified for an unknown login). Five failures for one login within 15 minutes lock that login
//! for the rest of the window; twenty from one client address lock the address. A successful
//! sign-in always opens a new session (a new id: no session fixation).

use std::net::IpAddr;

use hotline_model::role::User;

use super::password;
use crate::Hotline;
use crate::throttle::Failures;

/// Failed sign-ins allowed per login per window.
pub const MAX_LOGIN_FAILURES: u32 = 5;
/// Failed sign-ins allowed per client address per window (an office shares one address).
pub const MAX_ADDR_FAILURES: u32 = 20;
/// The window and lock time.
pub const WINDOW_MS: i64 = 15 * 60_000;

/// Failed sign-ins per login and per client address.
pub(crate) struct Limits {
    by_login: Failures<String>,
    by_addr: Failures<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            by_login: Failures::new(MAX_LOGIN_FAILURES, WINDOW_MS),
            by_addr: Failures::new(MAX_ADDR_FAILURES, WINDOW_MS),
        }
    }
}

/// Why a sign-in failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInError {
    /// Wrong login or password, or a disabled account: one answer for all three.
    Wrong,
    /// Too many failures: try again after this many minutes.
    Locked(i64),
    /// The node has no reference data yet.
    Pending,
    /// The store failed.
    Internal,
}

impl SignInError {
    /// The message shown to the user.
    pub fn message_zh(&self) -> String {
        match self {
            SignInError::Wrong => "账号或密码错误".to_owned(),
            SignInError::Locked(m) => format!("登录失败次数过多，请 {m} 分钟后再试"),
            SignInError::Pending => "本节点正在从上级同步基础数据，请稍后重试".to_owned(),
            SignInError::Internal => "服务器内部错误，请稍后重试".to_owned(),
        }
    }
}

/// Checks `login` and `password` and opens a session; returns the session id and the user.
pub async fn sign_in(
    state: &Hotline,
    login: &str,
    password: &str,
    addr: Option<IpAddr>,
) -> Result<(String, User), SignInError> {
    let now = state.now();
    let auth = &state.auth;
    let login = login.trim().to_owned();
    let minutes = |ms: i64| (ms + 59_999) / 60_000;
    if let Some(a) = addr
        && let Some(left) = auth.limits.by_addr.locked_for(&a, now)
    {
        return Err(SignInError::Locked(minutes(left)));
    }
    if let Some(left) = auth.limits.by_login.locked_for(&login, now) {
        return Err(SignInError::Locked(minutes(left)));
    }
    let refdata = state.refdata();
    if !refdata.is_loaded() {
        return Err(SignInError::Pending);
    }
    let user = refdata.user(&login).cloned();
    let credential = auth.credential(&login).map(|(_, c)| c);
    let usable = credential
        .as_ref()
        .filter(|c| !c.disabled && !c.hash.is_empty() && user.is_some())
        .map(|c| c.hash.clone());
    let long = password.chars().count() > hotline_model::credential::MAX_PASSWORD_CHARS;
    let ok = !long && password::verify_async(password.to_owned(), usable).await;
    let Some(user) = user.filter(|_| ok) else {
        auth.limits.by_login.fail(login.clone(), now);
        if let Some(a) = addr {
            auth.limits.by_addr.fail(a, now);
        }
        tracing::info!(%login, ?addr, "sign-in refused");
        return Err(SignInError::Wrong);
    };
    auth.limits.by_login.clear(&login);
    let client = addr.map(|a| a.to_string()).unwrap_or_default();
    let id = auth
        .open_session(&state.store, &login, &client, now)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot open a session");
            SignInError::Internal
        })?;
    tracing::info!(%login, ?addr, "signed in");
    Ok((id, user))
}
