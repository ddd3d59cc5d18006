//! E-mails to the hotline's mailbox: `POST /api/inbound/mail/{secret}` with the raw message
//! (RFC 5322) as the mail server delivers it — a Postfix `pipe` transport or a Sieve/procmail
//! rule running `curl --data-binary @- …` — kept as an intake draft from the sender's address.
//!
//! The secret in the path is compared in constant time (a wrong one is answered 404); a message is
//! kept once per `Message-ID` (a hash of the message when it has none); automatic mail (bounces,
//! vacation replies: `Auto-Submitted`, a `MAILER-DAEMON` sender) is acknowledged and dropped, so
//! the hotline never answers a robot. Attachments are not kept with the draft; the draft says
//! how many there were, for the operator to ask for them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mail_parser::{MessageParser, MimeHeaders};
use replica_store::inbound::Received;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::accept;
use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Largest message accepted.
pub const MAX_MAIL: usize = 4 * 1024 * 1024;
/// Longest text kept (characters); the rest is cut with a note.
const MAX_TEXT: usize = 5_000;

/// What a message says, or `None` for automatic mail; why it cannot be read otherwise.
pub fn parse(raw: &[u8], now: i64) -> Result<Option<Received>, String> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| "无法解析邮件".to_owned())?;
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .ok_or_else(|| "邮件缺少发件人地址".to_owned())?;
    if from.len() > 254 || !from.contains('@') || from.chars().any(char::is_whitespace) {
        return Err(format!("发件人地址无效：{from}"));
    }
    let auto = msg
        .header_raw("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        || from.starts_with("mailer-daemon@")
        || from.starts_with("postmaster@");
    if auto {
        return Ok(None);
    }
    let subject: String = msg
        .subject()
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect();
    let body = msg
        .body_text(0)
        .or_else(|| msg.body_html(0))
        .map(|b| b.trim().to_owned())
        .unwrap_or_default();
    let mut content: String = body.chars().take(MAX_TEXT).collect();
    if body.chars().count() > MAX_TEXT {
        content.push_str("\n（邮件正文过长，以下内容未保存）");
    }
    let attachments = msg
        .attachments()
        .filter(|a| a.attachment_name().is_some() || !a.is_text())
        .count();
    if attachments > 0 {
        content.push_str(&format!(
            "\n（邮件带有附件 {attachments} 个，未随来信保存，如需请联系来信人补充）"
        ));
    }
    if content.trim().is_empty() && subject.is_empty() {
        return Err("邮件没有主题也没有正文".into());
    }
    let id = match msg.message_id() {
        Some(id) if !id.trim().is_empty() && id.len() <= 250 => id.trim().to_owned(),
        _ => {
            let d = Sha256::digest(raw);
            d[..16].iter().map(|b| format!("{b:02x}")).collect()
        }
    };
    Ok(Some(Received {
        channel: "email".into(),
        external_id: id,
        sender: from,
        subject,
        content,
        received_at: now,
        extend: None,
    }))
}

/// `POST /api/inbound/mail/{secret}`.
pub async fn deliver(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    Path(secret): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match super::body_or_refusal(body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let configured = state.config.notify.inbound.mail_secret.as_deref();
    if let Err(e) = super::admit(&state, configured, &secret, peer) {
        return crate::http_common::error::ApiError::from(e).into_response();
    }
    let now = state.now();
    if body.len() > MAX_MAIL {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "邮件过大（超过 4 MiB），请发件人精简附件后重发",
        )
        .into_response();
    }
    let msg = match parse(&body, now) {
        Ok(Some(m)) => m,
        Ok(None) => {
            tracing::info!("automatic mail dropped");
            return axum::Json(json!({"kept": false, "reason": "自动回复邮件，已忽略"}))
                .into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e, "malformed mail refused");
            return ApiError::bad_request(e).into_response();
        }
    };
    match accept(&state, msg).await {
        Ok(receipt) => {
            tracing::info!(?receipt, "citizen's e-mail received");
            axum::Json(json!({"kept": true})).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn a_citizens_mail_is_read_and_robots_are_not() {
        let m = mail(
            "From: =?UTF-8?B?5byg5LiJ?= <Zhang.San@Example.com>\r\nSubject: =?UTF-8?B?6Lev54Gv5Z2P5LqG?=\r\nMessage-ID: <a1@example.com>",
            "春晖路的路灯坏了。",
        );
        let r = parse(&m, 5).expect("ok").expect("kept");
        assert_eq!(r.sender, "zhang.san@example.com");
        assert_eq!(r.subject, "路灯坏了");
        assert_eq!(r.content, "春晖路的路灯坏了。");
        assert_eq!(r.external_id, "a1@example.com");
        let bounce = mail(
            "From: MAILER-DAEMON@mail.example.com\r\nSubject: Undelivered",
            "x",
        );
        assert_eq!(parse(&bounce, 0), Ok(None));
        let vacation = mail(
            "From: a@example.com\r\nAuto-Submitted: auto-replied\r\nSubject: 休假",
            "x",
        );
        assert_eq!(parse(&vacation, 0), Ok(None));
        assert!(parse(&mail("Subject: 无发件人", "x"), 0).is_err());
        assert!(parse(&mail("From: a@example.com", ""), 0).is_err());
        let no_id = mail("From: a@example.com\r\nSubject: s", "正文");
        assert_eq!(
            parse(&no_id, 0).unwrap().unwrap().external_id,
            parse(&no_id, 9).unwrap().unwrap().external_id,
            "the same message without a Message-ID is the same draft"
        );
    }
}
