//! Citizens' messages in, through the same paths a real gateway uses: survey answers pushed by the
//! SMS gateway close the satisfaction loop (close → text → "1" → callback recorded → the
//! assessment counts it; "3" → the operators' callback list → an operator's call), anything else
//! becomes an intake draft an operator registers or answers; WeChat's signed and encrypted XML.

mod gateway;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gateway::*;
use node_service::inbound::InboundConfig;
use node_service::inbound::wechat::{WechatConfig, encrypt, signature};
use node_service::notify::NotifyConfig;
use serde_json::{Value, json};

const PUSH: &str = "push-7f3a";

fn notify(url: String) -> NotifyConfig {
    NotifyConfig {
        sms: Some(aliyun_account(url)),
        send_timeout_secs: 2,
        inbound: InboundConfig {
            sms_secret: Some(PUSH.into()),
            ..InboundConfig::default()
        },
        ..NotifyConfig::default()
    }
}

/// Registers an order from `phone` and takes it to 待回访 (the result accepted); its number.
async fn accepted(h: &Hub, phone: &str, title: &str) -> String {
    let (s, created) = h
        .client
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some(&json!({"intake": {
                "channel": "phone", "caller_name": "王五", "caller_phone": phone,
                "address": "东湖区翠湖花园3栋", "request_type": "complaint", "subject": "CX.WY.DT",
                "title": title, "content": "反映的问题。", "urgent": false
            }})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let number = created["ticket"]["number"].as_str().unwrap().to_owned();
    act(
        h,
        &number,
        "sl01",
        json!({"action": "review", "accept": true}),
    )
    .await;
    act(
        h,
        &number,
        "sl01",
        json!({"action": "dispatch", "lead": "D01", "note": "请处理"}),
    )
    .await;
    act(h, &number, "d01-handler", json!({"action": "sign"})).await;
    act(
        h,
        &number,
        "d01-handler",
        json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已修复。"}),
    )
    .await;
    act(
        h,
        &number,
        "sv01",
        json!({"action": "review_result", "accept": true}),
    )
    .await;
    number
}

/// Pushes texts as Alibaba Cloud's gateway does; the status and answer.
async fn push(h: &Hub, secret: &str, items: Value) -> (StatusCode, Value) {
    h.client
        .call(
            "POST",
            &format!("/api/inbound/sms/aliyun/{secret}"),
            None,
            Some(&items),
        )
        .await
        .unwrap()
}

fn reply(seq: i64, phone: &str, text: &str) -> Value {
    json!([{"phone_number": phone, "content": text, "send_time": "2026-11-24 10:30:00",
            "dest_code": "12345", "sequence_id": seq}])
}

/// `GET /api/drafts?{query}` as op01.
async fn drafts(h: &Hub, query: &str) -> Value {
    let (s, v) = h
        .client
        .call("GET", &format!("/api/drafts?{query}"), Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn ticket(h: &Hub, number: &str) -> Value {
    let (s, v) = h
        .client
        .call("GET", &format!("/api/tickets/{number}"), Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn callbacks(h: &Hub) -> Vec<(String, String)> {
    let (s, v) = h
        .client
        .call("GET", "/api/callbacks", Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["number"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Waits until the gateway received a text to `phone` containing `part`; the text.
async fn text_to(h: &Hub, gw: &Gateway, phone: &str, part: &str) -> String {
    let found = || {
        gw.got
            .lock()
            .unwrap()
            .iter()
            .find(|(_, to, text, _)| to == phone && text.contains(part))
            .map(|g| g.2.clone())
    };
    until(h, &format!("a text to {phone} with {part}"), || {
        found().is_some()
    })
    .await;
    found().unwrap()
}

#[tokio::test]
async fn survey_answers_by_text_close_the_loop_and_the_rest_reach_operators() {
    let dir = tempfile::tempdir().unwrap();
    let (gw, url) = gateway().await;
    let h = hub(dir, notify(url)).await;

    // Accepted result → the survey text, with the reply and the options.
    let first = accepted(&h, "13812340001", "路灯不亮").await;
    let survey = text_to(&h, &gw, "13812340001", "回复1满意").await;
    assert!(
        survey.contains(&first) && survey.contains("已修复"),
        "{survey}"
    );
    assert!(callbacks(&h).await.is_empty(), "waiting for the answer");

    // "1" → the callback recorded by text; the assessment counts it; the citizen is thanked.
    let (s, v) = push(&h, PUSH, reply(1, "+8613812340001", " 1 ")).await;
    assert_eq!(
        (s, &v),
        (StatusCode::OK, &json!({"code": 0, "msg": "接收成功"}))
    );
    let t = ticket(&h, &first).await;
    assert_eq!(t["state"]["status"], "called_back");
    assert_eq!(t["state"]["satisfaction"], "satisfied");
    let last = t["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "callback", "{last}");
    assert_eq!(last["channel"], "sms", "{last}");
    text_to(&h, &gw, "13812340001", "感谢您的评价（满意）").await;
    let events = t["events"].as_array().unwrap().len();
    // The gateway's retry of the same push changes nothing.
    let (s, _) = push(&h, PUSH, reply(1, "13812340001", "1")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        ticket(&h, &first).await["events"].as_array().unwrap().len(),
        events
    );
    let (s, v) = h
        .client
        .call("GET", "/api/stats/units", Some("sv01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    let d01 = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "D01")
        .expect("D01")
        .clone();
    assert_eq!(
        (d01["rated"].as_u64(), d01["satisfied"].as_u64()),
        (Some(1), Some(1)),
        "{d01}"
    );
    assert_eq!(d01["called_back"], 1, "{d01}");

    // Not a rating → one clarification; then "3" → 不满意 recorded, and the order is on the
    // callback list for an operator to verify by phone; the operator's call takes it off.
    let second = accepted(&h, "13812340002", "噪音扰民").await;
    text_to(&h, &gw, "13812340002", "回复1满意").await;
    push(&h, PUSH, reply(2, "13812340002", "好的")).await;
    text_to(&h, &gw, "13812340002", "未能识别").await;
    assert_eq!(
        ticket(&h, &second).await["state"]["status"],
        "awaiting_callback"
    );
    push(&h, PUSH, reply(3, "13812340002", "3 还是很吵")).await;
    let t = ticket(&h, &second).await;
    assert_eq!(t["state"]["satisfaction"], "unsatisfied");
    assert_eq!(
        callbacks(&h).await,
        vec![(second.clone(), "verify".to_owned())]
    );
    act(
        &h,
        &second,
        "op02",
        json!({"action": "callback", "satisfaction": "basically_satisfied", "note": "电话核实：已安静"}),
    )
    .await;
    assert!(callbacks(&h).await.is_empty());

    // No answer within the wait (48 h) → on the list for a call.
    let third = accepted(&h, "13812340003", "井盖缺失").await;
    text_to(&h, &gw, "13812340003", "回复1满意").await;
    h.clock.fetch_add(47 * 3_600_000, Ordering::SeqCst);
    assert!(callbacks(&h).await.is_empty());
    h.clock.fetch_add(2 * 3_600_000, Ordering::SeqCst);
    assert_eq!(
        callbacks(&h).await,
        vec![(third.clone(), "survey".to_owned())]
    );

    // A text from someone without an open survey is an intake draft: an operator registers it,
    // and the citizen gets the number and query code by text.
    push(
        &h,
        PUSH,
        reply(4, "13812340009", "我家小区门口的下水道堵了三天了"),
    )
    .await;
    let v = drafts(&h, "").await;
    assert_eq!(v["waiting"], 1);
    let draft = v["items"][0].clone();
    assert_eq!(draft["sender"], "13812340009");
    assert_eq!(draft["channel"], "sms");
    let id = draft["id"].as_i64().unwrap();
    let (s, created) = h
        .client
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some(&json!({"draft": id, "intake": {
                "channel": "sms", "caller_name": "", "caller_phone": "13812340009",
                "address": "东湖区", "request_type": "complaint", "subject": "CX.WY.DT",
                "title": "下水道堵塞", "content": draft["content"], "urgent": false
            }})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let number = created["ticket"]["number"].as_str().unwrap();
    let code = created["query_code"].as_str().unwrap();
    let registered = text_to(&h, &gw, "13812340009", number).await;
    assert!(registered.contains(code), "{registered}");
    let (_, v) = h
        .client
        .call("GET", &format!("/api/drafts/{id}"), Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(
        (v["state"].as_str(), v["ticket"].as_str()),
        (Some("registered"), Some(number))
    );
    // Handled once: a second registration from the same draft is refused, nothing created.
    let (s, v) = h
        .client
        .call(
            "POST",
            &format!("/api/drafts/{id}/answer"),
            Some("op02"),
            Some(&json!({"text": "已收到"})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // Another is answered by text.
    push(
        &h,
        PUSH,
        reply(5, "13812340010", "请问办理居住证需要什么材料？"),
    )
    .await;
    let id = drafts(&h, "").await["items"][0]["id"].as_i64().unwrap();
    let (s, v) = h
        .client
        .call(
            "POST",
            &format!("/api/drafts/{id}/answer"),
            Some("op01"),
            Some(&json!({"text": "请携带身份证和居住证明到所在街道办理。"})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "answered");
    text_to(&h, &gw, "13812340010", "请携带身份证").await;
    // A unit's handler may not read citizens' messages.
    let (s, _) = h
        .client
        .call("GET", "/api/drafts", Some("d01-handler"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Bad pushes: a wrong secret looks like no endpoint at all; malformed bodies are refused
    // with the reason, and keep nothing.
    let (s, _) = push(&h, "guess", reply(6, "13812340011", "1")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for bad in [
        json!({"phone_number": "1"}),
        json!([{"phone_number": "abc", "content": "x", "sequence_id": 7}]),
        json!([{"phone_number": "13812340011", "content": "", "sequence_id": 8}]),
    ] {
        let (s, v) = push(&h, PUSH, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["code"], 1, "{v}");
        assert!(v["msg"].as_str().unwrap().contains("格式错误"), "{v}");
    }
    let v = drafts(&h, "state=all&limit=200").await;
    assert!(
        !v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["sender"] == "13812340011"),
        "{v}"
    );
}

/// WeChat's API, mocked: hands out a token and records customer-service messages.
#[derive(Default)]
struct WechatApi {
    tokens: Mutex<u32>,
    sent: Mutex<Vec<Value>>,
}

async fn wechat_api() -> (Arc<WechatApi>, String) {
    use axum::extract::State;
    let api = Arc::new(WechatApi::default());
    let app = axum::Router::new()
        .route(
            "/cgi-bin/token",
            axum::routing::get(|State(a): State<Arc<WechatApi>>| async move {
                *a.tokens.lock().unwrap() += 1;
                axum::Json(json!({"access_token": "TOKEN-1", "expires_in": 7200}))
            }),
        )
        .route(
            "/cgi-bin/message/custom/send",
            axum::routing::post(|State(a): State<Arc<WechatApi>>, body: String| async move {
                a.sent
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap());
                axum::Json(json!({"errcode": 0, "errmsg": "ok", "msgid": 42}))
            }),
        )
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (api, url)
}

const TOKEN: &str = "wx-token";
const AES: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx1234567890";

/// Sends `body` to the WeChat endpoint with `query`; the status and body text.
async fn wechat(h: &Hub, method: &str, query: &str, body: String) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(format!("/api/inbound/wechat?{query}"))
        .header("content-type", "text/xml")
        .body(Body::from(body))
        .unwrap();
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = h.client.app().clone().oneshot(req).await.unwrap();
    let s = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (s, String::from_utf8_lossy(&bytes).into_owned())
}

/// A signed safe-mode push of `xml` at `ts` (seconds); with `tamper`, the message signature is
/// wrong.
fn safe_push(xml: &str, ts: i64, tamper: bool) -> (String, String) {
    let enc = encrypt(AES, APPID, xml, [9; 16]).unwrap();
    let (t, nonce) = (ts.to_string(), "1357");
    let mut msig = signature(&[TOKEN, &t, nonce, &enc]);
    if tamper {
        msig.replace_range(0..1, if msig.starts_with('0') { "1" } else { "0" });
    }
    let q = format!(
        "signature={}&timestamp={t}&nonce={nonce}&openid=oCitizen1&encrypt_type=aes&msg_signature={msig}",
        signature(&[TOKEN, &t, nonce])
    );
    (
        q,
        format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
        ),
    )
}

#[tokio::test]
async fn wechat_messages_are_checked_decrypted_kept_once_and_answered_through_its_api() {
    let dir = tempfile::tempdir().unwrap();
    let (api, api_url) = wechat_api().await;
    let h = hub(
        dir,
        NotifyConfig {
            inbound: InboundConfig {
                wechat: Some(WechatConfig {
                    token: TOKEN.into(),
                    appid: APPID.into(),
                    encoding_aes_key: Some(AES.into()),
                    secret: Some("app-secret".into()),
                    api_base: Some(api_url),
                }),
                ..InboundConfig::default()
            },
            send_timeout_secs: 2,
            ..NotifyConfig::default()
        },
    )
    .await;
    let ts = NOW / 1000;

    // The URL check.
    let q = |sig: &str| format!("signature={sig}&timestamp={ts}&nonce=24680&echostr=hello-123");
    let good = signature(&[TOKEN, &ts.to_string(), "24680"]);
    assert_eq!(
        wechat(&h, "GET", &q(&good), String::new()).await,
        (StatusCode::OK, "hello-123".to_owned())
    );
    let (s, body) = wechat(&h, "GET", &q("0000"), String::new()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("签名校验失败"), "{body}");

    // A text, encrypted: kept as a draft from the citizen's OpenID; WeChat's retry kept once.
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oCitizen1]]></FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[解放路的红绿灯坏了，早高峰很堵]]></Content><MsgId>23456789</MsgId></xml>"
    );
    for _ in 0..2 {
        let (q, body) = safe_push(&xml, ts, false);
        assert_eq!(
            wechat(&h, "POST", &q, body).await,
            (StatusCode::OK, "success".to_owned())
        );
    }
    let v = drafts(&h, "").await;
    assert_eq!(v["waiting"], 1, "{v}");
    assert_eq!(v["items"][0]["channel"], "wechat");
    assert_eq!(v["items"][0]["sender"], "oCitizen1");
    assert_eq!(v["items"][0]["content"], "解放路的红绿灯坏了，早高峰很堵");
    let id = v["items"][0]["id"].as_i64().unwrap();

    // Refused, each with its reason, and nothing kept: a wrong message signature, a replayed
    // (old) request, a body too large, broken XML in plain mode.
    let (q, body) = safe_push(&xml.replace("23456789", "1"), ts, true);
    let (s, text) = wechat(&h, "POST", &q, body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("消息签名校验失败"), "{text}");
    let (q, body) = safe_push(&xml.replace("23456789", "2"), ts - 3600, false);
    let (s, text) = wechat(&h, "POST", &q, body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("过期"), "{text}");
    let plain_q = format!(
        "signature={}&timestamp={ts}&nonce=1&openid=o",
        signature(&[TOKEN, &ts.to_string(), "1"])
    );
    let (s, text) = wechat(&h, "POST", &plain_q, "x".repeat(70_000)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    let (s, text) = wechat(&h, "POST", &plain_q, "<xml><MsgType>text".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("XML"), "{text}");
    let v = drafts(&h, "state=all").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");

    // Answered: the answer goes out through the customer-service API to the OpenID.
    let (s, v) = h
        .client
        .call(
            "POST",
            &format!("/api/drafts/{id}/answer"),
            Some("op01"),
            Some(&json!({"text": "已转交交警部门处理，感谢反映。"})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    until(&h, "the WeChat answer", || {
        !api.sent.lock().unwrap().is_empty()
    })
    .await;
    let sent = api.sent.lock().unwrap()[0].clone();
    assert_eq!(sent["touser"], "oCitizen1");
    assert_eq!(sent["msgtype"], "text");
    assert!(
        sent["text"]["content"]
            .as_str()
            .unwrap()
            .contains("已转交交警部门"),
        "{sent}"
    );
    assert_eq!(*api.tokens.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_units_messages_count_unread_until_each_is_read_or_all_are() {
    let dir = tempfile::tempdir().unwrap();
    let h = hub(dir, NotifyConfig::default()).await;
    let mut numbers = Vec::new();
    for title in ["路灯不亮", "井盖缺失"] {
        let (s, created) = h
            .client
            .call(
                "POST",
                "/api/tickets",
                Some("op01"),
                Some(&json!({"intake": {
                    "channel": "phone", "caller_name": "王五", "caller_phone": "13812340001",
                    "address": "东湖区", "request_type": "complaint", "subject": "CX.WY.DT",
                    "title": title, "content": "反映的问题。", "urgent": false
                }})),
            )
            .await
            .unwrap();
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let number = created["ticket"]["number"].as_str().unwrap().to_owned();
        act(
            &h,
            &number,
            "sl01",
            json!({"action": "review", "accept": true}),
        )
        .await;
        act(
            &h,
            &number,
            "sl01",
            json!({"action": "dispatch", "lead": "D01", "note": "请处理"}),
        )
        .await;
        numbers.push(number);
    }
    h.clock.fetch_add(60_000, Ordering::SeqCst);
    act(
        &h,
        &numbers[0],
        "sv01",
        json!({"action": "urge", "target": "D01", "note": "请尽快签收"}),
    )
    .await;
    let messages = |user: &'static str| {
        let h = &h;
        async move {
            let (s, v) = h
                .client
                .call("GET", "/api/messages", Some(user), None)
                .await
                .unwrap();
            assert_eq!(s, StatusCode::OK, "{v}");
            v
        }
    };
    let v = messages("d01-handler").await;
    assert_eq!(v["unread"], 3, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items[0]["what"], "催办");
    assert_eq!(items[0]["number"], numbers[0].as_str());
    assert_eq!(items[0]["read"], false);
    // Another unit hears nothing of it.
    assert_eq!(messages("d02-handler").await["unread"], 0);

    let first = items[0]["event_id"].as_str().unwrap().to_owned();
    let (s, v) = h
        .client
        .call(
            "POST",
            "/api/messages/read",
            Some("d01-handler"),
            Some(&json!({"events": [first]})),
        )
        .await
        .unwrap();
    assert_eq!((s, v["unread"].as_i64()), (StatusCode::OK, Some(2)));
    let v = messages("d01-handler").await;
    assert_eq!(v["items"][0]["read"], true);
    assert_eq!(v["items"][1]["read"], false);
    let (s, v) = h
        .client
        .call(
            "POST",
            "/api/messages/read",
            Some("d01-handler"),
            Some(&json!({"all": true})),
        )
        .await
        .unwrap();
    assert_eq!((s, v["unread"].as_i64()), (StatusCode::OK, Some(0)));
    // A later message is unread again.
    h.clock.fetch_add(60_000, Ordering::SeqCst);
    act(
        &h,
        &numbers[1],
        "sv01",
        json!({"action": "urge", "target": "D01", "note": ""}),
    )
    .await;
    assert_eq!(messages("d01-handler").await["unread"], 1);
    // The centre's own record of a supervision names the unit, not its code.
    act(
        &h,
        &numbers[1],
        "leader01",
        json!({"action": "supervise", "target": "D01", "level": "named", "note": "挂牌督办"}),
    )
    .await;
    let v = messages("sv01").await;
    let own: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["what"].as_str())
        .filter(|w| w.starts_with('已'))
        .collect();
    assert_eq!(own, ["已挂牌督办：东湖区"], "{v}");
    let (s, v) = h
        .client
        .call(
            "POST",
            "/api/messages/read",
            Some("d01-handler"),
            Some(&json!({"events": "x"})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "invalid_json");
    for path in [
        "/api/messages?limit=many",
        "/api/drafts?before=x",
        "/api/callbacks?limit=-1",
    ] {
        let (s, v) = h
            .client
            .call("GET", path, Some("op01"), None)
            .await
            .unwrap();
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains("查询参数有误"),
            "{v}"
        );
    }
}

#[tokio::test]
async fn the_centre_edits_the_texts_every_node_uses_and_a_misspelt_setting_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (gw, url) = gateway().await;
    let h = hub(dir, notify(url)).await;
    let put = |text: &str| {
        let body = json!({ "text": text });
        let h = &h;
        async move {
            h.client
                .call("PUT", "/api/reference/notices", Some("sv01"), Some(&body))
                .await
                .unwrap()
        }
    };
    let (s, v) = put("[survey]\nwait_hour = 72\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["detail"]["reason"]
            .as_str()
            .unwrap()
            .contains("notices.toml"),
        "{v}"
    );
    let (s, v) = put("[survey]\ntext = \"【临江12345】请评价工单{number}：{options}\"\n").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // An operator may not.
    let (s, _) = h
        .client
        .call(
            "PUT",
            "/api/reference/notices",
            Some("op01"),
            Some(&json!({"text": ""})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);
    let number = accepted(&h, "13812340021", "噪音").await;
    let text = text_to(&h, &gw, "13812340021", "请评价工单").await;
    assert_eq!(
        text,
        format!("【临江12345】请评价工单{number}：回复1满意，2基本满意，3不满意")
    );
}

#[tokio::test]
async fn mails_to_the_hotline_become_drafts_and_the_sender_is_answered_by_mail() {
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    let dir = tempfile::tempdir().unwrap();
    let h = hub(
        dir,
        NotifyConfig {
            inbound: InboundConfig {
                mail_secret: Some("mail-9c1e".into()),
                ..InboundConfig::default()
            },
            ..NotifyConfig::default()
        },
    )
    .await;
    let raw = lettre::Message::builder()
        .from("张三 <zhang.san@example.com>".parse().unwrap())
        .to("12345@linjiang.gov.cn".parse().unwrap())
        .subject("反映春晖路积水问题")
        .message_id(Some("<m1@example.com>".into()))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(
                    "春晖路与湖滨路交叉口一下雨就积水，请尽快疏通。".to_owned(),
                ))
                .singlepart(Attachment::new("积水.jpg".into()).body(
                    vec![0xFF, 0xD8, 0xFF, 0xE0],
                    ContentType::parse("image/jpeg").unwrap(),
                )),
        )
        .unwrap()
        .formatted();
    let post = |secret: &'static str, body: Vec<u8>| {
        let h = &h;
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(format!("/api/inbound/mail/{secret}"))
                .header("content-type", "message/rfc822")
                .body(Body::from(body))
                .unwrap();
            node_service::api::in_process::send(h.client.app(), req).await
        }
    };
    for _ in 0..2 {
        let (s, v) = post("mail-9c1e", raw.clone()).await;
        assert_eq!((s, &v["kept"]), (StatusCode::OK, &json!(true)), "{v}");
    }
    let v = drafts(&h, "").await;
    assert_eq!(v["waiting"], 1, "the server's retry is the same mail: {v}");
    let d = v["items"][0].clone();
    assert_eq!(d["channel"], "email");
    assert_eq!(d["sender"], "zhang.san@example.com");
    assert_eq!(d["subject"], "反映春晖路积水问题");
    let content = d["content"].as_str().unwrap();
    assert!(content.starts_with("春晖路与湖滨路交叉口"), "{content}");
    assert!(content.contains("附件 1 个"), "{content}");

    // Registered: the number and query code go back by e-mail.
    let (s, created) = h
        .client
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some(&json!({"draft": d["id"], "intake": {
                "channel": "email", "caller_name": "张三", "caller_phone": "0799-12345",
                "address": "春晖路与湖滨路交叉口", "request_type": "complaint", "subject": "CX.WY.DT",
                "title": "路口积水", "content": content, "urgent": false
            }})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let number = created["ticket"]["number"].as_str().unwrap();
    let code = created["query_code"].as_str().unwrap();
    let mails: Vec<_> = outbox(&h)
        .await
        .into_iter()
        .filter(|(to, ..)| to == "zhang.san@example.com")
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].2.contains(number) && mails[0].2.contains(code),
        "{mails:?}"
    );

    // Robots are not answered; a wrong secret finds nothing; too large or unreadable is refused.
    let bounce =
        b"From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail\r\n\r\nx".to_vec();
    let (s, v) = post("mail-9c1e", bounce).await;
    assert_eq!((s, &v["kept"]), (StatusCode::OK, &json!(false)), "{v}");
    let (s, _) = post("guess", raw.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = post("mail-9c1e", vec![b'a'; 5 * 1024 * 1024]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["message"].as_str().unwrap().contains("过大"), "{v}");
    let (s, v) = post("mail-9c1e", b"Subject: no sender\r\n\r\nhello".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("发件人"), "{v}");
    assert_eq!(
        drafts(&h, "state=all").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_reply_names_its_survey_by_the_number_extension_it_was_sent_from() {
    let (gw, url) = gateway().await;
    let h = hub(tempfile::tempdir().unwrap(), notify(url)).await;
    let phone = "13812340077";
    let sent = || gw.extends.lock().unwrap().len();
    let first = accepted(&h, phone, "路灯不亮").await;
    until(&h, "the first survey text", || sent() == 1).await;
    let second = accepted(&h, phone, "井盖缺失").await;
    until(&h, "the second survey text", || sent() == 2).await;
    let codes: Vec<String> = gw
        .extends
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == phone)
        .map(|(_, c)| c.clone())
        .collect();
    assert_eq!(
        codes.len(),
        2,
        "each survey from its own extension: {codes:?}"
    );
    assert_ne!(codes[0], codes[1]);
    let satisfaction = |number: &str| {
        let h = &h;
        let number = number.to_owned();
        async move { ticket(h, &number).await["state"]["satisfaction"].clone() }
    };
    // The reply to the first (older) survey, pushed with its extension, rates the first order.
    let (s, v) = push(
        &h,
        PUSH,
        json!([{"phone_number": phone, "content": "3", "send_time": "2026-11-24 10:30:00",
                "dest_code": codes[0], "sequence_id": 9001}]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(satisfaction(&first).await, "unsatisfied");
    assert_eq!(satisfaction(&second).await, Value::Null);
    // A reply without a known extension answers the latest open survey.
    let (s, _) = push(&h, PUSH, reply(9002, phone, "1")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(satisfaction(&second).await, "satisfied");
}
