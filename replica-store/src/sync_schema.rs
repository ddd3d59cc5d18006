//! Tables the node-to-node sync needs beside the documents: the feed epoch, tombstones of purged
//! documents (numbered from the same `seq` counter as `docs`, so they appear in the change feed),
//! per-document sync state (units ever held, leaving, children still to acknowledge a purge) and
//! the link cursors with their peer's feed epoch.

use rand::RngCore;
use rusqlite::Connection;

use crate::error::Result;

/// Creates the sync tables and the feed epoch if missing.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        r#"
        -- A purged document: its last heads and the units it was ever held for, in the feed at `seq`.
        CREATE TABLE IF NOT EXISTS sync_tombs(
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            heads TEXT NOT NULL,
            ever TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS sync_tombs_seq ON sync_tombs(seq);
        -- Sync state of a held document: earlier scopes (comma-separated units, duplicates allowed),
        -- whether it is leaving this node's scope and which child nodes must confirm first.
        CREATE TABLE IF NOT EXISTS sync_docs(
            id TEXT PRIMARY KEY REFERENCES docs(id) ON DELETE CASCADE,
            ever TEXT NOT NULL DEFAULT '',
            leaving INTEGER NOT NULL DEFAULT 0,
            waiting TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX IF NOT EXISTS sync_docs_leaving ON sync_docs(leaving) WHERE leaving = 1;
        -- Remembers every scope a document had: whatever code changes `docs.scope`.
        CREATE TRIGGER IF NOT EXISTS sync_docs_ever AFTER UPDATE OF scope ON docs
        WHEN old.scope != new.scope AND old.scope != '' AND old.scope != '*'
        BEGIN
            INSERT OR IGNORE INTO sync_docs(id) VALUES(old.id);
            UPDATE sync_docs SET ever = CASE WHEN ever = '' THEN old.scope ELSE ever || ',' || old.scope END
                WHERE id = old.id;
        END;
        -- Feed readers that follow one kind of document (the knowledge-base index follows articles)
        -- read `kind = ? AND seq > ?`: without this index that scans every later document.
        CREATE INDEX IF NOT EXISTS docs_kind_seq ON docs(kind, seq);
        -- Per sync link: the peer's feed epoch and the last seq of it durably applied here.
        CREATE TABLE IF NOT EXISTS sync_cursors(
            peer TEXT PRIMARY KEY,
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        "#,
    )?;
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    // Positive and non-zero, so it survives a round-trip through SQLite's signed integers and text.
    let epoch = (u64::from_le_bytes(b) >> 2) | 1;
    conn.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES('feed_epoch', ?1)",
        [epoch.to_string()],
    )?;
    Ok(())
}
