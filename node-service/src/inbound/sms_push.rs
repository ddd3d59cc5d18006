//! Citizens' texts to the hotline number, as the SMS gateways push them:
//! `POST /api/inbound/sms/aliyun/{secret}` (Alibaba Cloud: a JSON array of `{phone_number,
//! content, send_time, dest_code, sequence_id}`, answered `{"code":0,"msg":"接收成功"}`) and
//! `POST /api/inbound/sms/tencent/{secret}` (Tencent Cloud: one `{mobile, nationcode, text, time,
//! sign, extend}` or an array of them, answered `{"result":0,"errmsg":"OK"}`).
//!
//! Neither gateway signs its pushes, so the URL carries a configured secret (compared in constant
//! time; a wrong one is answered 404 like any unknown path). Malformed bodies are refused with
//! 400 and the reason; the gateway's retries are kept once (the sequence id, or for Tencent a hash
//! of sender, time and text).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use replica_store::inbound::Received;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{accept, normalize_phone};
use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Alibaba Cloud's reply push item.
#[derive(Debug, Deserialize)]
struct AliyunReply {
    phone_number: String,
    content: String,
    #[serde(default)]
    #[allow(dead_code)]
    send_time: String,
    /// The number extension the reply was sent to.
    #[serde(default)]
    dest_code: String,
    sequence_id: Value,
}

/// Tencent Cloud's reply push item.
#[derive(Debug, Deserialize)]
struct TencentReply {
    mobile: String,
    #[serde(default)]
    nationcode: String,
    text: String,
    time: i64,
    #[serde(default)]
    #[allow(dead_code)]
    sign: String,
    /// The number extension the reply was sent to.
    #[serde(default)]
    extend: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

/// The texts of a push body, as received at `now`.
fn parse(provider: &str, body: &[u8], now: i64) -> Result<Vec<Received>, String> {
    let received = |id: String, phone: &str, text: String, extend: String| Received {
        channel: "sms".into(),
        external_id: format!("{provider}:{id}"),
        sender: normalize_phone(phone),
        subject: String::new(),
        content: text,
        received_at: now,
        extend: Some(extend.trim().to_owned()).filter(|e| !e.is_empty() && e.len() <= 20),
    };
    let items = match provider {
        "aliyun" => serde_json::from_slice::<Vec<AliyunReply>>(body)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| {
                let id = match r.sequence_id {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                received(id, &r.phone_number, r.content, r.dest_code)
            })
            .collect::<Vec<_>>(),
        "tencent" => {
            let items = match serde_json::from_slice::<OneOrMany<TencentReply>>(body)
                .map_err(|e| e.to_string())?
            {
                OneOrMany::Many(v) => v,
                OneOrMany::One(r) => vec![r],
            };
            items
                .into_iter()
                .map(|r| {
                    let phone = format!("{}{}", r.nationcode, r.mobile);
                    let hash = Sha256::digest(format!("{}|{}|{}", r.mobile, r.time, r.text));
                    let id = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
                    received(id, &phone, r.text, r.extend)
                })
                .collect()
        }
        _ => return Err("unknown provider".into()),
    };
    for r in &items {
        if r.sender.is_empty()
            || r.sender.len() > 20
            || !r.sender.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!("号码格式不正确：{}", r.sender));
        }
        if r.content.trim().is_empty() {
            return Err(format!("来自 {} 的短信内容为空", r.sender));
        }
    }
    Ok(items)
}

/// The answer the provider expects: success, or a refusal with the reason.
fn answer(provider: &str, ok: Result<(), String>) -> Response {
    match (provider, ok) {
        ("tencent", Ok(())) => Json(json!({"result": 0, "errmsg": "OK"})).into_response(),
        (_, Ok(())) => Json(json!({"code": 0, "msg": "接收成功"})).into_response(),
        ("tencent", Err(e)) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"result": 1, "errmsg": format!("格式错误：{e}")})),
        )
            .into_response(),
        (_, Err(e)) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 1, "msg": format!("格式错误：{e}")})),
        )
            .into_response(),
    }
}

/// `POST /api/inbound/sms/{provider}/{secret}`.
pub async fn push(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    Path((provider, secret)): Path<(String, String)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match super::body_or_refusal(body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if !matches!(provider.as_str(), "aliyun" | "tencent") {
        return ApiError::not_found("接口").into_response();
    }
    let configured = state.config.notify.inbound.sms_secret.as_deref();
    if let Err(e) = super::admit(&state, configured, &secret, peer) {
        return crate::http_common::error::ApiError::from(e).into_response();
    }
    let now = state.now();
    let items = match parse(&provider, &body, now) {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(%provider, error = %e, "malformed SMS push refused");
            return answer(&provider, Err(e));
        }
    };
    for msg in items {
        match accept(&state, msg).await {
            Ok(receipt) => tracing::info!(%provider, ?receipt, "citizen's text received"),
            // Not kept: the gateway is told to try again (nothing is lost).
            Err(e) => {
                tracing::error!(error = %e, "cannot keep a citizen's text");
                return ApiError::from(e).into_response();
            }
        }
    }
    answer(&provider, Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_providers_pushes_are_read_and_bad_ones_refused() {
        let a = br#"[{"phone_number":"13900001111","content":"1","send_time":"2026-11-28 10:00:00","dest_code":"1234","sequence_id":1234567}]"#;
        let got = parse("aliyun", a, 5).expect("aliyun");
        assert_eq!(got[0].sender, "13900001111");
        assert_eq!(got[0].external_id, "aliyun:1234567");
        assert_eq!(got[0].content, "1");
        let t = br#"{"extend":"","mobile":"13900001111","nationcode":"86","sign":"12345","text":"3","time":1795485600}"#;
        let got = parse("tencent", t, 5).expect("tencent");
        assert_eq!(got[0].sender, "13900001111");
        assert!(got[0].external_id.starts_with("tencent:"));
        let again = parse("tencent", t, 9).expect("tencent");
        assert_eq!(
            got[0].external_id, again[0].external_id,
            "a retry is the same text"
        );
        for bad in [
            &b"not json"[..],
            br#"{"phone_number":"1"}"#,
            br#"[{"phone_number":"abc","content":"1","sequence_id":1}]"#,
            br#"[{"phone_number":"13900001111","content":"  ","sequence_id":1}]"#,
        ] {
            assert!(
                parse("aliyun", bad, 0).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
