//! A unit's text templates (常用语) for replies, returns and notes, as one document per unit,
//! scoped to it like its user list: the unit's own staff keep them at any node that serves the
//! unit, offline too, and they merge like any document.
//!
//! ```text
//! ROOT { kind: "phrases", unit: <code>, items: { <id>: { action, text, removed } } }
//! ```
//! Created the same way at every node (actor from the unit code, time 0), so documents created apart
//! merge into one map. A removed template keeps its entry, marked, so a removal made offline is
//! not undone by an older copy.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value, ValueRef};
use rusqlite::Connection;

use crate::docstore;
use crate::error::{Result, StoreError};
use crate::ticket_doc::root_str;
use crate::worker::Ctx;

/// The `kind` of phrase documents.
pub const KIND: &str = "phrases";

/// One template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    /// Its id.
    pub id: String,
    /// The workflow action it is for (`reply`, `return`, …).
    pub action: String,
    /// The text.
    pub text: String,
}

/// The document id of `unit`'s templates.
pub fn doc_id(unit: &str) -> String {
    format!("{KIND}:{unit}")
}

fn unit_ok(unit: &str) -> bool {
    !unit.is_empty() && !unit.contains([',', '*'])
}

fn new_doc(unit: &str, id: &str) -> Result<AutoCommit> {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("hotline-phrases\0{unit}").as_bytes());
    let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(&d[..16]));
    let am = |e| StoreError::automerge(id, e);
    doc.put(ROOT, "kind", KIND).map_err(am)?;
    doc.put(ROOT, "unit", unit).map_err(am)?;
    doc.put_object(ROOT, "items", ObjType::Map).map_err(am)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Adds a template (`removed = false`) or removes one (`removed = true`).
pub fn put(
    ctx: &mut Ctx<'_>,
    unit: &str,
    phrase: &Phrase,
    removed: bool,
    now_ms: i64,
) -> Result<i64> {
    let id = doc_id(unit);
    if !unit_ok(unit) {
        return Err(StoreError::malformed(&id, "not a unit code"));
    }
    let am = |e| StoreError::automerge(&id, e);
    let (mut doc, held) = match docstore::load(ctx.conn, &id, &ctx.node.actor)? {
        Some((doc, _)) => (doc, true),
        None => {
            let mut d = new_doc(unit, &id)?;
            d.set_actor(ctx.node.actor.clone());
            (d, false)
        }
    };
    let before = if held { doc.get_heads() } else { Vec::new() };
    let items = match doc.get(ROOT, "items").map_err(am)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => return Err(StoreError::malformed(&id, "items is not a map")),
    };
    let entry = doc
        .put_object(&items, phrase.id.as_str(), ObjType::Map)
        .map_err(am)?;
    doc.put(&entry, "action", phrase.action.as_str())
        .map_err(am)?;
    doc.put(&entry, "text", phrase.text.as_str()).map_err(am)?;
    doc.put(&entry, "removed", removed).map_err(am)?;
    doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
    let seq = if held {
        docstore::append(ctx.conn, &id, &mut doc, &before, unit)?.unwrap_or_default()
    } else {
        docstore::insert(ctx.conn, &id, KIND, &mut doc, unit)?
    };
    *ctx.seq = (*ctx.seq).max(seq);
    Ok(seq)
}

/// Reads a phrase document: its unit and its live templates, in id order. `Err` when malformed.
pub fn read(doc: &AutoCommit, id: &str) -> Result<(String, Vec<Phrase>)> {
    let unit = root_str(doc, id, "unit")?;
    if id != doc_id(&unit) || !unit_ok(&unit) {
        return Err(StoreError::malformed(id, format!("names unit {unit}")));
    }
    let items = match doc.get(ROOT, "items") {
        Ok(Some((Value::Object(ObjType::Map), obj))) => obj,
        Ok(_) => return Err(StoreError::malformed(id, "items is not a map")),
        Err(e) => return Err(StoreError::automerge(id, e)),
    };
    let mut out = Vec::new();
    for item in doc.map_range(&items, ..) {
        let entry = match item.value {
            ValueRef::Object(ObjType::Map) => item.id(),
            _ => continue,
        };
        let scalar = |key: &str| match doc.get(&entry, key) {
            Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
            _ => None,
        };
        if let (Some(ScalarValue::Str(action)), Some(ScalarValue::Str(text)), Some(removed)) =
            (scalar("action"), scalar("text"), scalar("removed"))
            && removed != ScalarValue::Boolean(true)
        {
            out.push(Phrase {
                id: item.key.to_string(),
                action: action.to_string(),
                text: text.to_string(),
            });
        }
    }
    Ok((unit, out))
}

/// The live templates of `unit`, if this node holds its document.
pub fn load(conn: &Connection, actor: &automerge::ActorId, unit: &str) -> Result<Vec<Phrase>> {
    let id = doc_id(unit);
    match docstore::load(conn, &id, actor)? {
        Some((doc, _)) => Ok(read(&doc, &id)?.1),
        None => Ok(Vec::new()),
    }
}
