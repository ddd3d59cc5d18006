//! `portal`: the citizens' website under load. A hub holding 100,000 orders registered over the
//! last twelve months (60 % answered at once and closed, 40 % dispatched and open), and 64
//! concurrent clients, each on its own kept-alive HTTP/1.1 connection over loopback TCP, through
//! the node's whole HTTP stack (the public budget, CSRF check, headers, rendering):
//!
//! 1. a static answer of the same size as a lookup page, behind the same layers: the limit of the
//!    node's HTTP stack;
//! 2. the lookup page (`POST /lookup` with a number and its query code);
//! 3. the monthly figures page (`GET /figures`, twelve months by month, type and unit).
//!
//! Requests per second and p99 of each; goals: lookups at least half the static rate with p99
//! ≤ 10 ms, the figures p99 ≤ 20 ms.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use axum::http::header;
use hotline_model::event::{Action, AssignTo};
use serde_json::json;

use super::sync_common::{fill_with, runtime};
use super::{Args, emit, percentile};

const CLIENTS: usize = 64;
const PER_CLIENT: usize = 150;
const DAY: i64 = 86_400_000;

fn random_of(i: u64) -> [u8; 24] {
    let mut r = [0x5au8; 24];
    r[..8].copy_from_slice(&i.to_le_bytes());
    r[16..].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    r
}

/// Which order an id was made from (its first four bytes are the low bytes of `i`).
fn index_of(id: &str) -> Option<u64> {
    let bytes = hex::decode(id.get(..8)?).ok()?;
    Some(u64::from(u32::from_le_bytes(bytes.try_into().ok()?)))
}

/// One request on a kept-alive HTTP/1.1 connection: its status and body length.
async fn exchange(
    conn: &mut tokio::io::BufStream<tokio::net::TcpStream>,
    request: &[u8],
) -> Result<(u16, Vec<u8>)> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    conn.write_all(request).await?;
    conn.flush().await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("no status line: {line:?}"))?
        .parse()?;
    let mut length = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse()?;
        }
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await?;
    Ok((status, body))
}

/// Runs `CLIENTS` clients, each on its own kept-alive connection to `addr`, sending
/// `make(client, k)` (the raw request) `PER_CLIENT` times; returns (requests per second, sorted
/// latencies in ms, bytes of the last answer's body).
async fn load(
    addr: std::net::SocketAddr,
    make: impl Fn(usize, usize) -> Vec<u8> + Send + Sync + Clone + 'static,
) -> Result<(f64, Vec<f64>, usize)> {
    let mut conns = Vec::new();
    for _ in 0..CLIENTS {
        conns.push(tokio::io::BufStream::new(
            tokio::net::TcpStream::connect(addr).await?,
        ));
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (c, mut conn) in conns.into_iter().enumerate() {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::with_capacity(PER_CLIENT);
            let mut size = 0;
            for k in 0..PER_CLIENT {
                let req = make(c, k);
                let t = Instant::now();
                let (status, body) = exchange(&mut conn, &req).await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                if status != 200 {
                    bail!("answered {status}: {}", String::from_utf8_lossy(&body));
                }
                size = body.len();
            }
            anyhow::Ok((ms, size))
        }));
    }
    let mut all = Vec::new();
    let mut size = 0;
    for t in tasks {
        let (ms, s) = t.await??;
        all.extend(ms);
        size = s;
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok((rate, all, size))
}

fn post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").into_bytes()
}

