//! Reference data (org tree, categories, users, calendar) as documents, one per file.
//!
//! ```text
//! ROOT { kind: "refdata", name: "org" | "categories" | "users" | "calendar", text: <TOML> }
//! ```
//! Reference data is edited centrally and rarely, so a whole file is one value (last writer wins).
//! Users carry no secrets here: credentials never leave the node that holds them.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ROOT};
use hotline_model::refdata::ReferenceData;
use rusqlite::Connection;

use crate::docstore;
use crate::error::{Result, StoreError};
use crate::ticket_doc::root_str;
use crate::worker::Ctx;

/// The `kind` of reference documents.
pub const KIND: &str = "refdata";

/// The reference files, in load order.
pub const NAMES: [&str; 4] = ["org", "categories", "users", "calendar"];

/// Scope of reference documents: every node.
pub const SCOPE_ALL: &str = "*";

fn doc_id(name: &str) -> String {
    format!("refdata:{name}")
}

/// Writes one reference file (creating its document or replacing the text).
pub fn put(ctx: &mut Ctx<'_>, name: &str, text: &str, now_ms: i64) -> Result<i64> {
    let id = doc_id(name);
    let am = |e| StoreError::automerge(&id, e);
    let seq = match docstore::load(ctx.conn, &id, &ctx.node.actor)? {
        Some((mut doc, _)) => {
            if root_str(&doc, &id, "text").ok().as_deref() == Some(text) {
                return Ok(0);
            }
            let before = doc.get_heads();
            doc.put(ROOT, "text", text).map_err(am)?;
            doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
            docstore::append(ctx.conn, &id, &mut doc, &before, SCOPE_ALL)?.unwrap_or_default()
        }
        None => {
            // Created deterministically (actor from the content, time 0): nodes seeded from the same
            // files hold the very same document, so sync finds nothing to merge.
            let mut doc = AutoCommit::new().with_actor(seed_actor(name, text));
            doc.put(ROOT, "kind", KIND).map_err(am)?;
            doc.put(ROOT, "name", name).map_err(am)?;
            doc.put(ROOT, "text", text).map_err(am)?;
            doc.commit_with(CommitOptions::default().with_time(0));
            docstore::insert(ctx.conn, &id, KIND, &mut doc, SCOPE_ALL)?
        }
    };
    *ctx.seq = (*ctx.seq).max(seq);
    Ok(seq)
}

/// The actor of a reference document's first change: a hash of its name and content.
fn seed_actor(name: &str, text: &str) -> automerge::ActorId {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"hotline-refdata-seed\0");
    h.update(name.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    let d = h.finalize();
    automerge::ActorId::from(&d[..16])
}

/// Reads one reference file's text, if present.
pub fn text(conn: &Connection, actor: &automerge::ActorId, name: &str) -> Result<Option<String>> {
    let id = doc_id(name);
    match docstore::load(conn, &id, actor)? {
        Some((doc, _)) => Ok(Some(root_str(&doc, &id, "text")?)),
        None => Ok(None),
    }
}

/// Loads the reference data, if all four files are present and valid together.
pub fn load(conn: &Connection, actor: &automerge::ActorId) -> Result<Option<ReferenceData>> {
    let mut texts = Vec::new();
    for name in NAMES {
        match text(conn, actor, name)? {
            Some(t) => texts.push(t),
            None => return Ok(None),
        }
    }
    ReferenceData::from_toml(&texts[0], &texts[1], &texts[2], &texts[3])
        .map(Some)
        .map_err(|e| StoreError::malformed("refdata", e.to_string()))
}
