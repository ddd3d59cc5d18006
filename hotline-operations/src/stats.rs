//! The assessment of member units (考核) for a period, from the running totals this node keeps of
//! its orders' facts (at the hub: all orders); the same numbers as recomputing from the orders
//! (`hotline_model::assessment::assess`), with the composite score by the centre's weights and the
//! rank. Centre staff may ask for any subtree; a member unit's staff for their own subtree only.
//!
//! The statistics pages, the JSON API and the Excel export call the same functions.

use crate::Hotline;
use crate::OpError;
use hotline_model::assessment::{UnitFigures, composite};
use hotline_model::period::{Period, PeriodKind, parse_date};
use hotline_model::role::User;
use replica_store::projection::TicketSummary;
use serde::{Deserialize, Serialize};

/// Query parameters: the period as `[from, to)` in Unix ms, or as `period` (`day`, `week`,
/// `month`, `quarter`, `year`, `custom`) around `date` (`YYYY-MM-DD`; `custom` ends at `end`);
/// and the subtree whose units are listed (default: the caller's reach).
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Start of an explicit range (Unix ms, inclusive), with `to`.
    pub from: Option<i64>,
    /// End of an explicit range (Unix ms, exclusive), with `from`.
    pub to: Option<i64>,
    /// A named period: `day`, `week`, `month`, `quarter`, `year` or `custom` (Beijing time).
    pub period: Option<String>,
    /// A day of the named period, `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
    /// The last day of a range of whole days, `YYYY-MM-DD`, with `date` as its first.
    pub end: Option<String>,
    /// The unit whose subtree is listed (default: the caller's reach).
    pub root: Option<String>,
    /// Each unit with its whole subtree's work (本级及下级) rather than its own.
    pub rollup: Option<bool>,
}

const DAY_MS: i64 = 86_400_000;

/// One unit's row of the assessment.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UnitRow {
    /// The counts and rates.
    #[serde(flatten)]
    pub figures: UnitFigures,
    /// The unit's name.
    pub name: Option<String>,
    /// The composite score out of 100 (none without any rate).
    pub score: Option<f64>,
    /// Rank by score (1 = best; none without a score).
    pub rank: Option<u32>,
}

/// The assessment of a subtree for a period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UnitReport {
    /// Start (Unix ms, widened to the Beijing day).
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// The period in words (when given as a period).
    pub label: String,
    /// The subtree.
    pub root: String,
    /// Units with any figure, best score first.
    pub units: Vec<UnitRow>,
}

/// The period `kind` (`day` … `custom`) around `date` (default: today in Beijing), ending at
/// `end` for a custom period.
pub fn named_period(
    kind: Option<&str>,
    date: Option<&str>,
    end: Option<&str>,
    now: i64,
) -> Result<Period, OpError> {
    let kind = PeriodKind::parse(kind.unwrap_or("month")).ok_or_else(|| {
        OpError::bad_request("统计周期只能是 day、week、month、quarter、year 或 custom")
    })?;
    let date = match date.filter(|d| !d.is_empty()) {
        Some(d) => parse_date(d).ok_or_else(|| OpError::bad_request("日期格式应为 YYYY-MM-DD"))?,
        None => hotline_model::period::beijing_date(now),
    };
    let end = match end.filter(|d| !d.is_empty()) {
        Some(d) => {
            Some(parse_date(d).ok_or_else(|| OpError::bad_request("截止日期格式应为 YYYY-MM-DD"))?)
        }
        None => None,
    };
    // Statistics run from 1970 (orders' times are Unix time) to well before the calendar's end.
    if [Some(date), end]
        .iter()
        .flatten()
        .any(|d| !(1970..=9000).contains(&d.year()))
    {
        return Err(OpError::bad_request("统计日期须在 1970 至 9000 年之间"));
    }
    Period::new(kind, date, end).map_err(OpError::bad_request)
}

/// The period `[from, to)` and its label a query asks for.
pub fn period_of(q: &StatsQuery, now: i64) -> Result<(i64, i64, String), OpError> {
    if q.period.is_some() {
        let p = named_period(
            q.period.as_deref(),
            q.date.as_deref(),
            q.end.as_deref(),
            now,
        )?;
        let (from, to) = p.range_ms();
        return Ok((from, to, p.label()));
    }
    let (from, to) = time_range(q.from, q.to, now)?;
    Ok((from, to, String::new()))
}

/// A range `[from, to)` given in Unix ms, by default the 30 days up to and including now: both
/// between 1970 and 9999 (anything else is not a time here, and would overflow), `from` first.
pub fn time_range(from: Option<i64>, to: Option<i64>, now: i64) -> Result<(i64, i64), OpError> {
    let to = to.unwrap_or(now + 1);
    let from = from.unwrap_or(to.saturating_sub(30 * DAY_MS));
    const LATEST: i64 = 253_402_300_799_999;
    if !(0..=LATEST).contains(&from) || !(0..=LATEST).contains(&to) {
        return Err(OpError::bad_request(
            "时间须为 1970 至 9999 年之间的毫秒时间戳",
        ));
    }
    if from >= to {
        return Err(OpError::bad_request("起始时间须早于截止时间"));
    }
    Ok((from, to))
}

