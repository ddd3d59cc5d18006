//! FreeSWITCH's call records as `mod_json_cdr` posts them at each hang-up: `POST
//! /api/telephony/cdr/{secret}` with the record as raw JSON (`encode = false`) or as the form
//! field `cdr=` (`encode = true`), variable values URL-encoded or not. One record per call leg:
//! the agent's leg of a queued call (`cc_side = agent`) is acknowledged and not kept, the
//! citizen's leg carries the call. Kept once per `uuid` (FreeSWITCH retries until it gets 200).
//!
//! A wrong secret is answered 404, a malformed record 400 with the reason, and FreeSWITCH moves it
//! to its error directory after its retries; nothing else is written.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use hotline_model::call::{CallDirection, CallRecord};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Largest record accepted (a call's record with its call flow is a few KiB).
pub const MAX_CDR: usize = 1024 * 1024;

/// What a post holds: a call to keep, or a leg that is not kept (and why).
#[derive(Debug, PartialEq, Eq)]
pub enum Posted {
    /// The call.
    Call(Box<CallRecord>),
    /// Acknowledged, not kept.
    Skipped(&'static str),
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The JSON of a post: the body itself, or its form field `cdr`.
fn json_of(body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|_| "通话记录不是 UTF-8 文本".to_owned())?;
    let trimmed = text.trim_start();
    let json_text = if trimmed.starts_with('{') {
        trimmed.to_owned()
    } else {
        trimmed
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "cdr")
            .map(|(_, v)| decode(v))
            .ok_or_else(|| "通话记录应为 JSON，或表单字段 cdr".to_owned())?
    };
    serde_json::from_str(&json_text).map_err(|e| format!("通话记录不是有效的 JSON：{e}"))
}

/// Reads a post as `mod_json_cdr` writes it. `is_login` tells an operator's login; `extensions`
/// maps extensions to logins.
pub fn parse(
    body: &[u8],
    is_login: impl Fn(&str) -> bool,
    extensions: &BTreeMap<String, String>,
) -> Result<Posted, String> {
    let v = json_of(body)?;
    let vars = v
        .get("variables")
        .and_then(Value::as_object)
        .ok_or_else(|| "通话记录缺少 variables".to_owned())?;
    let var = |name: &str| {
        vars.get(name)
            .and_then(Value::as_str)
            .map(decode)
            .filter(|s| !s.is_empty())
    };
    // `callflow` is a list in current FreeSWITCH, one object in older ones.
    let flow = match v.get("callflow") {
        Some(Value::Array(a)) => a.first().cloned(),
        Some(o @ Value::Object(_)) => Some(o.clone()),
        _ => None,
    };
    let profile = |name: &str| {
        flow.as_ref()
            .and_then(|f| f.get("caller_profile"))
            .and_then(|p| p.get(name))
            .and_then(Value::as_str)
            .map(decode)
            .filter(|s| !s.is_empty())
    };
    let direction_hint = v
        .pointer("/channel_data/direction")
        .and_then(Value::as_str)
        .map(str::to_owned);
    record_of(
        |name| {
            var(name).or_else(|| {
                (name == "direction")
                    .then(|| direction_hint.clone())
                    .flatten()
            })
        },
        profile,
        is_login,
        extensions,
    )
}

