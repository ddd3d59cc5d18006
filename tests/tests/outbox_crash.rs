//! A hub killed with SIGKILL while its outbox is sending, then restarted on the same data: every
//! notification is delivered, none is lost, and the only duplicates are those in flight at the
//! kill (at most one sender batch), counted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::Value;

/// Texts received, by outbox key: how many times each; and a wake-up for each.
#[derive(Default)]
struct Gateway {
    got: Mutex<HashMap<String, u32>>,
    arrived: tokio::sync::Notify,
    /// Once this many distinct texts arrived, the gateway answers no more until released: the
    /// node is then sure to be killed with texts still unsent, however fast it sends.
    hold_at: std::sync::atomic::AtomicUsize,
    released: tokio::sync::watch::Sender<bool>,
}

type Received = Arc<Gateway>;

async fn receive(State(g): State<Received>, Json(v): Json<Value>) -> &'static str {
    let key = v["id"].as_str().unwrap_or_default().to_owned();
    let distinct = {
        let mut got = g.got.lock().unwrap();
        *got.entry(key).or_default() += 1;
        got.len()
    };
    g.arrived.notify_one();
    let hold_at = g.hold_at.load(std::sync::atomic::Ordering::SeqCst);
    if hold_at > 0 && distinct >= hold_at {
        let _ = g.released.subscribe().wait_for(|r| *r).await;
    }
    "ok"
}

/// Waits (woken by each arrival) until at least `n` distinct texts arrived; fails after a minute.
async fn until_received(g: &Received, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while total(g).0 < n {
        let waited = tokio::time::timeout_at(deadline, g.arrived.notified()).await;
        assert!(waited.is_ok(), "lost: {} of {n} delivered", total(g).0);
    }
}

fn spawn(
    dir: &std::path::Path,
    gateway: &str,
    count: u64,
) -> (Child, impl Iterator<Item = String> + use<>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outbox-node"))
        .arg(dir)
        .arg(gateway)
        .arg(count.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start outbox-node");
    let lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    (child, lines)
}

fn total(g: &Received) -> (usize, u32) {
    let g = g.got.lock().unwrap();
    (g.len(), g.values().sum())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_sending_loses_no_notification() {
    const ORDERS: u64 = 600;
    let got: Received = Arc::new(Gateway {
        got: Mutex::default(),
        arrived: tokio::sync::Notify::new(),
        hold_at: (ORDERS as usize / 3).into(),
        released: tokio::sync::watch::channel(false).0,
    });
    let app = axum::Router::new()
        .route("/", axum::routing::post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");

    // Register the orders; kill the node while it is sending: once every order is registered
    // with its text queued (it says `queued`) and the gateway, holding its answers after a
    // third, has those. Waiting for both, not either, keeps texts unsent at the kill however the
    // registering and the sending share a busy machine's cores.
    let (mut child, lines) = spawn(&data, &gateway, ORDERS);
    let registered = tokio::task::spawn_blocking(move || {
        let mut lines = lines;
        let queued = lines.find(|l| l.starts_with("queued")).is_some();
        (queued, lines) // the pipe stays open until the kill
    });
    until_received(&got, ORDERS as usize / 3).await;
    let (queued_all, _lines) = registered.await.unwrap();
    assert!(queued_all, "the node registered every order");
    child.kill().unwrap(); // SIGKILL, mid-batch
    child.wait().unwrap();
    let (at_kill, _) = total(&got);
    // What it had queued by then (every order acknowledged has its text queued with it).
    let queued: i64 = rusqlite::Connection::open(data.join("replica.sqlite"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    let orders: i64 = rusqlite::Connection::open(data.join("replica.sqlite"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, orders, "one text per registered order");
    assert!(
        (at_kill as i64) < queued,
        "killed before it had sent everything"
    );

    // Restarted on the same data, it sends the rest and says when its outbox is empty.
    got.released.send_replace(true);
    let (mut child, mut lines) = spawn(&data, &gateway, 0);
    let done = tokio::task::spawn_blocking(move || lines.find(|l| l.starts_with("all sent")))
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(done, Some(format!("all sent {queued} dead 0")));
    let (distinct, received) = total(&got);
    assert_eq!(distinct as i64, queued, "every text, none lost");
    let duplicates = received as usize - distinct;
    // Only what was in flight at the kill can come twice: at most one batch of the sender.
    assert!(duplicates <= 32, "{duplicates} duplicates");
    eprintln!("{queued} queued; killed after {at_kill} delivered; {duplicates} delivered twice");
}
