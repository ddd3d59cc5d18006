//! Knowledge-base articles as documents, and their store operations.
//!
//! ```text
//! ROOT { kind: "article", id, popularity: <counter>, events: { <event id>: <ArticleEvent JSON> } }
//! ```
//! Every version and every review step is an event; the article's state is
//! [`ArticleState::fold`] of them. `popularity` is an automerge counter, so answers given from the
//! article on different nodes add up.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, ScalarValueRef, ValueRef};
use hotline_model::article::{ArticleEvent, ArticleState};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::docstore;
use crate::error::{Result, StoreError};
use crate::ticket_doc::root_str;
use crate::worker::Ctx;

/// The `kind` of article documents.
pub const KIND: &str = "article";

/// An article as shown: its id, derived state, popularity and history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArticleView {
    /// Document id.
    pub id: String,
    /// Derived state (status, versions, live version).
    pub state: ArticleState,
    /// Times used to answer citizens.
    pub popularity: u64,
    /// Events, oldest first.
    pub events: Vec<ArticleEvent>,
}

/// The units whose nodes hold the article: none (meaning every node) once it has a live version;
/// until then only the owning unit's subtree (and the hub).
pub fn scope_units(state: &ArticleState) -> Vec<String> {
    if state.live().is_some() {
        Vec::new()
    } else {
        vec![state.unit().to_string()]
    }
}

fn scope_text(state: &ArticleState) -> String {
    let units = scope_units(state);
    if units.is_empty() {
        "*".to_string()
    } else {
        units.join(",")
    }
}

/// Reads an article document.
pub fn read(doc: &AutoCommit, id: &str) -> Result<ArticleView> {
    if root_str(doc, id, "kind")? != KIND {
        return Err(StoreError::malformed(id, "not an article"));
    }
    let events_obj = match doc.get(ROOT, "events") {
        Ok(Some((automerge::Value::Object(ObjType::Map), obj))) => obj,
        Ok(_) => return Err(StoreError::malformed(id, "no events map")),
        Err(e) => return Err(StoreError::automerge(id, e)),
    };
    let mut events: Vec<ArticleEvent> = doc
        .map_range(&events_obj, ..)
        .filter_map(|item| match &item.value {
            ValueRef::Scalar(ScalarValueRef::Str(s)) => serde_json::from_str(s).ok(),
            _ => None,
        })
        .collect();
    events.sort_by(|a, b| (a.at_ms, a.node.as_str(), a.id).cmp(&(b.at_ms, b.node.as_str(), b.id)));
    let state = ArticleState::fold(&events)
        .ok_or_else(|| StoreError::malformed(id, "article has no create event"))?;
    let popularity = match doc.get(ROOT, "popularity") {
        Ok(Some((automerge::Value::Scalar(v), _))) => match v.as_ref() {
            ScalarValue::Counter(c) => i64::from(c).max(0) as u64,
            _ => 0,
        },
        _ => 0,
    };
    Ok(ArticleView {
        id: id.to_string(),
        state,
        popularity,
        events,
    })
}

fn put_event(doc: &mut AutoCommit, id: &str, event: &ArticleEvent) -> Result<()> {
    let obj = match doc.get(ROOT, "events") {
        Ok(Some((automerge::Value::Object(ObjType::Map), obj))) => obj,
        _ => doc
            .put_object(ROOT, "events", ObjType::Map)
            .map_err(|e| StoreError::automerge(id, e))?,
    };
    let json =
        serde_json::to_string(event).map_err(|e| StoreError::malformed(id, e.to_string()))?;
    doc.put(&obj, event.id.to_string(), json)
        .map_err(|e| StoreError::automerge(id, e))?;
    Ok(())
}