/// A call leg from its channel variables (`var`, values decoded) and its caller profile
/// (`profile`: `uuid`, `caller_id_number`, `destination_number`): what `mod_json_cdr` posts and
/// what an event-socket `CHANNEL_HANGUP_COMPLETE` carries alike.
pub fn record_of(
    var: impl Fn(&str) -> Option<String>,
    profile: impl Fn(&str) -> Option<String>,
    is_login: impl Fn(&str) -> bool,
    extensions: &BTreeMap<String, String>,
) -> Result<Posted, String> {
    if var("cc_side").as_deref() == Some("agent") {
        return Ok(Posted::Skipped("坐席一侧的通话记录，以来电一侧为准"));
    }
    let call_id = var("uuid")
        .or_else(|| profile("uuid"))
        .ok_or_else(|| "通话记录缺少通话标识（uuid）".to_owned())?;
    // Times: microseconds when given (`*_uepoch`), else seconds (`*_epoch`); 0 means never.
    let time = |name: &str| -> Option<i64> {
        let micro = var(&format!("{name}_uepoch")).and_then(|s| s.parse::<i64>().ok());
        let secs = var(&format!("{name}_epoch")).and_then(|s| s.parse::<i64>().ok());
        micro
            .map(|u| u / 1000)
            .or(secs.map(|s| s * 1000))
            .filter(|t| *t > 0)
    };
    let started_at = time("start").ok_or_else(|| "通话记录缺少开始时间".to_owned())?;
    let ended_at = time("end").ok_or_else(|| "通话记录缺少结束时间".to_owned())?;
    let answered_at = time("answer");
    let talk_secs = var("billsec")
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(0);
    let direction = match var("direction").as_deref() {
        Some("outbound") => CallDirection::Outbound,
        _ => CallDirection::Inbound,
    };
    let caller = profile("caller_id_number")
        .or_else(|| var("caller_id_number"))
        .or_else(|| var("sip_from_user"))
        .unwrap_or_default();
    let callee = profile("destination_number")
        .or_else(|| var("destination_number"))
        .unwrap_or_default();
    let operator = var("cc_agent")
        .and_then(|a| super::operator_named(&a, &is_login, extensions))
        .or_else(|| {
            // An operator's own call out, or a call put through to an extension.
            let ext = if direction == CallDirection::Outbound {
                &caller
            } else {
                &callee
            };
            extensions.get(ext).cloned()
        });
    let call = CallRecord {
        call_id,
        direction,
        caller,
        callee,
        operator,
        queue: var("cc_queue").map(|q| q.split('@').next().unwrap_or_default().to_owned()),
        started_at,
        answered_at,
        ended_at,
        talk_secs,
        hangup_cause: var("hangup_cause").unwrap_or_default(),
        recording: var("record_file")
            .or_else(|| var("cc_record_filename"))
            .or_else(|| var("recording_file")),
    };
    call.check()?;
    Ok(Posted::Call(Box::new(call)))
}

