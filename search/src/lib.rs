//! Chinese full-text search for the knowledge base: a tantivy index on every node, derived from the
//! store's articles and rebuildable from it, with a jieba analyzer, synonyms, pinyin, homophones,
//! validity filtering, facets and highlighted snippets.
//!
//! Typical use on a node:
//! ```no_run
//! # use search::*;
//! # fn main() -> Result<(), SearchError> {
//! let analyzer = Analyzer::new(Lexicon::builtin()?);
//! let index = KbIndex::open_in_dir(std::path::Path::new("data/kb-index"), analyzer, IndexOptions::default())?;
//! // for each changed article in the store's feed after index.applied_seq():
//! //     index.upsert(&ArticleRecord::from_state(id, &state, popularity))?;   or index.remove(id)?;
//! index.commit(42)?; // the feed sequence now reflected
//! let today = time::macros::date!(2026 - 11 - 24);
//! let response = index.search(&SearchRequest::new("社保卡怎么补办", today))?;
//! # let _ = response; Ok(()) }
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod analyzer;
pub mod error;
pub mod facets;
pub mod index;
pub mod lexicon;
pub mod phonetic;
pub mod query;
pub mod ranking;
pub mod record;
pub mod request;
pub mod schema;
pub mod seed;

pub use analyzer::Analyzer;
pub use error::SearchError;
pub use index::{IndexChange, IndexOptions, KbIndex};
pub use lexicon::Lexicon;
pub use record::ArticleRecord;
pub use request::{FacetCount, Facets, Hit, SearchParams, SearchRequest, SearchResponse, Snippet};
