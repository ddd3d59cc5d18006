//! Documents on disk: a compacted snapshot plus appended incremental changes, and the local change
//! sequence that numbers every change to any document (the sync feed).

use automerge::{ActorId, AutoCommit, ChangeHash};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, StoreError};

/// Incremental chunks kept before a document is compacted into a new snapshot.
pub const COMPACT_AFTER: i64 = 16;

/// Heads as stored: lower-case hex hashes joined by commas, sorted.
pub fn heads_text(heads: &[ChangeHash]) -> String {
    let mut v: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    v.sort();
    v.join(",")
}

/// Draws the next local change sequence number.
pub fn next_seq(conn: &Connection) -> Result<i64> {
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO counters(name, value) VALUES('seq', 1)
             ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(seq)
}

/// The stored facts about a document, without its content.
#[derive(Debug, Clone)]
pub struct DocRow {
    /// Document id.
    pub id: String,
    /// Its kind (`ticket`, `article`, `refdata`).
    pub kind: String,
    /// Local sequence of its latest change.
    pub seq: i64,
}

/// Loads a document (snapshot + chunks), giving it this node's actor id for new changes.
pub fn load(conn: &Connection, id: &str, actor: &ActorId) -> Result<Option<(AutoCommit, DocRow)>> {
    let row = conn
        .query_row(
            "SELECT kind, snapshot, seq FROM docs WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?;
    let Some((kind, mut bytes, seq)) = row else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT data FROM doc_chunks WHERE doc_id = ?1 ORDER BY n")?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        let chunk: Vec<u8> = r.get(0)?;
        bytes.extend_from_slice(&chunk);
    }
    let mut doc = AutoCommit::load(&bytes).map_err(|e| StoreError::automerge(id, e))?;
    doc.set_actor(actor.clone());
    Ok(Some((
        doc,
        DocRow {
            id: id.to_string(),
            kind,
            seq,
        },
    )))
}

/// Stores a new document under a fresh sequence number. New documents are small, so their snapshot
/// is saved without column compression (5x cheaper, ~20 % larger); compaction compresses later.
pub fn insert(
    conn: &Connection,
    id: &str,
    kind: &str,
    doc: &mut AutoCommit,
    scope: &str,
) -> Result<i64> {
    let snapshot = doc.save_nocompress();
    let heads = heads_text(&doc.get_heads());
    insert_saved(conn, id, kind, &snapshot, &heads, scope)
}

/// Stores a new document already saved (`snapshot`, and its `heads` as [`heads_text`]) under a fresh
/// sequence number.
pub fn insert_saved(
    conn: &Connection,
    id: &str,
    kind: &str,
    snapshot: &[u8],
    heads: &str,
    scope: &str,
) -> Result<i64> {
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "INSERT INTO docs(id, kind, snapshot, chunks, seq, heads, scope, base_seq)
         VALUES(?1, ?2, ?3, 0, ?4, ?5, ?6, ?4)",
    )?
    .execute(params![id, kind, snapshot, seq, heads, scope])?;
    Ok(seq)
}

/// Records changes made to a loaded document since `before` (its heads when loaded): appends them as a
/// chunk, or compacts the document when enough chunks have piled up. Returns the new sequence number,
/// or `None` when nothing changed.
pub fn append(
    conn: &Connection,
    id: &str,
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    scope: &str,
) -> Result<Option<i64>> {
    let heads = doc.get_heads();
    if heads.as_slice() == before {
        return Ok(None);
    }
    let seq = next_seq(conn)?;
    let heads = heads_text(&heads);
    let chunks: i64 = conn
        .prepare_cached("SELECT chunks FROM docs WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    if chunks + 1 >= COMPACT_AFTER {
        let snapshot = doc.save();
        conn.prepare_cached("DELETE FROM doc_chunks WHERE doc_id = ?1")?
            .execute([id])?;
        conn.prepare_cached(
            "UPDATE docs SET snapshot = ?2, chunks = 0, seq = ?3, heads = ?4, scope = ?5, base_seq = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, snapshot, seq, heads, scope])?;
    } else {
        let data = doc.save_after(before);
        conn.prepare_cached("INSERT INTO doc_chunks(doc_id, n, data, seq) VALUES(?1, ?2, ?3, ?4)")?
            .execute(params![id, chunks, data, seq])?;
        conn.prepare_cached(
            "UPDATE docs SET chunks = chunks + 1, seq = ?2, heads = ?3, scope = ?4 WHERE id = ?1",
        )?
        .execute(params![id, seq, heads, scope])?;
    }
    Ok(Some(seq))
}

/// The changes of a document made or received here after local sequence `since`, as stored chunks,
/// when the store can tell: the snapshot was written at or before `since` and everything later is in
/// chunks. `None` when it cannot (compacted or stored whole since then, or not held).
pub fn changes_after_seq(conn: &Connection, id: &str, since: i64) -> Result<Option<Vec<Vec<u8>>>> {
    if since <= 0 {
        // A peer starting from nothing needs whole documents (a first pull): no need to look.
        return Ok(None);
    }
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT seq, base_seq FROM docs WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((seq, base_seq)) = row else {
        return Ok(None);
    };
    if seq <= since {
        return Ok(Some(Vec::new()));
    }
    if base_seq == 0 || base_seq > since {
        return Ok(None);
    }
    let mut stmt = conn
        .prepare_cached("SELECT data FROM doc_chunks WHERE doc_id = ?1 AND seq > ?2 ORDER BY n")?;
    let rows = stmt.query_map(params![id, since], |r| r.get::<_, Vec<u8>>(0))?;
    Ok(Some(rows.collect::<Result<_, _>>()?))
}

/// Removes a document and everything projected from it.
pub fn remove(conn: &Connection, id: &str) -> Result<bool> {
    crate::projection::forget(conn, id)?;
    Ok(conn
        .prepare_cached("DELETE FROM docs WHERE id = ?1")?
        .execute([id])?
        > 0)
}
