//! A node's durable replica: automerge documents in SQLite, the local change feed and the query
//! projections, served from owned threads (a writer, interactive readers, a reader for long work)
//! so rusqlite never blocks the async runtime — except point reads of one row by a unique key,
//! which run on the caller's thread and never wait (`point_reads`).
//!
//! Invariants:
//! - Documents are the source of truth; `tickets` and `ticket_units` are derived and are rebuilt at
//!   open when missing, stale or of an older format.
//! - A write is acknowledged only after the transaction holding it committed (WAL, `synchronous=FULL`).
//! - Every change to any document takes the next local sequence number (`docs.seq`): the sync feed.
//!
//! Why one file of this length: it is the store's public face: one short async method per job, each handing its work to the writer or a reader.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod article_doc;
pub mod audit;
pub mod calls;
pub mod credential_doc;
pub mod docstore;
pub mod error;
pub mod files;
pub mod inbound;
pub mod inbox;
pub mod intake_queue;
pub mod outbox;
pub mod phrases_doc;
mod point_reads;
pub mod projection;
pub mod quality;
pub mod refdata_doc;
pub mod schema;
pub mod sessions;
pub mod surveys;
pub mod sync_schema;
pub mod ticket_doc;
pub mod tickets;
pub mod unit_map_doc;
mod worker;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use automerge::ActorId;
use hotline_model::hlc::Hlc;
use hotline_model::ticket::TicketView;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio::sync::{oneshot, watch};

pub use error::{Result, StoreError};
pub use projection::{TicketFilter, TicketSummary};
pub use tickets::{Created, NewEvent, NewTicket};
pub use worker::Ctx;

/// What [`Store::unit_totals`] returns.
pub struct UnitTotals {
    /// Per unit, its summed counts.
    pub sums: Vec<(String, [i64; hotline_model::assessment::COUNTERS])>,
    /// Per unit, its overdue assignments.
    pub overdue: std::collections::BTreeMap<String, u32>,
}

impl UnitTotals {
    /// The assessment of every unit with something to count, sorted by unit code: the same as
    /// [`hotline_model::assessment::assess`] over the orders.
    pub fn figures(&self) -> Vec<hotline_model::assessment::UnitFigures> {
        let mut out: Vec<_> = self
            .sums
            .iter()
            .filter(|(unit, sum)| sum.iter().any(|c| *c != 0) || self.overdue.contains_key(unit))
            .map(|(unit, sum)| {
                hotline_model::assessment::UnitFigures::from_counts(
                    unit,
                    sum,
                    self.overdue.get(unit).copied().unwrap_or(0),
                )
            })
            .collect();
        out.sort_by(|a, b| a.unit.cmp(&b.unit));
        out
    }
}

/// Interactive reader connections: one per core, at least two, at most eight.
fn reader_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// The query code's hash as stored beside the projection, or (not recorded there yet) from the
/// order's document.
fn code_hash(
    c: &Connection,
    actor: &ActorId,
    id: &str,
    stored: Option<String>,
) -> Result<Option<String>> {
    match stored {
        Some(h) => Ok(Some(h)),
        None => match docstore::load(c, id, actor)? {
            Some((doc, _)) => Ok(Some(ticket_doc::root_str(&doc, id, "qhash")?)),
            None => Ok(None),
        },
    }
}

/// A handle to a node's store; cheap to clone, usable from any task.
#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<worker::WriteJob>,
    reader: mpsc::Sender<worker::ReadJob>,
    bulk: mpsc::Sender<worker::ReadJob>,
    committed: watch::Receiver<i64>,
    shared: Arc<worker::Shared>,
    points: Arc<point_reads::PointReads>,
    notifier: Arc<std::sync::RwLock<Option<Notifier>>>,
    outbox_wake: Arc<tokio::sync::Notify>,
}

/// How a citizen's text settles a satisfaction survey (see [`Store::receive`]).
#[derive(Clone, Debug)]
pub struct SurveyAnswer {
    /// The survey's key.
    pub key: String,
    /// Its order (number).
    pub ticket: String,
    /// `answered`, `clarifying`, or `closed` (the order moved on: the text becomes a draft).
    pub state: &'static str,
    /// The callback the answer records on the order.
    pub event: Option<NewEvent>,
}

