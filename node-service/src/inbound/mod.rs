//! The ways citizens' messages come in over HTTP: the SMS gateways' pushes, the WeChat official
//! account's callbacks, the mailbox's raw mail. What a message does once read is the core's
//! (`hotline_operations::inbound`, re-exported here).

pub mod mail;
pub mod sms_push;
pub mod wechat;

pub use hotline_operations::inbound::*;

use serde::{Deserialize, Serialize};

/// A gateway's body, or the clear refusal of one too large or cut off.
pub fn body_or_refusal(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::body::Bytes, crate::http_common::error::ApiError> {
    body.map_err(|e| {
        crate::http_common::error::ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("请求内容过大或不完整（{}）", e.status()),
        )
    })
}

/// Settings of the ways in (`[notify.inbound]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// The secret path segment of the SMS gateways' reply pushes
    /// (`/api/inbound/sms/{aliyun|tencent}/{secret}`; the gateways sign nothing); none: off.
    pub sms_secret: Option<String>,
    /// The WeChat official account; none: off.
    pub wechat: Option<wechat::WechatConfig>,
    /// The secret path segment of the mailbox's deliveries (`/api/inbound/mail/{secret}`); none:
    /// off.
    pub mail_secret: Option<String>,
    /// Messages per sender per hour kept as drafts; more are kept but set aside.
    pub per_sender_per_hour: u32,
    /// Pushes per client address per minute; more are refused (429).
    pub per_peer_per_minute: u32,
}

impl Default for InboundConfig {
    fn default() -> Self {
        InboundConfig {
            sms_secret: None,
            wechat: None,
            mail_secret: None,
            per_sender_per_hour: 20,
            per_peer_per_minute: 600,
        }
    }
}
