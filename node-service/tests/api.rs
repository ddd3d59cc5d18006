//! The HTTP API with good and bad input, through the router without a socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::http::StatusCode;
use node_service::{NodeConfig, api};
use serde_json::{Value, json};

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

struct Harness {
    client: std::sync::Arc<node_service::api::in_process::Client>,
    app: axum::Router,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
    store: replica_store::Store,
    state: node_service::AppState,
}

async fn harness() -> Harness {
    harness_with(|_| {}).await
}

async fn harness_with(adjust: impl FnOnce(&mut NodeConfig)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig {
        data_dir: dir.path().to_path_buf(),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        max_body_bytes: 64 * 1024,
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    adjust(&mut config);
    let clock = Arc::new(AtomicI64::new(NOW));
    let c = clock.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = node_service::start(config, listener, Arc::new(move || c.load(Ordering::SeqCst)))
        .await
        .unwrap();
    let state = node.state.clone();
    Harness {
        client: std::sync::Arc::new(node_service::api::in_process::Client::new(state.clone())),
        app: api::router(state.clone()),
        clock,
        _dir: dir,
        store: state.store.clone(),
        state,
    }
}

impl Harness {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        user: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        self.client.call_raw(method, uri, user, body).await.unwrap()
    }

    async fn post(&self, uri: &str, user: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", uri, Some(user), Some(body.to_string()))
            .await
    }

    async fn act(&self, number: &str, user: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/tickets/{number}/actions"), user, body)
            .await
    }

    fn advance_hours(&self, h: i64) {
        self.clock.fetch_add(h * 3_600_000, Ordering::SeqCst);
    }
}

fn intake() -> Value {
    json!({
        "channel": "phone",
        "caller_name": "张三",
        "caller_phone": "13812348000",
        "address": "东湖区翠湖花园3栋",
        "request_type": "complaint",
        "subject": "CX.WY.DT",
        "title": "电梯频繁停运",
        "content": "3号楼电梯一个月停了五次，物业不修。",
        "urgent": false
    })
}

