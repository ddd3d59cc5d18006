//! The outbox: notifications queued in the transaction of the event that causes them, delivered
//! with retries, given up after the last, and kept across restarts.

mod common;

use std::sync::Arc;

use common::*;
use hotline_model::event::Action;
use hotline_model::notify::{MAX_ATTEMPTS, Medium, Notice};
use replica_store::outbox::Outcome;
use replica_store::{NewEvent, Store};

/// One text per event to the caller, and one more on registration carrying the query code.
fn notify_everything(store: &Store) {
    store.set_notifier(Arc::new(|view, events, code| {
        let mut out: Vec<Notice> = events
            .iter()
            .map(|e| Notice {
                key: format!("{}:sms", e.id),
                medium: Medium::Sms,
                to: view.intake.caller_phone.clone(),
                subject: String::new(),
                body: format!("{:?}", e.action.kind()),
                ticket: view.number.clone(),
                urgent: false,
                citizen: true,
                not_before: e.hlc.wall_ms,
                survey: false,
            })
            .collect();
        if let Some(code) = code {
            out.push(Notice {
                key: format!("{}:code", view.id),
                body: format!("查询码{code}"),
                ..out[0].clone()
            });
        }
        out
    }));
}

fn sign(id: &str) -> NewEvent {
    NewEvent {
        id: format!("{id}-sign"),
        author: "d02".into(),
        unit: "D02".into(),
        action: Action::Sign,
        now_ms: NOW + 5000,
    }
}

#[tokio::test]
async fn a_notification_is_queued_with_its_event_or_not_at_all_and_delivered_with_retries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.sqlite");
    let store = open(&path, 1);
    notify_everything(&store);
    let a = store.create_ticket(new_ticket(1, NOW)).await.unwrap();
    let due = store.outbox_due(NOW, 100).await.unwrap();
    let bodies: Vec<&str> = due.iter().map(|o| o.body.as_str()).collect();
    assert_eq!(bodies, vec!["Created", &format!("查询码{}", a.query_code)]);
    // A refused action writes neither its event nor its notification.
    let refused = store.apply(a.ticket.id.clone(), sign(&a.ticket.id)).await;
    assert!(refused.is_err());
    assert_eq!(store.outbox_counts().await.unwrap(), (2, 0, 0));
    assert_eq!(store.outbox_next_due().await.unwrap(), Some(NOW));
    // An order imported whole (its events recorded elsewhere) notifies nobody here.
    let mut other = store
        .create_ticket(new_ticket(2, NOW))
        .await
        .unwrap()
        .ticket;
    assert_eq!(store.outbox_counts().await.unwrap(), (4, 0, 0));
    other.id = "imported-1".into();
    other.number = "20261124-D01-00001".into();
    let t = hotline_model::ticket::Ticket {
        id: other.id.clone(),
        number: other.number.clone(),
        created_node: "D01".into(),
        intake: other.intake.clone(),
        events: other.events.clone(),
        files: vec![],
        query_code_hash: "x".into(),
    };
    store.import_ticket(t).await.unwrap();
    assert_eq!(store.outbox_counts().await.unwrap(), (4, 0, 0));

    // Delivered: recorded with its attempt. Failing: retried later, then given up.
    let first = due[0].id;
    let second = due[1].id;
    assert_eq!(
        store
            .outbox_record(first, NOW + 10, Outcome::Sent("BizId 1".into()))
            .await
            .unwrap(),
        "sent"
    );
    // A citizen's text is not kept once delivered.
    let sent = store
        .outbox_list(Some("sent".into()), None, 10)
        .await
        .unwrap();
    assert_eq!(sent[0].0.body, replica_store::outbox::SENT_TO_CITIZEN);
    let mut at = NOW + 10;
    for i in 1..=MAX_ATTEMPTS {
        let state = store
            .outbox_record(
                second,
                at,
                Outcome::Failed {
                    error: "网关超时".into(),
                    permanent: false,
                },
            )
            .await
            .unwrap();
        if i < MAX_ATTEMPTS {
            assert_eq!(state, "pending");
            // Not due again until the backoff has passed.
            let pending = store
                .outbox_list(Some("pending".into()), None, 100)
                .await
                .unwrap();
            let next = pending
                .iter()
                .find(|(o, _)| o.id == second)
                .unwrap()
                .0
                .next_at;
            assert!(next > at, "attempt {i}");
            assert!(
                store
                    .outbox_due(at, 100)
                    .await
                    .unwrap()
                    .iter()
                    .all(|o| o.id != second)
            );
            at = next;
        } else {
            assert_eq!(state, "dead");
        }
    }
    // Kept across a restart, with every attempt; an administrator's retry queues it again.
    drop(store);
    let store = open(&path, 2);
    let page = store
        .outbox_list(Some("dead".into()), None, 10)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0.id, second);
    assert_eq!(page[0].1.len(), MAX_ATTEMPTS as usize);
    assert_eq!(page[0].0.last_error.as_deref(), Some("网关超时"));
    assert!(store.outbox_retry(second, at).await.unwrap());
    assert!(
        !store.outbox_retry(first, at).await.unwrap(),
        "only dead ones"
    );
    assert!(
        store
            .outbox_due(at, 100)
            .await
            .unwrap()
            .iter()
            .any(|o| o.id == second)
    );
    // A refusal that retrying cannot change is given up at once.
    let third = store.outbox_due(at, 100).await.unwrap()[0].id;
    let state = store
        .outbox_record(
            third,
            at,
            Outcome::Failed {
                error: "号码无效".into(),
                permanent: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(state, "dead");
}
