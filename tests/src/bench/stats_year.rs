//! `stats-year`: a year of a big city's orders at the hub (default 1,000,000, `--size N`), planned
//! with their whole lives by the demo's planner and imported through the store (as `hub-scale`
//! does, over one year instead of three). Then, through the API as a supervisor:
//!
//! - the yearly unit assessment (`/api/stats/units?period=year`), the hot topics of a month
//!   (`/api/stats/topics?period=month`, with 环比 and 同比) and a subject's monthly trend
//!   (`/api/stats/trend`), each timed over several requests (median and worst);
//! - in the same run, the full recomputation from the orders' histories (every stored view read
//!   and its facts derived, as `hotline_model::assessment::assess` and `topics::recompute` do),
//!   timed, and compared number by number with what the pages showed (`same_numbers`);
//! - intake with and without the running totals (`Store::create_ticket` of dispatched orders with
//!   an area, on fresh hubs, alternating three times): their throughput ratio.
//!
//! Summary fields: `worst_page_ms` (the slowest page's median), `recompute_ms`, `same_numbers`,
//! `intake_ratio_with_aggregates`.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Result, bail};
use hotline_model::assessment::{COUNTERS, UnitFigures, add_counts, open_due};
use hotline_model::event::{Action, AssignTo};
use hotline_model::period::{Period, PeriodKind, parse_date};
use hotline_model::ticket::TicketView;
use hotline_model::topics::{self, topic_counter};
use node_service::api::in_process::Client;
use serde_json::{Value, json};

use super::hub_scale::{END, fill, hub};
use super::sync_common::{fill_with, lone_hub, runtime};
use super::{Args, emit};

const DAY: i64 = 86_400_000;
const RUNS: usize = 9;
const INTAKE_ORDERS: u64 = 20_000;

fn range(kind: PeriodKind, date: &str) -> Result<Period> {
    let d = parse_date(date).ok_or_else(|| anyhow::anyhow!("bad date {date}"))?;
    Period::new(kind, d, None).map_err(|e| anyhow::anyhow!(e))
}

/// Times `uri` `RUNS` times as sv01: (median ms, worst ms, the last answer).
async fn time_page(app: &Client, uri: &str) -> Result<(f64, f64, Value)> {
    let mut ms = Vec::new();
    let mut last = Value::Null;
    for _ in 0..RUNS {
        let t = Instant::now();
        let (status, body) = app.call("GET", uri, Some("sv01"), None).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if !status.is_success() {
            bail!("{uri} answered {status}: {body}");
        }
        last = body;
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms[RUNS / 2], ms[RUNS - 1], last))
}

/// What the pages show, recomputed from every order's stored history.
#[derive(Default)]
struct Recomputed {
    units: BTreeMap<String, ([i64; COUNTERS], u32)>,
    /// Per subject: received in the month, the previous month, the month a year before; and the
    /// month's counts.
    topics: BTreeMap<String, ([u32; 3], [i64; COUNTERS])>,
    /// Per subject and month index (0 = 11 months before the trend's last): received.
    trend: BTreeMap<(String, usize), u32>,
    orders: u64,
    unreadable: u64,
}

fn recompute(
    c: &rusqlite::Connection,
    year: (i64, i64),
    months: [(i64, i64); 3],
    trend: &[(i64, i64)],
    now: i64,
) -> replica_store::Result<Recomputed> {
    let mut out = Recomputed::default();
    let mut stmt = c.prepare("SELECT view FROM ticket_views")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let text: String = row.get(0)?;
        let Ok(view) = serde_json::from_str::<TicketView>(&text) else {
            out.unreadable += 1;
            continue;
        };
        out.orders += 1;
        let s = &view.state;
        for f in topics::every_fact(&view) {
            if f.is_unit() && f.at >= year.0 && f.at < year.1 {
                add_counts(
                    &mut out.units.entry(f.unit.clone()).or_default().0,
                    &f.counts,
                );
            }
            let Some(subject) = f.unit.strip_prefix("subject:") else {
                continue;
            };
            for (i, (a, b)) in months.iter().enumerate() {
                if f.at >= *a && f.at < *b {
                    let e = out.topics.entry(subject.to_owned()).or_default();
                    e.0[i] += 1;
                    if i == 0 {
                        add_counts(&mut e.1, &f.counts);
                    }
                }
            }
            for (i, (a, b)) in trend.iter().enumerate() {
                if f.at >= *a && f.at < *b {
                    *out.trend.entry((subject.to_owned(), i)).or_default() +=
                        f.counts[topic_counter::RECEIVED] as u32;
                }
            }
        }
        for a in s.lead.iter().chain(s.co.iter()).chain(s.past.iter()) {
            if a.assigned_at >= year.0
                && a.assigned_at < year.1
                && open_due(a).is_some_and(|d| now > d)
            {
                out.units.entry(a.unit.clone()).or_default().1 += 1;
            }
        }
    }
    Ok(out)
}

