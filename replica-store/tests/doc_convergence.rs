//! Ticket documents on 2–5 replicas: concurrent events added while apart, then merged in any order
//! (with repeats) give the same heads and the same derived state everywhere, with no event lost.

use automerge::{ActorId, AutoCommit};
use hotline_model::event::{Action, AssignTo, Event};
use hotline_model::hlc::Hlc;
use hotline_model::ticket::Ticket;
use proptest::prelude::*;
use replica_store::ticket_doc;

mod common;

const T0: i64 = common::NOW;

fn action(kind: u8, unit: &str) -> Action {
    let assign = |u: &str| AssignTo {
        unit: u.into(),
        sign_due_at: T0 + 10 * 3_600_000,
        due_at: T0 + 20 * 86_400_000,
    };
    match kind % 6 {
        0 => Action::accept_review(""),
        1 => Action::Dispatch {
            lead: assign(unit),
            co: vec![],
            note: String::new(),
            final_assignment: false,
        },
        2 => Action::Sign,
        3 => Action::Return {
            reason: "不属于本单位职责".into(),
        },
        4 => Action::Merge {
            master: "20261101-HUB-00001".into(),
        },
        _ => Action::Reply {
            founded: true,
            solved: true,
            public_reply: "已处理".into(),
            internal_note: String::new(),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn merged_documents_converge(
        replicas in 2usize..=5,
        edits in prop::collection::vec((0usize..5, 0u8..6, 0u8..3, 0i64..50), 1..25),
        order in prop::collection::vec(0usize..5, 5..30),
    ) {
        let ticket = Ticket {
            id: "t-1".into(),
            number: "20261124-HUB-00001".into(),
            query_code_hash: "h".into(),
            created_node: "HUB".into(),
            intake: common::intake(1),
            events: vec![Event { id: "e-created".into(), author: "op01".into(), unit: "C".into(), node: "HUB".into(), hlc: Hlc::at(T0), action: Action::Created }],
            files: vec![],
        };
        let origin = ticket_doc::create(ActorId::from([0u8; 16].as_slice()), &ticket, T0 / 1000).unwrap();
        let bytes = origin.clone().save();
        let mut docs: Vec<AutoCommit> = (0..replicas)
            .map(|r| {
                let mut d = AutoCommit::load(&bytes).unwrap();
                d.set_actor(ActorId::from([r as u8 + 1; 16].as_slice()));
                d
            })
            .collect();
        let units = ["D01", "D02", "B-ZJJ"];
        let mut all_ids = vec!["e-created".to_string()];
        for (n, (r, kind, unit, dt)) in edits.iter().enumerate() {
            let r = r % replicas;
            let unit = units[*unit as usize];
            let e = Event {
                id: format!("e-{n}"),
                author: "u".into(),
                unit: unit.into(),
                node: format!("N{r}"),
                hlc: Hlc::at(T0 + 1_000 + dt * 1_000),
                action: action(*kind, unit),
            };
            ticket_doc::add_event(&mut docs[r], "t-1", &e, T0 / 1000).unwrap();
            all_ids.push(e.id);
        }
        // Merge in a random order with repeats, then everyone with everyone.
        for w in order.windows(2) {
            let (a, b) = (w[0] % replicas, w[1] % replicas);
            if a != b {
                let mut other = docs[b].clone();
                docs[a].merge(&mut other).unwrap();
            }
        }
        for a in 0..replicas {
            for b in 0..replicas {
                if a != b {
                    let mut other = docs[b].clone();
                    docs[a].merge(&mut other).unwrap();
                }
            }
        }
        let first_heads = docs[0].get_heads();
        let (first, bad) = ticket_doc::read(&docs[0], "t-1").unwrap();
        prop_assert_eq!(bad, 0);
        let state = first.state();
        prop_assert_eq!(state.applied as usize + state.conflicts.len(), all_ids.len(), "every event applied or a visible conflict");
        for d in docs.iter_mut().skip(1) {
            prop_assert_eq!(d.get_heads(), first_heads.clone());
            let (t, _) = ticket_doc::read(d, "t-1").unwrap();
            prop_assert_eq!(t.state(), state.clone());
        }
    }
}
