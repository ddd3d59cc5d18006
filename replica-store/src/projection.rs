//! Query tables projected from ticket documents, and their rebuild.

use hotline_model::ticket::TicketView;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Writes (or rewrites) one ticket's rows.
pub fn project(conn: &Connection, view: &TicketView, doc_seq: i64) -> Result<()> {
    write_rows(conn, view, &view_json(view)?, doc_seq, false)
}

/// Writes the rows of a ticket registered just now (nothing to replace), its view already serialised.
pub fn project_new(conn: &Connection, view: &TicketView, json: &str, doc_seq: i64) -> Result<()> {
    write_rows(conn, view, json, doc_seq, true)
}

/// The stored form of a ticket's full view.
pub fn view_json(view: &TicketView) -> Result<String> {
    serde_json::to_string(view)
        .map_err(|e| crate::error::StoreError::malformed(&view.id, e.to_string()))
}

fn write_rows(
    conn: &Connection,
    view: &TicketView,
    json: &str,
    doc_seq: i64,
    fresh: bool,
) -> Result<()> {
    let s = &view.state;
    let lead = s.lead.as_ref().map(|l| l.unit.as_str());
    conn.prepare_cached(
        "INSERT INTO tickets(id, number, status, lead_unit, request_type, subject, caller_phone, title,
                             created_at, updated_at, due_at, urgent, conflicts, doc_seq, view,
                             origin_unit)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT(id) DO UPDATE SET number = ?2, status = ?3, lead_unit = ?4, request_type = ?5,
             subject = ?6, caller_phone = ?7, title = ?8, created_at = ?9, updated_at = ?10, due_at = ?11,
             urgent = ?12, conflicts = ?13, doc_seq = ?14, view = ?15, origin_unit = ?16",
    )?
    .execute(params![
        view.id,
        view.number,
        s.status.as_str(),
        lead,
        serde_json::to_value(s.request_type).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        s.subject,
        view.intake.caller_phone,
        s.title,
        s.created_at.unwrap_or(0),
        s.updated_at,
        s.due_at(),
        s.urgent,
        s.conflicts.len() as i64,
        doc_seq,
        json,
        s.origin_unit,
    ])?;
    if !fresh {
        conn.prepare_cached("DELETE FROM ticket_units WHERE ticket_id = ?1")?
            .execute([&view.id])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO ticket_units(ticket_id, unit, part) VALUES(?1, ?2, ?3)",
    )?;
    for a in s.lead.iter().chain(s.co.iter()) {
        let part = match a.part {
            hotline_model::workflow::Part::Lead => "lead",
            hotline_model::workflow::Part::Co => "co",
        };
        insert.execute(params![view.id, a.unit, part])?;
    }
    Ok(())
}

/// One row of a ticket list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    /// Document id.
    pub id: String,
    /// Ticket number.
    pub number: String,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Lead unit, if dispatched.
    pub lead_unit: Option<String>,
    /// Request type code.
    pub request_type: String,
    /// Subject code.
    pub subject: String,
    /// Title.
    pub title: String,
    /// Registration time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
    /// Current deadline (Unix ms).
    pub due_at: Option<i64>,
    /// Urgent.
    pub urgent: bool,
    /// Number of conflicting events.
    pub conflicts: i64,
}

/// Filters of the ticket list; all optional, combined with AND.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFilter {
    /// Status code.
    pub status: Option<String>,
    /// Units holding a part (lead, co-handling, or the unit that registered it).
    pub unit: Option<String>,
    /// Only tickets registered by, or with a part held by, one of these units (a unit user's
    /// subtree); not a query parameter: the API sets it from the caller.
    #[serde(skip)]
    pub within: Option<Vec<String>>,
    /// Caller phone, exact.
    pub phone: Option<String>,
    /// Deadline at or before (Unix ms): overdue or soon due.
    pub due_before: Option<i64>,
    /// Registered at or after (Unix ms).
    pub created_after: Option<i64>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

/// The full views of the tickets registered before `to` and changed at or after `from` (Unix ms):
/// every ticket with an assignment made in `[from, to)` is among them.
pub fn views_active_in(conn: &Connection, from: i64, to: i64) -> Result<Vec<TicketView>> {
    views_of(
        conn,
        "SELECT view FROM tickets WHERE updated_at >= ?1 AND created_at < ?2",
        params![from, to],
    )
}

