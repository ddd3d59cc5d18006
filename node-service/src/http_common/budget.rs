//! The citizens' endpoints (no login) under a budget: at most a few run at once and each has a time
//! limit, waiting included, so no number of anonymous callers can hold up staff work or each other
//! for long. A request over its budget is answered 503 with `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;

/// How long a public request may take, waiting for its turn included.
pub const PUBLIC_BUDGET: Duration = Duration::from_secs(2);

pub use hotline_operations::citizen::public_slots;

/// The middleware: takes a slot, runs the request, gives up at the budget.
pub async fn budget(slots: Arc<Semaphore>, request: Request, next: Next) -> Response {
    // The website's pages answer with a page; the JSON API and Open311 with JSON.
    let path = request.uri().path();
    let page = !path.starts_with("/api/") && !path.starts_with("/open311/");
    let large = page && crate::pages::portal::wants_large(request.headers());
    let work = async {
        let _slot = slots.acquire().await;
        next.run(request).await
    };
    match tokio::time::timeout(PUBLIC_BUDGET, work).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = if page {
                crate::pages::portal::busy(large)
            } else {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "查询的人较多，请稍后再试",
                )
                .into_response()
            };
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// A budgeted request's answer, to come.
type Budgeted = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// The budget as a layer over a router, sharing the node's slots: the citizens' JSON endpoints
/// and pages queue for the same few slots.
pub fn layer(
    slots: Arc<Semaphore>,
) -> axum::middleware::FromFnLayer<impl Fn(Request, Next) -> Budgeted + Clone, (), (Request,)> {
    axum::middleware::from_fn(move |req: Request, next: Next| {
        let slots = slots.clone();
        Box::pin(budget(slots, req, next)) as Budgeted
    })
}
