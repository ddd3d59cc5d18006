//! The node's outbox: notifications written in the same transaction as the event that causes them,
//! then delivered by the node's sender with retries, and every attempt logged.
//!
//! Local to the node (never synced): the node that records an event is the one that sends what it
//! causes. A notification is `pending` until delivered (`sent`) or given up after
//! [`hotline_model::notify::MAX_ATTEMPTS`] (`dead`, visible to administrators, who may retry it).
//! The sender records an attempt only after trying it, so a notification in flight when the node
//! dies is tried again at restart (sent twice at worst); nothing else is. A citizen's text is not
//! kept once delivered (it carries the query code).

use hotline_model::notify::{Medium, Notice, retry_delay};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// Creates the outbox tables.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS outbox(
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            medium TEXT NOT NULL,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            ticket TEXT NOT NULL,
            urgent INTEGER NOT NULL,
            citizen INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            last_error TEXT,
            sent_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_at, id) WHERE state = 'pending';
        CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox(state, id);
        CREATE TABLE IF NOT EXISTS outbox_attempts(
            outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            ok INTEGER NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS outbox_attempts_of ON outbox_attempts(outbox_id, at);",
    )?;
    Ok(())
}

/// One notification in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Outgoing {
    /// Row id.
    pub id: i64,
    /// Unique per event, medium and recipient.
    pub key: String,
    /// `sms` or `email`.
    pub medium: Medium,
    /// A mobile number or an e-mail address.
    pub recipient: String,
    /// E-mail subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// The order's number.
    pub ticket: String,
    /// Sent in the quiet hours too.
    pub urgent: bool,
    /// Addressed to a citizen.
    pub citizen: bool,
    /// When queued (Unix ms).
    pub created_at: i64,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it may be tried next (Unix ms).
    pub next_at: i64,
    /// What the last failed attempt said.
    pub last_error: Option<String>,
    /// When delivered (Unix ms).
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, key, medium, recipient, subject, body, ticket, urgent, citizen, \
                       created_at, state, attempts, next_at, last_error, sent_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Outgoing> {
    let medium: String = r.get(2)?;
    Ok(Outgoing {
        id: r.get(0)?,
        key: r.get(1)?,
        medium: Medium::parse(&medium).unwrap_or(Medium::Sms),
        recipient: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
        ticket: r.get(6)?,
        urgent: r.get(7)?,
        citizen: r.get(8)?,
        created_at: r.get(9)?,
        state: r.get(10)?,
        attempts: r.get(11)?,
        next_at: r.get(12)?,
        last_error: r.get(13)?,
        sent_at: r.get(14)?,
    })
}

/// Queues `notices` (each once: a key already queued is skipped); returns how many were new.
pub fn enqueue(conn: &Connection, notices: &[Notice], now_ms: i64) -> Result<usize> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO outbox(key, medium, recipient, subject, body, ticket, urgent,
                                      citizen, created_at, state, next_at)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10)",
    )?;
    let mut added = 0;
    for n in notices {
        if n.survey {
            crate::surveys::open(conn, n, now_ms)?;
        }
        added += insert.execute(params![
            n.key,
            n.medium.as_str(),
            n.to,
            n.subject,
            n.body,
            n.ticket,
            n.urgent,
            n.citizen,
            now_ms,
            if n.urgent { now_ms } else { n.not_before },
        ])?;
    }
    Ok(added)
}

/// Up to `limit` pending notifications due at `now_ms`, the longest waiting first.
pub fn due(conn: &Connection, now_ms: i64, limit: u32) -> Result<Vec<Outgoing>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE state = 'pending' AND next_at <= ?1
         ORDER BY next_at, id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![now_ms, limit], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next pending notification falls due, if any.
pub fn next_due(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT next_at FROM outbox WHERE state = 'pending' ORDER BY next_at, id LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// What stays of a citizen's text once delivered.
pub const SENT_TO_CITIZEN: &str = "（已送达；为保护市民信息，短信内容发送后不再保存）";

/// What a delivery attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; what the gateway or server answered.
    Sent(String),
    /// Not delivered; try again later unless `permanent` (a refusal retrying cannot change).
    Failed {
        /// What went wrong.
        error: String,
        /// No use retrying.
        permanent: bool,
    },
}

/// Records an attempt at notification `id` and its consequence: sent, retried later (backing
/// off), or dead. Returns the new state.
pub fn record(conn: &Connection, id: i64, now_ms: i64, outcome: &Outcome) -> Result<String> {
    let attempts: u32 = conn
        .prepare_cached("SELECT attempts FROM outbox WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let attempts = attempts + 1;
    let (ok, detail) = match outcome {
        Outcome::Sent(d) => (true, d.as_str()),
        Outcome::Failed { error, .. } => (false, error.as_str()),
    };
    conn.prepare_cached(
        "INSERT INTO outbox_attempts(outbox_id, at, ok, detail) VALUES(?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, now_ms, ok, detail])?;
    let state = match outcome {
        Outcome::Sent(_) => {
            // A citizen's text carries their query code: once delivered, it is not kept.
            conn.prepare_cached(
                "UPDATE outbox SET state = 'sent', attempts = ?2, sent_at = ?3,
                     body = CASE WHEN citizen THEN ?4 ELSE body END
                 WHERE id = ?1",
            )?
            .execute(params![id, attempts, now_ms, SENT_TO_CITIZEN])?;
            "sent"
        }
        Outcome::Failed { error, permanent } => {
            let next = if *permanent {
                None
            } else {
                retry_delay(attempts)
            };
            let state = if next.is_some() { "pending" } else { "dead" };
            conn.prepare_cached(
                "UPDATE outbox SET state = ?2, attempts = ?3, next_at = ?4, last_error = ?5
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                state,
                attempts,
                now_ms + next.unwrap_or(0),
                error
            ])?;
            state
        }
    };
    Ok(state.to_owned())
}

/// Puts a dead notification back in the queue, due now (an administrator's retry). `false` when
/// it is not dead.
pub fn retry(conn: &Connection, id: i64, now_ms: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', next_at = ?2, attempts = 0
             WHERE id = ?1 AND state = 'dead'",
        )?
        .execute(params![id, now_ms])?
        == 1)
}

/// A page of the outbox, newest first: in `state` (all when `None`), with ids below `before`.
pub fn list(
    conn: &Connection,
    state: Option<&str>,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Outgoing>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE (?1 IS NULL OR state = ?1) AND id < ?2 ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![state, before.unwrap_or(i64::MAX), limit], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One logged delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Attempt {
    /// When (Unix ms).
    pub at: i64,
    /// Delivered.
    pub ok: bool,
    /// What the gateway or server said.
    pub detail: String,
}

/// The attempts at notification `id`, oldest first.
pub fn attempts(conn: &Connection, id: i64) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, ok, detail FROM outbox_attempts WHERE outbox_id = ?1 ORDER BY at, rowid",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(Attempt {
            at: r.get(0)?,
            ok: r.get(1)?,
            detail: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many notifications are pending, sent and dead.
pub fn counts(conn: &Connection) -> Result<(i64, i64, i64)> {
    let count = |state: &str| -> Result<i64> {
        Ok(conn
            .prepare_cached("SELECT COUNT(*) FROM outbox WHERE state = ?1")?
            .query_row([state], |r| r.get(0))?)
    };
    Ok((count("pending")?, count("sent")?, count("dead")?))
}
