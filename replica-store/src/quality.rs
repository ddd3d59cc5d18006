//! Supervisors' scores of calls (质检), kept at the node that keeps the call records (the hub),
//! local and never synced: one score per call (scoring again replaces it), listed per operator
//! and period, averaged per operator for the statistics.

use std::collections::BTreeMap;

use hotline_model::quality::CallScore;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Creates the table.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS call_scores(
            call_id TEXT PRIMARY KEY,
            operator TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            scorer TEXT NOT NULL,
            at INTEGER NOT NULL,
            items TEXT NOT NULL,
            comment TEXT NOT NULL,
            percent REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS call_scores_by_operator ON call_scores(operator, started_at);
        CREATE INDEX IF NOT EXISTS call_scores_by_start ON call_scores(started_at);",
    )?;
    Ok(())
}

/// Keeps a score of a call that started at `started_at` (replacing an earlier one).
pub fn put(conn: &Connection, score: &CallScore, started_at: i64) -> Result<()> {
    let items = serde_json::to_string(&score.items).unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO call_scores(call_id, operator, started_at, scorer, at, items, comment, percent)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(call_id) DO UPDATE SET operator = ?2, started_at = ?3, scorer = ?4, at = ?5,
             items = ?6, comment = ?7, percent = ?8",
    )?
    .execute(params![
        score.call_id,
        score.operator,
        started_at,
        score.scorer,
        score.at,
        items,
        score.comment,
        score.percent
    ])?;
    Ok(())
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallScore> {
    let items: String = r.get(4)?;
    Ok(CallScore {
        call_id: r.get(0)?,
        operator: r.get(1)?,
        scorer: r.get(2)?,
        at: r.get(3)?,
        items: serde_json::from_str(&items).unwrap_or_default(),
        comment: r.get(5)?,
        percent: r.get(6)?,
    })
}

const COLUMNS: &str = "call_id, operator, scorer, at, items, comment, percent";

/// The score of one call, if it was scored.
pub fn get(conn: &Connection, call_id: &str) -> Result<Option<CallScore>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM call_scores WHERE call_id = ?1"
        ))?
        .query_row([call_id], from_row)
        .optional()?)
}

/// Scores of calls that started in `[from, to)`, of one operator or all, newest first.
pub fn list(
    conn: &Connection,
    operator: Option<&str>,
    from: i64,
    to: i64,
    limit: u32,
) -> Result<Vec<CallScore>> {
    let (by, value) = match operator {
        Some(o) => ("operator = ?1 AND", Some(o)),
        None => ("?1 IS NULL AND", None),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM call_scores WHERE {by} started_at >= ?2 AND started_at < ?3
         ORDER BY started_at DESC LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![value, from, to, limit.clamp(1, 1000)], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Per operator: calls scored and their average percentage, for calls started in `[from, to)`.
pub fn averages(conn: &Connection, from: i64, to: i64) -> Result<BTreeMap<String, (u32, f64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT operator, COUNT(*), AVG(percent) FROM call_scores
         WHERE started_at >= ?1 AND started_at < ?2 GROUP BY operator",
    )?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, String>(0)?,
            (r.get::<_, u32>(1)?, r.get::<_, f64>(2)?),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
