//! Loading the seed knowledge base (`deploy/seed/knowledge/*.toml`) as article records or as the events
//! that create them.

use std::path::{Path, PathBuf};

use hotline_model::article::{
    ArticleAction, ArticleContent, ArticleEvent, ArticleOrigin, ArticleStatus,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::SearchError;
use crate::record::ArticleRecord;

/// One article of a seed file.
#[derive(Debug, Clone, Deserialize)]
pub struct SeedArticle {
    pub id: String,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub popularity: u64,
    #[serde(flatten)]
    pub content: ArticleContent,
}

fn default_status() -> String {
    "published".into()
}

#[derive(Deserialize)]
struct SeedFile {
    article: Vec<SeedArticle>,
}

impl SeedArticle {
    /// The article's status (`published`, `draft`, `in_review`, `withdrawn`).
    pub fn status(&self) -> Result<ArticleStatus, SearchError> {
        match self.status.as_str() {
            "published" => Ok(ArticleStatus::Published),
            "draft" => Ok(ArticleStatus::Draft),
            "in_review" => Ok(ArticleStatus::InReview),
            "withdrawn" => Ok(ArticleStatus::Withdrawn),
            other => Err(SearchError::Parse {
                what: format!("status of {}", self.id),
                message: other.into(),
            }),
        }
    }

    /// The record the index would hold for this article.
    pub fn to_record(&self, updated_at_ms: i64) -> Result<ArticleRecord, SearchError> {
        Ok(ArticleRecord {
            id: self.id.clone(),
            content: self.content.clone(),
            status: self.status()?,
            popularity: self.popularity,
            updated_at_ms,
        })
    }

    /// The events that bring the article to its seed status: created by `author` (the owning unit's
    /// information admin), submitted, and published by `publisher` at the centre. `ids` gives one id per
    /// event; events are one millisecond apart from `at_ms`.
    pub fn events(
        &self,
        node: &str,
        author: &str,
        publisher: &str,
        at_ms: i64,
        mut ids: impl FnMut() -> Uuid,
    ) -> Result<Vec<ArticleEvent>, SearchError> {
        let status = self.status()?;
        let mut events = vec![ArticleEvent {
            id: ids(),
            author: author.into(),
            node: node.into(),
            at_ms,
            action: ArticleAction::Create {
                content: self.content.clone(),
                origin: ArticleOrigin::Authored,
            },
        }];
        if matches!(
            status,
            ArticleStatus::InReview | ArticleStatus::Published | ArticleStatus::Withdrawn
        ) {
            events.push(ArticleEvent {
                id: ids(),
                author: author.into(),
                node: node.into(),
                at_ms: at_ms + 1,
                action: ArticleAction::Submit,
            });
        }
        if matches!(status, ArticleStatus::Published | ArticleStatus::Withdrawn) {
            events.push(ArticleEvent {
                id: ids(),
                author: publisher.into(),
                node: node.into(),
                at_ms: at_ms + 2,
                action: ArticleAction::Publish,
            });
        }
        if status == ArticleStatus::Withdrawn {
            events.push(ArticleEvent {
                id: ids(),
                author: publisher.into(),
                node: node.into(),
                at_ms: at_ms + 3,
                action: ArticleAction::Withdraw {
                    reason: "种子数据".into(),
                },
            });
        }
        Ok(events)
    }
}

/// Parses one seed file's text.
pub fn parse_seed(text: &str, what: &str) -> Result<Vec<SeedArticle>, SearchError> {
    let file: SeedFile = toml::from_str(text).map_err(|e| SearchError::Parse {
        what: what.to_string(),
        message: e.to_string(),
    })?;
    Ok(file.article)
}

/// Loads every `*.toml` file of a directory, in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<SeedArticle>, SearchError> {
    let io = |source| SearchError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| SearchError::Io {
            path: path.clone(),
            source,
        })?;
        out.extend(parse_seed(&text, &path.display().to_string())?);
    }
    Ok(out)
}

/// The seed directory of this repository (`deploy/seed/knowledge`), for tests and benchmarks.
pub fn repo_seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/seed/knowledge")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_model::article::ArticleState;

    #[test]
    fn repo_seed_loads_and_folds() {
        let seed = load_dir(&repo_seed_dir()).expect("seed loads");
        assert!(seed.len() >= 200);
        let mut n = 0u128;
        for a in &seed {
            let events = a
                .events("hub", "admin", "leader", 1_700_000_000_000, || {
                    n += 1;
                    Uuid::from_u128(n)
                })
                .expect("events");
            let state = ArticleState::fold(&events).expect("created");
            assert!(state.skipped.is_empty(), "{}: {:?}", a.id, state.skipped);
            assert_eq!(state.status, a.status().expect("status"), "{}", a.id);
        }
    }
}
