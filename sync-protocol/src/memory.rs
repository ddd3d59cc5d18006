//! An in-memory replica implementing [`SyncStore`]: automerge documents in a `BTreeMap` plus a
//! change feed. The simulation and the tests run the session against it; it is also the reference
//! for what the SQLite store must do. A document's units are the keys of its root map `units`.

use crate::digest::ScopeDigest;
use crate::message::Hash;
use crate::store::{
    ApplyBatch, ApplyOutcome, Authorise, Cursor, DocMeta, DocPresence, FeedEntry, FeedRead,
    SyncStore,
};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ChangeHash, ObjType, ROOT, ReadDoc};
use std::collections::{BTreeMap, BTreeSet};

/// Root key holding the map of units a document belongs to.
pub const UNITS_KEY: &str = "units";

/// Errors of the in-memory replica (local edits only; the sync operations cannot fail).
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("document {0} is not held")]
    NotHeld(String),
    #[error("document {0} already exists")]
    Exists(String),
}

#[derive(Clone)]
struct MemDoc {
    doc: Automerge,
    seq: u64,
    ever: BTreeSet<String>,
    /// Some(children still to acknowledge) while leaving.
    leaving: Option<BTreeSet<String>>,
    /// Every change with the feed seq at which it arrived here.
    arrivals: Vec<(u64, Vec<u8>)>,
}

#[derive(Clone)]
struct Tomb {
    seq: u64,
    ever: Vec<String>,
    heads: Vec<Hash>,
}

/// The in-memory replica of one node.
#[derive(Clone)]
pub struct MemoryReplica {
    actor: ActorId,
    epoch: u64,
    last_seq: u64,
    docs: BTreeMap<String, MemDoc>,
    tombs: BTreeMap<String, Tomb>,
    feed: BTreeMap<u64, String>,
    cursors: BTreeMap<String, Cursor>,
}

/// The units of a document (keys of its root `units` map), sorted.
pub fn doc_units(doc: &Automerge) -> Vec<String> {
    match doc.get(ROOT, UNITS_KEY) {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => doc.keys(id).collect(),
        _ => Vec::new(),
    }
}

fn heads_of(doc: &Automerge) -> Vec<Hash> {
    doc.get_heads().into_iter().map(|h| h.0).collect()
}

impl MemoryReplica {
    /// A fresh replica whose local edits use `actor` and whose feed is named `epoch`.
    pub fn new(actor: &[u8], epoch: u64) -> Self {
        Self {
            actor: ActorId::from(actor),
            epoch,
            last_seq: 0,
            docs: BTreeMap::new(),
            tombs: BTreeMap::new(),
            feed: BTreeMap::new(),
            cursors: BTreeMap::new(),
        }
    }

    /// Simulates a restore from an old backup: this state, with a new actor id and a new feed epoch.
    pub fn restored(&self, actor: &[u8], epoch: u64) -> Self {
        let mut r = self.clone();
        r.actor = ActorId::from(actor);
        r.epoch = epoch;
        r
    }

