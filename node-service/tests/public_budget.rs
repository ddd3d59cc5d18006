//! The citizens' endpoints run under a slot and a time budget: a request that cannot finish within
//! it (waiting for its turn included) is answered 503 with `Retry-After`, and its slot is free again
//! for the next caller. Tokio's clock is paused, so the two-second budget passes at once.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::BodyExt;
use node_service::http_common::budget::budget;
use tokio::sync::Semaphore;
use tower::ServiceExt;

async fn get_status(app: Router, uri: &str) -> (StatusCode, Option<String>, String) {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, retry, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(start_paused = true)]
async fn a_public_request_past_its_budget_is_answered_busy_and_frees_its_slot() {
    let slots = Arc::new(Semaphore::new(1));
    let app = Router::new()
        .route(
            "/api/public/stuck",
            get(std::future::pending::<&'static str>),
        )
        .route("/lookup", get(std::future::pending::<&'static str>))
        .route("/quick", get(|| async { "好" }))
        .layer(axum::middleware::from_fn(move |req, next| {
            budget(slots.clone(), req, next)
        }));
    // One request holds the only slot and never finishes; a second comes a second later and waits.
    let stuck = tokio::spawn(get_status(app.clone(), "/api/public/stuck"));
    tokio::task::yield_now().await;
    tokio::time::advance(std::time::Duration::from_secs(1)).await;
    let waiting = tokio::spawn(get_status(app.clone(), "/quick"));
    let (status, retry, body) = stuck.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(
        body.contains("\"busy\"") && body.contains("请稍后再试"),
        "{body}"
    );
    // The stuck request was dropped at its budget: its slot serves the waiting caller, still
    // within that caller's own budget, and the next one.
    let (status, _, body) = waiting.await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "好"));
    let (status, _, body) = get_status(app.clone(), "/quick").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "好"));
    // A citizens' page past its budget gets a page that says so, not JSON.
    let page = tokio::spawn(get_status(app, "/lookup"));
    tokio::time::advance(std::time::Duration::from_secs(3)).await;
    let (status, retry, body) = page.await.unwrap();
    assert_eq!(
        (status, retry.as_deref()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("1"))
    );
    assert!(
        body.contains("<!doctype html>") && body.contains("访问的人较多"),
        "{body}"
    );
}
