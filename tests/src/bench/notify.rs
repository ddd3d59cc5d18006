//! `notify`: notifications delivered for real — texts to a local HTTP gateway and e-mails to a
//! local SMTP server (aiosmtpd, STARTTLS and a login) — by a hub killed with SIGKILL halfway and
//! restarted; then the cost a workflow action pays for queuing its notifications, against the
//! same actions with notifications off, in the same run.
//!
//! The hub runs as a child process (this binary again, as `bench notify-node …`). Each order
//! causes three notifications: the caller's text (number and code), and the dispatch's text and
//! e-mail to 东湖区's duty contacts. `--size N` sets the orders (default 3,334: ~10,000
//! notifications).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::sync_common::runtime;
use super::{Args, emit};

#[derive(Default)]
struct Gateway {
    got: Mutex<HashMap<String, u32>>,
    arrived: tokio::sync::Notify,
}

async fn receive(State(g): State<Arc<Gateway>>, Json(v): Json<Value>) -> &'static str {
    let key = v["id"].as_str().unwrap_or_default().to_owned();
    *g.got
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default() += 1;
    g.arrived.notify_one();
    "ok"
}

/// (distinct, received) texts.
fn texts(g: &Gateway) -> (usize, u64) {
    let got = g.got.lock().unwrap_or_else(|p| p.into_inner());
    (got.len(), got.values().map(|&n| u64::from(n)).sum())
}

/// (distinct, received) e-mails in the Maildir, by Message-ID.
fn mails(maildir: &std::path::Path) -> (usize, u64) {
    let mut ids: HashMap<String, u32> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir(maildir.join("new")) {
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or_default()
                .to_owned();
            *ids.entry(id).or_default() += 1;
        }
    }
    (ids.len(), ids.values().map(|&n| u64::from(n)).sum())
}

fn spawn_node(
    args: &[String],
) -> Result<(Child, std::io::Lines<BufReader<std::process::ChildStdout>>)> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("notify-node")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().context("child stdout")?;
    Ok((child, BufReader::new(out).lines()))
}

/// `bench notify-node …`: the child hub (see `crate::outbox_node`).
pub fn node(args: Vec<String>) -> Result<()> {
    runtime()?.block_on(crate::outbox_node::run(args))
}

