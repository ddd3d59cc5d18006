//! The access audit log: who saw a citizen's personal data, when, on which order. Append-only
//! (SQLite triggers refuse updates and deletes) and hash-chained (each row's hash covers the
//! previous row's), so a gap or an edit shows when the chain is verified. Local to the node that
//! served the request: it is not replicated.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// Creates the table and its guards.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        r#"
        CREATE TABLE IF NOT EXISTS audit_log(
            seq INTEGER PRIMARY KEY,
            at_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            ticket TEXT NOT NULL,
            detail TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_log_ticket ON audit_log(ticket);
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        "#,
    )
}

/// One access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log (0 until written).
    #[serde(default)]
    pub seq: i64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// The user's login.
    pub actor: String,
    /// What they did: `view_ticket`, `search_phone`.
    pub action: String,
    /// The order concerned (its number), or empty for a search.
    pub ticket: String,
    /// What was seen or asked (e.g. the fields shown, the phone number searched).
    pub detail: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn chain_hash(prev: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &e.at_ms.to_string(),
        &e.actor,
        &e.action,
        &e.ticket,
        &e.detail,
    ] {
        // Length-prefixed: no two different rows hash the same text.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an entry; returns its position.
pub fn append(conn: &Connection, e: &AuditEntry) -> Result<i64> {
    let prev: Option<String> = conn
        .prepare_cached("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let hash = chain_hash(prev.as_deref().unwrap_or(GENESIS), e);
    conn.prepare_cached(
        "INSERT INTO audit_log(at_ms, actor, action, ticket, detail, hash)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        e.at_ms, e.actor, e.action, e.ticket, e.detail, hash
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The newest entries first, for one order or all, at most `limit`.
pub fn list(conn: &Connection, ticket: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at_ms, actor, action, ticket, detail FROM audit_log
         WHERE ?1 IS NULL OR ticket = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![ticket, limit], |r| {
        Ok(AuditEntry {
            seq: r.get(0)?,
            at_ms: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            ticket: r.get(4)?,
            detail: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Recomputes the chain: `Ok(entries)` when intact, `Err(seq)` naming the first row that does not
/// follow from the one before it (edited, or rows missing before it).
pub fn verify(conn: &Connection) -> Result<std::result::Result<u64, i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at_ms, actor, action, ticket, detail, hash FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_owned();
    let mut last_seq = 0i64;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let e = AuditEntry {
            seq,
            at_ms: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            ticket: r.get(4)?,
            detail: r.get(5)?,
        };
        let hash: String = r.get(6)?;
        if seq != last_seq + 1 || chain_hash(&prev, &e) != hash {
            return Ok(Err(seq));
        }
        prev = hash;
        last_seq = seq;
        n += 1;
    }
    Ok(Ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: i64) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at_ms: 1_795_485_600_000 + i,
            actor: "op01".into(),
            action: "view_ticket".into(),
            ticket: format!("20261124-HUB-{i:05}"),
            detail: "caller_name,caller_phone".into(),
        }
    }

    #[test]
    fn the_log_is_append_only_and_a_tampered_row_breaks_the_chain() {
        let conn = Connection::open_in_memory().expect("db");
        create(&conn).expect("schema");
        for i in 1..=3 {
            assert_eq!(append(&conn, &entry(i)).expect("append"), i);
        }
        assert_eq!(verify(&conn).expect("verify"), Ok(3));
        let listed = list(&conn, Some("20261124-HUB-00002"), 10).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].seq, 2);
        assert_eq!(
            list(&conn, None, 10).expect("list")[0].seq,
            3,
            "newest first"
        );

        // The guards refuse edits and deletions.
        assert!(
            conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2", [])
                .is_err()
        );
        assert!(
            conn.execute("DELETE FROM audit_log WHERE seq = 1", [])
                .is_err()
        );
        // Someone with the file drops a guard and edits a row: the chain says where.
        conn.execute_batch("DROP TRIGGER audit_log_no_update")
            .expect("drop");
        conn.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2", [])
            .expect("tamper");
        assert_eq!(verify(&conn).expect("verify"), Err(2));
        // A deleted row shows as a gap.
        let conn = Connection::open_in_memory().expect("db");
        create(&conn).expect("schema");
        for i in 1..=3 {
            append(&conn, &entry(i)).expect("append");
        }
        conn.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2")
            .expect("delete");
        assert_eq!(verify(&conn).expect("verify"), Err(3));
    }
}
