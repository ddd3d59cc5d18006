//! The knowledge-base editor: articles by status, a new draft, an article's versions with the
//! difference between two of them, and the review steps (submit, publish, reject, withdraw,
//! revise). Units' information admins work on their unit's articles, the centre on all; every step
//! is `api::kb::{create_article, act_article}`, as through the API, and a step is offered only
//! when the model's `ArticleState::check` allows it.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::article::{ArticleAction, ArticleContent, ArticleState, ArticleStatus};
use hotline_model::role::{Role, User};
use serde::Deserialize;
use web::{
    ArticleRow, ArticleValues, DiffPiece, Fact, FieldDiff, Flash, KbAction, KbArticlePage,
    KbListPage, Tab, VersionRow,
};

use super::diff::{Piece, diff};
use super::format::{local_time, unit_name, url_encode, user_name};
use super::{Staff, error_page, layout, render};
use crate::state::AppState;
use hotline_operations::OpError;
use hotline_operations::articles::{NewArticle, act_article, article_actor, create_article};

const TABS: [(&str, &str); 5] = [
    ("draft", "草稿"),
    ("in_review", "待审核"),
    ("published", "已发布"),
    ("expired", "已过期"),
    ("withdrawn", "已撤回"),
];

fn status_label(s: ArticleStatus) -> &'static str {
    TABS.iter()
        .find(|(c, _)| *c == s.code())
        .map_or("未知", |(_, l)| l)
}

fn today(state: &AppState) -> time::Date {
    hotline_model::number::local_date(state.now())
}

/// Whether `user` edits articles of `unit`: the centre's editors every unit, a unit's information
/// admin their own subtree.
fn edits(state: &AppState, user: &User, unit: &str) -> bool {
    let rd = state.refdata();
    match user.role {
        Role::ShiftLeader | Role::Supervisor => user.unit == rd.org.root(),
        Role::UnitInfoAdmin => rd.org.is_within(unit, &user.unit),
        _ => false,
    }
}

/// `?tab=` of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    tab: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// `GET /staff/kb`.
pub async fn list(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let mut l = layout(&state, &user, "知识库维护", "/staff/kb");
    l.flash = q.done.map(|d| Flash {
        kind: "ok",
        text: d,
    });
    let changes = match state.store.articles_since(0, 100_000).await {
        Ok(c) => c,
        Err(e) => return error_page(l, &OpError::from(e)),
    };
    let day = today(&state);
    let rd = state.refdata();
    let mine: Vec<_> = changes
        .into_iter()
        .filter_map(|(_, c)| match c {
            replica_store::article_doc::ArticleChange::Changed(v) => Some(v),
            replica_store::article_doc::ArticleChange::Removed(_) => None,
        })
        .filter(|v| edits(&state, &user, v.state.unit()))
        .collect();
    let tab = q.tab.unwrap_or_else(|| {
        if user.role == Role::UnitInfoAdmin {
            "draft".into()
        } else {
            "in_review".into()
        }
    });
    let tabs = TABS
        .iter()
        .map(|(code, label)| Tab {
            href: format!("/staff/kb?tab={code}"),
            label: (*label).into(),
            count: Some(
                mine.iter()
                    .filter(|v| v.state.status_on(day).code() == *code)
                    .count() as i64,
            ),
            current: *code == tab,
        })
        .collect();
    let mut rows: Vec<_> = mine
        .iter()
        .filter(|v| v.state.status_on(day).code() == tab)
        .collect();
    rows.sort_by_key(|v| std::cmp::Reverse(v.state.updated_at_ms));
    let rows = rows
        .into_iter()
        .take(200)
        .map(|v| ArticleRow {
            id: v.id.clone(),
            question: v.state.latest().content.question.clone(),
            unit: unit_name(&rd, v.state.unit()),
            status: status_label(v.state.status_on(day)).into(),
            versions: v.state.versions.len(),
            updated: local_time(v.state.updated_at_ms),
        })
        .collect();
    let may_write = matches!(
        user.role,
        Role::UnitInfoAdmin | Role::ShiftLeader | Role::Supervisor
    );
    let units = super::format::unit_choices(&rd, &user.unit, false, &user.unit);
    render(&KbListPage {
        l,
        tabs,
        rows,
        units,
        may_write,
    })
}

