//! One operator's day for the supervisors (监督管理): when they signed in and out, how long in
//! each state, their calls in and out, talk and after-call time, the orders they registered and
//! answered at once, and their calls' quality scores.

use crate::Hotline;
use crate::OpError;
use hotline_model::agent::{AgentDay, AgentState, day};
use hotline_model::period::{Period, PeriodKind, beijing_date, parse_date, ymd};
use hotline_model::role::{Role, User};
use hotline_model::topics::{Dimension, TopicFigures};
use serde::{Deserialize, Serialize};

/// Query of a day.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    /// The day (`YYYY-MM-DD`, Beijing time; default today).
    pub date: Option<String>,
}

/// An operator's day.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OperatorDay {
    /// The operator's login.
    pub login: String,
    /// Their name.
    pub name: String,
    /// The day.
    pub date: String,
    /// `[from, to)` of the day (Unix ms).
    pub from: i64,
    /// End of the day.
    pub to: i64,
    /// States over the day.
    pub states: AgentDay,
    /// Calls answered.
    pub calls_in: u32,
    /// Calls made.
    pub calls_out: u32,
    /// Seconds talked.
    pub talk_secs: u64,
    /// Seconds of after-call work.
    pub after_call_secs: u64,
    /// Orders registered.
    pub orders_registered: u32,
    /// Of them, answered at once (直接办结).
    pub answered_directly: u32,
    /// Calls scored, and their average percentage.
    pub scored: u32,
    /// The average score, if any.
    pub score_average: Option<f64>,
}

/// `login`'s day as `user` may see it: supervisors, shift leaders, leaders and inspectors see
/// every operator; an operator sees their own.
pub async fn day_for(
    state: &Hotline,
    user: &User,
    login: &str,
    date: Option<&str>,
) -> Result<OperatorDay, OpError> {
    crate::calls::reach(user, Some(login.to_owned()), "话务员工作情况")?;
    let refdata = state.refdata();
    let operator = refdata
        .user(login)
        .filter(|u| u.role == Role::Operator)
        .ok_or_else(|| OpError::not_found("话务员"))?
        .clone();
    let d = match date.filter(|d| !d.is_empty()) {
        Some(d) => parse_date(d).ok_or_else(|| OpError::bad_request("日期格式应为 YYYY-MM-DD"))?,
        None => beijing_date(state.now()),
    };
    let (from, to) = Period::new(PeriodKind::Day, d, None)
        .map_err(OpError::bad_request)?
        .range_ms();
    let who = login.to_owned();
    let (changes, calls, scores) = state
        .store
        .read(move |c| {
            Ok((
                replica_store::calls::states(c, &who, from, to)?,
                replica_store::calls::per_operator(c, from, to)?
                    .remove(&who)
                    .unwrap_or_default(),
                replica_store::quality::averages(c, from, to)?.remove(&who),
            ))
        })
        .await?;
    let key = Dimension::Operator.key(login);
    let counts = state
        .store
        .fact_sum(
            key.clone(),
            hotline_model::buckets::hour_of(from),
            hotline_model::buckets::hour_of(to),
        )
        .await?;
    let figures = TopicFigures::from_counts(&key, &counts);
    let states = day(&changes, from, to, state.now());
    Ok(OperatorDay {
        login: login.to_owned(),
        name: operator.name,
        date: ymd(d),
        from,
        to,
        after_call_secs: states.in_state(AgentState::AfterCall),
        states,
        calls_in: calls.inbound,
        calls_out: calls.outbound,
        talk_secs: calls.talk_secs,
        orders_registered: figures.received,
        answered_directly: figures.direct,
        scored: scores.map_or(0, |s| s.0),
        score_average: scores.map(|s| (s.1 * 10.0).round() / 10.0),
    })
}
