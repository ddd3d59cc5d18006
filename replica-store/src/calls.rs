//! The calls the centre's telephony reported (通话记录), kept at the node that receives its call
//! records (the hub), once per call id (the telephony retries its posts), local and never synced.
//! Listed newest first by key, per operator or caller; summed per operator for the statistics.

use std::collections::BTreeMap;

use hotline_model::call::{CallDirection, CallRecord};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// Creates the calls table.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS calls(
            call_id TEXT PRIMARY KEY,
            direction TEXT NOT NULL,
            caller TEXT NOT NULL,
            callee TEXT NOT NULL,
            operator TEXT,
            queue TEXT,
            started_at INTEGER NOT NULL,
            answered_at INTEGER,
            ended_at INTEGER NOT NULL,
            talk_secs INTEGER NOT NULL,
            hangup_cause TEXT NOT NULL,
            recording TEXT,
            received_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS calls_by_start ON calls(started_at, call_id);
        CREATE INDEX IF NOT EXISTS calls_by_operator ON calls(operator, started_at, call_id);
        CREATE INDEX IF NOT EXISTS calls_by_caller ON calls(caller, started_at, call_id);
        CREATE TABLE IF NOT EXISTS agent_states(
            operator TEXT NOT NULL,
            at INTEGER NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY(operator, at, state)
        ) WITHOUT ROWID;",
    )?;
    Ok(())
}

/// Keeps `call` unless a call with its id is kept already; `true` when it was new.
pub fn record(conn: &Connection, call: &CallRecord, now_ms: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO calls(call_id, direction, caller, callee, operator, queue,
                 started_at, answered_at, ended_at, talk_secs, hangup_cause, recording, received_at)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            call.call_id,
            call.direction.as_str(),
            call.caller,
            call.callee,
            call.operator,
            call.queue,
            call.started_at,
            call.answered_at,
            call.ended_at,
            call.talk_secs,
            call.hangup_cause,
            call.recording,
            now_ms,
        ])?;
    Ok(n == 1)
}

const COLUMNS: &str =
    "call_id, direction, caller, callee, operator, queue, started_at, answered_at,
    ended_at, talk_secs, hangup_cause, recording";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRecord> {
    let direction: String = r.get(1)?;
    Ok(CallRecord {
        call_id: r.get(0)?,
        direction: if direction == "outbound" {
            CallDirection::Outbound
        } else {
            CallDirection::Inbound
        },
        caller: r.get(2)?,
        callee: r.get(3)?,
        operator: r.get(4)?,
        queue: r.get(5)?,
        started_at: r.get(6)?,
        answered_at: r.get(7)?,
        ended_at: r.get(8)?,
        talk_secs: r.get(9)?,
        hangup_cause: r.get(10)?,
        recording: r.get(11)?,
    })
}

/// One call by id.
pub fn get(conn: &Connection, call_id: &str) -> Result<Option<CallRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM calls WHERE call_id = ?1"))?
        .query_row([call_id], from_row)
        .optional()?)
}

/// Which calls a list shows.
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    /// One operator's calls.
    pub operator: Option<String>,
    /// One caller's calls.
    pub caller: Option<String>,
    /// Started at or after (Unix ms).
    pub from: i64,
    /// Started before.
    pub to: i64,
    /// The cursor `<started_at>:<call_id>` of the previous page.
    pub before: Option<(i64, String)>,
    /// Page size.
    pub limit: u32,
}

/// A page of calls, newest first: one walk of the index for the filter (by operator, by caller,
/// or by time).
pub fn list(conn: &Connection, f: &CallFilter) -> Result<Vec<CallRecord>> {
    let (by, value) = match (&f.operator, &f.caller) {
        (Some(o), _) => ("operator = ?1 AND", Some(o.clone())),
        (None, Some(c)) => ("caller = ?1 AND", Some(c.clone())),
        (None, None) => ("?1 IS NULL AND", None),
    };
    let (at, id) = f.before.clone().unwrap_or((f.to, String::new()));
    let sql = format!(
        "SELECT {COLUMNS} FROM calls WHERE {by} started_at >= ?2
           AND (started_at < ?3 OR (started_at = ?3 AND ?4 <> '' AND call_id < ?4))
         ORDER BY started_at DESC, call_id DESC LIMIT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![value, f.from, at, id, f.limit.clamp(1, 500)],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One operator's calls over a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OperatorCalls {
    /// Calls answered (呼入接通).
    pub inbound: u32,
    /// Calls made (呼出).
    pub outbound: u32,
    /// Seconds talked.
    pub talk_secs: u64,
}

/// Per operator, the calls started in `[from, to)`.
pub fn per_operator(
    conn: &Connection,
    from: i64,
    to: i64,
) -> Result<BTreeMap<String, OperatorCalls>> {
    let mut stmt = conn.prepare_cached(
        "SELECT operator, SUM(direction = 'inbound' AND answered_at IS NOT NULL),
                SUM(direction = 'outbound'), SUM(talk_secs)
         FROM calls WHERE started_at >= ?1 AND started_at < ?2 AND operator IS NOT NULL
         GROUP BY operator",
    )?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, String>(0)?,
            OperatorCalls {
                inbound: r.get(1)?,
                outbound: r.get(2)?,
                talk_secs: r.get::<_, i64>(3)?.max(0) as u64,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Keeps an operator's change of state; `false` when it was kept before (an event seen twice).
pub fn record_state(
    conn: &Connection,
    operator: &str,
    change: hotline_model::agent::StateChange,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO agent_states(operator, at, state) VALUES(?1, ?2, ?3)",
        )?
        .execute(params![operator, change.at, change.state.as_str()])?;
    Ok(n == 1)
}

/// An operator's changes of state in `[from, to)`, with the last one before `from` (the state the
/// period starts in), oldest first.
pub fn states(
    conn: &Connection,
    operator: &str,
    from: i64,
    to: i64,
) -> Result<Vec<hotline_model::agent::StateChange>> {
    let parse =
        |r: &rusqlite::Row<'_>| -> rusqlite::Result<(i64, String)> { Ok((r.get(0)?, r.get(1)?)) };
    let mut rows: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT at, state FROM agent_states WHERE operator = ?1 AND at < ?2
             ORDER BY at DESC LIMIT 1",
        )?
        .query_map(params![operator, from], parse)?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT at, state FROM agent_states WHERE operator = ?1 AND at >= ?2 AND at < ?3
         ORDER BY at LIMIT 20000",
    )?;
    rows.extend(
        stmt.query_map(params![operator, from, to], parse)?
            .collect::<Result<Vec<_>, _>>()?,
    );
    Ok(rows
        .into_iter()
        .filter_map(|(at, s)| {
            hotline_model::agent::AgentState::parse(&s)
                .map(|state| hotline_model::agent::StateChange { at, state })
        })
        .collect())
}
