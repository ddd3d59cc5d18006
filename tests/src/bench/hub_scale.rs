//! `hub-scale`: the hub holding three years of a big city's orders (default 3,000,000, `--size N`),
//! in every status across the org tree's bureaus, districts and towns. Each order is planned with
//! its whole life by the demo's planner (`deploy::seed_plan`, at moments spread over the three
//! years) and imported through the store (`Store::import_ticket`: document, projection, running
//! totals).
//!
//! Then: the hub is restarted (start time, resident memory after start); every list the staff use
//! is timed through the API for centre, district and town users (p50/p99), with the public figures,
//! the published results and a month's unit assessment; the same again while 16 clients hammer the
//! public endpoints; and the same list queries on a plain SQLite table of the same rows with the
//! right index for each (the limit), timed in the same run: the ratio store list / plain query.
//! Peak resident memory is the high-water mark from the restart to the end (reset after the fill).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hotline_model::event::{Action, Event};
use hotline_model::hlc::Hlc;
use hotline_model::refdata::ReferenceData;
use hotline_model::ticket::Ticket;
use node_service::api::in_process::Client;
use node_service::{NodeConfig, RunningNode};
use rand::{RngCore, SeedableRng};
use replica_store::TicketFilter;
use rusqlite::Connection;
use serde_json::{Value, json};

use super::sync_common::{peak_rss_mib, runtime};
use super::{Args, emit, percentile};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed");
/// The run's "now": 2026-11-24 10:00 Beijing time.
pub(super) const END: i64 = 1_795_485_600_000;
const DAY: i64 = 86_400_000;
const YEARS_MS: i64 = 3 * 365 * DAY;
/// Timed requests per list.
const SAMPLES: usize = 200;
const PUBLIC_CLIENTS: usize = 16;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the process's resident-memory high-water mark (Linux `clear_refs`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(super) async fn hub(dir: &Path) -> Result<RunningNode> {
    let cfg = NodeConfig {
        data_dir: dir.join("hub"),
        seed_dir: Some(SEED.into()),
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    node_service::start(cfg, listener, Arc::new(|| END)).await
}

/// Turns one planned order into a whole ticket numbered at the hub.
fn ticket_of(
    planned: &deploy::seed_plan::PlannedTicket,
    number: String,
    masters: &[String],
    rng: &mut rand::rngs::StdRng,
) -> Ticket {
    let mut uuid = || {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        uuid::Builder::from_random_bytes(b).into_uuid().to_string()
    };
    let id = uuid();
    let mut code = [0u8; 8];
    code.copy_from_slice(&uuid().as_bytes()[..8]);
    let code = hotline_model::number::query_code(code);
    let mut events = vec![Event {
        id: id.clone(),
        author: planned.creator.clone(),
        unit: "C".into(),
        node: "HUB".into(),
        hlc: Hlc::at(planned.created_at),
        action: Action::Created,
    }];
    if let Some(answer) = &planned.answer {
        events.push(Event {
            id: uuid(),
            hlc: Hlc {
                wall_ms: planned.created_at,
                counter: 1,
            },
            action: Action::AnswerDirectly {
                answer: answer.clone(),
            },
            ..events[0].clone()
        });
    }
    for step in &planned.steps {
        let action = match &step.action {
            deploy::seed_plan::StepAction::Act(a) => a.clone(),
            deploy::seed_plan::StepAction::MergeInto(m) => Action::Merge {
                master: masters[*m].clone(),
            },
        };
        events.push(Event {
            id: uuid(),
            author: step.login.clone(),
            unit: step.unit.clone(),
            node: "HUB".into(),
            hlc: Hlc::at(step.at),
            action,
        });
    }
    Ticket {
        query_code_hash: hotline_model::number::query_code_hash(&id, &code),
        id,
        number,
        created_node: "HUB".into(),
        intake: planned.intake.clone(),
        events,
        files: Vec::new(),
    }
}

