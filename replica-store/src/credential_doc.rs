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

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use hotline_model::credential::Credential;
use rusqlite::Connection;

use crate::docstore;
use crate::error::{Result, StoreError};
use crate::ticket_doc::root_str;
use crate::worker::Ctx;

/// The `kind` of credential documents.
pub const KIND: &str = "credential";

/// The document id of `unit`'s credentials.
pub fn doc_id(unit: &str) -> String {
    format!("{KIND}:{unit}")
}

/// The unit a credential document id names, if well-formed.
pub fn unit_of(doc_id: &str) -> Option<&str> {
    doc_id
        .strip_prefix("credential:")
        .filter(|u| !u.is_empty() && !u.contains([',', '*']))
}

fn new_doc(unit: &str, id: &str) -> Result<AutoCommit> {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("hotline-credential\0{unit}").as_bytes());
    let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(&d[..16]));
    let am = |e| StoreError::automerge(id, e);
    doc.put(ROOT, "kind", KIND).map_err(am)?;
    doc.put(ROOT, "unit", unit).map_err(am)?;
    doc.put_object(ROOT, "users", ObjType::Map).map_err(am)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Writes a user's credential (creating the unit's document when missing).
pub fn put(
    ctx: &mut Ctx<'_>,
    unit: &str,
    login: &str,
    credential: &Credential,
    now_ms: i64,
) -> Result<i64> {
    let id = doc_id(unit);
    if unit_of(&id).is_none() {
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
    let users = match doc.get(ROOT, "users").map_err(am)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => return Err(StoreError::malformed(&id, "users is not a map")),
    };
    let entry = doc.put_object(&users, login, ObjType::Map).map_err(am)?;
    doc.put(&entry, "hash", credential.hash.as_str())
        .map_err(am)?;
    doc.put(&entry, "disabled", credential.disabled)
        .map_err(am)?;
    doc.put(&entry, "changed_ms", credential.changed_ms)
        .map_err(am)?;
    doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
    let seq = if held {
        docstore::append(ctx.conn, &id, &mut doc, &before, unit)?.unwrap_or_default()
    } else {
        docstore::insert(ctx.conn, &id, KIND, &mut doc, unit)?
    };
    *ctx.seq = (*ctx.seq).max(seq);
    Ok(seq)
}

/// Reads a credential document: its unit and its users' credentials. `Err` when it is malformed.
pub fn read(doc: &AutoCommit, id: &str) -> Result<(String, BTreeMap<String, Credential>)> {
    let unit = root_str(doc, id, "unit")?;
    if unit_of(id) != Some(unit.as_str()) {
        return Err(StoreError::malformed(id, format!("names unit {unit}")));
    }
    let users = match doc.get(ROOT, "users") {
        Ok(Some((Value::Object(ObjType::Map), obj))) => obj,
        Ok(_) => return Err(StoreError::malformed(id, "users is not a map")),
        Err(e) => return Err(StoreError::automerge(id, e)),
    };
    let mut out = BTreeMap::new();
    for item in doc.map_range(&users, ..) {
        let entry = match item.value {
            automerge::ValueRef::Object(ObjType::Map) => item.id(),
            _ => continue,
        };
        let scalar = |key: &str| match doc.get(&entry, key) {
            Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
            _ => None,
        };
        let (Some(ScalarValue::Str(hash)), Some(ScalarValue::Boolean(disabled)), Some(changed)) =
            (scalar("hash"), scalar("disabled"), scalar("changed_ms"))
        else {
            // An entry that does not read is no credential: its user cannot sign in here.
            continue;
        };
        let changed_ms = match changed {
            ScalarValue::Int(i) => i,
            ScalarValue::Uint(u) => i64::try_from(u).unwrap_or(i64::MAX),
            _ => continue,
        };
        out.insert(
            item.key.to_string(),
            Credential {
                hash: hash.to_string(),
                disabled,
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
