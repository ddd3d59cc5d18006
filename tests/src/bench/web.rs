//! `web`: the staff pages under load. A district node (D01) holding 20,000 orders of its
//! subtree (5,000 open, waiting to be signed, by deadline; the rest answered and closed), with the
//! knowledge base, and 32 signed-in sessions loading the inbox, an order page and the
//! knowledge-base panel, each through the node's whole HTTP stack in process (authentication,
//! CSRF check, headers, rendering). In the same run, the same sessions ask the JSON API for the
//! same data: the ratio is what turning answers into pages costs.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotline_model::event::{Action, AssignTo};
use serde_json::json;
use tower::ServiceExt;

use super::sync_common::{fill_with, runtime};
use super::{Args, emit, percentile};

const SESSIONS: usize = 32;
const OPEN: u64 = 5_000;

/// One kind of request, as a page and as the API.
#[derive(Clone, Copy)]
enum Kind {
    Inbox,
    Order,
    Kb,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Inbox => "inbox",
            Kind::Order => "order",
            Kind::Kb => "kb_panel",
        }
    }
}

const QUESTIONS: [&str; 4] = [
    "社保卡丢了怎么补办",
    "小区楼下饭店夜间噪声扰民，晚上十一点以后排风机声音很大",
    "公积金提取需要什么材料",
    "孩子上小学怎么报名，需要准备户口本和房产证吗",
];

