//! The sync session against in-memory replicas, message by message: scope enforced on both ends,
//! replayed messages are no-ops, a reconnect in sync costs two small messages, digest drift is
//! repaired, and purges wait for the node's own changes to reach the parent.

use std::collections::VecDeque;
use sync_protocol::frame;
use sync_protocol::memory::MemoryReplica;
use sync_protocol::message::{Message, Want};
use sync_protocol::scope::{NodeScope, dotted_within};
use sync_protocol::session::{Input, Session, SessionConfig};
use sync_protocol::store::{Cursor, SyncStore};

fn node(code: &str, unit: &str) -> NodeScope {
    NodeScope {
        node_code: code.into(),
        scope_unit: unit.into(),
    }
}

fn session(me: &NodeScope, peer: &NodeScope) -> Session {
    let mut cfg = SessionConfig::new(me.clone(), peer.clone(), Vec::new());
    cfg.retry_after_ms = 1_000;
    cfg.digest_every_ms = 5_000;
    Session::new(cfg, dotted_within())
}

fn ok<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => match e {},
    }
}

/// Two nodes and their sessions; `log` keeps every message delivered to side 1.
struct Pair {
    stores: [MemoryReplica; 2],
    sessions: [Session; 2],
    queue: VecDeque<(usize, Message)>,
    delivered_to_1: Vec<Message>,
    bytes: usize,
    messages: usize,
    now: u64,
}

impl Pair {
    fn new(a: (&NodeScope, MemoryReplica), b: (&NodeScope, MemoryReplica)) -> Self {
        Self {
            sessions: [session(a.0, b.0), session(b.0, a.0)],
            stores: [a.1, b.1],
            queue: VecDeque::new(),
            delivered_to_1: Vec::new(),
            bytes: 0,
            messages: 0,
            now: 0,
        }
    }

    fn input(&mut self, side: usize, input: Input) {
        let before = self.stores[side].last_seq();
        let mut out = ok(self.sessions[side].handle(self.now, input, &mut self.stores[side]));
        while self.sessions[side].has_work() {
            let more =
                ok(self.sessions[side].handle(self.now, Input::Continue, &mut self.stores[side]));
            out.extend(more);
        }
        for m in out {
            self.bytes += frame::encode(&m).expect("encode").len();
            self.messages += 1;
            self.queue.push_back((1 - side, m));
        }
        if self.stores[side].last_seq() != before {
            let out = ok(self.sessions[side].handle(
                self.now,
                Input::LocalChange,
                &mut self.stores[side],
            ));
            for m in out {
                self.bytes += frame::encode(&m).expect("encode").len();
                self.messages += 1;
                self.queue.push_back((1 - side, m));
            }
        }
    }

    fn pump(&mut self) {
        let mut n = 0;
        while let Some((to, m)) = self.queue.pop_front() {
            if to == 1 {
                self.delivered_to_1.push(m.clone());
            }
            self.input(to, Input::Message(m));
            n += 1;
            assert!(n < 10_000, "no quiescence");
        }
    }

    fn start(&mut self) {
        self.input(0, Input::Start);
        self.input(1, Input::Start);
        self.pump();
    }

    fn tick(&mut self, ms: u64) {
        self.now += ms;
        self.input(0, Input::Tick);
        self.input(1, Input::Tick);
        self.pump();
    }
}

fn hub_d1() -> (NodeScope, NodeScope) {
    (node("hub", "C"), node("d1", "C.D1"))
}

#[test]
fn each_side_gets_only_its_scope_and_refuses_the_rest() {
    let (hub, d1) = hub_d1();
    let mut h = MemoryReplica::new(b"hub", 1);
    h.create("t-in", &["C.D1.T1"], "title", "a")
        .expect("create");
    h.create("t-out", &["C.D2"], "title", "b").expect("create");
    let mut d = MemoryReplica::new(b"d1", 2);
    // The district (wrongly) holds a ticket of another district: the hub must refuse it.
    d.create("t-foreign", &["C.D2.T3"], "title", "c")
        .expect("create");
    let mut p = Pair::new((&hub, h), (&d1, d));
    p.start();
    assert!(p.stores[1].doc("t-in").is_some());
    assert!(p.stores[1].doc("t-out").is_none());
    assert!(
        p.stores[0].doc("t-foreign").is_none(),
        "hub refused changes outside the district's scope"
    );
    assert!(p.sessions[0].status().refusals >= 1);

    // A valid node asking for a document of another scope gets nothing.
    let out = ok(p.sessions[0].handle(
        p.now,
        Input::Message(Message::ChangesRequest {
            page: 0,
            wants: vec![Want {
                doc_id: "t-out".into(),
                have_heads: vec![],
            }],
        }),
        &mut p.stores[0],
    ));
    match out.as_slice() {
        [Message::Changes { docs, .. }] => {
            assert_eq!(docs.len(), 1);
            assert!(docs[0].changes.is_empty());
        }
        other => panic!("unexpected answer {other:?}"),
    }
    assert!(p.sessions[0].status().refusals >= 2);
}