pub fn run(args: &Args) -> Result<()> {
    let orders = args.size.unwrap_or(3_334) as u64;
    let dir = tempfile::tempdir()?;
    // The SMTP server, its certificate from the project's CA.
    let now = time::OffsetDateTime::now_utc();
    let ca = sync_protocol::pki::CertificateAuthority::create("测试CA", now, 30, [7; 16])?;
    let (cert, key) = ca.issue_web(&["localhost".into()], now, 30, [8; 16])?;
    std::fs::write(dir.path().join("ca.pem"), ca.cert_pem())?;
    std::fs::write(dir.path().join("smtp.pem"), cert)?;
    std::fs::write(dir.path().join("smtp.key"), key)?;
    let maildir = dir.path().join("maildir");
    let mut smtp = Command::new("/usr/bin/python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../node-service/tests/smtp_server.py"
        ))
        .arg(&maildir)
        .arg(dir.path().join("smtp.pem"))
        .arg(dir.path().join("smtp.key"))
        .args(["notice", "s3cret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("python3 with aiosmtpd (scripts/test installs python3-aiosmtpd)")?;
    let mut line = String::new();
    BufReader::new(smtp.stdout.take().context("smtp stdout")?).read_line(&mut line)?;
    let smtp_port: u16 = line
        .trim()
        .strip_prefix("listening ")
        .context("smtp server did not start")?
        .parse()?;

    let result = runtime()?.block_on(async {
        let gw = Arc::new(Gateway::default());
        let app = axum::Router::new()
            .route("/", axum::routing::post(receive))
            .with_state(gw.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let gateway = format!("http://{}/", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        let data = dir.path().join("hub").display().to_string();
        let node_args = |count: u64| -> Vec<String> {
            vec![
                data.clone(),
                gateway.clone(),
                count.to_string(),
                "--dispatch".into(),
                "--smtp".into(),
                smtp_port.to_string(),
                dir.path().join("ca.pem").display().to_string(),
            ]
        };
        let expected = orders as usize * 3;
        let started = Instant::now();
        let (mut child, _lines) = spawn_node(&node_args(orders))?;
        // Kill it once half the notifications arrived (woken by each text; e-mails land in
        // files, looked at every 20 ms).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        let files = |d: &std::path::Path| std::fs::read_dir(d.join("new")).map_or(0, |e| e.count());
        while texts(&gw).0 + files(&maildir) < expected / 2 {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the hub stopped delivering"
            );
            let step = tokio::time::Instant::now() + Duration::from_millis(20);
            let _ = tokio::time::timeout_at(step, gw.arrived.notified()).await;
        }
        child.kill()?;
        child.wait()?;
        let at_kill = texts(&gw).0 + mails(&maildir).0;
        emit(
            &json!({"bench": "notify", "phase": "killed", "delivered": at_kill,
                     "seconds": started.elapsed().as_secs_f64()}),
        );
        let (mut child, mut lines) = spawn_node(&node_args(0))?;
        let done = tokio::task::spawn_blocking(move || {
            lines.find_map(|l| l.ok().filter(|l| l.starts_with("all sent")))
        })
        .await?
        .context("the restarted hub never emptied its outbox")?;
        let elapsed = started.elapsed().as_secs_f64();
        child.kill()?;
        child.wait()?;
        let queued: u64 = done
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        let dead: u64 = done
            .split_whitespace()
            .nth(4)
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        let (t_distinct, t_all) = texts(&gw);
        let (m_distinct, m_all) = mails(&maildir);
        let delivered = (t_distinct + m_distinct) as u64;
        let duplicates = t_all + m_all - delivered;
        let lost = queued.saturating_sub(delivered);
        emit(
            &json!({"bench": "notify", "phase": "delivered", "orders": orders,
                     "queued": queued, "texts": t_distinct, "emails": m_distinct,
                     "dead": dead, "duplicates": duplicates, "seconds": elapsed}),
        );

        // The cost of queuing: the same actions with notifications on and off.
        let mut on = Vec::new();
        let mut off = Vec::new();
        for round in 0..3 {
            off.push(actions(dir.path(), round * 2, false).await?);
            on.push(actions(dir.path(), round * 2 + 1, true).await?);
        }
        on.sort_by(f64::total_cmp);
        off.sort_by(f64::total_cmp);
        let ratio = on[1] / off[1];
        emit(&json!({"bench": "notify", "phase": "action_cost",
                     "per_action_us_on": on[1], "per_action_us_off": off[1], "ratio": ratio}));
        anyhow::Ok(json!({"bench": "notify", "summary": true, "orders": orders,
            "queued": queued, "delivered": delivered, "lost": lost, "duplicates": duplicates,
            "killed_at": at_kill, "per_sec": delivered as f64 / elapsed,
            "action_cost_ratio": ratio, "goal_lost": 0, "goal_action_cost_ratio": 1.2}))
    });
    let _ = smtp.kill();
    let _ = smtp.wait();
    emit(&result?);
    Ok(())
}

/// Microseconds per workflow action (registration, review, dispatch of 6,000 orders by 16
/// concurrent clients) on a fresh store, with notifications queued or not.
async fn actions(dir: &std::path::Path, round: u32, notify: bool) -> Result<f64> {
    const ORDERS: u64 = 6_000;
    let path = dir.join(format!("actions-{round}.sqlite"));
    let store = replica_store::Store::open(&path, "HUB", [round as u8 + 1; 16])?;
    if notify {
        let rd = deploy::demo::seed_refdata()?;
        let org = Arc::new(rd.org);
        let rules = hotline_model::notify::NoticeRules::default();
        store.set_notifier(Arc::new(move |view, events, code| {
            let now = events.last().map_or(0, |e| e.hlc.wall_ms);
            hotline_model::notify::notices(view, events, code, &org, &rules, now)
        }));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..16u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(client);
            for i in (client..ORDERS).step_by(16) {
                crate::fixtures::register_and_dispatch(&store, i, true, &mut rng).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / (ORDERS * 3) as f64)
}
