//! The node's HTTP JSON API.

pub mod accounts;
pub mod audit;
pub mod callbacks;
pub mod calls;
pub mod drafts;
pub mod files;
pub mod health;
pub mod in_process;
pub mod kb;
pub mod messages;
pub mod openapi;
pub mod operators;
pub mod outbox;
pub mod public;
pub mod public_figures;
pub mod quality;
pub mod reference;
pub mod reference_edit;
pub mod session;
pub mod stats;
pub mod stats_topics;
pub mod tickets;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::http_common::routes::{Route, add, route};
use crate::state::AppState;

/// The routes open to anyone: health, the citizens' endpoints (under their own budget) and
/// signing in.
pub fn open_routes() -> Vec<Route> {
    vec![
        route("/api/health", &["GET"], get(health::health)),
        route("/api/openapi.json", &["GET"], get(openapi::openapi)),
        route("/api/session", &["POST"], post(session::sign_in)),
        // The gateways' pushes: authenticated by their URL's secret or WeChat's signature.
        route(
            "/api/inbound/sms/{provider}/{secret}",
            &["POST"],
            post(crate::inbound::sms_push::push),
        ),
        route(
            "/api/inbound/mail/{secret}",
            &["POST"],
            post(crate::inbound::mail::deliver)
                .layer(DefaultBodyLimit::max(crate::inbound::mail::MAX_MAIL + 1)),
        ),
        route(
            "/api/telephony/cdr/{secret}",
            &["POST"],
            post(crate::telephony::cdr::post)
                .layer(DefaultBodyLimit::max(crate::telephony::cdr::MAX_CDR)),
        ),
        route(
            "/api/telephony/recordings/{secret}/{call_id}",
            &["PUT"],
            axum::routing::put(files::recording).layer(DefaultBodyLimit::max(
                hotline_operations::files::MAX_RECORDING,
            )),
        ),
        route(
            "/api/inbound/wechat",
            &["GET", "POST"],
            get(crate::inbound::wechat::verify_url).post(crate::inbound::wechat::message),
        ),
    ]
}

/// The citizens' endpoints, run under a few slots and a time budget.
pub fn public_routes() -> Vec<Route> {
    vec![
        route("/api/public/lookup", &["POST"], post(public::lookup)),
        route("/api/public/rate", &["POST"], post(public::rate)),
        route("/api/public/requests", &["POST"], post(public::submit)),
        route(
            "/api/public/figures",
            &["GET"],
            get(public_figures::figures),
        ),
        route(
            "/api/public/figures/recent",
            &["GET"],
            get(public::recent_figures),
        ),
        route("/api/public/published", &["GET"], get(public::published)),
        route(
            "/api/public/published/{number}",
            &["GET"],
            get(public::published_one),
        ),
        route(
            "/api/public/commitments",
            &["GET"],
            get(public::commitments),
        ),
    ]
}

