//! Requests accepted for batch intake (Open311 services of type `batch`), local to the node that
//! took them: each is kept, with the token its app was given, until it is registered as an order;
//! the token then resolves to the order's number. A request stays here through a crash and is
//! registered at the next start.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Creates the table if missing.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        r#"
        CREATE TABLE IF NOT EXISTS intake_queue(
            token TEXT PRIMARY KEY,
            app TEXT NOT NULL,
            request TEXT NOT NULL,
            accepted_ms INTEGER NOT NULL,
            number TEXT,
            failure TEXT
        );
        CREATE INDEX IF NOT EXISTS intake_queue_pending ON intake_queue(accepted_ms)
            WHERE number IS NULL AND failure IS NULL;
        "#,
    )
}

/// A queued request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The token given to the app.
    pub token: String,
    /// The app's service account.
    pub app: String,
    /// The request as accepted (JSON).
    pub request: String,
    /// When it was accepted (Unix ms).
    pub accepted_ms: i64,
    /// The order's number, once registered.
    pub number: Option<String>,
    /// Why it could not be registered, if it could not.
    pub failure: Option<String>,
}

/// Keeps a request under its token.
pub fn insert(conn: &Connection, token: &str, app: &str, request: &str, at: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO intake_queue(token, app, request, accepted_ms) VALUES(?1, ?2, ?3, ?4)",
    )?
    .execute(params![token, app, request, at])?;
    Ok(())
}

/// Records the order a queued request became, or why it could not.
pub fn settle(
    conn: &Connection,
    token: &str,
    outcome: std::result::Result<&str, &str>,
) -> Result<()> {
    let (number, failure) = match outcome {
        Ok(n) => (Some(n), None),
        Err(f) => (None, Some(f)),
    };
    conn.prepare_cached("UPDATE intake_queue SET number = ?2, failure = ?3 WHERE token = ?1")?
        .execute(params![token, number, failure])?;
    Ok(())
}

/// One queued request by token.
pub fn get(conn: &Connection, token: &str) -> Result<Option<Queued>> {
    Ok(conn
        .prepare_cached(
            "SELECT token, app, request, accepted_ms, number, failure FROM intake_queue WHERE token = ?1",
        )?
        .query_row([token], row)
        .optional()?)
}

/// The requests not registered yet, oldest first.
pub fn pending(conn: &Connection, limit: u32) -> Result<Vec<Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT token, app, request, accepted_ms, number, failure FROM intake_queue
         WHERE number IS NULL AND failure IS NULL ORDER BY accepted_ms LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Queued> {
    Ok(Queued {
        token: r.get(0)?,
        app: r.get(1)?,
        request: r.get(2)?,
        accepted_ms: r.get(3)?,
        number: r.get(4)?,
        failure: r.get(5)?,
    })
}
