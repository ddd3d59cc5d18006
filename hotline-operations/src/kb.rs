//! The node's knowledge-base search: a tantivy index derived from the article documents in the store.
//!
//! The index remembers (in its commit) the last store sequence it reflects. At start and whenever the
//! store commits, it reads the article documents changed since then and applies them, so a change made
//! here or arriving by sync is searchable within a second, and a crash before an index commit loses
//! nothing: the next start catches up from the store. The index never writes to the store.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use hotline_model::article::ArticleEvent;
use replica_store::Store;
use replica_store::article_doc::ArticleChange;
use search::{Analyzer, ArticleRecord, IndexOptions, KbIndex, Lexicon};

/// How long the follower lets commits accumulate before catching up.
const COALESCE_MS: u64 = 100;

/// Articles read from the store per step of a catch-up.
const PAGE: u32 = 500;

/// A node's search index and the store sequence it has applied.
pub struct KbService {
    index: KbIndex,
    applied: tokio::sync::Mutex<i64>,
    /// The store sequence the index has caught up to, after each catch-up (even an empty one).
    caught_up: tokio::sync::watch::Sender<i64>,
}

impl KbService {
    /// Opens (or creates) the index in `dir` and catches up with the store.
    pub async fn open(dir: &Path, store: &Store) -> Result<Arc<KbService>> {
        let dir = dir.to_path_buf();
        let index = tokio::task::spawn_blocking(move || -> Result<KbIndex> {
            let analyzer = Analyzer::new(Lexicon::builtin()?);
            // A damaged index directory is emptied and rebuilt from the store rather than stopping the node.
            Ok(KbIndex::open_in_dir_or_reset(
                &dir,
                analyzer,
                IndexOptions::default(),
            )?)
        })
        .await??;
        let applied = index.applied_seq()?.map(|s| s as i64).unwrap_or(0);
        let kb = Arc::new(KbService {
            index,
            applied: tokio::sync::Mutex::new(applied),
            caught_up: tokio::sync::watch::Sender::new(0),
        });
        let n = kb.catch_up(store).await?;
        tracing::info!(
            applied,
            caught_up = n,
            docs = kb.index.num_docs(),
            "knowledge-base index ready"
        );
        Ok(kb)
    }

    /// The index, for searching.
    pub fn index(&self) -> &KbIndex {
        &self.index
    }

    /// The store sequence up to which the index reflects the store; changes after each catch-up.
    pub fn caught_up(&self) -> tokio::sync::watch::Receiver<i64> {
        self.caught_up.subscribe()
    }

    /// Applies every article changed in the store since the index's sequence; returns how many.
    pub async fn catch_up(self: &Arc<Self>, store: &Store) -> Result<usize> {
        let mut applied = self.applied.lock().await;
        let seen = *store.committed().borrow();
        let mut total = 0;
        loop {
            let batch = store.articles_since(*applied, PAGE).await?;
            let Some(last) = batch.last().map(|(seq, _)| *seq) else {
                break;
            };
            total += batch.len();
            let me = self.clone();
            tokio::task::spawn_blocking(move || -> Result<()> {
                for (_, change) in &batch {
                    match change {
                        ArticleChange::Changed(view) => me.index.upsert(
                            &ArticleRecord::from_state(&view.id, &view.state, view.popularity),
                        )?,
                        ArticleChange::Removed(id) => me.index.remove(id)?,
                    }
                }
                me.index.commit(last as u64)?;
                Ok(())
            })
            .await??;
            *applied = last;
        }
        // Everything committed before this catch-up started is now searchable.
        self.caught_up.send_replace(seen);
        Ok(total)
    }

    /// Follows the store: catches up after every commit, until aborted.
    pub fn follow(self: Arc<Self>, store: Store) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut committed = store.committed();
            while committed.changed().await.is_ok() {
                // Let a burst of commits settle (they coalesce in the watch), well within the
                // promised second, so a busy writer does not trigger a catch-up per commit.
                tokio::time::sleep(std::time::Duration::from_millis(COALESCE_MS)).await;
                if let Err(e) = self.catch_up(&store).await {
                    tracing::error!(error = %e, "knowledge-base index catch-up failed");
                }
            }
        })
    }
}

/// Seeds the knowledge base from `dir` (TOML files of articles) when the store holds none; the hub only.
pub async fn seed_if_empty(store: &Store, dir: &Path, node: &str, now_ms: i64) -> Result<usize> {
    if store.count_docs(replica_store::article_doc::KIND).await? > 0 || !dir.exists() {
        return Ok(0);
    }
    let articles =
        search::seed::load_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut n = 0;
    for a in &articles {
        let events: Vec<ArticleEvent> = a.events(
            node,
            &format!("{}-admin", a.content.unit.to_lowercase()),
            "sl01",
            now_ms,
            uuid::Uuid::new_v4,
        )?;
        for e in events {
            store.apply_article(a.id.clone(), e, |_| Ok(())).await?;
        }
        if a.popularity > 0 {
            store
                .bump_article(a.id.clone(), a.popularity as i64, now_ms)
                .await?;
        }
        n += 1;
    }
    Ok(n)
}
