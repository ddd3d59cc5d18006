//! Which orders name which blobs (`ticket_files`): the citizens' photos of the intake and the
//! files named later (recordings, units' photos and documents), projected with each order. It
//! answers "may this blob be served for this order" for the pages and for a child node's fetch,
//! and finds the files whose retention ended. Also the recordings the telephony delivered, per
//! call id (`call_recordings`, local like the call records).

use hotline_model::file::FileKind;
use hotline_model::intake::Attachment;
use hotline_model::ticket::TicketView;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Creates the tables.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS ticket_files(
            sha256 TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            removed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(sha256, ticket_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ticket_files_by_age ON ticket_files(kind, removed, added_at);
        CREATE TABLE IF NOT EXISTS blob_uploads(
            sha256 TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            queued_at INTEGER NOT NULL,
            PRIMARY KEY(sha256, doc_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS call_recordings(
            call_id TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            received_at INTEGER NOT NULL
        ) WITHOUT ROWID;",
    )?;
    Ok(())
}

/// Writes the rows of one order's files (nothing for the many orders without any).
pub fn project(conn: &Connection, view: &TicketView) -> Result<()> {
    if view.files.is_empty() && view.intake.attachments.is_empty() {
        return Ok(());
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO ticket_files(sha256, ticket_id, kind, added_at, removed) VALUES(?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(sha256, ticket_id) DO UPDATE SET kind = ?3, added_at = ?4, removed = ?5",
    )?;
    let registered = view.state.created_at.unwrap_or(0);
    for a in &view.intake.attachments {
        let kind = hotline_model::file::kind_of_type(&a.media_type);
        upsert.execute(params![a.sha256, view.id, kind.as_str(), registered, false])?;
    }
    for f in &view.files {
        upsert.execute(params![
            f.file.sha256,
            view.id,
            f.kind.as_str(),
            f.added_at,
            f.removed.is_some()
        ])?;
    }
    Ok(())
}

/// Clears the projection (before a rebuild).
pub fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM ticket_files")?;
    Ok(())
}

/// A blob as one order names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// What it is.
    pub kind: FileKind,
    /// Whether its retention ended and it was removed.
    pub removed: bool,
}

/// Whether order `ticket_id` names blob `sha256`, and how.
pub fn named(conn: &Connection, ticket_id: &str, sha256: &str) -> Result<Option<Named>> {
    Ok(conn
        .prepare_cached(
            "SELECT kind, removed FROM ticket_files WHERE sha256 = ?1 AND ticket_id = ?2",
        )?
        .query_row([sha256, ticket_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
        })
        .optional()?
        .map(|(kind, removed)| Named {
            kind: FileKind::parse(&kind).unwrap_or(FileKind::Photo),
            removed,
        }))
}

/// Files of `kind` still kept that were added before `before` (their retention ended), oldest
/// first, as (ticket id, hash).
pub fn expired(
    conn: &Connection,
    kind: FileKind,
    before: i64,
    limit: u32,
) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ticket_id, sha256 FROM ticket_files
         WHERE kind = ?1 AND removed = 0 AND added_at < ?2 ORDER BY added_at LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![kind.as_str(), before, limit], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removed blobs of `kind` that no order still keeps, after hash `after` (a sweep's position),
/// for deleting this node's copies.
pub fn removed(conn: &Connection, kind: FileKind, after: &str, limit: u32) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT f.sha256 FROM ticket_files f
         WHERE f.kind = ?1 AND f.removed = 1 AND f.sha256 > ?2
           AND NOT EXISTS (SELECT 1 FROM ticket_files k WHERE k.sha256 = f.sha256 AND k.removed = 0)
         ORDER BY f.sha256 LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![kind.as_str(), after, limit], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Queues a file named here to be put to the parent node (in the transaction that names it).
pub fn queue_upload(conn: &Connection, sha256: &str, doc_id: &str, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO blob_uploads(sha256, doc_id, queued_at) VALUES(?1, ?2, ?3)",
    )?
    .execute(params![sha256, doc_id, now_ms])?;
    Ok(())
}

/// Files waiting to be put to the parent, oldest first, as (hash, order id).
pub fn pending_uploads(conn: &Connection, limit: u32) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, doc_id FROM blob_uploads ORDER BY queued_at, sha256 LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A file the parent kept (or refused for good): no longer waiting.
pub fn upload_done(conn: &Connection, sha256: &str, doc_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM blob_uploads WHERE sha256 = ?1 AND doc_id = ?2")?
        .execute([sha256, doc_id])?;
    Ok(())
}

/// Keeps the recording the telephony delivered for a call; `false` when it had one already.
pub fn record_recording(
    conn: &Connection,
    call_id: &str,
    file: &Attachment,
    now_ms: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO call_recordings(call_id, sha256, media_type, size, received_at)
             VALUES(?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            call_id,
            file.sha256,
            file.media_type,
            i64::try_from(file.size).unwrap_or(i64::MAX),
            now_ms
        ])?;
    Ok(n == 1)
}

/// The recording of a call, if the telephony delivered one: (hash, media type, size, received at).
pub fn recording_of(
    conn: &Connection,
    call_id: &str,
) -> Result<Option<(String, String, u64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT sha256, media_type, size, received_at FROM call_recordings WHERE call_id = ?1",
        )?
        .query_row([call_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)?.max(0) as u64,
                r.get(3)?,
            ))
        })
        .optional()?)
}
