//! The sync session of one link: a pure state machine. Inputs are messages from the peer, timer
//! ticks and "the local feed advanced" notices, with the time passed in; outputs are messages for
//! the peer. It reads and writes the node's replica only through [`SyncStore`], one transaction per
//! call. Each side of a link runs one session, which both pulls the peer's feed and serves its own.
//!
//! Why one file of this length: it is one sans-IO state machine (feed, catch-up, scoped serving, purge) whose states and transitions are read together; its tests live beside it.

use crate::message::{DocChanges, EntryAction, Hash, Message, Want, WireEntry, refusal};

/// Most documents remembered as "the peer has exactly this" (see `Session::echo`).
const MAX_ECHO: usize = 100_000;

/// Hashes of automerge changes, and those of them no other one depends on (the tips); None when a
/// change does not parse.
fn change_hashes(changes: &[Vec<u8>]) -> Option<(Vec<Hash>, Vec<Hash>)> {
    let mut hashes = Vec::with_capacity(changes.len());
    let mut deps = BTreeSet::new();
    for c in changes {
        // Peer data: automerge has panicked on bad input before, so a panic counts as invalid.
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            automerge::Change::from_bytes(c.clone())
        }));
        let change = parsed.ok()?.ok()?;
        hashes.push(change.hash().0);
        deps.extend(change.deps().iter().map(|d| d.0));
    }
    let tips = hashes
        .iter()
        .filter(|h| !deps.contains(*h))
        .copied()
        .collect();
    Some((hashes, tips))
}

/// What to ask for the documents still missing: each with the heads held here.
fn wants_of(pending: &BTreeMap<String, Vec<Hash>>) -> Vec<Want> {
    pending
        .iter()
        .map(|(d, h)| Want {
            doc_id: d.clone(),
            have_heads: h.clone(),
        })
        .collect()
}

fn sorted(mut heads: Vec<Hash>) -> Vec<Hash> {
    heads.sort_unstable();
    heads
}
use crate::scope::{NodeScope, PeerRole, Within, in_scope, touches};
use crate::store::{
    ApplyBatch, ApplyOutcome, Cursor, DocApply, DocMeta, DocPresence, FeedEntry, SyncStore,
};
use std::collections::{BTreeMap, BTreeSet};
use tracing::{debug, info, warn};

/// Settings of a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// This node.
    pub me: NodeScope,
    /// The peer, as its certificate says (never as a message says).
    pub peer: NodeScope,
    /// This node's child links (a district's towns): they must acknowledge a purge before this node
    /// purges in turn.
    pub children: Vec<NodeScope>,
    /// Feed entries asked per page.
    pub page_limit: u32,
    /// A request unanswered this long (ms) is sent again.
    pub retry_after_ms: u64,
    /// How often (ms) an idle link compares digests.
    pub digest_every_ms: u64,
    /// A `Changes` message is cut when it exceeds this many bytes of changes.
    pub max_changes_bytes: usize,
    /// Before pulling, take the documents meant for every node alone (a node without its
    /// reference data cannot yet tell which of the others are its own); nothing of that pass moves
    /// the cursor. The peer counts as this node's parent until the org tree can tell (the node
    /// dialled it as its upstream, and its certificate is the one configured).
    pub shared_first: bool,
}

impl SessionConfig {
    /// Defaults fit for a node: pages of 500, retry after 30 s, digest every 10 min, 1 MiB messages.
    pub fn new(me: NodeScope, peer: NodeScope, children: Vec<NodeScope>) -> Self {
        Self {
            me,
            peer,
            children,
            page_limit: 500,
            retry_after_ms: 30_000,
            digest_every_ms: 600_000,
            max_changes_bytes: 1 << 20,
            shared_first: false,
        }
    }
}

/// Largest page a peer may ask for.
pub const MAX_PAGE: u32 = 5_000;
/// Largest number of documents a peer may want in one request.
pub const MAX_WANTS: usize = 5_000;
/// Largest inline changes of one document in a feed page.
pub const MAX_INLINE_PER_DOC: usize = 64 * 1024;

/// An input of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The link is up: load the cursor and start pulling.
    Start,
    /// A message from the peer.
    Message(Message),
    /// Timer tick (drives retries, purge checks and digests); every ~100 ms–1 s is fine.
    Tick,
    /// The local feed advanced (a local edit, or changes applied from another link).
    LocalChange,
    /// Go on with work put off so that messages could leave first (see [`Session::has_work`]).
    Continue,
}

