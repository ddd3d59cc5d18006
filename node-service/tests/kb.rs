//! The knowledge base on a node: seeded articles are searchable; a unit's draft is not offered until the
//! centre publishes it; the index catches up from the store after a restart.

use std::sync::Arc;

use axum::http::StatusCode;
use node_service::NodeConfig;
use serde_json::{Value, json};

/// 2026-11-24 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

async fn start(dir: &std::path::Path) -> node_service::RunningNode {
    let config = NodeConfig {
        data_dir: dir.to_path_buf(),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    node_service::start(config, listener, Arc::new(|| NOW))
        .await
        .unwrap()
}

async fn call(
    app: &node_service::api::in_process::Client,
    method: &str,
    uri: &str,
    user: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(method, uri, Some(user), body.as_ref())
        .await
        .unwrap()
}

fn ids(resp: &Value) -> Vec<String> {
    resp["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn drafts_are_offered_only_after_publication_and_the_index_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path()).await;
    let app = node_service::api::in_process::Client::new(node.state.clone());
    let kb = node.state.kb.clone().unwrap();

    let q = "/api/kb/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1%E6%80%8E%E4%B9%88%E8%A1%A5%E5%8A%9E"; // 社保卡怎么补办
    let (s, v) = call(&app, "GET", q, "op01", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        !ids(&v).is_empty(),
        "the seeded knowledge base answers: {v}"
    );

    let content = json!({
        "question": "临江市冬季供暖补贴怎么申领？",
        "alternatives": ["取暖补贴申请"],
        "answer": "符合条件的低保家庭可于每年11月向社区提交申请，经街道审核后发放。",
        "keywords": ["取暖补贴"],
        "unit": "B-MZJ",
        "category": "MZ.JZ.DB"
    });
    // A unit's information admin drafts for their own unit only.
    let (s, _) = call(
        &app,
        "POST",
        "/api/kb/articles",
        "b-rsj-admin",
        Some(json!({"content": content})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = call(
        &app,
        "POST",
        "/api/kb/articles",
        "b-mzj-admin",
        Some(json!({"content": content})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    kb.catch_up(&node.state.store).await.unwrap();
    let q2 = "/api/kb/search?q=%E5%8F%96%E6%9A%96%E8%A1%A5%E8%B4%B4"; // 取暖补贴
    let (_, v) = call(&app, "GET", q2, "op01", None).await;
    assert!(!ids(&v).contains(&id), "a draft is not offered");

    let (s, _) = call(
        &app,
        "POST",
        &format!("/api/kb/articles/{id}/actions"),
        "b-mzj-admin",
        Some(json!({"type": "publish"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "units cannot publish");
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/kb/articles/{id}/actions"),
        "b-mzj-admin",
        Some(json!({"type": "submit"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/kb/articles/{id}/actions"),
        "sl01",
        Some(json!({"type": "publish"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = call(
        &app,
        "POST",
        &format!("/api/kb/articles/{id}/actions"),
        "sl01",
        Some(json!({"type": "publish"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "publishing twice is refused");
    // The node's follower indexes the publication by itself (no explicit catch-up here).
    let published_at = *node.state.store.committed().borrow();
    let mut caught_up = kb.caught_up();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        caught_up.wait_for(|seq| *seq >= published_at),
    )
    .await
    .expect("the index follows the store")
    .unwrap();
    let (_, v) = call(&app, "GET", q2, "op01", None).await;
    assert_eq!(ids(&v).first(), Some(&id), "published and found first: {v}");

    // Restart: the index reopens and still finds it; nothing to catch up.
    drop((app, kb));
    node.shutdown().await.unwrap();
    let node = start(dir.path()).await;
    let app = node_service::api::in_process::Client::new(node.state.clone());
    let (_, v) = call(&app, "GET", q2, "op01", None).await;
    assert_eq!(ids(&v).first(), Some(&id));
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_lost_index_is_rebuilt_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path()).await;
    let docs = node.state.kb.as_ref().unwrap().index().num_docs();
    assert!(docs >= 200, "seed articles indexed: {docs}");
    node.shutdown().await.unwrap();
    std::fs::remove_dir_all(dir.path().join("kb-index")).unwrap();
    let node = start(dir.path()).await;
    assert_eq!(node.state.kb.as_ref().unwrap().index().num_docs(), docs);
    node.shutdown().await.unwrap();
}
