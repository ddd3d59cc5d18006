//! A knowledge-base article across the three tiers: drafted and submitted by 东湖区 at its district
//! node, published by the centre at the hub, found by search at the 东湖街道 town node.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

/// 2026-11-24 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

async fn call(
    state: &node_service::AppState,
    method: &str,
    uri: &str,
    user: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    node_service::api::in_process::Client::new(state.clone())
        .call(method, uri, Some(user), body.as_ref())
        .await
        .unwrap()
}

#[tokio::test]
async fn drafted_at_a_district_published_at_the_hub_found_at_a_town() {
    let dir = tempfile::tempdir().unwrap();
    let demo = deploy::demo::start(dir.path(), 0, NOW).await.unwrap();
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let (hub, district, town) = (
        &demo.nodes[0].state,
        &demo.nodes[1].state,
        &demo.nodes[3].state,
    );
    let stores = [&hub.store, &district.store, &town.store];

    let content = json!({
        "question": "东湖区老旧小区加装电梯补贴怎么申请？",
        "alternatives": ["加装电梯补助", "老楼装电梯"],
        "answer": "由业主委员会向所在街道提交加装电梯申请，经区住建局审核后按每台不超过二十万元给予补贴。",
        "keywords": ["加装电梯", "补贴"],
        "unit": "D01",
        "category": "CX.WY.DT",
        "region": "D01"
    });
    let (s, v) = call(
        district,
        "POST",
        "/api/kb/articles",
        "d01-admin",
        Some(json!({"content": content})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, v) = call(
        district,
        "POST",
        &format!("/api/kb/articles/{id}/actions"),
        "d01-admin",
        Some(json!({"type": "submit"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The submitted draft reaches the hub, where the centre publishes it.
    let arrived = tests::wait::until(&stores, Duration::from_secs(30), || async {
        hub.store
            .article(id.clone())
            .await
            .unwrap()
            .filter(|a| a.state.status.code() == "in_review")
    })
    .await;
    assert!(arrived.is_some(), "the draft reached the hub in review");
    let (s, v) = call(
        hub,
        "POST",
        &format!("/api/kb/articles/{id}/actions"),
        "sl01",
        Some(json!({"type": "publish"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The town finds it by search.
    let found = tests::wait::until(&stores, Duration::from_secs(30), || async {
        let kb = town.kb.clone().unwrap();
        kb.catch_up(&town.store).await.unwrap();
        let (s, v) = call(
            town,
            "GET",
            "/api/kb/search?q=%E5%8A%A0%E8%A3%85%E7%94%B5%E6%A2%AF%E8%A1%A5%E8%B4%B4",
            "d01-t01-handler",
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == id.as_str())
            .then_some(())
    })
    .await;
    assert!(
        found.is_some(),
        "the published article is found at the town"
    );
    for node in demo.nodes {
        node.shutdown().await.unwrap();
    }
}
