//! The staff pages, served by every node.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};

use crate::state::AppState;

/// The page routes.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
}

/// The page for an unknown path.
pub fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Html("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>页面不存在</title><p>页面不存在。<a href=\"/staff/\">返回工作台</a></p></html>"))
}
