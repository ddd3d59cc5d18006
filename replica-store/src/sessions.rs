//! Staff sessions and service-account tokens, local to the node that issued them (not replicated):
//! a session signed in at a town node is used at that node. Both are kept by the SHA-256 of their
//! secret, so a copy of the database opens no session.

use rusqlite::{Connection, params};

use crate::error::Result;

/// Creates the tables if missing.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        r#"
        CREATE TABLE IF NOT EXISTS sessions(
            id_hash TEXT PRIMARY KEY,
            login TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            last_ms INTEGER NOT NULL,
            client TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sessions_login ON sessions(login);
        CREATE TABLE IF NOT EXISTS service_tokens(
            hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            login TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            created_by TEXT NOT NULL
        );
        "#,
    )
}

/// A stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    /// SHA-256 of the session id, hex.
    pub id_hash: String,
    /// The user's login.
    pub login: String,
    /// Sign-in time.
    pub created_ms: i64,
    /// Last use, as last written (the node writes it at most once a minute).
    pub last_ms: i64,
    /// The client address at sign-in.
    pub client: String,
}

/// Records a new session.
pub fn insert(conn: &Connection, s: &StoredSession) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions(id_hash, login, created_ms, last_ms, client) VALUES(?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![s.id_hash, s.login, s.created_ms, s.last_ms, s.client])?;
    Ok(())
}

/// Moves a session's last use forward.
pub fn touch(conn: &Connection, id_hash: &str, last_ms: i64) -> Result<()> {
    conn.prepare_cached("UPDATE sessions SET last_ms = MAX(last_ms, ?2) WHERE id_hash = ?1")?
        .execute(params![id_hash, last_ms])?;
    Ok(())
}

/// Ends one session.
pub fn remove(conn: &Connection, id_hash: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
        .execute([id_hash])?
        > 0)
}

/// Ends every session of a user; returns how many.
pub fn remove_for(conn: &Connection, login: &str) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE login = ?1")?
        .execute([login])?)
}

/// Ends every session last used before `before` (housekeeping).
pub fn remove_stale(conn: &Connection, before: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE last_ms < ?1")?
        .execute([before])?)
}

/// Every stored session.
pub fn all(conn: &Connection) -> Result<Vec<StoredSession>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id_hash, login, created_ms, last_ms, client FROM sessions ORDER BY created_ms",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(StoredSession {
            id_hash: r.get(0)?,
            login: r.get(1)?,
            created_ms: r.get(2)?,
            last_ms: r.get(3)?,
            client: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A service account's token as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// What the token is for (e.g. 话务系统).
    pub name: String,
    /// The account it acts as.
    pub login: String,
    /// When it was issued.
    pub created_ms: i64,
    /// Who issued it.
    pub created_by: String,
}

/// Records a token.
pub fn insert_token(conn: &Connection, t: &StoredToken) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO service_tokens(hash, name, login, created_ms, created_by)
         VALUES(?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![t.hash, t.name, t.login, t.created_ms, t.created_by])?;
    Ok(())
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredToken> {
    Ok(StoredToken {
        hash: r.get(0)?,
        name: r.get(1)?,
        login: r.get(2)?,
        created_ms: r.get(3)?,
        created_by: r.get(4)?,
    })
}

/// Every token issued here.
pub fn tokens(conn: &Connection) -> Result<Vec<StoredToken>> {
    let mut stmt = conn.prepare_cached(
        "SELECT hash, name, login, created_ms, created_by FROM service_tokens ORDER BY created_ms",
    )?;
    let rows = stmt.query_map([], token_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
