//! FreeSWITCH's event socket against a scripted switch (`freeswitch-esl-tokio`'s mock peer): the
//! hub connects, authenticates and subscribes; an agent's states are recorded; a queued call
//! answered by an operator pops their screen; its hang-up keeps the call record, its recording
//! stop keeps the recording from the shared directory (and nothing outside it); malformed events
//! are refused and counted while the events after them are taken; a dropped socket is
//! reconnected; a supervisor's monitoring request becomes the switch's `eavesdrop` command.

mod gateway;

use std::time::Duration;

use axum::http::StatusCode;
use freeswitch_esl_tokio::mock::{MockConnection, MockEslServer};
use gateway::*;
use node_service::telephony::EslConfig;
use serde_json::json;

const PASSWORD: &str = "ClueCon-test";
/// Event times: 2026-11-24 09:00 Beijing (µs).
const T0_US: i64 = (NOW - 3_600_000) * 1000;

async fn subscribed(server: &MockEslServer) -> MockConnection {
    let mut sw = server
        .accept()
        .await
        .expect("the hub connects and authenticates");
    let command = sw.read_command().await.unwrap();
    assert_eq!(
        command,
        "event plain CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE RECORD_STOP CUSTOM callcenter::info\n\n"
    );
    sw.reply_ok().await.unwrap();
    sw
}

fn at(secs: i64) -> String {
    (T0_US + secs * 1_000_000).to_string()
}

async fn agent(sw: &mut MockConnection, agent: &str, key: &str, value: &str, secs: i64) {
    sw.send_event_plain(
        "CUSTOM",
        [
            ("Event-Subclass", "callcenter::info"),
            (
                "CC-Action",
                if key == "CC-Agent-Status" {
                    "agent-status-change"
                } else {
                    "agent-state-change"
                },
            ),
            ("CC-Agent", agent),
            (key, value),
            ("Event-Date-Timestamp", &at(secs)),
        ],
    )
    .await
    .unwrap();
}

async fn states(h: &Hub, operator: &str) -> Vec<(i64, String)> {
    let op = operator.to_owned();
    h.node
        .state
        .store
        .read(move |c| replica_store::calls::states(c, &op, 0, i64::MAX))
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.at, c.state.as_str().to_owned()))
        .collect()
}