#[derive(Debug, Clone)]
enum Pull {
    NotStarted,
    /// A `FeedRequest{since}` is out (answered at once, or parked by the peer until it has news).
    Requesting {
        since: u64,
        sent_at: u64,
    },
    /// Changes of a page are being fetched.
    Fetching {
        page: u64,
        epoch: u64,
        scanned_to: u64,
        more: bool,
        pending: BTreeMap<String, Vec<crate::message::Hash>>,
        received: Vec<DocApply>,
        sent_at: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Parked {
    since: u64,
    scanned: u64,
    whole: bool,
    shared_only: bool,
}

/// A feed page received and not yet worked through.
#[derive(Debug, Clone)]
struct PageMsg {
    since: u64,
    epoch: u64,
    entries: Vec<WireEntry>,
    scanned_to: u64,
    more: bool,
}

/// A `FeedRequest` sent ahead for the page after the one in hand, so that the peer reads and
/// sends it while this node applies the one in hand; and its answer once here.
#[derive(Debug, Clone)]
struct Ahead {
    since: u64,
    sent_at: u64,
    page: Option<PageMsg>,
}

/// What a node shows about a link in its health API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkStatus {
    pub peer: String,
    /// The peer's feed is pulled up to its head (the pull is parked at the peer).
    pub caught_up: bool,
    pub cursor: Cursor,
    /// Time (ms, caller's clock) the last page was applied.
    pub last_sync_ms: Option<u64>,
    /// Documents whose changes are being fetched.
    pub pending_docs: usize,
    pub pages_applied: u64,
    pub docs_applied: u64,
    /// Refusals (out-of-scope requests or changes, invalid changes).
    pub refusals: u64,
    /// Full compares started after a digest mismatch.
    pub full_compares: u64,
}

/// The sync session of one link.
pub struct Session {
    cfg: SessionConfig,
    role: PeerRole,
    within: Within,
    cursor: Cursor,
    pull: Pull,
    parked: Option<Parked>,
    purge_checks: BTreeMap<String, u64>,
    last_digest_at: u64,
    digest_outstanding: Option<u64>,
    digest_mismatches: u32,
    /// The last page applied said more entries follow.
    behind: bool,
    /// A page accepted and not yet worked through: done on [`Input::Continue`], after the
    /// messages of the step that accepted it (the request for the page after it) have left.
    ready: Option<PageMsg>,
    /// The request sent ahead for the page after the one in hand.
    ahead: Option<Ahead>,
    /// This pull started from nothing: documents come whole, inline (`FeedRequest::whole`).
    fresh: bool,
    /// The shared-documents pass is running (see `SessionConfig::shared_first`).
    prelude: bool,
    /// Heads the peer reported with the changes of the page in progress.
    peer_heads: BTreeMap<String, Vec<Hash>>,
    /// Documents whose state here is exactly what the peer sent (same heads): not echoed back.
    echo: BTreeMap<String, Vec<Hash>>,
    echo_skipped: bool,
    status: LinkStatus,
}

impl Session {
    pub fn new(cfg: SessionConfig, within: Within) -> Self {
        let status = LinkStatus {
            peer: cfg.peer.node_code.clone(),
            ..LinkStatus::default()
        };
        let mut session = Self {
            cfg,
            role: PeerRole::Peer,
            within,
            cursor: Cursor::default(),
            pull: Pull::NotStarted,
            parked: None,
            purge_checks: BTreeMap::new(),
            last_digest_at: 0,
            digest_outstanding: None,
            digest_mismatches: 0,
            behind: true,
            ready: None,
            ahead: None,
            fresh: false,
            prelude: false,
            peer_heads: BTreeMap::new(),
            echo: BTreeMap::new(),
            echo_skipped: false,
            status,
        };
        session.role = session.current_role();
        session
    }

    pub fn role(&self) -> PeerRole {
        self.role
    }

    /// The peer's role by the org tree as it is now; while this node's own unit is not in it yet
    /// (no reference data), the upstream it was told to dial counts as its parent.
    fn current_role(&self) -> PeerRole {
        let (me, peer) = (&self.cfg.me.scope_unit, &self.cfg.peer.scope_unit);
        if self.cfg.shared_first && !(self.within)(me, me) {
            PeerRole::Parent
        } else {
            PeerRole::of(me, peer, &self.within)
        }
    }

    pub fn status(&self) -> LinkStatus {
        let mut s = self.status.clone();
        s.cursor = self.cursor;
        s.caught_up = self.pull_waiting() && !self.behind && s.last_sync_ms.is_some();
        s.pending_docs = match &self.pull {
            Pull::Fetching { pending, .. } => pending.len(),
            _ => 0,
        };
        s
    }

