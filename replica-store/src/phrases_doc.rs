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

use automerge::{AutoCommit, ScalarValue};
use rusqlite::Connection;

use crate::docstore;
use crate::error::Result;
use crate::unit_map_doc::{self, field};
use crate::worker::Ctx;

/// The `kind` of phrase documents.
pub const KIND: &str = "phrases";

/// The map of templates in the document.
const ITEMS: &str = "items";

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

/// Adds a template (`removed = false`) or removes one (`removed = true`).
pub fn put(
    ctx: &mut Ctx<'_>,
    unit: &str,
    phrase: &Phrase,
    removed: bool,
    now_ms: i64,
) -> Result<i64> {
    unit_map_doc::put_entry(
        ctx,
        KIND,
        ITEMS,
        unit,
        &phrase.id,
        &[
            ("action", ScalarValue::Str(phrase.action.as_str().into())),
            ("text", ScalarValue::Str(phrase.text.as_str().into())),
            ("removed", ScalarValue::Boolean(removed)),
        ],
        now_ms,
    )
}

/// Reads a phrase document: its unit and its live templates, in id order. `Err` when malformed.
pub fn read(doc: &AutoCommit, id: &str) -> Result<(String, Vec<Phrase>)> {
    let (unit, entries) = unit_map_doc::entries(doc, KIND, ITEMS, id)?;
    let out = entries
        .into_iter()
        .filter_map(|(key, fields)| {
            match (
                field(&fields, "action"),
                field(&fields, "text"),
                field(&fields, "removed"),
            ) {
                (
                    Some(ScalarValue::Str(action)),
                    Some(ScalarValue::Str(text)),
                    Some(ScalarValue::Boolean(false)),
                ) => Some(Phrase {
                    id: key,
                    action: action.to_string(),
                    text: text.to_string(),
                }),
                _ => None,
            }
        })
        .collect();
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