/// The subtree `user` may see statistics of.
fn reach(state: &Hotline, user: &User) -> String {
    if user.role.is_centre() {
        state.refdata().org.root().to_owned()
    } else {
        user.unit.clone()
    }
}

/// Checks that `user` may see `unit`'s figures.
fn may_see(state: &Hotline, user: &User, unit: &str) -> Result<(), OpError> {
    let refdata = state.refdata();
    if !refdata.org.contains(unit) {
        return Err(OpError::unknown("unit", unit));
    }
    if !refdata.org.is_within(unit, &reach(state, user)) {
        return Err(OpError::forbidden("只能查看本单位及下级单位的考核数据"));
    }
    Ok(())
}

/// The assessment a query asks for (the API, the page and the Excel export).
pub async fn unit_report(
    state: &Hotline,
    user: &User,
    q: &StatsQuery,
) -> Result<UnitReport, OpError> {
    let now = state.now();
    let (from, to, label) = period_of(q, now)?;
    let refdata = state.refdata();
    let org = &refdata.org;
    let root = q.root.clone().unwrap_or_else(|| reach(state, user));
    may_see(state, user, &root)?;
    // From the running totals, kept per day: the period is widened to whole Beijing days.
    let hour = replica_store::projection::HOUR_MS;
    let (from_hour, to_hour) =
        hotline_model::buckets::whole_days(from.div_euclid(hour), (to + hour - 1).div_euclid(hour));
    let units: Vec<String> = org.subtree(&root).map(|u| u.code.clone()).collect();
    let totals = state
        .store
        .unit_totals(units, from_hour, to_hour, now)
        .await?;
    let weights = &refdata.score_weights;
    let figures = if q.rollup == Some(true) {
        let per_unit = totals
            .sums
            .iter()
            .map(|(u, c)| {
                let overdue = totals.overdue.get(u).copied().unwrap_or(0);
                (u.clone(), (*c, overdue))
            })
            .collect();
        hotline_model::assessment::subtree_sums(org, &per_unit)
            .into_iter()
            .filter(|(u, (c, overdue))| {
                org.is_below(u, &root) && (c.iter().any(|x| *x != 0) || *overdue > 0)
            })
            .map(|(u, (c, overdue))| UnitFigures::from_counts(&u, &c, overdue))
            .collect()
    } else {
        totals.figures()
    };
    let mut rows: Vec<UnitRow> = figures
        .into_iter()
        .map(|f| UnitRow {
            name: org.get(&f.unit).map(|u| u.name.clone()),
            score: composite(&f, weights),
            rank: None,
            figures: f,
        })
        .collect();
    // Best score first; units without a score last, by code.
    rows.sort_by(|a, b| {
        b.score
            .unwrap_or(-1.0)
            .total_cmp(&a.score.unwrap_or(-1.0))
            .then_with(|| a.figures.unit.cmp(&b.figures.unit))
    });
    let mut rank = 0;
    let mut last: Option<f64> = None;
    for (i, r) in rows.iter_mut().enumerate() {
        if let Some(s) = r.score {
            if last != Some(s) {
                rank = i as u32 + 1;
                last = Some(s);
            }
            r.rank = Some(rank);
        }
    }
    Ok(UnitReport {
        from: from_hour * hour,
        to: to_hour * hour,
        label,
        root,
        units: rows,
    })
}

/// Query of the drill-down.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// The unit.
    pub unit: String,
    /// Start (Unix ms).
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// The `next` cursor of the previous page.
    pub before: Option<String>,
    /// At most this many (default 50).
    pub limit: Option<u32>,
}

/// The orders behind a unit's figures.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UnitOrders {
    /// The orders, the latest given first.
    pub items: Vec<TicketSummary>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// The orders `q.unit` was given in the period (the API and the page).
pub async fn unit_orders(
    state: &Hotline,
    user: &User,
    q: OrdersQuery,
) -> Result<UnitOrders, OpError> {
    may_see(state, user, &q.unit)?;
    if q.from >= q.to {
        return Err(OpError::bad_request("统计起始时间须早于截止时间"));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = state
        .store
        .read(move |c| {
            replica_store::projection::assigned_orders(
                c,
                &q.unit,
                q.from,
                q.to,
                q.before.as_deref(),
                limit,
            )
        })
        .await?;
    let next = (rows.len() as u32 == limit)
        .then(|| rows.last().map(|(at, t)| format!("{at}:{}", t.id)))
        .flatten();
    Ok(UnitOrders {
        items: rows.into_iter().map(|(_, t)| t).collect(),
        next,
    })
}
