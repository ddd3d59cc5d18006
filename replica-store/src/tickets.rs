//! Ticket writes: registration (number and query code issued in the same transaction) and workflow
//! actions (checked against the derived state, appended as one automerge change).

use automerge::ActorId;
use hotline_model::event::{Action, Event};
use hotline_model::file::{FileRemoval, TicketFile};
use hotline_model::intake::Intake;
use hotline_model::number;
use hotline_model::ticket::{Ticket, TicketView};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::docstore;
use crate::error::{Result, StoreError};
use crate::projection;
use crate::ticket_doc;
use crate::worker::{Ctx, Shared};

/// A ticket to register.
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// What the citizen told us.
    pub intake: Intake,
    /// The registering user's login.
    pub author: String,
    /// The unit the user works for.
    pub unit: String,
    /// Now (Unix ms), from the caller's clock.
    pub now_ms: i64,
    /// Random bytes from the caller: 16 for the ticket id (also the `created` event's id), 8 for the
    /// query code.
    pub random: [u8; 24],
    /// Actions taken at once by the same user, such as a direct answer, with their event ids.
    pub then: Vec<(String, Action)>,
}

/// What registration returns: the only time the query code is seen in clear.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Created {
    /// The ticket as stored.
    pub ticket: TicketView,
    /// The citizen's query code (only its hash is stored).
    pub query_code: String,
}

/// A workflow action to apply.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// Event id (UUID text, from the caller).
    pub id: String,
    /// Acting user.
    pub author: String,
    /// The unit the user acts for.
    pub unit: String,
    /// What to do.
    pub action: Action,
    /// Now (Unix ms).
    pub now_ms: i64,
}

fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

/// A registration made ready outside the writer: number issued, document built and saved, view
/// serialised. Only the inserts remain for the writer.
pub struct Prepared {
    id: String,
    day: String,
    day_seq: i64,
    snapshot: Vec<u8>,
    heads: String,
    view_json: String,
    scope: String,
    created: Created,
}

/// Builds a registration: validates, issues the number, builds the document. CPU work only, so it runs
/// on the caller's thread and many can run while the writer commits.
pub fn prepare(shared: &Shared, req: NewTicket) -> Result<Prepared> {
    req.intake.validate().map_err(StoreError::Invalid)?;
    for (_, a) in &req.then {
        a.validate().map_err(StoreError::Invalid)?;
    }
    let id = uuid_from(&req.random[..16]);
    let mut code_bytes = [0u8; 8];
    code_bytes.copy_from_slice(&req.random[16..24]);
    let query_code = number::query_code(code_bytes);
    let date = number::local_date(req.now_ms);
    let day = number::ticket_number(date, "", 0)[..8].to_string();
    let mut ticket = Ticket {
        query_code_hash: number::query_code_hash(&id, &query_code),
        id: id.clone(),
        number: String::new(),
        created_node: shared.node.clone(),
        intake: req.intake,
        events: Vec::new(),
        files: Vec::new(),
    };
    let actions = std::iter::once((id.clone(), Action::Created)).chain(req.then);
    let mut state = hotline_model::workflow::TicketState::initial(&ticket.intake);
    for (event_id, action) in actions {
        let event = Event {
            id: event_id,
            author: req.author.clone(),
            unit: req.unit.clone(),
            node: shared.node.clone(),
            hlc: shared.tick(Default::default(), req.now_ms),
            action,
        };
        state.apply(&event).map_err(StoreError::Rejected)?;
        ticket.events.push(event);
    }
    let day_seq = shared.next_number(&day);
    ticket.number = number::ticket_number(
        date,
        &shared.node,
        u32::try_from(day_seq).unwrap_or(u32::MAX),
    );
    build(shared, &ticket, req.now_ms, day, day_seq, query_code)
}

