//! Staff authentication as the web faces meet it: the session cookie and the bearer header, read
//! into what the core's [`Auth`] resolves. Credentials, sessions, tokens and sign-in limits are the
//! core's (`hotline_operations::auth`), re-exported here.

use axum::http::{HeaderMap, HeaderValue, header};
pub use hotline_operations::auth::*;

/// The session cookie over plain HTTP (loopback, the demo).
pub const COOKIE: &str = "hotline_session";
/// The session cookie over TLS: `__Host-` binds it to this origin, `Secure` to HTTPS.
pub const COOKIE_TLS: &str = "__Host-hotline_session";

/// The session id or token a request carries: a bearer header first, then the session cookie.
pub fn presented(headers: &HeaderMap) -> Option<Presented> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(Presented {
            secret: t.trim().to_owned(),
            is_token: true,
        });
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_TLS || *k == COOKIE)
        .map(|(_, v)| Presented {
            secret: v.to_owned(),
            is_token: false,
        })
}

/// The `Set-Cookie` value opening a session (`Secure` and `__Host-` when the node serves HTTPS).
pub fn session_cookie(auth: &Auth, id: &str) -> HeaderValue {
    let text = if auth.tls {
        format!("{COOKIE_TLS}={id}; Path=/; HttpOnly; Secure; SameSite=Lax")
    } else {
        format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax")
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value clearing the session cookie.
pub fn clear_cookie(auth: &Auth) -> HeaderValue {
    if auth.tls {
        HeaderValue::from_static(
            "__Host-hotline_session=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0",
        )
    } else {
        HeaderValue::from_static("hotline_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}