fn request(kind: Kind, page: bool, cookie: &str, number: &str, i: usize) -> Result<Request<Body>> {
    let q = QUESTIONS[i % QUESTIONS.len()];
    let r = Request::builder().header(header::COOKIE, format!("hotline_session={cookie}"));
    Ok(match (kind, page) {
        (Kind::Inbox, true) => r.uri("/staff/inbox?tab=sign").body(Body::empty())?,
        (Kind::Inbox, false) => r
            .uri(format!(
                "/api/tickets?status=dispatched&unit=D01&due_before={}&limit=50",
                i64::MAX
            ))
            .body(Body::empty())?,
        (Kind::Order, true) => r
            .uri(format!("/staff/orders/{number}"))
            .body(Body::empty())?,
        (Kind::Order, false) => r
            .uri(format!("/api/tickets/{number}"))
            .body(Body::empty())?,
        (Kind::Kb, true) => {
            let form = format!("title=&content={}", urlencode(q));
            r.method("POST")
                .uri("/staff/kb/panel")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))?
        }
        (Kind::Kb, false) => r
            .uri(format!("/api/kb/search?limit=5&q={}", urlencode(q)))
            .body(Body::empty())?,
    })
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn run(args: &Args) -> Result<()> {
    let total = args.size.unwrap_or(20_000) as u64;
    let rounds = 40;
    runtime()?.block_on(async {
        let dir = tempfile::tempdir()?;
        let seed = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed"));
        let cfg = node_service::NodeConfig {
            node_code: "D01".into(),
            role: node_service::NodeRole::Edge,
            jurisdiction: "D01".into(),
            data_dir: dir.path().join("d01"),
            seed_dir: Some(seed.clone()),
            alert_sweep_secs: 0,
            ..node_service::NodeConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let node = node_service::start(cfg, listener, Arc::new(crate::fixtures::now_ms)).await?;
        let state = node.state.clone();
        let articles = node_service::kb::seed_if_empty(
            &state.store,
            &seed.join("knowledge"),
            "D01",
            crate::fixtures::now_ms(),
        )
        .await?;
        let t = Instant::now();
        fill_with(&state.store, total, |i, t| {
            t.unit = "D01".into();
            t.author = "d01-handler".into();
            let now = t.now_ms;
            if i < OPEN {
                let dispatch = Action::Dispatch {
                    lead: AssignTo {
                        unit: "D01".into(),
                        sign_due_at: now + 7_200_000 + (i as i64) * 60_000,
                        due_at: now + 15 * 86_400_000 + (i as i64) * 60_000,
                    },
                    co: Vec::new(),
                    note: String::new(),
                    final_assignment: false,
                };
                t.then = vec![
                    (format!("r{i}"), Action::accept_review("")),
                    (format!("d{i}"), dispatch),
                ];
            } else {
                t.then = vec![(
                    format!("a{i}"),
                    Action::AnswerDirectly {
                        answer: "已按政策解答。".into(),
                    },
                )];
            }
        })
        .await?;
        // The search index follows the store by itself; wait until it holds the articles.
        let kb = state
            .kb
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no search index"))?;
        kb.catch_up(&state.store).await?;
        let counts = state.store.status_counts().await?;
        emit(
            &json!({"bench": "web", "phase": "filled", "orders": total, "open": OPEN,
            "articles": articles, "statuses": counts, "seconds": t.elapsed().as_secs_f64()}),
        );

        let numbers: Vec<String> = state
            .store
            .list(replica_store::TicketFilter {
                status: Some("dispatched".into()),
                limit: Some(500),
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|s| s.number)
            .collect();
        if numbers.is_empty() {
            bail!("no open orders to open");
        }
        let numbers = Arc::new(numbers);
        let app = node_service::http::app(state.clone());
        let mut cookies = Vec::new();
        for _ in 0..SESSIONS {
            cookies.push(
                state
                    .auth
                    .open_session(
                        &state.store,
                        "d01-handler",
                        "bench",
                        crate::fixtures::now_ms(),
                    )
                    .await?,
            );
        }

        // Warm up once per kind, then every session runs its rounds.
        let kinds = [Kind::Inbox, Kind::Order, Kind::Kb];
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (s, cookie) in cookies.into_iter().enumerate() {
            let (app, numbers) = (app.clone(), numbers.clone());
            tasks.push(tokio::spawn(async move {
                // (kind, page?) → times in ms
                let mut ms: Vec<Vec<f64>> = vec![Vec::new(); 6];
                for round in 0..rounds {
                    let i = s * rounds + round;
                    let number = &numbers[i % numbers.len()];
                    for (k, kind) in kinds.iter().enumerate() {
                        // Alternate which face goes first, so neither always gets a warm cache.
                        let faces = if i % 2 == 0 {
                            [true, false]
                        } else {
                            [false, true]
                        };
                        for page in faces {
                            let req = request(*kind, page, &cookie, number, i)?;
                            let t = Instant::now();
                            let resp = app.clone().oneshot(req).await?;
                            let status = resp.status();
                            let body = http_body_util::BodyExt::collect(resp.into_body()).await?;
                            let elapsed = t.elapsed().as_secs_f64() * 1000.0;
                            if status != StatusCode::OK || body.to_bytes().is_empty() {
                                bail!("{} (page: {page}) answered {status}", kind.name());
                            }
                            if round > 0 {
                                ms[k * 2 + usize::from(!page)].push(elapsed);
                            }
                        }
                    }
                }
                anyhow::Ok(ms)
            }));
        }
        let mut all: Vec<Vec<f64>> = vec![Vec::new(); 6];
        for t in tasks {
            for (i, v) in t.await??.into_iter().enumerate() {
                all[i].extend(v);
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        let mut worst_p99: f64 = 0.0;
        let mut worst_ratio: f64 = 0.0;
        for (k, kind) in kinds.iter().enumerate() {
            let (mut page, mut api) = (all[k * 2].clone(), all[k * 2 + 1].clone());
            page.sort_by(f64::total_cmp);
            api.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(&page, 0.5), percentile(&page, 0.99));
            let (j50, j99) = (percentile(&api, 0.5), percentile(&api, 0.99));
            let ratio = p99 / j99;
            worst_p99 = worst_p99.max(p99);
            worst_ratio = worst_ratio.max(ratio);
            emit(
                &json!({"bench": "web", "page": kind.name(), "requests": page.len(),
                "p50_ms": p50, "p99_ms": p99, "json_p50_ms": j50, "json_p99_ms": j99,
                "ratio_p50": p50 / j50, "ratio_p99": ratio}),
            );
        }
        emit(
            &json!({"bench": "web", "summary": true, "orders": total, "open": OPEN,
            "sessions": SESSIONS, "rounds": rounds, "seconds": seconds,
            "worst_page_p99_ms": worst_p99, "worst_ratio_to_json": worst_ratio,
            "goal_page_p99_ms": 50, "goal_ratio": 1.5}),
        );
        node.shutdown().await?;
        anyhow::Ok(())
    })
}