/// Imports `total` orders planned at moments spread over the `span` ms before [`END`], reporting
/// progress as `bench`.
pub(super) async fn fill(
    node: &RunningNode,
    refdata: &ReferenceData,
    total: usize,
    span: i64,
    bench: &'static str,
) -> Result<()> {
    let text = std::fs::read_to_string(Path::new(SEED).join("tickets.toml"))?;
    let templates = Arc::new(deploy::seed_plan::Templates::parse(&text)?);
    let per_plan = 128usize;
    let moments = total.div_ceil(per_plan);
    let step = span / moments as i64;
    let numbers: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    const WORKERS: usize = 4;
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (store, refdata, templates) =
            (node.state.store.clone(), refdata.clone(), templates.clone());
        let (numbers, done) = (numbers.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(w as u64);
            for m in (w..moments).step_by(WORKERS) {
                let now = END - span + (m as i64 + 1) * step;
                let count = per_plan.min(total - m * per_plan);
                let plan = deploy::seed_plan::plan(&refdata, &templates, now, count, m as u64)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let masters: Vec<String> = {
                    let mut n = numbers.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    plan.tickets
                        .iter()
                        .map(|t| {
                            let date = hotline_model::number::local_date(t.created_at);
                            let day =
                                hotline_model::number::ticket_number(date, "", 0)[..8].to_string();
                            let seq = n.entry(day).or_insert(0);
                            *seq += 1;
                            hotline_model::number::ticket_number(date, "HUB", *seq)
                        })
                        .collect()
                };
                let imports: Vec<_> = plan
                    .tickets
                    .iter()
                    .zip(&masters)
                    .map(|(t, number)| {
                        let ticket = ticket_of(t, number.clone(), &masters, &mut rng);
                        store.import_ticket(ticket)
                    })
                    .collect();
                for r in futures::future::join_all(imports).await {
                    r?;
                }
                let d = done.fetch_add(count as u64, Ordering::Relaxed) + count as u64;
                if d % 200_000 < count as u64 {
                    emit(&json!({"bench": bench, "phase": "filling", "orders": d,
                        "secs": started.elapsed().as_secs_f64()}));
                }
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    emit(
        &json!({"bench": bench, "phase": "filled", "orders": total, "secs": secs,
        "orders_per_s": total as f64 / secs}),
    );
    Ok(())
}

/// The plain baseline: the same rows in one flat table per list shape, each with the right index,
/// in a database of its own.
fn build_plain(hub_db: &Path, plain_db: &Path, refdata: &ReferenceData) -> Result<Connection> {
    let conn = Connection::open(plain_db)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")?;
    conn.execute("ATTACH DATABASE ?1 AS hub", [hub_db.to_string_lossy()])?;
    conn.execute_batch(
        "CREATE TABLE plain AS SELECT id, number, status, lead_unit, request_type, subject, title,
             created_at, updated_at, due_at, urgent, conflicts, caller_phone FROM hub.tickets;
         CREATE UNIQUE INDEX plain_id ON plain(id);
         CREATE INDEX plain_created ON plain(created_at, number);
         CREATE INDEX plain_status ON plain(status, created_at, number);
         CREATE INDEX plain_due ON plain(due_at, number) WHERE due_at IS NOT NULL;
         CREATE INDEX plain_phone ON plain(caller_phone, created_at, number);
         CREATE TABLE plain_reach(unit TEXT NOT NULL, created_at INTEGER NOT NULL,
             number TEXT NOT NULL, status TEXT NOT NULL, id TEXT NOT NULL,
             PRIMARY KEY(unit, created_at, number)) WITHOUT ROWID;",
    )?;
    // Every unit above each unit holding a part sees the order: one row per (seeing unit, order).
    {
        let tx = conn.unchecked_transaction()?;
        let mut read = conn.prepare(
            "SELECT t.id, t.number, t.created_at, t.status, t.origin_unit,
                    (SELECT group_concat(unit) FROM hub.ticket_units u WHERE u.ticket_id = t.id)
             FROM hub.tickets t",
        )?;
        let mut insert = conn.prepare(
            "INSERT OR IGNORE INTO plain_reach(unit, created_at, number, status, id)
             VALUES(?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let (id, number, created, status): (String, String, i64, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let origin: Option<String> = r.get(4)?;
            let units: Option<String> = r.get(5)?;
            let mut seeing = std::collections::BTreeSet::new();
            for u in origin
                .iter()
                .map(String::as_str)
                .chain(units.as_deref().unwrap_or("").split(','))
                .filter(|u| !u.is_empty())
            {
                for a in refdata.org.ancestors(u) {
                    seeing.insert(a.code.clone());
                }
            }
            for unit in seeing {
                insert.execute(rusqlite::params![unit, created, number, status, id])?;
            }
        }
        drop(rows);
        drop(read);
        drop(insert);
        tx.commit()?;
    }
    conn.execute_batch(
        "CREATE INDEX plain_reach_status ON plain_reach(unit, status, created_at, number);
         DETACH DATABASE hub;",
    )?;
    Ok(conn)
}

/// Milliseconds of each sample, sorted.
fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

/// One list: its API request, the store filter behind it, and the plain query equal to it.
struct List {
    name: &'static str,
    user: &'static str,
    uri: String,
    filter: TicketFilter,
    plain: String,
}

fn lists(deep_cursor: &str) -> Vec<List> {
    let cols = "id, number, status, lead_unit, request_type, subject, title, created_at, updated_at, due_at, urgent, conflicts";
    let newest = "ORDER BY created_at DESC, number DESC LIMIT 50";
    let soon = END + DAY;
    let (deep_key, deep_number) = deep_cursor.split_once(':').unwrap_or(("0", ""));
    let centre = |name, uri: &str, filter, plain: String| List {
        name,
        user: "sl01",
        uri: uri.to_owned(),
        filter,
        plain,
    };
    let scoped = |name, user, unit: &str, status: Option<&str>| {
        let mut uri = "/api/tickets?limit=50".to_owned();
        if let Some(s) = status {
            uri.push_str(&format!("&status={s}"));
        }
        let cond = status.map_or(String::new(), |s| format!(" AND r.status = '{s}'"));
        List {
            name,
            user,
            uri,
            filter: TicketFilter {
                status: status.map(str::to_owned),
                within: Some(unit.to_owned()),
                limit: Some(50),
                ..Default::default()
            },
            plain: format!(
                "SELECT {} FROM plain_reach r JOIN plain p ON p.id = r.id WHERE r.unit = '{unit}'{cond}
                 ORDER BY r.created_at DESC, r.number DESC LIMIT 50",
                cols.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
            ),
        }
    };
    vec![
        centre(
            "review_queue",
            "/api/tickets?status=pending_review&limit=50",
            TicketFilter {
                status: Some("pending_review".into()),
                limit: Some(50),
                ..Default::default()
            },
            format!("SELECT {cols} FROM plain WHERE status = 'pending_review' {newest}"),
        ),
        centre(
            "dispatch_queue",
            "/api/tickets?status=ready_to_dispatch&limit=50",
            TicketFilter {
                status: Some("ready_to_dispatch".into()),
                limit: Some(50),
                ..Default::default()
            },
            format!("SELECT {cols} FROM plain WHERE status = 'ready_to_dispatch' {newest}"),
        ),
        centre(
            "centre_all",
            "/api/tickets?limit=50",
            TicketFilter {
                limit: Some(50),
                ..Default::default()
            },
            format!("SELECT {cols} FROM plain {newest}"),
        ),
        centre(
            "centre_deep_page",
            &format!("/api/tickets?limit=50&after={deep_cursor}"),
            TicketFilter {
                limit: Some(50),
                after: Some(deep_cursor.to_owned()),
                ..Default::default()
            },
            format!(
                "SELECT {cols} FROM plain WHERE (created_at, number) < ({deep_key}, '{deep_number}') {newest}"
            ),
        ),
        centre(
            "centre_due_soon",
            &format!("/api/tickets?limit=50&due_before={soon}"),
            TicketFilter {
                limit: Some(50),
                due_before: Some(soon),
                ..Default::default()
            },
            format!(
                "SELECT {cols} FROM plain WHERE due_at IS NOT NULL AND due_at <= {soon} ORDER BY due_at, number LIMIT 50"
            ),
        ),
        centre(
            "centre_created_after_no_match",
            &format!("/api/tickets?limit=50&created_after={soon}"),
            TicketFilter {
                limit: Some(50),
                created_after: Some(soon),
                ..Default::default()
            },
            format!("SELECT {cols} FROM plain WHERE created_at >= {soon} {newest}"),
        ),
        scoped("district_all", "d01-handler", "D01", None),
        scoped("district_handling", "d01-handler", "D01", Some("handling")),
        scoped(
            "district_awaiting_sign",
            "d01-handler",
            "D01",
            Some("dispatched"),
        ),
        scoped("town_all", "d01-t01-handler", "D01-T01", None),
        scoped(
            "town_handling",
            "d01-t01-handler",
            "D01-T01",
            Some("handling"),
        ),
        scoped("bureau_all", "b-zjj-handler", "B-ZJJ", None),
    ]
}

/// Times every list through the API; `(name, p50, p99)` each.
async fn time_lists(app: &Client, lists: &[List]) -> Result<Vec<(String, f64, f64)>> {
    let mut out = Vec::new();
    for l in lists {
        let mut ms = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let t = Instant::now();
            let (status, body) = app.call("GET", &l.uri, Some(l.user), None).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                bail!("{} answered {status}: {body}", l.name);
            }
        }
        let (p50, p99) = stats(ms);
        out.push((l.name.to_owned(), p50, p99));
    }
    Ok(out)
}

/// Times the public endpoints and a month's assessment through the API.
async fn time_public(app: &Client) -> Result<Vec<(String, f64, f64)>> {
    let mut out = Vec::new();
    for (name, uri) in [
        ("public_figures", "/api/public/figures?month=2026-10"),
        ("public_published", "/api/public/published?limit=20"),
    ] {
        let mut ms = Vec::new();
        for _ in 0..SAMPLES {
            let t = Instant::now();
            let (status, body) = app.call("GET", uri, None, None).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                bail!("{name} answered {status}: {body}");
            }
        }
        let (p50, p99) = stats(ms);
        out.push((name.to_owned(), p50, p99));
    }
    Ok(out)
}

pub fn run(args: &Args) -> Result<()> {
    let total = args.size.unwrap_or(3_000_000);
    runtime()?.block_on(async {
        let dir = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into()))?;
        let node = hub(dir.path()).await?;
        let refdata = node.state.refdata();
        fill(&node, &refdata, total, YEARS_MS, "hub-scale").await?;
        let fill_peak = peak_rss_mib();
        node.shutdown().await?;
        let hub_db = dir.path().join("hub").join("replica.sqlite");
        let db_mib = std::fs::metadata(&hub_db)?.len() as f64 / 1048576.0;
        let started = Instant::now();
        let plain_db = dir.path().join("plain.sqlite");
        let plain = Arc::new(Mutex::new(build_plain(&hub_db, &plain_db, &refdata)?));
        emit(&json!({"bench": "hub-scale", "phase": "plain_built", "secs": started.elapsed().as_secs_f64(),
            "hub_db_mib": db_mib, "fill_peak_rss_mib": fill_peak}));

        // Restart: start time and memory, then the peak from here on.
        reset_peak_rss();
        let started = Instant::now();
        let node = hub(dir.path()).await?;
        let start_s = started.elapsed().as_secs_f64();
        let rss_after_start = rss_mib();
        emit(&json!({"bench": "hub-scale", "phase": "restarted", "start_s": start_s,
            "rss_after_start_mib": rss_after_start}));
        let app = std::sync::Arc::new(Client::new(node.state.clone()));

        // A cursor into the middle of the centre's list (a deep page).
        let deep = {
            let mid = (END - YEARS_MS / 2).to_string();
            format!("{mid}:99999999-ZZZ-99999")
        };
        let lists = lists(&deep);

        // The lists, the public endpoints and the assessment, quiet.
        let quiet = time_lists(&app, &lists).await?;
        let quiet_public = time_public(&app).await?;
        let (from, to) = refdata
            .calendar
            .month_bounds(2026, 10)
            .context("month")?;
        let mut assess_ms = Vec::new();
        let mut units_reported = 0;
        for _ in 0..9 {
            let t = Instant::now();
            let (status, body) = app.call("GET",
                &format!("/api/stats/units?from={from}&to={to}"),
                Some("sv01"),
                None,
            )
            .await?;
            assess_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if !status.is_success() {
                bail!("assessment answered {status}: {body}");
            }
            units_reported = body["units"].as_array().map_or(0, Vec::len);
        }
        let (assessment_month_ms, _) = stats(assess_ms);

        // The same lists on the plain table (the limit), and through the store (the ratio). The
        // lists take turns, sample by sample, after one untimed round: whatever else the machine
        // does meanwhile falls on every list alike, not on the ones measured first.
        let mut plain_ms = vec![Vec::new(); lists.len()];
        let mut store_ms = vec![Vec::new(); lists.len()];
        for round in 0..=SAMPLES {
            for (i, l) in lists.iter().enumerate() {
                let sql = l.plain.clone();
                let t = Instant::now();
                // On the caller's thread, as the store reads a short page.
                let n = (|| -> Result<usize> {
                    let c = plain.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    let mut stmt = c.prepare_cached(&sql)?;
                    let rows = stmt.query_map([], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?,
                            r.get::<_, Option<String>>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?, r.get::<_, i64>(7)?, r.get::<_, i64>(8)?,
                            r.get::<_, Option<i64>>(9)?, r.get::<_, bool>(10)?, r.get::<_, i64>(11)?))
                    })?;
                    Ok(rows.count())
                })()?;
                let plain_took = t.elapsed().as_secs_f64() * 1000.0;
                let t = Instant::now();
                let ours = node.state.store.list(l.filter.clone()).await?;
                let store_took = t.elapsed().as_secs_f64() * 1000.0;
                if ours.len() != n {
                    bail!("{}: the store lists {} orders, the plain query {n}", l.name, ours.len());
                }
                if round > 0 {
                    plain_ms[i].push(plain_took);
                    store_ms[i].push(store_took);
                }
            }
        }
        let mut ratios = Vec::new();
        for ((l, plain_ms), store_ms) in lists.iter().zip(plain_ms).zip(store_ms) {
            let (plain_p50, _) = stats(plain_ms);
            let (store_p50, _) = stats(store_ms);
            ratios.push((l.name, store_p50, plain_p50, store_p50 / plain_p50));
        }

        // The lists while 16 clients hammer the public endpoints.
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicU64::new(0));
        let busy = Arc::new(AtomicU64::new(0));
        let mut hammer = Vec::new();
        for c in 0..PUBLIC_CLIENTS {
            let (app, stop, served, busy) = (app.clone(), stop.clone(), served.clone(), busy.clone());
            hammer.push(tokio::spawn(async move {
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let uri = match i % 3 {
                        0 => "/api/public/figures?month=2026-10".to_owned(),
                        1 => "/api/public/published?limit=20".to_owned(),
                        _ => format!("/api/public/figures?month=2025-{:02}", i % 12 + 1),
                    };
                    let (status, _) = app.call("GET", &uri, None, None).await?;
                    if status.is_success() {
                        served.fetch_add(1, Ordering::Relaxed);
                    } else {
                        busy.fetch_add(1, Ordering::Relaxed);
                    }
                    i += PUBLIC_CLIENTS;
                }
                anyhow::Ok(())
            }));
        }
        let load_started = Instant::now();
        let loaded = time_lists(&app, &lists).await?;
        let loaded_public = time_public(&app).await?;
        stop.store(true, Ordering::Relaxed);
        for h in hammer {
            h.await??;
        }
        let load_secs = load_started.elapsed().as_secs_f64();

        let mut worst_p99 = 0f64;
        let mut worst_loaded = 0f64;
        for (name, p50, p99) in quiet.iter().chain(quiet_public.iter()) {
            worst_p99 = worst_p99.max(*p99);
            emit(&json!({"bench": "hub-scale", "list": name, "p50_ms": p50, "p99_ms": p99}));
        }
        for (name, p50, p99) in loaded.iter().chain(loaded_public.iter()) {
            worst_loaded = worst_loaded.max(*p99);
            emit(&json!({"bench": "hub-scale", "list": name, "under_public_load": true,
                "p50_ms": p50, "p99_ms": p99}));
        }
        let mut worst_ratio = 0f64;
        for (name, store_p50, plain_p50, ratio) in &ratios {
            worst_ratio = worst_ratio.max(*ratio);
            emit(&json!({"bench": "hub-scale", "list": name, "store_p50_ms": store_p50,
                "plain_p50_ms": plain_p50, "ratio_to_plain": ratio}));
        }
        let peak = peak_rss_mib();
        node.shutdown().await?;
        let summary: Value = json!({
            "bench": "hub-scale",
            "summary": true,
            "orders": total,
            "hub_db_mib": db_mib,
            "start_s": start_s,
            "rss_after_start_mib": rss_after_start,
            "peak_rss_mib": peak,
            "worst_list_p99_ms": worst_p99,
            "worst_list_p99_ms_under_public_load": worst_loaded,
            "public_requests_served_under_load": served.load(Ordering::Relaxed),
            "public_requests_turned_away_busy": busy.load(Ordering::Relaxed),
            "public_load_secs": load_secs,
            "worst_ratio_to_plain": worst_ratio,
            "assessment_month_ms": assessment_month_ms,
            "assessment_units": units_reported,
            "goals": {"start_s": 5, "peak_rss_mib": 1024, "list_p99_ms": 20, "ratio_to_plain": 2,
                      "assessment_month_ms": 200},
        });
        emit(&summary);
        // BENCH_KEEP=1 keeps the databases for a closer look (their path on stderr).
        if std::env::var_os("BENCH_KEEP").is_some() {
            eprintln!("kept {}", dir.keep().display());
        }
        Ok(())
    })
}