    /// Whether the pull is waiting at the peer with nothing in progress.
    pub fn is_idle(&self) -> bool {
        self.pull_waiting() && self.purge_checks.is_empty() && self.digest_outstanding.is_none()
    }

    /// The pull's one request is out, and no page is in hand.
    fn pull_waiting(&self) -> bool {
        matches!(self.pull, Pull::Requesting { .. }) && self.ready.is_none() && self.ahead.is_none()
    }

    /// Work was put off so that this step's messages could leave first: send them, then call
    /// [`Session::handle`] with [`Input::Continue`] (a tick does it too, later).
    pub fn has_work(&self) -> bool {
        self.ready.is_some()
    }

    /// Handles one input at time `now` (ms); returns the messages to send to the peer.
    pub fn handle<S: SyncStore>(
        &mut self,
        now: u64,
        input: Input,
        store: &mut S,
    ) -> Result<Vec<Message>, S::Error> {
        // The org tree may have changed since the last input (reference data just arrived).
        self.role = self.current_role();
        let mut out = Vec::new();
        match input {
            Input::Start => {
                self.cursor = store.load_cursor(&self.cfg.peer.node_code)?;
                self.last_digest_at = now;
                self.fresh = self.cursor.seq == 0;
                self.prelude = self.cfg.shared_first;
                let since = if self.prelude { 0 } else { self.cursor.seq };
                self.request_feed(now, since, &mut out);
            }
            Input::Continue => self.work(now, store, &mut out)?,
            Input::Tick => {
                self.work(now, store, &mut out)?;
                self.on_tick(now, store, &mut out)?;
            }
            Input::LocalChange => self.wake_parked(store, &mut out)?,
            Input::Message(m) => self.on_message(now, m, store, &mut out)?,
        }
        Ok(out)
    }

    fn peer(&self) -> &str {
        &self.cfg.peer.scope_unit
    }

    fn me(&self) -> &str {
        &self.cfg.me.scope_unit
    }

    fn refuse(&mut self, what: &str, doc_id: &str) {
        self.status.refusals += 1;
        warn!(peer = %self.cfg.peer.node_code, peer_scope = %self.cfg.peer.scope_unit, doc = doc_id, "refused: {what}");
    }

    fn feed_request(&self, since: u64) -> Message {
        Message::FeedRequest {
            since,
            limit: self.cfg.page_limit,
            whole: self.fresh || self.prelude,
            shared_only: self.prelude,
        }
    }

    fn request_feed(&mut self, now: u64, since: u64, out: &mut Vec<Message>) {
        out.push(self.feed_request(since));
        self.ahead = None;
        self.pull = Pull::Requesting {
            since,
            sent_at: now,
        };
    }

    // ---- serving the peer ----

    /// What the peer gets of one of our feed entries.
    fn classify(&self, e: &FeedEntry) -> Option<EntryAction> {
        let w = &self.within;
        let peer = self.peer();
        match e.presence {
            // Leaving here: our copy may still name the old units; children must drop it too.
            DocPresence::Leaving if self.role == PeerRole::Child => {
                (touches(&e.ever_units, peer, w) || touches(&e.scope_units, peer, w))
                    .then_some(EntryAction::Purge)
            }
            DocPresence::Live | DocPresence::Leaving => {
                if in_scope(&e.scope_units, peer, w) {
                    Some(EntryAction::Update)
                } else if self.role == PeerRole::Parent && touches(&e.ever_units, peer, w) {
                    // A document that left our scope still carries our changes upward.
                    Some(EntryAction::Update)
                } else if self.role == PeerRole::Child && touches(&e.ever_units, peer, w) {
                    Some(EntryAction::Purge)
                } else {
                    None
                }
            }
            DocPresence::Removed => match self.role {
                PeerRole::Parent => Some(EntryAction::Removed),
                PeerRole::Child if touches(&e.ever_units, peer, w) => Some(EntryAction::Removed),
                _ => None,
            },
        }
    }

