//! What the index holds for one article: the content search should show, its status and its usage.

use hotline_model::article::{ArticleContent, ArticleState, ArticleStatus};
use serde::{Deserialize, Serialize};

/// One article as the index sees it. Built from the store's article state; the index never changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRecord {
    /// The article's id in the store.
    pub id: String,
    /// The content to search: the live version if there is one, else the newest version.
    pub content: ArticleContent,
    /// Stored status of that content (`Published` for a live version; never `Expired`, which is derived).
    pub status: ArticleStatus,
    /// How often the article was used to answer calls (drives the popularity boost).
    pub popularity: u64,
    /// When the content last changed, milliseconds since the Unix epoch (drives the freshness boost).
    pub updated_at_ms: i64,
}

impl ArticleRecord {
    /// The record for an article state: the live version while one is published (even while a revision is
    /// being drafted), otherwise the newest version with the article's status.
    pub fn from_state(id: &str, state: &ArticleState, popularity: u64) -> ArticleRecord {
        match state.live() {
            Some(live) => ArticleRecord {
                id: id.to_string(),
                content: live.content.clone(),
                status: ArticleStatus::Published,
                popularity,
                updated_at_ms: state.published_at_ms.unwrap_or(live.at_ms),
            },
            None => ArticleRecord {
                id: id.to_string(),
                content: state.latest().content.clone(),
                status: state.status,
                popularity,
                updated_at_ms: state.updated_at_ms,
            },
        }
    }
}
