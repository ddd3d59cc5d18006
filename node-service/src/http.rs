//! What every answer of a node passes through: the cross-site request check on every change, the
//! security headers, and the fallback for unknown paths.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::http_common::error::ApiError;
use crate::state::AppState;

/// The pages' content security policy: every script, style and image from the node itself.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The whole application of a node: the API and the pages.
pub fn app(state: AppState) -> Router {
    let mut routes = crate::api::routes(&state).merge(crate::pages::routes(&state));
    if state.config.role == crate::config::NodeRole::Hub {
        // Open311 (GeoReport v2) at the hub, under the citizens' budget and the body limit.
        routes = routes.merge(
            crate::http_common::routes::add(Router::new(), crate::open311::routes())
                .layer(crate::http_common::budget::layer(
                    state.citizens.slots.clone(),
                ))
                .layer(axum::extract::DefaultBodyLimit::max(
                    state.config.max_body_bytes,
                )),
        );
    }
    finish(routes, state)
}

/// Adds the fallback, the CSRF check and the headers, and gives the routes their state.
pub fn finish(routes: Router<AppState>, state: AppState) -> Router {
    // Origin / Sec-Fetch-Site checked on every unsafe method (the scheme of Go 1.25): a page of
    // another site cannot make a signed-in browser change anything. Machines (no Origin, no
    // Sec-Fetch-Site) pass and must prove themselves with a token.
    let csrf = CsrfLayer::new().with_rejection_response(|_| {
        let body = serde_json::json!({
            "error": "cross_site",
            "message": "拒绝跨站请求：请在本系统页面内操作",
            "detail": null,
        });
        let mut r = Response::new(Body::from(body.to_string()));
        *r.status_mut() = StatusCode::FORBIDDEN;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    });
    routes
        .fallback(fallback)
        .with_state(state)
        .layer(csrf)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Answers carry personal data unless a handler says otherwise (static assets do).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

async fn fallback(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        ApiError::not_found("接口").into_response()
    } else {
        crate::pages::not_found().into_response()
    }
}
