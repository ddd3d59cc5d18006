//! How a ticket is laid out in its automerge document.
//!
//! ```text
//! ROOT { kind: "ticket", id, number, qhash, node, intake: <JSON>, events: { <event id>: <JSON> },
//!        "file:<sha256>": <JSON>, "file_removed:<sha256>": <JSON> }
//! ```
//! The header and intake are written once by the creating node. Events go into a map keyed by their
//! unique id, so concurrent additions on different nodes never overwrite each other. Files named
//! after registration are root keys of their own (a nested map created lazily by two nodes at once
//! would leave one of them unseen); a file's removal is a second key, so adding and removing never
//! write the same key. Values are JSON text: compact, and checked field by field when read back,
//! because documents also arrive from peers.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValueRef, ValueRef};
use hotline_model::event::Event;
use hotline_model::file::{FileRemoval, TicketFile};
use hotline_model::ticket::Ticket;

use crate::error::{Result, StoreError};

/// The `kind` of ticket documents.
pub const KIND: &str = "ticket";

/// Builds a new ticket document holding the header, intake and initial events, as one change.
pub fn create(actor: ActorId, ticket: &Ticket, time_s: i64) -> Result<AutoCommit> {
    let id = ticket.id.as_str();
    let am = |e| StoreError::automerge(id, e);
    let mut doc = AutoCommit::new().with_actor(actor);
    doc.put(ROOT, "kind", KIND).map_err(am)?;
    doc.put(ROOT, "id", id).map_err(am)?;
    doc.put(ROOT, "number", ticket.number.as_str())
        .map_err(am)?;
    doc.put(ROOT, "qhash", ticket.query_code_hash.as_str())
        .map_err(am)?;
    doc.put(ROOT, "node", ticket.created_node.as_str())
        .map_err(am)?;
    let intake = serde_json::to_string(&ticket.intake)
        .map_err(|e| StoreError::malformed(id, e.to_string()))?;
    doc.put(ROOT, "intake", intake).map_err(am)?;
    let events = doc.put_object(ROOT, "events", ObjType::Map).map_err(am)?;
    for e in &ticket.events {
        put_event(&mut doc, &events, id, e)?;
    }
    for f in &ticket.files {
        put_file(&mut doc, id, f)?;
    }
    doc.commit_with(CommitOptions::default().with_time(time_s));
    Ok(doc)
}

/// Appends one event as one change.
pub fn add_event(doc: &mut AutoCommit, doc_id: &str, event: &Event, time_s: i64) -> Result<()> {
    let events = events_obj(doc, doc_id)?;
    put_event(doc, &events, doc_id, event)?;
    doc.commit_with(CommitOptions::default().with_time(time_s));
    Ok(())
}

/// Names a file in the order as one change (with its removal, if it has one).
pub fn add_file(doc: &mut AutoCommit, doc_id: &str, file: &TicketFile, time_s: i64) -> Result<()> {
    put_file(doc, doc_id, file)?;
    doc.commit_with(CommitOptions::default().with_time(time_s));
    Ok(())
}

/// Records that a file was removed, as one change.
pub fn remove_file(
    doc: &mut AutoCommit,
    doc_id: &str,
    sha256: &str,
    removal: &FileRemoval,
    time_s: i64,
) -> Result<()> {
    let json = serde_json::to_string(removal)
        .map_err(|err| StoreError::malformed(doc_id, err.to_string()))?;
    doc.put(ROOT, format!("{REMOVED_PREFIX}{sha256}"), json)
        .map_err(|err| StoreError::automerge(doc_id, err))?;
    doc.commit_with(CommitOptions::default().with_time(time_s));
    Ok(())
}

const FILE_PREFIX: &str = "file:";
const REMOVED_PREFIX: &str = "file_removed:";

fn put_file(doc: &mut AutoCommit, doc_id: &str, f: &TicketFile) -> Result<()> {
    let mut entry = f.clone();
    let removal = entry.removed.take();
    let json = serde_json::to_string(&entry)
        .map_err(|err| StoreError::malformed(doc_id, err.to_string()))?;
    doc.put(ROOT, format!("{FILE_PREFIX}{}", f.file.sha256), json)
        .map_err(|err| StoreError::automerge(doc_id, err))?;
    if let Some(r) = removal {
        let json = serde_json::to_string(&r)
            .map_err(|err| StoreError::malformed(doc_id, err.to_string()))?;
        doc.put(ROOT, format!("{REMOVED_PREFIX}{}", f.file.sha256), json)
            .map_err(|err| StoreError::automerge(doc_id, err))?;
    }
    Ok(())
}

