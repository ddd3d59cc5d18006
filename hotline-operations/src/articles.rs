//! The knowledge base's operations: search for a question (every node), an article, a draft and
//! its review steps (submit, publish, reject, withdraw, revise), and an article's use on a call.

use crate::Hotline;
use crate::Kind;
use crate::OpError;
use hotline_model::article::{
    ArticleAction, ArticleActor, ArticleContent, ArticleOrigin, ArticleRole, ArticleState, decide,
};
use hotline_model::role::{Role, User};
use replica_store::article_doc::ArticleView;
use search::{SearchParams, SearchResponse};
use serde::Deserialize;

pub fn article_actor(user: &User, state: &Hotline) -> ArticleActor {
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

fn today(state: &Hotline) -> time::Date {
    hotline_model::number::local_date(state.now())
}

/// The longest query searched: a longer text (a whole pasted message) is searched by its start.
pub const MAX_QUERY_CHARS: usize = 500;

/// Searches the knowledge base as `user` (the API and the intake page's live panel). Any length
/// of text is accepted; only its first [`MAX_QUERY_CHARS`] characters are searched.
pub async fn search_for(
    state: &Hotline,
    user: &User,
    mut params: SearchParams,
) -> Result<SearchResponse, OpError> {
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
    let kb = state
        .kb
        .clone()
        .ok_or_else(|| OpError::new(Kind::Unavailable, "unavailable", "知识库索引尚未就绪"))?;
    let resp = tokio::task::spawn_blocking(move || kb.index().search(&req))
        .await
        .map_err(|_| OpError::new(Kind::Internal, "internal", "服务器内部错误"))?
        .map_err(|e| {
            tracing::error!(error = %e, "search failed");
            OpError::new(Kind::Internal, "internal", "检索失败，请稍后重试")
        })?;
    Ok(resp)
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

fn refused(e: hotline_model::article::ArticleError) -> OpError {
    use hotline_model::article::ArticleError as E;
    match e {
        E::NotAllowed { .. } => OpError::forbidden(format!("无权操作：{e}")),
        other => OpError::new(
            Kind::Conflict,
            "workflow_rejected",
            format!("知识条目当前状态不允许该操作：{other}"),
        ),
    }
}

async fn record(
    state: &Hotline,
    user: &User,
    id: String,
    before: Option<ArticleState>,
    action: ArticleAction,
) -> Result<ArticleView, OpError> {
    let actor = article_actor(user, state);
    // Article events are ordered by time: never at or before the article's last event.
    let at_ms = before
        .as_ref()
        .map_or(state.now(), |b| state.now().max(b.updated_at_ms + 1));
    let event = decide(
        before.as_ref(),
        &actor,
        &state.settings.node_code,
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

/// Creates a draft as `user` (the API and the knowledge-base editor).
pub async fn create_article(
    state: &Hotline,
    user: &User,
    req: NewArticle,
) -> Result<ArticleView, OpError> {
    req.content.check_complete().map_err(|e| {
        OpError::new(
            Kind::Invalid,
            "invalid_field",
            format!("知识条目内容不完整：{e}"),
        )
    })?;
    if !state.refdata().org.contains(&req.content.unit) {
        return Err(OpError::unknown("unit", &req.content.unit));
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

/// Takes a review step on an article as `user` (the API and the knowledge-base editor).
pub async fn act_article(
    state: &Hotline,
    user: &User,
    id: &str,
    action: ArticleAction,
) -> Result<ArticleView, OpError> {
    let id = id.to_owned();
    if matches!(action, ArticleAction::Create { .. }) {
        return Err(OpError::bad_request(
            "请使用 POST /api/kb/articles 新建知识条目",
        ));
    }
    let before = state
        .store
        .article(id.clone())
        .await?
        .ok_or_else(|| OpError::not_found(&id))?;
    record(state, user, id, Some(before.state), action).await
}

/// An article (any staff member).
pub async fn article(state: &Hotline, id: &str) -> Result<ArticleView, OpError> {
    state
        .store
        .article(id.to_owned())
        .await?
        .ok_or_else(|| OpError::not_found(id))
}

/// An operator answered a call with article `id` (its popularity).
pub async fn mark_used(state: &Hotline, id: &str) -> Result<ArticleView, OpError> {
    if state.store.article(id.to_owned()).await?.is_none() {
        return Err(OpError::not_found(id));
    }
    Ok(state
        .store
        .bump_article(id.to_owned(), 1, state.now())
        .await?)
}
