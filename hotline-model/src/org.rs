//! The organisation tree (三级平台): the centre, member units and their sub-units, as data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What kind of unit a node in the tree is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// The city's 12345 centre (tier 1).
    Centre,
    /// A city bureau (tier 2).
    Bureau,
    /// A partner enterprise: utilities, repair services (tier 2).
    Enterprise,
    /// A district government (tier 2).
    District,
    /// A district's own bureau (tier 3).
    DistrictBureau,
    /// A town or street office (tier 3 under a district).
    Town,
    /// A community or village under a town.
    Community,
}

/// One unit of the organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unit {
    /// Stable code, e.g. `D01-T01`.
    pub code: String,
    /// Chinese name, e.g. 东湖街道.
    pub name: String,
    /// What kind of unit this is.
    pub kind: UnitKind,
    /// The parent unit's code; `None` only for the root (the centre).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Its service commitment (服务承诺): what it handles for citizens, in plain words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub duties: String,
    /// How citizens reach it (service phone, address, hours).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact: String,
    /// Its duty contacts for urgent news (assignments, urges, supervisions): mobile numbers and
    /// e-mail addresses. Internal: never shown to citizens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duty: Vec<String>,
}

/// Why a list of units does not form a tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OrgError {
    /// Two units share a code.
    #[error("unit code {0} appears twice")]
    DuplicateCode(String),
    /// A unit names a parent that does not exist.
    #[error("unit {unit} names unknown parent {parent}")]
    UnknownParent {
        /// The unit with the dangling reference.
        unit: String,
        /// The missing parent code.
        parent: String,
    },
    /// There is not exactly one root.
    #[error("the tree must have exactly one root, found {0}")]
    RootCount(usize),
    /// Following parents from this unit never reaches the root.
    #[error("unit {0} is part of a cycle")]
    Cycle(String),
}

/// A validated organisation tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgTree {
    units: BTreeMap<String, Unit>,
    root: String,
}

impl OrgTree {
    /// Builds a tree from a flat list, checking codes are unique, parents exist and there is no cycle.
    pub fn new(list: Vec<Unit>) -> Result<Self, OrgError> {
        let mut units = BTreeMap::new();
        for unit in list {
            if let Some(dup) = units.insert(unit.code.clone(), unit) {
                return Err(OrgError::DuplicateCode(dup.code));
            }
        }
        let roots: Vec<&Unit> = units.values().filter(|u| u.parent.is_none()).collect();
        if roots.len() != 1 {
            return Err(OrgError::RootCount(roots.len()));
        }
        let root = roots[0].code.clone();
        for unit in units.values() {
            if let Some(parent) = &unit.parent
                && !units.contains_key(parent)
            {
                return Err(OrgError::UnknownParent {
                    unit: unit.code.clone(),
                    parent: parent.clone(),
                });
            }
        }
        let tree = OrgTree { units, root };
        for code in tree.units.keys() {
            if tree.ancestors(code).count() > tree.units.len() {
                return Err(OrgError::Cycle(code.clone()));
            }
        }
        Ok(tree)
    }

    /// The root unit's code (the centre).
    pub fn root(&self) -> &str {
        &self.root
    }

    /// A unit by code.
    pub fn get(&self, code: &str) -> Option<&Unit> {
        self.units.get(code)
    }

    /// Whether a unit code exists.
    pub fn contains(&self, code: &str) -> bool {
        self.units.contains_key(code)
    }

    /// All units, ordered by code.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// The unit itself, then its parent, up to the root. Bounded, so a cycle cannot loop forever.
    pub fn ancestors<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a Unit> + 'a {
        let mut next = self.units.get(code);
        let mut left = self.units.len() + 1;
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let current = next?;
            next = current.parent.as_deref().and_then(|p| self.units.get(p));
            Some(current)
        })
    }

    /// Whether `unit` lies in the subtree rooted at `ancestor` (a unit lies within itself).
    pub fn is_within(&self, unit: &str, ancestor: &str) -> bool {
        self.ancestors(unit).any(|u| u.code == ancestor)
    }

    /// Whether `unit` is a strict descendant of `ancestor`.
    pub fn is_below(&self, unit: &str, ancestor: &str) -> bool {
        unit != ancestor && self.is_within(unit, ancestor)
    }

    /// The direct children of a unit.
    pub fn children<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Unit> + 'a {
        self.units
            .values()
            .filter(move |u| u.parent.as_deref() == Some(code))
    }

    /// Every unit in the subtree rooted at `root`, the root included.
    pub fn subtree<'a>(&'a self, root: &'a str) -> impl Iterator<Item = &'a Unit> + 'a {
        self.units
            .values()
            .filter(move |u| self.is_within(&u.code, root))
    }

    /// The full path of names from the root, e.g. 临江市12345便民服务中心 / 东湖区 / 东湖街道.
    pub fn path_names(&self, code: &str) -> Vec<&str> {
        let mut names: Vec<&str> = self.ancestors(code).map(|u| u.name.as_str()).collect();
        names.reverse();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, parent: Option<&str>, kind: UnitKind) -> Unit {
        Unit {
            code: code.into(),
            name: code.into(),
            kind,
            parent: parent.map(Into::into),
            duties: String::new(),
            contact: String::new(),
            duty: Vec::new(),
        }
    }

    fn small() -> OrgTree {
        OrgTree::new(vec![
            unit("C", None, UnitKind::Centre),
            unit("D01", Some("C"), UnitKind::District),
            unit("D01-T01", Some("D01"), UnitKind::Town),
            unit("D02", Some("C"), UnitKind::District),
        ])
        .expect("valid tree")
    }

    #[test]
    fn subtree_membership() {
        let t = small();
        assert!(t.is_within("D01-T01", "D01"));
        assert!(t.is_within("D01", "D01"));
        assert!(!t.is_below("D01", "D01"));
        assert!(!t.is_within("D02", "D01"));
        assert!(t.is_within("D02", "C"));
        assert!(!t.is_within("nope", "C"));
        let codes: Vec<_> = t.subtree("D01").map(|u| u.code.as_str()).collect();
        assert_eq!(codes, ["D01", "D01-T01"]);
        assert_eq!(t.path_names("D01-T01"), ["C", "D01", "D01-T01"]);
    }

    #[test]
    fn invalid_trees_are_refused() {
        let dup = OrgTree::new(vec![
            unit("C", None, UnitKind::Centre),
            unit("C", None, UnitKind::Centre),
        ]);
        assert_eq!(dup, Err(OrgError::DuplicateCode("C".into())));
        let dangling = OrgTree::new(vec![
            unit("C", None, UnitKind::Centre),
            unit("X", Some("Y"), UnitKind::Town),
        ]);
        assert!(matches!(dangling, Err(OrgError::UnknownParent { .. })));
        let cycle = OrgTree::new(vec![
            unit("C", None, UnitKind::Centre),
            unit("A", Some("B"), UnitKind::Town),
            unit("B", Some("A"), UnitKind::Town),
        ]);
        assert!(matches!(cycle, Err(OrgError::Cycle(_))));
        assert_eq!(OrgTree::new(vec![]), Err(OrgError::RootCount(0)));
    }
}
