//! The SQLite schema and connection settings of a replica.
//!
//! Documents are the source of truth (`docs`, `doc_chunks`); everything under "projections" is derived
//! from them and rebuilt when found missing or out of date.

use rusqlite::Connection;

use crate::error::Result;

/// Bump when the projection tables or their derivation change: projections are then rebuilt at start.
pub const PROJECTION_VERSION: &str = "14";

/// Connection settings: WAL, `synchronous=FULL` (a commit survives power loss), foreign keys on.
pub fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Every hot statement is prepared once: the default cache (16) is smaller than the set of
    // statements one sync step uses, and re-parsing SQL costs more than running it.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Prepared statements kept per connection.
pub const STATEMENT_CACHE: usize = 256;

/// Creates the tables if missing. After a projection format change the `tickets` and
/// `ticket_views` tables (derived, rebuilt from the documents at open) are made anew, so their
/// columns follow the current layout. Returns the projection version the store was left at
/// (`None` for a new store).
pub fn create(conn: &Connection) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    )?;
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'projection_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if version.as_deref() != Some(PROJECTION_VERSION) {
        conn.execute_batch("DROP TABLE IF EXISTS ticket_views; DROP TABLE IF EXISTS tickets;")?;
    }
    conn.execute_batch(
        r#"
        -- A document: its compacted automerge snapshot, the latest local change sequence number, its
        -- heads and the units that scope it (for replication filters).
        CREATE TABLE IF NOT EXISTS docs(
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            snapshot BLOB NOT NULL,
            chunks INTEGER NOT NULL DEFAULT 0,
            -- The sequence at which the snapshot was written (0: unknown, e.g. stored as received).
            base_seq INTEGER NOT NULL DEFAULT 0,
            seq INTEGER NOT NULL,
            heads TEXT NOT NULL,
            scope TEXT NOT NULL DEFAULT ''
        );
        CREATE UNIQUE INDEX IF NOT EXISTS docs_seq ON docs(seq);
        -- Incremental automerge changes appended since the snapshot, in order.
        CREATE TABLE IF NOT EXISTS doc_chunks(
            doc_id TEXT NOT NULL REFERENCES docs(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            data BLOB NOT NULL,
            -- The sequence at which the chunk was appended.
            seq INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(doc_id, n)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS counters(
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );

        -- Projections.
        -- One short row per order: the columns the lists read and filter. The long parts (the
        -- whole view, the facts) live in `ticket_views`, so a page of `tickets` holds many
        -- orders and a list whose rows are scattered over the table (a status queue) reads a
        -- few pages, not one per row.
        CREATE TABLE IF NOT EXISTS tickets(
            id TEXT PRIMARY KEY REFERENCES docs(id) ON DELETE CASCADE,
            number TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            lead_unit TEXT,
            request_type TEXT NOT NULL,
            subject TEXT NOT NULL,
            caller_phone TEXT NOT NULL,
            title TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            due_at INTEGER,
            urgent INTEGER NOT NULL,
            conflicts INTEGER NOT NULL,
            doc_seq INTEGER NOT NULL,
            origin_unit TEXT,
            closed_at INTEGER,
            published INTEGER NOT NULL DEFAULT 0,
            urges INTEGER NOT NULL DEFAULT 0,
            supervision TEXT,
            redo_review INTEGER NOT NULL DEFAULT 0,
            callback_since INTEGER,
            callback_kind TEXT,
            call_id TEXT
        );
        -- The long parts of each order's projection: its whole view (the order page, the
        -- published results) and its facts as last counted (what a change takes back out of the
        -- running totals). Read one row at a time, by id.
        CREATE TABLE IF NOT EXISTS ticket_views(
            id TEXT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
            facts TEXT NOT NULL,
            view TEXT NOT NULL
        );
        -- What a citizen may see of each order (`hotline_model::public`) and its query code's
        -- hash, in a table of short rows of its own: a lookup reads one of them, neither the
        -- order's history nor the long rows of `tickets`.
        CREATE TABLE IF NOT EXISTS ticket_public(
            number TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            qhash TEXT,
            record TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ticket_units(
            ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
            unit TEXT NOT NULL,
            part TEXT NOT NULL,
            PRIMARY KEY(ticket_id, unit)
        ) WITHOUT ROWID;
        -- Running totals of the orders' facts (hotline_model::assessment::Fact and topics::facts)
        -- per key (a unit, '' for the public figures, 'type:…', 'subject:…' …), grouped by the
        -- key's dimension, in buckets of three grains (0 UTC hour, 1 Beijing day, 2 Beijing
        -- month), one column per counter, kept with every projection write by adding the change
        -- (no read first). Replaced the hourly fact_totals (version 9).
        DROP TABLE IF EXISTS fact_totals;
        DROP TABLE IF EXISTS fact_sums;
        CREATE TABLE IF NOT EXISTS fact_counts(
            dim TEXT NOT NULL,
            grain INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            key TEXT NOT NULL,
            n0 INTEGER NOT NULL DEFAULT 0,
            n1 INTEGER NOT NULL DEFAULT 0,
            n2 INTEGER NOT NULL DEFAULT 0,
            n3 INTEGER NOT NULL DEFAULT 0,
            n4 INTEGER NOT NULL DEFAULT 0,
            n5 INTEGER NOT NULL DEFAULT 0,
            n6 INTEGER NOT NULL DEFAULT 0,
            n7 INTEGER NOT NULL DEFAULT 0,
            n8 INTEGER NOT NULL DEFAULT 0,
            n9 INTEGER NOT NULL DEFAULT 0,
            n10 INTEGER NOT NULL DEFAULT 0,
            n11 INTEGER NOT NULL DEFAULT 0,
            n12 INTEGER NOT NULL DEFAULT 0,
            n13 INTEGER NOT NULL DEFAULT 0,
            n14 INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(dim, grain, bucket, key)
        ) WITHOUT ROWID;
        -- The orders behind a topic's figures (drill-down): one row per order and topic key of
        -- its area, channel, operator and spot facts (subjects use tickets_by_subject), in list
        -- order. Kept with the facts they follow.
        CREATE TABLE IF NOT EXISTS ticket_topics(
            key TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            number TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            PRIMARY KEY(key, created_at, number)
        ) WITHOUT ROWID;
        -- Orders per status, kept with every projection write.
        CREATE TABLE IF NOT EXISTS status_totals(
            status TEXT PRIMARY KEY,
            n INTEGER NOT NULL
        ) WITHOUT ROWID;
        "#,
    )?;
    add_column_if_missing(conn, "docs", "base_seq", "INTEGER NOT NULL DEFAULT 0")?;
    add_column_if_missing(conn, "doc_chunks", "seq", "INTEGER NOT NULL DEFAULT 0")?;
    // `tickets` needs no added columns: it is made anew at every projection format change.
    for (column, decl) in [
        ("assigned_at", "INTEGER NOT NULL DEFAULT 0"),
        ("open_due", "INTEGER"),
    ] {
        add_column_if_missing(conn, "ticket_units", column, decl)?;
    }
    // Every list the API serves walks one of these in its own order (newest first, or soonest due
    // first), so a page costs its own rows whatever the table's size; see `projection::list`.
    conn.execute_batch(
        r#"
        DROP INDEX IF EXISTS tickets_status;
        DROP INDEX IF EXISTS tickets_lead;
        DROP INDEX IF EXISTS tickets_due;
        DROP INDEX IF EXISTS tickets_phone;
        DROP INDEX IF EXISTS tickets_created;
        DROP INDEX IF EXISTS ticket_units_unit;
        CREATE INDEX IF NOT EXISTS tickets_by_created ON tickets(created_at, number);
        CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets(status, created_at, number);
        CREATE INDEX IF NOT EXISTS tickets_by_due ON tickets(due_at, number) WHERE due_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS tickets_by_status_due ON tickets(status, due_at, number)
            WHERE due_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS tickets_by_phone ON tickets(caller_phone, created_at, number);
        CREATE INDEX IF NOT EXISTS tickets_by_subject ON tickets(subject, created_at, number);
        CREATE INDEX IF NOT EXISTS tickets_published ON tickets(closed_at, number)
            WHERE published = 1;
        CREATE INDEX IF NOT EXISTS tickets_redo_review ON tickets(created_at, number)
            WHERE redo_review = 1;
        CREATE INDEX IF NOT EXISTS tickets_callback ON tickets(callback_since, number, callback_kind)
            WHERE callback_since IS NOT NULL;
        CREATE INDEX IF NOT EXISTS tickets_by_call ON tickets(call_id, number)
            WHERE call_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS units_open_by_assigned ON ticket_units(assigned_at, open_due, unit)
            WHERE open_due IS NOT NULL;
        -- The statistics' drill-down: the orders a unit was given in a period.
        CREATE INDEX IF NOT EXISTS units_by_assigned ON ticket_units(unit, assigned_at, ticket_id);
        -- The org tree as parent links, kept with the org reference document.
        CREATE TABLE IF NOT EXISTS unit_parents(
            unit TEXT PRIMARY KEY,
            parent TEXT
        ) WITHOUT ROWID;
        -- Which units' staff see an order: every unit at or above a unit holding a part of it (or
        -- that registered it), the root left out (centre staff see everything). A member unit's
        -- lists walk its own rows here, whatever the size of its subtree.
        CREATE TABLE IF NOT EXISTS ticket_reach(
            ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
            unit TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            due_at INTEGER,
            number TEXT NOT NULL,
            PRIMARY KEY(ticket_id, unit)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS reach_by_created ON ticket_reach(unit, created_at, number);
        CREATE INDEX IF NOT EXISTS reach_by_status ON ticket_reach(unit, status, created_at, number);
        CREATE INDEX IF NOT EXISTS reach_by_due ON ticket_reach(unit, due_at, number)
            WHERE due_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS reach_by_status_due ON ticket_reach(unit, status, due_at, number)
            WHERE due_at IS NOT NULL;
        -- How many orders of each status a unit's subtree sees (the inbox's tab counts), kept by
        -- triggers with every reach row written, moved or removed.
        CREATE TABLE IF NOT EXISTS reach_totals(
            unit TEXT NOT NULL,
            status TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY(unit, status)
        ) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS reach_totals_insert AFTER INSERT ON ticket_reach BEGIN
            INSERT INTO reach_totals(unit, status, n) VALUES(NEW.unit, NEW.status, 1)
            ON CONFLICT(unit, status) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS reach_totals_delete AFTER DELETE ON ticket_reach BEGIN
            UPDATE reach_totals SET n = n - 1 WHERE unit = OLD.unit AND status = OLD.status;
        END;
        CREATE TRIGGER IF NOT EXISTS reach_totals_update AFTER UPDATE OF unit, status ON ticket_reach
        BEGIN
            UPDATE reach_totals SET n = n - 1 WHERE unit = OLD.unit AND status = OLD.status;
            INSERT INTO reach_totals(unit, status, n) VALUES(NEW.unit, NEW.status, 1)
            ON CONFLICT(unit, status) DO UPDATE SET n = n + 1;
        END;
        "#,
    )?;
    crate::sync_schema::create(conn)?;
    crate::audit::create(conn)?;
    crate::sessions::create(conn)?;
    crate::intake_queue::create(conn)?;
    crate::outbox::create(conn)?;
    crate::surveys::create(conn)?;
    crate::inbound::create(conn)?;
    crate::calls::create(conn)?;
    crate::files::create(conn)?;
    crate::quality::create(conn)?;
    crate::inbox::create(conn)?;
    Ok(version)
}

/// Adds a column to a table made by an older version of this schema.
fn add_column_if_missing(conn: &Connection, table: &str, column: &str, decl: &str) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get(0),
    )?;
    if !exists {
        conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
    }
    Ok(())
}
