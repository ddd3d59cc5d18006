//! Purges waiting on child nodes: a document leaving this node's scope is purged only once every
//! child that could hold it acknowledged; these helpers show who is awaited and forget children
//! that are no longer configured (a town office closed down), so their purges do not wait forever.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, params};

fn split(waiting: &str) -> impl Iterator<Item = &str> {
    waiting.split(',').filter(|s| !s.is_empty())
}

/// How many leaving documents each child node is still awaited for.
pub fn waiting_by_child(conn: &Connection) -> rusqlite::Result<BTreeMap<String, u64>> {
    let mut stmt =
        conn.prepare_cached("SELECT waiting FROM sync_docs WHERE leaving = 1 AND waiting != ''")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = BTreeMap::new();
    for row in rows {
        for child in split(&row?) {
            *out.entry(child.to_owned()).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// Stops waiting for nodes that are not among `children` any more; returns how many documents
/// waited for one of them.
pub fn forget_children(conn: &Connection, children: &BTreeSet<String>) -> rusqlite::Result<usize> {
    let rows: Vec<(String, String)> = {
        let mut stmt =
            conn.prepare_cached("SELECT id, waiting FROM sync_docs WHERE waiting != ''")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut changed = 0;
    for (id, waiting) in rows {
        let kept: Vec<&str> = split(&waiting).filter(|c| children.contains(*c)).collect();
        if kept.len() != split(&waiting).count() {
            conn.prepare_cached("UPDATE sync_docs SET waiting = ?2 WHERE id = ?1")?
                .execute(params![id, kept.join(",")])?;
            changed += 1;
        }
    }
    Ok(changed)
}
