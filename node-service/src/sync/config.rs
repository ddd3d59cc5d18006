//! The `[sync]` section of a node's configuration. Sync is off unless `listen` or `upstream` is set.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A child node this node serves (a district's towns): it must confirm a purge before this node
/// purges a document it still may hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildNode {
    /// The child's node code, as in its certificate.
    pub node: String,
    /// The root unit of its jurisdiction, as in its certificate.
    pub scope: String,
}

/// How a node replicates with its neighbours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// UDP address to accept QUIC links from downstream nodes (hub, districts). None: no listener.
    pub listen: Option<SocketAddr>,
    /// Address of the upstream node to dial (districts, towns). None: no parent.
    pub upstream: Option<SocketAddr>,
    /// The node code the upstream node's certificate must carry.
    pub upstream_node: Option<String>,
    /// This node's certificate chain (PEM).
    pub cert: PathBuf,
    /// This node's private key (PEM).
    pub key: PathBuf,
    /// The project CA certificate(s) to trust (PEM bundle).
    pub ca: PathBuf,
    /// Certificate revocation lists (PEM); optional.
    pub crl: Option<PathBuf>,
    /// Deny-list of certificate serials, one per line; optional. Re-read while the node runs
    /// (`hotline-ca revoke` rewrites it): a newly listed serial's live links are dropped.
    pub deny: Option<PathBuf>,
    /// How often (ms) the deny-list file is checked for changes.
    pub deny_poll_ms: u64,
    /// The child nodes this node serves.
    pub children: Vec<ChildNode>,
    /// Timer tick of each link session, in milliseconds.
    pub tick_ms: u64,
    /// A request unanswered this long (ms) is sent again.
    pub retry_ms: u64,
    /// How often (ms) an idle link compares digests.
    pub digest_ms: u64,
    /// Feed entries asked per page (at most 5,000): 2,000 pulled a fresh edge ~17 % faster than 500.
    pub page: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            listen: None,
            upstream: None,
            upstream_node: None,
            cert: PathBuf::from("node.crt"),
            key: PathBuf::from("node.key"),
            ca: PathBuf::from("ca.crt"),
            crl: None,
            deny: None,
            deny_poll_ms: 2_000,
            children: Vec::new(),
            tick_ms: 250,
            retry_ms: 10_000,
            digest_ms: 600_000,
            page: 2_000,
        }
    }
}

impl SyncConfig {
    /// Whether this node syncs at all.
    pub fn enabled(&self) -> bool {
        self.listen.is_some() || self.upstream.is_some()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::NodeConfig;

    #[test]
    fn parses_the_sync_section_and_defaults_to_off() {
        assert!(!NodeConfig::default().sync.enabled());
        let cfg = NodeConfig::from_toml(
            r#"
            node_code = "D01"
            role = "edge"
            jurisdiction = "D01"
            [sync]
            listen = "0.0.0.0:7401"
            upstream = "10.0.0.1:7400"
            upstream_node = "HUB"
            cert = "ca/nodes/D01.pem"
            key = "ca/nodes/D01.key"
            ca = "ca/ca.pem"
            crl = "ca/crl.pem"
            deny = "ca/deny.txt"
            [[sync.children]]
            node = "T0101"
            scope = "D01-T01"
            "#,
        )
        .unwrap();
        assert!(cfg.sync.enabled());
        assert_eq!(cfg.sync.upstream_node.as_deref(), Some("HUB"));
        assert_eq!(cfg.sync.children[0].scope, "D01-T01");
        assert_eq!(cfg.sync.page, 2_000);
        assert!(
            NodeConfig::from_toml("[sync]\nlisten_on = \"x\"").is_err(),
            "unknown keys are refused"
        );
    }
}