/// Whether the pages' numbers are the recomputation's; the first difference is reported.
fn compare(units: &Value, topics: &Value, trend: &Value, r: &Recomputed, key: &str) -> bool {
    let mut differences = Vec::new();
    let shown: BTreeMap<String, Value> = units["units"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| (u["unit"].as_str().unwrap_or("").to_owned(), u.clone()))
        .collect();
    let recomputed: BTreeMap<&String, UnitFigures> = r
        .units
        .iter()
        .map(|(u, (c, o))| (u, UnitFigures::from_counts(u, c, *o)))
        .filter(|(_, f)| f.assigned > 0 || f.overdue > 0)
        .collect();
    if shown.len() != recomputed.len() {
        differences.push(format!(
            "units: {} shown, {} recomputed",
            shown.len(),
            recomputed.len()
        ));
    }
    for (u, f) in &recomputed {
        let want = serde_json::to_value(f).unwrap_or(Value::Null);
        let got = shown.get(*u).cloned().unwrap_or(Value::Null);
        for field in [
            "assigned",
            "returned",
            "replied",
            "overdue",
            "satisfied",
            "urged",
        ] {
            if got[field] != want[field] {
                differences.push(format!(
                    "unit {u} {field}: {} ≠ {}",
                    got[field], want[field]
                ));
            }
        }
    }
    let rows = topics["rows"].as_array().cloned().unwrap_or_default();
    let recomputed_rows = r
        .topics
        .values()
        .filter(|(n, _)| n.iter().any(|x| *x > 0))
        .count();
    if rows.len() != recomputed_rows {
        differences.push(format!(
            "topics: {} shown, {recomputed_rows} recomputed",
            rows.len()
        ));
    }
    for row in &rows {
        let k = row["key"].as_str().unwrap_or("");
        let (n, c) = r.topics.get(k).cloned().unwrap_or_default();
        let f = topics::TopicFigures::from_counts(k, &c);
        let want = [
            u64::from(n[0]),
            u64::from(n[1]),
            u64::from(n[2]),
            u64::from(f.troubles()),
        ];
        let got = ["received", "previous", "year_before", "troubles"]
            .map(|x| row[x].as_u64().unwrap_or(u64::MAX));
        if got != want {
            differences.push(format!("topic {k}: {got:?} ≠ {want:?}"));
        }
    }
    for (i, m) in trend["months"].as_array().into_iter().flatten().enumerate() {
        let want = u64::from(r.trend.get(&(key.to_owned(), i)).copied().unwrap_or(0));
        if m["received"].as_u64() != Some(want) {
            differences.push(format!("trend month {i}: {} ≠ {want}", m["received"]));
        }
    }
    if let Some(d) = differences.first() {
        emit(&json!({"bench": "stats-year", "difference": d, "differences": differences.len()}));
    }
    differences.is_empty()
}

/// Orders registered per second with the running totals on or off, on a fresh hub.
async fn intake_rate(with_totals: bool) -> Result<f64> {
    replica_store::projection::keep_fact_totals(with_totals);
    let dir = tempfile::tempdir()?;
    let node = lone_hub(dir.path()).await?;
    let t = Instant::now();
    fill_with(&node.state.store, INTAKE_ORDERS, |i, t| {
        let now = t.now_ms;
        t.intake.area = vec!["D01".into(), "D01-T01".into()];
        let dispatch = Action::Dispatch {
            lead: AssignTo {
                unit: ["D01", "D02", "B-ZJJ"][(i % 3) as usize].into(),
                sign_due_at: now + 7_200_000,
                due_at: now + 15 * DAY,
            },
            co: Vec::new(),
            note: String::new(),
            final_assignment: false,
        };
        t.then = vec![
            (format!("r{i}"), Action::accept_review("")),
            (format!("d{i}"), dispatch),
        ];
    })
    .await?;
    let rate = INTAKE_ORDERS as f64 / t.elapsed().as_secs_f64();
    node.shutdown().await?;
    replica_store::projection::keep_fact_totals(true);
    Ok(rate)
}