    /// Last sequence number of the feed.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    fn touch(&mut self, doc_id: &str) -> u64 {
        self.last_seq += 1;
        let seq = self.last_seq;
        if let Some(d) = self.docs.get_mut(doc_id) {
            self.feed.remove(&d.seq);
            d.seq = seq;
        }
        if let Some(t) = self.tombs.get_mut(doc_id) {
            self.feed.remove(&t.seq);
            t.seq = seq;
        }
        self.feed.insert(seq, doc_id.to_owned());
        seq
    }

    fn meta(d: &MemDoc) -> DocMeta {
        DocMeta {
            heads: heads_of(&d.doc),
            scope_units: doc_units(&d.doc),
            ever_units: d.ever.iter().cloned().collect(),
            leaving: d.leaving.is_some(),
            parents_only: false,
        }
    }

    /// Creates a document with `units` and one field; returns its change hash.
    pub fn create(
        &mut self,
        doc_id: &str,
        units: &[&str],
        field: &str,
        value: &str,
    ) -> Result<Hash, MemoryError> {
        if self.docs.contains_key(doc_id) {
            return Err(MemoryError::Exists(doc_id.to_owned()));
        }
        let mut doc = Automerge::new().with_actor(self.actor.clone());
        let mut tx = doc.transaction();
        let m = tx.put_object(ROOT, UNITS_KEY, ObjType::Map)?;
        for u in units {
            tx.put(&m, *u, true)?;
        }
        tx.put(ROOT, field, value)?;
        let (hash, _) = tx.commit();
        let ever = units.iter().map(|u| (*u).to_owned()).collect();
        self.tombs.remove(doc_id);
        let first: Vec<Vec<u8>> = doc
            .get_changes(&[])
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        self.docs.insert(
            doc_id.to_owned(),
            MemDoc {
                doc,
                seq: 0,
                ever,
                leaving: None,
                arrivals: Vec::new(),
            },
        );
        let seq = self.touch(doc_id);
        if let Some(d) = self.docs.get_mut(doc_id) {
            d.arrivals.extend(first.into_iter().map(|c| (seq, c)));
        }
        hash.map(|h| h.0)
            .ok_or_else(|| MemoryError::NotHeld(doc_id.to_owned()))
    }

    fn edit_with(
        &mut self,
        doc_id: &str,
        f: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
        ) -> Result<(), automerge::AutomergeError>,
    ) -> Result<Option<Hash>, MemoryError> {
        let actor = self.actor.clone();
        let d = self
            .docs
            .get_mut(doc_id)
            .ok_or_else(|| MemoryError::NotHeld(doc_id.to_owned()))?;
        d.doc.set_actor(actor);
        let old_heads = d.doc.get_heads();
        let mut tx = d.doc.transaction();
        f(&mut tx)?;
        let (hash, _) = tx.commit();
        let Some(hash) = hash else { return Ok(None) };
        for u in doc_units(&d.doc) {
            d.ever.insert(u);
        }
        let new: Vec<Vec<u8>> = d
            .doc
            .get_changes(&old_heads)
            .into_iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let seq = self.touch(doc_id);
        if let Some(d) = self.docs.get_mut(doc_id) {
            d.arrivals.extend(new.into_iter().map(|c| (seq, c)));
        }
        Ok(Some(hash.0))
    }

    /// Sets one field (a local edit); returns the change hash (None: nothing changed).
    pub fn edit(
        &mut self,
        doc_id: &str,
        field: &str,
        value: &str,
    ) -> Result<Option<Hash>, MemoryError> {
        self.edit_with(doc_id, |tx| tx.put(ROOT, field, value).map(|_| ()))
    }

    /// Replaces the document's units (dispatching a ticket elsewhere); returns the change hash
    /// (None: nothing changed).
    pub fn set_units(&mut self, doc_id: &str, units: &[&str]) -> Result<Option<Hash>, MemoryError> {
        self.edit_with(doc_id, |tx| {
            let m = match tx.get(ROOT, UNITS_KEY)? {
                Some((automerge::Value::Object(ObjType::Map), id)) => id,
                _ => tx.put_object(ROOT, UNITS_KEY, ObjType::Map)?,
            };
            let old: Vec<String> = tx.keys(&m).collect();
            for k in old {
                if !units.contains(&k.as_str()) {
                    tx.delete(&m, k.as_str())?;
                }
            }
            for u in units {
                tx.put(&m, *u, true)?;
            }
            Ok(())
        })
    }

    /// The document, if held.
    pub fn doc(&self, doc_id: &str) -> Option<&Automerge> {
        self.docs.get(doc_id).map(|d| &d.doc)
    }

    /// Ids of held documents (live or leaving).
    pub fn doc_ids(&self) -> impl Iterator<Item = &str> {
        self.docs.keys().map(String::as_str)
    }

    /// Whether the document is held and leaving.
    pub fn is_leaving(&self, doc_id: &str) -> bool {
        self.docs.get(doc_id).is_some_and(|d| d.leaving.is_some())
    }

    /// The children a leaving document still waits for (None: not leaving).
    pub fn leaving_waits_for(&self, doc_id: &str) -> Option<Vec<String>> {
        self.docs
            .get(doc_id)
            .and_then(|d| d.leaving.as_ref())
            .map(|w| w.iter().cloned().collect())
    }

    /// Whether the held document contains the change `hash`.
    pub fn has_change(&self, doc_id: &str, hash: &Hash) -> bool {
        self.docs
            .get(doc_id)
            .is_some_and(|d| d.doc.get_change_meta_by_hash(&ChangeHash(*hash)).is_some())
    }
}

impl SyncStore for MemoryReplica {
    type Error = std::convert::Infallible;

    fn feed_epoch(&mut self) -> Result<u64, Self::Error> {
        Ok(self.epoch)
    }