    /// Our feed entries as the peer gets them. Changes of updated documents are inlined when the
    /// store can tell which changes arrived after the peer's cursor `since`, and whole documents
    /// when the peer asked for them (`whole`; saves a round trip). The page is cut before the
    /// entry whose inline changes would pass the message budget: the second value is then how far
    /// the feed was worked through.
    fn wire_entries<S: SyncStore>(
        &mut self,
        entries: Vec<FeedEntry>,
        since: u64,
        whole: bool,
        shared_only: bool,
        store: &mut S,
    ) -> Result<(Vec<WireEntry>, Option<u64>), S::Error> {
        let mut out = Vec::with_capacity(entries.len());
        let mut inline_budget = self.cfg.max_changes_bytes;
        let mut worked_to = since;
        for e in entries {
            let Some(action) = self.classify(&e) else {
                worked_to = e.seq;
                continue;
            };
            if shared_only && !(action == EntryAction::Update && e.scope_units.is_empty()) {
                worked_to = e.seq;
                continue;
            }
            if action == EntryAction::Update
                && let Some(h) = self.echo.remove(&e.doc_id)
                && h == sorted(e.heads.clone())
            {
                // The peer sent us exactly this state: nothing to tell it (but let its cursor
                // move past the entry).
                self.echo_skipped = true;
                worked_to = e.seq;
                continue;
            }
            let mut changes = Vec::new();
            if action == EntryAction::Update {
                let after = if since > 0 {
                    store.changes_after_seq(&e.doc_id, since)?
                } else {
                    None
                };
                let found = match after {
                    None if whole => Some(store.read_changes(&e.doc_id, &[])?),
                    other => other,
                };
                if let Some(c) = found {
                    let size: usize = c.iter().map(Vec::len).sum();
                    if size <= MAX_INLINE_PER_DOC {
                        if size > inline_budget && !out.is_empty() {
                            return Ok((out, Some(worked_to)));
                        }
                        inline_budget = inline_budget.saturating_sub(size);
                        changes = c;
                    }
                }
            }
            let scope_units = if action == EntryAction::Update {
                e.scope_units
            } else {
                Vec::new()
            };
            // Heads equal to the tips of the inline changes are left out: the receiver
            // recomputes them from the changes.
            let heads = match change_hashes(&changes) {
                Some((_, tips))
                    if !changes.is_empty() && sorted(tips.clone()) == sorted(e.heads.clone()) =>
                {
                    Vec::new()
                }
                _ => e.heads,
            };
            worked_to = e.seq;
            out.push(WireEntry {
                seq: e.seq,
                doc_id: e.doc_id,
                heads,
                action,
                scope_units,
                changes,
            });
        }
        Ok((out, None))
    }

    #[allow(clippy::too_many_arguments)]
    fn serve_feed<S: SyncStore>(
        &mut self,
        since: u64,
        limit: u32,
        whole: bool,
        shared_only: bool,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let limit = limit.clamp(1, MAX_PAGE);
        let read = store.read_feed(since, limit)?;
        let epoch = store.feed_epoch()?;
        let (entries, cut) = self.wire_entries(read.entries, since, whole, shared_only, store)?;
        let (scanned_to, more) = cut.map_or((read.scanned_to, read.more), |to| (to, true));
        if !entries.is_empty() || more || scanned_to > since {
            out.push(Message::FeedPage {
                since,
                epoch,
                entries,
                scanned_to,
                more,
            });
            self.parked = None;
        } else {
            self.parked = Some(Parked {
                since,
                scanned: scanned_to,
                whole,
                shared_only,
            });
        }
        Ok(())
    }

    fn wake_parked<S: SyncStore>(
        &mut self,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let Some(mut p) = self.parked else {
            return Ok(());
        };
        let limit = self.cfg.page_limit.max(1);
        loop {
            let read = store.read_feed(p.scanned, limit)?;
            self.echo_skipped = false;
            let (entries, cut) =
                self.wire_entries(read.entries, p.since, p.whole, p.shared_only, store)?;
            let (scanned_to, more) = cut.map_or((read.scanned_to, read.more), |to| (to, true));
            let progressed = scanned_to.saturating_sub(p.since) >= u64::from(limit);
            if !entries.is_empty() || progressed || self.echo_skipped || cut.is_some() {
                let epoch = store.feed_epoch()?;
                out.push(Message::FeedPage {
                    since: p.since,
                    epoch,
                    entries,
                    scanned_to,
                    more,
                });
                self.parked = None;
                return Ok(());
            }
            p.scanned = scanned_to;
            if !more {
                self.parked = Some(p);
                return Ok(());
            }
        }
    }

    fn may_read(&self, meta: &DocMeta) -> bool {
        match self.role {
            // The parent's subtree holds ours.
            PeerRole::Parent => true,
            _ => in_scope(&meta.scope_units, self.peer(), &self.within),
        }
    }

