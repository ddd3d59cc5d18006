//! The messages two nodes exchange, and their compact binary encoding (serde + postcard).

use serde::{Deserialize, Serialize};

/// Version of the sync protocol spoken by this build (sent in [`Message::Hello`]).
pub const PROTOCOL_VERSION: u32 = 2;
/// Oldest protocol version this build still speaks (version 2 added `FeedRequest::whole`).
pub const MIN_PROTOCOL_VERSION: u32 = 2;

/// An automerge change hash.
pub type Hash = [u8; 32];

/// Refusal codes carried by [`Message::Refused`].
pub mod refusal {
    /// No protocol version in common.
    pub const VERSION: u16 = 1;
    /// The first message was not a `Hello`.
    pub const NO_HELLO: u16 = 2;
    /// The request names a document outside the requester's scope.
    pub const OUT_OF_SCOPE: u16 = 3;
    /// The message was not understood in this state.
    pub const PROTOCOL: u16 = 4;
    /// The peer's certificate has been revoked.
    pub const REVOKED: u16 = 5;
}

/// What a feed entry tells the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryAction {
    /// The document changed; compare heads and fetch what is missing.
    Update,
    /// (parent → child) The document left the receiver's scope: push your own changes to it, then
    /// purge it.
    Purge,
    /// The sender removed its copy. From a child: an acknowledgement of a purge. From a parent:
    /// same as `Purge`.
    Removed,
}

/// One entry of a node's change feed as it travels: the latest state of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEntry {
    /// Position in the sender's feed.
    pub seq: u64,
    pub doc_id: String,
    /// The document's heads at the sender.
    pub heads: Vec<Hash>,
    pub action: EntryAction,
    /// Units the document belongs to at the sender (a hint: scope is always rechecked on apply).
    pub scope_units: Vec<String>,
    /// For `Update`: the changes that reached the sender after the receiver's cursor, when the
    /// sender could tell (empty otherwise). The receiver applies them and, if it then still lacks
    /// some of `heads`, asks for the rest.
    pub changes: Vec<Vec<u8>>,
}

/// "I lack changes of `doc_id`; I have `have_heads`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Want {
    pub doc_id: String,
    pub have_heads: Vec<Hash>,
}

/// Changes of one document that the requester lacked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    pub doc_id: String,
    /// automerge change bytes, in causal order. Empty when the document is absent or not for the
    /// requester.
    pub changes: Vec<Vec<u8>>,
}

/// A sync protocol message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// First message of each side: the version it speaks and the oldest it accepts.
    Hello { version: u32, min_version: u32 },
    /// "Send me your feed after `since`, at most `limit` entries." `whole`: the requester is
    /// pulling this peer for the first time, so documents whose changes after `since` the sender
    /// cannot single out travel whole, inline, instead of waiting for a `ChangesRequest`.
    /// `shared_only`: only documents meant for every node (reference data such as the org tree),
    /// which a new node needs before it can tell which of the others are its own.
    FeedRequest {
        since: u64,
        limit: u32,
        whole: bool,
        shared_only: bool,
    },
    /// Answer to a `FeedRequest{since}`: the entries meant for the receiver, and how far the feed was
    /// scanned (entries after `since` up to `scanned_to` that are not listed are not for the
    /// receiver). `epoch` names the sender's feed: a new epoch (restore from backup) restarts
    /// cursors at 0. `more`: ask again from `scanned_to` for the next page. A page ends early when
    /// its inline changes reach the sender's message budget.
    FeedPage {
        since: u64,
        epoch: u64,
        entries: Vec<WireEntry>,
        scanned_to: u64,
        more: bool,
    },
    /// Changes wanted for the documents of the page that started at `page`.
    ChangesRequest { page: u64, wants: Vec<Want> },
    /// Answer to a `ChangesRequest` (may come in several parts; every wanted document is answered once).
    Changes { page: u64, docs: Vec<DocChanges> },
    /// (child → parent) "I am about to purge `doc_id` at `heads`: do you hold all of them?"
    PurgeCheck { doc_id: String, heads: Vec<Hash> },
    /// Answer to a `PurgeCheck`.
    PurgeAnswer {
        doc_id: String,
        heads: Vec<Hash>,
        confirmed: bool,
    },
    /// "Send me your digest of the documents we share."
    DigestRequest,
    /// SHA-256 over the sorted (doc id, sorted heads) of the shared documents, and their count.
    Digest { digest: Hash, count: u64 },
    /// The sender refuses something.
    Refused { code: u16, reason: String },
}

/// Errors of message encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("cannot encode: {0}")]
    Encode(String),
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
    #[error("message of {0} bytes is too large")]
    TooLarge(usize),
}

impl Message {
    pub fn to_bytes(&self) -> Result<Vec<u8>, MessageError> {
        postcard::to_allocvec(self).map_err(|e| MessageError::Encode(e.to_string()))
    }

    /// Decodes exactly one message filling all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (m, rest) = postcard::take_from_bytes::<Self>(bytes)
            .map_err(|e| MessageError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(MessageError::Trailing(rest.len()));
        }
        Ok(m)
    }

    /// Short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "Hello",
            Self::FeedRequest { .. } => "FeedRequest",
            Self::FeedPage { .. } => "FeedPage",
            Self::ChangesRequest { .. } => "ChangesRequest",
            Self::Changes { .. } => "Changes",
            Self::PurgeCheck { .. } => "PurgeCheck",
            Self::PurgeAnswer { .. } => "PurgeAnswer",
            Self::DigestRequest => "DigestRequest",
            Self::Digest { .. } => "Digest",
            Self::Refused { .. } => "Refused",
        }
    }
}
