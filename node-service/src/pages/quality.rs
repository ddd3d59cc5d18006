//! 质检: the day's random sample of calls for supervisors and shift leaders, the scoring form of
//! one call with its recording, and an operator's own scores. The same operations as the JSON API
//! (`api/quality.rs`).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::call::talk_time;
use web::{Flash, QualityPage, QualityRow, ScoreItem, ScorePage};

use super::format::{local_time, url_encode, user_name};
use super::{Staff, error_page, layout, render};
use crate::state::AppState;
use hotline_operations::calls::supervises;
use hotline_operations::quality::{ScoreRequest, ScoresQuery, sample_for, score_call, scores_for};

/// `?date=&done=`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListParams {
    date: Option<String>,
    done: Option<String>,
}

fn percent(p: f64) -> String {
    format!("{p:.1}%")
}

/// `GET /staff/quality`: the sample (supervisors) or one's own scores (operators).
pub async fn list(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "质检", "/staff/quality");
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    l.flash = p.done.map(|text| Flash { kind: "ok", text });
    let refdata = state.refdata();
    if supervises(&user) {
        let sample = match sample_for(&state, &user, p.date).await {
            Ok(s) => s,
            Err(e) => return error_page(l, &e),
        };
        let scored = sample.calls.iter().filter(|c| c.score.is_some()).count();
        let rows = sample
            .calls
            .into_iter()
            .map(|c| QualityRow {
                call_id: c.item.call.call_id.clone(),
                started: local_time(c.item.call.started_at),
                operator: c
                    .item
                    .operator_name
                    .clone()
                    .or(c.item.call.operator.clone())
                    .unwrap_or_default(),
                caller: c.item.call.caller.clone(),
                talk: talk_time(u64::from(c.item.call.talk_secs)),
                orders: c.item.orders.clone(),
                recorded: c.item.recording_sha256.is_some(),
                score: c.score.as_ref().map(|s| percent(s.percent)),
                comment: c
                    .score
                    .as_ref()
                    .map(|s| s.comment.clone())
                    .unwrap_or_default(),
                scored_by: c
                    .score
                    .as_ref()
                    .map(|s| format!("{} {}", user_name(&refdata, &s.scorer), local_time(s.at)))
                    .unwrap_or_default(),
            })
            .collect::<Vec<_>>();
        let summary = format!(
            "{} 共接通 {} 通电话，按 {}% 随机抽取 {} 通，已评 {} 通。同一天的抽样结果固定不变。",
            sample.date,
            sample.answered,
            sample.percent,
            rows.len(),
            scored
        );
        l.title = format!("质检 · {}", sample.date);
        return render(&QualityPage {
            l,
            supervising: true,
            date: sample.date,
            summary,
            rows,
        });
    }
    let scores = match scores_for(&state, &user, ScoresQuery::default()).await {
        Ok(s) => s,
        Err(e) => return error_page(l, &e),
    };
    let average = if scores.is_empty() {
        "—".to_owned()
    } else {
        percent(scores.iter().map(|s| s.percent).sum::<f64>() / scores.len() as f64)
    };
    let ids: Vec<String> = scores.iter().map(|s| s.call_id.clone()).collect();
    let calls = state
        .store
        .read(move |c| {
            let mut out = BTreeMap::new();
            for id in ids {
                if let Some(call) = replica_store::calls::get(c, &id)? {
                    let orders = replica_store::projection::orders_of_call(c, &id)?;
                    out.insert(id, (call, orders));
                }
            }
            Ok(out)
        })
        .await
        .unwrap_or_default();
    let rows = scores
        .iter()
        .map(|s| {
            let (call, orders) = calls
                .get(&s.call_id)
                .cloned()
                .map_or((None, Vec::new()), |(c, o)| (Some(c), o));
            QualityRow {
                call_id: s.call_id.clone(),
                started: call
                    .as_ref()
                    .map(|c| local_time(c.started_at))
                    .unwrap_or_default(),
                operator: user.name.clone(),
                caller: call.as_ref().map(|c| c.caller.clone()).unwrap_or_default(),
                talk: call
                    .as_ref()
                    .map(|c| talk_time(u64::from(c.talk_secs)))
                    .unwrap_or_default(),
                orders,
                recorded: false,
                score: Some(percent(s.percent)),
                comment: s.comment.clone(),
                scored_by: format!("{} {}", user_name(&refdata, &s.scorer), local_time(s.at)),
            }
        })
        .collect::<Vec<_>>();
    let summary = format!(
        "近 30 天共有 {} 通电话被质检，平均得分 {average}。",
        rows.len()
    );
    l.title = "我的质检".into();
    render(&QualityPage {
        l,
        supervising: false,
        date: String::new(),
        summary,
        rows,
    })
}