    fn serve_changes<S: SyncStore>(
        &mut self,
        page: u64,
        wants: Vec<Want>,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        if wants.len() > MAX_WANTS {
            self.refuse("too many documents wanted", "");
            out.push(Message::Refused {
                code: refusal::PROTOCOL,
                reason: "too many documents wanted".into(),
            });
            return Ok(());
        }
        let mut docs = Vec::new();
        let mut size = 0usize;
        for w in wants {
            let meta = store.doc_meta(&w.doc_id)?;
            let changes = match meta {
                Some(m) if self.may_read(&m) => store.read_changes(&w.doc_id, &w.have_heads)?,
                Some(_) => {
                    self.refuse(
                        "changes asked for a document outside the peer's scope",
                        &w.doc_id,
                    );
                    Vec::new()
                }
                None => Vec::new(),
            };
            size += changes.iter().map(Vec::len).sum::<usize>() + w.doc_id.len() + 64;
            docs.push(DocChanges {
                doc_id: w.doc_id,
                changes,
            });
            if size >= self.cfg.max_changes_bytes {
                out.push(Message::Changes {
                    page,
                    docs: std::mem::take(&mut docs),
                });
                size = 0;
            }
        }
        if !docs.is_empty() {
            out.push(Message::Changes { page, docs });
        }
        Ok(())
    }

    /// Which documents the two sides share (for the digest): those in the narrower scope.
    fn shared_scope_include(&self) -> impl Fn(&[String]) -> bool + use<> {
        let role = self.role;
        let me = self.cfg.me.scope_unit.clone();
        let peer = self.cfg.peer.scope_unit.clone();
        let w = self.within.clone();
        move |units: &[String]| match role {
            PeerRole::Child => in_scope(units, &peer, &w),
            PeerRole::Parent => in_scope(units, &me, &w),
            PeerRole::Peer => in_scope(units, &peer, &w) && in_scope(units, &me, &w),
        }
    }

    // ---- pulling from the peer ----

    fn on_message<S: SyncStore>(
        &mut self,
        now: u64,
        m: Message,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        match m {
            Message::Hello { .. } => {}
            Message::FeedRequest {
                since,
                limit,
                whole,
                shared_only,
            } => self.serve_feed(since, limit, whole, shared_only, store, out)?,
            Message::FeedPage {
                since,
                epoch,
                entries,
                scanned_to,
                more,
            } => {
                let page = PageMsg {
                    since,
                    epoch,
                    entries,
                    scanned_to,
                    more,
                };
                match (&self.pull, &mut self.ahead) {
                    _ if scanned_to < since => {
                        debug!(peer = %self.cfg.peer.node_code, since, "feed page scanned backwards ignored")
                    }
                    (Pull::Requesting { since: s, .. }, _)
                        if *s == since && self.ready.is_none() =>
                    {
                        self.accept_page(now, page, out);
                    }
                    (_, Some(a)) if a.since == since && a.page.is_none() => a.page = Some(page),
                    _ => {
                        debug!(peer = %self.cfg.peer.node_code, since, "stale or duplicate feed page ignored")
                    }
                }
            }
            Message::ChangesRequest { page, wants } => {
                self.serve_changes(page, wants, store, out)?
            }
            Message::Changes { page, docs } => self.on_changes(now, page, docs, store, out)?,
            Message::PurgeCheck { doc_id, heads } => {
                let confirmed = self.role == PeerRole::Child
                    && !heads.is_empty()
                    && store.has_all(&doc_id, &heads)?;
                if self.role != PeerRole::Child {
                    self.refuse("purge check from a node that is not a child", &doc_id);
                }
                out.push(Message::PurgeAnswer {
                    doc_id,
                    heads,
                    confirmed,
                });
            }
            Message::PurgeAnswer {
                doc_id,
                heads,
                confirmed,
            } => {
                if self.role == PeerRole::Parent
                    && confirmed
                    && self.purge_checks.remove(&doc_id).is_some()
                    && store.purge(&doc_id, Some(&heads))?
                {
                    info!(peer = %self.cfg.peer.node_code, doc = %doc_id, "purged a document that left this node's scope");
                }
            }
            Message::DigestRequest => {
                let include = self.shared_scope_include();
                let (digest, count) = store.scope_digest(&include)?;
                out.push(Message::Digest { digest, count });
            }
            Message::Digest { digest, count } => {
                if self.digest_outstanding.take().is_some() {
                    let include = self.shared_scope_include();
                    let (mine, my_count) = store.scope_digest(&include)?;
                    if mine == digest {
                        self.digest_mismatches = 0;
                    } else {
                        self.digest_mismatches += 1;
                        debug!(peer = %self.cfg.peer.node_code, count, my_count, "digest differs");
                        if self.digest_mismatches >= 2 && self.pull_waiting() {
                            warn!(peer = %self.cfg.peer.node_code, count, my_count, "drift detected: full compare of the peer's feed");
                            self.digest_mismatches = 0;
                            self.fresh = false;
                            self.status.full_compares += 1;
                            self.request_feed(now, 0, out);
                        }
                    }
                }
            }
            Message::Refused { code, reason } => {
                warn!(peer = %self.cfg.peer.node_code, code, reason = %reason, "peer refused");
            }
        }
        Ok(())
    }

