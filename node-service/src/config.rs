//! A node's configuration file (TOML). `Default` is the development setup.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use hotline_operations::NodeRole;

/// A node's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Short code used in ticket numbers, e.g. `HUB`, `D01`, `T0101`.
    pub node_code: String,
    /// Hub or edge.
    pub role: NodeRole,
    /// The unit subtree this node serves (`C` for the hub).
    pub jurisdiction: String,
    /// Where the node keeps its database and indexes.
    pub data_dir: PathBuf,
    /// HTTP listen address.
    pub http_addr: SocketAddr,
    /// Directory of reference seed files (org.toml, categories.toml, users.toml, calendar.toml),
    /// loaded on first start when the store holds no reference data.
    pub seed_dir: Option<PathBuf>,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies in front of the node (e.g. the citizen portal's web server): for requests
    /// from these addresses the client is the last address of `X-Forwarded-For`.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often the hub records due urges and supervisions (seconds); 0 turns the sweep off.
    pub alert_sweep_secs: u64,
    /// Serve HTTPS with this certificate and key (from `hotline-ca web`); plain HTTP without.
    pub https: Option<HttpsConfig>,
    /// A signed-in session unused this long ends (minutes).
    pub session_idle_minutes: u32,
    /// A session ends this long after sign-in, however used (hours).
    pub session_max_hours: u32,
    /// Node-to-node sync (off by default).
    pub sync: crate::sync::SyncConfig,
    /// Notifications: who hears what, the mail server and the SMS gateway.
    pub notify: crate::notify::config::NotifyConfig,
    /// The centre's telephony: its call records.
    pub telephony: crate::telephony::config::TelephonyConfig,
    /// How long files linked to orders are kept.
    pub files: crate::files::RetentionConfig,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            node_code: "HUB".into(),
            role: NodeRole::Hub,
            jurisdiction: "C".into(),
            data_dir: PathBuf::from("data/hub"),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            seed_dir: Some(PathBuf::from("deploy/seed")),
            max_body_bytes: 256 * 1024,
            trusted_proxies: Vec::new(),
            alert_sweep_secs: 60,
            https: None,
            session_idle_minutes: 30,
            session_max_hours: 12,
            sync: crate::sync::SyncConfig::default(),
            notify: crate::notify::config::NotifyConfig::default(),
            telephony: crate::telephony::config::TelephonyConfig::default(),
            files: crate::files::RetentionConfig::default(),
        }
    }
}

/// The `[https]` section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsConfig {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

impl NodeConfig {
    /// The development defaults of a role: the hub on 8080, an edge node for district D01 on 8081.
    pub fn edge_or_hub_default(role: NodeRole) -> Self {
        match role {
            NodeRole::Hub => NodeConfig::default(),
            NodeRole::Edge => NodeConfig {
                node_code: "D01".into(),
                role: NodeRole::Edge,
                jurisdiction: "D01".into(),
                data_dir: PathBuf::from("data/d01"),
                http_addr: SocketAddr::from(([127, 0, 0, 1], 8081)),
                ..NodeConfig::default()
            },
        }
    }

    /// Reads a config file; missing keys take their defaults.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// What the operations need to know of this node.
    pub fn settings(&self) -> hotline_operations::Settings {
        hotline_operations::Settings {
            node_code: self.node_code.clone(),
            role: self.role,
            jurisdiction: self.jurisdiction.clone(),
            has_parent: self.sync.upstream.is_some(),
            sms_gateway: self.notify.sms.is_some(),
            files: self.files.clone(),
        }
    }

    /// The node's database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("replica.sqlite")
    }

    /// Whether a node code is well-formed: 1–8 ASCII capitals and digits (it goes into ticket numbers).
    pub fn valid_node_code(code: &str) -> bool {
        (1..=8).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    }
}
