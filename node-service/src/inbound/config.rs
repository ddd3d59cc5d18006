//! The `[notify.inbound]` section: the secret push addresses, the WeChat official account and the
//! limits per sender and per client address.

use serde::{Deserialize, Serialize};

/// Settings of the ways in (`[notify.inbound]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// The secret path segment of the SMS gateways' reply pushes
    /// (`/api/inbound/sms/{aliyun|tencent}/{secret}`; the gateways sign nothing); none: off.
    pub sms_secret: Option<String>,
    /// The WeChat official account; none: off.
    pub wechat: Option<WechatConfig>,
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

/// The official account's settings (`[notify.inbound.wechat]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WechatConfig {
    /// The token set in the account's server configuration.
    pub token: String,
    /// The account's AppID.
    pub appid: String,
    /// The EncodingAESKey (43 characters) for safe mode; none: plain mode only.
    pub encoding_aes_key: Option<String>,
    /// The AppSecret, for sending customer-service messages back.
    pub secret: Option<String>,
    /// The API's address (default `https://api.weixin.qq.com`).
    pub api_base: Option<String>,
}
