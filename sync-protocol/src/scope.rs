//! Jurisdiction checks: which documents a node may hold, and how two linked nodes relate.

use std::sync::Arc;

/// `within(unit, ancestor)`: whether `unit` lies in the subtree rooted at `ancestor` (a unit lies
/// in its own subtree). `hotline_model::org::OrgTree::is_within` fits.
pub type Within = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// A node as the sync sees it: its code and the root of the unit subtree it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScope {
    pub node_code: String,
    pub scope_unit: String,
}

/// How the peer of a link relates to this node, from the two certificate scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRole {
    /// The peer's subtree strictly contains ours (the hub for a district).
    Parent,
    /// Ours strictly contains the peer's (a town for its district).
    Child,
    /// Neither (same subtree, or disjoint): replicate only what both may hold; no purges.
    Peer,
}

impl PeerRole {
    pub fn of(me: &str, peer: &str, within: &Within) -> Self {
        if me == peer {
            Self::Peer
        } else if within(me, peer) {
            Self::Parent
        } else if within(peer, me) {
            Self::Child
        } else {
            Self::Peer
        }
    }
}

/// Whether a document with `units` belongs in the subtree rooted at `root`: any of its units lies
/// there, or it has none (a reference document every node receives).
pub fn in_scope(units: &[String], root: &str, within: &Within) -> bool {
    units.is_empty() || units.iter().any(|u| within(u, root))
}

/// Whether any of `units` lies in the subtree rooted at `root` (no exception for empty).
pub fn touches(units: &[String], root: &str, within: &Within) -> bool {
    units.iter().any(|u| within(u, root))
}

/// A `Within` for dotted unit codes (`C.D1.T2` lies within `C.D1`), for tests and the simulation.
pub fn dotted_within() -> Within {
    Arc::new(|unit: &str, root: &str| {
        unit == root
            || (unit.len() > root.len()
                && unit.starts_with(root)
                && unit.as_bytes()[root.len()] == b'.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scope() {
        let w = dotted_within();
        assert_eq!(PeerRole::of("C.D1", "C", &w), PeerRole::Parent);
        assert_eq!(PeerRole::of("C", "C.D1", &w), PeerRole::Child);
        assert_eq!(PeerRole::of("C.D1", "C.D2", &w), PeerRole::Peer);
        assert_eq!(PeerRole::of("C.D1", "C.D10", &w), PeerRole::Peer);
        assert!(in_scope(&["C.D1.T1".into()], "C.D1", &w));
        assert!(!in_scope(&["C.D2.T1".into()], "C.D1", &w));
        assert!(in_scope(&[], "C.D1", &w));
        assert!(!touches(&[], "C.D1", &w));
    }
}
