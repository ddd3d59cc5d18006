//! `stats`: the unit assessment (`GET /api/stats/units`, 考核 for the last 30 days) over N
//! dispatched orders at the hub (default 100,000), recomputed from every order's history. The peer
//! in the same run is a plain SQL count of the same orders per lead unit over the projection (what
//! a counter-based report would cost): the ratio is the price of recomputing from history.

use std::time::Instant;

use anyhow::{Result, bail};
use hotline_model::event::{Action, AssignTo};
use serde_json::json;

use super::sync_common::{fill_with, lone_hub, runtime};
use super::{Args, emit};
use crate::fixtures;

const UNITS: [&str; 6] = ["D01", "D02", "D01-T01", "D02-T01", "B-ZJJ", "B-RSJ"];
const RUNS: usize = 3;

pub fn run(args: &Args) -> Result<()> {
    let n = args.size.unwrap_or(100_000) as u64;
    runtime()?.block_on(async {
        let dir = tempfile::tempdir()?;
        let node = lone_hub(dir.path()).await?;
        let store = node.state.store.clone();
        let t = Instant::now();
        fill_with(&store, n, |i, t| {
            let now = t.now_ms;
            let review = Action::accept_review("");
            let dispatch = Action::Dispatch {
                lead: AssignTo {
                    unit: UNITS[(i % UNITS.len() as u64) as usize].into(),
                    sign_due_at: now + 7_200_000,
                    due_at: now + 15 * 86_400_000,
                },
                co: Vec::new(),
                note: String::new(),
                final_assignment: false,
            };
            t.then = vec![(format!("r{i}"), review), (format!("d{i}"), dispatch)];
        })
        .await?;
        emit(&json!({"bench": "stats", "phase": "filled", "orders": n, "seconds": t.elapsed().as_secs_f64()}));

        let app = node_service::api::in_process::Client::new(node.state.clone());
        let mut api_ms = Vec::new();
        let mut sql_ms = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let (status, body) =
                app.call("GET", "/api/stats/units", Some("sv01"), None)
                    .await?;
            api_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            let assigned: u64 = body["units"]
                .as_array()
                .map(|u| u.iter().filter_map(|x| x["assigned"].as_u64()).sum())
                .unwrap_or(0);
            if !status.is_success() || assigned != n {
                bail!("stats answered {status} with {assigned} assignments for {n} orders");
            }
            let t = Instant::now();
            let counted: i64 = store
                .read(|c| {
                    let mut stmt = c.prepare_cached(
                        "SELECT lead_unit, COUNT(*), SUM(due_at < ?1) FROM tickets
                         WHERE lead_unit IS NOT NULL GROUP BY lead_unit",
                    )?;
                    let rows = stmt.query_map([fixtures::now_ms()], |r| r.get::<_, i64>(1))?;
                    Ok(rows.collect::<Result<Vec<i64>, _>>()?.into_iter().sum())
                })
                .await?;
            sql_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if counted as u64 != n {
                bail!("the SQL count found {counted} orders for {n}");
            }
        }
        api_ms.sort_by(f64::total_cmp);
        sql_ms.sort_by(f64::total_cmp);
        let (api, sql) = (api_ms[RUNS / 2], sql_ms[RUNS / 2]);
        emit(&json!({"bench": "stats", "orders": n, "units": UNITS.len(), "runs": RUNS,
            "assessment_median_ms": api, "sql_count_median_ms": sql,
            "ratio_assessment_to_sql_count": api / sql,
            "orders_per_sec_assessed": n as f64 / (api / 1000.0)}));
        node.shutdown().await?;
        anyhow::Ok(())
    })
}
