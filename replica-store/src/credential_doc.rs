//! Staff credentials as documents, one per unit, scoped to it: a password hash travels only to the
//! nodes that serve the user's unit (as its user list does), so a town office signs its staff in
//! while cut off.
//!
//! ```text
//! ROOT { kind: "credential", unit: <code>, users: { <login>: { hash, disabled, changed_ms } } }
//! ```
//! Every node creates a unit's document the same way (actor from the unit code, time 0), so
//! documents created apart merge into one map; each login is its own entry, so a password reset
//! at the hub and a disable at a district both survive the merge.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ScalarValue};
use hotline_model::credential::Credential;
use rusqlite::Connection;

use crate::docstore;
use crate::error::Result;
use crate::unit_map_doc::{self, field};
use crate::worker::Ctx;

/// The `kind` of credential documents.
pub const KIND: &str = "credential";

/// The map of users in the document.
const USERS: &str = "users";

/// The document id of `unit`'s credentials.
pub fn doc_id(unit: &str) -> String {
    format!("{KIND}:{unit}")
}

/// Writes a user's credential (creating the unit's document when missing).
pub fn put(
    ctx: &mut Ctx<'_>,
    unit: &str,
    login: &str,
    credential: &Credential,
    now_ms: i64,
) -> Result<i64> {
    unit_map_doc::put_entry(
        ctx,
        KIND,
        USERS,
        unit,
        login,
        &[
            ("hash", ScalarValue::Str(credential.hash.as_str().into())),
            ("disabled", ScalarValue::Boolean(credential.disabled)),
            ("changed_ms", ScalarValue::Int(credential.changed_ms)),
        ],
        now_ms,
    )
}

/// Reads a credential document: its unit and its users' credentials. `Err` when it is malformed.
pub fn read(doc: &AutoCommit, id: &str) -> Result<(String, BTreeMap<String, Credential>)> {
    let (unit, entries) = unit_map_doc::entries(doc, KIND, USERS, id)?;
    let mut out = BTreeMap::new();
    for (login, fields) in entries {
        let (Some(ScalarValue::Str(hash)), Some(ScalarValue::Boolean(disabled)), Some(changed)) = (
            field(&fields, "hash"),
            field(&fields, "disabled"),
            field(&fields, "changed_ms"),
        ) else {
            // An entry that does not read is no credential: its user cannot sign in here.
            continue;
        };
        let changed_ms = match changed {
            ScalarValue::Int(i) => *i,
            ScalarValue::Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
            _ => continue,
        };
        out.insert(
            login,
            Credential {
                hash: hash.to_string(),
                disabled: *disabled,
                changed_ms,
            },
        );
    }
    Ok((unit, out))
}

/// Every credential held, by login (with the unit whose document holds it). Malformed documents are
/// skipped with a warning: their users cannot sign in here.
pub fn load_all(
    conn: &Connection,
    actor: &automerge::ActorId,
) -> Result<BTreeMap<String, (String, Credential)>> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT id FROM docs WHERE kind = ?1 ORDER BY id")?;
        let rows = stmt.query_map([KIND], |r| r.get(0))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let mut out = BTreeMap::new();
    for id in ids {
        let Some((doc, _)) = docstore::load(conn, &id, actor)? else {
            continue;
        };
        match read(&doc, &id) {
            Ok((unit, users)) => {
                for (login, c) in users {
                    out.insert(login, (unit.clone(), c));
                }
            }
            Err(e) => tracing::warn!(doc = %id, error = %e, "credential document unreadable"),
        }
    }
    Ok(out)
}