    /// Takes a feed page in hand; when more follow, asks for the next one at once, so the peer
    /// reads and sends it while this node works through this one (on [`Input::Continue`]).
    fn accept_page(&mut self, now: u64, page: PageMsg, out: &mut Vec<Message>) {
        let same_feed = page.since == 0 || page.epoch == self.cursor.epoch || self.prelude;
        if page.more && same_feed && self.ahead.is_none() {
            out.push(self.feed_request(page.scanned_to));
            self.ahead = Some(Ahead {
                since: page.scanned_to,
                sent_at: now,
                page: None,
            });
        }
        self.ready = Some(page);
    }

    /// Works through the page in hand, if any (one per call: the messages it yields, such as the
    /// request for the page after the next, should leave before the next one is worked on).
    fn work<S: SyncStore>(
        &mut self,
        now: u64,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let Some(p) = self.ready.take() else {
            return Ok(());
        };
        self.on_page(now, p, store, out)
    }

    fn on_page<S: SyncStore>(
        &mut self,
        now: u64,
        page: PageMsg,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let PageMsg {
            since,
            epoch,
            entries,
            scanned_to,
            more,
        } = page;
        if epoch != self.cursor.epoch && since != 0 && !self.prelude {
            warn!(peer = %self.cfg.peer.node_code, old = self.cursor.epoch, new = epoch, "peer feed has a new epoch: restarting from 0");
            self.cursor = Cursor { epoch, seq: 0 };
            // This node holds the documents already: compare, do not send them whole.
            self.fresh = false;
            self.request_feed(now, 0, out);
            return Ok(());
        }
        // Documents for every node (the org tree among them) first, applied at once: they may
        // change what the units of the other entries mean, e.g. at a node receiving its reference
        // data with its first page.
        let (shared, scoped): (Vec<WireEntry>, Vec<WireEntry>) = entries
            .into_iter()
            .partition(|e| e.action == EntryAction::Update && e.scope_units.is_empty());
        let mut pending = BTreeMap::new();
        self.take_entries(shared, store, &mut pending)?;
        self.take_entries(scoped, store, &mut pending)?;
        if pending.is_empty() {
            return self.finish_page(now, epoch, scanned_to, more, Vec::new(), store, out);
        }
        out.push(Message::ChangesRequest {
            page: since,
            wants: wants_of(&pending),
        });
        self.pull = Pull::Fetching {
            page: since,
            epoch,
            scanned_to,
            more,
            pending,
            received: Vec::new(),
            sent_at: now,
        };
        Ok(())
    }