    fn feed_head(&mut self) -> Result<u64, Self::Error> {
        Ok(self.last_seq)
    }

    fn read_feed(&mut self, since: u64, limit: u32) -> Result<FeedRead, Self::Error> {
        let mut entries = Vec::new();
        let mut scanned_to = since;
        for (&seq, doc_id) in self
            .feed
            .range(since.saturating_add(1)..)
            .take(limit as usize)
        {
            scanned_to = seq;
            if let Some(d) = self.docs.get(doc_id) {
                let m = Self::meta(d);
                entries.push(FeedEntry {
                    seq,
                    doc_id: doc_id.clone(),
                    heads: m.heads,
                    scope_units: m.scope_units,
                    ever_units: m.ever_units,
                    presence: if m.leaving {
                        DocPresence::Leaving
                    } else {
                        DocPresence::Live
                    },
                });
            } else if let Some(t) = self.tombs.get(doc_id) {
                entries.push(FeedEntry {
                    seq,
                    doc_id: doc_id.clone(),
                    heads: t.heads.clone(),
                    scope_units: Vec::new(),
                    ever_units: t.ever.clone(),
                    presence: DocPresence::Removed,
                });
            }
        }
        let more = self
            .feed
            .range(scanned_to.saturating_add(1)..)
            .next()
            .is_some();
        Ok(FeedRead {
            entries,
            scanned_to,
            more,
        })
    }

    fn doc_meta(&mut self, doc_id: &str) -> Result<Option<DocMeta>, Self::Error> {
        Ok(self.docs.get(doc_id).map(Self::meta))
    }

    fn has_all(&mut self, doc_id: &str, heads: &[Hash]) -> Result<bool, Self::Error> {
        Ok(match self.docs.get(doc_id) {
            Some(d) => heads
                .iter()
                .all(|h| d.doc.get_change_meta_by_hash(&ChangeHash(*h)).is_some()),
            None => heads.is_empty() && self.tombs.contains_key(doc_id),
        })
    }

    fn read_changes(
        &mut self,
        doc_id: &str,
        have_heads: &[Hash],
    ) -> Result<Vec<Vec<u8>>, Self::Error> {
        Ok(self
            .docs
            .get(doc_id)
            .map(|d| crate::store::changes_missing(&d.doc, have_heads))
            .unwrap_or_default())
    }

    fn changes_after_seq(
        &mut self,
        doc_id: &str,
        seq: u64,
    ) -> Result<Option<Vec<Vec<u8>>>, Self::Error> {
        Ok(self.docs.get(doc_id).map(|d| {
            d.arrivals
                .iter()
                .filter(|(s, _)| *s > seq)
                .map(|(_, c)| c.clone())
                .collect()
        }))
    }

    fn apply(
        &mut self,
        batch: &ApplyBatch,
        authorise: Authorise<'_>,
    ) -> Result<Vec<ApplyOutcome>, Self::Error> {
        let mut outcomes = Vec::with_capacity(batch.docs.len());
        for a in &batch.docs {
            let existing = self.docs.get(&a.doc_id).cloned();
            let before = existing.as_ref().map(Self::meta);
            let mut d = existing.unwrap_or_else(|| MemDoc {
                doc: Automerge::new(),
                seq: 0,
                ever: BTreeSet::new(),
                leaving: None,
                arrivals: Vec::new(),
            });
            let old_heads = heads_of(&d.doc);
            let old_change_heads = d.doc.get_heads();
            let mut invalid = None;
            for c in &a.changes {
                if let Err(e) = d.doc.load_incremental(c) {
                    invalid = Some(e.to_string());
                    break;
                }
            }
            if let Some(e) = invalid {
                outcomes.push(ApplyOutcome::Invalid(e));
                continue;
            }
            let heads = heads_of(&d.doc);
            if heads == old_heads {
                outcomes.push(ApplyOutcome::Unchanged);
                continue;
            }
            for u in doc_units(&d.doc) {
                d.ever.insert(u);
            }
            let after = Self::meta(&d);
            if !authorise(before.as_ref(), &after) {
                outcomes.push(ApplyOutcome::Refused);
                continue;
            }
            let new: Vec<Vec<u8>> = d
                .doc
                .get_changes(&old_change_heads)
                .into_iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect();
            self.tombs.remove(&a.doc_id);
            self.docs.insert(a.doc_id.clone(), d);
            let seq = self.touch(&a.doc_id);
            if let Some(d) = self.docs.get_mut(&a.doc_id) {
                d.arrivals.extend(new.into_iter().map(|c| (seq, c)));
            }
            outcomes.push(ApplyOutcome::Applied { heads });
        }
        if let Some((peer, cursor)) = &batch.then_cursor {
            self.cursors.insert(peer.clone(), *cursor);
        }
        Ok(outcomes)
    }