async fn create(h: &Harness) -> Value {
    let (status, body) = h
        .post("/api/tickets", "op01", json!({ "intake": intake() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn a_complaint_goes_through_its_whole_life() {
    let h = harness().await;
    let created = create(&h).await;
    let number = created["ticket"]["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("20261124-HUB-"), "{number}");
    assert_eq!(created["query_code"].as_str().unwrap().len(), 11);
    assert_eq!(created["ticket"]["state"]["status"], "pending_review");

    let (s, v) = h
        .act(&number, "sl01", json!({"action": "review", "accept": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = h
        .act(
            &number,
            "sl01",
            json!({"action": "dispatch", "lead": "B-ZJJ", "co": ["D01"], "note": "请核实处理"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"]["status"], "dispatched");
    // Complaints have 15 working days, counted from the next workday: due well after now.
    let due = v["state"]["lead"]["due_at"].as_i64().unwrap();
    assert!(due > NOW + 15 * 86_400_000, "due {due}");
    let sign_due = v["state"]["lead"]["sign_due_at"].as_i64().unwrap();
    assert_eq!(
        sign_due,
        NOW + 2 * 3_600_000,
        "two office hours from 10:00 is 12:00"
    );

    h.advance_hours(1);
    for user in ["b-zjj-handler", "d01-handler"] {
        let (s, v) = h.act(&number, user, json!({"action": "sign"})).await;
        assert_eq!(s, StatusCode::OK, "{user}: {v}");
    }
    // The lead cannot reply before its co-handler.
    let reply = json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已督促物业更换电梯控制柜，电梯恢复运行。"});
    let (s, v) = h.act(&number, "b-zjj-handler", reply.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"], "workflow_rejected");
    assert_eq!(v["detail"]["kind"], "co_handlers_pending");
    let (s, _) = h
        .act(&number, "d01-handler", json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已配合住建局现场核查。"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = h.act(&number, "b-zjj-handler", reply).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"]["status"], "replied");
    let (s, _) = h
        .act(
            &number,
            "sv01",
            json!({"action": "review_result", "accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = h
        .act(
            &number,
            "op02",
            json!({"action": "callback", "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = h
        .act(&number, "sv01", json!({"action": "close", "publish": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"]["status"], "closed");
    assert_eq!(v["events"].as_array().unwrap().len(), 10);

    let (s, list) = h
        .call("GET", "/api/tickets?status=closed", Some("sv01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (s, list) = h
        .call("GET", "/api/tickets?unit=D01", Some("sv01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["number"], number.as_str());

    // Published (公示): on the public list with the handling unit and the public reply only.
    let (s, v) = h.call("GET", "/api/public/published", None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["results"][0];
    assert_eq!(r["number"], number.as_str());
    assert_eq!(r["handling_unit"], "市住房和城乡建设局");
    assert_eq!(r["reply"], "已督促物业更换电梯控制柜，电梯恢复运行。");
    for secret in ["13812348000", "张三", "翠湖花园", "一个月停了五次"] {
        assert!(
            !v.to_string().contains(secret),
            "published list leaks {secret}"
        );
    }
    // And in the month's public figures: closed on time, the citizen satisfied.
    let (_, f) = h.call("GET", "/api/public/figures", None, None).await;
    assert_eq!(
        (f["received"].as_u64(), f["closed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(f["on_time_rate"], 1.0);
    assert_eq!(f["satisfaction_rate"], 1.0);
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_write_nothing() {
    let h = harness().await;
    let seq_before = *h.store.committed().borrow();

    // No user, unknown user.
    let (s, v) = h
        .call(
            "POST",
            "/api/tickets",
            None,
            Some(json!({"intake": intake()}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "unauthenticated");
    let (s, _) = h
        .post("/api/tickets", "nobody", json!({"intake": intake()}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Malformed JSON, missing fields, unknown fields.
    let (s, v) = h
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some("{\"intake\": ".into()),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"], "invalid_json");
    let (s, v) = h
        .post("/api/tickets", "op01", json!({"intake": {"title": "x"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = h
        .post(
            "/api/tickets",
            "op01",
            json!({"intake": intake(), "extra": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Oversized body.
    let mut big = intake();
    big["content"] = json!("长".repeat(40_000));
    let (s, v) = h.post("/api/tickets", "op01", json!({"intake": big})).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    // Oversized field within the body limit.
    let mut long = intake();
    long["title"] = json!("电".repeat(101));
    let (s, v) = h
        .post("/api/tickets", "op01", json!({"intake": long}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"], "invalid_field");
    assert_eq!(v["detail"]["field"], "title");
    // Unknown category.
    let mut unknown = intake();
    unknown["subject"] = json!("NO.SUCH");
    let (s, v) = h
        .post("/api/tickets", "op01", json!({"intake": unknown}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"], "unknown_reference");
    // A role that may not register.
    let (s, _) = h
        .post("/api/tickets", "insp01", json!({"intake": intake()}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        *h.store.committed().borrow(),
        seq_before,
        "nothing was written"
    );

    let created = create(&h).await;
    let number = created["ticket"]["number"].as_str().unwrap();
    let seq = *h.store.committed().borrow();
    // Unknown unit, wrong role, wrong state, unknown action, unknown ticket.
    let (s, v) = h
        .act(
            number,
            "sl01",
            json!({"action": "dispatch", "lead": "NOPE"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = h
        .act(
            number,
            "op01",
            json!({"action": "dispatch", "lead": "B-ZJJ"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = h
        .act(number, "b-zjj-handler", json!({"action": "sign"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap().contains("待审核"), "{v}");
    let (s, _) = h.act(number, "sl01", json!({"action": "fly"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = h
        .act("20990101-HUB-00001", "sl01", json!({"action": "sign"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = h
        .act(number, "sl01", json!({"action": "merge", "master": number}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = h
        .act(number, "sl01", json!({"action": "review", "accept": false}))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sending back needs a note"
    );
    assert_eq!(*h.store.committed().borrow(), seq, "nothing was written");
    let (s, v) = h
        .call("GET", &format!("/api/tickets/{number}"), Some("op01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
    let (s, v) = h
        .call("GET", "/api/tickets?status=bogus", Some("op01"), None)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = h.call("GET", "/api/nothing", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn confidential_reporters_are_hidden_from_handling_units() {
    let h = harness().await;
    let mut i = intake();
    i["confidential"] = json!(true);
    i["request_type"] = json!("report");
    let (s, v) = h.post("/api/tickets", "op01", json!({"intake": i})).await;
    assert_eq!(s, StatusCode::CREATED);
    let number = v["ticket"]["number"].as_str().unwrap();
    let (_, centre) = h
        .call("GET", &format!("/api/tickets/{number}"), Some("sv01"), None)
        .await;
    assert_eq!(centre["intake"]["caller_phone"], "13812348000");
    let url = format!("/api/tickets/{number}");
    // Before dispatch the bureau may not see it at all; once it handles it, it sees it masked.
    let (s, body) = h.call("GET", &url, Some("b-zjj-handler"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    h.act(number, "sl01", json!({"action": "review", "accept": true}))
        .await;
    let (s, v) = h
        .act(
            number,
            "sl01",
            json!({"action": "dispatch", "lead": "B-ZJJ"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, unit) = h.call("GET", &url, Some("b-zjj-handler"), None).await;
    assert_eq!(s, StatusCode::OK, "{unit}");
    assert_eq!(unit["intake"]["caller_phone"], "138****8000");
    assert_eq!(unit["intake"]["caller_name"], "张*");

    // Even closed with "publish", a confidential order never reaches the public list.
    let steps = [
        ("b-zjj-handler", json!({"action": "sign"})),
        (
            "b-zjj-handler",
            json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已查处。"}),
        ),
        ("sv01", json!({"action": "review_result", "accept": true})),
        (
            "op02",
            json!({"action": "callback", "satisfaction": "satisfied"}),
        ),
        ("sv01", json!({"action": "close", "publish": true})),
    ];
    for (user, step) in steps {
        let (s, v) = h.act(number, user, step).await;
        assert_eq!(s, StatusCode::OK, "{user}: {v}");
    }
    let (_, v) = h.call("GET", "/api/public/published", None, None).await;
    assert_eq!(v["results"], json!([]));
}

#[tokio::test]
async fn member_units_see_only_their_own_subtree_orders() {
    let harness = harness().await;
    let h = &harness;
    let to = |lead: &'static str| async move {
        let number = create(&h).await["ticket"]["number"]
            .as_str()
            .unwrap()
            .to_string();
        h.act(&number, "sl01", json!({"action": "review", "accept": true}))
            .await;
        let (s, v) = h
            .act(&number, "sl01", json!({"action": "dispatch", "lead": lead}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        number
    };
    let town = to("D01-T01").await;
    let other = to("D02").await;
    let get = |user: &'static str, number: String| async move {
        h.call("GET", &format!("/api/tickets/{number}"), Some(user), None)
            .await
            .0
    };
    // The district sees its town's order; the other district does not; the centre sees both.
    assert_eq!(get("d01-handler", town.clone()).await, StatusCode::OK);
    assert_eq!(
        get("d02-handler", town.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(get("d02-handler", other.clone()).await, StatusCode::OK);
    assert_eq!(get("op01", town.clone()).await, StatusCode::OK);

    let numbers = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["number"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, v) = h
        .call("GET", "/api/tickets", Some("d01-handler"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        numbers(&v),
        vec![town.clone()],
        "the district lists its subtree only"
    );
    let (_, v) = h.call("GET", "/api/tickets", Some("op01"), None).await;
    assert_eq!(numbers(&v).len(), 2);
    let (s, _) = h
        .call("GET", "/api/tickets?unit=D02", Some("d01-handler"), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another district's list");
    let (s, _) = h
        .call(
            "GET",
            "/api/tickets?phone=13812348000",
            Some("d01-handler"),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "searching callers by phone is for the centre"
    );
    let (s, v) = h
        .call("GET", "/api/tickets?phone=13812348000", Some("op01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(numbers(&v).len(), 2);

    // An order a unit registers itself is on its list before anyone dispatches it.
    let (s, v) = h
        .post("/api/tickets", "d02-handler", json!({ "intake": intake() }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let own = v["ticket"]["number"].as_str().unwrap().to_string();
    let (_, v) = h
        .call("GET", "/api/tickets", Some("d02-handler"), None)
        .await;
    assert!(numbers(&v).contains(&own));
    let (_, v) = h
        .call("GET", "/api/tickets", Some("d01-handler"), None)
        .await;
    assert!(!numbers(&v).contains(&own));
}

/// A consultation answered on the call from the knowledge base (直接办结).
async fn answered_at_once(h: &Harness) -> Value {
    let mut i = intake();
    i["request_type"] = json!("consultation");
    let (s, v) = h
        .post(
            "/api/tickets",
            "op03",
            json!({"intake": i, "answer": "社保卡补办可携带身份证到任一社保服务网点办理。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

#[tokio::test]
async fn direct_answers_close_at_once_and_health_counts_them() {
    let h = harness().await;
    let v = answered_at_once(&h).await;
    assert_eq!(v["ticket"]["state"]["status"], "closed");
    let (s, health) = h.call("GET", "/api/health", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(health["tickets"], 1);
    assert_eq!(health["by_status"]["closed"], 1);
    assert_eq!(health["node"], "HUB");
}

#[tokio::test]
async fn the_hub_urges_before_and_supervises_after_a_deadline_once_each() {
    let h = harness().await;
    let created = create(&h).await;
    let number = created["ticket"]["number"].as_str().unwrap().to_string();
    let (s, v) = h
        .act(
            &number,
            "sl01",
            json!({"action": "dispatch", "lead": "B-ZJJ"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let state = node_service::AppState::clone(&h.state);
    let policy = hotline_model::alerts::AlertPolicy::default();
    // Dispatched 10:00, must sign by 12:00: at 10:30 nothing is due.
    let t = NOW + 30 * 60_000;
    assert_eq!(
        node_service::alerts::sweep(&state, t, &policy)
            .await
            .unwrap(),
        0
    );
    // At 11:40 (more than 80 % of the signing time gone) the unit is urged, once.
    let t = NOW + 100 * 60_000;
    assert_eq!(
        node_service::alerts::sweep(&state, t, &policy)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        node_service::alerts::sweep(&state, t + 60_000, &policy)
            .await
            .unwrap(),
        0
    );
    // At 14:00 the signing limit has passed: a supervision notice, once.
    let t = NOW + 4 * 3_600_000;
    assert_eq!(
        node_service::alerts::sweep(&state, t, &policy)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        node_service::alerts::sweep(&state, t + 60_000, &policy)
            .await
            .unwrap(),
        0
    );
    let (_, v) = h
        .call("GET", &format!("/api/tickets/{number}"), Some("sv01"), None)
        .await;
    let lead = &v["state"]["lead"];
    assert_eq!(lead["urges"], 1);
    assert_eq!(lead["supervision"], "notice");
    let authors: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors.iter().filter(|a| **a == "system").count(), 2);
}

#[tokio::test]
async fn citizens_look_up_with_number_and_code_and_see_no_personal_data() {
    let h = harness().await;
    let created = create(&h).await;
    let number = created["ticket"]["number"].as_str().unwrap();
    let code = created["query_code"].as_str().unwrap();
    let lookup = |n: &str, c: &str| json!({"number": n, "code": c});
    let (s, v) = h
        .call(
            "POST",
            "/api/public/lookup",
            None,
            Some(lookup(number, &code.to_lowercase()).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "已受理，正在审核派单");
    assert_eq!(v["status_code"], "pending_review");
    assert_eq!(v["caller"], "张*");
    assert_eq!(v["phone"], "138****8000");
    assert_eq!(v["steps"][0]["label"], "已受理（电话）");
    assert_eq!(v["may_rate"], false);
    let text = v.to_string();
    for secret in ["13812348000", "翠湖花园", "一个月停了五次"] {
        assert!(!text.contains(secret), "public view leaks {secret}: {text}");
    }
    // Wrong codes: the same answer as an unknown number, then a lock after five.
    let (s, v) = h
        .call(
            "POST",
            "/api/public/lookup",
            None,
            Some(lookup("20990101-HUB-00001", code).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    for _ in 0..5 {
        let (s, _) = h
            .call(
                "POST",
                "/api/public/lookup",
                None,
                Some(lookup(number, "AAAAAAAAAAA").to_string()),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, v) = h
        .call(
            "POST",
            "/api/public/lookup",
            None,
            Some(lookup(number, code).to_string()),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right code: {v}"
    );
    h.advance_hours(1);
    let (s, _) = h
        .call(
            "POST",
            "/api/public/lookup",
            None,
            Some(lookup(number, code).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the lock expires");
}

#[tokio::test]
async fn one_address_guessing_many_numbers_is_locked_out_and_others_are_not() {
    // Lookups come straight, or through the portal's reverse proxy at 10.0.0.2.
    let h = harness_with(|c| c.trusted_proxies = vec!["10.0.0.2".parse().unwrap()]).await;
    let created = create(&h).await;
    let number = created["ticket"]["number"].as_str().unwrap().to_string();
    let code = created["query_code"].as_str().unwrap().to_string();
    let lookup = |from: &str, n: &str, c: &str| {
        let client = h.client.clone();
        let from: std::net::SocketAddr = from.parse().unwrap();
        let body = json!({"number": n, "code": c}).to_string();
        async move {
            client
                .call_from(Some(from), "POST", "/api/public/lookup", None, Some(body))
                .await
                .unwrap()
                .0
        }
    };
    // Thirty guesses at thirty different numbers: no number is locked, the address is.
    for i in 0..30 {
        let guess = format!("20261124-HUB-{:05}", 100 + i);
        assert_eq!(
            lookup("203.0.113.7:50000", &guess, "AAAAAAAAAAA").await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        lookup("203.0.113.7:50001", &number, &code).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address is locked out, even with a right code"
    );
    assert_eq!(
        lookup("198.51.100.9:40000", &number, &code).await,
        StatusCode::OK,
        "another citizen is not"
    );
    h.advance_hours(1);
    assert_eq!(
        lookup("203.0.113.7:50002", &number, &code).await,
        StatusCode::OK,
        "the lock expires"
    );

    // Through the proxy, each citizen counts on their own: the address the proxy appended last.
    let via_proxy = |client: &str, n: &str, c: &str| {
        let app = h.app.clone();
        let forwarded = format!("198.18.0.1, {client}");
        let body = json!({"number": n, "code": c}).to_string();
        async move {
            let req = axum::http::Request::builder()
                .method("POST")
                .uri("/api/public/lookup")
                .header("content-type", "application/json")
                .header("x-forwarded-for", forwarded)
                .extension(axum::extract::ConnectInfo(
                    "10.0.0.2:443".parse::<std::net::SocketAddr>().unwrap(),
                ))
                .body(axum::body::Body::from(body))
                .unwrap();
            tower::ServiceExt::oneshot(app, req).await.unwrap().status()
        }
    };
    for i in 0..30 {
        let guess = format!("20261124-HUB-{:05}", 200 + i);
        assert_eq!(
            via_proxy("203.0.113.50", &guess, "AAAAAAAAAAA").await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        via_proxy("203.0.113.50", &number, &code).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        via_proxy("203.0.113.51", &number, &code).await,
        StatusCode::OK,
        "another citizen behind the same proxy is not locked out"
    );
}

#[tokio::test]
async fn centre_supervisors_edit_reference_data_at_the_hub_and_bad_edits_change_nothing() {
    let h = harness().await;
    let (status, body) = h
        .call("GET", "/api/reference/calendar", Some("sv01"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let calendar = body["text"].as_str().unwrap().to_string();
    assert!(!h.state.refdata().calendar.covers(2027));
    // On 2026-11-24 the coming year's notice is due: health says it is missing.
    let (_, health) = h.call("GET", "/api/health", None, None).await;
    assert_eq!(health["calendar"]["missing_years"], json!([2027]));
    assert!(
        health["calendar"]["message"]
            .as_str()
            .unwrap()
            .contains("2027 年")
    );

    // The next year of the calendar (MADE-UP test dates, not the official notice: 2027-01-01 is
    // a Friday, 01-02 a Saturday).
    let with_2027 = format!(
        "{calendar}\n[[year]]\nyear = 2027\nholidays = [\"01-01\"]\nmakeup_workdays = [\"01-02\"]\n"
    );
    let put = |text: &str| json!({ "text": text }).to_string();
    let (status, body) = h
        .call(
            "PUT",
            "/api/reference/calendar",
            Some("sv01"),
            Some(put(&with_2027)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], true);
    assert!(h.state.refdata().calendar.covers(2027), "reloaded at once");
    let (_, health) = h.call("GET", "/api/health", None, None).await;
    assert_eq!(health["calendar"]["missing_years"], json!([]));
    assert!(health["calendar"]["message"].is_null());
    let (_, body) = h
        .call(
            "PUT",
            "/api/reference/calendar",
            Some("sv01"),
            Some(put(&with_2027)),
        )
        .await;
    assert_eq!(body["changed"], false, "the same text again writes nothing");

    // Refused edits write nothing.
    let seq = *h.store.committed().borrow();
    let weekend_holiday = with_2027.replace("holidays = [\"01-01\"]", "holidays = [\"01-02\"]");
    let org_gone = "[[unit]]\ncode = \"C\"\nname = \"中心\"\nkind = \"centre\"\n";
    let secret = "[[user]]\nlogin = \"x1\"\nname = \"甲\"\nrole = \"unit_handler\"\nunit = \"D01\"\npassword = \"p\"\n";
    let foreign =
        "[[user]]\nlogin = \"x2\"\nname = \"乙\"\nrole = \"unit_handler\"\nunit = \"D02\"\n";
    for (name, text) in [
        ("calendar", weekend_holiday.as_str()),
        ("calendar", "year = [not toml"),
        ("org", org_gone),
        ("users:D01", secret),
        ("users:D01", foreign),
    ] {
        let (status, body) = h
            .call(
                "PUT",
                &format!("/api/reference/{name}"),
                Some("sv01"),
                Some(put(text)),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert_eq!(body["error"], "invalid_reference");
        assert!(
            body["detail"]["reason"]
                .as_str()
                .is_some_and(|r| !r.is_empty())
        );
    }
    assert_eq!(*h.store.committed().borrow(), seq, "nothing written");
    let (_, body) = h
        .call("GET", "/api/reference/calendar", Some("sv01"), None)
        .await;
    assert_eq!(body["text"], with_2027.as_str());

    // Who and what.
    let (status, _) = h
        .call(
            "PUT",
            "/api/reference/calendar",
            Some("op01"),
            Some(put(&with_2027)),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "operators do not edit reference data"
    );
    let (status, _) = h
        .call(
            "PUT",
            "/api/reference/calendar",
            None,
            Some(put(&with_2027)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = h
        .call("GET", "/api/reference/secrets", Some("sv01"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = h
        .call(
            "PUT",
            "/api/reference/calendar",
            Some("sv01"),
            Some("{\"txt\": 1}".into()),
        )
        .await;
    assert!(status.is_client_error(), "{status} {body}");

    // A unit's users: a new colleague can act at once.
    let (_, body) = h
        .call("GET", "/api/reference/users:D01", Some("sv01"), None)
        .await;
    let users = format!(
        "{}\n[[user]]\nlogin = \"d01-new\"\nname = \"新同事\"\nrole = \"unit_handler\"\nunit = \"D01\"\n",
        body["text"].as_str().unwrap()
    );
    let (status, body) = h
        .call(
            "PUT",
            "/api/reference/users:D01",
            Some("sv01"),
            Some(put(&users)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Listed, but without a password nobody can be them yet; their administrator sets one.
    let (status, body) = h.call("GET", "/api/users", Some("d01-new"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = h
        .post(
            "/api/accounts/d01-new/password",
            "d01-useradmin",
            json!({"password": "新同事2026年度"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = h.call("GET", "/api/users", Some("d01-new"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn who_saw_a_callers_personal_data_is_audited_in_an_intact_chain() {
    let h = harness().await;
    let number = create(&h).await["ticket"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = h
        .call("GET", &format!("/api/tickets/{number}"), Some("op01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = h
        .call("GET", "/api/tickets?phone=13812348000", Some("sl01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    // A refused view or search is no access and leaves no entry.
    let (s, _) = h
        .call(
            "GET",
            "/api/tickets?phone=13812348000&status=bogus",
            Some("sl01"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = h
        .call(
            "GET",
            &format!("/api/tickets/{number}"),
            Some("d02-handler"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, log) = h.call("GET", "/api/audit", Some("insp01"), None).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    assert_eq!(log["chain"]["intact"], true);
    assert_eq!(log["chain"]["entries"], 2);
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries[0]["action"], "search_phone", "newest first");
    assert_eq!(entries[0]["actor"], "sl01");
    assert_eq!(entries[0]["detail"], "13812348000");
    assert_eq!(entries[1]["action"], "view_ticket");
    assert_eq!(entries[1]["actor"], "op01");
    assert_eq!(entries[1]["ticket"], number.as_str());
    assert!(
        entries[1]["detail"]
            .as_str()
            .unwrap()
            .contains("caller_phone")
    );

    let (_, one) = h
        .call(
            "GET",
            &format!("/api/audit?ticket={number}"),
            Some("sv01"),
            None,
        )
        .await;
    assert_eq!(one["entries"].as_array().unwrap().len(), 1);
    let (s, _) = h.call("GET", "/api/audit", Some("d01-handler"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "units do not read the audit log");
    let (s, _) = h.call("GET", "/api/audit", Some("op01"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = h
        .call("GET", "/api/audit?limit=x", Some("insp01"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unit_assessment_counts_each_units_assignments_within_its_reach() {
    let harness = harness().await;
    let h = &harness;
    for lead in ["D01-T01", "D02"] {
        let number = create(h).await["ticket"]["number"]
            .as_str()
            .unwrap()
            .to_string();
        h.act(&number, "sl01", json!({"action": "review", "accept": true}))
            .await;
        let (s, v) = h
            .act(&number, "sl01", json!({"action": "dispatch", "lead": lead}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let units = |v: &Value| -> Vec<(String, u64)> {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["unit"].as_str().unwrap().to_string(),
                    u["assigned"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (s, v) = h.call("GET", "/api/stats/units", Some("sv01"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        units(&v),
        vec![("D01-T01".to_string(), 1), ("D02".to_string(), 1)]
    );
    let d02 = &v["units"][1];
    assert_eq!(d02["as_lead"], 1);
    assert_eq!(d02["name"], "西山区");
    assert!(d02["sign_rate"].is_f64(), "{d02}");
    assert!(d02["solved_rate"].is_null(), "no reply yet: no rate");

    // A district sees its own subtree; not another district's.
    let (s, v) = h
        .call("GET", "/api/stats/units", Some("d01-handler"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(units(&v), vec![("D01-T01".to_string(), 1)]);
    let (s, _) = h
        .call(
            "GET",
            "/api/stats/units?root=D02",
            Some("d01-handler"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad periods and unknown units are refused clearly; a period before it all is empty.
    let (s, _) = h
        .call("GET", "/api/stats/units?root=NOPE", Some("sv01"), None)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = h
        .call("GET", "/api/stats/units?from=10&to=5", Some("sv01"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = h
        .call("GET", "/api/stats/units?from=0&to=1000", Some("sv01"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(units(&v).is_empty());
    // Dates at the calendar's ends are refused, not computed past them.
    for path in [
        "/api/stats/units?period=year&date=9999-12-31",
        "/api/stats/topics?period=year&date=9999-12-31",
        "/api/stats/volume?period=custom&date=1969-12-01&end=1970-01-02",
        "/api/stats/trend?key=CX.WY.DT&date=9999-12-31",
        "/api/stats/topics?dimension=nope",
        "/api/stats/topic_orders?dimension=area&key=D01&from=5&to=5",
    ] {
        let (s, v) = h.call("GET", path, Some("sv01"), None).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {s} {v}"
        );
    }
}

#[tokio::test]
async fn the_months_public_figures_count_orders_without_naming_anyone() {
    let h = harness().await;
    answered_at_once(&h).await;
    create(&h).await;
    // No login needed; the default month is the current one (2026-11 here).
    let (s, v) = h.call("GET", "/api/public/figures", None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["month"], "2026-11");
    assert_eq!(
        (v["received"].as_u64(), v["closed"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(v["satisfaction_rate"].is_null(), "nobody rated yet");
    let text = v.to_string();
    for secret in ["13812348000", "张三", "翠湖花园"] {
        assert!(!text.contains(secret), "figures leak {secret}");
    }
    let (_, v) = h
        .call("GET", "/api/public/figures?month=2026-10", None, None)
        .await;
    assert_eq!(v["received"], 0);
    // Closed but not published: not on the public list.
    let (_, v) = h.call("GET", "/api/public/published", None, None).await;
    assert_eq!(v["results"], json!([]));
    for bad in ["2026-13", "11-2026", "2026-1", "x"] {
        let (s, _) = h
            .call(
                "GET",
                &format!("/api/public/figures?month={bad}"),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
}
