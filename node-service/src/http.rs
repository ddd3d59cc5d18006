//! What every answer of a node passes through: the cross-site request check on every change, the
//! security headers, and the fallback for unknown paths.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::api::error::ApiError;
use crate::state::AppState;

/// The pages' content security policy: every script, style and image from the node itself.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The whole application of a node: the API and the pages.
pub fn app(state: AppState) -> Router {
    let routes = crate::api::routes(&state).merge(crate::pages::routes(&state));
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

/// The HTTP status of an operation's failure.
pub fn status_of(kind: hotline_operations::Kind) -> StatusCode {
    match kind {
        hotline_operations::Kind::BadInput => StatusCode::BAD_REQUEST,
        hotline_operations::Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        hotline_operations::Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        hotline_operations::Kind::Forbidden => StatusCode::FORBIDDEN,
        hotline_operations::Kind::NotFound => StatusCode::NOT_FOUND,
        hotline_operations::Kind::Conflict => StatusCode::CONFLICT,
        hotline_operations::Kind::Gone => StatusCode::GONE,
        hotline_operations::Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        hotline_operations::Kind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        hotline_operations::Kind::Limited => StatusCode::TOO_MANY_REQUESTS,
        hotline_operations::Kind::Upstream => StatusCode::BAD_GATEWAY,
        hotline_operations::Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        hotline_operations::Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
