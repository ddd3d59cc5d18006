//! What the notification tests share: a local SMS gateway that recomputes each provider's
//! signature and answers as told, and a hub started in-process with a clock the test moves.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use node_service::NodeConfig;
use node_service::api::in_process::Client;
use node_service::notify::sms::SmsConfig;
use node_service::notify::{NotifyConfig, sms_sign};
use serde_json::{Value, json};

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
pub const NOW: i64 = 1_795_485_600_000;
pub const SECRET: &str = "test-secret";

/// What the gateway does with the next requests.
pub const ACCEPT: u8 = 0;
pub const FAIL_500: u8 = 1;
pub const REFUSE: u8 = 2;
pub const HANG: u8 = 3;

#[derive(Default)]
pub struct Gateway {
    pub mode: AtomicU8,
    /// (provider, phone, text, signature valid) of every request received.
    pub got: Mutex<Vec<(String, String, String, bool)>>,
    /// (phone, number extension) of every request sent from an extension (a survey).
    pub extends: Mutex<Vec<(String, String)>>,
}

async fn aliyun(
    State(g): State<Arc<Gateway>>,
    RawQuery(q): RawQuery,
    Query(params): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let valid = sms_sign::aliyun_verify_query(&q.unwrap_or_default(), SECRET);
    let param = |k: &str| params.get(k).cloned().unwrap_or_default();
    let text: Value = serde_json::from_str(&param("TemplateParam")).unwrap_or_default();
    if !param("SmsUpExtendCode").is_empty() {
        g.extends
            .lock()
            .unwrap()
            .push((param("PhoneNumbers"), param("SmsUpExtendCode")));
    }
    g.got.lock().unwrap().push((
        "aliyun".into(),
        param("PhoneNumbers"),
        text["content"].as_str().unwrap_or_default().into(),
        valid,
    ));
    if !valid {
        return (
            StatusCode::OK,
            json!({"Code": "SignatureDoesNotMatch", "Message": "bad signature"}).to_string(),
        );
    }
    answer(
        &g,
        || json!({"Code": "OK", "Message": "OK", "BizId": "900100"}),
    )
    .await
}

async fn tencent(
    State(g): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let ts: i64 = h("x-tc-timestamp").parse().unwrap_or_default();
    let valid = sms_sign::tc3_secret_id(h("authorization")) == Some("AKIDtest")
        && sms_sign::tc3_verify(
            h("authorization"),
            SECRET,
            "sms",
            "127.0.0.1",
            h("content-type"),
            &body,
            ts,
        );
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    g.got.lock().unwrap().push((
        "tencent".into(),
        v["PhoneNumberSet"][0].as_str().unwrap_or_default().into(),
        v["TemplateParamSet"][0].as_str().unwrap_or_default().into(),
        valid,
    ));
    answer(&g, || {
        json!({"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "5000:1"}], "RequestId": "r1"}})
    })
    .await
}

async fn answer(g: &Gateway, ok: impl Fn() -> Value) -> (StatusCode, String) {
    match g.mode.load(Ordering::SeqCst) {
        ACCEPT => (StatusCode::OK, ok().to_string()),
        FAIL_500 => (StatusCode::INTERNAL_SERVER_ERROR, "down".into()),
        REFUSE => (
            StatusCode::OK,
            json!({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号",
                   "Response": {"Error": {"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "号码错误"}}})
            .to_string(),
        ),
        _ => std::future::pending().await,
    }
}

/// An Alibaba Cloud account at the gateway `url`, its secret the one the gateway checks.
pub fn aliyun_account(url: String) -> SmsConfig {
    SmsConfig::Aliyun {
        access_key_id: "testId".into(),
        access_key_secret: SECRET.into(),
        sign_name: "临江12345".into(),
        template_code: "SMS_1".into(),
        region_id: "cn-hangzhou".into(),
        endpoint: url,
    }
}

/// Starts the gateway on a port it bound; its base URL.
pub async fn gateway() -> (Arc<Gateway>, String) {
    let g = Arc::new(Gateway::default());
    let app = axum::Router::new()
        .route("/", axum::routing::get(aliyun).post(tencent))
        .with_state(g.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (g, url)
}

/// A hub started in-process on its own data directory, its clock in the test's hands.
pub struct Hub {
    pub node: node_service::node::RunningNode,
    pub client: Client,
    pub clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

pub async fn hub(dir: tempfile::TempDir, notify: NotifyConfig) -> Hub {
    hub_with(dir, |c| c.notify = notify).await
}

/// A hub whose configuration `adjust` settles.
pub async fn hub_with(dir: tempfile::TempDir, adjust: impl FnOnce(&mut NodeConfig)) -> Hub {
    let mut config = NodeConfig {
        data_dir: dir.path().join("hub"),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    adjust(&mut config);
    let clock = Arc::new(AtomicI64::new(NOW));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let now = clock.clone();
    let node = node_service::start(
        config,
        listener,
        Arc::new(move || now.load(Ordering::SeqCst)),
    )
    .await
    .unwrap();
    Hub {
        client: Client::new(node.state.clone()),
        node,
        clock,
        _dir: dir,
    }
}

/// Re-checks `check` after every commit of the hub's store (each attempt is recorded in one)
/// until it holds; fails after ten seconds.
pub async fn until(hub: &Hub, what: &str, mut check: impl FnMut() -> bool) {
    let mut w = Waiter::new(hub);
    while !check() {
        w.next(what).await;
    }
}

/// Waits for the next commit of the hub's store (at most 200 ms), failing the test ten seconds
/// after it was made.
pub struct Waiter {
    commits: tokio::sync::watch::Receiver<i64>,
    deadline: tokio::time::Instant,
}

impl Waiter {
    pub fn new(hub: &Hub) -> Waiter {
        let mut commits = hub.node.state.store.committed();
        commits.borrow_and_update();
        Waiter {
            commits,
            deadline: tokio::time::Instant::now() + Duration::from_secs(10),
        }
    }

    pub async fn next(&mut self, what: &str) {
        assert!(
            tokio::time::Instant::now() < self.deadline,
            "waited in vain for {what}"
        );
        let step = (tokio::time::Instant::now() + Duration::from_millis(200)).min(self.deadline);
        let _ = tokio::time::timeout_at(step, self.commits.changed()).await;
    }
}

pub async fn outbox(hub: &Hub) -> Vec<(String, String, String, u32, Option<String>)> {
    hub.node
        .state
        .store
        .outbox_list(None, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|(o, _)| (o.recipient, o.state, o.body, o.attempts, o.last_error))
        .collect()
}

pub async fn act(h: &Hub, number: &str, user: &str, body: Value) {
    let (s, v) = h
        .client
        .call(
            "POST",
            &format!("/api/tickets/{number}/actions"),
            Some(user),
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
}
