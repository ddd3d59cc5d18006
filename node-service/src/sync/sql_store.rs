//! The sync session's view of the node's SQLite replica: [`SyncStore`] over a write job's
//! transaction ([`Ctx`]), so each session step runs inside the writer thread's group commit.
//!
//! Peer bytes go through automerge only behind `catch_unwind`: a change that makes automerge fail
//! or panic is answered `ApplyOutcome::Invalid` and nothing of that document is written.
//!
//! Why one file of this length: it implements the sync session's whole store trait over SQLite; the methods share one connection discipline.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, RwLock};

use automerge::{AutoCommit, ChangeHash};
use hotline_model::refdata::ReferenceData;
use replica_store::{
    Ctx, StoreError, article_doc, credential_doc, docstore, phrases_doc, projection, refdata_doc,
    ticket_doc,
};
use rusqlite::{OptionalExtension, params};
use sync_protocol::digest::ScopeDigest;
use sync_protocol::message::Hash;
use sync_protocol::store::{
    ApplyBatch, ApplyOutcome, Authorise, Cursor, DocMeta, DocPresence, FeedEntry, FeedRead,
    SyncStore,
};

/// Errors of the SQLite sync store.
#[derive(Debug, thiserror::Error)]
pub enum SqlSyncError {
    /// The replica store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored value is not what this module wrote.
    #[error("corrupt sync state for {what}: {detail}")]
    Corrupt {
        /// Which row.
        what: String,
        /// What is wrong.
        detail: String,
    },
}

/// [`SyncStore`] over the open transaction of one write job.
pub struct SqlSyncStore<'a, 'c> {
    ctx: &'a mut Ctx<'c>,
    /// Set when the batch being applied changed a reference document.
    refdata_changed: bool,
    /// Where the node keeps its reference data: replaced as soon as applied changes alter it, so
    /// the rest of the same page is judged by the new org tree.
    live_refdata: Option<RefdataSlot>,
    /// Set when the batch being applied changed a credential document.
    credentials_changed: bool,
    /// Where the node keeps its staff credentials: replaced as soon as applied changes alter
    /// them, so a disabled account's sessions end with the step that brought the change.
    live_credentials: Option<crate::auth::CredentialSlot>,
}

/// The node's current reference data, shared with its API and scope checks.
pub type RefdataSlot = Arc<RwLock<Arc<ReferenceData>>>;

/// Parses stored heads (comma-separated hex).
fn parse_heads(text: &str) -> Result<Vec<Hash>, SqlSyncError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|h| {
            let mut out = [0u8; 32];
            hex_decode(h, &mut out).ok_or_else(|| SqlSyncError::Corrupt {
                what: "heads".into(),
                detail: h.to_owned(),
            })?;
            Ok(out)
        })
        .collect()
}

fn hex_decode(s: &str, out: &mut [u8; 32]) -> Option<()> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        let hi = (b[2 * i] as char).to_digit(16)?;
        let lo = (b[2 * i + 1] as char).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(())
}

fn heads_text(heads: &[Hash]) -> String {
    let hashes: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(*h)).collect();
    docstore::heads_text(&hashes)
}

