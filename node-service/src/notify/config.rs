//! The `[notify]` section: the mail server, the SMS gateway and the ways in.

use serde::{Deserialize, Serialize};

use super::{email, sms};

/// The node's notification settings (`[notify]` in its configuration).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// The mail server; without one, e-mails are given up with a clear reason.
    pub smtp: Option<email::SmtpConfig>,
    /// The SMS gateway; without one, texts are given up with a clear reason.
    pub sms: Option<sms::SmsConfig>,
    /// A PEM file of a private CA for the SMS gateway's certificate.
    pub sms_ca_cert: Option<std::path::PathBuf>,
    /// How long one delivery attempt may take, in seconds (0: 30).
    pub send_timeout_secs: u64,
    /// The ways in: citizens' texts, WeChat messages.
    pub inbound: crate::inbound::InboundConfig,
}
