//! Convergence of the workflow fold: replicas that act on one order while apart, then receive every
//! event in any order and any number of times, all derive the same state with the same conflicts,
//! and no event is ever lost (each is either applied or listed as a conflict).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use hotline_model::event::{Action, AssignTo, Event, Satisfaction, SupervisionLevel};
use hotline_model::hlc::Hlc;
use hotline_model::intake::Intake;
use hotline_model::workflow::{AssignmentStatus, Status, TicketState};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use support::{DAY, HOUR, MINUTE, T0, event, intake};

/// Units that may act: the centre, a district, its towns and a community, two bureaus.
const UNITS: [&str; 7] = [
    "C",
    "D01",
    "D01-T01",
    "D01-T01-C01",
    "D01-T02",
    "B-ZJJ",
    "B-GAJ",
];

/// One step of the simulation.
#[derive(Clone, Debug)]
enum Step {
    /// Replica `replica` takes an action as unit `unit`, after the world clock moved `advance_ms`.
    /// `pick` chooses among the candidate actions; `valid` restricts the choice to actions its own
    /// (possibly stale) view accepts, as a real node would.
    Act {
        replica: usize,
        unit: usize,
        pick: usize,
        valid: bool,
        advance_ms: i64,
    },
    /// Replica `to` receives everything replica `from` knows.
    Sync { from: usize, to: usize },
}

fn step() -> impl Strategy<Value = Step> {
    let advance = prop_oneof![
        2 => Just(0i64),
        4 => (1i64..120).prop_map(|m| m * MINUTE),
        2 => (2i64..72).prop_map(|h| h * HOUR),
        1 => (3i64..25).prop_map(|d| d * DAY),
    ];
    prop_oneof![
        3 => (
            0usize..5,
            prop_oneof![1 => Just(0usize), 2 => 1usize..UNITS.len()],
            0usize..64,
            prop::bool::weighted(0.85),
            advance,
        )
            .prop_map(|(replica, unit, pick, valid, advance_ms)| Step::Act {
                replica,
                unit,
                pick,
                valid,
                advance_ms,
            }),
        2 => (0usize..5, 0usize..5).prop_map(|(from, to)| Step::Sync { from, to }),
    ]
}

/// A node's clock error: usually minutes, sometimes a whole day either way.
fn skew() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -10 * MINUTE..10 * MINUTE,
        1 => -24 * HOUR..=24 * HOUR,
    ]
}

struct Replica {
    node: String,
    /// Clock skew of this node against the world clock.
    skew_ms: i64,
    clock: Hlc,
    known: BTreeMap<String, Event>,
}

impl Replica {
    fn state(&self, intake: &Intake) -> TicketState {
        let events: Vec<Event> = self.known.values().cloned().collect();
        TicketState::derive(intake, &events)
    }
}

fn assign(unit: &str, now: i64, days: i64) -> AssignTo {
    AssignTo {
        unit: unit.to_string(),
        sign_due_at: now + 2 * HOUR,
        due_at: now + days * DAY,
    }
}

/// Every action the acting unit might plausibly try now, whether or not its view allows it.
fn candidates(unit: &str, s: &TicketState, now: i64) -> Vec<Action> {
    let mut out = Vec::new();
    let active: Vec<String> = s
        .lead
        .iter()
        .chain(s.co.iter())
        .filter(|a| a.is_active())
        .map(|a| a.unit.clone())
        .collect();
    if unit == "C" {
        out.push(Action::AnswerDirectly {
            answer: "已答复".into(),
        });
        for accept in [true, false] {
            out.push(Action::Review {
                accept,
                note: "审核".into(),
                subject: None,
                request_type: None,
                title: None,
                urgent: Some(!accept),
            });
            out.push(Action::ReviewResult {
                accept,
                reason: "重办".into(),
                redo_due_at: Some(now + 3 * DAY),
            });
        }
        out.push(Action::Resubmit {
            note: String::new(),
        });
        for (lead, co) in [
            ("D01", vec![]),
            ("D01", vec!["B-ZJJ"]),
            ("B-GAJ", vec!["B-ZJJ", "D01-T02"]),
            ("B-ZJJ", vec!["D01"]),
            ("D01", vec!["D01-T01"]),
        ] {
            out.push(Action::Dispatch {
                lead: assign(lead, now, 5),
                co: co.into_iter().map(|c| assign(c, now, 4)).collect(),
                note: String::new(),
                final_assignment: false,
            });
        }
        for u in &active {
            let pending = s
                .lead
                .iter()
                .chain(s.co.iter())
                .find(|a| &a.unit == u)
                .and_then(|a| a.extension_request.as_ref().map(|r| r.until));
            out.push(Action::ApproveExtension {
                for_unit: u.clone(),
                until: pending.unwrap_or(now + 10 * DAY),
                note: String::new(),
            });
            out.push(Action::RejectExtension {
                for_unit: u.clone(),
                reason: "不予延期".into(),
            });
            out.push(Action::Urge {
                target: u.clone(),
                note: String::new(),
            });
            for level in [SupervisionLevel::Notice, SupervisionLevel::Named] {
                out.push(Action::Supervise {
                    target: u.clone(),
                    level,
                    note: String::new(),
                });
            }
        }
        for satisfaction in [Satisfaction::Satisfied, Satisfaction::Unsatisfied] {
            out.push(Action::Callback {
                satisfaction,
                note: String::new(),
                channel: Default::default(),
            });
        }
        out.push(Action::Reopen {
            reason: "不满意".into(),
            due_at: now + 3 * DAY,
        });
        out.push(Action::Close {
            publish: true,
            note: String::new(),
        });
        out.push(Action::Merge {
            master: "20261120-C-00001".into(),
        });
    } else {
        out.push(Action::Sign);
        out.push(Action::Return {
            reason: "非本单位职责".into(),
        });
        out.push(Action::Reply {
            founded: true,
            solved: true,
            public_reply: "已处理".into(),
            internal_note: String::new(),
        });
        let due = s
            .lead
            .iter()
            .chain(s.co.iter())
            .find(|a| a.unit == unit && a.is_active())
            .map_or(now + DAY, |a| a.due_at);
        out.push(Action::RequestExtension {
            until: due + 3 * DAY,
            reason: "需现场勘查".into(),
        });
        let children: &[&str] = match unit {
            "D01" => &["D01-T01", "D01-T02"],
            "D01-T01" => &["D01-T01-C01"],
            _ => &[],
        };
        for (i, child) in children.iter().enumerate() {
            let co: Vec<AssignTo> = children
                .iter()
                .skip(i + 1)
                .map(|c| assign(c, now, 3))
                .collect();
            out.push(Action::Transfer {
                to: assign(child, now, 3),
                co,
                note: String::new(),
            });
        }
    }
    out
}

