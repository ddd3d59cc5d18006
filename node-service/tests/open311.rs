//! Open311 GeoReport v2 conformance: every method in XML and JSON, the specification's errors,
//! a Chinese description kept intact, the batch token flow, and only public fields in answers.

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

struct Hub {
    app: axum::Router,
    client: Client,
    key: String,
    _dir: tempfile::TempDir,
}

async fn hub() -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        data_dir: dir.path().to_path_buf(),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        alert_sweep_secs: 0,
        ..NodeConfig::default()
    };
    let clock = Arc::new(AtomicI64::new(NOW));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = node_service::start(
        config,
        listener,
        Arc::new(move || clock.load(Ordering::SeqCst)),
    )
    .await
    .unwrap();
    let client = Client::new(node.state.clone());
    let (s, v) = client
        .call(
            "POST",
            "/api/tokens",
            Some("admin"),
            Some(&json!({"name": "随手拍应用", "login": "app-suishoupai"})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{v}");
    Hub {
        app: node_service::http::app(node.state.clone()),
        client,
        key: v["token"].as_str().unwrap().to_owned(),
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Hub {
    async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post(&self, fmt: &str, pairs: &[(&str, &str)]) -> Answer {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(format!("/open311/v2/requests.{fmt}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            content_type,
            text: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        }
    }
}

fn json_of(a: &Answer) -> Value {
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    serde_json::from_str(&a.text).unwrap_or_else(|e| panic!("{e}: {}", a.text))
}

/// The text of every `<child>` of each `<item>` under the root.
fn xml_items(
    a: &Answer,
    root: &str,
    item: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    assert!(a.content_type.starts_with("text/xml"), "{}", a.content_type);
    let doc = roxmltree::Document::parse(&a.text).unwrap_or_else(|e| panic!("{e}: {}", a.text));
    assert_eq!(doc.root_element().tag_name().name(), root, "{}", a.text);
    doc.root_element()
        .children()
        .filter(|n| n.tag_name().name() == item)
        .map(|n| {
            n.children()
                .filter(|c| c.is_element())
                .map(|c| {
                    (
                        c.tag_name().name().to_owned(),
                        c.text().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

const DESCRIPTION: &str =
    "滨江路与江湾路交叉口的路灯已经连续一周不亮，晚上行人过马路很危险。\n请尽快维修！& <紧急>";

fn filing<'a>(key: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("service_code", code),
        ("lat", "30.2741"),
        ("long", "120.1551"),
        ("address_string", "滨江区江湾路口"),
        ("first_name", "小明"),
        ("last_name", "赵"),
        ("phone", "13500007777"),
        ("description", DESCRIPTION),
        ("attribute[request_type]", "repair"),
    ]
}

#[tokio::test]
async fn services_and_their_definitions_in_both_formats() {
    let h = hub().await;
    let v = json_of(&h.get("/open311/v2/services.json").await);
    let all = v.as_array().unwrap();
    assert!(all.len() > 50);
    let lift = all
        .iter()
        .find(|s| s["service_code"] == "CX.WY.DT")
        .unwrap();
    assert_eq!(lift["service_name"], "电梯故障");
    assert_eq!(lift["group"], "城乡建设");
    assert_eq!(lift["type"], "realtime");
    assert_eq!(lift["metadata"], true);
    assert!(lift["keywords"].as_str().unwrap().contains("物业管理"));
    let other = all
        .iter()
        .find(|s| s["service_code"] == "QT.QT.QT")
        .unwrap();
    assert_eq!(other["type"], "batch");
    let x = h.get("/open311/v2/services.xml").await;
    assert_eq!(x.status, StatusCode::OK);
    let items = xml_items(&x, "services", "service");
    assert_eq!(items.len(), all.len());
    let lift = items
        .iter()
        .find(|s| s["service_code"] == "CX.WY.DT")
        .unwrap();
    assert_eq!(
        (lift["service_name"].as_str(), lift["type"].as_str()),
        ("电梯故障", "realtime")
    );
    let d = json_of(&h.get("/open311/v2/services/CX.WY.DT.json").await);
    assert_eq!(d["service_code"], "CX.WY.DT");
    let attr = &d["attributes"][0];
    assert_eq!(
        (attr["code"].as_str(), attr["datatype"].as_str()),
        (Some("request_type"), Some("singlevaluelist"))
    );
    assert!(
        attr["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "repair")
    );
    let x = h.get("/open311/v2/services/CX.WY.DT.xml").await;
    let doc = roxmltree::Document::parse(&x.text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_definition");
    let keys: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("key"))
        .map(|n| n.text().unwrap())
        .collect();
    assert!(
        keys.contains(&"consultation") && keys.contains(&"repair"),
        "{keys:?}"
    );
    // Unknown service: 404 in the specification's error shape, both formats.
    let e = h.get("/open311/v2/services/NO.SUCH.json").await;
    assert_eq!(e.status, StatusCode::NOT_FOUND);
    assert_eq!(json_of(&e)[0]["code"], 404);
    let e = h.get("/open311/v2/services/NO.SUCH.xml").await;
    assert_eq!(e.status, StatusCode::NOT_FOUND);
    assert_eq!(xml_items(&e, "errors", "error")[0]["code"], "404");
    assert_eq!(
        h.get("/open311/v2/services.html").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn filing_following_and_the_specifications_errors() {
    let h = hub().await;
    // Realtime, JSON: the order's number at once; the Chinese text intact in the order.
    let a = h.post("json", &filing(&h.key, "CG.SZ.LD")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let v = json_of(&a);
    let id = v[0]["service_request_id"].as_str().unwrap().to_owned();
    assert!(id.contains("-HUB-"), "{id}");
    assert!(v[0]["service_notice"].as_str().unwrap().contains("已受理"));
    let (_, t) = h
        .client
        .call("GET", &format!("/api/tickets/{id}"), Some("sl01"), None)
        .await
        .unwrap();
    assert_eq!(t["intake"]["content"], DESCRIPTION);
    assert_eq!(t["intake"]["channel"], "open311");
    assert_eq!(t["intake"]["caller_name"], "赵小明");
    assert_eq!(t["intake"]["request_type"], "repair");
    assert_eq!(t["intake"]["location"]["lat"], 30.2741);
    assert_eq!(t["state"]["status"], "pending_review");
    // Realtime, XML.
    let a = h.post("xml", &filing(&h.key, "CG.SZ.LD")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let x = xml_items(&a, "service_requests", "request");
    let id2 = x[0]["service_request_id"].clone();
    assert_ne!(id2, id);
    // The app reads its own requests; the public does not (not published); no private field.
    for fmt in ["json", "xml"] {
        let own = h
            .get(&format!(
                "/open311/v2/requests/{id}.{fmt}?api_key={}",
                h.key
            ))
            .await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.text);
        for secret in [
            "13500007777",
            "赵小明",
            "江湾路口",
            "路灯已经连续",
            "30.2741",
        ] {
            assert!(
                !own.text.contains(secret),
                "{fmt} leaks {secret}: {}",
                own.text
            );
        }
        assert!(own.text.contains("+08:00"), "{}", own.text);
        let anyone = h.get(&format!("/open311/v2/requests/{id}.{fmt}")).await;
        assert_eq!(anyone.status, StatusCode::NOT_FOUND);
    }
    let own = json_of(
        &h.get(&format!("/open311/v2/requests/{id}.json?api_key={}", h.key))
            .await,
    );
    assert_eq!(own[0]["status"], "open");
    assert_eq!(own[0]["service_code"], "CG.SZ.LD");
    assert!(
        own[0]["requested_datetime"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-24T10:00:00+08:00")
    );
    let both = json_of(
        &h.get(&format!(
            "/open311/v2/requests.json?api_key={}&service_request_id={id},{id2}",
            h.key
        ))
        .await,
    );
    assert_eq!(both.as_array().unwrap().len(), 2);
    // Errors: no key 403, a wrong key 403, unknown service 404, no location 400 — both formats.
    let mut no_key = filing(&h.key, "CG.SZ.LD");
    no_key.retain(|(k, _)| *k != "api_key");
    for fmt in ["json", "xml"] {
        let e = h.post(fmt, &no_key).await;
        assert_eq!(e.status, StatusCode::FORBIDDEN, "{}", e.text);
        let e = h.post(fmt, &filing("not-a-key", "CG.SZ.LD")).await;
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        let e = h.post(fmt, &filing(&h.key, "NO.SUCH")).await;
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        let mut nowhere = filing(&h.key, "CG.SZ.LD");
        nowhere.retain(|(k, _)| !matches!(*k, "lat" | "long" | "address_string"));
        let e = h.post(fmt, &nowhere).await;
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{}", e.text);
        let description = if fmt == "json" {
            json_of(&e)[0]["description"].as_str().unwrap().to_owned()
        } else {
            xml_items(&e, "errors", "error")[0]["description"].clone()
        };
        assert!(description.contains("位置"), "{description}");
    }
    let mut bad_type = filing(&h.key, "CG.SZ.LD");
    bad_type.push(("attribute[request_type]", "bribe"));
    bad_type.retain(|(k, v)| *k != "attribute[request_type]" || *v == "bribe");
    assert_eq!(
        h.post("json", &bad_type).await.status,
        StatusCode::BAD_REQUEST
    );
    // An app's key opens no staff route.
    let resp = h
        .send(
            Request::get("/api/tickets")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.key))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
    // The date window: at most 90 days; bad dates and statuses are 400.
    for bad in [
        "start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-11-01T00:00:00%2B08:00",
        "start_date=yesterday",
        "status=pending",
    ] {
        let e = h.get(&format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}: {}", e.text);
    }
}

#[tokio::test]
async fn a_batch_request_gets_a_token_that_resolves_to_its_order() {
    let h = hub().await;
    for fmt in ["json", "xml"] {
        let a = h.post(fmt, &filing(&h.key, "QT.QT.QT")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let token = if fmt == "json" {
            let v = json_of(&a);
            assert!(v[0].get("service_request_id").is_none(), "{v}");
            v[0]["token"].as_str().unwrap().to_owned()
        } else {
            xml_items(&a, "service_requests", "request")[0]["token"].clone()
        };
        // Registered by the queue: the token resolves once the order exists.
        let mut id = None;
        for _ in 0..200 {
            let r = json_of(&h.get(&format!("/open311/v2/tokens/{token}.json")).await);
            assert_eq!(r[0]["token"], token.as_str());
            if let Some(n) = r[0]["service_request_id"].as_str() {
                id = Some(n.to_owned());
                break;
            }
            tokio::task::yield_now().await;
        }
        let id = id.expect("the queued request is registered");
        let x = h.get(&format!("/open311/v2/tokens/{token}.xml")).await;
        assert_eq!(
            xml_items(&x, "service_requests", "request")[0]["service_request_id"],
            id
        );
        let (_, t) = h
            .client
            .call("GET", &format!("/api/tickets/{id}"), Some("sl01"), None)
            .await
            .unwrap();
        assert_eq!(t["intake"]["content"], DESCRIPTION);
    }
    assert_eq!(
        h.get("/open311/v2/tokens/no-such-token.json").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn published_results_are_searchable_by_date_service_and_status() {
    let h = hub().await;
    let a = h.post("json", &filing(&h.key, "CG.SZ.LD")).await;
    let id = json_of(&a)[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let act = |user: &'static str, body: Value| {
        let c = &h.client;
        let id = id.clone();
        async move {
            let (s, v) = c
                .call(
                    "POST",
                    &format!("/api/tickets/{id}/actions"),
                    Some(user),
                    Some(&body),
                )
                .await
                .unwrap();
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    };
    act("sl01", json!({"action": "review", "accept": true})).await;
    act("sl01", json!({"action": "dispatch", "lead": "B-CGJ"})).await;
    act("b-cgj-handler", json!({"action": "sign"})).await;
    act("b-cgj-handler", json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已更换路灯灯具，恢复照明。"})).await;
    act("sv01", json!({"action": "review_result", "accept": true})).await;
    act("sv01", json!({"action": "close", "publish": true})).await;
    let v = json_of(
        &h.get("/open311/v2/requests.json?status=closed&service_code=CG.SZ.LD")
            .await,
    );
    assert_eq!(v[0]["service_request_id"], id.as_str());
    assert_eq!(v[0]["status_notes"], "已更换路灯灯具，恢复照明。");
    assert_eq!(v[0]["agency_responsible"], "市城市管理和综合执法局");
    let x = h.get("/open311/v2/requests.xml?start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-11-30T00:00:00%2B08:00").await;
    let items = xml_items(&x, "service_requests", "request");
    assert_eq!(items[0]["status_notes"], "已更换路灯灯具，恢复照明。");
    assert!(
        json_of(&h.get("/open311/v2/requests.json?status=open").await)
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(json_of(&h.get("/open311/v2/requests.json?start_date=2026-06-01T00:00:00%2B08:00&end_date=2026-07-01T00:00:00%2B08:00").await).as_array().unwrap().is_empty());
    let anyone = h.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(anyone.status, StatusCode::OK);
    for secret in [
        "13500007777",
        "赵小明",
        "江湾路口",
        "路灯已经连续",
        "30.2741",
    ] {
        assert!(!anyone.text.contains(secret), "leaks {secret}");
    }
}
