//! Reference data (org tree, categories, users, calendar) as documents, one per file; users one
//! document per unit, so that a node holds only the users of its own subtree.
//!
//! ```text
//! ROOT { kind: "refdata", name: "org" | "categories" | "calendar" | "users:<unit>", text: <TOML> }
//! ```
//! Reference data is edited centrally and rarely, so a whole file is one value (last writer wins).
//! Users carry no secrets here: credentials never leave the node that holds them. The org tree,
//! categories and calendar go to every node (scope `*`); `users:<unit>` is scoped to its unit.

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

/// The reference files every node holds.
pub const SHARED: [&str; 3] = ["org", "categories", "calendar"];

/// Reference files every node holds when the centre has them; defaults apply without.
pub const OPTIONAL_SHARED: [&str; 3] = ["notices", "assessment", "quality"];

/// Prefix of the per-unit user documents' names.
const USERS_PREFIX: &str = "users:";

/// The name of the document holding the users of `unit`.
pub fn users_name(unit: &str) -> String {
    format!("{USERS_PREFIX}{unit}")
}

/// Whether `name` names a reference document: a shared file or one unit's users.
pub fn is_valid_name(name: &str) -> bool {
    SHARED.contains(&name)
        || OPTIONAL_SHARED.contains(&name)
        || name
            .strip_prefix(USERS_PREFIX)
            .is_some_and(|u| !u.is_empty() && !u.contains([',', '*']))
}

/// The units a reference document is scoped to: none (every node) for shared files, the unit for
/// its users.
pub fn scope_units(name: &str) -> Vec<String> {
    name.strip_prefix(USERS_PREFIX)
        .map(|u| vec![u.to_owned()])
        .unwrap_or_default()
}

fn scope_text(name: &str) -> String {
    name.strip_prefix(USERS_PREFIX)
        .unwrap_or(SCOPE_ALL)
        .to_owned()
}

/// Scope of reference documents: every node.
pub const SCOPE_ALL: &str = "*";

fn doc_id(name: &str) -> String {
    format!("refdata:{name}")
}

/// Writes one reference file (creating its document or replacing the text).
pub fn put(ctx: &mut Ctx<'_>, name: &str, text: &str, now_ms: i64) -> Result<i64> {
    if !is_valid_name(name) {
        return Err(StoreError::malformed(
            name,
            "not a reference document name".to_owned(),
        ));
    }
    let id = doc_id(name);
    let scope = scope_text(name);
    let am = |e| StoreError::automerge(&id, e);
    let seq = match docstore::load(ctx.conn, &id, &ctx.node.actor)? {
        Some((mut doc, _)) => {
            if root_str(&doc, &id, "text").ok().as_deref() == Some(text) {
                return Ok(0);
            }
            let before = doc.get_heads();
            doc.put(ROOT, "text", text).map_err(am)?;
            doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
            docstore::append(ctx.conn, &id, &mut doc, &before, &scope)?.unwrap_or_default()
        }
        None => {
            // Created deterministically (actor from the content, time 0): nodes seeded from the same
            // files hold the very same document, so sync finds nothing to merge.
            let mut doc = AutoCommit::new().with_actor(seed_actor(name, text));
            doc.put(ROOT, "kind", KIND).map_err(am)?;
            doc.put(ROOT, "name", name).map_err(am)?;
            doc.put(ROOT, "text", text).map_err(am)?;
            doc.commit_with(CommitOptions::default().with_time(0));
            docstore::insert(ctx.conn, &id, KIND, &mut doc, &scope)?
        }
    };
    *ctx.seq = (*ctx.seq).max(seq);
    if name == "org" {
        crate::projection::follow_org(ctx.conn, &ctx.node.actor)?;
    }
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

/// Removes the single users document of stores written before users were kept per unit; true
/// when there was one.
pub fn remove_legacy_users(conn: &Connection) -> Result<bool> {
    docstore::remove(conn, &doc_id("users"))
}

/// Reads one reference file's text, if present.
pub fn text(conn: &Connection, actor: &automerge::ActorId, name: &str) -> Result<Option<String>> {
    let id = doc_id(name);
    match docstore::load(conn, &id, actor)? {
        Some((doc, _)) => Ok(Some(root_str(&doc, &id, "text")?)),
        None => Ok(None),
    }
}

/// Every reference document held, as `(name, text)`, shared files first, then users by unit.
pub fn texts(conn: &Connection, actor: &automerge::ActorId) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for name in SHARED.into_iter().chain(OPTIONAL_SHARED) {
        if let Some(t) = text(conn, actor, name)? {
            out.push((name.to_owned(), t));
        }
    }
    for name in users_names(conn)? {
        if let Some(t) = text(conn, actor, &name)? {
            out.push((name, t));
        }
    }
    Ok(out)
}

/// The names of the users documents held, in order.
fn users_names(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT substr(id, 9) FROM docs WHERE kind = 'refdata' AND id LIKE 'refdata:users:%'
         ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The reference data that documents `texts` (as [`texts`] gives them) make together: None when a
/// shared file is missing, an error when they do not fit together.
pub fn assemble(
    texts: &[(String, String)],
) -> std::result::Result<Option<ReferenceData>, hotline_model::refdata::RefDataError> {
    let shared = |n: &str| texts.iter().find(|(k, _)| k == n).map(|(_, t)| t.as_str());
    let (Some(org), Some(categories), Some(calendar)) =
        (shared("org"), shared("categories"), shared("calendar"))
    else {
        return Ok(None);
    };
    let mut users = String::new();
    for (_, t) in texts.iter().filter(|(n, _)| n.starts_with(USERS_PREFIX)) {
        // Each holds `[[user]]` tables only: their concatenation is one valid file.
        users.push_str(t);
        users.push('\n');
    }
    let mut rd = ReferenceData::from_toml(org, categories, &users, calendar)?;
    if let Some(text) = shared("notices") {
        rd.notices = hotline_model::refdata::parse_notices(text)?;
    }
    if let Some(text) = shared("assessment") {
        rd.score_weights = hotline_model::refdata::parse_score_weights(text)?;
    }
    if let Some(text) = shared("quality") {
        rd.quality = hotline_model::refdata::parse_quality(text)?;
    }
    Ok(Some(rd))
}

/// Loads the reference data, if the shared files are present and valid together with the users
/// held (those of this node's subtree).
pub fn load(conn: &Connection, actor: &automerge::ActorId) -> Result<Option<ReferenceData>> {
    assemble(&texts(conn, actor)?).map_err(|e| StoreError::malformed("refdata", e.to_string()))
}
