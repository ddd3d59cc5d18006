//! Credentials across the three tiers, over real QUIC links: a town's staff sign in at the town
//! node with passwords that reached it by sync (and nowhere else: another district never holds
//! them), and an account disabled at the hub loses its town session as soon as the change arrives.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use node_service::api::in_process::send;
use serde_json::json;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

async fn sign_in(app: &axum::Router, login: &str, password: &str) -> Option<String> {
    let req = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"login": login, "password": password}).to_string(),
        ))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(app.clone(), req).await.unwrap();
    if resp.status() != StatusCode::OK {
        return None;
    }
    let set = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    Some(set.split(';').next().unwrap().to_owned())
}

fn with_cookie(method: &str, uri: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap()
}

#[tokio::test]
async fn town_staff_sign_in_at_their_node_and_a_disable_at_the_hub_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let demo = deploy::demo::start(dir.path(), 0, NOW).await.unwrap();
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let [hub, _d01, d02, town] = [0, 1, 2, 3].map(|i| demo.nodes[i].state.clone());
    let pw = deploy::demo::DEMO_PASSWORD;

    // The town was not seeded: its users' hashes came down from its district.
    assert!(town.auth.credential("d01-t01-handler").is_some());
    assert!(
        town.auth.credential("d02-handler").is_none(),
        "only its own subtree"
    );
    assert!(d02.auth.credential("d01-t01-handler").is_none());
    let town_app = node_service::http::app(town.clone());
    let hub_app = node_service::http::app(hub.clone());
    assert!(
        sign_in(&town_app, "d02-handler", pw).await.is_none(),
        "another district's staff cannot sign in here"
    );
    let cookie = sign_in(&town_app, "d01-t01-handler", pw)
        .await
        .expect("the town's handler signs in at the town");
    let (status, _) = send(&town_app, with_cookie("GET", "/api/session", &cookie)).await;
    assert_eq!(status, StatusCode::OK);

    // The hub's administrator disables the account; the town's session ends when it arrives.
    let admin = sign_in(&hub_app, "admin", pw).await.unwrap();
    let (status, body) = send(
        &hub_app,
        with_cookie("POST", "/api/accounts/d01-t01-handler/disable", &admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut changes = town.store.committed();
    let ended = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if town
                .auth
                .credential("d01-t01-handler")
                .is_some_and(|(_, c)| c.disabled)
            {
                break;
            }
            if changes.changed().await.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the disable reached the town");
    let (status, body) = send(&town_app, with_cookie("GET", "/api/session", &cookie)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "账号已停用，请联系管理员");
    assert!(sign_in(&town_app, "d01-t01-handler", pw).await.is_none());

    // A town's text templates, written while it works alone, reach its district and the hub,
    // never the other district.
    let phrase = replica_store::phrases_doc::Phrase {
        id: "p1".into(),
        action: "reply".into(),
        text: "已联系社区网格员上门处理。".into(),
    };
    town.store
        .put_phrase("D01-T01".into(), phrase.clone(), false, NOW)
        .await
        .unwrap();
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let mut at_hub = hub.store.committed();
    let arrived = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if hub.store.phrases("D01-T01".into()).await.unwrap() == vec![phrase.clone()] {
                break;
            }
            if at_hub.changed().await.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(arrived.is_ok(), "the town's templates reached the hub");
    assert!(
        d02.store
            .phrases("D01-T01".into())
            .await
            .unwrap()
            .is_empty()
    );

    for node in demo.nodes.into_iter().rev() {
        node.shutdown().await.unwrap();
    }
}
