//! The monthly figures the centre publishes (月度数据公开) for the last twelve months: orders
//! received and closed, the share of replies on time and of satisfied ratings — by month, by
//! request type and by handling unit. Counts only, nothing about any citizen. From the running
//! totals the store keeps of the orders' facts; the whole report is recomputed at most once every
//! few minutes (a figure a few minutes old is still the month's figure), so no number of visitors
//! can make it work harder.

use std::sync::Arc;

use hotline_model::assessment::{COUNTERS, PublicFigures, UnitFigures, type_key};
use hotline_model::category::RequestType;
use replica_store::projection::{HOUR_MS, fact_sum};
use serde::Serialize;

use crate::Hotline;
use crate::OpError;

/// How long a computed report is served.
const FRESH_MS: i64 = 5 * 60_000;
/// Months in the report.
pub const MONTHS: usize = 12;

/// One month's city-wide figures.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: PublicFigures,
}

/// One request type's figures over the twelve months.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TypeFigures {
    /// The type's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: PublicFigures,
}

/// One handling unit's figures over the twelve months (its own assignments).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct UnitRow {
    /// The unit's name.
    pub name: String,
    /// The assessment figures.
    #[serde(flatten)]
    pub figures: UnitFigures,
}

/// The report.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RecentFigures {
    /// The first month, `YYYY-MM`.
    pub from: String,
    /// The last month (the current one, so far).
    pub to: String,
    /// Oldest first.
    pub months: Vec<MonthFigures>,
    /// The twelve months by request type.
    pub by_type: Vec<TypeFigures>,
    /// The twelve months by first-level handling unit (bureaus, districts), most orders first.
    pub by_unit: Vec<UnitRow>,
    /// When it was computed (Unix ms).
    pub computed_at: i64,
    /// How the figures are counted.
    pub note: &'static str,
}

/// The last computed report.
#[derive(Default)]
pub struct FiguresCache {
    last: tokio::sync::Mutex<Option<Arc<RecentFigures>>>,
}

/// The months `(year, month)` of the report ending with the month of `now`, oldest first.
fn months_ending(year: i32, month: u8) -> Vec<(i32, u8)> {
    let mut out = Vec::with_capacity(MONTHS);
    let (mut y, mut m) = (year, month);
    for _ in 0..MONTHS {
        out.push((y, m));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out.reverse();
    out
}

/// The report for the twelve months up to now (served from the cache while fresh).
pub async fn recent(state: &Hotline) -> Result<Arc<RecentFigures>, OpError> {
    let now = state.now();
    let mut last = state.citizens.figures.last.lock().await;
    if let Some(r) = last.as_ref()
        && now - r.computed_at < FRESH_MS
        && now >= r.computed_at
    {
        return Ok(r.clone());
    }
    let report = Arc::new(compute(state, now).await?);
    *last = Some(report.clone());
    Ok(report)
}

async fn compute(state: &Hotline, now: i64) -> Result<RecentFigures, OpError> {
    let refdata = state.refdata();
    let calendar = &refdata.calendar;
    let unavailable = || OpError::internal("calendar", "当前月份不在工作日历内");
    let (year, month) = calendar.month_of(now).ok_or_else(unavailable)?;
    let months = months_ending(year, month);
    let mut hours = Vec::with_capacity(MONTHS);
    for (y, m) in &months {
        // A month before the calendar's first year counts as empty.
        let (from, to) = calendar.month_bounds(*y, *m).unwrap_or((0, 0));
        hours.push((from.div_euclid(HOUR_MS), to.div_euclid(HOUR_MS)));
    }
    let first = hours.iter().find(|(f, t)| t > f).map_or(0, |(f, _)| *f);
    let last = hours.last().map_or(0, |(_, t)| *t);
    let type_keys: Vec<String> = RequestType::ALL.iter().map(|t| type_key(*t)).collect();
    let ranges = hours;
    let (by_month, by_type) = state
        .store
        .read_bulk(move |c| {
            let mut by_month = Vec::with_capacity(MONTHS);
            for (f, t) in &ranges {
                by_month.push(fact_sum(c, "", *f, *t)?);
            }
            let mut by_type = Vec::new();
            for k in &type_keys {
                by_type.push(fact_sum(c, k, first, last)?);
            }
            Ok::<(Vec<[i64; COUNTERS]>, Vec<[i64; COUNTERS]>), replica_store::StoreError>((
                by_month, by_type,
            ))
        })
        .await?;
    let top: Vec<String> = refdata
        .org
        .children(refdata.org.root())
        .map(|u| u.code.clone())
        .collect();
    let totals = state.store.unit_totals(top, first, last, now).await?;
    let mut by_unit: Vec<UnitRow> = totals
        .figures()
        .into_iter()
        .filter(|f| f.as_lead > 0)
        .map(|f| UnitRow {
            name: refdata.unit_name(&f.unit),
            figures: f,
        })
        .collect();
    by_unit.sort_by_key(|u| std::cmp::Reverse(u.figures.as_lead));
    let label = |(y, m): (i32, u8)| format!("{y:04}-{m:02}");
    Ok(RecentFigures {
        from: label(months[0]),
        to: label(months[MONTHS - 1]),
        months: months
            .iter()
            .zip(by_month.iter())
            .map(|(ym, n)| MonthFigures {
                month: label(*ym),
                figures: PublicFigures::from_counts(n),
            })
            .collect(),
        by_type: RequestType::ALL
            .iter()
            .zip(by_type.iter())
            .map(|(t, n)| TypeFigures {
                code: t.code().into(),
                name: t.label().into(),
                figures: PublicFigures::from_counts(n),
            })
            .collect(),
        by_unit,
        computed_at: now,
        note: "受理量为当月登记的工单（含合并的重复件）；按时办结率为承办单位答复中在办理时限内的比例；满意率为回访和市民评价中“满意”与“基本满意”的比例。单位数据为该单位作为承办单位接收的工单，不含其下级单位。",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_back_across_the_year() {
        let m = months_ending(2026, 2);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0], (2025, 3));
        assert_eq!(m[11], (2026, 2));
        assert_eq!(months_ending(2026, 12)[0], (2026, 1));
    }
}