/// A small deterministic generator for delivery orders, seeded by proptest.
struct Shuffler(u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Runs the simulation; returns every distinct event created.
fn simulate(intake: &Intake, n: usize, skews: &[i64], steps: &[Step]) -> Vec<Event> {
    let mut replicas: Vec<Replica> = (0..n)
        .map(|i| Replica {
            node: format!("N{i}"),
            skew_ms: skews[i],
            clock: Hlc::default(),
            known: BTreeMap::new(),
        })
        .collect();
    // Registered at node 0 and known everywhere before the offices go their own ways.
    let created = event("created", "C", "N0", Hlc::at(T0), Action::Created);
    for r in &mut replicas {
        r.known.insert(created.id.clone(), created.clone());
        r.clock = r.clock.observe(created.hlc);
    }
    let mut wall = T0;
    let mut seq = 0u32;
    for step in steps {
        match *step {
            Step::Act {
                replica,
                unit,
                pick,
                valid,
                advance_ms,
            } => {
                wall += advance_ms;
                let r = &mut replicas[replica % n];
                let local_now = wall + r.skew_ms;
                let state = r.state(intake);
                let unit = UNITS[unit];
                let mut options = candidates(unit, &state, local_now);
                let hlc = r.clock.tick(local_now);
                seq += 1;
                let id = format!("e{seq:03}");
                let as_event = |a: &Action| event(&id, unit, &r.node, hlc, a.clone());
                // Ending the order at once is a rare choice, or every history would be short.
                if pick % 8 != 0 {
                    options.retain(|a| {
                        !matches!(a, Action::AnswerDirectly { .. } | Action::Merge { .. })
                    });
                }
                if pick % 3 != 0 {
                    options.retain(|a| !matches!(a, Action::Return { .. }));
                }
                if valid {
                    // A real node only records what its own view accepts; with nothing to do, it
                    // records nothing.
                    options.retain(|a| state.check(&as_event(a)).is_ok());
                    if options.is_empty() {
                        continue;
                    }
                }
                let e = as_event(&options[pick % options.len()]);
                r.clock = hlc;
                r.known.insert(e.id.clone(), e);
            }
            Step::Sync { from, to } => {
                let (from, to) = (from % n, to % n);
                if from == to {
                    continue;
                }
                let incoming: Vec<Event> = replicas[from].known.values().cloned().collect();
                let target = &mut replicas[to];
                for e in incoming {
                    target.clock = target.clock.observe(e.hlc);
                    target.known.entry(e.id.clone()).or_insert(e);
                }
            }
        }
    }
    let mut all = BTreeMap::new();
    for r in replicas {
        all.extend(r.known);
    }
    all.into_values().collect()
}

/// Facts that hold in any derived state, whatever happened.
fn check_invariants(s: &TicketState) -> Result<(), TestCaseError> {
    let lead_active = s.lead.as_ref().is_some_and(|l| l.is_active());
    match s.status {
        Status::Dispatched | Status::Handling => {
            prop_assert!(lead_active, "{:?} without an active lead", s.status)
        }
        Status::Replied => prop_assert_eq!(
            s.lead.as_ref().map(|l| l.status),
            Some(AssignmentStatus::Replied)
        ),
        Status::Returned => prop_assert!(s.lead.is_none() && s.co.is_empty()),
        _ => prop_assert!(!lead_active, "{:?} with an active lead", s.status),
    }
    if s.status == Status::Handling {
        prop_assert!(s.lead.as_ref().is_some_and(|l| l.signed_at.is_some()));
    }
    for a in s.past.iter() {
        prop_assert!(
            matches!(
                a.status,
                AssignmentStatus::Returned | AssignmentStatus::Superseded
            ),
            "past assignment of {} is {:?}",
            a.unit,
            a.status
        );
    }
    let active: Vec<&str> = s
        .lead
        .iter()
        .chain(s.co.iter())
        .filter(|a| a.is_active())
        .map(|a| a.unit.as_str())
        .collect();
    let distinct: BTreeSet<&str> = active.iter().copied().collect();
    prop_assert_eq!(
        distinct.len(),
        active.len(),
        "a unit holds two active assignments"
    );
    let ids: BTreeSet<&str> = s.conflicts.iter().map(|c| c.event_id.as_str()).collect();
    prop_assert_eq!(
        ids.len(),
        s.conflicts.len(),
        "an event is listed twice as a conflict"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn replicas_converge_and_lose_no_event(
        n in 2usize..=5,
        skews in prop::collection::vec(skew(), 5),
        steps in prop::collection::vec(step(), 1..120),
        seed in any::<u64>(),
    ) {
        let intake = intake();
        let events = simulate(&intake, n, &skews, &steps);
        let distinct = events.len();
        let reference = TicketState::derive(&intake, &events);
        prop_assert_eq!(reference.applied as usize + reference.conflicts.len(), distinct);
        let known: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        for c in &reference.conflicts {
            prop_assert!(known.contains(c.event_id.as_str()));
        }
        check_invariants(&reference)?;

        let mut rng = Shuffler(seed | 1);
        for replica in 0..n {
            // Every event arrives, some two or three times, in a random order and random batches.
            let mut delivery: Vec<Event> = Vec::new();
            for e in &events {
                let copies = match rng.below(6) {
                    0 => 3,
                    1 | 2 => 2,
                    _ => 1,
                };
                for _ in 0..copies {
                    delivery.push(e.clone());
                }
            }
            rng.shuffle(&mut delivery);
            let mut log: Vec<Event> = Vec::new();
            let mut rest = delivery.as_slice();
            while !rest.is_empty() {
                let take = 1 + rng.below(rest.len());
                log.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                let partial = TicketState::derive(&intake, &log);
                let seen: BTreeSet<&str> = log.iter().map(|e| e.id.as_str()).collect();
                prop_assert_eq!(partial.applied as usize + partial.conflicts.len(), seen.len());
            }
            let state = TicketState::derive(&intake, &log);
            prop_assert_eq!(&state, &reference, "replica {} diverged", replica);
        }
    }
}

/// The generator must actually produce concurrent, conflicting histories, or the property above
/// proves little: run a fixed set of scenarios and count.
#[test]
fn the_simulation_produces_conflicts_and_progress() {
    let intake = intake();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        prop::collection::vec(skew(), 5),
        prop::collection::vec(step(), 100..160),
    );
    let mut with_conflicts = 0;
    let mut dispatched = 0;
    let mut closed_after_reply = 0;
    for _ in 0..100 {
        let (skews, steps) = strategy.new_tree(&mut runner).expect("value").current();
        let events = simulate(&intake, 3, &skews, &steps);
        let s = TicketState::derive(&intake, &events);
        if !s.conflicts.is_empty() {
            with_conflicts += 1;
        }
        if s.lead.is_some() || !s.past.is_empty() {
            dispatched += 1;
        }
        if s.status == Status::Closed && s.final_reply.is_some() {
            closed_after_reply += 1;
        }
    }
    assert!(
        with_conflicts >= 50,
        "only {with_conflicts} of 100 histories had conflicts"
    );
    assert!(
        dispatched >= 70,
        "only {dispatched} of 100 histories reached dispatch"
    );
    assert!(
        closed_after_reply >= 5,
        "only {closed_after_reply} of 100 histories were closed after a reply"
    );
}

/// Two different events carrying the same id (a faulty or forged node) must still resolve the same
/// way on every replica, whatever order they arrived in: one of them counts, the same one everywhere.
#[test]
fn events_sharing_an_id_resolve_the_same_whatever_the_order() {
    let intake = intake();
    let created = event("created", "C", "N0", Hlc::at(T0), Action::Created);
    let t = Hlc::at(T0 + HOUR);
    let answer = event(
        "same",
        "C",
        "N1",
        t,
        Action::AnswerDirectly {
            answer: "已答复".into(),
        },
    );
    let merge = event(
        "same",
        "C",
        "N1",
        t,
        Action::Merge {
            master: "20261120-C-00001".into(),
        },
    );
    let one = TicketState::derive(&intake, &[created.clone(), answer.clone(), merge.clone()]);
    let other = TicketState::derive(&intake, &[created, merge, answer]);
    assert_eq!(
        one, other,
        "arrival order decided which event with id `same` counts"
    );
    assert_eq!(
        one.applied as usize + one.conflicts.len(),
        2,
        "one `created`, one of the pair"
    );
}
