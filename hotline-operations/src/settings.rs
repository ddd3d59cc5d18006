//! What the operations need to know of the node they run on: who it is and what it serves. The
//! node's configuration file is read by the node (the composition root), which hands these over.

use serde::{Deserialize, Serialize};

/// Whether the node is the city hub or an edge (district or town) node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// The centre's hub: holds every ticket.
    Hub,
    /// A district or town node: holds its jurisdiction's tickets.
    Edge,
}

/// The node as the operations see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Short code used in ticket numbers, e.g. `HUB`, `D01`, `T0101`.
    pub node_code: String,
    /// Hub or edge.
    pub role: NodeRole,
    /// The unit subtree this node serves (`C` for the hub).
    pub jurisdiction: String,
    /// The node has a parent to sync with (files named here go up to it).
    pub has_parent: bool,
    /// An SMS gateway is configured (satisfaction surveys can be texted).
    pub sms_gateway: bool,
    /// How long files linked to orders are kept.
    pub files: crate::files::RetentionConfig,
}

impl Settings {
    /// Whether this node is the centre's hub.
    pub fn is_hub(&self) -> bool {
        self.role == NodeRole::Hub
    }
}
