//! Query tables projected from ticket documents, and their rebuild.
//!
//! Why one file of this length: every query table, its rows' writes and the lists read from them are kept in one file, so that a change of layout (and the projection version it bumps) is seen whole.

use std::collections::BTreeMap;

use hotline_model::assessment::{self, COUNTERS, Fact};
use hotline_model::buckets::{self, Grain};
use hotline_model::public::PublicRecord;
use hotline_model::ticket::TicketView;
use hotline_model::topics;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::Result;

static FACT_TOTALS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns the running totals of facts off (or back on) for every store of the process. Only for
/// measuring what keeping them costs (the `stats-year` benchmark's intake with and without): a
/// store written with them off has wrong figures until its projections are rebuilt.
#[doc(hidden)]
pub fn keep_fact_totals(on: bool) {
    FACT_TOTALS.store(on, std::sync::atomic::Ordering::Relaxed);
}

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
    use rusqlite::OptionalExtension;
    let s = &view.state;
    let lead = s.lead.as_ref().map(|l| l.unit.as_str());
    let facts = if FACT_TOTALS.load(std::sync::atomic::Ordering::Relaxed) {
        topics::every_fact(view)
    } else {
        Vec::new()
    };
    let old: Option<(String, String)> = if fresh {
        None
    } else {
        conn.prepare_cached(
            "SELECT t.status, v.facts FROM tickets t JOIN ticket_views v ON v.id = t.id
             WHERE t.id = ?1",
        )?
        .query_row([&view.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    };
    let facts_text = encode_facts(&facts);
    let public_json = serde_json::to_string(&PublicRecord::of(view))
        .map_err(|e| crate::error::StoreError::malformed(&view.id, e.to_string()))?;
    // Listed on the public results page: published, and never a confidential report.
    let public_result = s.published && !view.intake.confidential;
    // The alerts already sent to the units holding it now (the supervisors' board).
    let holding = || s.lead.iter().chain(s.co.iter()).filter(|a| a.is_active());
    let urges: i64 = holding().map(|a| i64::from(a.urges)).sum();
    let supervision = holding()
        .filter_map(|a| a.supervision)
        .max()
        .and_then(|l| serde_json::to_value(l).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    let callback = hotline_model::survey::callback_need(view);
    conn.prepare_cached(
        "INSERT INTO tickets(id, number, status, lead_unit, request_type, subject, caller_phone, title,
                             created_at, updated_at, due_at, urgent, conflicts, doc_seq,
                             origin_unit, closed_at, published, urges, supervision,
                             redo_review, callback_since, callback_kind, call_id)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                ?20, ?21, ?22, ?23)
         ON CONFLICT(id) DO UPDATE SET number = ?2, status = ?3, lead_unit = ?4, request_type = ?5,
             subject = ?6, caller_phone = ?7, title = ?8, created_at = ?9, updated_at = ?10, due_at = ?11,
             urgent = ?12, conflicts = ?13, doc_seq = ?14, origin_unit = ?15,
             closed_at = ?16, published = ?17, urges = ?18, supervision = ?19,
             redo_review = ?20, callback_since = ?21, callback_kind = ?22, call_id = ?23",
    )?
    .execute(params![
        view.id,
        view.number,
        s.status.as_str(),
        lead,
        s.request_type.code(),
        s.subject,
        view.intake.caller_phone,
        s.title,
        s.created_at.unwrap_or(0),
        s.updated_at,
        s.due_at(),
        s.urgent,
        s.conflicts.len() as i64,
        doc_seq,
        s.origin_unit,
        s.closed_at,
        public_result,
        urges,
        supervision,
        s.redo_review,
        callback.map(|c| c.since),
        callback.map(|c| c.kind.as_str()),
        view.intake.call_id,
    ])?;
    conn.prepare_cached(
        "INSERT INTO ticket_views(id, facts, view) VALUES(?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET facts = ?2, view = ?3",
    )?
    .execute(params![view.id, facts_text, json])?;
    crate::inbox::project(conn, &view.id, &hotline_model::inbox::inbox_items(view))?;
    conn.prepare_cached(
        "INSERT INTO ticket_public(number, id, record) VALUES(?1, ?2, ?3)
         ON CONFLICT(number) DO UPDATE SET id = ?2, record = ?3",
    )?
    .execute(params![view.number, view.id, public_json])?;
    let old_text = match &old {
        Some((status, facts_text)) => {
            if status != s.status.as_str() {
                bump_status(conn, status, -1)?;
                bump_status(conn, s.status.as_str(), 1)?;
            }
            Some(facts_text.as_str())
        }
        None => {
            bump_status(conn, s.status.as_str(), 1)?;
            None
        }
    };
    // Most actions change no fact: then nothing is parsed or written.
    if old_text != Some(facts_text.as_str()) {
        let old_facts = match old_text {
            Some(t) => parse_facts(&view.id, t)?,
            None => Vec::new(),
        };
        add_facts(conn, &old_facts, &facts)?;
        drill_rows(conn, &view.id, &view.number, &old_facts, &facts)?;
    }
    if !fresh {
        conn.prepare_cached("DELETE FROM ticket_units WHERE ticket_id = ?1")?
            .execute([&view.id])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO ticket_units(ticket_id, unit, part, assigned_at, open_due)
         VALUES(?1, ?2, ?3, ?4, ?5)",
    )?;
    for a in s.lead.iter().chain(s.co.iter()) {
        let part = match a.part {
            hotline_model::workflow::Part::Lead => "lead",
            hotline_model::workflow::Part::Co => "co",
        };
        insert.execute(params![
            view.id,
            a.unit,
            part,
            a.assigned_at,
            assessment::open_due(a),
        ])?;
    }
    // The units whose subtrees see the order: the same rule as reading one (`scope_units`).
    let holders = s.scope_units();
    if !fresh {
        conn.prepare_cached("DELETE FROM ticket_reach WHERE ticket_id = ?1")?
            .execute([&view.id])?;
    }
    let holders = serde_json::to_string(&holders)
        .map_err(|e| crate::error::StoreError::malformed(&view.id, e.to_string()))?;
    conn.prepare_cached(&format!(
        "WITH RECURSIVE {REACH_UP} INSERT OR IGNORE INTO ticket_reach(ticket_id, unit, status,
             created_at, due_at, number)
         SELECT ?2, u, ?3, ?4, ?5, ?6 FROM up WHERE {NOT_ROOT}"
    ))?
    .execute(params![
        holders,
        view.id,
        s.status.as_str(),
        s.created_at.unwrap_or(0),
        s.due_at(),
        view.number,
    ])?;
    crate::files::project(conn, view)?;
    Ok(())
}

