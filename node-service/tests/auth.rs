//! Sign-in and access: every staff route refuses a request without a session or token, changes
//! from another site are refused, sign-in opens a new session, sessions end when idle, when the
//! account is disabled or its password changes, and guessing is rate limited.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use node_service::api::in_process::send;
use node_service::{NodeConfig, api};
use serde_json::{Value, json};

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const PW: &str = "12345demo";

struct Node {
    app: axum::Router,
    state: node_service::AppState,
    clock: Arc<AtomicI64>,
    _node: node_service::RunningNode,
    _dir: tempfile::TempDir,
}

async fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
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
    let state = node.state.clone();
    Node {
        app: node_service::http::app(state.clone()),
        state,
        clock,
        _node: node,
        _dir: dir,
    }
}

fn req(method: &str, uri: &str, cookie: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, format!("hotline_session={c}"));
    }
    match body {
        Some(b) => r
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => r.body(Body::empty()).unwrap(),
    }
}

/// Signs in through the API; returns the status, the session id from `Set-Cookie`, and the body.
async fn sign_in(n: &Node, login: &str, password: &str) -> (StatusCode, Option<String>, Value) {
    let resp = tower::ServiceExt::oneshot(
        n.app.clone(),
        req(
            "POST",
            "/api/session",
            None,
            Some(json!({"login": login, "password": password})),
        ),
    )
    .await
    .unwrap();
    let status = resp.status();
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(c) = &cookie {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
    }
    let id = cookie.and_then(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_owned())
    });
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        id,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn whoami(n: &Node, cookie: &str) -> (StatusCode, Value) {
    send(&n.app, req("GET", "/api/session", Some(cookie), None)).await
}

#[tokio::test]
async fn no_staff_route_answers_without_a_session_or_token() {
    let n = node().await;
    let routes = api::staff_routes();
    assert!(routes.len() >= 20, "the router's staff routes");
    for r in &routes {
        let path = r
            .path
            .replace("{key}", "20261124HUB0001")
            .replace("{id}", "x")
            .replace("{login}", "op01")
            .replace("{name}", "org");
        for m in r.methods {
            for cookie in [None, Some("forged-session-id"), Some("")] {
                let body = (*m != "GET").then(|| json!({}));
                let (status, v) = send(&n.app, req(m, &path, cookie, body)).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{m} {path}: {v}");
                assert_eq!(v["message"], "请先登录", "{m} {path}");
            }
            // A bearer token the node never issued.
            let mut r = Request::builder()
                .method(*m)
                .uri(&path)
                .header(header::AUTHORIZATION, "Bearer hlt_0000");
            if *m != "GET" {
                r = r.header(header::CONTENT_TYPE, "application/json");
            }
            let (status, _) = send(&n.app, r.body(Body::from("{}")).unwrap()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{m} {path} with a bad token"
            );
        }
    }
    // The old header names nobody.
    let r = Request::builder()
        .uri("/api/tickets")
        .header("x-hotline-user", "sv01")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&n.app, r).await.0, StatusCode::UNAUTHORIZED);
    // Open routes stay open, and health carries no personal data.
    let (status, health) = send(&n.app, req("GET", "/api/health", None, None)).await;
    assert_eq!(status, StatusCode::OK);
    let text = health.to_string();
    assert!(!text.contains("1380") && !text.contains("op01"), "{text}");
}

