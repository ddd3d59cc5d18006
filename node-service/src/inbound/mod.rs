//! The ways citizens' messages come in over HTTP: the SMS gateways' pushes, the WeChat official
//! account's callbacks, the mailbox's raw mail. What a message does once read is the core's
//! (`hotline_operations::inbound`, re-exported here).

pub mod config;
pub mod mail;
pub mod sms_push;
pub mod wechat;
pub use config::{InboundConfig, WechatConfig};

pub use hotline_operations::inbound::*;

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