/// Units of a stored scope: `*` and empty mean "every node" (no units).
fn scope_units(scope: &str) -> Vec<String> {
    let mut v: Vec<String> = scope
        .split(',')
        .filter(|s| !s.is_empty() && *s != refdata_doc::SCOPE_ALL)
        .map(str::to_owned)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn units_text(units: &[String]) -> String {
    units.join(",")
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = a.iter().chain(b).collect();
    set.into_iter().cloned().collect()
}

fn heads_of(doc: &mut AutoCommit) -> Vec<Hash> {
    let mut h: Vec<Hash> = doc.get_heads().into_iter().map(|h| h.0).collect();
    h.sort_unstable();
    h
}

/// A held document's row.
struct Held {
    kind: String,
    heads: Vec<Hash>,
    scope: Vec<String>,
    ever: Vec<String>,
    leaving: bool,
    waiting: BTreeSet<String>,
}

impl Held {
    fn meta(&self) -> DocMeta {
        DocMeta {
            heads: self.heads.clone(),
            scope_units: self.scope.clone(),
            ever_units: union(&self.ever, &self.scope),
            leaving: self.leaving,
            parents_only: self.kind == refdata_doc::KIND,
        }
    }
}

/// What a peer's changes made of a document.
enum Merged {
    Ticket(Box<hotline_model::ticket::TicketView>, Vec<String>, String),
    /// Reference data, and the units it is scoped to (none: every node).
    Refdata(Vec<String>),
    /// Staff credentials of a unit.
    Credential(Vec<String>),
    /// A unit's text templates.
    Phrases(Vec<String>),
    Article(Vec<String>),
}

impl<'a, 'c> SqlSyncStore<'a, 'c> {
    /// Wraps a write job's context.
    pub fn new(ctx: &'a mut Ctx<'c>) -> Self {
        Self {
            ctx,
            refdata_changed: false,
            live_refdata: None,
            credentials_changed: false,
            live_credentials: None,
        }
    }

    /// Also replaces `slot`'s reference data as soon as applied changes alter it.
    pub fn with_live_refdata(mut self, slot: RefdataSlot) -> Self {
        self.live_refdata = Some(slot);
        self
    }

    /// Also replaces `slot`'s credentials as soon as applied changes alter them.
    pub fn with_live_credentials(mut self, slot: crate::auth::CredentialSlot) -> Self {
        self.live_credentials = Some(slot);
        self
    }

    fn refresh_live_credentials(&mut self) -> Result<(), SqlSyncError> {
        if let Some(slot) = &self.live_credentials {
            let all = replica_store::credential_doc::load_all(self.ctx.conn, &self.ctx.node.actor)?;
            crate::auth::replace_credentials(slot, all);
        }
        Ok(())
    }

    fn refresh_live_refdata(&mut self) -> Result<(), SqlSyncError> {
        if let Some(slot) = &self.live_refdata
            && let Some(rd) = refdata_doc::load(self.ctx.conn, &self.ctx.node.actor)?
        {
            *slot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rd);
            tracing::info!("reference data replaced by changes from a peer");
        }
        Ok(())
    }

    fn raise(&mut self, seq: i64) {
        *self.ctx.seq = (*self.ctx.seq).max(seq);
    }

    fn held(&self, doc_id: &str) -> Result<Option<Held>, SqlSyncError> {
        // Two lookups, not a join: SQLite re-prepares a join with `sync_docs` (it has a partial
        // index) at every new binding, which cost a third of a bootstrap's time.
        let conn = &self.ctx.conn;
        let row = conn
            .prepare_cached("SELECT kind, heads, scope FROM docs WHERE id = ?1")?
            .query_row([doc_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        let Some((kind, heads, scope)) = row else {
            return Ok(None);
        };
        let (ever, leaving, waiting) = conn
            .prepare_cached("SELECT ever, leaving, waiting FROM sync_docs WHERE id = ?1")?
            .query_row([doc_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?
            .unwrap_or_default();
        Ok(Some(Held {
            kind,
            heads: parse_heads(&heads)?,
            scope: scope_units(&scope),
            ever: scope_units(&ever),
            leaving: leaving != 0,
            waiting: waiting
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }))
    }

    /// Moves a held document to a fresh feed position.
    fn touch(&mut self, doc_id: &str) -> Result<i64, SqlSyncError> {
        let seq = docstore::next_seq(self.ctx.conn)?;
        self.ctx
            .conn
            .prepare_cached("UPDATE docs SET seq = ?2 WHERE id = ?1")?
            .execute(params![doc_id, seq])?;
        self.ctx
            .conn
            .prepare_cached("UPDATE tickets SET doc_seq = ?2 WHERE id = ?1")?
            .execute(params![doc_id, seq])?;
        self.raise(seq);
        Ok(seq)
    }

    fn set_leaving(
        &mut self,
        doc_id: &str,
        leaving: bool,
        waiting: &BTreeSet<String>,
    ) -> Result<(), SqlSyncError> {
        let waiting: Vec<&str> = waiting.iter().map(String::as_str).collect();
        self.ctx
            .conn
            .prepare_cached(
                "INSERT INTO sync_docs(id, leaving, waiting) VALUES(?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET leaving = ?2, waiting = ?3",
            )?
            .execute(params![doc_id, i64::from(leaving), waiting.join(",")])?;
        Ok(())
    }

    /// The stored bytes of a document (snapshot followed by its chunks): a valid automerge file.
    fn raw_bytes(&self, doc_id: &str) -> Result<Option<Vec<u8>>, SqlSyncError> {
        let snap: Option<Vec<u8>> = self
            .ctx
            .conn
            .prepare_cached("SELECT snapshot FROM docs WHERE id = ?1")?
            .query_row([doc_id], |r| r.get(0))
            .optional()?;
        let Some(mut bytes) = snap else {
            return Ok(None);
        };
        let mut stmt = self
            .ctx
            .conn
            .prepare_cached("SELECT data FROM doc_chunks WHERE doc_id = ?1 ORDER BY n")?;
        let mut rows = stmt.query([doc_id])?;
        while let Some(r) = rows.next()? {
            let chunk: Vec<u8> = r.get(0)?;
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(bytes))
    }

    /// Reads a merged document as its kind says; `Err` is a reason it is invalid.
    fn interpret(doc: &AutoCommit, doc_id: &str) -> Result<(String, Merged), String> {
        let kind = ticket_doc::root_str(doc, doc_id, "kind").map_err(|e| e.to_string())?;
        match kind.as_str() {
            ticket_doc::KIND => {
                let (ticket, bad) = ticket_doc::read(doc, doc_id).map_err(|e| e.to_string())?;
                if bad > 0 {
                    tracing::warn!(
                        doc = doc_id,
                        bad,
                        "ticket document holds events that do not parse"
                    );
                }
                let view = ticket.view();
                let units = view.state.scope_units();
                Ok((
                    kind,
                    Merged::Ticket(Box::new(view), units, ticket.query_code_hash),
                ))
            }
            refdata_doc::KIND => {
                let name = ticket_doc::root_str(doc, doc_id, "name").map_err(|e| e.to_string())?;
                if doc_id != format!("refdata:{name}") || !refdata_doc::is_valid_name(&name) {
                    return Err(format!("reference document {doc_id} names {name}"));
                }
                ticket_doc::root_str(doc, doc_id, "text").map_err(|e| e.to_string())?;
                Ok((kind, Merged::Refdata(refdata_doc::scope_units(&name))))
            }
            credential_doc::KIND => {
                let (unit, _) = credential_doc::read(doc, doc_id).map_err(|e| e.to_string())?;
                Ok((kind, Merged::Credential(vec![unit])))
            }
            phrases_doc::KIND => {
                let (unit, _) = phrases_doc::read(doc, doc_id).map_err(|e| e.to_string())?;
                Ok((kind, Merged::Phrases(vec![unit])))
            }
            article_doc::KIND => {
                let view = article_doc::read(doc, doc_id).map_err(|e| e.to_string())?;
                Ok((kind, Merged::Article(article_doc::scope_units(&view.state))))
            }
            other => Err(format!("unknown document kind {other}")),
        }
    }

    fn apply_one(
        &mut self,
        doc_id: &str,
        changes: &[Vec<u8>],
        authorise: Authorise<'_>,
    ) -> Result<ApplyOutcome, SqlSyncError> {
        let held = self.held(doc_id)?;
        let loaded = match &held {
            Some(_) => match docstore::load(self.ctx.conn, doc_id, &self.ctx.node.actor) {
                Ok(Some((doc, _))) => Some(doc),
                Ok(None) => None,
                Err(StoreError::Automerge { source, .. }) => {
                    return Err(SqlSyncError::Corrupt {
                        what: doc_id.to_owned(),
                        detail: source.to_string(),
                    });
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let mut doc =
            loaded.unwrap_or_else(|| AutoCommit::new().with_actor(self.ctx.node.actor.clone()));
        let before = doc.get_heads();
        // Peer data: automerge has panicked on bad input, so a panic is an invalid change here.
        let merged = catch_unwind(AssertUnwindSafe(
            || -> Result<(AutoCommit, Option<(String, Merged)>), String> {
                for c in changes {
                    doc.load_incremental(c).map_err(|e| e.to_string())?;
                }
                if doc.get_heads() == before {
                    return Ok((doc, None));
                }
                let interpreted = Self::interpret(&doc, doc_id)?;
                Ok((doc, Some(interpreted)))
            },
        ));
        let (mut doc, interpreted) = match merged {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return Ok(ApplyOutcome::Invalid(e)),
            Err(_) => {
                return Ok(ApplyOutcome::Invalid(
                    "automerge panicked on these changes".into(),
                ));
            }
        };
        let Some((kind, merged)) = interpreted else {
            return Ok(ApplyOutcome::Unchanged);
        };
        if let Some(h) = &held
            && h.kind != kind
        {
            return Ok(ApplyOutcome::Invalid(format!(
                "document was a {}, changes make it a {kind}",
                h.kind
            )));
        }
        let units = match &merged {
            Merged::Ticket(_, units, _)
            | Merged::Article(units)
            | Merged::Refdata(units)
            | Merged::Credential(units)
            | Merged::Phrases(units) => units.clone(),
        };
        let before_meta = held.as_ref().map(Held::meta);
        let after = DocMeta {
            heads: heads_of(&mut doc),
            scope_units: units.clone(),
            ever_units: match &before_meta {
                Some(b) => union(&b.ever_units, &units),
                None => units.clone(),
            },
            leaving: before_meta.as_ref().is_some_and(|b| b.leaving),
            parents_only: kind == refdata_doc::KIND,
        };
        if !authorise(before_meta.as_ref(), &after) {
            return Ok(ApplyOutcome::Refused);
        }
        let scope = match &merged {
            Merged::Ticket(..) | Merged::Credential(_) | Merged::Phrases(_) => units_text(&units),
            Merged::Article(_) | Merged::Refdata(_) if !units.is_empty() => units_text(&units),
            Merged::Article(_) | Merged::Refdata(_) => refdata_doc::SCOPE_ALL.to_owned(),
        };
        let seq = match held {
            Some(_) => docstore::append(self.ctx.conn, doc_id, &mut doc, &before, &scope)?
                .unwrap_or_default(),
            None => {
                self.ctx
                    .conn
                    .prepare_cached("DELETE FROM sync_tombs WHERE id = ?1")?
                    .execute([doc_id])?;
                // Stored as received: the peer's bytes (a saved document or changes, in order) load
                // back to this very document, and re-saving it would cost as much as the merge.
                let seq = docstore::next_seq(self.ctx.conn)?;
                self.ctx
                    .conn
                    .prepare_cached(
                        "INSERT INTO docs(id, kind, snapshot, chunks, seq, heads, scope, base_seq)
                         VALUES(?1, ?2, ?3, 0, ?4, ?5, ?6, ?4)",
                    )?
                    .execute(params![
                        doc_id,
                        kind,
                        changes.concat(),
                        seq,
                        docstore::heads_text(&doc.get_heads()),
                        scope
                    ])?;
                seq
            }
        };
        self.raise(seq);
        match merged {
            Merged::Ticket(view, _, qhash) => {
                projection::project(self.ctx.conn, &view, seq)?;
                projection::set_code_hash(self.ctx.conn, &view.id, &qhash)?;
            }
            Merged::Refdata(_) => self.refdata_changed = true,
            Merged::Credential(_) => self.credentials_changed = true,
            // Read from the store when a page needs them.
            Merged::Phrases(_) => {}
            // The knowledge-base index follows the store's commits by itself.
            Merged::Article(_) => {}
        }
        Ok(ApplyOutcome::Applied { heads: after.heads })
    }

    fn feed_docs(&self, since: u64, limit: u32) -> Result<Vec<FeedEntry>, SqlSyncError> {
        let mut stmt = self.ctx.conn.prepare_cached(
            "SELECT d.seq, d.id, d.heads, d.scope, COALESCE(s.ever, ''), COALESCE(s.leaving, 0)
             FROM docs d LEFT JOIN sync_docs s ON s.id = d.id
             WHERE d.seq > ?1 ORDER BY d.seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since as i64, i64::from(limit)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, heads, scope, ever, leaving) = row?;
            let scope = scope_units(&scope);
            out.push(FeedEntry {
                seq: seq as u64,
                doc_id: id,
                heads: parse_heads(&heads)?,
                ever_units: union(&scope_units(&ever), &scope),
                scope_units: scope,
                presence: if leaving != 0 {
                    DocPresence::Leaving
                } else {
                    DocPresence::Live
                },
            });
        }
        Ok(out)
    }

    fn feed_tombs(&self, since: u64, limit: u32) -> Result<Vec<FeedEntry>, SqlSyncError> {
        let mut stmt = self.ctx.conn.prepare_cached(
            "SELECT seq, id, heads, ever FROM sync_tombs WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since as i64, i64::from(limit)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, heads, ever) = row?;
            out.push(FeedEntry {
                seq: seq as u64,
                doc_id: id,
                heads: parse_heads(&heads)?,
                scope_units: Vec::new(),
                ever_units: scope_units(&ever),
                presence: DocPresence::Removed,
            });
        }
        Ok(out)
    }
}

impl SyncStore for SqlSyncStore<'_, '_> {
    type Error = SqlSyncError;

    fn feed_epoch(&mut self) -> Result<u64, Self::Error> {
        let text: String = self
            .ctx
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'feed_epoch'")?
            .query_row([], |r| r.get(0))?;
        text.parse().map_err(|_| SqlSyncError::Corrupt {
            what: "feed_epoch".into(),
            detail: text,
        })
    }

    fn feed_head(&mut self) -> Result<u64, Self::Error> {
        let seq: Option<i64> = self
            .ctx
            .conn
            .prepare_cached("SELECT value FROM counters WHERE name = 'seq'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(seq.unwrap_or(0).max(0) as u64)
    }

    fn read_feed(&mut self, since: u64, limit: u32) -> Result<FeedRead, Self::Error> {
        let limit = limit.max(1);
        // Two indexed range reads merged here, each one longer than the page to see whether more follow.
        let mut all = self.feed_docs(since, limit + 1)?;
        all.extend(self.feed_tombs(since, limit + 1)?);
        all.sort_by_key(|e| e.seq);
        let more = all.len() > limit as usize;
        all.truncate(limit as usize);
        let scanned_to = all.last().map_or(since, |e| e.seq);
        Ok(FeedRead {
            entries: all,
            scanned_to,
            more,
        })
    }

    fn doc_meta(&mut self, doc_id: &str) -> Result<Option<DocMeta>, Self::Error> {
        Ok(self.held(doc_id)?.map(|h| h.meta()))
    }

    fn has_all(&mut self, doc_id: &str, heads: &[Hash]) -> Result<bool, Self::Error> {
        let Some(held) = self.held(doc_id)? else {
            let tomb: Option<i64> = self
                .ctx
                .conn
                .prepare_cached("SELECT 1 FROM sync_tombs WHERE id = ?1")?
                .query_row([doc_id], |r| r.get(0))
                .optional()?;
            return Ok(heads.is_empty() && tomb.is_some());
        };
        if heads.iter().all(|h| held.heads.contains(h)) {
            return Ok(true);
        }
        let Some((mut doc, _)) = docstore::load(self.ctx.conn, doc_id, &self.ctx.node.actor)?
        else {
            return Ok(false);
        };
        Ok(heads
            .iter()
            .all(|h| doc.get_change_by_hash(&ChangeHash(*h)).is_some()))
    }

    fn read_changes(
        &mut self,
        doc_id: &str,
        have_heads: &[Hash],
    ) -> Result<Vec<Vec<u8>>, Self::Error> {
        if have_heads.is_empty() {
            // A peer without the document gets it whole, as stored (compressed snapshot + chunks).
            return Ok(self.raw_bytes(doc_id)?.into_iter().collect());
        }
        let Some((mut doc, _)) = docstore::load(self.ctx.conn, doc_id, &self.ctx.node.actor)?
        else {
            return Ok(Vec::new());
        };
        Ok(sync_protocol::store::changes_missing(
            doc.document(),
            have_heads,
        ))
    }

    fn changes_after_seq(
        &mut self,
        doc_id: &str,
        seq: u64,
    ) -> Result<Option<Vec<Vec<u8>>>, Self::Error> {
        let since = i64::try_from(seq).unwrap_or(i64::MAX);
        Ok(docstore::changes_after_seq(self.ctx.conn, doc_id, since)?)
    }

    fn apply(
        &mut self,
        batch: &ApplyBatch,
        authorise: Authorise<'_>,
    ) -> Result<Vec<ApplyOutcome>, Self::Error> {
        let mut outcomes = Vec::with_capacity(batch.docs.len());
        self.refdata_changed = false;
        self.credentials_changed = false;
        for a in &batch.docs {
            outcomes.push(self.apply_one(&a.doc_id, &a.changes, authorise)?);
        }
        if self.refdata_changed {
            // The org tree decides which units see an order (the reach rows of the lists).
            replica_store::projection::follow_org(self.ctx.conn, &self.ctx.node.actor)?;
            self.refresh_live_refdata()?;
        }
        if self.credentials_changed {
            self.refresh_live_credentials()?;
        }
        if let Some((peer, cursor)) = &batch.then_cursor {
            self.save_cursor(peer, *cursor)?;
        }
        Ok(outcomes)
    }

    fn load_cursor(&mut self, peer: &str) -> Result<Cursor, Self::Error> {
        let row: Option<(i64, i64)> = self
            .ctx
            .conn
            .prepare_cached("SELECT epoch, seq FROM sync_cursors WHERE peer = ?1")?
            .query_row([peer], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map_or_else(Cursor::default, |(epoch, seq)| Cursor {
            epoch: epoch as u64,
            seq: seq as u64,
        }))
    }

    fn save_cursor(&mut self, peer: &str, cursor: Cursor) -> Result<(), Self::Error> {
        self.ctx
            .conn
            .prepare_cached(
                "INSERT INTO sync_cursors(peer, epoch, seq) VALUES(?1, ?2, ?3)
                 ON CONFLICT(peer) DO UPDATE SET epoch = ?2, seq = ?3",
            )?
            .execute(params![peer, cursor.epoch as i64, cursor.seq as i64])?;
        Ok(())
    }

    fn begin_leave(&mut self, doc_id: &str, waiting: &BTreeSet<String>) -> Result<(), Self::Error> {
        match self.held(doc_id)? {
            Some(h) if !h.leaving => {
                self.set_leaving(doc_id, true, waiting)?;
                self.touch(doc_id)?;
                tracing::info!(
                    doc = doc_id,
                    waiting = waiting.len(),
                    "document left this node's scope"
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn cancel_leave(&mut self, doc_id: &str) -> Result<(), Self::Error> {
        if let Some(h) = self.held(doc_id)?
            && h.leaving
        {
            self.set_leaving(doc_id, false, &BTreeSet::new())?;
            self.touch(doc_id)?;
        }
        Ok(())
    }

    fn child_removed(&mut self, doc_id: &str, child: &str) -> Result<(), Self::Error> {
        if let Some(mut h) = self.held(doc_id)?
            && h.leaving
            && h.waiting.remove(child)
        {
            self.set_leaving(doc_id, true, &h.waiting)?;
        }
        Ok(())
    }

    fn leaving_ready(&mut self) -> Result<Vec<(String, Vec<Hash>)>, Self::Error> {
        let mut stmt = self.ctx.conn.prepare_cached(
            "SELECT d.id, d.heads FROM sync_docs s JOIN docs d ON d.id = s.id
             WHERE s.leaving = 1 AND s.waiting = '' ORDER BY d.seq LIMIT 1000",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, heads) = row?;
            out.push((id, parse_heads(&heads)?));
        }
        Ok(out)
    }

    fn purge(
        &mut self,
        doc_id: &str,
        expected_heads: Option<&[Hash]>,
    ) -> Result<bool, Self::Error> {
        let (heads, ever) = match self.held(doc_id)? {
            Some(h) => {
                if let Some(e) = expected_heads {
                    let mut e = e.to_vec();
                    e.sort_unstable();
                    let mut mine = h.heads.clone();
                    mine.sort_unstable();
                    if e != mine {
                        return Ok(false);
                    }
                }
                let ever = union(&h.ever, &h.scope);
                docstore::remove(self.ctx.conn, doc_id)?;
                if h.kind == refdata_doc::KIND {
                    self.refresh_live_refdata()?;
                }
                if h.kind == credential_doc::KIND {
                    self.refresh_live_credentials()?;
                }
                (h.heads, ever)
            }
            None => {
                let tomb: Option<i64> = self
                    .ctx
                    .conn
                    .prepare_cached("SELECT 1 FROM sync_tombs WHERE id = ?1")?
                    .query_row([doc_id], |r| r.get(0))
                    .optional()?;
                if tomb.is_some() {
                    // Moved to a fresh seq, so the acknowledgement reaches the parent again.
                    let seq = docstore::next_seq(self.ctx.conn)?;
                    self.ctx
                        .conn
                        .prepare_cached("UPDATE sync_tombs SET seq = ?2 WHERE id = ?1")?
                        .execute(params![doc_id, seq])?;
                    self.raise(seq);
                    return Ok(true);
                }
                (Vec::new(), Vec::new())
            }
        };
        let seq = docstore::next_seq(self.ctx.conn)?;
        self.ctx
            .conn
            .prepare_cached(
                "INSERT INTO sync_tombs(id, seq, heads, ever) VALUES(?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET seq = ?2, heads = ?3, ever = ?4",
            )?
            .execute(params![doc_id, seq, heads_text(&heads), units_text(&ever)])?;
        self.raise(seq);
        Ok(true)
    }

    fn scope_digest(
        &mut self,
        include: &dyn Fn(&[String]) -> bool,
    ) -> Result<(Hash, u64), Self::Error> {
        let mut digest = ScopeDigest::new();
        let mut stmt = self.ctx.conn.prepare_cached(
            "SELECT d.id, d.heads, d.scope FROM docs d LEFT JOIN sync_docs s ON s.id = d.id
             WHERE COALESCE(s.leaving, 0) = 0 ORDER BY d.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let heads: String = r.get(1)?;
            let scope: String = r.get(2)?;
            if include(&scope_units(&scope)) {
                digest.add(&id, &parse_heads(&heads)?);
            }
        }
        Ok(digest.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_and_scopes() {
        let h = [[0xab; 32], [0x01; 32]];
        let text = heads_text(&h);
        let mut back = parse_heads(&text).unwrap();
        back.sort_unstable();
        let mut want = h.to_vec();
        want.sort_unstable();
        assert_eq!(back, want);
        assert!(parse_heads("zz").is_err());
        assert_eq!(scope_units("*"), Vec::<String>::new());
        assert_eq!(
            scope_units("D01-T01,C,C"),
            vec!["C".to_string(), "D01-T01".to_string()]
        );
    }
}
