//! The operators' callback list (回访名单): the orders to phone now, the longest waiting first.
//! The same operation as `GET /api/callbacks`; the call's outcome is recorded on the order page.

use axum::extract::{Query, State};
use axum::response::Response;
use web::{CallbackRow, CallbacksPage};

use super::format::local_time;
use super::{Staff, layout, render};
use crate::state::AppState;
use hotline_operations::callbacks::{CallbackQuery, page as callbacks_page};

/// `GET /staff/callbacks`.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let l = layout(&state, &user, "回访名单", "/staff/callbacks");
    let v = match callbacks_page(&state, &user, q).await {
        Ok(v) => v,
        Err(e) => return super::error_page(l, &e),
    };
    let rows = v
        .items
        .into_iter()
        .map(|i| CallbackRow {
            number: i.ticket.number,
            title: i.ticket.title,
            reason: i.reason,
            kind: i.kind,
            since: local_time(i.since),
        })
        .collect();
    render(&CallbacksPage {
        l,
        count: v.count,
        rows,
        next: v.next,
    })
}