/// `POST /api/telephony/cdr/{secret}`.
pub async fn post(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    Path(secret): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match crate::inbound::body_or_refusal(body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let cfg = &state.config.telephony;
    if let Err(e) = crate::inbound::admit(&state, cfg.cdr_secret.as_deref(), &secret, peer) {
        return crate::http_common::error::ApiError::from(e).into_response();
    }
    let refdata = state.refdata();
    let posted = parse(
        &body,
        |login| refdata.user(login).is_some(),
        &cfg.extensions,
    );
    match posted {
        Ok(Posted::Call(call)) => {
            let id = call.call_id.clone();
            match state.store.record_call(*call, state.now()).await {
                Ok(true) => {
                    tracing::info!(call = %id, "call record kept");
                    axum::Json(json!({"kept": true})).into_response()
                }
                Ok(false) => axum::Json(json!({"kept": false, "reason": "重复的通话记录，已忽略"}))
                    .into_response(),
                Err(e) => ApiError::from(e).into_response(),
            }
        }
        Ok(Posted::Skipped(why)) => {
            axum::Json(json!({"kept": false, "reason": why})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "call record refused");
            ApiError::bad_request(e).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record shaped as `mod_json_cdr` writes one (values URL-encoded, as by default).
    pub fn sample(uuid: &str, agent: &str) -> Value {
        json!({
            "core-uuid": "2b5c1f0e-0000-4000-8000-000000000001",
            "switchname": "fs-12345",
            "channel_data": {"state": "CS_REPORTING", "direction": "inbound"},
            "variables": {
                "uuid": uuid,
                "direction": "inbound",
                "sip_from_user": "%2B8613812345678",
                "start_epoch": "1795485600",
                "start_uepoch": "1795485600123456",
                "answer_epoch": "1795485612",
                "answer_uepoch": "1795485612000000",
                "end_epoch": "1795485900",
                "end_uepoch": "1795485900500000",
                "duration": "300",
                "billsec": "288",
                "hangup_cause": "NORMAL_CLEARING",
                "cc_queue": "12345%40default",
                "cc_agent": agent,
                "cc_side": "member",
                "record_file": "%2Fvar%2Flib%2Ffreeswitch%2Frecordings%2F2026%2F11%2F24%2Fa1.wav"
            },
            "callflow": [{
                "caller_profile": {
                    "caller_id_number": "13812345678",
                    "destination_number": "12345",
                    "uuid": uuid
                }
            }]
        })
    }

    fn no_ext() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    #[test]
    fn a_json_cdr_becomes_a_call_in_either_encoding() {
        let raw = sample("a1", "op01%40default").to_string();
        let Posted::Call(c) = parse(raw.as_bytes(), |l| l == "op01", &no_ext()).unwrap() else {
            panic!("kept")
        };
        assert_eq!(c.call_id, "a1");
        assert_eq!(c.caller, "13812345678");
        assert_eq!(c.callee, "12345");
        assert_eq!(c.operator.as_deref(), Some("op01"));
        assert_eq!(c.queue.as_deref(), Some("12345"));
        assert_eq!(c.started_at, 1_795_485_600_123);
        assert_eq!(c.answered_at, Some(1_795_485_612_000));
        assert_eq!(c.talk_secs, 288);
        assert_eq!(
            c.recording.as_deref(),
            Some("/var/lib/freeswitch/recordings/2026/11/24/a1.wav")
        );
        let form = format!(
            "uuid=a1&cdr={}",
            percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC)
        );
        let again = parse(form.as_bytes(), |l| l == "op01", &no_ext()).unwrap();
        assert_eq!(again, Posted::Call(c));
    }

    #[test]
    fn agents_map_by_login_or_extension_and_agent_legs_are_not_kept() {
        let ext: BTreeMap<String, String> = [("8001".to_owned(), "op02".to_owned())].into();
        let raw = sample("a2", "8001").to_string();
        let Posted::Call(c) = parse(raw.as_bytes(), |_| false, &ext).unwrap() else {
            panic!("kept")
        };
        assert_eq!(c.operator.as_deref(), Some("op02"));
        let mut agent_leg = sample("a3", "op01");
        agent_leg["variables"]["cc_side"] = json!("agent");
        assert!(matches!(
            parse(agent_leg.to_string().as_bytes(), |_| true, &ext).unwrap(),
            Posted::Skipped(_)
        ));
        // Unanswered: no answer time, nothing talked.
        let mut missed = sample("a4", "");
        missed["variables"]["answer_epoch"] = json!("0");
        missed["variables"]["answer_uepoch"] = json!("0");
        missed["variables"]["billsec"] = json!("0");
        missed["variables"]["hangup_cause"] = json!("ORIGINATOR_CANCEL");
        let Posted::Call(c) = parse(missed.to_string().as_bytes(), |_| false, &ext).unwrap() else {
            panic!("kept")
        };
        assert_eq!((c.answered_at, c.talk_secs, c.operator), (None, 0, None));
    }

    #[test]
    fn malformed_records_are_refused_with_the_reason() {
        let ok = |b: &[u8]| parse(b, |_| true, &no_ext());
        assert!(ok(b"not json").unwrap_err().contains("JSON"));
        assert!(ok(b"{\"variables\": 5}").unwrap_err().contains("variables"));
        let mut no_id = sample("", "op01");
        no_id["callflow"][0]["caller_profile"]["uuid"] = json!("");
        assert!(
            ok(no_id.to_string().as_bytes())
                .unwrap_err()
                .contains("uuid")
        );
        let mut backwards = sample("b1", "op01");
        backwards["variables"]["end_uepoch"] = json!("1795485500000000");
        assert!(ok(backwards.to_string().as_bytes()).is_err());
        assert!(ok(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
    }
}