    /// Works through feed entries: what to fetch goes into `pending`, inline changes are applied.
    fn take_entries<S: SyncStore>(
        &mut self,
        entries: Vec<WireEntry>,
        store: &mut S,
        pending: &mut BTreeMap<String, Vec<Hash>>,
    ) -> Result<(), S::Error> {
        let w = self.within.clone();
        let mut inline: Vec<(DocApply, Vec<Hash>)> = Vec::new();
        for e in entries {
            match e.action {
                EntryAction::Update => {
                    let meta = store.doc_meta(&e.doc_id)?;
                    let mine = in_scope(&e.scope_units, self.me(), &w);
                    let wanted = match self.role {
                        PeerRole::Child => mine || meta.is_some(),
                        _ => mine,
                    };
                    if !wanted {
                        self.refuse("feed entry outside this node's scope", &e.doc_id);
                        continue;
                    }
                    if self.role == PeerRole::Parent && meta.as_ref().is_some_and(|m| m.leaving) {
                        // The parent sends it again as ours: it came back into scope.
                        store.cancel_leave(&e.doc_id)?;
                        self.purge_checks.remove(&e.doc_id);
                    }
                    let mut heads = e.heads;
                    if heads.is_empty() && !e.changes.is_empty() {
                        match change_hashes(&e.changes) {
                            Some((_, tips)) => heads = tips,
                            None => {
                                self.refuse("unparsable inline changes", &e.doc_id);
                                pending.insert(e.doc_id, meta.map(|m| m.heads).unwrap_or_default());
                                continue;
                            }
                        }
                    }
                    if store.has_all(&e.doc_id, &heads)? {
                        continue;
                    }
                    self.peer_heads
                        .insert(e.doc_id.clone(), sorted(heads.clone()));
                    if e.changes.is_empty() {
                        pending.insert(e.doc_id, meta.map(|m| m.heads).unwrap_or_default());
                    } else {
                        inline.push((
                            DocApply {
                                doc_id: e.doc_id,
                                changes: e.changes,
                            },
                            heads,
                        ));
                    }
                }
                EntryAction::Purge | EntryAction::Removed if self.role == PeerRole::Parent => {
                    self.leave(&e.doc_id, store)?;
                }
                EntryAction::Removed if self.role == PeerRole::Child => {
                    store.child_removed(&e.doc_id, &self.cfg.peer.node_code)?;
                }
                _ => self.refuse("purge from a node that is not a parent", &e.doc_id),
            }
        }
        if !inline.is_empty() {
            // Apply what came inline (no cursor yet); fetch the rest of what is still missing.
            let (docs, heads): (Vec<DocApply>, Vec<Vec<Hash>>) = inline.into_iter().unzip();
            let batch = ApplyBatch {
                docs,
                then_cursor: None,
            };
            let outcomes = store.apply(&batch, &|b, a| self.authorise(b, a))?;
            self.record(&batch.docs, &outcomes);
            for ((d, o), h) in batch.docs.into_iter().zip(outcomes).zip(heads) {
                let rejected = matches!(o, ApplyOutcome::Refused | ApplyOutcome::Invalid(_));
                if !rejected && !store.has_all(&d.doc_id, &h)? {
                    let mine = store
                        .doc_meta(&d.doc_id)?
                        .map(|m| m.heads)
                        .unwrap_or_default();
                    pending.insert(d.doc_id, mine);
                }
            }
        }
        Ok(())
    }

    /// The parent says a document left our scope.
    fn leave<S: SyncStore>(&mut self, doc_id: &str, store: &mut S) -> Result<(), S::Error> {
        match store.doc_meta(doc_id)? {
            Some(meta) => {
                let waiting: BTreeSet<String> = self
                    .cfg
                    .children
                    .iter()
                    .filter(|c| {
                        touches(&meta.ever_units, &c.scope_unit, &self.within)
                            || touches(&meta.scope_units, &c.scope_unit, &self.within)
                    })
                    .map(|c| c.node_code.clone())
                    .collect();
                store.begin_leave(doc_id, &waiting)
            }
            // Not held: record the removal so our own parent-side acknowledgement flows.
            None => store.purge(doc_id, None).map(|_| ()),
        }
    }

    fn on_changes<S: SyncStore>(
        &mut self,
        now: u64,
        page: u64,
        docs: Vec<DocChanges>,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let Pull::Fetching {
            page: p,
            pending,
            received,
            ..
        } = &mut self.pull
        else {
            debug!(peer = %self.cfg.peer.node_code, page, "changes for no page in progress ignored");
            return Ok(());
        };
        if *p != page {
            debug!(peer = %self.cfg.peer.node_code, page, "changes for another page ignored");
            return Ok(());
        }
        for d in docs {
            if pending.remove(&d.doc_id).is_some() && !d.changes.is_empty() {
                received.push(DocApply {
                    doc_id: d.doc_id,
                    changes: d.changes,
                });
            }
        }
        if !pending.is_empty() {
            return Ok(());
        }
        let Pull::Fetching {
            epoch,
            scanned_to,
            more,
            received,
            ..
        } = std::mem::replace(&mut self.pull, Pull::NotStarted)
        else {
            return Ok(());
        };
        self.finish_page(now, epoch, scanned_to, more, received, store, out)
    }

    fn authorise(&self, before: Option<&DocMeta>, after: &DocMeta) -> bool {
        let w = &self.within;
        let peer = self.peer();
        let peer_ok = match (self.role, before) {
            (PeerRole::Parent, _) => true,
            (_, Some(b)) => touches(&b.ever_units, peer, w) || touches(&b.scope_units, peer, w),
            // A child or peer creates only documents of its own units.
            (_, None) => touches(&after.scope_units, peer, w),
        };
        let own_ok = in_scope(&after.scope_units, self.me(), w)
            || (before.is_some() && self.role == PeerRole::Child);
        let writer_ok = self.role == PeerRole::Parent
            || !(after.parents_only || before.is_some_and(|b| b.parents_only));
        peer_ok && own_ok && writer_ok
    }

