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

/// 2026-11-24 in Beijing: 00:00 (Unix s).
const DAY_START_S: i64 = 1_795_449_600;

#[tokio::test]
async fn supervisors_score_a_fixed_random_sample_and_see_an_operators_day() {
    let dir = tempfile::tempdir().unwrap();
    let h = hub_with(dir, |c| c.telephony.cdr_secret = Some(CDR_SECRET.into())).await;
    let url = format!("/api/telephony/cdr/{CDR_SECRET}");
    // 60 calls answered by op01 between 09:00 and 11:00, and one nobody answered.
    for i in 0..60 {
        let body = cdr(
            &format!("q{i:03}"),
            "op01",
            DAY_START_S + 9 * 3600 + i * 120,
            90,
        );
        let (s, v) = h
            .client
            .call_raw("POST", &url, None, Some(body.to_string()))
            .await
            .unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let mut missed = cdr("q-missed", "op01", DAY_START_S + 12 * 3600, 0);
    missed["variables"]["answer_epoch"] = json!("0");
    h.client
        .call_raw("POST", &url, None, Some(missed.to_string()))
        .await
        .unwrap();

    // The day's sample: 10 % of the answered calls (quality.toml), the same each time it is asked.
    let sample_url = "/api/quality/sample?date=2026-11-24";
    let (s, sample) = h
        .client
        .call("GET", sample_url, Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{sample}");
    assert_eq!(sample["answered"], 60);
    assert_eq!(sample["percent"], 10);
    let drawn: Vec<String> = sample["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_id"].as_str().unwrap().to_owned())
        .collect();
    assert!((1..=15).contains(&drawn.len()), "{} drawn", drawn.len());
    let (_, again) = h
        .client
        .call("GET", sample_url, Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(again["calls"], sample["calls"]);
    let (s, _) = h
        .client
        .call("GET", sample_url, Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN, "operators do not draw samples");

    // A supervisor scores a drawn call against the form.
    let (_, form) = h
        .client
        .call("GET", "/api/quality/form", Some("sv01"), None)
        .await
        .unwrap();
    let mut items = serde_json::Map::new();
    for i in form["item"].as_array().unwrap() {
        items.insert(i["code"].as_str().unwrap().into(), i["points"].clone());
    }
    items.insert("attitude".into(), json!(12));
    let score_url = format!("/api/calls/{}/score", drawn[0]);
    let body = json!({"items": items, "comment": "态度可以更耐心。"});
    let (s, scored) = h
        .client
        .call("PUT", &score_url, Some("sv01"), Some(&body))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{scored}");
    assert_eq!(scored["percent"], 92.0);
    // More points than an item gives, an unknown item, an operator scoring: refused.
    let mut too_many = items.clone();
    too_many.insert("record".into(), json!(26));
    let (s, v) = h
        .client
        .call(
            "PUT",
            &score_url,
            Some("sv01"),
            Some(&json!({"items": too_many})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["message"].as_str().unwrap().contains("最多 25 分"), "{v}");
    let mut unknown = items.clone();
    unknown.insert("charm".into(), json!(1));
    let (s, _) = h
        .client
        .call(
            "PUT",
            &score_url,
            Some("sv01"),
            Some(&json!({"items": unknown})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = h
        .client
        .call("PUT", &score_url, Some("op02"), Some(&body))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = h
        .client
        .call(
            "PUT",
            "/api/calls/q-missed/score",
            Some("sv01"),
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unanswered call is not scored"
    );
    // The operator sees their score and its comment; another operator sees none of it.
    let from = (DAY_START_S - 86_400) * 1000;
    let to = (DAY_START_S + 86_400) * 1000;
    let mine = format!("/api/quality/scores?from={from}&to={to}");
    let (s, own) = h
        .client
        .call("GET", &mine, Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{own}");
    assert_eq!(own[0]["comment"], "态度可以更耐心。");
    assert_eq!(own[0]["scorer"], "sv01");
    let (_, other) = h
        .client
        .call("GET", &mine, Some("op02"), None)
        .await
        .unwrap();
    assert_eq!(other, json!([]));
    let (s, _) = h
        .client
        .call("GET", &format!("{mine}&operator=op01"), Some("op02"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The operator's day: states as the telephony reported them, calls, the score.
    use hotline_model::agent::{AgentState, StateChange};
    let at = |h_: i64, m: i64| (DAY_START_S + h_ * 3600 + m * 60) * 1000;
    for (t, s) in [
        (at(8, 55), AgentState::Ready),
        (at(9, 0), AgentState::Busy),
        (at(10, 0), AgentState::AfterCall),
        (at(10, 10), AgentState::Ready),
        (at(12, 0), AgentState::Break),
        (at(13, 0), AgentState::Ready),
        (at(17, 30), AgentState::SignedOut),
    ] {
        h.node
            .state
            .store
            .write(move |ctx| {
                replica_store::calls::record_state(
                    ctx.conn,
                    "op01",
                    StateChange { at: t, state: s },
                )
            })
            .await
            .unwrap();
    }
    // Read the next morning, when the day is over.
    h.clock.store(
        (DAY_START_S + 86_400 + 8 * 3600) * 1000,
        std::sync::atomic::Ordering::SeqCst,
    );
    let day_url = "/api/operators/op01/day?date=2026-11-24";
    let (s, day) = h
        .client
        .call("GET", day_url, Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{day}");
    assert_eq!(day["states"]["first_sign_in"], at(8, 55));
    assert_eq!(day["states"]["last_sign_out"], at(17, 30));
    assert_eq!(day["states"]["signed_in_secs"], (8 * 60 + 35) * 60);
    assert_eq!(day["after_call_secs"], 600);
    assert_eq!(day["calls_in"], 60);
    assert_eq!(day["talk_secs"], 60 * 90);
    assert_eq!(day["scored"], 1);
    assert_eq!(day["score_average"], 92.0);
    let (s, _) = h
        .client
        .call("GET", day_url, Some("op02"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, own_day) = h
        .client
        .call("GET", day_url, Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "an operator sees their own day");
    assert_eq!(own_day["calls_in"], 60);
    let (s, _) = h
        .client
        .call(
            "GET",
            "/api/operators/op01/day?date=24-11-2026",
            Some("sv01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