/// Builds a ticket's document and view, ready for the writer.
fn build(
    shared: &Shared,
    ticket: &Ticket,
    now_ms: i64,
    day: String,
    day_seq: i64,
    query_code: String,
) -> Result<Prepared> {
    let view = ticket.view();
    let scope = view.state.scope_units().join(",");
    let mut doc = ticket_doc::create(shared.actor.clone(), ticket, now_ms / 1000)?;
    let snapshot = doc.save_nocompress();
    let heads = docstore::heads_text(&doc.get_heads());
    let view_json = projection::view_json(&view)?;
    Ok(Prepared {
        id: ticket.id.clone(),
        day,
        day_seq,
        snapshot,
        heads,
        view_json,
        scope,
        created: Created {
            ticket: view,
            query_code,
        },
    })
}

/// Prepares an order imported whole, with its history (from the centre's previous system, or made
/// by a benchmark): its events were made elsewhere; the document is built here and the order is
/// projected like any other. Its number is kept, and numbering of its day at this node continues
/// after it. CPU work only, like [`prepare`].
pub fn prepare_import(shared: &Shared, ticket: Ticket) -> Result<Prepared> {
    ticket.intake.validate().map_err(StoreError::Invalid)?;
    for e in &ticket.events {
        e.action.validate().map_err(StoreError::Invalid)?;
    }
    let day = ticket.number.get(..8).unwrap_or_default().to_string();
    let day_seq = if ticket.created_node == shared.node {
        ticket
            .number
            .rsplit('-')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    } else {
        0
    };
    {
        let mut numbers = shared.numbers.lock().unwrap_or_else(|p| p.into_inner());
        let last = numbers.entry(day.clone()).or_insert(0);
        *last = (*last).max(day_seq);
    }
    let created_ms = ticket
        .events
        .iter()
        .map(|e| e.hlc.wall_ms)
        .min()
        .unwrap_or_default();
    build(shared, &ticket, created_ms, day, day_seq, String::new())
}

/// Stores a prepared registration.
pub fn insert(ctx: &mut Ctx<'_>, p: Prepared) -> Result<Created> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO counters(name, value) VALUES(?1, ?2)
             ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)",
        )?
        .execute(rusqlite::params![format!("ticket:{}", p.day), p.day_seq])?;
    let seq = docstore::insert_saved(
        ctx.conn,
        &p.id,
        ticket_doc::KIND,
        &p.snapshot,
        &p.heads,
        &p.scope,
    )?;
    *ctx.seq = (*ctx.seq).max(seq);
    projection::project_new(ctx.conn, &p.created.ticket, &p.view_json, seq)?;
    let t = &p.created.ticket;
    projection::set_code_hash(
        ctx.conn,
        &t.number,
        &hotline_model::number::query_code_hash(&t.id, &p.created.query_code),
    )?;
    Ok(p.created)
}

/// Loads a ticket document and reads it.
pub fn load(
    conn: &Connection,
    actor: &ActorId,
    id: &str,
) -> Result<(automerge::AutoCommit, Ticket)> {
    let (doc, row) =
        docstore::load(conn, id, actor)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
    if row.kind != ticket_doc::KIND {
        return Err(StoreError::NotFound(id.to_string()));
    }
    let (ticket, _bad) = ticket_doc::read(&doc, id)?;
    Ok((doc, ticket))
}

/// Resolves a ticket number to its id (ids pass through).
pub fn resolve_id(conn: &Connection, id_or_number: &str) -> Result<String> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT id FROM tickets WHERE id = ?1 OR number = ?1")?
        .query_row([id_or_number], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(id_or_number.to_string()))
}

/// Applies one workflow action, if the derived state allows it.
pub fn apply(ctx: &mut Ctx<'_>, ticket: &str, req: NewEvent) -> Result<TicketView> {
    req.action.validate().map_err(StoreError::Invalid)?;
    let id = resolve_id(ctx.conn, ticket)?;
    let (mut doc, mut t) = load(ctx.conn, &ctx.node.actor, &id)?;
    let state = t.state();
    let seen = t.events.iter().map(|e| e.hlc).max().unwrap_or_default();
    let event = Event {
        id: req.id,
        author: req.author,
        unit: req.unit,
        node: ctx.node.node.clone(),
        hlc: ctx.node.tick(seen, req.now_ms),
        action: req.action,
    };
    state.check(&event).map_err(StoreError::Rejected)?;
    let before = doc.get_heads();
    ticket_doc::add_event(&mut doc, &id, &event, req.now_ms / 1000)?;
    t.events.push(event);
    finish_doc_change(ctx, &id, &mut doc, &before, &t)
}