    /// Counts applied documents and refusals; remembers documents now exactly as the peer has them.
    fn record(&mut self, docs: &[DocApply], outcomes: &[ApplyOutcome]) {
        for (d, o) in docs.iter().zip(outcomes) {
            match o {
                ApplyOutcome::Applied { heads } => {
                    self.status.docs_applied += 1;
                    let heads = sorted(heads.clone());
                    if self.peer_heads.get(&d.doc_id) == Some(&heads) && self.echo.len() < MAX_ECHO
                    {
                        self.echo.insert(d.doc_id.clone(), heads);
                    }
                }
                ApplyOutcome::Unchanged => {}
                ApplyOutcome::Refused => self.refuse(
                    "changes to a document outside the peer's or this node's scope",
                    &d.doc_id,
                ),
                ApplyOutcome::Invalid(e) => {
                    let what = format!("invalid changes: {e}");
                    self.refuse(&what, &d.doc_id);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_page<S: SyncStore>(
        &mut self,
        now: u64,
        epoch: u64,
        scanned_to: u64,
        more: bool,
        received: Vec<DocApply>,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let cursor = Cursor {
            epoch,
            seq: scanned_to,
        };
        let peer_code = self.cfg.peer.node_code.clone();
        // The shared-documents pass moves no cursor: the pull proper starts where it was.
        let then_cursor = (!self.prelude).then_some((peer_code, cursor));
        if received.is_empty() {
            if let Some((peer, c)) = &then_cursor
                && *c != self.cursor
            {
                store.save_cursor(peer, *c)?;
            }
        } else {
            let batch = ApplyBatch {
                docs: received,
                then_cursor,
            };
            let outcomes = store.apply(&batch, &|b, a| self.authorise(b, a))?;
            self.record(&batch.docs, &outcomes);
        }
        self.peer_heads.clear();
        self.status.pages_applied += 1;
        if self.prelude {
            if !more {
                // Shared documents are in: now the pull proper, from the saved cursor.
                self.prelude = false;
                self.ahead = None;
                self.request_feed(now, self.cursor.seq, out);
                return Ok(());
            }
        } else {
            self.cursor = cursor;
            self.behind = more;
            self.status.last_sync_ms = Some(now);
            if !more {
                self.fresh = false;
            }
        }
        // Next page: asked ahead already (and maybe here), or ask now; when caught up, the
        // request is parked by the peer until it has news.
        match self.ahead.take() {
            Some(a) if a.since == scanned_to => {
                self.pull = Pull::Requesting {
                    since: a.since,
                    sent_at: a.sent_at,
                };
                if let Some(p) = a.page {
                    self.accept_page(now, p, out);
                }
            }
            _ => self.request_feed(now, scanned_to, out),
        }
        Ok(())
    }

    fn on_tick<S: SyncStore>(
        &mut self,
        now: u64,
        store: &mut S,
        out: &mut Vec<Message>,
    ) -> Result<(), S::Error> {
        let retry = self.cfg.retry_after_ms;
        let in_hand = self.ready.is_some();
        if let Some(a) = &mut self.ahead
            && a.page.is_none()
            && now.saturating_sub(a.sent_at) >= retry
        {
            a.sent_at = now;
            let since = a.since;
            out.push(self.feed_request(since));
        }
        let mut resend = None;
        match &mut self.pull {
            Pull::Requesting { since, sent_at }
                if !in_hand && now.saturating_sub(*sent_at) >= retry =>
            {
                *sent_at = now;
                resend = Some(*since);
            }
            Pull::Fetching {
                page,
                pending,
                sent_at,
                ..
            } if now.saturating_sub(*sent_at) >= retry => {
                *sent_at = now;
                out.push(Message::ChangesRequest {
                    page: *page,
                    wants: wants_of(pending),
                });
            }
            _ => {}
        }
        if let Some(since) = resend {
            out.push(self.feed_request(since));
        }
        if self.role == PeerRole::Parent {
            for (doc_id, heads) in store.leaving_ready()?.into_iter().take(200) {
                let due = self
                    .purge_checks
                    .get(&doc_id)
                    .is_none_or(|t| now.saturating_sub(*t) >= retry);
                if due {
                    self.purge_checks.insert(doc_id.clone(), now);
                    out.push(Message::PurgeCheck { doc_id, heads });
                }
            }
        }
        if self
            .digest_outstanding
            .is_some_and(|t| now.saturating_sub(t) >= retry)
        {
            self.digest_outstanding = None;
        }
        let idle = self.pull_waiting();
        if idle
            && self.digest_outstanding.is_none()
            && now.saturating_sub(self.last_digest_at) >= self.cfg.digest_every_ms
        {
            self.last_digest_at = now;
            self.digest_outstanding = Some(now);
            out.push(Message::DigestRequest);
        }
        Ok(())
    }
}
