//! `intake`: durable ticket creation at one node through the store (document + change log +
//! projections) by 16 concurrent clients, against plain SQLite doing one transaction per row of the
//! same size with the same durability settings, in the same run.

use std::time::Instant;

use anyhow::Result;
use serde_json::json;

use super::{Args, emit};

/// Concurrent clients.
const CLIENTS: u64 = 16;

pub fn run(args: &Args) -> Result<()> {
    let tickets = args.size.unwrap_or(20_000) as u64;
    let dir = tempfile::tempdir()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    // The store, 16 clients.
    let path = dir.path().join("intake.sqlite");
    let store = replica_store::Store::open(&path, "HUB", [1; 16])?;
    let per_client = tickets / CLIENTS;
    let created = per_client * CLIENTS;
    let start = Instant::now();
    rt.block_on(super::sync_common::fill_with(&store, created, |_, _| {}))?;
    let store_secs = start.elapsed().as_secs_f64();
    let writer = store.writer_stats();
    drop(store);
    let conn = rusqlite::Connection::open(&path)?;
    let bytes_per_ticket: f64 = conn.query_row(
        "SELECT (SELECT AVG(LENGTH(snapshot)) FROM docs) + (SELECT AVG(LENGTH(view)) FROM ticket_views)",
        [],
        |r| r.get(0),
    )?;
    let store_rate = created as f64 / store_secs;
    emit(
        &json!({"bench": "intake", "system": "store", "clients": CLIENTS, "tickets": created,
        "seconds": store_secs, "per_sec": store_rate, "bytes_per_ticket": bytes_per_ticket, "writer": writer}),
    );

    // Baseline: plain SQLite, WAL + synchronous=FULL, one transaction per row of the same size.
    // Its rate is steady, so it writes at most 5,000 rows to keep the run short.
    let base_rows = created.min(5_000);
    let base_path = dir.path().join("baseline.sqlite");
    let base = rusqlite::Connection::open(&base_path)?;
    base.pragma_update(None, "journal_mode", "WAL")?;
    base.pragma_update(None, "synchronous", "FULL")?;
    base.execute_batch(
        "CREATE TABLE t(id TEXT PRIMARY KEY, number TEXT UNIQUE, payload BLOB NOT NULL)",
    )?;
    let payload = vec![b'x'; bytes_per_ticket as usize];
    let start = Instant::now();
    for i in 0..base_rows {
        let tx = base.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO t(id, number, payload) VALUES(?1, ?2, ?3)",
            rusqlite::params![format!("id-{i}"), format!("N{i:08}"), payload],
        )?;
        tx.commit()?;
    }
    let base_secs = start.elapsed().as_secs_f64();
    let base_rate = base_rows as f64 / base_secs;
    emit(
        &json!({"bench": "intake", "system": "sqlite-row-per-tx", "tickets": base_rows,
        "seconds": base_secs, "per_sec": base_rate, "row_bytes": payload.len()}),
    );
    emit(
        &json!({"bench": "intake", "summary": true, "tickets": created, "clients": CLIENTS,
        "per_sec": store_rate, "baseline_per_sec": base_rate, "ratio": store_rate / base_rate}),
    );
    Ok(())
}
