//! Messages citizens sent to the hotline (texts, e-mails, WeChat messages), local to the node whose
//! gateway delivered them: a reply to a satisfaction survey is settled at once; anything else is an
//! **intake draft** in the operators' queue until an operator registers it as an order, answers it
//! or sets it aside. Nothing here ever becomes an order by itself.
//!
//! Each message is kept once per channel and the channel's own id (an SMS gateway's sequence id,
//! WeChat's `MsgId`, an e-mail's `Message-ID`): gateways retry, and a retry changes nothing.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// Creates the table.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS inbound(
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            external_id TEXT NOT NULL,
            sender TEXT NOT NULL,
            subject TEXT NOT NULL,
            content TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            ticket TEXT,
            handled_by TEXT,
            handled_at INTEGER,
            answer TEXT,
            UNIQUE(channel, external_id)
        );
        CREATE INDEX IF NOT EXISTS inbound_by_state ON inbound(state, id);",
    )?;
    Ok(())
}

/// A message as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// `sms`, `email` or `wechat`.
    pub channel: String,
    /// The channel's own id of the message (dedupe key).
    pub external_id: String,
    /// Who sent it: a phone number, an e-mail address, a WeChat OpenID.
    pub sender: String,
    /// An e-mail's subject (otherwise empty).
    pub subject: String,
    /// The text.
    pub content: String,
    /// When it arrived (Unix ms).
    pub received_at: i64,
    /// A text's number extension (扩展码), when the gateway pushed one: which survey it answers.
    pub extend: Option<String>,
}

/// A kept message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Message {
    /// Row id.
    pub id: i64,
    /// `sms`, `email` or `wechat`.
    pub channel: String,
    /// The sender.
    pub sender: String,
    /// An e-mail's subject.
    pub subject: String,
    /// The text.
    pub content: String,
    /// When it arrived (Unix ms).
    pub received_at: i64,
    /// `new` (a draft waiting for an operator), `survey` (a survey answer, settled), `registered`
    /// (became an order), `answered` (an operator replied) or `dismissed` (set aside).
    pub state: String,
    /// The order it answered (a survey) or became.
    pub ticket: Option<String>,
    /// The operator who handled it.
    pub handled_by: Option<String>,
    /// When.
    pub handled_at: Option<i64>,
    /// The operator's answer, or why it was set aside.
    pub answer: Option<String>,
}

const COLUMNS: &str = "id, channel, sender, subject, content, received_at, state, ticket,
                       handled_by, handled_at, answer";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(0)?,
        channel: r.get(1)?,
        sender: r.get(2)?,
        subject: r.get(3)?,
        content: r.get(4)?,
        received_at: r.get(5)?,
        state: r.get(6)?,
        ticket: r.get(7)?,
        handled_by: r.get(8)?,
        handled_at: r.get(9)?,
        answer: r.get(10)?,
    })
}

/// Keeps a message in `state` (`new` or `survey`, with the survey's order); `None` when the
/// channel delivered it before.
pub fn insert(
    conn: &Connection,
    m: &Received,
    state: &str,
    ticket: Option<&str>,
) -> Result<Option<i64>> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO inbound(channel, external_id, sender, subject, content,
                                           received_at, state, ticket)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            m.channel,
            m.external_id,
            m.sender,
            m.subject,
            m.content,
            m.received_at,
            state,
            ticket
        ])?;
    Ok((n > 0).then(|| conn.last_insert_rowid()))
}

/// Whether the channel delivered this message before.
pub fn seen(conn: &Connection, channel: &str, external_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM inbound WHERE channel = ?1 AND external_id = ?2")?
        .query_row([channel, external_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// One message.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM inbound WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// A page of messages in `state` (all when `None`), newest first, before row id `before`.
pub fn list(
    conn: &Connection,
    state: Option<&str>,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Message>> {
    let before = before.unwrap_or(i64::MAX);
    let limit = limit.clamp(1, 200);
    let rows = match state {
        Some(s) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM inbound WHERE state = ?1 AND id < ?2
                 ORDER BY id DESC LIMIT ?3"
            ))?;
            stmt.query_map(params![s, before, limit], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        }
        None => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM inbound WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            stmt.query_map(params![before, limit], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        }
    };
    Ok(rows)
}

/// How many drafts wait for an operator.
pub fn waiting(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM inbound WHERE state = 'new'")?
        .query_row([], |r| r.get(0))?)
}

/// How an operator handled a draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Registered as the order with this number.
    Registered(String),
    /// Answered with this text.
    Answered(String),
    /// Set aside, for this reason.
    Dismissed(String),
}

/// Settles a draft (`new` only: two operators cannot both handle it); whether it was a draft.
pub fn handle(conn: &Connection, id: i64, how: &Handling, by: &str, at: i64) -> Result<bool> {
    let (state, ticket, answer) = match how {
        Handling::Registered(number) => ("registered", Some(number.as_str()), None),
        Handling::Answered(text) => ("answered", None, Some(text.as_str())),
        Handling::Dismissed(reason) => ("dismissed", None, Some(reason.as_str())),
    };
    let n = conn
        .prepare_cached(
            "UPDATE inbound SET state = ?2, ticket = ?3, answer = ?4, handled_by = ?5,
                 handled_at = ?6
             WHERE id = ?1 AND state = 'new'",
        )?
        .execute(params![id, state, ticket, answer, by, at])?;
    Ok(n > 0)
}