pub fn run(args: &Args) -> Result<()> {
    let total = args.size.unwrap_or(1_000_000);
    runtime()?.block_on(async {
        // Intake with and without the running totals, alternating.
        let mut with = Vec::new();
        let mut without = Vec::new();
        for _ in 0..3 {
            without.push(intake_rate(false).await?);
            with.push(intake_rate(true).await?);
        }
        let (w, wo) = (
            with.iter().sum::<f64>() / with.len() as f64,
            without.iter().sum::<f64>() / without.len() as f64,
        );
        emit(&json!({"bench": "stats-year", "phase": "intake", "orders_each": INTAKE_ORDERS,
            "with_totals_per_s": with, "without_totals_per_s": without}));

        let dir =
            tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))?;
        let node = hub(dir.path()).await?;
        let refdata = node.state.refdata();
        fill(&node, &refdata, total, 365 * DAY, "stats-year").await?;
        let app = Client::new(node.state.clone());

        let (units_ms, units_worst, units) =
            time_page(&app, "/api/stats/units?period=year&date=2026-06-01").await?;
        let (topics_ms, topics_worst, topics) =
            time_page(&app, "/api/stats/topics?period=month&date=2026-10-01").await?;
        let key = topics["rows"][0]["key"].as_str().unwrap_or("").to_owned();
        if key.is_empty() {
            bail!("no topic in October: {topics}");
        }
        let (trend_ms, trend_worst, trend) = time_page(
            &app,
            &format!("/api/stats/trend?dimension=subject&key={key}&date=2026-11-01&months=12"),
        )
        .await?;
        emit(&json!({"bench": "stats-year", "phase": "pages",
            "units_year_ms": units_ms, "units_year_worst_ms": units_worst,
            "topics_month_ms": topics_ms, "topics_month_worst_ms": topics_worst,
            "trend_ms": trend_ms, "trend_worst_ms": trend_worst,
            "units": units["units"].as_array().map_or(0, Vec::len),
            "topics": topics["rows"].as_array().map_or(0, Vec::len)}));

        let year = range(PeriodKind::Year, "2026-06-01")?.range_ms();
        let oct = range(PeriodKind::Month, "2026-10-01")?;
        let months = [
            oct.range_ms(),
            oct.previous().range_ms(),
            oct.year_before().range_ms(),
        ];
        let mut trend_months = vec![range(PeriodKind::Month, "2026-11-01")?];
        while trend_months.len() < 12 {
            let p = trend_months[trend_months.len() - 1].previous();
            trend_months.push(p);
        }
        trend_months.reverse();
        let trend_ranges: Vec<(i64, i64)> = trend_months.iter().map(Period::range_ms).collect();
        let now = END;
        let t = Instant::now();
        let r = node
            .state
            .store
            .read_bulk(move |c| recompute(c, year, months, &trend_ranges, now))
            .await?;
        let recompute_ms = t.elapsed().as_secs_f64() * 1000.0;
        let same = r.unreadable == 0 && compare(&units, &topics, &trend, &r, &key);
        let worst = units_ms.max(topics_ms).max(trend_ms);
        emit(&json!({"bench": "stats-year", "orders": total, "recomputed_orders": r.orders, "unreadable_views": r.unreadable,
            "worst_page_ms": worst, "units_year_ms": units_ms, "topics_month_ms": topics_ms,
            "trend_ms": trend_ms, "recompute_ms": recompute_ms,
            "recompute_to_worst_page": recompute_ms / worst,
            "same_numbers": same, "intake_ratio_with_aggregates": w / wo,
            "intake_with_per_s": w, "intake_without_per_s": wo}));
        node.shutdown().await?;
        Ok(())
    })
}