#[test]
fn replayed_messages_are_no_ops() {
    let (hub, d1) = hub_d1();
    let mut h = MemoryReplica::new(b"hub", 1);
    for i in 0..20 {
        h.create(&format!("t{i}"), &["C.D1"], "title", "x")
            .expect("create");
    }
    let mut p = Pair::new((&hub, h), (&d1, MemoryReplica::new(b"d1", 2)));
    p.start();
    assert_eq!(p.stores[1].doc_ids().count(), 20);
    let seq = p.stores[1].last_seq();
    let cursor = ok(p.stores[1].load_cursor("hub"));
    let replay = std::mem::take(&mut p.delivered_to_1);
    assert!(!replay.is_empty());
    for m in replay {
        p.input(1, Input::Message(m));
    }
    p.pump();
    assert_eq!(p.stores[1].last_seq(), seq, "replays changed nothing");
    assert_eq!(ok(p.stores[1].load_cursor("hub")), cursor);
}

#[test]
fn reconnect_in_sync_costs_two_small_messages() {
    let (hub, d1) = hub_d1();
    let mut h = MemoryReplica::new(b"hub", 1);
    for i in 0..300 {
        let unit = if i % 10 == 0 { "C.D1.T1" } else { "C.D2" };
        h.create(&format!("t{i}"), &[unit], "title", "x")
            .expect("create");
    }
    let mut p = Pair::new((&hub, h), (&d1, MemoryReplica::new(b"d1", 2)));
    p.start();
    assert_eq!(p.stores[1].doc_ids().count(), 30);
    // Reconnect: fresh sessions, persisted cursors.
    p.sessions = [session(&hub, &d1), session(&d1, &hub)];
    p.bytes = 0;
    p.messages = 0;
    p.start();
    assert_eq!(p.messages, 2, "one parked feed request each way");
    assert!(p.bytes < 64, "{} bytes", p.bytes);
}

#[test]
fn digest_mismatch_triggers_a_full_compare() {
    let (hub, d1) = hub_d1();
    let mut h = MemoryReplica::new(b"hub", 1);
    h.create("t1", &["C.D1"], "title", "x").expect("create");
    let mut d = MemoryReplica::new(b"d1", 2);
    // A cursor past everything (as after restoring the district from a backup of another time).
    ok(d.save_cursor(
        "hub",
        Cursor {
            epoch: 1,
            seq: 1_000,
        },
    ));
    let mut p = Pair::new((&hub, h), (&d1, d));
    p.start();
    assert!(p.stores[1].doc("t1").is_none(), "the cursor hides t1");
    for _ in 0..4 {
        p.tick(5_000);
    }
    assert!(p.stores[1].doc("t1").is_some(), "drift repaired");
    assert_eq!(p.sessions[1].status().full_compares, 1);
}

#[test]
fn a_document_leaving_scope_is_purged_only_after_its_changes_reach_the_parent() {
    let (hub, d1) = hub_d1();
    let mut p = Pair::new(
        (&hub, MemoryReplica::new(b"hub", 1)),
        (&d1, MemoryReplica::new(b"d1", 2)),
    );
    let created = p.stores[1]
        .create("t1", &["C.D1.T1"], "title", "市民来电")
        .expect("create");
    p.start();
    assert!(p.stores[0].has_change("t1", &created));
    // Partition: the hub dispatches t1 to another district; the district edits it meanwhile.
    p.stores[0]
        .set_units("t1", &["C.D2"])
        .expect("move")
        .expect("changed");
    let offline = p.stores[1]
        .edit("t1", "reply", "已联系")
        .expect("edit")
        .expect("changed");
    p.sessions = [session(&hub, &d1), session(&d1, &hub)];
    p.start();
    for _ in 0..5 {
        p.tick(1_000);
    }
    assert!(
        p.stores[0].has_change("t1", &offline),
        "the district's offline edit reached the hub"
    );
    assert!(
        p.stores[1].doc("t1").is_none(),
        "the district purged the ticket"
    );
}

