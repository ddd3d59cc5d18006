//! Call records from the telephony: FreeSWITCH's `mod_json_cdr` posts in both encodings reach a
//! real hub, are kept once, linked to the order registered during the call, listed by who may
//! see them and summed per operator; hostile or malformed posts are refused and change nothing.

mod gateway;

use axum::http::StatusCode;
use gateway::*;
use serde_json::{Value, json};

const CDR_SECRET: &str = "fs-cdr-secret";

fn cdr(uuid: &str, agent: &str, start_s: i64, talk_s: i64) -> Value {
    json!({
        "core-uuid": "2b5c1f0e-0000-4000-8000-000000000001",
        "channel_data": {"state": "CS_REPORTING", "direction": "inbound"},
        "variables": {
            "uuid": uuid,
            "direction": "inbound",
            "start_epoch": start_s.to_string(),
            "answer_epoch": (start_s + 10).to_string(),
            "end_epoch": (start_s + 10 + talk_s).to_string(),
            "billsec": talk_s.to_string(),
            "hangup_cause": "NORMAL_CLEARING",
            "cc_queue": "12345%40default",
            "cc_agent": agent,
            "cc_side": "member",
            "record_file": format!("%2Frecordings%2F{uuid}.wav")
        },
        "callflow": [{"caller_profile": {
            "caller_id_number": "13812345678", "destination_number": "12345", "uuid": uuid
        }}]
    })
}

#[tokio::test]
async fn call_records_are_kept_once_linked_to_their_orders_and_listed_by_reach() {
    let dir = tempfile::tempdir().unwrap();
    let h = hub_with(dir, |c| {
        c.telephony.cdr_secret = Some(CDR_SECRET.into());
        c.telephony.extensions = [("8002".to_owned(), "op02".to_owned())].into();
    })
    .await;
    let post = |path: String, body: String| {
        let h = &h;
        async move {
            h.client
                .call_raw("POST", &path, None, Some(body))
                .await
                .unwrap()
        }
    };
    let url = format!("/api/telephony/cdr/{CDR_SECRET}");
    let start = NOW / 1000 - 3600;

    // The operator registers an order during call a1.
    let (s, created) = h
        .client
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some(&json!({"intake": {
                "channel": "phone", "caller_name": "张三", "caller_phone": "13812345678",
                "address": "东湖区翠湖花园3栋", "request_type": "complaint", "subject": "CX.WY.DT",
                "title": "电梯停运", "content": "电梯停了三天。", "urgent": false, "call_id": "a1"
            }})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let number = created["ticket"]["number"].as_str().unwrap().to_owned();

    // Raw JSON, kept once however often FreeSWITCH retries.
    let (s, v) = post(
        url.clone(),
        cdr("a1", "op01%40default", start, 288).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["kept"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    let (s, v) = post(
        url.clone(),
        cdr("a1", "op01%40default", start, 288).to_string(),
    )
    .await;
    assert_eq!(
        (s, v["kept"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    // The form encoding (`cdr=`), an agent known by extension.
    let form = format!(
        "cdr={}",
        percent_encoding::utf8_percent_encode(
            &cdr("a2", "8002", start + 600, 95).to_string(),
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let (s, v) = post(url.clone(), form).await;
    assert_eq!(
        (s, v["kept"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{v}"
    );
    // The agent's leg of a queued call is acknowledged, not kept.
    let mut agent_leg = cdr("a1-agent", "op01", start, 288);
    agent_leg["variables"]["cc_side"] = json!("agent");
    let (s, v) = post(url.clone(), agent_leg.to_string()).await;
    assert_eq!(
        (s, v["kept"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );

    // Hostile and malformed posts: refused, nothing kept.
    let (s, _) = post(
        "/api/telephony/cdr/wrong".into(),
        cdr("x1", "op01", start, 1).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = post(url.clone(), "{\"variables\": {\"uuid\": \"x2\"}}".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().contains("开始时间"), "{v}");
    let (s, v) = post(url.clone(), "not a record".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = post(url.clone(), "x".repeat(2 * 1024 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

    // The supervisor sees both calls, newest first; the call links to its order.
    let (s, page) = h
        .client
        .call("GET", "/api/calls", Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|c| c["call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a2", "a1"]);
    assert_eq!(items[1]["orders"], json!([number]));
    assert_eq!(items[1]["operator"], "op01");
    assert_eq!(items[1]["talk_secs"], 288);
    assert_eq!(items[1]["recording"], "/recordings/a1.wav");
    assert_eq!(items[0]["operator"], "op02");
    // Paged by key: one at a time, the same two.
    let (_, first) = h
        .client
        .call("GET", "/api/calls?limit=1", Some("sv01"), None)
        .await
        .unwrap();
    let next = first["next"].as_str().unwrap().to_owned();
    let (_, second) = h
        .client
        .call(
            "GET",
            &format!("/api/calls?limit=1&before={}", next.replace(':', "%3A")),
            Some("sv01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(second["items"][0]["call_id"], "a1");
    // An operator sees their own calls only; a unit's staff none.
    let (_, own) = h
        .client
        .call("GET", "/api/calls", Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    let (s, _) = h
        .client
        .call("GET", "/api/calls?operator=op02", Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);
    let unit_user = h
        .node
        .state
        .refdata()
        .users
        .values()
        .find(|u| !u.role.is_centre())
        .unwrap()
        .login
        .clone();
    let (s, _) = h
        .client
        .call("GET", "/api/calls", Some(&unit_user), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Times that are not times are refused, not computed with.
    for path in [
        "/api/calls?to=-9223372036854775808",
        "/api/calls?from=9223372036854775807",
        "/api/calls?from=10&to=5",
        "/api/calls?before=nonsense",
    ] {
        let (s, v) = h
            .client
            .call("GET", path, Some("sv01"), None)
            .await
            .unwrap();
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
    }

    // Per operator, for the statistics: answered calls and talk time.
    let totals = h
        .node
        .state
        .store
        .read(move |c| replica_store::calls::per_operator(c, NOW - 86_400_000, NOW))
        .await
        .unwrap();
    assert_eq!(totals["op01"].inbound, 1);
    assert_eq!(totals["op01"].talk_secs, 288);
    assert_eq!(totals["op02"].talk_secs, 95);
}