    fn load_cursor(&mut self, peer: &str) -> Result<Cursor, Self::Error> {
        Ok(self.cursors.get(peer).copied().unwrap_or_default())
    }

    fn save_cursor(&mut self, peer: &str, cursor: Cursor) -> Result<(), Self::Error> {
        self.cursors.insert(peer.to_owned(), cursor);
        Ok(())
    }

    fn begin_leave(&mut self, doc_id: &str, waiting: &BTreeSet<String>) -> Result<(), Self::Error> {
        let Some(d) = self.docs.get_mut(doc_id) else {
            return Ok(());
        };
        if d.leaving.is_none() {
            d.leaving = Some(waiting.clone());
            self.touch(doc_id);
        }
        Ok(())
    }

    fn cancel_leave(&mut self, doc_id: &str) -> Result<(), Self::Error> {
        if let Some(d) = self.docs.get_mut(doc_id)
            && d.leaving.take().is_some()
        {
            self.touch(doc_id);
        }
        Ok(())
    }

    fn child_removed(&mut self, doc_id: &str, child: &str) -> Result<(), Self::Error> {
        if let Some(d) = self.docs.get_mut(doc_id)
            && let Some(w) = d.leaving.as_mut()
        {
            w.remove(child);
        }
        Ok(())
    }

    fn leaving_ready(&mut self) -> Result<Vec<(String, Vec<Hash>)>, Self::Error> {
        Ok(self
            .docs
            .iter()
            .filter(|(_, d)| d.leaving.as_ref().is_some_and(BTreeSet::is_empty))
            .map(|(id, d)| (id.clone(), heads_of(&d.doc)))
            .collect())
    }

    fn purge(
        &mut self,
        doc_id: &str,
        expected_heads: Option<&[Hash]>,
    ) -> Result<bool, Self::Error> {
        match self.docs.get(doc_id) {
            Some(d) => {
                let heads = heads_of(&d.doc);
                if expected_heads.is_some_and(|e| e != heads.as_slice()) {
                    return Ok(false);
                }
                let ever = d.ever.iter().cloned().collect();
                if let Some(d) = self.docs.remove(doc_id) {
                    self.feed.remove(&d.seq);
                }
                self.tombs.insert(
                    doc_id.to_owned(),
                    Tomb {
                        seq: 0,
                        ever,
                        heads,
                    },
                );
                self.touch(doc_id);
                Ok(true)
            }
            // Not held: (re)write the tombstone so the acknowledgement reaches the parent again.
            None if self.tombs.contains_key(doc_id) => {
                self.touch(doc_id);
                Ok(true)
            }
            None => {
                self.tombs.insert(
                    doc_id.to_owned(),
                    Tomb {
                        seq: 0,
                        ever: Vec::new(),
                        heads: Vec::new(),
                    },
                );
                self.touch(doc_id);
                Ok(true)
            }
        }
    }

    fn scope_digest(
        &mut self,
        include: &dyn Fn(&[String]) -> bool,
    ) -> Result<(Hash, u64), Self::Error> {
        let mut digest = ScopeDigest::new();
        for (id, d) in &self.docs {
            if d.leaving.is_some() {
                continue;
            }
            if include(&doc_units(&d.doc)) {
                digest.add(id, &heads_of(&d.doc));
            }
        }
        Ok(digest.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_edits_are_held_and_fed() {
        let mut r = MemoryReplica::new(b"a", 1);
        let h1 = r.create("t1", &["C.D1"], "title", "x").expect("create");
        assert!(r.has_change("t1", &h1));
        let h2 = r.edit("t1", "title", "y").expect("edit").expect("changed");
        assert!(r.has_change("t1", &h2));
        assert!(r.has_change("t1", &h1));
        let feed = r.read_feed(0, 10).expect("feed");
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(feed.entries[0].seq, 2);
        assert_eq!(feed.entries[0].scope_units, vec!["C.D1".to_owned()]);
    }
}