#[tokio::test]
async fn sign_in_opens_a_new_session_and_one_answer_for_every_wrong_try() {
    let n = node().await;
    let (status, first, body) = sign_in(&n, "op01", PW).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["name"], "王丽");
    let first = first.expect("a session cookie");
    assert_eq!(whoami(&n, &first).await.0, StatusCode::OK);
    // Signing in again never keeps an id: a planted id is not adopted (no session fixation).
    let (_, second, _) = sign_in(&n, "op01", PW).await;
    let second = second.unwrap();
    assert_ne!(first, second);
    assert_eq!(first.len(), 64);

    let (wrong_pw, _, a) = sign_in(&n, "op02", "wrong-password1").await;
    let (wrong_login, _, b) = sign_in(&n, "nobody", PW).await;
    assert_eq!(wrong_pw, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_login, StatusCode::UNAUTHORIZED);
    assert_eq!(a["message"], "账号或密码错误");
    assert_eq!(
        a, b,
        "the same answer for a wrong login and a wrong password"
    );
    // Nothing an answer carries is a hash.
    let (_, users) = send(&n.app, req("GET", "/api/users", Some(&second), None)).await;
    assert!(!users.to_string().contains("argon2"));
    let (_, text) = send(
        &n.app,
        req("GET", "/api/reference/users:C", Some(&second), None),
    )
    .await;
    assert!(!text.to_string().contains("argon2"), "{text}");

    // Sign-out ends the session.
    let (status, _) = send(
        &n.app,
        req("POST", "/api/session/end", Some(&second), Some(json!({}))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(whoami(&n, &second).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        whoami(&n, &first).await.0,
        StatusCode::OK,
        "other sessions stay"
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_login() {
    let n = node().await;
    for _ in 0..5 {
        let (status, _, _) = sign_in(&n, "op03", "not-the-pw1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, cookie, body) = sign_in(&n, "op03", PW).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(cookie.is_none());
    assert!(body["message"].as_str().unwrap().contains("15 分钟后再试"));
    // Other accounts are not locked out.
    assert_eq!(sign_in(&n, "op04", PW).await.0, StatusCode::OK);
    // After the window the right password works again.
    n.clock.fetch_add(15 * 60_000, Ordering::SeqCst);
    assert_eq!(sign_in(&n, "op03", PW).await.0, StatusCode::OK);
}

#[tokio::test]
async fn sessions_end_when_idle_and_survive_a_restart_of_the_routes() {
    let n = node().await;
    let (_, id, _) = sign_in(&n, "sl01", PW).await;
    let id = id.unwrap();
    n.clock.fetch_add(29 * 60_000, Ordering::SeqCst);
    assert_eq!(
        whoami(&n, &id).await.0,
        StatusCode::OK,
        "used within 30 min"
    );
    n.clock.fetch_add(29 * 60_000, Ordering::SeqCst);
    assert_eq!(
        whoami(&n, &id).await.0,
        StatusCode::OK,
        "idle time counts from last use"
    );
    n.clock.fetch_add(30 * 60_000, Ordering::SeqCst);
    let (status, body) = whoami(&n, &id).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "session_ended");
    assert_eq!(body["message"], "长时间未操作，请重新登录");
    // Gone for good, not only refused once.
    assert_eq!(
        whoami(&n, &id).await.1["error"],
        "unauthenticated",
        "the ended session is forgotten"
    );

    // A session is kept in the store: a node reloaded from it still knows the session.
    let (_, id, _) = sign_in(&n, "sl02", PW).await;
    let id = id.unwrap();
    let reloaded = node_service::auth::Auth::load(
        &n.state.store,
        hotline_model::credential::SessionPolicy::default(),
        false,
    )
    .await
    .unwrap();
    assert!(reloaded.session_count() >= 1);
    let mut state = n.state.clone();
    state.auth = Arc::new(reloaded);
    let app = node_service::http::app(state);
    let (status, body) = send(&app, req("GET", "/api/session", Some(&id), None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["login"], "sl02");
}

#[tokio::test]
async fn disabling_an_account_or_changing_its_password_ends_its_sessions() {
    let n = node().await;
    let (_, admin, _) = sign_in(&n, "admin", PW).await;
    let admin = admin.unwrap();
    let (_, victim, _) = sign_in(&n, "d01-handler", PW).await;
    let victim = victim.unwrap();
    // Only administrators manage accounts, and only of their subtree.
    let (_, d01_admin, _) = sign_in(&n, "d01-useradmin", PW).await;
    let d01_admin = d01_admin.unwrap();
    let (status, _) = send(
        &n.app,
        req(
            "POST",
            "/api/accounts/d02-handler/disable",
            Some(&d01_admin),
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &n.app,
        req(
            "POST",
            "/api/accounts/op01/disable",
            Some(&victim),
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = send(
        &n.app,
        req(
            "POST",
            "/api/accounts/d01-handler/disable",
            Some(&admin),
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = whoami(&n, &victim).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = sign_in(&n, "d01-handler", PW).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["message"], "账号或密码错误",
        "a disabled account looks like a wrong try"
    );
    // Re-enabled by the district's own administrator.
    let (status, _) = send(
        &n.app,
        req(
            "POST",
            "/api/accounts/d01-handler/enable",
            Some(&d01_admin),
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, again, _) = sign_in(&n, "d01-handler", PW).await;
    let again = again.unwrap();

    // Changing one's own password: the old one is needed, weak ones are refused, other
    // sessions end, the new session works, the old password no longer does.
    let (_, other, _) = sign_in(&n, "d01-handler", PW).await;
    let other = other.unwrap();
    n.clock.fetch_add(1000, Ordering::SeqCst);
    let change = |old: &str, new: &str| {
        req(
            "POST",
            "/api/session/password",
            Some(&again),
            Some(json!({"old": old, "new": new})),
        )
    };
    let (status, body) = send(&n.app, change("wrong", "区里新密码2026")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "原密码不正确");
    let (status, body) = send(&n.app, change(PW, "short1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "密码至少 8 位");
    let resp = tower::ServiceExt::oneshot(n.app.clone(), change(PW, "区里新密码2026"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let renewed = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert_eq!(whoami(&n, &renewed).await.0, StatusCode::OK);
    assert_eq!(whoami(&n, &other).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(&n, &again).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in(&n, "d01-handler", PW).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&n, "d01-handler", "区里新密码2026").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn changes_from_another_site_are_refused() {
    let n = node().await;
    let (_, id, _) = sign_in(&n, "op01", PW).await;
    let id = id.unwrap();
    let body = json!({"intake": {}}).to_string();
    let cross = |site: &str, origin: Option<&str>| {
        let mut r = Request::builder()
            .method("POST")
            .uri("/api/tickets")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, format!("hotline_session={id}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("sec-fetch-site", site);
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        r.body(Body::from(body.clone())).unwrap()
    };
    let (status, v) = send(&n.app, cross("cross-site", Some("https://evil.example"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["error"], "cross_site");
    let (status, _) = send(&n.app, cross("same-site", Some("http://other.127.0.0.1"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The same origin gets through to the handler (which then judges the body).
    let (status, v) = send(&n.app, cross("same-origin", Some("http://127.0.0.1:8080"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A cross-site sign-in (login CSRF) is refused too.
    let r = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"login": "op01", "password": PW}).to_string(),
        ))
        .unwrap();
    assert_eq!(send(&n.app, r).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn service_tokens_act_as_their_account_until_it_is_disabled() {
    let n = node().await;
    let (_, admin, _) = sign_in(&n, "admin", PW).await;
    let admin = admin.unwrap();
    let (_, sv, _) = sign_in(&n, "sv01", PW).await;
    let (status, _) = send(
        &n.app,
        req(
            "POST",
            "/api/tokens",
            Some(&sv.unwrap()),
            Some(json!({"name": "话务系统", "login": "op08"})),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the centre's administrators"
    );
    let (status, body) = send(
        &n.app,
        req(
            "POST",
            "/api/tokens",
            Some(&admin),
            Some(json!({"name": "话务系统", "login": "op08"})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let bearer = || {
        Request::builder()
            .uri("/api/session")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, me) = send(&n.app, bearer()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["login"], "op08");
    let stored: Vec<String> = n
        .state
        .store
        .read(|c| {
            let mut s = c.prepare("SELECT hash FROM service_tokens")?;
            let rows = s.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert!(!stored.contains(&token), "kept hashed");
    send(
        &n.app,
        req(
            "POST",
            "/api/accounts/op08/disable",
            Some(&admin),
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(send(&n.app, bearer()).await.0, StatusCode::UNAUTHORIZED);
}

async fn page(
    n: &Node,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
) -> (StatusCode, String, Option<String>) {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, format!("hotline_session={c}"));
    }
    if method == "POST" {
        r = r.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let resp = tower::ServiceExt::oneshot(n.app.clone(), r.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let csp = resp.headers().get(header::CONTENT_SECURITY_POLICY).cloned();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    if status == StatusCode::OK {
        assert!(csp.is_some(), "{uri} has a CSP");
    }
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        location,
    )
}

#[tokio::test]
async fn no_staff_page_opens_without_a_session() {
    let n = node().await;
    for r in node_service::pages::staff_routes() {
        let path = r
            .path
            .replace("{number}", "20261124-HUB-00001")
            .replace("{id}", "x")
            .replace("{login}", "op01");
        for m in r.methods {
            let (status, _, location) = page(&n, m, &path, None).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{m} {path}");
            let to = location.unwrap_or_default();
            assert!(to.starts_with("/staff/login"), "{m} {path} → {to}");
            let (status, _, location) = page(&n, m, &path, Some("forged")).await;
            assert_eq!(
                status,
                StatusCode::SEE_OTHER,
                "{m} {path} with a forged session"
            );
            assert!(location.unwrap_or_default().starts_with("/staff/login"));
        }
    }
    // After signing in, the user is sent back where they were going, never off the site.
    let (_, _, to) = page(&n, "GET", "/staff/board?tab=near", None).await;
    assert_eq!(
        to.as_deref(),
        Some("/staff/login?next=/staff/board%3Ftab%3Dnear")
    );
    let (status, body, _) = page(&n, "GET", "/staff/login?next=https://evil.example/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("name=\"next\" value=\"/staff/\""), "{body}");
}

#[tokio::test]
async fn units_see_only_their_orders_and_contact_details_only_where_needed() {
    let n = node().await;
    let client = node_service::api::in_process::Client::new(n.state.clone());
    let intake = json!({
        "channel": "phone", "caller_name": "孙丽华", "caller_phone": "13912345678",
        "address": "东湖区春晖路8号", "request_type": "complaint", "subject": "ZA.ZS.SH",
        "title": "夜间施工噪声", "content": "工地夜里十二点还在施工。"
    });
    let (status, created) = client
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some(&json!({ "intake": intake })),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let number = created["ticket"]["number"].as_str().unwrap().to_owned();
    for body in [
        json!({"action": "review", "accept": true}),
        json!({"action": "dispatch", "lead": "D01"}),
    ] {
        let (status, v) = client
            .call(
                "POST",
                &format!("/api/tickets/{number}/actions"),
                Some("sl01"),
                Some(&body),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    // An urge shows in the lists, for the board to see what was already sent.
    let (status, v) = client
        .call(
            "POST",
            &format!("/api/tickets/{number}/actions"),
            Some("sv01"),
            Some(&json!({"action": "urge", "target": "D01", "note": "请尽快签收"})),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, list) = client
        .call("GET", "/api/tickets?unit=D01", Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(list[0]["urges"], 1, "{list}");
    let sv = client.session("sv01").await.unwrap();
    let (_, board, _) = page(&n, "GET", "/staff/board?tab=dispatched", Some(&sv)).await;
    assert!(
        board.contains(&number) && board.contains("已催办 1 次"),
        "{board}"
    );
    let uri = format!("/staff/orders/{number}");
    let cookie = |login: &'static str| {
        let client = &client;
        async move { client.session(login).await.unwrap() }
    };
    // The district's own text templates join the built-in ones under the action they are for.
    let d01 = cookie("d01-handler").await;
    let form = |body: &str| {
        Request::builder()
            .method("POST")
            .uri("/staff/phrases")
            .header(header::COOKIE, format!("hotline_session={d01}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let text = "本区已成立夜间施工专项整治组，请转专项组办理。";
    let encoded: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
    let resp = tower::ServiceExt::oneshot(
        n.app.clone(),
        form(&format!("action=return&text={encoded}")),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = tower::ServiceExt::oneshot(n.app.clone(), form("action=fly&text=x"))
        .await
        .unwrap();
    let to = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(to.contains("done="), "{to}");
    let (_, listed, _) = page(&n, "GET", "/staff/phrases", Some(&d01)).await;
    assert!(listed.contains(text));
    let (_, order_page, _) = page(&n, "GET", &format!("/staff/orders/{number}"), Some(&d01)).await;
    assert!(
        order_page.contains(&format!("data-phrase=\"{text}\"")),
        "offered on the order page"
    );
    let held = n.state.store.phrases("D01".into()).await.unwrap();
    assert_eq!(held.len(), 1);
    let resp = tower::ServiceExt::oneshot(
        n.app.clone(),
        Request::builder()
            .method("POST")
            .uri(format!("/staff/phrases/{}/remove", held[0].id))
            .header(header::COOKIE, format!("hotline_session={d01}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        n.state
            .store
            .phrases("D01".into())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        n.state
            .store
            .phrases("D02".into())
            .await
            .unwrap()
            .is_empty()
    );

    // Another district's handler: refused, with a page that says so.
    let (status, body, _) = page(&n, "GET", &uri, Some(&cookie("d02-handler").await)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("无权查看该工单"), "{body}");
    // The district that holds it sees the caller's number, to call them.
    let (status, body, _) = page(&n, "GET", &uri, Some(&cookie("d01-handler").await)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("13912345678") && body.contains("孙丽华"));
    assert!(body.contains("签收"), "the actions it may take");
    // A leader reads the order, not the caller's contact details.
    let (status, body, _) = page(&n, "GET", &uri, Some(&cookie("leader01").await)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("13912345678") && body.contains("139****5678"),
        "masked"
    );
    assert!(!body.contains("孙丽华") && body.contains("孙**"));
    // Each view is in the audit log, with what was shown.
    let (_, log) = client
        .call(
            "GET",
            &format!("/api/audit?ticket={number}"),
            Some("insp01"),
            None,
        )
        .await
        .unwrap();
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    let by = |login: &str| {
        entries
            .iter()
            .filter(|e| e["actor"] == login && e["action"] == "view_ticket")
            .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(by("d01-handler").len(), 2, "two views, two entries: {log}");
    assert!(by("leader01")[0].contains("masked"), "{log}");
    assert!(
        by("d02-handler").is_empty(),
        "a refused view shows nothing, so logs nothing"
    );
}

#[tokio::test]
async fn an_administrator_disables_and_resets_accounts_from_the_accounts_page() {
    let n = node().await;
    let client = node_service::api::in_process::Client::new(n.state.clone());
    let admin = client.session("d01-useradmin").await.unwrap();
    let (_, victim, _) = sign_in(&n, "d01-t02-handler", PW).await;
    let victim = victim.unwrap();
    let (status, body, _) = page(&n, "GET", "/staff/accounts", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("d01-t02-handler") && !body.contains("d02-handler"),
        "own subtree only"
    );
    let post = |uri: &str, form: &str| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::COOKIE, format!("hotline_session={admin}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .unwrap()
    };
    let resp = tower::ServiceExt::oneshot(
        n.app.clone(),
        post("/staff/accounts/d01-t02-handler/act", "action=disable"),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        whoami(&n, &victim).await.0,
        StatusCode::UNAUTHORIZED,
        "their session ended"
    );
    let (_, body, _) = page(&n, "GET", "/staff/accounts", Some(&admin)).await;
    assert!(body.contains("已停用"));
    // A weak new password is refused with the reason; a good one works after re-enabling.
    let resp = tower::ServiceExt::oneshot(
        n.app.clone(),
        post(
            "/staff/accounts/d01-t02-handler/act",
            "action=reset&password=123",
        ),
    )
    .await
    .unwrap();
    let to = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(to.contains("done="), "{to}");
    let (_, body, _) = page(&n, "GET", &to, Some(&admin)).await;
    assert!(body.contains("重置密码未完成：密码至少 8 位"), "{body}");
    for form in ["action=enable", "action=reset&password=town2026pass"] {
        tower::ServiceExt::oneshot(
            n.app.clone(),
            post("/staff/accounts/d01-t02-handler/act", form),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        sign_in(&n, "d01-t02-handler", PW).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&n, "d01-t02-handler", "town2026pass").await.0,
        StatusCode::OK
    );
    // Not an administrator: the page lists nobody, and a change is refused.
    let op = client.session("op01").await.unwrap();
    let (_, body, _) = page(&n, "GET", "/staff/accounts", Some(&op)).await;
    assert!(!body.contains("d01-t02-handler"));
}
