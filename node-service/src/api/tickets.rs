//! Ticket endpoints: register, read, list, act.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hotline_model::ticket::TicketView;
use replica_store::{TicketFilter, TicketSummary};
use serde_json::{Value, json};

use hotline_operations::tickets::{ActionRequest, CreateRequest, act_on, list_for, register, view};

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Registers a ticket; answers 201 with the ticket and the citizen's query code.
pub async fn create(
    State(state): State<AppState>,
    Actor(user): Actor,
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(req) = body?;
    let created = register(&state, &user, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "ticket": created.ticket, "query_code": created.query_code })),
    ))
}

/// `GET /api/tickets/{id or number}`.
pub async fn get(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(key): Path<String>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(view(&state, &user, &key).await?))
}

/// `GET /api/tickets?status=&unit=&phone=&subject=&due_before=&created_after=&created_before=&limit=&after=`: a page of
/// orders; when more may follow, the `X-Next-After` header holds the `after` of the next page.
pub async fn list(
    State(state): State<AppState>,
    Actor(user): Actor,
    query: Result<Query<TicketFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<(axum::http::HeaderMap, Json<Vec<TicketSummary>>), ApiError> {
    let Query(filter) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let (page, next) = list_for(&state, &user, filter).await?;
    let mut headers = axum::http::HeaderMap::new();
    if let Some(v) = next.and_then(|n| n.parse().ok()) {
        headers.insert("x-next-after", v);
    }
    Ok((headers, Json(page)))
}

/// `POST /api/tickets/{id or number}/actions`.
pub async fn act(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(key): Path<String>,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<Json<TicketView>, ApiError> {
    let Json(req) = body?;
    Ok(Json(act_on(&state, &user, &key, req).await?))
}
