//! Figures of the sync protocol over in-memory replicas (no network, no SQLite): bootstrap speed,
//! bytes of an idle reconnect, and bytes on the wire against the bytes of the automerge changes that
//! had to move after a partition. `cargo run --release -p sync-protocol --example sync_figures [N]`.

use std::collections::VecDeque;
use std::time::Instant;
use sync_protocol::frame;
use sync_protocol::memory::MemoryReplica;
use sync_protocol::message::Message;
use sync_protocol::scope::{NodeScope, dotted_within};
use sync_protocol::session::{Input, Session, SessionConfig};

struct Net {
    stores: [MemoryReplica; 2],
    sessions: [Session; 2],
    queue: VecDeque<(usize, Message)>,
    bytes: usize,
    change_bytes: usize,
    messages: usize,
}

fn ok<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => match e {},
    }
}

fn sessions(me: &NodeScope, peer: &NodeScope) -> [Session; 2] {
    [
        Session::new(
            SessionConfig::new(me.clone(), peer.clone(), Vec::new()),
            dotted_within(),
        ),
        Session::new(
            SessionConfig::new(peer.clone(), me.clone(), Vec::new()),
            dotted_within(),
        ),
    ]
}

impl Net {
    fn input(&mut self, side: usize, input: Input) {
        let before = self.stores[side].last_seq();
        let mut out = ok(self.sessions[side].handle(0, input, &mut self.stores[side]));
        if self.stores[side].last_seq() != before {
            out.extend(ok(self.sessions[side].handle(
                0,
                Input::LocalChange,
                &mut self.stores[side],
            )));
        }
        for m in out {
            self.bytes += frame::encode(&m).map(|b| b.len()).unwrap_or(0);
            match &m {
                Message::Changes { docs, .. } => {
                    self.change_bytes += docs
                        .iter()
                        .flat_map(|d| d.changes.iter())
                        .map(Vec::len)
                        .sum::<usize>();
                }
                Message::FeedPage { entries, .. } => {
                    self.change_bytes += entries
                        .iter()
                        .flat_map(|e| e.changes.iter())
                        .map(Vec::len)
                        .sum::<usize>();
                }
                _ => {}
            }
            self.messages += 1;
            self.queue.push_back((1 - side, m));
        }
    }

    fn run(&mut self) {
        self.bytes = 0;
        self.change_bytes = 0;
        self.messages = 0;
        self.input(0, Input::Start);
        self.input(1, Input::Start);
        while let Some((to, m)) = self.queue.pop_front() {
            self.input(to, Input::Message(m));
        }
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let hub = NodeScope {
        node_code: "hub".into(),
        scope_unit: "C".into(),
    };
    let edge = NodeScope {
        node_code: "d1".into(),
        scope_unit: "C.D1".into(),
    };
    let mut h = MemoryReplica::new(b"hub", 1);
    for i in 0..n {
        let id = format!("ticket-{i:07}");
        h.create(&id, &["C.D1.T1"], "title", "小区路灯不亮，晚上出行不便")
            .expect("create");
        h.edit(&id, "status", "已派单").expect("edit");
    }
    let mut net = Net {
        stores: [h, MemoryReplica::new(b"d1", 2)],
        sessions: sessions(&hub, &edge),
        queue: VecDeque::new(),
        bytes: 0,
        change_bytes: 0,
        messages: 0,
    };
    let t = Instant::now();
    net.run();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "bootstrap: {n} tickets in {secs:.2} s = {:.0} tickets/s; {} messages, {} bytes on the wire, {} bytes of changes ({:.2}x)",
        n as f64 / secs,
        net.messages,
        net.bytes,
        net.change_bytes,
        net.bytes as f64 / net.change_bytes.max(1) as f64
    );

    net.sessions = sessions(&hub, &edge);
    let t = Instant::now();
    net.run();
    println!(
        "idle reconnect: {} messages, {} bytes, {:.2} ms",
        net.messages,
        net.bytes,
        t.elapsed().as_secs_f64() * 1e3
    );

    // Partition: 1 % changed at the hub, 1 % at the edge, 0.1 % at both.
    for i in 0..n {
        let id = format!("ticket-{i:07}");
        if i % 100 == 0 {
            net.stores[0]
                .edit(&id, "reply", "已回复市民")
                .expect("edit");
        }
        if i % 100 == 50 {
            net.stores[1].edit(&id, "note", "现场核实").expect("edit");
        }
        if i % 1000 == 7 {
            net.stores[0].edit(&id, "status", "办理中").expect("edit");
            net.stores[1].edit(&id, "status", "已办结").expect("edit");
        }
    }
    net.sessions = sessions(&hub, &edge);
    let t = Instant::now();
    net.run();
    println!(
        "heal: {:.3} s, {} messages, {} bytes on the wire, {} bytes of changes moved ({:.2}x)",
        t.elapsed().as_secs_f64(),
        net.messages,
        net.bytes,
        net.change_bytes,
        net.bytes as f64 / net.change_bytes.max(1) as f64
    );
}
