//! What the sync session needs from a node's replica store: the data it reads and the operations it
//! asks for. Each method is meant to be one store transaction; [`SyncStore::apply`] saves the link
//! cursor in the same transaction as the applied changes.

use crate::message::Hash;
use std::collections::BTreeSet;

/// A link cursor: the last position of a peer's feed whose changes are durably applied here.
/// `epoch` names the peer's feed; a different epoch means the peer was restored and the cursor
/// starts again at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub epoch: u64,
    pub seq: u64,
}

/// The state of a document in this node's feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocPresence {
    /// Held and in scope.
    Live,
    /// Left this node's scope: kept until its changes (and those of the children below) are known
    /// upstream, then purged.
    Leaving,
    /// Purged here (tombstone).
    Removed,
}

/// One entry of this node's change feed: the latest state of one document. The feed holds one
/// entry per document, moved to a fresh `seq` on every change (local edit, applied remote
/// changes, leave, purge), so reading it `since` a cursor costs what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub seq: u64,
    pub doc_id: String,
    pub heads: Vec<Hash>,
    /// Units the document belongs to now (lead and co-handling units of a ticket). Empty: a
    /// reference document shared with every node.
    pub scope_units: Vec<String>,
    /// Every unit the document ever belonged to while held here (drives purges and lets a node that
    /// lost a ticket still push what it did to it).
    pub ever_units: Vec<String>,
    pub presence: DocPresence,
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRead {
    /// Entries with `since < seq ≤ scanned_to`, in `seq` order, at most `limit`.
    pub entries: Vec<FeedEntry>,
    /// Highest seq covered by this read (≥ `since`).
    pub scanned_to: u64,
    /// More entries follow `scanned_to`.
    pub more: bool,
}

/// What the store knows about a document it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    pub heads: Vec<Hash>,
    pub scope_units: Vec<String>,
    pub ever_units: Vec<String>,
    pub leaving: bool,
    /// Only a parent may change it (reference data), whatever its units.
    pub parents_only: bool,
}

/// Changes for one document, to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocApply {
    pub doc_id: String,
    pub changes: Vec<Vec<u8>>,
}

/// One store transaction: apply changes to several documents, then save a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyBatch {
    pub docs: Vec<DocApply>,
    /// Saved in the same transaction, after the changes: `(peer node code, cursor)`.
    pub then_cursor: Option<(String, Cursor)>,
}

/// Outcome of applying one document of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Applied; the document's heads after.
    Applied { heads: Vec<Hash> },
    /// Every change was already there (a replayed message).
    Unchanged,
    /// The authorisation refused the result; nothing of this document was written.
    Refused,
    /// The change bytes were invalid; nothing of this document was written.
    Invalid(String),
}

/// Decides whether a document may take the changes: gets the state before (None: new document) and
/// the state after; the store rolls the document back when it answers `false`.
pub type Authorise<'a> = &'a dyn Fn(Option<&DocMeta>, &DocMeta) -> bool;

/// The replica store as the sync session sees it.
pub trait SyncStore {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Identifies this node's feed; changes when the node is restored from a backup (together
    /// with a new automerge actor id).
    fn feed_epoch(&mut self) -> Result<u64, Self::Error>;

    /// The highest seq of the feed (0 when empty). The driver compares it before and after each
    /// session step to tell the node's other links that the feed advanced.
    fn feed_head(&mut self) -> Result<u64, Self::Error>;

    /// Feed entries after `since`, at most `limit`.
    fn read_feed(&mut self, since: u64, limit: u32) -> Result<FeedRead, Self::Error>;

    /// The document, if held (live or leaving).
    fn doc_meta(&mut self, doc_id: &str) -> Result<Option<DocMeta>, Self::Error>;

    /// Whether every hash in `heads` is a change this store holds for `doc_id`.
    fn has_all(&mut self, doc_id: &str, heads: &[Hash]) -> Result<bool, Self::Error>;

    /// The changes of `doc_id` a peer at `have_heads` lacks (automerge `get_changes`); hashes this
    /// store does not know are ignored. Empty when the document is not held.
    fn read_changes(
        &mut self,
        doc_id: &str,
        have_heads: &[Hash],
    ) -> Result<Vec<Vec<u8>>, Self::Error>;

    /// Optional: the changes of `doc_id` this store received or made after feed position `seq`
    /// (a peer whose cursor is `seq` lacks at most these), or `None` when the store cannot tell
    /// cheaply (e.g. compacted since). Lets the session inline changes in feed pages.
    fn changes_after_seq(
        &mut self,
        doc_id: &str,
        seq: u64,
    ) -> Result<Option<Vec<Vec<u8>>>, Self::Error> {
        let _ = (doc_id, seq);
        Ok(None)
    }

    /// Applies a batch in one transaction, then saves its cursor. Applying changes already present
    /// is a no-op. Every changed document gets a new feed entry; `ever_units` grows.
    fn apply(
        &mut self,
        batch: &ApplyBatch,
        authorise: Authorise<'_>,
    ) -> Result<Vec<ApplyOutcome>, Self::Error>;

    /// The cursor of the link to `peer` (default when none).
    fn load_cursor(&mut self, peer: &str) -> Result<Cursor, Self::Error>;

    /// Saves the cursor of the link to `peer`.
    fn save_cursor(&mut self, peer: &str, cursor: Cursor) -> Result<(), Self::Error>;

    /// Marks a held document as leaving; `waiting` are the child nodes that must acknowledge its
    /// removal first. Writes a feed entry (children see it as a purge). Idempotent.
    fn begin_leave(&mut self, doc_id: &str, waiting: &BTreeSet<String>) -> Result<(), Self::Error>;

    /// The document came back into scope: no longer leaving.
    fn cancel_leave(&mut self, doc_id: &str) -> Result<(), Self::Error>;

    /// The child `child` removed its copy of `doc_id`.
    fn child_removed(&mut self, doc_id: &str, child: &str) -> Result<(), Self::Error>;

    /// Leaving documents no child waits for: `(doc id, heads)`.
    fn leaving_ready(&mut self) -> Result<Vec<(String, Vec<Hash>)>, Self::Error>;

    /// Removes the document (its content and history) if its heads still equal `expected_heads`
    /// (None: whatever they are), leaving a tombstone feed entry. When the document is not held,
    /// writes (or moves to a fresh seq) its tombstone, so the acknowledgement reaches the parent
    /// again. Returns whether the feed changed.
    fn purge(&mut self, doc_id: &str, expected_heads: Option<&[Hash]>)
    -> Result<bool, Self::Error>;

    /// SHA-256 over the sorted `(doc id, heads)` of the held, non-leaving documents that `include`
    /// accepts (given their scope units), and their count. See [`crate::digest`].
    fn scope_digest(
        &mut self,
        include: &dyn Fn(&[String]) -> bool,
    ) -> Result<(Hash, u64), Self::Error>;
}

/// The changes of `doc` that a peer holding `have_heads` lacks, as raw bytes in causal order. Heads
/// this document does not know are ignored (the peer then gets everything after the known ones).
pub fn changes_missing(doc: &automerge::Automerge, have_heads: &[Hash]) -> Vec<Vec<u8>> {
    let known: Vec<automerge::ChangeHash> = have_heads
        .iter()
        .map(|h| automerge::ChangeHash(*h))
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .collect();
    doc.get_changes(&known)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}
