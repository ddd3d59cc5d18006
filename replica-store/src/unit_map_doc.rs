//! What per-unit map documents share (credentials, text templates): one document per unit, scoped
//! to it, created the same way at every node (actor from the kind and unit code, time 0) so that
//! documents created apart merge into one map, with one entry (a map of scalars) per key.
//!
//! ```text
//! ROOT { kind: <kind>, unit: <code>, <map>: { <key>: { <field>: <scalar>, … } } }
//! ```

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, ValueRef};

use crate::docstore;
use crate::error::{Result, StoreError};
use crate::ticket_doc::root_str;
use crate::worker::Ctx;

/// Whether `unit` can name a unit's document (and its scope).
pub fn unit_ok(unit: &str) -> bool {
    !unit.is_empty() && !unit.contains([',', '*'])
}

fn new_doc(kind: &str, map: &str, unit: &str, id: &str) -> Result<AutoCommit> {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("hotline-{kind}\0{unit}").as_bytes());
    let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(&d[..16]));
    let am = |e| StoreError::automerge(id, e);
    doc.put(ROOT, "kind", kind).map_err(am)?;
    doc.put(ROOT, "unit", unit).map_err(am)?;
    doc.put_object(ROOT, map, ObjType::Map).map_err(am)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Writes one entry (`fields` replace the entry's) of `unit`'s document `<kind>:<unit>`, creating
/// the document when missing; returns the change's sequence number.
pub fn put_entry(
    ctx: &mut Ctx<'_>,
    kind: &str,
    map: &str,
    unit: &str,
    key: &str,
    fields: &[(&str, ScalarValue)],
    now_ms: i64,
) -> Result<i64> {
    let id = format!("{kind}:{unit}");
    if !unit_ok(unit) {
        return Err(StoreError::malformed(&id, "not a unit code"));
    }
    let am = |e| StoreError::automerge(&id, e);
    let (mut doc, held) = match docstore::load(ctx.conn, &id, &ctx.node.actor)? {
        Some((doc, _)) => (doc, true),
        None => {
            let mut d = new_doc(kind, map, unit, &id)?;
            d.set_actor(ctx.node.actor.clone());
            (d, false)
        }
    };
    let before = if held { doc.get_heads() } else { Vec::new() };
    let obj = match doc.get(ROOT, map).map_err(am)? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => return Err(StoreError::malformed(&id, format!("{map} is not a map"))),
    };
    let entry = doc.put_object(&obj, key, ObjType::Map).map_err(am)?;
    for (name, value) in fields {
        doc.put(&entry, *name, value.clone()).map_err(am)?;
    }
    doc.commit_with(CommitOptions::default().with_time(now_ms / 1000));
    let seq = if held {
        docstore::append(ctx.conn, &id, &mut doc, &before, unit)?.unwrap_or_default()
    } else {
        docstore::insert(ctx.conn, &id, kind, &mut doc, unit)?
    };
    *ctx.seq = (*ctx.seq).max(seq);
    Ok(seq)
}

/// One entry of a unit's map: its key and its fields.
pub type Entry = (String, Vec<(String, ScalarValue)>);

/// Reads a unit's document: its unit (checked against the id `<kind>:<unit>`) and its entries
/// as `(key, field → scalar)`, in key order. `Err` when malformed.
pub fn entries(doc: &AutoCommit, kind: &str, map: &str, id: &str) -> Result<(String, Vec<Entry>)> {
    let unit = root_str(doc, id, "unit")?;
    if id != format!("{kind}:{unit}") || !unit_ok(&unit) {
        return Err(StoreError::malformed(id, format!("names unit {unit}")));
    }
    let obj = match doc.get(ROOT, map) {
        Ok(Some((Value::Object(ObjType::Map), obj))) => obj,
        Ok(_) => return Err(StoreError::malformed(id, format!("{map} is not a map"))),
        Err(e) => return Err(StoreError::automerge(id, e)),
    };
    let mut out = Vec::new();
    for item in doc.map_range(&obj, ..) {
        let entry: ObjId = match item.value {
            ValueRef::Object(ObjType::Map) => item.id(),
            _ => continue,
        };
        let fields = doc
            .map_range(&entry, ..)
            .filter_map(|f| match f.value {
                ValueRef::Scalar(s) => Some((f.key.to_string(), s.into())),
                _ => None,
            })
            .collect();
        out.push((item.key.to_string(), fields));
    }
    Ok((unit, out))
}

/// A field of an entry, if present.
pub fn field<'a>(fields: &'a [(String, ScalarValue)], name: &str) -> Option<&'a ScalarValue> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}