/// The units at or above the units of the JSON array `?1`, as `up(u)`.
const REACH_UP: &str = "up(u) AS (SELECT value FROM json_each(?1)
     UNION SELECT p.parent FROM unit_parents p JOIN up ON p.unit = up.u WHERE p.parent IS NOT NULL)";
/// Leaves out the root of the org tree (its staff see every order without the reach rows).
const NOT_ROOT: &str = "u NOT IN (SELECT unit FROM unit_parents WHERE parent IS NULL)";

/// Keeps `unit_parents` equal to the org tree of `parents` (`(unit, parent)`); when it changed,
/// rebuilds every order's reach rows. Returns whether it changed.
pub fn set_org(conn: &Connection, parents: &[(String, Option<String>)]) -> Result<bool> {
    let held: Vec<(String, Option<String>)> = {
        let mut stmt =
            conn.prepare_cached("SELECT unit, parent FROM unit_parents ORDER BY unit")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut wanted = parents.to_vec();
    wanted.sort();
    if held == wanted {
        return Ok(false);
    }
    conn.execute("DELETE FROM unit_parents", [])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO unit_parents(unit, parent) VALUES(?1, ?2)")?;
    for (u, p) in &wanted {
        insert.execute(params![u, p])?;
    }
    conn.execute_batch(
        "DELETE FROM ticket_reach;
         WITH RECURSIVE seed(ticket_id, u) AS (
             SELECT ticket_id, unit FROM ticket_units
             UNION SELECT id, origin_unit FROM tickets WHERE origin_unit IS NOT NULL),
         up(ticket_id, u) AS (SELECT ticket_id, u FROM seed
             UNION SELECT up.ticket_id, p.parent FROM up JOIN unit_parents p ON p.unit = up.u
             WHERE p.parent IS NOT NULL)
         INSERT OR IGNORE INTO ticket_reach(ticket_id, unit, status, created_at, due_at, number)
         SELECT t.id, up.u, t.status, t.created_at, t.due_at, t.number
         FROM up JOIN tickets t ON t.id = up.ticket_id
         WHERE up.u NOT IN (SELECT unit FROM unit_parents WHERE parent IS NULL);",
    )?;
    Ok(true)
}

/// Follows the org tree held in the store's reference documents (see [`set_org`]); a store
/// without one keeps what it has.
pub fn follow_org(conn: &Connection, actor: &automerge::ActorId) -> Result<bool> {
    let Some(text) = crate::refdata_doc::text(conn, actor, "org")? else {
        return Ok(false);
    };
    let org = hotline_model::refdata::parse_org(&text)
        .map_err(|e| crate::error::StoreError::malformed("refdata:org", e.to_string()))?;
    let parents: Vec<(String, Option<String>)> = org
        .units()
        .map(|u| (u.code.clone(), u.parent.clone()))
        .collect();
    set_org(conn, &parents)
}

/// An order's facts as kept in its row, compactly: one line per moment and counts, with the keys
/// that share them (an order's topic facts all do): `at;c0,c1,…;key\tkey…`, trailing zero counts
/// left out. Deterministic, so two sets of facts are equal when their texts are.
fn encode_facts(facts: &[Fact]) -> String {
    let mut groups: BTreeMap<(i64, String), Vec<&str>> = BTreeMap::new();
    for f in facts {
        let used = f.counts.iter().rposition(|x| *x != 0).map_or(0, |i| i + 1);
        let counts = f.counts[..used]
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        groups.entry((f.at, counts)).or_default().push(&f.unit);
    }
    groups
        .into_iter()
        .map(|((at, counts), mut keys)| {
            keys.sort_unstable();
            format!("{at};{counts};{}", keys.join("\t"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_facts(id: &str, text: &str) -> Result<Vec<Fact>> {
    // Rows written before the compact form hold JSON (rebuilt at the next open anyway).
    if text.starts_with('[') {
        return serde_json::from_str(text)
            .map_err(|e| crate::error::StoreError::malformed(id, e.to_string()));
    }
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let bad = || crate::error::StoreError::malformed(id, format!("facts: {line}"));
        let mut parts = line.splitn(3, ';');
        let at: i64 = parts.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
        let mut counts = [0i64; COUNTERS];
        let list = parts.next().ok_or_else(bad)?;
        for (slot, c) in counts
            .iter_mut()
            .zip(list.split(',').filter(|c| !c.is_empty()))
        {
            *slot = c.parse().map_err(|_| bad())?;
        }
        for key in parts.next().ok_or_else(bad)?.split('\t') {
            out.push(Fact {
                unit: key.to_owned(),
                at,
                counts,
            });
        }
    }
    Ok(out)
}

fn bump_status(conn: &Connection, status: &str, by: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO status_totals(status, n) VALUES(?1, ?2)
         ON CONFLICT(status) DO UPDATE SET n = n + ?2",
    )?
    .execute(params![status, by])?;
    Ok(())
}

/// Milliseconds per hour, the finest bucket of the running totals.
pub const HOUR_MS: i64 = buckets::HOUR_MS;

/// The counter columns of `fact_counts`, `n0, n1, …`.
fn counter_columns() -> String {
    (0..COUNTERS)
        .map(|i| format!("n{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counts from `COUNTERS` columns of a row, starting at `first`.
fn row_counts(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<[i64; COUNTERS]> {
    let mut out = [0i64; COUNTERS];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = r.get(first + i)?;
    }
    Ok(out)
}

/// The grains every fact is kept in: its Beijing day and month (figures count whole days).
const GRAINS: [Grain; 2] = [Grain::Day, Grain::Month];

/// Moves the running totals from a ticket's `old` facts to its `new` ones: each fact into its
/// day and month.
fn add_facts(conn: &Connection, old: &[Fact], new: &[Fact]) -> Result<()> {
    type Slot<'a> = (&'a str, Grain, i64, &'a str);
    let mut delta: BTreeMap<Slot<'_>, [i64; COUNTERS]> = BTreeMap::new();
    for (facts, sign) in [(old, -1), (new, 1)] {
        for f in facts {
            let dim = topics::dimension_of(&f.unit);
            let hour = buckets::hour_of(f.at);
            for grain in &GRAINS {
                let slot = delta
                    .entry((dim, *grain, buckets::bucket(*grain, hour), f.unit.as_str()))
                    .or_insert([0; COUNTERS]);
                for (d, c) in slot.iter_mut().zip(f.counts.iter()) {
                    *d += sign * c;
                }
            }
        }
    }
    static UPSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let values: Vec<String> = (0..COUNTERS).map(|i| format!("?{}", i + 5)).collect();
        let add: Vec<String> = (0..COUNTERS)
            .map(|i| format!("n{i} = n{i} + excluded.n{i}"))
            .collect();
        format!(
            "INSERT INTO fact_counts(dim, grain, bucket, key, {}) VALUES(?1, ?2, ?3, ?4, {})
             ON CONFLICT(dim, grain, bucket, key) DO UPDATE SET {}",
            counter_columns(),
            values.join(", "),
            add.join(", ")
        )
    });
    let mut write = conn.prepare_cached(&UPSERT)?;
    for ((dim, grain, bucket, key), d) in delta {
        if d.iter().all(|x| *x == 0) {
            continue;
        }
        let mut args: Vec<rusqlite::types::Value> = vec![
            dim.to_owned().into(),
            grain.code().into(),
            bucket.into(),
            key.to_owned().into(),
        ];
        args.extend(d.iter().map(|x| rusqlite::types::Value::from(*x)));
        write.execute(rusqlite::params_from_iter(args))?;
    }
    Ok(())
}

/// The fact keys an order is listed under for drill-down, and when (its registration).
fn drill_keys(facts: &[Fact]) -> std::collections::BTreeSet<(&str, i64)> {
    facts
        .iter()
        .filter(|f| {
            matches!(
                topics::dimension_of(&f.unit),
                "area" | "channel" | "operator"
            )
        })
        .map(|f| (f.unit.as_str(), f.at))
        .collect()
}

/// Moves an order's drill-down rows from its `old` facts' keys to its `new` ones.
fn drill_rows(conn: &Connection, id: &str, number: &str, old: &[Fact], new: &[Fact]) -> Result<()> {
    let (old, new) = (drill_keys(old), drill_keys(new));
    let mut delete = conn.prepare_cached(
        "DELETE FROM ticket_topics WHERE key = ?1 AND created_at = ?2 AND number = ?3",
    )?;
    for (key, at) in old.difference(&new) {
        delete.execute(params![key, at, number])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO ticket_topics(key, created_at, number, ticket_id)
         VALUES(?1, ?2, ?3, ?4)",
    )?;
    for (key, at) in new.difference(&old) {
        insert.execute(params![key, at, number, id])?;
    }
    Ok(())
}

/// The orders registered in `[from, to)` behind one topic key (`area:D01`, `channel:phone`,
/// `operator:op01`), newest first, one page after the cursor `<created_at>:<number>`;
/// one walk of `ticket_topics`' key.
pub fn topic_orders(
    conn: &Connection,
    key: &str,
    from: i64,
    to: i64,
    before: Option<&str>,
    limit: u32,
) -> Result<Vec<TicketSummary>> {
    let (at, number) = match before {
        Some(c) => parse_cursor(c)?,
        None => (to, String::new()),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT k.number, t.id, t.status, t.lead_unit, t.request_type, t.subject,
                t.title, t.created_at, t.updated_at, t.due_at, t.urgent, t.conflicts, t.urges,
                t.supervision
         FROM ticket_topics k JOIN tickets t ON t.id = k.ticket_id
         WHERE k.key = ?1 AND k.created_at >= ?2
           AND (k.created_at < ?3 OR (k.created_at = ?3 AND ?4 <> '' AND k.number < ?4))
         ORDER BY k.created_at DESC, k.number DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(params![key, from, at, number, limit.clamp(1, 500)], |r| {
        summary_at(r, 0, 1)
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The numbers of the orders registered from one call (by its telephony id).
pub fn orders_of_call(conn: &Connection, call_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT number FROM tickets WHERE call_id = ?1 ORDER BY number LIMIT 20")?;
    let rows = stmt.query_map([call_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The query plan of [`topic_orders`] (for the tests: one walk of `ticket_topics`' key).
pub fn explain_topic_orders(conn: &Connection) -> Result<String> {
    let mut stmt = conn.prepare(
        "EXPLAIN QUERY PLAN SELECT k.number, t.id FROM ticket_topics k JOIN tickets t ON t.id = k.ticket_id
         WHERE k.key = ?1 AND k.created_at >= ?2
           AND (k.created_at < ?3 OR (k.created_at = ?3 AND ?4 <> '' AND k.number < ?4))
         ORDER BY k.created_at DESC, k.number DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(params!["area:D01", 0, 0, "", 50], |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?.join(" | "))
}

/// Takes a ticket's rows out of the running totals before its document is removed (purge).
pub fn forget(conn: &Connection, id: &str) -> Result<()> {
    use rusqlite::OptionalExtension;
    let old: Option<(String, String, String)> = conn
        .prepare_cached(
            "SELECT t.status, t.number, v.facts FROM tickets t JOIN ticket_views v ON v.id = t.id
             WHERE t.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if let Some((status, number, facts)) = old {
        bump_status(conn, &status, -1)?;
        let facts = parse_facts(id, &facts)?;
        add_facts(conn, &facts, &[])?;
        drill_rows(conn, id, &number, &facts, &[])?;
    }
    Ok(())
}

/// Clears every projection (before rebuilding them all).
pub fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM inbox; DELETE FROM ticket_reach; DELETE FROM ticket_topics; DELETE FROM ticket_units; DELETE FROM ticket_views; DELETE FROM tickets;
         DELETE FROM ticket_public;
         DELETE FROM fact_counts; DELETE FROM status_totals; DELETE FROM reach_totals;",
    )?;
    crate::files::clear(conn)?;
    Ok(())
}

/// One row of a ticket list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Urges sent to the units holding it now.
    pub urges: i64,
    /// The highest supervision level of the units holding it now (`notice`, `reprimand`, `named`).
    pub supervision: Option<String>,
}

/// Filters of the ticket list; all optional, combined with AND. Unknown parameters are refused
/// (an `offset` would otherwise be ignored and page 1 shown again).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketFilter {
    /// Status code.
    pub status: Option<String>,
    /// Orders of this unit's subtree: registered there, or with a part (lead, co-handling) held
    /// there.
    pub unit: Option<String>,
    /// Only the orders this unit's subtree sees (registered by it or a unit below it, or with a
    /// part held there); not a query parameter: the API sets it to a member unit caller's unit.
    #[serde(skip)]
    pub within: Option<String>,
    /// Caller phone, exact.
    pub phone: Option<String>,
    /// Subject code, exact (the intake's likely duplicates: the same matter lately).
    pub subject: Option<String>,
    /// Deadline at or before (Unix ms): overdue or soon due.
    pub due_before: Option<i64>,
    /// Registered at or after (Unix ms).
    pub created_after: Option<i64>,
    /// Registered before (Unix ms).
    pub created_before: Option<i64>,
    /// Only orders whose citizen said "not solved" and await the centre's redo review (重办审核).
    pub redo_review: Option<bool>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Key paging: the `next` cursor of the previous page (`<key>:<number>`, the key being the
    /// registration time, or the deadline when filtering by deadline). Pages never skip or repeat
    /// an order, however many are registered in between.
    pub after: Option<String>,
}

/// The cursor that continues a list after `last`, in the order `f` asks for.
pub fn next_cursor(f: &TicketFilter, last: &TicketSummary) -> String {
    let key = if f.due_before.is_some() {
        last.due_at.unwrap_or(0)
    } else {
        last.created_at
    };
    format!("{key}:{}", last.number)
}

fn parse_cursor(text: &str) -> Result<(i64, String)> {
    text.split_once(':')
        .and_then(|(k, n)| Some((k.parse().ok()?, n.to_owned())))
        .filter(|(_, n)| !n.is_empty())
        .ok_or_else(|| crate::error::StoreError::BadCursor(text.to_owned()))
}

/// A page of published results (公示), the latest closed first, after the cursor
/// `<closed_at>:<number>` of the previous page.
///
/// `words`, when given, keeps the results whose title holds it (the title is the centre's own
/// one-line summary; what a citizen said is never searched, so a search cannot probe it).
pub fn published(
    conn: &Connection,
    after: Option<&str>,
    limit: u32,
    words: Option<&str>,
) -> Result<Vec<TicketView>> {
    let (key, number) = match after {
        Some(c) => parse_cursor(c)?,
        None => (i64::MAX, String::from("~")),
    };
    let pattern = words.map(|w| {
        let escaped = w
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let mut stmt = conn.prepare_cached(
        "SELECT v.view FROM tickets t JOIN ticket_views v ON v.id = t.id
         WHERE t.published = 1 AND t.closed_at IS NOT NULL
           AND (t.closed_at, t.number) < (?1, ?2)
           AND (?4 IS NULL OR t.title LIKE ?4 ESCAPE '\\')
         ORDER BY t.closed_at DESC, t.number DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![key, number, limit, pattern], |r| {
        r.get::<_, String>(0)
    })?;
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

/// Published results registered in `[from, to)` (Unix ms), of one subject or all, the latest
/// closed first, at most `limit`: what Open311's request search shows the public. It walks the
/// published index from `from` on (an order closes after it is registered).
pub fn published_registered(
    conn: &Connection,
    from: i64,
    to: i64,
    subject: Option<&str>,
    limit: u32,
) -> Result<Vec<TicketView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.view FROM tickets t JOIN ticket_views v ON v.id = t.id
         WHERE t.published = 1 AND t.closed_at >= ?1
           AND t.created_at >= ?1 AND t.created_at < ?2 AND (?3 IS NULL OR t.subject = ?3)
         ORDER BY t.closed_at DESC, t.number DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![from, to, subject, limit], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(
            serde_json::from_str(&row?)
                .map_err(|e| crate::error::StoreError::malformed("tickets.view", e.to_string()))?,
        );
    }
    Ok(out)
}

/// The summed counts of one key's facts (`""`: the public figures) in the hours `[from_hour,
/// to_hour)` widened to whole Beijing days, read from as few buckets as cover them.
pub fn fact_sum(
    conn: &Connection,
    key: &str,
    from_hour: i64,
    to_hour: i64,
) -> Result<[i64; COUNTERS]> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM fact_counts
         WHERE dim = ?1 AND grain = ?2 AND bucket >= ?3 AND bucket < ?4 AND key = ?5",
        counter_columns()
    ))?;
    let dim = topics::dimension_of(key);
    let mut sum = [0i64; COUNTERS];
    let (from_hour, to_hour) = buckets::whole_days(from_hour, to_hour);
    for p in buckets::cover(from_hour, to_hour) {
        let rows = stmt.query_map(params![dim, p.grain.code(), p.from, p.to, key], |r| {
            row_counts(r, 0)
        })?;
        for row in rows {
            assessment::add_counts(&mut sum, &row?);
        }
    }
    Ok(sum)
}

/// Per key of one dimension (`unit`, `subject`, `area` …, see
/// [`hotline_model::topics::dimension_of`]), the summed counts of its facts in the hours
/// `[from_hour, to_hour)` widened to whole Beijing days; keys as stored (with their prefix).
pub fn dimension_sums(
    conn: &Connection,
    dim: &str,
    from_hour: i64,
    to_hour: i64,
) -> Result<BTreeMap<String, [i64; COUNTERS]>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT key, {} FROM fact_counts
         WHERE dim = ?1 AND grain = ?2 AND bucket >= ?3 AND bucket < ?4",
        counter_columns()
    ))?;
    let mut out: BTreeMap<String, [i64; COUNTERS]> = BTreeMap::new();
    let (from_hour, to_hour) = buckets::whole_days(from_hour, to_hour);
    for p in buckets::cover(from_hour, to_hour) {
        let rows = stmt.query_map(params![dim, p.grain.code(), p.from, p.to], |r| {
            Ok((r.get::<_, String>(0)?, row_counts(r, 1)?))
        })?;
        for row in rows {
            let (key, counts) = row?;
            assessment::add_counts(out.entry(key).or_default(), &counts);
        }
    }
    Ok(out)
}

/// Per unit, the assignments made in `[from, to)` (Unix ms) that are overdue at `now`: still with
/// the unit, not replied, past their deadline.
pub fn overdue_by_unit(
    conn: &Connection,
    from: i64,
    to: i64,
    now: i64,
) -> Result<BTreeMap<String, u32>> {
    let mut stmt = conn.prepare_cached(
        "SELECT unit, COUNT(*) FROM ticket_units
         WHERE open_due IS NOT NULL AND open_due < ?3 AND assigned_at >= ?1 AND assigned_at < ?2
         GROUP BY unit",
    )?;
    let rows = stmt.query_map(params![from, to, now], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The order a list is walked in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Newest first: `(created_at, number)` descending.
    Created,
    /// Soonest due first: `(due_at, number)` ascending.
    Due,
}

/// A list's conditions as SQL (placeholders `{}` numbered as they are pushed) and their arguments.
struct Where {
    sql: String,
    args: Vec<rusqlite::types::Value>,
}

impl Where {
    fn push(&mut self, cond: &str, values: impl IntoIterator<Item = rusqlite::types::Value>) {
        let mut cond = cond.to_owned();
        for v in values {
            self.args.push(v);
            cond = cond.replacen("{}", &format!("?{}", self.args.len()), 1);
        }
        self.sql.push_str(" AND ");
        self.sql.push_str(&cond);
    }
}

/// A summary from a row holding the number at `number`, and the id at `at` followed by the status,
/// lead unit, request type, subject, title, times, urgency and conflicts.
fn summary_at(r: &rusqlite::Row<'_>, number: usize, at: usize) -> rusqlite::Result<TicketSummary> {
    let status: String = r.get(at + 1)?;
    let label = hotline_model::workflow::Status::parse(&status)
        .map(|s| s.label().to_string())
        .unwrap_or_default();
    Ok(TicketSummary {
        id: r.get(at)?,
        number: r.get(number)?,
        status,
        status_label: label,
        lead_unit: r.get(at + 2)?,
        request_type: r.get(at + 3)?,
        subject: r.get(at + 4)?,
        title: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
        updated_at: r.get(at + 7)?,
        due_at: r.get(at + 8)?,
        urgent: r.get(at + 9)?,
        conflicts: r.get(at + 10)?,
        urges: r.get(at + 11)?,
        supervision: r.get(at + 12)?,
    })
}

fn list_order(f: &TicketFilter) -> Order {
    if f.due_before.is_some() {
        Order::Due
    } else {
        Order::Created
    }
}

/// The query plan (`EXPLAIN QUERY PLAN` details) of a list, for checking that it walks an index
/// in list order, with no full scan or sort.
pub fn explain_list(conn: &Connection, f: &TicketFilter) -> Result<String> {
    let (sql, args) = page_query(f)?;
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?.join(" | "))
}

fn page_size(f: &TicketFilter) -> u32 {
    f.limit.unwrap_or(50).clamp(1, 500)
}

/// Where a list's rows come from: the tickets table `t` for the centre's lists, or a unit's reach
/// rows `t` (the orders its subtree sees) joined to the tickets `x`. Either way `t` has the list's
/// columns (`status`, `created_at`, `due_at`, `number`) and an index per list order.
struct Source {
    from: &'static str,
    /// The alias holding the summary columns.
    row: &'static str,
    unit: Option<String>,
}

fn source(f: &TicketFilter) -> Source {
    match f.unit.as_ref().or(f.within.as_ref()) {
        None => Source {
            from: "tickets t",
            row: "t",
            unit: None,
        },
        Some(u) => Source {
            from: "ticket_reach t JOIN tickets x ON x.id = t.ticket_id",
            row: "x",
            unit: Some(u.clone()),
        },
    }
}

/// The query of one page of a list: it selects the key, then the number, the id and the rest of
/// a [`TicketSummary`], in list order, walking one index of `t`.
fn page_query(f: &TicketFilter) -> Result<(String, Vec<rusqlite::types::Value>)> {
    let order = list_order(f);
    let Source { from, row, unit } = source(f);
    let mut w = Where {
        sql: String::from("1=1"),
        args: Vec::new(),
    };
    if let Some(u) = unit {
        w.push("t.unit = {}", [u.into()]);
    }
    if let Some(s) = &f.status {
        w.push("t.status = {}", [s.clone().into()]);
    }
    if let Some(p) = &f.phone {
        w.push(&format!("{row}.caller_phone = {{}}"), [p.clone().into()]);
    }
    if let Some(subject) = &f.subject {
        w.push(&format!("{row}.subject = {{}}"), [subject.clone().into()]);
    }
    if let Some(c) = f.created_after {
        w.push("t.created_at >= {}", [c.into()]);
    }
    if let Some(c) = f.created_before {
        w.push("t.created_at < {}", [c.into()]);
    }
    if let Some(r) = f.redo_review {
        w.push(&format!("{row}.redo_review = {{}}"), [i64::from(r).into()]);
    }
    let key = match order {
        Order::Created => "t.created_at",
        Order::Due => "t.due_at",
    };
    if let Some(d) = f.due_before {
        w.push("t.due_at IS NOT NULL AND t.due_at <= {}", [d.into()]);
    }
    if let Some(cursor) = &f.after {
        let (k, n) = parse_cursor(cursor)?;
        let cmp = if order == Order::Created { "<" } else { ">" };
        w.push(
            &format!("({key}, t.number) {cmp} ({{}}, {{}})"),
            [k.into(), n.into()],
        );
    }
    let dir = if order == Order::Created {
        "DESC"
    } else {
        "ASC"
    };
    let sql = format!(
        "SELECT {key}, {row}.number, {row}.id, {row}.status, {row}.lead_unit, {row}.request_type,
                {row}.subject, {row}.title, {row}.created_at, {row}.updated_at, {row}.due_at,
                {row}.urgent, {row}.conflicts, {row}.urges, {row}.supervision
         FROM {from} WHERE {} ORDER BY {key} {dir}, t.number {dir} LIMIT {}",
        w.sql,
        page_size(f)
    );
    Ok((sql, w.args))
}

/// Lists tickets, newest first (or soonest due first when filtering by deadline), one page after
/// `f.after`: one walk of an index in list order that stops at the page's end.
pub fn list(conn: &Connection, f: &TicketFilter) -> Result<Vec<TicketSummary>> {
    let (sql, args) = page_query(f)?;
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| summary_at(r, 1, 2))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An order on the operators' callback list (回访).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CallbackItem {
    /// The order.
    #[serde(flatten)]
    pub ticket: TicketSummary,
    /// Since when it needs a callback (Unix ms).
    pub since: i64,
    /// `survey` (the text went unanswered), `direct` (no text possible) or `verify` (不满意 by
    /// text).
    pub kind: String,
    /// Why, in words.
    pub reason: String,
}

/// The WHERE clause of the callback list: due for a call at `?1`, a survey's order only after the
/// wait `?2`.
const CALLBACK_DUE: &str = "callback_since IS NOT NULL AND callback_since <= ?1
    AND (callback_kind <> 'survey' OR callback_since <= ?1 - ?2)";

/// The operators' callback list at `now_ms`: orders that need a phone call, the longest waiting
/// first, one page after the cursor `<since>:<number>` of the previous page. An order whose survey
/// text went out joins it `survey_wait_ms` after (0 when no surveys are sent). One walk of the
/// partial index `tickets_callback`, which holds only orders waiting for a callback.
pub fn callback_list(
    conn: &Connection,
    now_ms: i64,
    survey_wait_ms: i64,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<CallbackItem>> {
    let (key, number) = match after {
        Some(c) => parse_cursor(c)?,
        None => (i64::MIN, String::new()),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT callback_since, callback_kind, number, id, status, lead_unit, request_type,
                subject, title, created_at, updated_at, due_at, urgent, conflicts, urges,
                supervision
         FROM tickets WHERE {CALLBACK_DUE} AND (callback_since, number) > (?3, ?4)
         ORDER BY callback_since, number LIMIT ?5"
    ))?;
    let rows = stmt.query_map(
        params![now_ms, survey_wait_ms, key, number, limit.clamp(1, 500)],
        |r| {
            let kind: String = r.get(1)?;
            Ok(CallbackItem {
                since: r.get(0)?,
                reason: hotline_model::survey::CallbackKind::parse(&kind)
                    .map(|k| k.reason().to_owned())
                    .unwrap_or_default(),
                kind,
                ticket: summary_at(r, 2, 3)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many orders are on the callback list at `now_ms` (see [`callback_list`]).
pub fn callback_count(conn: &Connection, now_ms: i64, survey_wait_ms: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM tickets WHERE {CALLBACK_DUE}"
        ))?
        .query_row(params![now_ms, survey_wait_ms], |r| r.get(0))?)
}

/// The query plan of [`callback_list`].
pub fn explain_callback_list(conn: &Connection) -> Result<String> {
    let mut stmt = conn.prepare(&format!(
        "EXPLAIN QUERY PLAN SELECT number FROM tickets WHERE {CALLBACK_DUE}
             AND (callback_since, number) > (?3, ?4) ORDER BY callback_since, number LIMIT ?5"
    ))?;
    let rows = stmt.query_map(params![0, 0, 0, "", 50], |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?.join(" | "))
}

/// The orders `unit` was given (lead or co-handling) in `[from, to)`, the latest first, one page
/// before the cursor `<assigned_at>:<order id>`: the statistics' drill-down behind a unit's
/// figures, one walk of the index `units_by_assigned`.
pub fn assigned_orders(
    conn: &Connection,
    unit: &str,
    from: i64,
    to: i64,
    before: Option<&str>,
    limit: u32,
) -> Result<Vec<(i64, TicketSummary)>> {
    let (key, number) = match before {
        Some(c) => parse_cursor(c)?,
        None => (to, String::new()),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT u.assigned_at, t.number, t.id, t.status, t.lead_unit, t.request_type, t.subject,
                t.title, t.created_at, t.updated_at, t.due_at, t.urgent, t.conflicts, t.urges,
                t.supervision
         FROM ticket_units u JOIN tickets t ON t.id = u.ticket_id
         WHERE u.unit = ?1 AND u.assigned_at >= ?2
           AND (u.assigned_at < ?3 OR (u.assigned_at = ?3 AND ?4 <> '' AND u.ticket_id < ?4))
         ORDER BY u.assigned_at DESC, u.ticket_id DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(params![unit, from, key, number, limit.clamp(1, 500)], |r| {
        Ok((r.get(0)?, summary_at(r, 1, 2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts of tickets per status.
pub fn status_counts(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT status, n FROM status_totals WHERE n != 0 ORDER BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Reads a ticket's full view by id or by number.
pub fn view(conn: &Connection, id_or_number: &str) -> Result<Option<TicketView>> {
    use rusqlite::OptionalExtension;
    let json: Option<String> = conn
        .prepare_cached(
            "SELECT v.view FROM tickets t JOIN ticket_views v ON v.id = t.id
             WHERE t.id = ?1 OR t.number = ?1",
        )?
        .query_row([id_or_number], |r| r.get(0))
        .optional()?;
    match json {
        None => Ok(None),
        Some(j) => Ok(Some(serde_json::from_str(&j).map_err(|e| {
            crate::error::StoreError::malformed(id_or_number, e.to_string())
        })?)),
    }
}

/// Records an order's query-code hash beside its public record (it never changes), so a citizen's
/// lookup reads one short row instead of the whole document.
pub fn set_code_hash(conn: &Connection, number: &str, qhash: &str) -> Result<()> {
    conn.prepare_cached("UPDATE ticket_public SET qhash = ?2 WHERE number = ?1")?
        .execute(params![number, qhash])?;
    Ok(())
}

/// What a citizen may see of the order `number`, with its id and query-code hash (to check the
/// code against): one row, no history read or parsed.
pub fn public_with_code_hash(
    conn: &Connection,
    number: &str,
) -> Result<Option<(String, Option<String>, PublicRecord)>> {
    use rusqlite::OptionalExtension;
    let row: Option<(String, Option<String>, String)> = conn
        .prepare_cached("SELECT id, qhash, record FROM ticket_public WHERE number = ?1")?
        .query_row([number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((id, h, j)) => {
            let public = serde_json::from_str(&j)
                .map_err(|e| crate::error::StoreError::malformed(&id, e.to_string()))?;
            Ok(Some((id, h, public)))
        }
    }
}

/// An order by number with its query-code hash (`None` when not recorded beside it yet).
pub fn view_with_code_hash(
    conn: &Connection,
    number: &str,
) -> Result<Option<(TicketView, Option<String>)>> {
    use rusqlite::OptionalExtension;
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT v.view, p.qhash FROM tickets t JOIN ticket_views v ON v.id = t.id
             LEFT JOIN ticket_public p ON p.number = t.number
             WHERE t.number = ?1",
        )?
        .query_row([number], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((j, h)) => Ok(Some((
            serde_json::from_str(&j)
                .map_err(|e| crate::error::StoreError::malformed(number, e.to_string()))?,
            h,
        ))),
    }
}

/// How many orders of each of `statuses` the subtree of `unit` sees, or every order without a
/// unit: both from running totals, one row each.
pub fn counts_within(
    conn: &Connection,
    unit: Option<&str>,
    statuses: &[&str],
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(statuses.len());
    for s in statuses {
        let n: i64 = match unit {
            Some(u) => conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM ticket_reach WHERE unit = ?1 AND status = ?2",
                )?
                .query_row(params![u, s], |r| r.get(0))?,
            None => conn
                .prepare_cached("SELECT COALESCE(SUM(n), 0) FROM status_totals WHERE status = ?1")?
                .query_row([s], |r| r.get(0))?,
        };
        out.push(((*s).to_owned(), n));
    }
    Ok(out)
}

/// Per unit of `units`: how many orders of each of `statuses` its subtree sees (running totals)
/// and how many of those it holds are past their deadline at `now` (one index range each).
pub fn unit_loads(
    conn: &Connection,
    units: &[String],
    statuses: &[&str],
    now: i64,
) -> Result<Vec<(String, Vec<i64>, i64)>> {
    let mut out = Vec::with_capacity(units.len());
    for u in units {
        let counts = counts_within(conn, Some(u), statuses)?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        let overdue: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM ticket_reach
                 WHERE unit = ?1 AND due_at IS NOT NULL AND due_at <= ?2",
            )?
            .query_row(params![u, now], |r| r.get(0))?;
        out.push((u.clone(), counts, overdue));
    }
    Ok(out)
}