/// The full views of the `limit` orders closed most recently (by their last change).
pub fn recently_closed(conn: &Connection, limit: u32) -> Result<Vec<TicketView>> {
    views_of(
        conn,
        "SELECT view FROM tickets WHERE status = 'closed' ORDER BY updated_at DESC LIMIT ?1",
        params![limit],
    )
}

fn views_of(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<TicketView>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        let json = row?;
        out.push(
            serde_json::from_str(&json)
                .map_err(|e| crate::error::StoreError::malformed("tickets.view", e.to_string()))?,
        );
    }
    Ok(out)
}

/// Lists tickets, newest first (or soonest due first when filtering by deadline).
pub fn list(conn: &Connection, f: &TicketFilter) -> Result<Vec<TicketSummary>> {
    let mut sql = String::from(
        "SELECT id, number, status, lead_unit, request_type, subject, title, created_at, updated_at, due_at,
                urgent, conflicts FROM tickets t WHERE 1=1",
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = &f.status {
        args.push(s.clone().into());
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if let Some(u) = &f.unit {
        args.push(u.clone().into());
        sql.push_str(&format!(
            " AND (origin_unit = ?{0} OR id IN (SELECT ticket_id FROM ticket_units WHERE unit = ?{0}))",
            args.len()
        ));
    }
    if let Some(units) = &f.within {
        let mut marks = Vec::with_capacity(units.len());
        for u in units {
            args.push(u.clone().into());
            marks.push(format!("?{}", args.len()));
        }
        if marks.is_empty() {
            sql.push_str(" AND 0");
        } else {
            sql.push_str(&format!(
                " AND (origin_unit IN ({0}) OR id IN (SELECT ticket_id FROM ticket_units WHERE unit IN ({0})))",
                marks.join(", ")
            ));
        }
    }
    if let Some(p) = &f.phone {
        args.push(p.clone().into());
        sql.push_str(&format!(" AND caller_phone = ?{}", args.len()));
    }
    if let Some(d) = f.due_before {
        args.push(d.into());
        sql.push_str(&format!(
            " AND due_at IS NOT NULL AND due_at <= ?{}",
            args.len()
        ));
    }
    if let Some(c) = f.created_after {
        args.push(c.into());
        sql.push_str(&format!(" AND created_at >= ?{}", args.len()));
    }
    if f.due_before.is_some() {
        sql.push_str(" ORDER BY due_at ASC, number ASC");
    } else {
        sql.push_str(" ORDER BY created_at DESC, number DESC");
    }
    let limit = f.limit.unwrap_or(50).clamp(1, 500);
    sql.push_str(&format!(" LIMIT {limit} OFFSET {}", f.offset.unwrap_or(0)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        let status: String = r.get(2)?;
        let label = hotline_model::workflow::Status::parse(&status)
            .map(|s| s.label().to_string())
            .unwrap_or_default();
        Ok(TicketSummary {
            id: r.get(0)?,
            number: r.get(1)?,
            status,
            status_label: label,
            lead_unit: r.get(3)?,
            request_type: r.get(4)?,
            subject: r.get(5)?,
            title: r.get(6)?,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
            due_at: r.get(9)?,
            urgent: r.get(10)?,
            conflicts: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Counts of tickets per status.
pub fn status_counts(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn
        .prepare_cached("SELECT status, COUNT(*) FROM tickets GROUP BY status ORDER BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Reads a ticket's full view by id or by number.
pub fn view(conn: &Connection, id_or_number: &str) -> Result<Option<TicketView>> {
    use rusqlite::OptionalExtension;
    let json: Option<String> = conn
        .prepare_cached("SELECT view FROM tickets WHERE id = ?1 OR number = ?1")?
        .query_row([id_or_number], |r| r.get(0))
        .optional()?;
    match json {
        None => Ok(None),
        Some(j) => Ok(Some(serde_json::from_str(&j).map_err(|e| {
            crate::error::StoreError::malformed(id_or_number, e.to_string())
        })?)),
    }
}