/// What a node sends when it records events on an order (its view after them, the events, and
/// the plain query code when the order was registered just now): asked inside the transaction
/// that records them, its answer queued in the outbox by that same transaction. Orders imported
/// whole and events that arrive by sync notify nobody here: the node that recorded them did.
pub type Notifier = Arc<
    dyn Fn(
            &TicketView,
            &[hotline_model::event::Event],
            Option<&str>,
        ) -> Vec<hotline_model::notify::Notice>
        + Send
        + Sync,
>;

impl Store {
    /// Opens (or creates) the store at `path` for node `node`. `actor` is this process's automerge
    /// actor id: random at every open, so a node restored from a backup never reuses one.
    pub fn open(path: &Path, node: &str, actor: [u8; 16]) -> Result<Store> {
        let conn = Connection::open(path)?;
        schema::configure(&conn)?;
        let version = schema::create(&conn)?;
        let actor = ActorId::from(actor.as_slice());
        // Up to which local sequence projections were last checked: start-up checks only what
        // changed since, so it does not grow with the number of orders. Without the checkpoint
        // (deleted to ask for a repair) or after a format change, every projection and running
        // total is rebuilt from the documents.
        let checked: Option<i64> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'projections_checked_seq'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| v.parse().ok());
        let all = version.as_deref() != Some(schema::PROJECTION_VERSION) || checked.is_none();
        let checked = checked.unwrap_or(0);
        conn.execute_batch("BEGIN IMMEDIATE")?;
        projection::follow_org(&conn, &actor)?;
        let rebuilt = tickets::reproject(&conn, &actor, all, checked)?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES('projection_version', ?1)
             ON CONFLICT(key) DO UPDATE SET value = ?1",
            [schema::PROJECTION_VERSION],
        )?;
        conn.execute(
            "INSERT INTO meta(key, value)
             VALUES('projections_checked_seq', (SELECT COALESCE(MAX(seq), 0) FROM docs))
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )?;
        conn.execute_batch("COMMIT")?;
        if rebuilt > 0 {
            tracing::info!(rebuilt, all, "ticket projections rebuilt from documents");
        }
        let seq: i64 = conn
            .query_row("SELECT value FROM counters WHERE name = 'seq'", [], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0);
        // The clock starts at the latest event time among the most recently changed tickets (an
        // event's time is never behind the ones its node saw before it).
        let max_wall: i64 = conn.query_row(
            "SELECT COALESCE(MAX(t.updated_at), 0) FROM
               (SELECT id FROM docs ORDER BY seq DESC LIMIT 10000) d JOIN tickets t ON t.id = d.id",
            [],
            |r| r.get(0),
        )?;

        let open_reader = || -> Result<Connection> {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            c.set_prepared_statement_cache_capacity(schema::STATEMENT_CACHE);
            // A bounded page cache per connection (8 MiB), whatever the database's size.
            c.pragma_update(None, "cache_size", -8192)?;
            Ok(c)
        };
        let (wtx, wrx) = mpsc::channel();
        let (rtx, rrx) = mpsc::channel();
        let (btx, brx) = mpsc::channel();
        let (ctx, crx) = watch::channel(seq);
        let numbers = {
            let mut stmt = conn.prepare(
                "SELECT substr(name, 8), value FROM counters WHERE name LIKE 'ticket:%'",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            rows.collect::<Result<std::collections::BTreeMap<_, _>, _>>()?
        };
        let shared = Arc::new(worker::Shared {
            node: node.to_string(),
            actor,
            clock: Mutex::new(Hlc::at(max_wall)),
            numbers: Mutex::new(numbers),
            stats: Default::default(),
        });
        let state = shared.clone();
        std::thread::Builder::new()
            .name(format!("store-writer-{node}"))
            .spawn(move || worker::run_writer(conn, state, wrx, ctx))
            .map_err(|_| StoreError::Closed)?;
        // Interactive reads (lists, views, lookups) share a pool sized to the machine; long work
        // has a reader of its own, so it never holds up an operator's list or a citizen's lookup.
        let rrx = Arc::new(Mutex::new(rrx));
        for i in 0..reader_count() {
            let conn = open_reader()?;
            let queue = rrx.clone();
            std::thread::Builder::new()
                .name(format!("store-reader-{node}-{i}"))
                .spawn(move || worker::run_reader(conn, queue))
                .map_err(|_| StoreError::Closed)?;
        }
        let conn = open_reader()?;
        let brx = Arc::new(Mutex::new(brx));
        std::thread::Builder::new()
            .name(format!("store-bulk-{node}"))
            .spawn(move || worker::run_reader(conn, brx))
            .map_err(|_| StoreError::Closed)?;
        Ok(Store {
            writer: wtx,
            reader: rtx,
            bulk: btx,
            committed: crx,
            shared,
            points: Arc::new(point_reads::PointReads::new(
                path.to_path_buf(),
                reader_count(),
            )),
            notifier: Arc::new(std::sync::RwLock::new(None)),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// This node's code.
    pub fn node(&self) -> &str {
        &self.shared.node
    }

    /// The writer's counters: commits, jobs, time in jobs and in commits.
    pub fn writer_stats(&self) -> serde_json::Value {
        use std::sync::atomic::Ordering::Relaxed;
        let s = &self.shared.stats;
        serde_json::json!({
            "batches": s.batches.load(Relaxed),
            "jobs": s.jobs.load(Relaxed),
            "job_micros": s.job_micros.load(Relaxed),
            "commit_micros": s.commit_micros.load(Relaxed),
        })
    }

    /// The latest committed local sequence number; changes whenever a write commits.
    pub fn committed(&self) -> watch::Receiver<i64> {
        self.committed.clone()
    }

    /// Runs a write job in the next group commit; resolves after the commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Ctx<'_>) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: worker::WriteJob = Box::new(move |ctx| {
            let result = f(ctx);
            let ok = result.is_ok();
            let done: worker::Done = Box::new(move |commit| {
                let out = match (result, commit) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Ok(_), Err(e)) => Err(StoreError::Commit(e.to_string())),
                    (Err(e), _) => Err(e),
                };
                let _ = tx.send(out);
            });
            (ok, done)
        });
        self.writer.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a short read job on the interactive reader pool (sees every committed write).
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        Self::read_on(&self.reader, f).await
    }

    /// Runs a read of a few rows by a unique key (a citizen's lookup) on the caller's own thread
    /// when one of the point-read connections is free, else on the interactive reader pool. `f`
    /// must be that short: it holds up the caller's async worker while it runs.
    pub async fn read_point<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        if let Some(out) = self.points.run(&f) {
            return out;
        }
        self.read(move |c| f(c)).await
    }

    /// Runs a long read job (statistics, exports, sweeps) on the reader kept for long work, where
    /// it queues behind other long work only.
    pub async fn read_bulk<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        Self::read_on(&self.bulk, f).await
    }

    async fn read_on<T, F>(queue: &mpsc::Sender<worker::ReadJob>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: worker::ReadJob = Box::new(move |conn| {
            // A caller that gave up (a request past its time budget) is not worked for.
            if !tx.is_closed() {
                let _ = tx.send(f(conn));
            }
        });
        queue.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Registers a ticket; resolves once it is durable.
    pub async fn create_ticket(&self, req: NewTicket) -> Result<Created> {
        let now = req.now_ms;
        let prepared = tickets::prepare(&self.shared, req)?;
        let notifier = self.notifier();
        let (created, queued) = self
            .write(move |ctx| {
                let created = tickets::insert(ctx, prepared)?;
                let queued = match notifier {
                    Some(n) => {
                        let view = &created.ticket;
                        let notices = n(view, &view.events, Some(&created.query_code));
                        outbox::enqueue(ctx.conn, &notices, now)?
                    }
                    None => 0,
                };
                Ok((created, queued))
            })
            .await?;
        self.outbox_queued(queued);
        Ok(created)
    }

    /// Wakes the sender when notifications were queued.
    fn outbox_queued(&self, n: usize) {
        if n > 0 {
            self.outbox_wake.notify_one();
        }
    }

    /// Resolves when notifications were queued (or queued again) since the last call: the
    /// sender's wake-up. A wake-up that comes while nobody waits is kept for the next call.
    pub async fn outbox_queued_wait(&self) {
        self.outbox_wake.notified().await;
    }

    /// A handle to the same store that notifies nobody of what it records: for loading history
    /// (a demo's or a migration's orders), never for people's actions.
    pub fn quiet(&self) -> Store {
        Store {
            notifier: Arc::new(std::sync::RwLock::new(None)),
            ..self.clone()
        }
    }

    /// Sets what this node sends when it records events (see [`Notifier`]).
    pub fn set_notifier(&self, notifier: Notifier) {
        *self.notifier.write().unwrap_or_else(|p| p.into_inner()) = Some(notifier);
    }

    fn notifier(&self) -> Option<Notifier> {
        self.notifier
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Imports an order whole, with its history (see [`tickets::prepare_import`]); resolves once
    /// it is durable.
    pub async fn import_ticket(&self, ticket: hotline_model::ticket::Ticket) -> Result<()> {
        let prepared = tickets::prepare_import(&self.shared, ticket)?;
        self.write(move |ctx| tickets::insert(ctx, prepared).map(|_| ()))
            .await
    }

    /// Applies a workflow action to a ticket (by id or number); resolves once it is durable.
    pub async fn apply(&self, ticket: String, req: NewEvent) -> Result<TicketView> {
        let now = req.now_ms;
        let notifier = self.notifier();
        let (view, queued) = self
            .write(move |ctx| {
                let view = tickets::apply(ctx, &ticket, req)?;
                let queued = match notifier {
                    Some(n) => {
                        let last = view.events.len().saturating_sub(1);
                        outbox::enqueue(ctx.conn, &n(&view, &view.events[last..], None), now)?
                    }
                    None => 0,
                };
                Ok((view, queued))
            })
            .await?;
        self.outbox_queued(queued);
        Ok(view)
    }

    /// Keeps a citizen's message (see [`inbound`]) and, in the same transaction, settles the
    /// survey it answers (recording the callback event it causes, if any) and queues the texts
    /// sent back. `None` when the channel delivered the message before: then nothing is done.
    /// A rejected event (the order moved on) rolls everything back.
    pub async fn receive(
        &self,
        msg: inbound::Received,
        survey: Option<SurveyAnswer>,
        replies: Vec<hotline_model::notify::Notice>,
    ) -> Result<Option<i64>> {
        let now = msg.received_at;
        let notifier = self.notifier();
        let (id, queued) = self
            .write(move |ctx| {
                if inbound::seen(ctx.conn, &msg.channel, &msg.external_id)? {
                    return Ok((None, 0));
                }
                let mut queued = 0;
                let mut ticket = None;
                let closed = survey.as_ref().is_some_and(|s| s.state == "closed");
                if let Some(s) = survey {
                    if let Some(event) = s.event {
                        let view = tickets::apply(ctx, &s.ticket, event)?;
                        if let Some(n) = &notifier {
                            let last = view.events.len().saturating_sub(1);
                            queued += outbox::enqueue(
                                ctx.conn,
                                &n(&view, &view.events[last..], None),
                                now,
                            )?;
                        }
                    }
                    surveys::settle(ctx.conn, &s.key, s.state, Some(&msg.content), now)?;
                    ticket = Some(s.ticket);
                }
                // A survey that closed without an answer leaves the text to an operator.
                let state = if ticket.is_some() && !closed {
                    "survey"
                } else {
                    "new"
                };
                let id = inbound::insert(ctx.conn, &msg, state, ticket.as_deref())?;
                queued += outbox::enqueue(ctx.conn, &replies, now)?;
                Ok((id, queued))
            })
            .await?;
        self.outbox_queued(queued);
        Ok(id)
    }

    /// Settles an intake draft as an operator handled it and queues the texts that tell the
    /// citizen, in one transaction; `false` (and nothing queued) when it was no longer a draft.
    pub async fn handle_draft(
        &self,
        id: i64,
        how: inbound::Handling,
        by: String,
        now_ms: i64,
        replies: Vec<hotline_model::notify::Notice>,
    ) -> Result<bool> {
        let (done, queued) = self
            .write(move |ctx| {
                if !inbound::handle(ctx.conn, id, &how, &by, now_ms)? {
                    return Ok((false, 0));
                }
                Ok((true, outbox::enqueue(ctx.conn, &replies, now_ms)?))
            })
            .await?;
        self.outbox_queued(queued);
        Ok(done)
    }

    /// Up to `limit` notifications due at `now_ms` (see [`outbox::due`]).
    /// Queues notifications no order's event causes (the monthly report), each key once; returns
    /// how many were new.
    pub async fn enqueue(
        &self,
        notices: Vec<hotline_model::notify::Notice>,
        now_ms: i64,
    ) -> Result<usize> {
        let queued = self
            .write(move |ctx| outbox::enqueue(ctx.conn, &notices, now_ms))
            .await?;
        self.outbox_queued(queued);
        Ok(queued)
    }

    /// Keeps a call the telephony reported; `false` when it was kept before (a retried post).
    pub async fn record_call(
        &self,
        call: hotline_model::call::CallRecord,
        now_ms: i64,
    ) -> Result<bool> {
        self.write(move |ctx| calls::record(ctx.conn, &call, now_ms))
            .await
    }

    /// Whether a notification with `key` was ever queued at this node.
    pub async fn outbox_has(&self, key: String) -> Result<bool> {
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT 1 FROM outbox WHERE key = ?1")?
                .exists([&key])?)
        })
        .await
    }

    pub async fn outbox_due(&self, now_ms: i64, limit: u32) -> Result<Vec<outbox::Outgoing>> {
        self.read(move |c| outbox::due(c, now_ms, limit)).await
    }

    /// When the next pending notification falls due.
    pub async fn outbox_next_due(&self) -> Result<Option<i64>> {
        self.read(outbox::next_due).await
    }

    /// Records a delivery attempt (see [`outbox::record`]); resolves once durable.
    pub async fn outbox_record(
        &self,
        id: i64,
        now_ms: i64,
        outcome: outbox::Outcome,
    ) -> Result<String> {
        self.write(move |ctx| outbox::record(ctx.conn, id, now_ms, &outcome))
            .await
    }

    /// Puts a dead notification back in the queue (see [`outbox::retry`]).
    pub async fn outbox_retry(&self, id: i64, now_ms: i64) -> Result<bool> {
        let queued = self
            .write(move |ctx| outbox::retry(ctx.conn, id, now_ms))
            .await?;
        self.outbox_queued(usize::from(queued));
        Ok(queued)
    }

    /// A page of the outbox, newest first, with each notification's attempts.
    pub async fn outbox_list(
        &self,
        state: Option<String>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(outbox::Outgoing, Vec<outbox::Attempt>)>> {
        self.read(move |c| {
            outbox::list(c, state.as_deref(), before, limit)?
                .into_iter()
                .map(|o| {
                    let a = outbox::attempts(c, o.id)?;
                    Ok((o, a))
                })
                .collect()
        })
        .await
    }

    /// How many notifications are pending, sent and dead.
    pub async fn outbox_counts(&self) -> Result<(i64, i64, i64)> {
        self.read(outbox::counts).await
    }

    /// A ticket's full view, by id or number.
    pub async fn ticket(&self, id_or_number: String) -> Result<Option<TicketView>> {
        self.read(move |c| projection::view(c, &id_or_number)).await
    }

    /// A page of the ticket list.
    pub async fn list(&self, filter: TicketFilter) -> Result<Vec<TicketSummary>> {
        if short_page(&filter) {
            return self.read_point(move |c| projection::list(c, &filter)).await;
        }
        self.read(move |c| projection::list(c, &filter)).await
    }

    /// A page of published results, the latest closed first (see [`projection::published`]).
    pub async fn published(
        &self,
        after: Option<String>,
        limit: u32,
        words: Option<String>,
    ) -> Result<Vec<TicketView>> {
        self.read(move |c| projection::published(c, after.as_deref(), limit, words.as_deref()))
            .await
    }

    /// The summed facts of `unit` (`""`: the public figures) over the hours `[from_hour, to_hour)`,
    /// from the running totals.
    pub async fn fact_sum(
        &self,
        unit: String,
        from_hour: i64,
        to_hour: i64,
    ) -> Result<[i64; hotline_model::assessment::COUNTERS]> {
        self.read(move |c| projection::fact_sum(c, &unit, from_hour, to_hour))
            .await
    }

    /// Per key of one dimension (`subject`, `area` …), the summed facts over the hours
    /// `[from_hour, to_hour)`, from the running totals (see [`projection::dimension_sums`]). Runs
    /// on the reader kept for long work.
    pub async fn dimension_sums(
        &self,
        dim: &'static str,
        from_hour: i64,
        to_hour: i64,
    ) -> Result<BTreeMap<String, [i64; hotline_model::assessment::COUNTERS]>> {
        self.read_bulk(move |c| projection::dimension_sums(c, dim, from_hour, to_hour))
            .await
    }

    /// The assessment's running totals for `units` over the hours `[from_hour, to_hour)` and, per
    /// unit, its assignments made in `[from, to)` overdue at `now`. Runs on the reader kept for long
    /// work.
    pub async fn unit_totals(
        &self,
        units: Vec<String>,
        from_hour: i64,
        to_hour: i64,
        now: i64,
    ) -> Result<UnitTotals> {
        self.read_bulk(move |c| {
            let mut all = projection::dimension_sums(c, "unit", from_hour, to_hour)?;
            let sums = units
                .into_iter()
                .map(|u| {
                    let sum = all.remove(&u).unwrap_or_default();
                    (u, sum)
                })
                .collect();
            let overdue = projection::overdue_by_unit(
                c,
                from_hour * projection::HOUR_MS,
                to_hour * projection::HOUR_MS,
                now,
            )?;
            Ok(UnitTotals { sums, overdue })
        })
        .await
    }

    /// Writes reference files (`org`, `categories`, `users`, `calendar` TOML); unchanged files are skipped.
    pub async fn put_refdata(&self, files: Vec<(String, String)>, now_ms: i64) -> Result<()> {
        self.write(move |ctx| {
            for (name, text) in &files {
                refdata_doc::put(ctx, name, text, now_ms)?;
            }
            Ok(())
        })
        .await
    }

    /// Appends an access to the audit log; resolves once it is durable.
    pub async fn audit(&self, entry: audit::AuditEntry) -> Result<i64> {
        self.write(move |ctx| audit::append(ctx.conn, &entry)).await
    }

    /// The audit log, newest first, for one order (its number) or all; and whether its hash chain
    /// is intact (`Err(seq)`: the first row that does not follow).
    pub async fn audit_log(
        &self,
        ticket: Option<String>,
        limit: u32,
    ) -> Result<(Vec<audit::AuditEntry>, std::result::Result<u64, i64>)> {
        self.read(move |c| Ok((audit::list(c, ticket.as_deref(), limit)?, audit::verify(c)?)))
            .await
    }

    /// Every reference document held, as `(name, text)`.
    pub async fn refdata_texts(&self) -> Result<Vec<(String, String)>> {
        let actor = self.shared.actor.clone();
        self.read(move |c| refdata_doc::texts(c, &actor)).await
    }

    /// The reference data held by this node, if complete.
    pub async fn refdata(&self) -> Result<Option<hotline_model::refdata::ReferenceData>> {
        let actor = self.shared.actor.clone();
        self.read(move |c| refdata_doc::load(c, &actor)).await
    }

    /// The ids of every ticket document whose scope units satisfy `keep`.
    pub async fn ticket_ids_where(
        &self,
        keep: impl Fn(&[&str]) -> bool + Send + 'static,
    ) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut stmt =
                c.prepare("SELECT id, scope FROM docs WHERE kind = 'ticket' ORDER BY seq")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, scope) = row?;
                let units: Vec<&str> = scope.split(',').filter(|s| !s.is_empty()).collect();
                if keep(&units) {
                    out.push(id);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Records an article event after `check` approves it against the article's state before.
    pub async fn apply_article<C>(
        &self,
        id: String,
        event: hotline_model::article::ArticleEvent,
        check: C,
    ) -> Result<article_doc::ArticleView>
    where
        C: FnOnce(
                Option<&hotline_model::article::ArticleState>,
            ) -> std::result::Result<(), hotline_model::article::ArticleError>
            + Send
            + 'static,
    {
        self.write(move |ctx| article_doc::apply(ctx, &id, &event, check))
            .await
    }

    /// Adds to an article's popularity.
    pub async fn bump_article(
        &self,
        id: String,
        by: i64,
        now_ms: i64,
    ) -> Result<article_doc::ArticleView> {
        self.write(move |ctx| article_doc::bump_popularity(ctx, &id, by, now_ms))
            .await
    }

    /// How many documents of a kind (`ticket`, `article`, `refdata`) this node holds.
    pub async fn count_docs(&self, kind: &'static str) -> Result<i64> {
        self.read(move |c| {
            Ok(
                c.query_row("SELECT COUNT(*) FROM docs WHERE kind = ?1", [kind], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    }

    /// One article.
    pub async fn article(&self, id: String) -> Result<Option<article_doc::ArticleView>> {
        let actor = self.shared.actor.clone();
        self.read(move |c| article_doc::get(c, &actor, &id)).await
    }

    /// Articles changed or removed after local sequence `since` (for the search index), oldest first.
    pub async fn articles_since(
        &self,
        since: i64,
        limit: u32,
    ) -> Result<Vec<(i64, article_doc::ArticleChange)>> {
        let actor = self.shared.actor.clone();
        self.read(move |c| article_doc::changed_since(c, &actor, since, limit))
            .await
    }

    /// An order by number with the stored hash of its citizen query code (for the citizen's rating).
    pub async fn lookup(&self, number: String) -> Result<Option<(TicketView, String)>> {
        let actor = self.shared.actor.clone();
        self.read_point(move |c| {
            let Some((view, hash)) = projection::view_with_code_hash(c, &number)? else {
                return Ok(None);
            };
            Ok(code_hash(c, &actor, &view.id, hash)?.map(|h| (view, h)))
        })
        .await
    }

    /// What a citizen may see of the order `number`, with its id and the stored hash of its query
    /// code: one row by its unique key, read on the caller's thread when it can be.
    pub async fn lookup_public(
        &self,
        number: String,
    ) -> Result<Option<(String, String, hotline_model::public::PublicRecord)>> {
        let actor = self.shared.actor.clone();
        self.read_point(move |c| {
            let Some((id, hash, public)) = projection::public_with_code_hash(c, &number)? else {
                return Ok(None);
            };
            Ok(code_hash(c, &actor, &id, hash)?.map(|h| (id, h, public)))
        })
        .await
    }

    /// The stored hash of a ticket's query code (compare with `hotline_model::number::query_code_hash`).
    pub async fn query_code_hash(&self, id: String) -> Result<Option<String>> {
        let actor = self.shared.actor.clone();
        self.read(move |c| match docstore::load(c, &id, &actor)? {
            Some((doc, row)) if row.kind == ticket_doc::KIND => {
                Ok(Some(ticket_doc::root_str(&doc, &id, "qhash")?))
            }
            _ => Ok(None),
        })
        .await
    }

    /// Writes a user's credential into their unit's credential document; resolves once durable.
    pub async fn put_credential(
        &self,
        unit: String,
        login: String,
        credential: hotline_model::credential::Credential,
        now_ms: i64,
    ) -> Result<i64> {
        self.write(move |ctx| credential_doc::put(ctx, &unit, &login, &credential, now_ms))
            .await
    }

    /// Every credential this node holds, by login, with the unit whose document holds it.
    pub async fn credentials(
        &self,
    ) -> Result<std::collections::BTreeMap<String, (String, hotline_model::credential::Credential)>>
    {
        let actor = self.shared.actor.clone();
        self.read(move |c| credential_doc::load_all(c, &actor))
            .await
    }

    /// A page of the ticket list and the counts of `statuses` in `unit`'s subtree (every order
    /// without one), in one read.
    pub async fn list_and_count(
        &self,
        filter: TicketFilter,
        unit: Option<String>,
        statuses: Vec<&'static str>,
    ) -> Result<(Vec<TicketSummary>, Vec<(String, i64)>)> {
        let short = short_page(&filter);
        let read = move |c: &Connection| {
            Ok((
                projection::list(c, &filter)?,
                projection::counts_within(c, unit.as_deref(), &statuses)?,
            ))
        };
        if short {
            return self.read_point(read).await;
        }
        self.read(read).await
    }

    /// Adds (or, with `removed`, removes) one of `unit`'s text templates; resolves once durable.
    pub async fn put_phrase(
        &self,
        unit: String,
        phrase: phrases_doc::Phrase,
        removed: bool,
        now_ms: i64,
    ) -> Result<i64> {
        self.write(move |ctx| phrases_doc::put(ctx, &unit, &phrase, removed, now_ms))
            .await
    }

    /// The live text templates of `unit` held here.
    pub async fn phrases(&self, unit: String) -> Result<Vec<phrases_doc::Phrase>> {
        let actor = self.shared.actor.clone();
        self.read(move |c| phrases_doc::load(c, &actor, &unit))
            .await
    }

    /// Per unit: its counts of `statuses` and its overdue orders at `now` (the board's units view).
    pub async fn unit_loads(
        &self,
        units: Vec<String>,
        statuses: Vec<&'static str>,
        now: i64,
    ) -> Result<Vec<(String, Vec<i64>, i64)>> {
        self.read(move |c| projection::unit_loads(c, &units, &statuses, now))
            .await
    }

    /// Ticket counts per status.
    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>> {
        self.read(projection::status_counts).await
    }
}

/// Whether a list page is short enough to read on the caller's thread: one index walk of at most
/// 100 rows (a few hundred microseconds at most) costs less than waking a reader thread for it.
fn short_page(filter: &TicketFilter) -> bool {
    filter.limit.unwrap_or(50) <= 100
}
