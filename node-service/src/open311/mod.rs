//! Open311 GeoReport v2 at `/open311/v2/` on the hub: the standard interface outside apps use to
//! file and follow requests, in XML (required by the specification) and JSON.
//!
//! - `GET services.{fmt}`: our catalogue's subjects as services (`group` the first level,
//!   `keywords` the path), each with the `request_type` attribute; `GET services/{code}.{fmt}`:
//!   the attribute definitions.
//! - `POST requests.{fmt}` (form-encoded, `api_key` required: a token of an `app` service
//!   account): a `realtime` service answers the order's number as `service_request_id`; a `batch`
//!   service (subjects the centre triages itself) answers a `token`, resolved by
//!   `GET tokens/{token}.{fmt}` once the queued request is registered.
//! - `GET requests.{fmt}` (filters `service_request_id`, `service_code`, `start_date`/`end_date`
//!   at most 90 days apart, `status`) and `GET requests/{id}.{fmt}`: published results (公示) for
//!   anyone, and an app's own requests for that app.
//!
//! Only public fields ever leave: never a name, phone, address, location or the citizen's words.
//! Errors are the specification's `[{"code", "description"}]` / `<errors><error>`.

mod format;
mod requests;
mod services;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

pub use format::{Format, Open311Error};

use crate::http_common::routes::{Route, route};
use crate::state::AppState;

/// The Open311 routes.
pub fn routes() -> Vec<Route> {
    vec![
        route(
            "/open311/v2/{resource}",
            &["GET", "POST"],
            get(resource).post(requests::create),
        ),
        route("/open311/v2/{resource}/{id}", &["GET"], get(item)),
    ]
}

/// `GET /open311/v2/{services|requests}.{fmt}`.
async fn resource(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (name, fmt) = match Format::split(&resource) {
        Ok(x) => x,
        Err(e) => return e.into_response_as(Format::Xml),
    };
    let answer = match name {
        "services" => Ok(services::list(&state, fmt)),
        "requests" => requests::search(&state, &query, fmt).await,
        _ => Err(Open311Error::new(StatusCode::NOT_FOUND, "没有这个接口")),
    };
    answer.unwrap_or_else(|e| e.into_response_as(fmt))
}

/// `GET /open311/v2/{services|requests|tokens}/{id}.{fmt}`.
async fn item(
    State(state): State<AppState>,
    Path((resource, id)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (id, fmt) = match Format::split(&id) {
        Ok(x) => x,
        Err(e) => return e.into_response_as(Format::Xml),
    };
    let answer = match resource.as_str() {
        "services" => services::definition(&state, id, fmt),
        "requests" => requests::one(&state, &query, id, fmt).await,
        "tokens" => requests::token(&state, id, fmt).await,
        _ => Err(Open311Error::new(StatusCode::NOT_FOUND, "没有这个接口")),
    };
    answer.unwrap_or_else(|e| e.into_response_as(fmt))
}

/// Registers the batch requests left in the queue (after a restart).
pub async fn drain_queue(state: AppState) {
    requests::drain(&state).await;
}
