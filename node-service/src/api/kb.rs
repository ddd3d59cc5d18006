//! Knowledge-base endpoints: search (every node), articles and their review steps.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hotline_model::article::{
    ArticleAction, ArticleActor, ArticleContent, ArticleOrigin, ArticleRole, ArticleState, decide,
};
use hotline_model::role::{Role, User};
use replica_store::article_doc::ArticleView;
use search::{SearchParams, SearchResponse};
use serde::Deserialize;

use super::actor::Actor;
use super::error::ApiError;
use crate::state::AppState;

pub fn article_actor(user: &User, state: &AppState) -> ArticleActor {
    let role = match user.role {
        Role::UnitInfoAdmin => ArticleRole::UnitInfoAdmin,
        Role::Operator => ArticleRole::Operator,
        Role::ShiftLeader => ArticleRole::ShiftLeader,
        Role::Supervisor => ArticleRole::Supervisor,
        _ => ArticleRole::Reader,
    };
    ArticleActor {
        login: user.login.clone(),
        unit: user.unit.clone(),
        at_centre: user.unit == state.refdata().org.root(),
        role,
    }
}

fn today(state: &AppState) -> time::Date {
    hotline_model::number::local_date(state.now())
}

/// `GET /api/kb/search?q=&limit=&unit=&category=&region=&include_expired=&include_unpublished=&facets=`.
pub async fn search(
    State(state): State<AppState>,
    Actor(user): Actor,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(format!("查询参数有误：{e}")))?;
    Ok(Json(search_for(&state, &user, params).await?))
}

/// The longest query searched: a longer text (a whole pasted message) is searched by its start.
pub const MAX_QUERY_CHARS: usize = 500;

/// Searches the knowledge base as `user` (the API and the intake page's live panel). Any length
/// of text is accepted; only its first [`MAX_QUERY_CHARS`] characters are searched.
pub async fn search_for(
    state: &AppState,
    user: &User,
    mut params: SearchParams,
) -> Result<SearchResponse, ApiError> {
    if params.q.chars().count() > MAX_QUERY_CHARS {
        params.q = params.q.chars().take(MAX_QUERY_CHARS).collect();
    }
    let mut req = params.into_request(today(state));
    if req.include_unpublished
        && !matches!(
            user.role,
            Role::ShiftLeader | Role::Supervisor | Role::UnitInfoAdmin
        )
    {
        req.include_unpublished = false;
    }
    let kb = state.kb.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "知识库索引尚未就绪",
        )
    })?;
    let resp = tokio::task::spawn_blocking(move || kb.index().search(&req))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "服务器内部错误",
            )
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "search failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "检索失败，请稍后重试",
            )
        })?;
    Ok(resp)
}

/// `GET /api/kb/articles/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Actor(_user): Actor,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    let view = state
        .store
        .article(id.clone())
        .await?
        .ok_or_else(|| ApiError::not_found(&id))?;
    Ok(Json(view))
}

/// `POST /api/kb/articles` body: a new draft.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    /// The first version.
    pub content: ArticleContent,
    /// The work order whose unanswered question it answers, if any.
    #[serde(default)]
    pub from_ticket: Option<String>,
}

fn refused(e: hotline_model::article::ArticleError) -> ApiError {
    use hotline_model::article::ArticleError as E;
    match e {
        E::NotAllowed { .. } => ApiError::forbidden(format!("无权操作：{e}")),
        other => ApiError::new(
            StatusCode::CONFLICT,
            "workflow_rejected",
            format!("知识条目当前状态不允许该操作：{other}"),
        ),
    }
}

async fn record(
    state: &AppState,
    user: &User,
    id: String,
    before: Option<ArticleState>,
    action: ArticleAction,
) -> Result<ArticleView, ApiError> {
    let actor = article_actor(user, state);
    // Article events are ordered by time: never at or before the article's last event.
    let at_ms = before
        .as_ref()
        .map_or(state.now(), |b| state.now().max(b.updated_at_ms + 1));
    let event = decide(
        before.as_ref(),
        &actor,
        &state.config.node_code,
        uuid::Uuid::new_v4(),
        at_ms,
        action,
    )
    .map_err(refused)?;
    let check_actor = actor.clone();
    let check_action = event.action.clone();
    let view = state
        .store
        .apply_article(id, event, move |st| {
            ArticleState::check(st, &check_actor, &check_action)
        })
        .await?;
    Ok(view)
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

/// Creates a draft as `user` (the API and the knowledge-base editor).
pub async fn create_article(
    state: &AppState,
    user: &User,
    req: NewArticle,
) -> Result<ArticleView, ApiError> {
    req.content.check_complete().map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!("知识条目内容不完整：{e}"),
        )
    })?;
    if !state.refdata().org.contains(&req.content.unit) {
        return Err(ApiError::unknown("unit", &req.content.unit));
    }
    let origin = match req.from_ticket {
        Some(t) => ArticleOrigin::UnansweredQuestion { ticket: Some(t) },
        None => ArticleOrigin::Authored,
    };
    let id = uuid::Uuid::new_v4().to_string();
    record(
        state,
        user,
        id,
        None,
        ArticleAction::Create {
            content: req.content,
            origin,
        },
    )
    .await
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

/// Takes a review step on an article as `user` (the API and the knowledge-base editor).
pub async fn act_article(
    state: &AppState,
    user: &User,
    id: &str,
    action: ArticleAction,
) -> Result<ArticleView, ApiError> {
    let id = id.to_owned();
    if matches!(action, ArticleAction::Create { .. }) {
        return Err(ApiError::bad_request(
            "请使用 POST /api/kb/articles 新建知识条目",
        ));
    }
    let before = state
        .store
        .article(id.clone())
        .await?
        .ok_or_else(|| ApiError::not_found(&id))?;
    record(state, user, id, Some(before.state), action).await
}

/// `POST /api/kb/articles/{id}/used`: an operator answered a call with this article (popularity).
pub async fn used(
    State(state): State<AppState>,
    Actor(_user): Actor,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    if state.store.article(id.clone()).await?.is_none() {
        return Err(ApiError::not_found(&id));
    }
    Ok(Json(state.store.bump_article(id, 1, state.now()).await?))
}
