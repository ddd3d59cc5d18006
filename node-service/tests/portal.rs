//! The citizens' website and its JSON face, through the node's whole router without a socket:
//! filing (limits, duplicates, honeypot, photos), looking up, rating once, the centre's redo
//! review, the published results, the figures and the commitments.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use node_service::NodeConfig;
use node_service::api::in_process::Client;
use node_service::pages::format::url_encode;
use serde_json::{Value, json};
use tower::ServiceExt;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

struct Site {
    app: axum::Router,
    client: Client,
    clock: Arc<AtomicI64>,
    dir: tempfile::TempDir,
}

async fn site() -> Site {
    site_as(node_service::NodeRole::Hub).await
}

async fn site_as(role: node_service::NodeRole) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        role,
        jurisdiction: if role == node_service::NodeRole::Hub {
            "C".into()
        } else {
            "D01".into()
        },
        node_code: if role == node_service::NodeRole::Hub {
            "HUB".into()
        } else {
            "D01".into()
        },
        data_dir: dir.path().to_path_buf(),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    let clock = Arc::new(AtomicI64::new(NOW));
    let c = clock.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = node_service::start(config, listener, Arc::new(move || c.load(Ordering::SeqCst)))
        .await
        .unwrap();
    Site {
        app: node_service::http::app(node.state.clone()),
        client: Client::new(node.state.clone()),
        clock,
        dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Site {
    async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn json_from(&self, from: &str, uri: &str, body: Value) -> Answer {
        let addr: SocketAddr = from.parse().unwrap();
        self.send(
            Request::post(uri)
                .extension(axum::extract::ConnectInfo(addr))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn form(&self, uri: &str, pairs: &[(&str, &str)]) -> Answer {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn multipart(&self, fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Answer {
        let boundary = "----hotline-test-boundary";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, bytes) in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post("/submit")
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn act(&self, number: &str, user: &str, body: Value) -> Value {
        let (s, v) = self
            .client
            .call(
                "POST",
                &format!("/api/tickets/{number}/actions"),
                Some(user),
                Some(&body),
            )
            .await
            .unwrap();
        assert_eq!(s, StatusCode::OK, "{user} {body}: {v}");
        v
    }
}

fn request(phone: &str, content: &str) -> Value {
    json!({
        "request_type": "complaint",
        "subject": "CX.WY.DT",
        "address": "东湖区翠湖花园3栋",
        "content": content,
        "name": "李阿姨",
        "phone": phone,
        "form_id": uuid(),
    })
}

fn uuid() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(1);
    u128::from(N.fetch_add(1, Ordering::SeqCst)) * 0x9E37_79B9_7F4A_7C15
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[tokio::test]
async fn a_web_request_is_limited_deduplicated_and_lands_in_the_review_queue() {
    let s = site().await;
    let from = "203.0.113.7:5000";
    let a = s
        .json_from(
            from,
            "/api/public/requests",
            request("13900001111", "楼道电梯天天坏，老人上下楼很困难。"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let v = a.json();
    let number = v["number"].as_str().unwrap().to_owned();
    assert_eq!(v["request_type"], "投诉");
    assert_eq!(v["limit_days"], 15);
    assert!(v["expected_by"].as_i64().unwrap() > NOW);
    // In the shift leaders' review queue, as a web order whose title is the subject's name.
    let (st, list) = s
        .client
        .call(
            "GET",
            "/api/tickets?status=pending_review",
            Some("sl01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list[0]["number"], number.as_str());
    assert_eq!(list[0]["title"], "电梯故障");
    let (_, t) = s
        .client
        .call("GET", &format!("/api/tickets/{number}"), Some("sl01"), None)
        .await
        .unwrap();
    assert_eq!(t["intake"]["channel"], "web");
    assert_eq!(t["events"][0]["author"], "website");

    // The same text from the same phone: refused as a duplicate, naming the first order.
    let again = s
        .json_from(
            from,
            "/api/public/requests",
            request("13900001111", "楼道电梯天天坏，老人上下楼很困难。"),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.json()["message"].as_str().unwrap().contains(&number));
    // The same form sent twice: the same order, not a second one.
    let mut form = request("13900002222", "小区门口路灯不亮已经一周了。");
    let first = s
        .json_from(from, "/api/public/requests", form.clone())
        .await;
    let second = s
        .json_from(from, "/api/public/requests", form.clone())
        .await;
    assert_eq!(first.json()["number"], second.json()["number"]);
    assert_eq!(first.json()["query_code"], second.json()["query_code"]);
    // A robot fills the hidden field.
    form["form_id"] = json!(uuid());
    form["website"] = json!("http://spam.example");
    let bot = s
        .json_from("198.51.100.1:1", "/api/public/requests", form)
        .await;
    assert_eq!(bot.status, StatusCode::BAD_REQUEST, "{}", bot.text);
    // A phone nobody can call back, a description too short, an unknown subject.
    for (field, value) in [
        ("phone", "12345"),
        ("content", "电梯"),
        ("subject", "NO.SUCH"),
    ] {
        let mut bad = request("13900003333", "路面塌陷一个大坑，车辆经过很危险。");
        bad[field] = json!(value);
        let a = s
            .json_from("198.51.100.2:1", "/api/public/requests", bad)
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            a.text
        );
        assert!(
            a.json()["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| c >= '\u{4e00}')
        );
    }
    // Five a day per phone, from anywhere.
    for i in 0..5 {
        let a = s
            .json_from(
                &format!("198.51.100.{}:1", 10 + i),
                "/api/public/requests",
                request(
                    "13900004444",
                    &format!("第{i}件事：噪声扰民，晚上十一点还在施工。"),
                ),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    }
    let a = s
        .json_from(
            "198.51.100.99:1",
            "/api/public/requests",
            request("13900004444", "第六件事：垃圾清运不及时。"),
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
    // Ten an hour per client address, whatever the phones; the next hour it opens again.
    let office = "192.0.2.50:1";
    for i in 0..10 {
        let a = s
            .json_from(
                office,
                "/api/public/requests",
                request(&format!("1370000{i:04}"), "共享单车乱停放堵住了人行道。"),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{i}: {}", a.text);
    }
    let a = s
        .json_from(
            office,
            "/api/public/requests",
            request("13799999999", "共享单车乱停放堵住了人行道。"),
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    s.clock.fetch_add(3_600_001, Ordering::SeqCst);
    let a = s
        .json_from(
            office,
            "/api/public/requests",
            request("13799999999", "共享单车乱停放堵住了人行道。"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
}

#[tokio::test]
async fn the_citizen_follows_rates_once_and_not_solved_reaches_the_redo_review() {
    let s = site().await;
    let a = s
        .json_from(
            "203.0.113.8:1",
            "/api/public/requests",
            request("13900005555", "3号楼电梯一个月停了五次，物业不修。"),
        )
        .await;
    let v = a.json();
    let number = v["number"].as_str().unwrap().to_owned();
    let code = v["query_code"].as_str().unwrap().to_owned();
    let lookup = |c: &str| json!({"number": number, "code": c});
    let rate = |sat: &str, solved: bool| json!({"number": number, "code": code, "satisfaction": sat, "solved": solved, "comment": "电梯还是经常停"});
    // Not yet replied: nothing to rate.
    let a = s
        .json_from(
            "203.0.113.8:1",
            "/api/public/rate",
            rate("unsatisfied", false),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    s.act(&number, "sl01", json!({"action": "review", "accept": true}))
        .await;
    s.act(
        &number,
        "sl01",
        json!({"action": "dispatch", "lead": "D01"}),
    )
    .await;
    s.act(&number, "d01-handler", json!({"action": "sign"}))
        .await;
    s.act(&number, "d01-handler", json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已约谈物业公司，更换了电梯主板。"})).await;
    s.act(
        &number,
        "sv01",
        json!({"action": "review_result", "accept": true}),
    )
    .await;
    s.act(&number, "sv01", json!({"action": "close", "publish": true}))
        .await;
    // Full-width digits and lower case as an IME types them still find it.
    let wide: String = code
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect();
    let a = s
        .json_from("203.0.113.8:1", "/api/public/lookup", lookup(&wide))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = a.json();
    assert_eq!(v["status"], "已办结");
    assert_eq!(v["reply"], "已约谈物业公司，更换了电梯主板。");
    assert_eq!(v["handling_unit"], "东湖区");
    assert_eq!(v["caller"], "李**");
    assert_eq!(v["may_rate"], true);
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "已受理（网站）",
            "中心审核通过",
            "已派发至东湖区",
            "承办单位已答复",
            "中心已审核答复",
            "已办结"
        ]
    );
    for secret in ["13900005555", "翠湖花园", "一个月停了五次", "李阿姨"] {
        assert!(!a.text.contains(secret), "lookup leaks {secret}");
    }
    // Rated once, not solved: in the centre's redo review.
    let a = s
        .json_from(
            "203.0.113.8:1",
            "/api/public/rate",
            rate("basically_satisfied", false),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["rating"], "基本满意（问题未解决）");
    assert_eq!(
        a.json()["status"],
        "您反映问题未解决，中心正在审核是否重新办理"
    );
    assert_eq!(a.json()["may_rate"], false);
    let a = s
        .json_from("203.0.113.8:1", "/api/public/rate", rate("satisfied", true))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text);
    let (_, queue) = s
        .client
        .call("GET", "/api/tickets?redo_review=true", Some("sl01"), None)
        .await
        .unwrap();
    assert_eq!(queue[0]["number"], number.as_str());
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let (_, t) = s
        .client
        .call("GET", &format!("/api/tickets/{number}"), Some("sv01"), None)
        .await
        .unwrap();
    let last = t["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "rate", "{last}");
    assert_eq!(last["author"], "website");
    // A unit cannot rate for the citizen.
    let (st, _) = s
        .client
        .call(
            "POST",
            &format!("/api/tickets/{number}/actions"),
            Some("d01-handler"),
            Some(&json!({"action": "rate", "satisfaction": "satisfied", "solved": true})),
        )
        .await
        .unwrap();
    assert_eq!(st, StatusCode::FORBIDDEN);
    // The centre reopens it: the unit handles it again, and the queue empties.
    let v = s
        .act(
            &number,
            "sv01",
            json!({"action": "reopen", "reason": "市民反映电梯仍常停"}),
        )
        .await;
    assert_eq!(v["state"]["status"], "handling");
    let (_, queue) = s
        .client
        .call("GET", "/api/tickets?redo_review=true", Some("sl01"), None)
        .await
        .unwrap();
    assert!(queue.as_array().unwrap().is_empty());
    // The rating counted as the callback in the month's figures.
    let (_, f) = s
        .client
        .call("GET", "/api/public/figures", None, None)
        .await
        .unwrap();
    assert_eq!(
        (f["rated"].as_u64(), f["satisfaction_rate"].as_f64()),
        (Some(1), Some(1.0)),
        "{f}"
    );
    // Wrong codes lock the number, with a clear message.
    for _ in 0..5 {
        let a = s
            .json_from("203.0.113.9:1", "/api/public/lookup", lookup("WRONGCODE00"))
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
    }
    let a = s
        .json_from(
            "203.0.113.10:1",
            "/api/public/rate",
            rate("satisfied", true),
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        a.json()["message"].as_str().unwrap().contains("分钟后再试"),
        "{}",
        a.text
    );
}

#[tokio::test]
async fn the_pages_work_without_javascript_and_show_nothing_personal() {
    let s = site().await;
    let home = s.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.text.contains("7×24小时") && home.text.contains("110"),
        "home"
    );
    assert!(
        home.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert!(
        !home.text.contains("<script"),
        "the citizens' pages need no script"
    );
    let form = s.get("/submit").await;
    assert!(form.text.contains("name=\"website\""), "honeypot");
    assert!(form.text.contains("电梯故障"), "subjects in plain words");
    // A photo that is not an image is refused with the form kept.
    let fields = [
        ("request_type", "repair"),
        ("subject", "CX.WY.DT"),
        ("address", "西山区枫林路8号"),
        ("content", "电梯困人后一直没有修好，请尽快处理。"),
        ("name", "王大爷"),
        ("phone", "13600006666"),
        ("website", ""),
        ("form_id", "f-1"),
    ];
    let a = s
        .multipart(&fields, &[("virus.exe", b"MZ\x90\0evil")])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.text.contains("不是照片") && a.text.contains("电梯困人后一直没有修好"),
        "{}",
        a.text
    );
    let a = s.multipart(&fields, &[("电梯.png", PNG)]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(a.text.contains("提交成功") && a.text.contains("个工作日"));
    let number = between(&a.text, "<dd id=\"number\">", "<").to_owned();
    let code = between(&a.text, "<dd id=\"code\">", "<").to_owned();
    assert!(number.contains("-HUB-"), "{number}");
    // The photo is kept by content and named in the order.
    let (_, t) = s
        .client
        .call("GET", &format!("/api/tickets/{number}"), Some("sl01"), None)
        .await
        .unwrap();
    let att = &t["intake"]["attachments"][0];
    assert_eq!(att["media_type"], "image/png");
    let sha = att["sha256"].as_str().unwrap();
    assert_eq!(
        std::fs::read(s.dir.path().join("blobs").join(sha)).unwrap(),
        PNG
    );
    // Staff who may see the order open it from the order page; a unit not involved may not.
    let with_session = |login: &'static str, uri: String| {
        let s = &s;
        async move {
            let id = s.client.session(login).await.unwrap();
            s.send(
                Request::get(uri)
                    .header(
                        header::COOKIE,
                        format!("{}={id}", node_service::auth::COOKIE),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let page = with_session("sl01", format!("/staff/orders/{number}")).await;
    assert!(page.text.contains(&format!("/files/{sha}")) && page.text.contains("电梯.png"));
    let file = format!("/staff/orders/{number}/files/{sha}");
    let a = with_session("sl01", file.clone()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(a.bytes, PNG);
    assert_eq!(
        with_session("d02-handler", file).await.status,
        StatusCode::FORBIDDEN
    );
    // Looked up on the page: no code in any URL, nothing personal, never cached.
    let a = s
        .form("/lookup", &[("number", &number), ("code", &code)])
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    assert!(a.text.contains("已受理，正在审核派单"), "{}", a.text);
    for secret in ["13600006666", "枫林路", "一直没有修好", "王大爷"] {
        assert!(!a.text.contains(secret), "lookup page leaks {secret}");
    }
    let a = s
        .form("/lookup", &[("number", &number), ("code", "NOPE")])
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.text.contains("工单编号或查询码不正确"));
    // A rating with a wrong code counts once against the number, like a lookup: with the one
    // failed lookup above, four wrong ratings make five and the right code still opens it.
    for _ in 0..3 {
        let a = s
            .form(
                "/rate",
                &[
                    ("number", &number),
                    ("code", "WRONGCODE00"),
                    ("satisfaction", "satisfied"),
                    ("solved", "true"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
    }
    let a = s
        .form("/lookup", &[("number", &number), ("code", &code)])
        .await;
    assert_eq!(a.status, StatusCode::OK, "wrong ratings were counted twice");
    for page in [
        "/results",
        "/results?q=%E7%94%B5%E6%A2%AF",
        "/figures",
        "/commitments",
    ] {
        let a = s.get(page).await;
        assert_eq!(a.status, StatusCode::OK, "{page}: {}", a.text);
        assert!(!a.text.contains("13600006666"), "{page}");
    }
    assert!(
        s.get("/commitments")
            .await
            .text
            .contains("市住房和城乡建设局")
    );
    assert!(s.get("/figures").await.text.contains("按诉求类型"));
    assert_eq!(
        s.get(&format!("/results/{number}")).await.status,
        StatusCode::NOT_FOUND
    );
    // 大字版: a form that sets a cookie and goes back, never to another site.
    let a = s
        .form("/display", &[("large", "1"), ("back", "/figures")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers[header::LOCATION], "/figures");
    let cookie = a.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("portal_large=1"), "{cookie}");
    let big = s
        .send(
            Request::get("/figures")
                .header(header::COOKIE, "portal_large=1")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(big.text.contains("<html lang=\"zh-CN\" class=\"large\">"));
    let a = s
        .form("/display", &[("large", "1"), ("back", "//evil.example/")])
        .await;
    assert_eq!(a.headers[header::LOCATION], "/");
}

#[tokio::test]
async fn an_edge_node_serves_no_citizens_website() {
    let s = site_as(node_service::NodeRole::Edge).await;
    assert_ne!(s.get("/").await.status, StatusCode::OK);
    assert_eq!(s.get("/submit").await.status, StatusCode::NOT_FOUND);
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let i = text
        .find(start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| panic!("no {start} in {text}"));
    let j = text[i..].find(end).unwrap();
    &text[i..i + j]
}
