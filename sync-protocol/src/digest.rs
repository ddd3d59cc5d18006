//! The cheap integrity digest two linked nodes compare to detect drift: SHA-256 over the sorted
//! `(doc id, sorted heads)` of the documents they share.

use crate::message::Hash;
use sha2::{Digest as _, Sha256};

/// Accumulates documents in ascending doc id order.
#[derive(Default)]
pub struct ScopeDigest {
    hasher: Sha256,
    count: u64,
}

impl ScopeDigest {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document; call in ascending `doc_id` order.
    pub fn add(&mut self, doc_id: &str, heads: &[Hash]) {
        let mut sorted: Vec<&Hash> = heads.iter().collect();
        sorted.sort_unstable();
        self.hasher.update((doc_id.len() as u64).to_be_bytes());
        self.hasher.update(doc_id.as_bytes());
        self.hasher.update((sorted.len() as u64).to_be_bytes());
        for h in sorted {
            self.hasher.update(h);
        }
        self.count += 1;
    }

    pub fn finish(self) -> (Hash, u64) {
        (self.hasher.finalize().into(), self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_order_does_not_matter_but_content_does() {
        let mut a = ScopeDigest::new();
        a.add("t1", &[[1; 32], [2; 32]]);
        let mut b = ScopeDigest::new();
        b.add("t1", &[[2; 32], [1; 32]]);
        assert_eq!(a.finish(), b.finish());
        let mut c = ScopeDigest::new();
        c.add("t1", &[[2; 32]]);
        let mut d = ScopeDigest::new();
        d.add("t1", &[[2; 32]]);
        d.add("t2", &[]);
        assert_ne!(c.finish().0, d.finish().0);
    }
}