/// An article form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    alternatives: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

fn content(
    f: &ArticleForm,
    unit: &str,
    base: Option<&ArticleContent>,
) -> Result<ArticleContent, String> {
    let valid_until = match f.valid_until.trim() {
        "" => None,
        d => Some(
            time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| "有效期须为日期，如 2027-12-31".to_owned())?,
        ),
    };
    Ok(ArticleContent {
        question: f.question.trim().to_owned(),
        alternatives: f
            .alternatives
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        answer: f.answer.trim().to_owned(),
        keywords: f
            .keywords
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        unit: unit.to_owned(),
        category: f.category.trim().to_owned(),
        region: base.and_then(|b| b.region.clone()),
        valid_from: base.and_then(|b| b.valid_from),
        valid_until,
    })
}

/// `POST /staff/kb/articles`: a new draft.
pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<ArticleForm>,
) -> Response {
    let back = |msg: String| {
        Redirect::to(&format!("/staff/kb?tab=draft&done={}", url_encode(&msg))).into_response()
    };
    let c = match content(&f, f.unit.trim(), None) {
        Ok(c) => c,
        Err(m) => return back(format!("未保存：{m}")),
    };
    match create_article(
        &state,
        &user,
        NewArticle {
            content: c,
            from_ticket: None,
        },
    )
    .await
    {
        Ok(v) => Redirect::to(&format!(
            "/staff/kb/articles/{}?done={}",
            v.id,
            url_encode("已保存为草稿")
        ))
        .into_response(),
        Err(e) => back(format!("未保存：{}", e.message)),
    }
}

/// `?a=&b=&done=` of an article page.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleQuery {
    #[serde(default)]
    a: Option<u32>,
    #[serde(default)]
    b: Option<u32>,
    #[serde(default)]
    done: Option<String>,
}

fn pieces(old: &str, new: &str) -> Vec<DiffPiece> {
    diff(old, new)
        .into_iter()
        .map(|p| match p {
            Piece::Same(t) => DiffPiece {
                kind: "same",
                text: t,
            },
            Piece::Removed(t) => DiffPiece {
                kind: "removed",
                text: t,
            },
            Piece::Added(t) => DiffPiece {
                kind: "added",
                text: t,
            },
        })
        .collect()
}

