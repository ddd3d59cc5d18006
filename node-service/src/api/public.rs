//! The citizens' JSON endpoints (no login): filing a request, looking an order up, rating it, the
//! published results and the service commitments. Each calls the operation of [`crate::citizen`]
//! that the citizens' pages call too.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::citizen;
use crate::citizen::commitments::Commitments;
use crate::citizen::figures::RecentFigures;
use crate::citizen::lookup::PublicTicket;
use crate::citizen::published::{PublicResult, ResultPage};
use crate::citizen::rate::RateRequest;
use crate::citizen::submit::{Submission, Submitted};
use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// `POST /api/public/lookup` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// 工单编号.
    pub number: String,
    /// 查询码.
    pub code: String,
}

/// `POST /api/public/lookup`: what a citizen may see of an order.
pub async fn lookup(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<LookupRequest>, JsonRejection>,
) -> Result<Json<PublicTicket>, ApiError> {
    let Json(req) = body?;
    Ok(Json(
        citizen::lookup::lookup(&state, addr, &req.number, &req.code).await?,
    ))
}

/// `POST /api/public/rate`: the citizen's rating of an order (once).
pub async fn rate(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<RateRequest>, JsonRejection>,
) -> Result<Json<PublicTicket>, ApiError> {
    let Json(req) = body?;
    Ok(Json(citizen::rate::rate(&state, addr, req).await?))
}

/// `POST /api/public/requests`: files a request (web channel, no photos); answers 201 with the
/// ticket number, the query code and when a reply is expected.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<Submission>, JsonRejection>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let Json(sub) = body?;
    let done = citizen::submit::submit(&state, addr, sub, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// Query of the published results.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedQuery {
    /// Words to find in the results' titles.
    pub q: Option<String>,
    /// At most this many (default 20, at most 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// `GET /api/public/published`: the published results (公示), the latest first, a page at a time.
pub async fn published(
    State(state): State<AppState>,
    query: Result<Query<PublishedQuery>, QueryRejection>,
) -> Result<Json<ResultPage>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    Ok(Json(
        citizen::published::page(&state, q.q, q.after, q.limit.unwrap_or(20)).await?,
    ))
}

/// `GET /api/public/published/{number}`: one published result.
pub async fn published_one(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Json<PublicResult>, ApiError> {
    Ok(Json(citizen::published::one(&state, &number).await?))
}

/// `GET /api/public/figures/recent`: the last twelve months' figures by month, request type and
/// unit.
pub async fn recent_figures(
    State(state): State<AppState>,
) -> Result<Json<RecentFigures>, ApiError> {
    Ok(Json(
        citizen::figures::recent(&state).await?.as_ref().clone(),
    ))
}

/// `GET /api/public/commitments`: the units' service commitments.
pub async fn commitments(State(state): State<AppState>) -> Json<Commitments> {
    Json(citizen::commitments::all(&state))
}
