//! A unit's own text templates (常用语), kept by its staff at any node serving the unit; they are
//! offered under the matching action's form on the order page, after the built-in ones.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::event::ActionKind;
use replica_store::phrases_doc::Phrase;
use serde::Deserialize;
use web::{Choice, PhraseRow, PhrasesPage};

use super::format::{code_of, url_encode};
use super::{Done, Staff, error_page, layout, render};
use crate::state::AppState;
use hotline_operations::OpError;

/// The actions a template can be for.
pub const FOR: [ActionKind; 8] = [
    ActionKind::Reply,
    ActionKind::Return,
    ActionKind::RequestExtension,
    ActionKind::Transfer,
    ActionKind::Dispatch,
    ActionKind::Review,
    ActionKind::ReviewResult,
    ActionKind::Callback,
];

/// The longest template, in characters.
const MAX_CHARS: usize = 500;

/// `GET /staff/phrases`: the signed-in user's unit's templates.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<Done>,
) -> Response {
    let mut l = layout(&state, &user, "常用语", "/staff/phrases");
    l.flash = q.flash();
    let phrases = match state.store.phrases(user.unit.clone()).await {
        Ok(p) => p,
        Err(e) => return error_page(l, &OpError::from(e)),
    };
    let label = |a: &str| {
        FOR.iter()
            .find(|k| code_of(*k) == a)
            .map_or_else(|| a.to_owned(), |k| k.label().to_owned())
    };
    render(&PhrasesPage {
        rows: phrases
            .into_iter()
            .map(|p| PhraseRow {
                action: label(&p.action),
                id: p.id,
                text: p.text,
            })
            .collect(),
        actions: FOR
            .iter()
            .map(|k| Choice {
                value: code_of(k),
                label: k.label().into(),
                hint: String::new(),
                selected: false,
            })
            .collect(),
        l,
    })
}

/// A new template.
#[derive(Debug, Deserialize)]
pub struct NewPhrase {
    action: String,
    text: String,
}

fn back(text: &str) -> Response {
    Redirect::to(&format!("/staff/phrases?done={}", url_encode(text))).into_response()
}

/// `POST /staff/phrases`.
pub async fn add(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<NewPhrase>,
) -> Response {
    let text = f.text.trim();
    if text.is_empty() || text.chars().count() > MAX_CHARS {
        return back(&format!("未保存：常用语须为 1–{MAX_CHARS} 个字"));
    }
    if !FOR.iter().any(|k| code_of(k) == f.action) {
        return back("未保存：用途无效");
    }
    let phrase = Phrase {
        id: uuid::Uuid::new_v4().to_string(),
        action: f.action,
        text: text.to_owned(),
    };
    match state
        .store
        .put_phrase(user.unit.clone(), phrase, false, state.now())
        .await
    {
        Ok(_) => back("已保存"),
        Err(e) => back(&format!("未保存：{}", OpError::from(e).message)),
    }
}

/// `POST /staff/phrases/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
) -> Response {
    let held = match state.store.phrases(user.unit.clone()).await {
        Ok(p) => p.into_iter().find(|p| p.id == id),
        Err(e) => return back(&format!("未删除：{}", OpError::from(e).message)),
    };
    let Some(phrase) = held else {
        return back("未删除：该常用语不存在");
    };
    match state
        .store
        .put_phrase(user.unit.clone(), phrase, true, state.now())
        .await
    {
        Ok(_) => back("已删除"),
        Err(e) => back(&format!("未删除：{}", OpError::from(e).message)),
    }
}