/// The scoring page of a call, with the points given (or to give) and a message.
async fn score_page(
    state: &AppState,
    user: &hotline_model::role::User,
    call_id: &str,
    given: Option<(BTreeMap<String, u32>, String)>,
    flash: Option<Flash>,
) -> Response {
    let mut l = layout(state, user, "质检评分", "/staff/quality");
    l.flash = flash;
    if !supervises(user) {
        return error_page(
            l,
            &hotline_operations::OpError::forbidden("只有值班长和监督员可以质检评分"),
        );
    }
    let id = call_id.to_owned();
    let found = state
        .store
        .read(move |c| {
            Ok((
                replica_store::calls::get(c, &id)?,
                replica_store::projection::orders_of_call(c, &id)?,
                replica_store::files::recording_of(c, &id)?,
                replica_store::quality::get(c, &id)?,
            ))
        })
        .await;
    let (call, orders, recording, score) = match found {
        Ok((Some(call), o, r, s)) => (call, o, r, s),
        Ok(_) => {
            return error_page(l, &hotline_operations::OpError::not_found("通话记录"));
        }
        Err(e) => return error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let refdata = state.refdata();
    let (points, comment) = given.unwrap_or_else(|| {
        score
            .as_ref()
            .map(|s| (s.items.clone(), s.comment.clone()))
            .unwrap_or_default()
    });
    let form = &refdata.quality;
    let operator = call
        .operator
        .as_deref()
        .map(|o| user_name(&refdata, o))
        .unwrap_or_default();
    render(&ScorePage {
        l,
        items: form
            .items
            .iter()
            .map(|i| ScoreItem {
                code: i.code.clone(),
                name: i.name.clone(),
                max: i.points,
                given: points.get(&i.code).map(u32::to_string).unwrap_or_default(),
            })
            .collect(),
        comment,
        max: form.max_points(),
        date: hotline_model::period::ymd(hotline_model::period::beijing_date(call.started_at)),
        call: QualityRow {
            call_id: call.call_id.clone(),
            started: local_time(call.started_at),
            operator,
            caller: call.caller.clone(),
            talk: talk_time(u64::from(call.talk_secs)),
            orders,
            recorded: recording.is_some(),
            score: score.as_ref().map(|s| percent(s.percent)),
            comment: String::new(),
            scored_by: String::new(),
        },
    })
}

/// `GET /staff/quality/{call_id}`.
pub async fn form(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(call_id): Path<String>,
) -> Response {
    score_page(&state, &user, &call_id, None, None).await
}

/// `POST /staff/quality/{call_id}`: `item.<code>=points`, `comment`.
pub async fn save(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(call_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let mut items = BTreeMap::new();
    let mut comment = String::new();
    let mut date = String::new();
    let mut unreadable = None;
    for (k, v) in &pairs {
        if let Some(code) = k.strip_prefix("item.") {
            match v.trim().parse::<u32>() {
                Ok(p) => {
                    items.insert(code.to_owned(), p);
                }
                Err(_) => unreadable = Some(format!("「{v}」不是分数，请填写整数")),
            }
        } else if k == "comment" {
            comment = v.clone();
        } else if k == "date" && hotline_model::period::parse_date(v).is_some() {
            date = v.clone();
        }
    }
    let result = match unreadable {
        Some(m) => Err(m),
        None => score_call(
            &state,
            &user,
            &call_id,
            ScoreRequest {
                items: items.clone(),
                comment: comment.clone(),
            },
        )
        .await
        .map_err(|e| e.message),
    };
    match result {
        Ok(s) => Redirect::to(&format!(
            "/staff/quality?date={date}&done={}",
            url_encode(&format!("已保存评分：{:.1}%", s.percent))
        ))
        .into_response(),
        Err(m) => {
            let flash = Flash {
                kind: "error",
                text: format!("评分未保存：{m}"),
            };
            let mut resp =
                score_page(&state, &user, &call_id, Some((items, comment)), Some(flash)).await;
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
    }
}
