//! The node's HTTP JSON API.

pub mod action_request;
pub mod actor;
pub mod audit;
pub mod error;
pub mod health;
pub mod in_process;
pub mod kb;
pub mod public;
pub mod public_budget;
pub mod public_figures;
pub mod reference;
pub mod reference_edit;
pub mod stats;
pub mod tickets;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;

/// The API routes; bodies over the configured limit are refused with 413 before they are read whole.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(public_budget::public_slots()));
    let public = Router::new()
        .route("/api/public/lookup", post(public::lookup))
        .route("/api/public/figures", get(public_figures::figures))
        .route("/api/public/published", get(public_figures::published))
        .layer(axum::middleware::from_fn(move |req, next| {
            public_budget::budget(slots.clone(), req, next)
        }));
    Router::new()
        .merge(public)
        .route("/api/health", get(health::health))
        .route("/api/tickets", post(tickets::create).get(tickets::list))
        .route("/api/tickets/{key}", get(tickets::get))
        .route("/api/tickets/{key}/actions", post(tickets::act))
        .route("/api/kb/search", get(kb::search))
        .route("/api/kb/articles", post(kb::create))
        .route("/api/kb/articles/{id}", get(kb::get))
        .route("/api/kb/articles/{id}/actions", post(kb::act))
        .route("/api/kb/articles/{id}/used", post(kb::used))
        .route("/api/audit", get(audit::list))
        .route("/api/stats/units", get(stats::units))
        .route("/api/units", get(reference::units))
        .route("/api/categories", get(reference::categories))
        .route("/api/users", get(reference::users))
        .route(
            "/api/reference/{name}",
            get(reference_edit::get).put(reference_edit::put),
        )
        .fallback(|| async { error::ApiError::not_found("接口") })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
