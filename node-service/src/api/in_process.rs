//! Calling a node's API in-process, without a socket: what tests and local tools use.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Sends one request to `app` as `user` (the `X-Hotline-User` header, if any) with a raw body, and
/// returns the status and the JSON answer (`Null` when the body is not JSON).
pub async fn call_raw(
    app: &Router,
    method: &str,
    uri: &str,
    user: Option<&str>,
    body: Option<String>,
) -> Result<(StatusCode, Value), axum::http::Error> {
    call_from(app, None, method, uri, user, body).await
}

/// [`call_raw`] as if from client address `from` (what the server learns from the connection).
pub async fn call_from(
    app: &Router,
    from: Option<std::net::SocketAddr>,
    method: &str,
    uri: &str,
    user: Option<&str>,
    body: Option<String>,
) -> Result<(StatusCode, Value), axum::http::Error> {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(addr) = from {
        req = req.extension(axum::extract::ConnectInfo(addr));
    }
    if let Some(u) = user {
        req = req.header(super::actor::USER_HEADER, u);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b)),
        None => req.body(Body::empty()),
    }?;
    let resp = match app.clone().oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// [`call_raw`] with a JSON body.
pub async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    user: Option<&str>,
    body: Option<&Value>,
) -> Result<(StatusCode, Value), axum::http::Error> {
    call_raw(app, method, uri, user, body.map(Value::to_string)).await
}
