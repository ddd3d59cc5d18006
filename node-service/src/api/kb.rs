//! Knowledge-base endpoints: search (every node), articles and their review steps.

use crate::http_common::actor::Actor;
use crate::http_common::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hotline_model::article::ArticleAction;
pub use hotline_operations::articles::*;
use replica_store::article_doc::ArticleView;
use search::{SearchParams, SearchResponse};

/// `GET /api/kb/search?q=&limit=&unit=&category=&region=&include_expired=&include_unpublished=&facets=`.
pub async fn search(
    State(state): State<AppState>,
    Actor(user): Actor,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    Ok(Json(search_for(&state, &user, params).await?))
}

/// `GET /api/kb/articles/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Actor(_user): Actor,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    Ok(Json(article(&state, &id).await?))
}

/// Creates a draft (unit information admins for their unit, centre editors for any; operators from an
/// unanswered question).
pub async fn create(
    State(state): State<AppState>,
    Actor(user): Actor,
    body: Result<Json<NewArticle>, JsonRejection>,
) -> Result<(StatusCode, Json<ArticleView>), ApiError> {
    let Json(req) = body?;
    Ok((
        StatusCode::CREATED,
        Json(create_article(&state, &user, req).await?),
    ))
}

/// `POST /api/kb/articles/{id}/actions` with `{"type": "submit" | "publish" | "reject" | "withdraw" | "revise", …}`.
pub async fn act(
    State(state): State<AppState>,
    Actor(user): Actor,
    Path(id): Path<String>,
    body: Result<Json<ArticleAction>, JsonRejection>,
) -> Result<Json<ArticleView>, ApiError> {
    let Json(action) = body?;
    Ok(Json(act_article(&state, &user, &id, action).await?))
}

/// `POST /api/kb/articles/{id}/used`: an operator answered a call with this article (popularity).
pub async fn used(
    State(state): State<AppState>,
    Actor(_user): Actor,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    Ok(Json(mark_used(&state, &id).await?))
}
