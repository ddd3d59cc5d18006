//! Nothing a citizen or an outside app can reach names anyone: over every one of the demo's seeded
//! orders (every status, every stage of life), the citizens' lookup (JSON and page), Open311's
//! answers and every public list and page are searched for each order's phone number, the
//! caller's name, the address and the complaint text. None may appear.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use node_service::pages::format::url_encode;
use serde_json::Value;
use tower::ServiceExt;

/// 2026-11-24 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

async fn answer(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_public_answer_shows_any_orders_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let (node, seeded) = tests::fixtures::seeded_hub(dir.path(), NOW, 11)
        .await
        .unwrap();
    let state = node.state.clone();
    assert_eq!(seeded.codes.len(), deploy::demo::SEED_TICKETS);
    let app = node_service::http::app(state.clone());

    // Every order's secrets.
    let mut secrets: Vec<(String, String)> = Vec::new();
    let mut published = 0;
    for (number, _) in &seeded.codes {
        let v = state.store.ticket(number.clone()).await.unwrap().unwrap();
        let i = &v.intake;
        for s in [&i.caller_phone, &i.caller_name, &i.address, &i.content] {
            if s.chars().count() >= 2 {
                secrets.push((number.clone(), s.clone()));
            }
        }
        published += usize::from(v.state.published);
    }
    assert!(published > 5, "the demo publishes results: {published}");
    assert!(secrets.len() > 3 * deploy::demo::SEED_TICKETS);

    let mut answers: Vec<(String, String)> = Vec::new();
    let mut found = 0;
    // Each order looked up as its citizen would: JSON and page (from different addresses, so the
    // per-address lockout is not what is tested here).
    for (k, (number, code)) in seeded.codes.iter().enumerate() {
        let from: SocketAddr = format!("10.9.{}.{}:1", k / 200, k % 200 + 1)
            .parse()
            .unwrap();
        let body = serde_json::json!({"number": number, "code": code}).to_string();
        let (s, text) = answer(
            &app,
            Request::post("/api/public/lookup")
                .extension(axum::extract::ConnectInfo(from))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{number}: {text}");
        found += 1;
        answers.push((format!("lookup {number}"), text));
        let (s, text) = answer(
            &app,
            Request::post("/lookup")
                .extension(axum::extract::ConnectInfo(from))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "number={}&code={}",
                    url_encode(number),
                    url_encode(code)
                )))
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{number}");
        answers.push((format!("lookup page {number}"), text));
        for fmt in ["json", "xml"] {
            let (_, text) =
                answer(&app, get(&format!("/open311/v2/requests/{number}.{fmt}"))).await;
            answers.push((format!("open311 {number}.{fmt}"), text));
        }
        let (_, text) = answer(&app, get(&format!("/results/{number}"))).await;
        answers.push((format!("result page {number}"), text));
        let (_, text) = answer(&app, get(&format!("/api/public/published/{number}"))).await;
        answers.push((format!("published {number}"), text));
    }
    assert_eq!(found, deploy::demo::SEED_TICKETS);
    // Every page of the published list (JSON and page), and the rest of the public site.
    let mut after: Option<String> = None;
    let mut listed = 0;
    loop {
        let uri = match &after {
            Some(a) => format!("/api/public/published?limit=7&after={}", url_encode(a)),
            None => "/api/public/published?limit=7".into(),
        };
        let (_, text) = answer(&app, get(&uri)).await;
        let v: Value = serde_json::from_str(&text).unwrap();
        listed += v["results"].as_array().unwrap().len();
        answers.push((uri.clone(), text));
        let page_uri = match &after {
            Some(a) => format!("/results?after={}", url_encode(a)),
            None => "/results".into(),
        };
        let (_, text) = answer(&app, get(&page_uri)).await;
        answers.push((page_uri, text));
        match v["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert!(listed > 5 && listed <= published, "{listed} of {published}");
    for uri in [
        "/",
        "/submit",
        "/lookup",
        "/figures",
        "/commitments",
        "/results?q=%E7%94%B5",
        "/api/public/figures",
        "/api/public/figures/recent",
        "/api/public/commitments",
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/open311/v2/requests.json?status=closed",
    ] {
        let (s, text) = answer(&app, get(uri)).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        answers.push((uri.into(), text));
    }
    let open311: Value = serde_json::from_str(
        &answers
            .iter()
            .find(|(u, _)| u == "/open311/v2/requests.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(
        !open311.as_array().unwrap().is_empty(),
        "Open311 lists the published results"
    );

    for (number, secret) in &secrets {
        let escaped = html_escaped(secret);
        for (what, text) in &answers {
            assert!(
                !text.contains(secret.as_str()) && !text.contains(&escaped),
                "{what} shows “{secret}” of {number}"
            );
        }
    }
}
