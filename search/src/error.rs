//! The search crate's error type.

use std::path::PathBuf;

/// What can go wrong while building, updating or querying the knowledge-base index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("opening the index directory {path}: {message}")]
    OpenDirectory { path: PathBuf, message: String },
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing {what}: {message}")]
    Parse { what: String, message: String },
    #[error("the index commit payload {0:?} is not a store sequence number")]
    BadPayload(String),
    #[error("the index writer lock is poisoned")]
    WriterPoisoned,
}
