//! Calling a node's API in-process, without a socket: what tests, benchmarks and local tools use.
//!
//! A [`Client`] acts as named users through real sessions: the first call as a user opens one
//! at the node's store (as signing in would, without the password: in-process callers hold the
//! node itself), and the requests carry its cookie through the same authentication as any browser.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::state::AppState;

/// Sends a request to `app` and returns the status and the JSON answer (`Null` when the body is
/// not JSON).
pub async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
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
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A node's API called in-process as named users.
pub struct Client {
    app: Router,
    state: AppState,
    sessions: Mutex<HashMap<String, String>>,
}

impl Client {
    /// A client of `state`'s API.
    pub fn new(state: AppState) -> Self {
        Client {
            app: crate::api::router(state.clone()),
            state,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The API router.
    pub fn app(&self) -> &Router {
        &self.app
    }

    /// The session cookie of `login`, opening a session when there is none.
    pub async fn session(&self, login: &str) -> anyhow::Result<String> {
        if let Some(id) = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(login)
        {
            return Ok(id.clone());
        }
        let id = self
            .state
            .auth
            .open_session(&self.state.store, login, "in-process", self.state.now())
            .await?;
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(login.to_owned(), id.clone());
        Ok(id)
    }

    /// Sends one request as `user` (none: unauthenticated) with a raw JSON body.
    pub async fn call_raw(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        body: Option<String>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.call_from(None, method, uri, user, body).await
    }

    /// [`Client::call_raw`] as if from client address `from` (what the server learns from the
    /// connection). A session that ended (the test's clock moved past its idle time, a password
    /// reset ended it) is replaced once, as the user would sign in again.
    pub async fn call_from(
        &self,
        from: Option<std::net::SocketAddr>,
        method: &str,
        uri: &str,
        user: Option<&str>,
        body: Option<String>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        for attempt in 0..2 {
            let mut req = Request::builder().method(method).uri(uri);
            if let Some(addr) = from {
                req = req.extension(axum::extract::ConnectInfo(addr));
            }
            if let Some(u) = user {
                let id = self.session(u).await?;
                req = req.header("cookie", format!("{}={id}", crate::auth::COOKIE));
            }
            let req = match &body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(Body::from(b.clone())),
                None => req.body(Body::empty()),
            }?;
            let (status, value) = send(&self.app, req).await;
            if attempt == 0
                && let Some(u) = user
                && status == StatusCode::UNAUTHORIZED
            {
                self.sessions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(u);
                continue;
            }
            return Ok((status, value));
        }
        unreachable!("the loop returns on its second pass")
    }

    /// Sends one request as `user` with raw bytes and headers, and returns the raw answer: for
    /// files (uploads, range requests).
    pub async fn call_bytes(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> anyhow::Result<(StatusCode, axum::http::HeaderMap, axum::body::Bytes)> {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(u) = user {
            let id = self.session(u).await?;
            req = req.header("cookie", format!("{}={id}", crate::auth::COOKIE));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = match self.app.clone().oneshot(req.body(Body::from(body))?).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await?.to_bytes();
        Ok((parts.status, parts.headers, bytes))
    }

    /// [`Client::call_raw`] with a JSON body.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.call_raw(method, uri, user, body.map(Value::to_string))
            .await
    }
}