pub fn run(args: &Args) -> Result<()> {
    let total = args.size.unwrap_or(100_000) as u64;
    runtime()?.block_on(async {
        let dir = tempfile::tempdir()?;
        let seed = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed"));
        let cfg = node_service::NodeConfig {
            data_dir: dir.path().join("hub"),
            seed_dir: Some(seed),
            alert_sweep_secs: 0,
            ..node_service::NodeConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let node = node_service::start(cfg, listener, Arc::new(crate::fixtures::now_ms)).await?;
        let state = node.state.clone();
        let t = Instant::now();
        let now = crate::fixtures::now_ms();
        let first = now - 360 * DAY;
        let step = (360 * DAY) / total.max(1) as i64;
        fill_with(&state.store, total, move |i, t| {
            t.random = random_of(i);
            t.now_ms = first + i as i64 * step;
            let at = t.now_ms;
            t.then = if i % 5 < 3 {
                vec![(
                    format!("a{i}"),
                    Action::AnswerDirectly {
                        answer: "已按政策解答。".into(),
                    },
                )]
            } else {
                let unit = ["D01", "D02", "B-ZJJ", "B-CGJ"][(i % 4) as usize];
                vec![
                    (format!("r{i}"), Action::accept_review("")),
                    (
                        format!("d{i}"),
                        Action::Dispatch {
                            lead: AssignTo {
                                unit: unit.into(),
                                // Far enough that the store's clock (never behind the latest
                                // write of any of the 16 fillers) cannot have passed them.
                                sign_due_at: at + 120 * DAY,
                                due_at: at + 135 * DAY,
                            },
                            co: Vec::new(),
                            note: String::new(),
                            final_assignment: false,
                        },
                    ),
                ]
            };
        })
        .await?;
        emit(
            &json!({"bench": "portal", "phase": "filled", "orders": total,
            "seconds": t.elapsed().as_secs_f64()}),
        );

        // 2,000 orders to look up, with their codes.
        let rows: Vec<(String, String)> = state
            .store
            .read(|c| {
                let mut stmt = c.prepare("SELECT id, number FROM tickets LIMIT 2000")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<(String, String)>, _>>()?)
            })
            .await?;
        let mut lookups = Vec::new();
        for (id, number) in rows {
            let i = index_of(&id).ok_or_else(|| anyhow::anyhow!("id {id}"))?;
            let r = random_of(i);
            let mut code = [0u8; 8];
            code.copy_from_slice(&r[16..24]);
            lookups.push((number, hotline_model::number::query_code(code)));
        }
        let lookups = Arc::new(lookups);
        let addr = node.addr;
        let lookup_req = {
            let lookups = lookups.clone();
            move |c: usize, k: usize| {
                let (n, code) = &lookups[(c * PER_CLIENT + k) % lookups.len()];
                post("/lookup", &format!("number={n}&code={code}"))
            }
        };
        // Warm up, and learn a lookup page's size for the static answer.
        let (_, _, page_size) = load(addr, lookup_req.clone()).await?;
        let body: &'static [u8] = Box::leak(vec![b'x'; page_size].into_boxed_slice());
        let static_app = node_service::http::finish(
            axum::Router::new()
                .route(
                    "/static",
                    axum::routing::post(move || async move {
                        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
                    }),
                )
                .layer(node_service::http_common::budget::layer(
                    state.citizens.slots.clone(),
                )),
            state.clone(),
        );
        let static_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let static_addr = static_listener.local_addr()?;
        let server = tokio::spawn(async move { axum::serve(static_listener, static_app).await });
        let static_req = |_: usize, _: usize| post("/static", "number=x&code=y");
        let (static_rate, static_ms, _) = load(static_addr, static_req).await?;
        server.abort();
        let (lookup_rate, lookup_ms, _) = load(addr, lookup_req).await?;
        let (figures_rate, figures_ms, figures_size) = load(addr, |_, _| get("/figures")).await?;
        let (api_rate, api_ms, _) = load(addr, |_, _| get("/api/public/figures/recent")).await?;
        // Computing the twelve months afresh (as after a restart, or once the cache is stale).
        let t = Instant::now();
        let _ = node_service::citizen::figures::recent(&state).await;
        let cached_ms = t.elapsed().as_secs_f64() * 1000.0;
        let fresh_ms = {
            let mut later = state.clone();
            later.citizens = Arc::new(node_service::citizen::CitizenGuards::default());
            let t = Instant::now();
            node_service::citizen::figures::recent(&later)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            t.elapsed().as_secs_f64() * 1000.0
        };
        for (name, rate, ms) in [
            ("static", static_rate, &static_ms),
            ("lookup_page", lookup_rate, &lookup_ms),
            ("figures_page", figures_rate, &figures_ms),
            ("figures_api", api_rate, &api_ms),
        ] {
            emit(
                &json!({"bench": "portal", "request": name, "requests": ms.len(),
                "per_sec": rate, "p50_ms": percentile(ms, 0.5), "p99_ms": percentile(ms, 0.99)}),
            );
        }
        emit(&json!({"bench": "portal", "summary": true, "orders": total,
            "clients": CLIENTS, "public_slots": node_service::http_common::budget::public_slots(),
            "page_bytes": page_size, "figures_bytes": figures_size,
            "static_per_sec": static_rate, "lookup_per_sec": lookup_rate,
            "lookup_ratio_to_static": lookup_rate / static_rate,
            "lookup_p99_ms": percentile(&lookup_ms, 0.99),
            "static_p99_ms": percentile(&static_ms, 0.99),
            "figures_per_sec": figures_rate,
            "figures_p99_ms": percentile(&figures_ms, 0.99),
            "figures_compute_ms": fresh_ms, "figures_cached_ms": cached_ms,
            "goal_lookup_ratio": 0.5, "goal_lookup_p99_ms": 10, "goal_figures_p99_ms": 20}));
        node.shutdown().await?;
        anyhow::Ok(())
    })
}
