//! Route tables: each face lists its routes with their methods, so the router, the OpenAPI
//! description and the tests walk the same list.

use axum::Router;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// A route: its path, the methods it answers, and its handlers.
pub struct Route {
    /// The path pattern.
    pub path: &'static str,
    /// The methods it answers.
    pub methods: &'static [&'static str],
    /// The handlers.
    pub handler: MethodRouter<AppState>,
}

/// A route of a table.
pub fn route(
    path: &'static str,
    methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        path,
        methods,
        handler,
    }
}

/// Adds every route of a table to `router`.
pub fn add(router: Router<AppState>, routes: Vec<Route>) -> Router<AppState> {
    routes
        .into_iter()
        .fold(router, |r, route| r.route(route.path, route.handler))
}