/// A staff page through the whole application, as `login`.
async fn page(h: &Hub, login: &str, url: &str) -> (StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let cookie = h.client.session(login).await.unwrap();
    let req = axum::http::Request::get(url)
        .header("cookie", format!("{}={cookie}", node_service::auth::COOKIE))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = node_service::http::app(h.node.state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

fn wav() -> Vec<u8> {
    let mut v = b"RIFF\x24\x10\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\0\x10\0\0".to_vec();
    v.extend((0..4096u32).map(|i| (i % 251) as u8));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_socket_pops_screens_keeps_calls_recordings_and_states_and_survives_drops_and_garbage()
 {
    let server = MockEslServer::bind("127.0.0.1:0", PASSWORD).await.unwrap();
    let recordings = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let rec_dir = recordings.path().to_owned();
    let port = server.port();
    let dir = tempfile::tempdir().unwrap();
    let (h, mut sw) = tokio::join!(
        hub_with(dir, move |c| {
            c.telephony.esl = Some(EslConfig {
                host: "127.0.0.1".into(),
                port,
                password: PASSWORD.into(),
                reconnect_ms: 20,
            });
            c.telephony.extensions = [
                ("8001".to_owned(), "op01".to_owned()),
                ("8101".to_owned(), "sv01".to_owned()),
            ]
            .into();
            c.telephony.recordings_dir = Some(rec_dir);
        }),
        subscribed(&server)
    );
    let cti = h.node.state.cti.clone();
    let mut pops = cti.subscribe();

    // The operator signs in at the queue and becomes ready.
    agent(&mut sw, "op01@default", "CC-Agent-Status", "Available", 0).await;
    agent(&mut sw, "8001", "CC-Agent-State", "Waiting", 1).await;
    let mut w = Waiter::new(&h);
    while states(&h, "op01").await.len() < 1 {
        w.next("the first state").await;
    }

    // A malformed event (no agent) and one of an agent nobody knows are refused; the event after
    // them is taken.
    sw.send_event_plain(
        "CUSTOM",
        [
            ("Event-Subclass", "callcenter::info"),
            ("CC-Action", "agent-status-change"),
            ("CC-Agent-Status", "Available"),
        ],
    )
    .await
    .unwrap();
    agent(&mut sw, "9999@default", "CC-Agent-Status", "Available", 2).await;
    agent(
        &mut sw,
        "op01@default",
        "CC-Agent-State",
        "In a queue call",
        10,
    )
    .await;

    // The queue puts a citizen through to op01: the operator's screen pops.
    sw.send_event_plain(
        "CUSTOM",
        [
            ("Event-Subclass", "callcenter::info"),
            ("CC-Action", "bridge-agent-start"),
            ("CC-Agent", "op01@default"),
            ("CC-Queue", "12345@default"),
            (
                "CC-Member-Session-UUID",
                "c0ffee00-0000-4000-8000-000000000001",
            ),
            ("CC-Member-CID-Number", "13812345678"),
            ("Event-Date-Timestamp", &at(10)),
        ],
    )
    .await
    .unwrap();
    let pop = tokio::time::timeout(Duration::from_secs(10), pops.recv())
        .await
        .expect("a screen pop")
        .unwrap();
    assert_eq!(pop.operator, "op01");
    assert_eq!(pop.caller, "13812345678");
    assert_eq!(pop.queue.as_deref(), Some("12345"));
    assert_eq!(pop.answered_at, (T0_US + 10_000_000) / 1000);
    // The intake page taken from the pop holds the caller's number and the call.
    let (status, page) = page(
        &h,
        "op01",
        "/staff/intake?call=c0ffee00-0000-4000-8000-000000000001",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains(r#"value="13812345678""#), "{page}");
    assert!(
        page.contains(
            r#"name="call_id" id="call_id" value="c0ffee00-0000-4000-8000-000000000001""#
        )
    );
    // Live: shown to the supervisor, with monitoring offered while the socket is up.
    let (status, live) = h
        .client
        .call("GET", "/api/calls/live", Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["monitoring"], true);
    assert_eq!(live["calls"][0]["operator"], "op01");
    let (status, live) = h
        .client
        .call("GET", "/api/calls/live", Some("op02"), None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["calls"], json!([]), "another operator sees none of it");

    // The supervisor listens in: the switch is asked to ring their extension into the call.
    let listen = json!({"barge": false});
    let (answer, command) = tokio::join!(
        h.client.call(
            "POST",
            "/api/calls/c0ffee00-0000-4000-8000-000000000001/monitor",
            Some("sv01"),
            Some(&listen),
        ),
        async {
            let c = sw.read_command().await.unwrap();
            sw.reply_bgapi("job-7").await.unwrap();
            c
        }
    );
    assert_eq!(
        command,
        "bgapi originate user/8101 &eavesdrop(c0ffee00-0000-4000-8000-000000000001)\n\n"
    );
    let (status, started) = answer.unwrap();
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["extension"], "8101");
    let (status, _) = h
        .client
        .call(
            "POST",
            "/api/calls/c0ffee00-0000-4000-8000-000000000001/monitor",
            Some("op02"),
            Some(&json!({"barge": true})),
        )
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an operator may not listen in"
    );

    // The call ends: its record is kept (the citizen's leg; the agent's leg is not a call).
    let hangup = |leg: &'static str| {
        [
            (
                "Unique-ID",
                if leg == "member" {
                    "c0ffee00-0000-4000-8000-000000000001"
                } else {
                    "agent-leg-1"
                },
            ),
            ("Caller-Caller-ID-Number", "13812345678"),
            ("Caller-Destination-Number", "12345"),
            ("Call-Direction", "inbound"),
            ("Hangup-Cause", "NORMAL_CLEARING"),
            ("variable_cc_side", leg),
            ("variable_cc_agent", "op01@default"),
            ("variable_cc_queue", "12345@default"),
            ("variable_start_uepoch", "1795478400000000"),
            ("variable_answer_uepoch", "1795478410000000"),
            ("variable_end_uepoch", "1795478590000000"),
            ("variable_billsec", "180"),
        ]
    };
    sw.send_event_plain("CHANNEL_HANGUP_COMPLETE", hangup("agent"))
        .await
        .unwrap();
    sw.send_event_plain("CHANNEL_HANGUP_COMPLETE", hangup("member"))
        .await
        .unwrap();
    let call = loop {
        let got = h
            .node
            .state
            .store
            .read(|c| replica_store::calls::get(c, "c0ffee00-0000-4000-8000-000000000001"))
            .await
            .unwrap();
        if let Some(c) = got {
            break c;
        }
        w.next("the call record").await;
    };
    assert_eq!(call.operator.as_deref(), Some("op01"));
    assert_eq!(call.queue.as_deref(), Some("12345"));
    assert_eq!(call.talk_secs, 180);
    assert!(cti.live_call("op01").is_none(), "no longer live");
    assert!(
        h.node
            .state
            .store
            .read(|c| replica_store::calls::get(c, "agent-leg-1"))
            .await
            .unwrap()
            .is_none()
    );

    // A recording outside the shared directory is refused; the one inside is kept.
    let evil = outside.path().join("secret.wav");
    std::fs::write(&evil, wav()).unwrap();
    let inside = recordings.path().join("c0ffee00.wav");
    std::fs::write(&inside, wav()).unwrap();
    for (path, uuid) in [
        (
            evil.display().to_string(),
            "c0ffee00-0000-4000-8000-000000000002",
        ),
        (
            format!("{}/../{}", recordings.path().display(), "x.wav"),
            "c0ffee00-0000-4000-8000-000000000003",
        ),
        (
            inside.display().to_string(),
            "c0ffee00-0000-4000-8000-000000000001",
        ),
    ] {
        sw.send_event_plain(
            "RECORD_STOP",
            [("Unique-ID", uuid), ("Record-File-Path", path.as_str())],
        )
        .await
        .unwrap();
    }
    let recorded = |id: &'static str| {
        let store = h.node.state.store.clone();
        async move {
            store
                .read(move |c| replica_store::files::recording_of(c, id))
                .await
                .unwrap()
        }
    };
    while recorded("c0ffee00-0000-4000-8000-000000000001")
        .await
        .is_none()
    {
        w.next("the recording").await;
    }
    assert!(
        recorded("c0ffee00-0000-4000-8000-000000000002")
            .await
            .is_none()
    );
    assert!(
        recorded("c0ffee00-0000-4000-8000-000000000003")
            .await
            .is_none()
    );
    // The supervisor plays it from the call list.
    let (status, headers, body) = h
        .client
        .call_bytes(
            "GET",
            "/api/calls/c0ffee00-0000-4000-8000-000000000001/recording",
            Some("sv01"),
            &[("range", "bytes=0-43")],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers["content-type"], "audio/wav");
    assert_eq!(body.as_ref(), &wav()[..44]);

    // The switch drops the socket (a restart): the hub reconnects and goes on.
    sw.drop_connection().await;
    let mut sw = subscribed(&server).await;
    agent(&mut sw, "op01@default", "CC-Agent-State", "Idle", 190).await;
    agent(&mut sw, "op01@default", "CC-Agent-Status", "On Break", 250).await;
    agent(
        &mut sw,
        "op01@default",
        "CC-Agent-Status",
        "Logged Out",
        600,
    )
    .await;
    while states(&h, "op01").await.len() < 6 {
        w.next("the states after reconnecting").await;
    }
    let s = states(&h, "op01").await;
    let names: Vec<&str> = s.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "ready",
            "ready",
            "busy",
            "after_call",
            "break",
            "signed_out"
        ]
    );
    let status = cti.esl_status();
    assert_eq!(status.connects, 2);
    assert_eq!(
        status.refused, 2,
        "the event without an agent and the unknown agent"
    );
    assert!(status.connected);
}