fn fields(c: &ArticleContent) -> [(&'static str, String); 6] {
    [
        ("问题", c.question.clone()),
        ("其他问法", c.alternatives.join("\n")),
        ("答复口径", c.answer.clone()),
        ("关键词", c.keywords.join(" ")),
        ("类别", c.category.clone()),
        (
            "有效期至",
            c.valid_until.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ]
}

/// The review steps `user` may take on `st` now.
fn steps(state: &AppState, user: &User, st: &ArticleState) -> Vec<KbAction> {
    let actor = article_actor(user, state);
    let x = || "x".to_owned();
    [
        (ArticleAction::Submit, "submit", "提交审核", false),
        (ArticleAction::Publish, "publish", "审核通过并发布", false),
        (
            ArticleAction::Reject { reason: x() },
            "reject",
            "退回修改",
            true,
        ),
        (
            ArticleAction::Withdraw { reason: x() },
            "withdraw",
            "撤回",
            true,
        ),
    ]
    .into_iter()
    .filter(|(a, ..)| ArticleState::check(Some(st), &actor, a).is_ok())
    .map(|(_, code, label, reason)| KbAction {
        code: code.into(),
        label: label.into(),
        reason,
    })
    .collect()
}

/// `GET /staff/kb/articles/{id}`.
pub async fn article(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
    Query(q): Query<ArticleQuery>,
) -> Response {
    let mut l = layout(&state, &user, "知识条目", "/staff/kb");
    l.flash = q.done.clone().map(|d| Flash {
        kind: "ok",
        text: d,
    });
    let v = match state.store.article(id.clone()).await {
        Ok(Some(v)) => v,
        Ok(None) => return error_page(l, &OpError::not_found(&format!("知识条目 {id}"))),
        Err(e) => return error_page(l, &OpError::from(e)),
    };
    let rd = state.refdata();
    let st = &v.state;
    let latest = &st.latest().content;
    l.title = format!("知识条目：{}", latest.question);
    let mut facts: Vec<Fact> = fields(latest)
        .into_iter()
        .map(|(label, value)| Fact {
            label: label.into(),
            value,
        })
        .collect();
    facts.insert(
        0,
        Fact {
            label: "所属单位".into(),
            value: unit_name(&rd, &latest.unit),
        },
    );
    let n = st.versions.len() as u32;
    let (a, b) = match (q.a, q.b) {
        (Some(a), Some(b)) if a != b && a >= 1 && b >= 1 && a.max(b) <= n => (a.min(b), a.max(b)),
        _ => (n.saturating_sub(1), n),
    };
    let version = |k: u32| st.versions.iter().find(|x| x.number == k);
    let (compared, diff) = match (version(a), version(b)) {
        (Some(va), Some(vb)) if a >= 1 => {
            let d = fields(&va.content)
                .into_iter()
                .zip(fields(&vb.content))
                .filter(|((_, x), (_, y))| x != y)
                .map(|((label, x), (_, y))| FieldDiff {
                    label: label.into(),
                    pieces: pieces(&x, &y),
                })
                .collect();
            (Some((a, b)), d)
        }
        _ => (None, Vec::new()),
    };
    let versions = st
        .versions
        .iter()
        .rev()
        .map(|x| VersionRow {
            number: x.number,
            author: user_name(&rd, &x.author),
            at: local_time(x.at_ms),
            live: st.live_version == Some(x.number),
        })
        .collect();
    let actor = article_actor(&user, &state);
    let revise_check = ArticleAction::Revise {
        content: latest.clone(),
        note: "x".into(),
    };
    let revise = ArticleState::check(Some(st), &actor, &revise_check)
        .is_ok()
        .then(|| ArticleValues {
            question: latest.question.clone(),
            alternatives: latest.alternatives.join("\n"),
            answer: latest.answer.clone(),
            keywords: latest.keywords.join(" "),
            category: latest.category.clone(),
            region: latest.region.clone().unwrap_or_default(),
            valid_until: latest
                .valid_until
                .map(|d| d.to_string())
                .unwrap_or_default(),
        });
    let now_status = st.status_on(today(&state));
    let status = match (st.live_version, now_status) {
        (Some(live), ArticleStatus::Draft | ArticleStatus::InReview) => format!(
            "第 {live} 版已发布；新修订{}",
            if now_status == ArticleStatus::Draft {
                "为草稿"
            } else {
                "待审核"
            }
        ),
        _ => status_label(now_status).into(),
    };
    render(&KbArticlePage {
        status,
        actions: steps(&state, &user, st),
        last_reason: st.last_reason.clone(),
        id: v.id.clone(),
        facts,
        versions,
        compared,
        diff,
        revise,
        l,
    })
}

/// `POST /staff/kb/articles/{id}/act`.
pub async fn act(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
    Form(f): Form<ArticleForm>,
) -> Response {
    let reason = f.reason.trim().to_owned();
    let action = match f.action.as_str() {
        "submit" => Ok(ArticleAction::Submit),
        "publish" => Ok(ArticleAction::Publish),
        "reject" => Ok(ArticleAction::Reject { reason }),
        "withdraw" => Ok(ArticleAction::Withdraw { reason }),
        "revise" => match state.store.article(id.clone()).await {
            Ok(Some(v)) => {
                let base = v.state.latest().content.clone();
                content(&f, &base.unit, Some(&base)).map(|content| ArticleAction::Revise {
                    content,
                    note: f.note.trim().to_owned(),
                })
            }
            _ => Err("知识条目不存在".to_owned()),
        },
        _ => Err("未知的操作".to_owned()),
    };
    let label = match f.action.as_str() {
        "submit" => "提交审核",
        "publish" => "发布",
        "reject" => "退回修改",
        "withdraw" => "撤回",
        _ => "修订",
    };
    let result = match action {
        Ok(a) => act_article(&state, &user, &id, a)
            .await
            .map_err(|e| e.message),
        Err(m) => Err(m),
    };
    let text = match result {
        Ok(_) => format!("已{label}"),
        Err(m) => format!("{label}未完成：{m}"),
    };
    Redirect::to(&format!(
        "/staff/kb/articles/{id}?done={}",
        url_encode(&text)
    ))
    .into_response()
}