#[test]
fn a_node_restored_from_an_old_backup_takes_a_new_epoch_and_loses_nothing() {
    let (hub, d1) = hub_d1();
    let mut p = Pair::new(
        (&hub, MemoryReplica::new(b"hub", 1)),
        (&d1, MemoryReplica::new(b"d1", 2)),
    );
    p.stores[1]
        .create("t1", &["C.D1"], "title", "a")
        .expect("create");
    p.start();
    let backup = p.stores[1].clone();
    let t2 = p.stores[1]
        .create("t2", &["C.D1"], "title", "b")
        .expect("create");
    p.sessions = [session(&hub, &d1), session(&d1, &hub)];
    p.start();
    assert!(p.stores[0].has_change("t2", &t2));

    // Restore the district from the old backup: new actor id, new feed epoch.
    p.stores[1] = backup.restored(b"d1-restored", 3);
    assert!(p.stores[1].doc("t2").is_none());
    let after = p.stores[1]
        .edit("t1", "note", "restored")
        .expect("edit")
        .expect("changed");
    p.sessions = [session(&hub, &d1), session(&d1, &hub)];
    p.start();
    assert!(
        p.stores[1].has_change("t2", &t2),
        "the district got back what it lost from the hub"
    );
    assert!(
        p.stores[0].has_change("t1", &after),
        "the hub took the restored node's new edit"
    );
    assert_eq!(ok(p.stores[0].load_cursor("d1")).epoch, 3);
}

#[test]
fn a_first_pull_gets_whole_documents_inline_and_asks_ahead_before_applying() {
    let (hub, d1) = hub_d1();
    let mut h = MemoryReplica::new(b"hub", 1);
    for i in 0..40 {
        h.create(&format!("t{i:02}"), &["C.D1"], "title", &"x".repeat(200))
            .expect("create");
    }
    let mut p = Pair::new((&hub, h), (&d1, MemoryReplica::new(b"d1", 2)));
    // A small message budget: pages are cut by bytes long before the 500-entry limit.
    let mut cfg = SessionConfig::new(hub.clone(), d1.clone(), Vec::new());
    cfg.max_changes_bytes = 4_000;
    p.sessions[0] = Session::new(cfg, dotted_within());

    let start = ok(p.sessions[1].handle(0, Input::Start, &mut p.stores[1]));
    assert!(
        matches!(
            start.as_slice(),
            [Message::FeedRequest {
                since: 0,
                whole: true,
                ..
            }]
        ),
        "a node holding nothing of its peer asks for whole documents: {start:?}"
    );
    let answer = ok(p.sessions[0].handle(0, Input::Message(start[0].clone()), &mut p.stores[0]));
    let (page, scanned_to) = match answer.as_slice() {
        [
            m @ Message::FeedPage {
                entries,
                scanned_to,
                more: true,
                ..
            },
        ] => {
            assert!(
                !entries.is_empty() && entries.len() < 40,
                "cut by bytes: {}",
                entries.len()
            );
            assert!(
                entries.iter().all(|e| !e.changes.is_empty()),
                "every document inline"
            );
            (m.clone(), *scanned_to)
        }
        other => panic!("unexpected answer {other:?}"),
    };
    // Taking the page in hand only asks for the next one; nothing is applied yet.
    let out = ok(p.sessions[1].handle(0, Input::Message(page), &mut p.stores[1]));
    assert!(
        matches!(out.as_slice(), [Message::FeedRequest { since, whole: true, .. }] if *since == scanned_to),
        "next page asked ahead: {out:?}"
    );
    assert!(p.sessions[1].has_work());
    assert_eq!(p.stores[1].doc_ids().count(), 0);
    // Continue applies the page: no `ChangesRequest`, the cursor moves past it.
    let out = ok(p.sessions[1].handle(0, Input::Continue, &mut p.stores[1]));
    assert!(out.is_empty(), "nothing more to ask: {out:?}");
    assert!(!p.sessions[1].has_work());
    assert!(p.stores[1].doc_ids().count() > 0);
    assert_eq!(ok(p.stores[1].load_cursor("hub")).seq, scanned_to);

    // The rest flows the same way, without a single `ChangesRequest`.
    p.queue.push_back((0, out_of(&start[0], scanned_to)));
    p.pump();
    assert_eq!(p.stores[1].doc_ids().count(), 40);
    assert!(p.sessions[1].status().caught_up);
    assert!(
        !p.delivered_to_1
            .iter()
            .any(|m| matches!(m, Message::Changes { .. })),
        "whole documents came inline"
    );
}

/// The same feed request, from `since`.
fn out_of(request: &Message, since: u64) -> Message {
    match request {
        Message::FeedRequest {
            limit,
            whole,
            shared_only,
            ..
        } => Message::FeedRequest {
            since,
            limit: *limit,
            whole: *whole,
            shared_only: *shared_only,
        },
        other => panic!("not a feed request: {other:?}"),
    }
}
