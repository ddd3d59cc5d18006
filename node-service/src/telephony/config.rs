//! The `[telephony]` section: call-record posts, extensions, the switch's event socket, the
//! recordings' directory and operators' softphones.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The node's telephony settings (`[telephony]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelephonyConfig {
    /// The secret path segment of the call-record posts (`/api/telephony/cdr/{secret}`); none:
    /// off.
    pub cdr_secret: Option<String>,
    /// Operators by extension (`"8001" = "op01"`), for call records whose agent name is not a
    /// login.
    pub extensions: BTreeMap<String, String>,
    /// FreeSWITCH's event socket, followed when set.
    pub esl: Option<EslConfig>,
    /// Where the switch writes its recordings (shared storage), read when a recording stops.
    pub recordings_dir: Option<PathBuf>,
    /// Operators' softphones followed directly (`[[telephony.softphones]]`).
    pub softphones: Vec<SoftphoneConfig>,
}

impl TelephonyConfig {
    /// The operator at an extension, or the login itself when the name is one.
    pub fn operator_of(&self, name: &str, is_login: impl Fn(&str) -> bool) -> Option<String> {
        operator_named(name, is_login, &self.extensions)
    }

    /// The extension of an operator or supervisor, if they have one.
    pub fn extension_of(&self, login: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(_, l)| l.as_str() == login)
            .map(|(e, _)| e.as_str())
    }
}

/// The `[telephony.esl]` section: FreeSWITCH's event socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EslConfig {
    /// Host of the switch.
    pub host: String,
    /// Its event-socket port (8021).
    #[serde(default = "default_esl_port")]
    pub port: u16,
    /// The event socket's password.
    pub password: String,
    /// First delay before reconnecting (ms); doubles up to 30 s.
    #[serde(default = "default_reconnect_ms")]
    pub reconnect_ms: u64,
}

/// One softphone to follow (`[[telephony.softphones]]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftphoneConfig {
    /// The operator who answers on it.
    pub operator: String,
    /// Its control port (`ctrl_tcp_listen`), `host:port`.
    pub control: String,
    /// Where it writes its call dumps (`snd_path`).
    pub dumps: PathBuf,
}

fn default_esl_port() -> u16 {
    8021
}

fn default_reconnect_ms() -> u64 {
    500
}

/// The operator a telephony names (`op01`, `op01@default`, or an extension such as `8001`): the
/// login itself when the name is one, else the operator at that extension.
pub fn operator_named(
    name: &str,
    is_login: impl Fn(&str) -> bool,
    extensions: &BTreeMap<String, String>,
) -> Option<String> {
    let bare = name.split('@').next().unwrap_or_default();
    if is_login(bare) {
        Some(bare.to_owned())
    } else {
        extensions.get(bare).cloned()
    }
}