/// Records an article event (creating the document for a `create`), after `check` approves the state
/// before it. Returns the new view.
pub fn apply(
    ctx: &mut Ctx<'_>,
    id: &str,
    event: &ArticleEvent,
    check: impl FnOnce(
        Option<&ArticleState>,
    ) -> std::result::Result<(), hotline_model::article::ArticleError>,
) -> Result<ArticleView> {
    let existing = docstore::load(ctx.conn, id, &ctx.node.actor)?;
    let time_s = event.at_ms / 1000;
    let (view, seq) = match existing {
        Some((mut doc, row)) => {
            if row.kind != KIND {
                return Err(StoreError::NotFound(id.to_string()));
            }
            let before_view = read(&doc, id)?;
            check(Some(&before_view.state))
                .map_err(|e| StoreError::malformed(id, e.to_string()))?;
            let before = doc.get_heads();
            put_event(&mut doc, id, event)?;
            doc.commit_with(CommitOptions::default().with_time(time_s));
            let view = read(&doc, id)?;
            let seq = docstore::append(ctx.conn, id, &mut doc, &before, &scope_text(&view.state))?
                .unwrap_or_default();
            (view, seq)
        }
        None => {
            check(None).map_err(|e| StoreError::malformed(id, e.to_string()))?;
            let mut doc = AutoCommit::new().with_actor(ctx.node.actor.clone());
            let am = |e| StoreError::automerge(id, e);
            doc.put(ROOT, "kind", KIND).map_err(am)?;
            doc.put(ROOT, "id", id).map_err(am)?;
            doc.put(ROOT, "popularity", ScalarValue::counter(0))
                .map_err(am)?;
            put_event(&mut doc, id, event)?;
            doc.commit_with(CommitOptions::default().with_time(time_s));
            let view = read(&doc, id)?;
            let seq = docstore::insert(ctx.conn, id, KIND, &mut doc, &scope_text(&view.state))?;
            (view, seq)
        }
    };
    *ctx.seq = (*ctx.seq).max(seq);
    Ok(view)
}

/// Adds `by` to an article's popularity (it answered a call).
pub fn bump_popularity(ctx: &mut Ctx<'_>, id: &str, by: i64, now_ms: i64) -> Result<ArticleView> {
    let (mut doc, _) = docstore::load(ctx.conn, id, &ctx.node.actor)?
        .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
    let before = doc.get_heads();
    doc.increment(ROOT, "popularity", by)
        .map_err(|e| StoreError::automerge(id, e))?;
    doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
    let view = read(&doc, id)?;
    let seq = docstore::append(ctx.conn, id, &mut doc, &before, &scope_text(&view.state))?
        .unwrap_or_default();
    *ctx.seq = (*ctx.seq).max(seq);
    Ok(view)
}

/// What happened to an article since a sequence number.
#[derive(Clone, Debug)]
pub enum ArticleChange {
    /// Created or changed: its current view.
    Changed(ArticleView),
    /// Removed from this node (purged when it left the node's scope): its id. Tombstones do not record
    /// the document's kind, so ids of other purged documents appear too; removing them is harmless.
    Removed(String),
}

/// Article documents changed, and documents removed, after local sequence `since`, oldest first:
/// `(seq, change)`. Unreadable documents are skipped with an error log.
pub fn changed_since(
    conn: &Connection,
    actor: &automerge::ActorId,
    since: i64,
    limit: u32,
) -> Result<Vec<(i64, ArticleChange)>> {
    let rows: Vec<(String, i64, bool)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, seq, 0 FROM docs WHERE kind = 'article' AND seq > ?1
             UNION ALL SELECT id, seq, 1 FROM sync_tombs WHERE seq > ?1
             ORDER BY 2 LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since, limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut out = Vec::with_capacity(rows.len());
    for (id, seq, removed) in rows {
        if removed {
            out.push((seq, ArticleChange::Removed(id)));
            continue;
        }
        match docstore::load(conn, &id, actor).and_then(|d| match d {
            Some((doc, _)) => read(&doc, &id).map(Some),
            None => Ok(None),
        }) {
            Ok(Some(view)) => out.push((seq, ArticleChange::Changed(view))),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(doc = %id, error = %e, "cannot read article document");
                // Still advance past it: the entry is consumed, a later change brings it again.
                out.push((seq, ArticleChange::Removed(id)));
            }
        }
    }
    Ok(out)
}

/// One article by id.
pub fn get(conn: &Connection, actor: &automerge::ActorId, id: &str) -> Result<Option<ArticleView>> {
    match docstore::load(conn, id, actor)? {
        Some((doc, row)) if row.kind == KIND => Ok(Some(read(&doc, id)?)),
        _ => Ok(None),
    }
}
