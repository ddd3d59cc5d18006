//! Satisfaction surveys by text (短信回访) this node sent, open until the citizen answers: a
//! citizen's reply is matched to the open survey of their phone whose number extension it was
//! sent to, or else to the latest open one. Local to the node, like
//! its outbox (the node that sends a survey is the one whose gateway pushes the replies back).
//!
//! A survey is `open`, `clarifying` (the one clarification was sent), `answered` (a rating was
//! recorded), or `closed` (the order moved on without one).

use hotline_model::notify::Notice;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// Creates the table.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS surveys(
            key TEXT PRIMARY KEY,
            phone TEXT NOT NULL,
            ticket TEXT NOT NULL,
            sent_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            answered_at INTEGER,
            answer TEXT
        );
        CREATE INDEX IF NOT EXISTS surveys_open ON surveys(phone, sent_at)
            WHERE state IN ('open', 'clarifying');",
    )?;
    let has_extend: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('surveys') WHERE name = 'extend'",
        [],
        |r| r.get(0),
    )?;
    if !has_extend {
        conn.execute_batch("ALTER TABLE surveys ADD COLUMN extend TEXT")?;
    }
    Ok(())
}

/// One survey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Survey {
    /// The survey notification's key.
    pub key: String,
    /// The citizen's mobile number.
    pub phone: String,
    /// The order's number.
    pub ticket: String,
    /// When it was queued (Unix ms).
    pub sent_at: i64,
    /// `open`, `clarifying`, `answered` or `closed`.
    pub state: String,
    /// When answered.
    pub answered_at: Option<i64>,
    /// The reply that answered it.
    pub answer: Option<String>,
}

/// Opens a survey for a survey notice just queued (same transaction).
pub fn open(conn: &Connection, n: &Notice, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO surveys(key, phone, ticket, sent_at, state, extend)
         VALUES(?1, ?2, ?3, ?4, 'open', ?5)",
    )?
    .execute(params![
        n.key,
        n.to,
        n.ticket,
        now_ms,
        hotline_model::survey::extend_code(&n.key)
    ])?;
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Survey> {
    Ok(Survey {
        key: r.get(0)?,
        phone: r.get(1)?,
        ticket: r.get(2)?,
        sent_at: r.get(3)?,
        state: r.get(4)?,
        answered_at: r.get(5)?,
        answer: r.get(6)?,
    })
}

const COLUMNS: &str = "key, phone, ticket, sent_at, state, answered_at, answer";

/// The open survey of `phone` a reply answers: the one sent from the number extension the reply
/// came back to, when the gateway says and one matches; else the latest.
pub fn open_for(conn: &Connection, phone: &str, extend: Option<&str>) -> Result<Option<Survey>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM surveys WHERE phone = ?1 AND state IN ('open', 'clarifying')
             ORDER BY (extend IS NOT NULL AND extend = ?2) DESC, sent_at DESC LIMIT 1"
        ))?
        .query_row(params![phone, extend], row)
        .optional()?)
}

/// The surveys of an order, the latest first.
pub fn of_ticket(conn: &Connection, number: &str) -> Result<Vec<Survey>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM surveys WHERE ticket = ?1 ORDER BY sent_at DESC"
    ))?;
    let rows = stmt.query_map([number], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Moves a survey to `state` (`clarifying`, `answered`, `closed`), with the reply that did it.
pub fn settle(
    conn: &Connection,
    key: &str,
    state: &str,
    answer: Option<&str>,
    at: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE surveys SET state = ?2, answer = COALESCE(?3, answer),
                 answered_at = CASE WHEN ?2 = 'answered' THEN ?4 ELSE answered_at END
             WHERE key = ?1 AND state IN ('open', 'clarifying')",
        )?
        .execute(params![key, state, answer, at])?;
    Ok(n > 0)
}
