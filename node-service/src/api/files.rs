//! The files of an order through the API: `GET /api/tickets/{key}/files/{sha}` (range requests),
//! `POST /api/tickets/{key}/files?name=` (a unit's photo or PDF, the raw bytes as the body), and
//! the telephony's `PUT /api/telephony/recordings/{secret}/{call_id}` (a call's recording). The
//! rules are in [`crate::files`].

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use hotline_model::ticket::TicketView;
use serde::Deserialize;

use crate::files::{self, RecordingKept};
use crate::http_common::actor::Actor;
use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::inbound::body_or_refusal;
use crate::state::AppState;

/// `GET /api/tickets/{key}/files/{sha}`.
pub async fn get(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path((key, sha)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match files::open(&state, &user, &key, &sha).await {
        Ok(opened) => files::serve(opened, &headers).await,
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Query of an upload.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as shown.
    #[serde(default)]
    pub name: String,
}

/// `POST /api/tickets/{key}/files?name=`: attaches a photo or PDF; answers the order.
pub async fn attach(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(key): Path<String>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<TicketView>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    let bytes = body_or_refusal(bytes)?.to_vec();
    Ok(Json(
        files::attach(&state, &user, &key, &q.name, bytes).await?,
    ))
}

/// `PUT /api/telephony/recordings/{secret}/{call_id}`: the telephony delivers a call's recording.
pub async fn recording(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    Path((secret, call_id)): Path<(String, String)>,
    bytes: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<RecordingKept>, ApiError> {
    crate::inbound::admit(
        &state,
        state.config.telephony.cdr_secret.as_deref(),
        &secret,
        peer,
    )?;
    let bytes = body_or_refusal(bytes)?.to_vec();
    let kept = files::keep_recording(&state, &call_id, bytes).await?;
    tracing::info!(call = %call_id, orders = ?kept.orders, new = kept.new, "call recording kept");
    Ok(Json(kept))
}