/// Every staff route: each needs a valid session or service token.
pub fn staff_routes() -> Vec<Route> {
    vec![
        route("/api/session", &["GET"], get(session::whoami)),
        route("/api/session/end", &["POST"], post(session::sign_out)),
        route(
            "/api/session/password",
            &["POST"],
            post(session::change_password),
        ),
        route("/api/accounts", &["POST"], post(accounts::create)),
        route(
            "/api/accounts/{login}/disable",
            &["POST"],
            post(accounts::disable),
        ),
        route(
            "/api/accounts/{login}/enable",
            &["POST"],
            post(accounts::enable),
        ),
        route(
            "/api/accounts/{login}/password",
            &["POST"],
            post(accounts::reset),
        ),
        route("/api/tokens", &["POST"], post(accounts::issue_token)),
        route(
            "/api/tickets",
            &["POST", "GET"],
            post(tickets::create).get(tickets::list),
        ),
        route("/api/tickets/{key}", &["GET"], get(tickets::get)),
        route("/api/tickets/{key}/actions", &["POST"], post(tickets::act)),
        route(
            "/api/tickets/{key}/files",
            &["POST"],
            post(files::attach).layer(DefaultBodyLimit::max(
                hotline_operations::files::MAX_ATTACHMENT,
            )),
        ),
        route("/api/tickets/{key}/files/{sha}", &["GET"], get(files::get)),
        route("/api/kb/search", &["GET"], get(kb::search)),
        route("/api/kb/articles", &["POST"], post(kb::create)),
        route("/api/kb/articles/{id}", &["GET"], get(kb::get)),
        route("/api/kb/articles/{id}/actions", &["POST"], post(kb::act)),
        route("/api/kb/articles/{id}/used", &["POST"], post(kb::used)),
        route("/api/audit", &["GET"], get(audit::list)),
        route("/api/outbox", &["GET"], get(outbox::list)),
        route("/api/drafts", &["GET"], get(drafts::list)),
        route("/api/drafts/{id}", &["GET"], get(drafts::get)),
        route(
            "/api/drafts/{id}/answer",
            &["POST"],
            post(drafts::answer_route),
        ),
        route(
            "/api/drafts/{id}/dismiss",
            &["POST"],
            post(drafts::dismiss_route),
        ),
        route("/api/callbacks", &["GET"], get(callbacks::list)),
        route("/api/messages", &["GET"], get(messages::list)),
        route("/api/messages/read", &["POST"], post(messages::read)),
        route("/api/outbox/{id}/retry", &["POST"], post(outbox::retry)),
        route("/api/stats/units", &["GET"], get(stats::units)),
        route("/api/calls", &["GET"], get(calls::list)),
        route("/api/calls/live", &["GET"], get(calls::live)),
        route(
            "/api/calls/{call_id}/monitor",
            &["POST"],
            post(calls::monitor),
        ),
        route(
            "/api/calls/{call_id}/recording",
            &["GET"],
            get(calls::recording),
        ),
        route(
            "/api/calls/{call_id}/score",
            &["PUT"],
            axum::routing::put(quality::score),
        ),
        route("/api/quality/form", &["GET"], get(quality::form)),
        route("/api/quality/sample", &["GET"], get(quality::sample)),
        route("/api/quality/scores", &["GET"], get(quality::scores)),
        route(
            "/api/operators/{login}/day",
            &["GET"],
            get(operators::get_day),
        ),
        route("/api/stats/orders", &["GET"], get(stats::orders)),
        route("/api/stats/topics", &["GET"], get(stats_topics::topics)),
        route("/api/stats/trend", &["GET"], get(stats_topics::trend)),
        route(
            "/api/stats/topic_orders",
            &["GET"],
            get(stats_topics::orders),
        ),
        route("/api/stats/volume", &["GET"], get(stats_topics::volume)),
        route("/api/units", &["GET"], get(reference::units)),
        route("/api/categories", &["GET"], get(reference::categories)),
        route("/api/users", &["GET"], get(reference::users)),
        route(
            "/api/reference/{name}",
            &["GET", "PUT"],
            get(reference_edit::get).put(reference_edit::put),
        ),
    ]
}

/// The API routes, before state: staff routes behind authentication, the citizens' under their
/// budget. Bodies over the configured limit are refused with 413 before they are read whole.
pub fn routes(state: &AppState) -> Router<AppState> {
    let limit = state.config.max_body_bytes;
    let public = add(Router::new(), public_routes()).layer(crate::http_common::budget::layer(
        state.citizens.slots.clone(),
    ));
    let staff =
        add(Router::new(), staff_routes()).route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http_common::actor::authenticate,
        ));
    add(Router::new(), open_routes())
        .merge(public)
        .merge(staff)
        .layer(DefaultBodyLimit::max(limit))
}

/// The API alone, as a service (what tests and tools call in-process); a node serves it with the
/// pages through [`crate::web_router`].
pub fn router(state: AppState) -> Router {
    crate::http::finish(routes(&state), state)
}
