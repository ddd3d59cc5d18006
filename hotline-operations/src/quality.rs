//! Quality scoring of calls (话务质检): the day's random sample for the supervisors, a
//! supervisor's score of a call checked against the centre's form, and the scores an operator sees
//! of their own calls.

use crate::Hotline;
use crate::Kind;
use crate::OpError;
use crate::calls::{CallItem, supervises};
use hotline_model::quality::{CallScore, percent, sampled};
use hotline_model::role::User;
use replica_store::calls::CallFilter;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Query of the sample.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleQuery {
    /// The day (`YYYY-MM-DD`, Beijing time; default today).
    pub date: Option<String>,
}

/// A call drawn for scoring, and its score once given.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SampledCall {
    /// The call, its orders and recording.
    #[serde(flatten)]
    pub item: CallItem,
    /// Its score, once scored.
    pub score: Option<CallScore>,
}

/// The day's sample.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Sample {
    /// The day.
    pub date: String,
    /// Answered calls that day.
    pub answered: u32,
    /// The share drawn (percent).
    pub percent: u32,
    /// The calls drawn, newest first.
    pub calls: Vec<SampledCall>,
}

fn must_supervise(user: &User) -> Result<(), OpError> {
    if supervises(user) {
        Ok(())
    } else {
        Err(OpError::forbidden("只有值班长和监督员可以质检评分"))
    }
}

/// The calls of a day drawn for scoring (answered calls with an operator), the day itself the
/// seed: the same day always draws the same calls.
pub async fn sample_for(
    state: &Hotline,
    user: &User,
    date: Option<String>,
) -> Result<Sample, OpError> {
    must_supervise(user)?;
    let day = match date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => hotline_model::period::parse_date(d)
            .ok_or_else(|| OpError::bad_request("日期格式应为 YYYY-MM-DD"))?,
        None => hotline_model::period::beijing_date(state.now()),
    };
    let (from, to) =
        hotline_model::period::Period::new(hotline_model::period::PeriodKind::Day, day, None)
            .map_err(OpError::bad_request)?
            .range_ms();
    let seed = hotline_model::period::ymd(day);
    let share = state.refdata().quality.sample_percent;
    let mut answered = 0u32;
    let mut drawn = Vec::new();
    let mut before = None;
    loop {
        let filter = CallFilter {
            operator: None,
            caller: None,
            from,
            to,
            before: before.clone(),
            limit: 500,
        };
        let page = state
            .store
            .read(move |c| replica_store::calls::list(c, &filter))
            .await?;
        let full = page.len() == 500;
        before = page.last().map(|c| (c.started_at, c.call_id.clone()));
        for call in page {
            if call.answered() && call.operator.is_some() {
                answered += 1;
                if sampled(&call.call_id, &seed, share) {
                    drawn.push(call);
                }
            }
        }
        if !full {
            break;
        }
    }
    let refdata = state.refdata();
    let rows = state
        .store
        .read(move |c| {
            let mut out = Vec::with_capacity(drawn.len());
            for call in drawn {
                let orders = replica_store::projection::orders_of_call(c, &call.call_id)?;
                let rec = replica_store::files::recording_of(c, &call.call_id)?.map(|r| r.0);
                let score = replica_store::quality::get(c, &call.call_id)?;
                out.push((call, orders, rec, score));
            }
            Ok(out)
        })
        .await?;
    let calls = rows
        .into_iter()
        .map(|(call, orders, recording_sha256, score)| SampledCall {
            item: CallItem::of(
                &refdata,
                call,
                orders,
                recording_sha256,
                score.as_ref().map(|s| s.percent),
            ),
            score,
        })
        .collect();
    Ok(Sample {
        date: seed,
        answered,
        percent: share,
        calls,
    })
}

/// A supervisor's score.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// Points per item code of the form.
    pub items: BTreeMap<String, u32>,
    /// What the operator should know.
    #[serde(default)]
    pub comment: String,
}

/// Scores a call (any answered call with an operator, drawn or not); scoring again replaces the
/// score.
pub async fn score_call(
    state: &Hotline,
    user: &User,
    call_id: &str,
    req: ScoreRequest,
) -> Result<CallScore, OpError> {
    must_supervise(user)?;
    let id = call_id.to_owned();
    let call = state
        .store
        .read(move |c| replica_store::calls::get(c, &id))
        .await?
        .ok_or_else(|| OpError::not_found("通话记录"))?;
    let (Some(operator), true) = (call.operator.clone(), call.answered()) else {
        return Err(OpError::new(
            Kind::Invalid,
            "not_scorable",
            "这通电话没有接通或没有话务员，无法质检",
        ));
    };
    if operator == user.login {
        return Err(OpError::forbidden("不能为自己的通话评分"));
    }
    let form = state.refdata().quality.clone();
    let pct = percent(&form, &req.items, &req.comment)
        .map_err(|m| OpError::new(Kind::Invalid, "invalid_score", m))?;
    let score = CallScore {
        call_id: call.call_id.clone(),
        operator,
        scorer: user.login.clone(),
        at: state.now(),
        items: req.items,
        comment: req.comment.trim().to_owned(),
        percent: pct,
    };
    let (kept, started) = (score.clone(), call.started_at);
    state
        .store
        .write(move |ctx| replica_store::quality::put(ctx.conn, &kept, started))
        .await?;
    Ok(score)
}

/// Query of the scores.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresQuery {
    /// One operator's (an operator always sees their own only).
    pub operator: Option<String>,
    /// Calls started at or after (Unix ms; default 30 days before `to`).
    pub from: Option<i64>,
    /// Calls started before (Unix ms; default now).
    pub to: Option<i64>,
}

/// The scores `user` may see: an operator their own, supervisors and leaders everyone's.
pub async fn scores_for(
    state: &Hotline,
    user: &User,
    q: ScoresQuery,
) -> Result<Vec<CallScore>, OpError> {
    let operator = crate::calls::reach(user, q.operator, "质检结果")?;
    let (from, to) = crate::stats::time_range(q.from, q.to, state.now())?;
    Ok(state
        .store
        .read(move |c| replica_store::quality::list(c, operator.as_deref(), from, to, 500))
        .await?)
}