/// The files named at the root, with their removals, oldest first. Entries that do not parse or
/// whose key does not match their hash are dropped (they can only come from a faulty peer).
fn files_of(texts: &[(String, String)]) -> Vec<TicketFile> {
    let mut files: Vec<TicketFile> = texts
        .iter()
        .filter_map(|(k, v)| {
            let sha = k.strip_prefix(FILE_PREFIX)?;
            let f: TicketFile = serde_json::from_str(v).ok()?;
            (f.file.sha256 == sha && f.check().is_ok()).then_some(f)
        })
        .collect();
    for (k, v) in texts {
        if let Some(sha) = k.strip_prefix(REMOVED_PREFIX)
            && let Ok(r) = serde_json::from_str::<FileRemoval>(v)
            && let Some(f) = files.iter_mut().find(|f| f.file.sha256 == sha)
        {
            f.removed = Some(r);
        }
    }
    files.sort_by(|a, b| (a.added_at, &a.file.sha256).cmp(&(b.added_at, &b.file.sha256)));
    files
}

fn put_event(doc: &mut AutoCommit, events: &ObjId, doc_id: &str, e: &Event) -> Result<()> {
    let json =
        serde_json::to_string(e).map_err(|err| StoreError::malformed(doc_id, err.to_string()))?;
    doc.put(events, e.id.as_str(), json)
        .map_err(|err| StoreError::automerge(doc_id, err))?;
    Ok(())
}

fn events_obj(doc: &AutoCommit, doc_id: &str) -> Result<ObjId> {
    match doc.get(ROOT, "events") {
        Ok(Some((automerge::Value::Object(ObjType::Map), obj))) => Ok(obj),
        Ok(_) => Err(StoreError::malformed(doc_id, "no events map")),
        Err(e) => Err(StoreError::automerge(doc_id, e)),
    }
}

/// Reads a string at the root.
pub fn root_str(doc: &AutoCommit, doc_id: &str, key: &str) -> Result<String> {
    match doc.get(ROOT, key) {
        Ok(Some((value, _))) => value
            .into_string()
            .map_err(|_| StoreError::malformed(doc_id, format!("{key} is not text"))),
        Ok(None) => Err(StoreError::malformed(doc_id, format!("{key} is missing"))),
        Err(e) => Err(StoreError::automerge(doc_id, e)),
    }
}

/// The root's text fields and its events map, read in one pass: every `get` searches the root
/// anew, and seven of them cost more than the rest of reading a ticket.
struct RootFields {
    texts: Vec<(String, String)>,
    events: Option<ObjId>,
}

impl RootFields {
    fn read(doc: &AutoCommit) -> Self {
        let mut texts = Vec::new();
        let mut events = None;
        for item in doc.map_range(ROOT, ..) {
            match &item.value {
                ValueRef::Scalar(ScalarValueRef::Str(s)) => {
                    texts.push((item.key.to_string(), s.to_string()));
                }
                ValueRef::Object(ObjType::Map) if item.key == "events" => events = Some(item.id()),
                _ => {}
            }
        }
        Self { texts, events }
    }

    fn take(&mut self, doc_id: &str, key: &str) -> Result<String> {
        match self.texts.iter().position(|(k, _)| k == key) {
            Some(i) => Ok(self.texts.swap_remove(i).1),
            None => Err(StoreError::malformed(
                doc_id,
                format!("{key} is missing or not text"),
            )),
        }
    }
}

/// Reads a ticket back. Events that do not parse are skipped and counted (they can only come from a
/// faulty or hostile peer); the header and intake must be intact.
pub fn read(doc: &AutoCommit, doc_id: &str) -> Result<(Ticket, usize)> {
    let mut root = RootFields::read(doc);
    let kind = root.take(doc_id, "kind")?;
    if kind != KIND {
        return Err(StoreError::malformed(
            doc_id,
            format!("kind is {kind}, not ticket"),
        ));
    }
    let id = root.take(doc_id, "id")?;
    if id != doc_id {
        return Err(StoreError::malformed(
            doc_id,
            "id does not match the document id",
        ));
    }
    let intake_json = root.take(doc_id, "intake")?;
    let intake = serde_json::from_str(&intake_json)
        .map_err(|e| StoreError::malformed(doc_id, format!("intake: {e}")))?;
    let events_id = root
        .events
        .clone()
        .ok_or_else(|| StoreError::malformed(doc_id, "no events map"))?;
    let mut events = Vec::new();
    let mut bad = 0;
    for item in doc.map_range(&events_id, ..) {
        let parsed = match &item.value {
            ValueRef::Scalar(ScalarValueRef::Str(s)) => serde_json::from_str::<Event>(s).ok(),
            _ => None,
        };
        match parsed {
            Some(e) if e.id == item.key => events.push(e),
            _ => bad += 1,
        }
    }
    let files = files_of(&root.texts);
    Ok((
        Ticket {
            files,
            id,
            number: root.take(doc_id, "number")?,
            query_code_hash: root.take(doc_id, "qhash")?,
            created_node: root.take(doc_id, "node")?,
            intake,
            events,
        },
        bad,
    ))
}
