//! A user's messages (消息): their unit's assignments, urges, supervisions and the like, unread in
//! bold, each linking to its order (opening it marks it read); the unread count shows beside the
//! navigation entry on every page. The same operations as `/api/messages`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use web::{MessageRow, MessagesPage};

use super::format::local_time;
use super::{Staff, layout, render};
use crate::state::AppState;
use hotline_operations::messages::{
    MessageQuery, ReadRequest, mark, page as messages_page, unread,
};

/// `GET /staff/messages`.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<MessageQuery>,
) -> Response {
    let l = layout(&state, &user, "消息", "/staff/messages");
    let v = match messages_page(&state, &user, q).await {
        Ok(v) => v,
        Err(e) => return super::error_page(l, &e),
    };
    let rows = v
        .items
        .into_iter()
        .map(|e| MessageRow {
            event_id: e.event_id,
            number: e.number,
            title: e.title,
            what: e.what,
            when: local_time(e.at),
            urgent: e.urgent,
            read: e.read,
        })
        .collect();
    render(&MessagesPage {
        l,
        unread: v.unread,
        rows,
        next: v.next,
    })
}

/// `GET /staff/messages/unread`: the badge's text (empty when nothing is unread).
pub async fn badge(State(state): State<AppState>, Staff(user): Staff) -> Response {
    match unread(&state, &user).await {
        Ok(0) | Err(_) => String::new().into_response(),
        Ok(n) if n > 99 => "99+".into_response(),
        Ok(n) => n.to_string().into_response(),
    }
}

/// Which message is opened.
#[derive(Debug, Deserialize)]
pub struct Open {
    event: String,
    number: String,
}

/// `GET /staff/messages/open?event=&number=`: marks it read and shows the order.
pub async fn open(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(o): Query<Open>,
) -> Response {
    let req = ReadRequest {
        events: vec![o.event],
        all: false,
    };
    if let Err(e) = mark(&state, &user, req).await {
        tracing::warn!(error = %e.message, "message not marked read");
    }
    let number: String = o
        .number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Redirect::to(&format!("/staff/orders/{number}")).into_response()
}

/// `POST /staff/messages/read-all`.
pub async fn read_all(State(state): State<AppState>, Staff(user): Staff) -> Response {
    let req = ReadRequest {
        events: vec![],
        all: true,
    };
    if let Err(e) = mark(&state, &user, req).await {
        return super::error_page(layout(&state, &user, "消息", "/staff/messages"), &e);
    }
    Redirect::to("/staff/messages").into_response()
}
