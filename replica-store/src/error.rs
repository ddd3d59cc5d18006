//! The store's error type.

use hotline_model::intake::FieldError;
use hotline_model::workflow::Rejection;

/// What can go wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, corruption, I/O).
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// An automerge document could not be loaded or changed.
    #[error("document {doc_id}: {source}")]
    Automerge {
        /// Which document.
        doc_id: String,
        /// What automerge said.
        source: Box<automerge::AutomergeError>,
    },
    /// A document does not have the shape of its kind.
    #[error("document {doc_id} is malformed: {reason}")]
    Malformed {
        /// Which document.
        doc_id: String,
        /// What is wrong.
        reason: String,
    },
    /// No such document or ticket.
    #[error("not found: {0}")]
    NotFound(String),
    /// The workflow refuses the action in the ticket's current state.
    #[error("action refused: {0}")]
    Rejected(Rejection),
    /// A field is invalid.
    #[error("invalid field: {0}")]
    Invalid(FieldError),
    /// A list's paging cursor is not one the list gave out.
    #[error("bad paging cursor {0:?}")]
    BadCursor(String),
    /// The batch holding this write failed to commit; nothing of it was stored.
    #[error("commit failed: {0}")]
    Commit(String),
    /// The store's thread is gone (the node is shutting down).
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    pub(crate) fn automerge(doc_id: &str, source: automerge::AutomergeError) -> Self {
        StoreError::Automerge {
            doc_id: doc_id.to_string(),
            source: Box::new(source),
        }
    }

    pub(crate) fn malformed(doc_id: &str, reason: impl Into<String>) -> Self {
        StoreError::Malformed {
            doc_id: doc_id.to_string(),
            reason: reason.into(),
        }
    }
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