/// Names a file in an order (a recording, a unit's photo or document). Naming a file the order
/// already names changes nothing; the order's file count is limited.
pub fn attach_file(
    ctx: &mut Ctx<'_>,
    ticket: &str,
    file: TicketFile,
    now_ms: i64,
) -> Result<TicketView> {
    file.check().map_err(StoreError::Invalid)?;
    let id = resolve_id(ctx.conn, ticket)?;
    let (mut doc, mut t) = load(ctx.conn, &ctx.node.actor, &id)?;
    if t.files.iter().any(|f| f.file.sha256 == file.file.sha256)
        || t.intake
            .attachments
            .iter()
            .any(|a| a.sha256 == file.file.sha256)
    {
        return Ok(t.view());
    }
    if t.files.len() >= hotline_model::file::MAX_FILES {
        return Err(StoreError::Invalid(
            hotline_model::intake::FieldError::TooLong {
                field: "files".into(),
                len: t.files.len() + 1,
                max: hotline_model::file::MAX_FILES,
            },
        ));
    }
    let before = doc.get_heads();
    ticket_doc::add_file(&mut doc, &id, &file, now_ms / 1000)?;
    t.files.push(file);
    finish_doc_change(ctx, &id, &mut doc, &before, &t)
}

/// Records that a file of an order was removed (its retention ended); once only.
pub fn remove_file(
    ctx: &mut Ctx<'_>,
    ticket: &str,
    sha256: &str,
    removal: FileRemoval,
) -> Result<TicketView> {
    let id = resolve_id(ctx.conn, ticket)?;
    let (mut doc, mut t) = load(ctx.conn, &ctx.node.actor, &id)?;
    let Some(f) = t.files.iter_mut().find(|f| f.file.sha256 == sha256) else {
        return Err(StoreError::NotFound(format!("{id}/{sha256}")));
    };
    if f.removed.is_some() {
        return Ok(t.view());
    }
    let before = doc.get_heads();
    ticket_doc::remove_file(&mut doc, &id, sha256, &removal, removal.at / 1000)?;
    f.removed = Some(removal);
    finish_doc_change(ctx, &id, &mut doc, &before, &t)
}

fn finish_doc_change(
    ctx: &mut Ctx<'_>,
    id: &str,
    doc: &mut automerge::AutoCommit,
    before: &[automerge::ChangeHash],
    t: &Ticket,
) -> Result<TicketView> {
    let view = t.view();
    let scope = view.state.scope_units().join(",");
    let seq = docstore::append(ctx.conn, id, doc, before, &scope)?.unwrap_or_default();
    *ctx.seq = (*ctx.seq).max(seq);
    projection::project(ctx.conn, &view, seq)?;
    Ok(view)
}

/// Re-projects ticket documents whose projection is missing or older than the document, among the
/// documents changed after local sequence `since` (every projection is written in the same
/// transaction as its document, so older ones are known to be current); returns how many were
/// rebuilt. With `all`, every ticket is rebuilt (after a projection format change).
pub fn reproject(conn: &Connection, actor: &ActorId, all: bool, since: i64) -> Result<usize> {
    if all {
        projection::clear(conn)?;
    }
    let since = if all { 0 } else { since };
    let stale: Vec<(String, i64)> = {
        let mut stmt = conn.prepare(
            "SELECT d.id, d.seq FROM docs d LEFT JOIN tickets t ON t.id = d.id
             WHERE d.seq > ?1 AND d.kind = 'ticket' AND (t.id IS NULL OR t.doc_seq != d.seq)",
        )?;
        let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, seq) in &stale {
        match load(conn, actor, id) {
            Ok((_, t)) => {
                projection::project(conn, &t.view(), *seq)?;
                projection::set_code_hash(conn, &t.number, &t.query_code_hash)?;
            }
            Err(e) => tracing::error!(doc = %id, error = %e, "cannot project ticket document"),
        }
    }
    Ok(stale.len())
}
