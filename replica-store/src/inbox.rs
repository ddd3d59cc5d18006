//! Units' inboxes (站内消息): the items `hotline_model::inbox::inbox_items` derives from each order's
//! history, projected with the order (so rebuilt with it, and removed with it), and each user's
//! read marks, local to the node: everything a user marked, and a watermark for "mark all read".
//! Unread counts look back at most [`UNREAD_WINDOW_MS`], so they cost a bounded walk.

use hotline_model::inbox::InboxItem;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// How far back an item still counts as unread (30 days).
pub const UNREAD_WINDOW_MS: i64 = 30 * 86_400_000;

/// Creates the tables.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS inbox(
            unit TEXT NOT NULL,
            event_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
            what TEXT NOT NULL,
            urgent INTEGER NOT NULL,
            PRIMARY KEY(unit, event_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS inbox_by_at ON inbox(unit, at, event_id);
        CREATE INDEX IF NOT EXISTS inbox_of_ticket ON inbox(ticket_id);
        CREATE TABLE IF NOT EXISTS inbox_read(
            login TEXT NOT NULL,
            unit TEXT NOT NULL,
            event_id TEXT NOT NULL,
            PRIMARY KEY(login, unit, event_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS inbox_seen(
            login TEXT NOT NULL,
            unit TEXT NOT NULL,
            upto INTEGER NOT NULL,
            PRIMARY KEY(login, unit)
        ) WITHOUT ROWID;",
    )?;
    Ok(())
}

/// Writes an order's items (those already there stay as they are).
pub fn project(conn: &Connection, ticket_id: &str, items: &[InboxItem]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO inbox(unit, event_id, at, ticket_id, what, urgent)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for i in items {
        stmt.execute(params![
            i.unit, i.event_id, i.at, ticket_id, i.what, i.urgent
        ])?;
    }
    Ok(())
}

/// One item as a user sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Entry {
    /// The event.
    pub event_id: String,
    /// When (Unix ms).
    pub at: i64,
    /// What happened.
    pub what: String,
    /// Calls for action now.
    pub urgent: bool,
    /// The order's number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// Its status code.
    pub status: String,
    /// Whether this user read it.
    pub read: bool,
}

fn seen_upto(conn: &Connection, login: &str, unit: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT upto FROM inbox_seen WHERE login = ?1 AND unit = ?2")?
        .query_row([login, unit], |r| r.get(0))
        .optional()?
        .unwrap_or(i64::MIN))
}

/// A page of `unit`'s inbox for `login`, newest first, before the cursor `(at, event_id)`.
pub fn page(
    conn: &Connection,
    unit: &str,
    login: &str,
    before: Option<(i64, String)>,
    limit: u32,
) -> Result<Vec<Entry>> {
    let upto = seen_upto(conn, login, unit)?;
    let (at, id) = before.unwrap_or((i64::MAX, String::new()));
    let mut stmt = conn.prepare_cached(
        "SELECT i.event_id, i.at, i.what, i.urgent, t.number, t.title, t.status,
                i.at <= ?3 OR EXISTS(SELECT 1 FROM inbox_read r
                                     WHERE r.login = ?2 AND r.unit = ?1 AND r.event_id = i.event_id)
         FROM inbox i JOIN tickets t ON t.id = i.ticket_id
         WHERE i.unit = ?1 AND (i.at < ?4 OR (i.at = ?4 AND ?5 <> '' AND i.event_id < ?5))
         ORDER BY i.at DESC, i.event_id DESC LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![unit, login, upto, at, id, limit.clamp(1, 200)],
        |r| {
            Ok(Entry {
                event_id: r.get(0)?,
                at: r.get(1)?,
                what: r.get(2)?,
                urgent: r.get(3)?,
                number: r.get(4)?,
                title: r.get(5)?,
                status: r.get(6)?,
                read: r.get(7)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many of `unit`'s items of the last [`UNREAD_WINDOW_MS`] before `now_ms` `login` has not
/// read.
pub fn unread(conn: &Connection, unit: &str, login: &str, now_ms: i64) -> Result<i64> {
    let from = seen_upto(conn, login, unit)?.max(now_ms - UNREAD_WINDOW_MS);
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM inbox i WHERE i.unit = ?1 AND i.at > ?3
               AND NOT EXISTS(SELECT 1 FROM inbox_read r
                              WHERE r.login = ?2 AND r.unit = ?1 AND r.event_id = i.event_id)",
        )?
        .query_row(params![unit, login, from], |r| r.get(0))?)
}

/// Marks items read.
pub fn mark_read(conn: &Connection, unit: &str, login: &str, event_ids: &[String]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO inbox_read(login, unit, event_id) VALUES(?1, ?2, ?3)",
    )?;
    for id in event_ids {
        stmt.execute(params![login, unit, id])?;
    }
    Ok(())
}

/// Marks everything up to `upto` read (its individual marks are then of no use and dropped).
pub fn mark_all(conn: &Connection, unit: &str, login: &str, upto: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO inbox_seen(login, unit, upto) VALUES(?1, ?2, ?3)
         ON CONFLICT(login, unit) DO UPDATE SET upto = max(upto, ?3)",
    )?
    .execute(params![login, unit, upto])?;
    conn.prepare_cached(
        "DELETE FROM inbox_read WHERE login = ?1 AND unit = ?2
           AND event_id IN (SELECT event_id FROM inbox WHERE unit = ?2 AND at <= ?3)",
    )?
    .execute(params![login, unit, upto])?;
    Ok(())
}
