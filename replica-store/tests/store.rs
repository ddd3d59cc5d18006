//! The store keeps what it acknowledged, across restarts, and rebuilds its projections from documents.

mod common;

use common::*;
use hotline_model::event::{Action, AssignTo};
use hotline_model::workflow::Status;
use replica_store::{NewEvent, StoreError, TicketFilter};

fn dispatch(id: &str) -> NewEvent {
    NewEvent {
        id: format!("{id}-dispatch"),
        author: "sl01".into(),
        unit: "C".into(),
        action: Action::Dispatch {
            lead: AssignTo {
                unit: "D02".into(),
                sign_due_at: NOW + 7_200_000,
                due_at: NOW + 86_400_000 * 10,
            },
            co: vec![],
            note: String::new(),
            final_assignment: false,
        },
        now_ms: NOW + 1000,
    }
}

#[tokio::test]
async fn restart_keeps_tickets_events_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.sqlite");
    let (first, second_number) = {
        let store = open(&path, 1);
        let a = store.create_ticket(new_ticket(1, NOW)).await.unwrap();
        let b = store.create_ticket(new_ticket(2, NOW)).await.unwrap();
        assert_eq!(a.ticket.number, "20261124-HUB-00001");
        assert_eq!(b.ticket.number, "20261124-HUB-00002");
        assert_eq!(a.query_code.len(), 11);
        store
            .apply(a.ticket.id.clone(), dispatch(&a.ticket.id))
            .await
            .unwrap();
        (a, b.ticket.number)
    };
    let store = open(&path, 2);
    let view = store
        .ticket(first.ticket.number.clone())
        .await
        .unwrap()
        .expect("ticket kept");
    assert_eq!(view.state.status, Status::Dispatched);
    assert_eq!(view.events.len(), 2);
    assert!(store.ticket(second_number).await.unwrap().is_some());
    // Numbering continues after the restart.
    let c = store.create_ticket(new_ticket(3, NOW)).await.unwrap();
    assert_eq!(c.ticket.number, "20261124-HUB-00003");
    // A new actor id after restart still appends to the same document.
    let v = store
        .apply(
            first.ticket.id.clone(),
            NewEvent {
                id: "sign-1".into(),
                author: "d02-handler".into(),
                unit: "D02".into(),
                action: Action::Sign,
                now_ms: NOW + 2000,
            },
        )
        .await
        .unwrap();
    assert_eq!(v.state.status, Status::Handling);
}

#[tokio::test]
async fn refused_actions_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("n.sqlite"), 1);
    let a = store.create_ticket(new_ticket(1, NOW)).await.unwrap();
    let sign = NewEvent {
        id: "s".into(),
        author: "d02-handler".into(),
        unit: "D02".into(),
        action: Action::Sign,
        now_ms: NOW + 5,
    };
    let err = store.apply(a.ticket.id.clone(), sign).await.unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err:?}");
    let empty_reason = NewEvent {
        id: "r".into(),
        author: "d02-handler".into(),
        unit: "D02".into(),
        action: Action::Return { reason: " ".into() },
        now_ms: NOW + 5,
    };
    let err = store
        .apply(a.ticket.id.clone(), empty_reason)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = store
        .apply("no-such".into(), dispatch("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
    let v = store.ticket(a.ticket.id.clone()).await.unwrap().unwrap();
    assert_eq!(v.events.len(), 1);
    assert_eq!(
        *store.committed().borrow(),
        1,
        "no sequence number was spent on refused writes"
    );
    // An invalid intake is refused and takes no number.
    let mut bad = new_ticket(9, NOW);
    bad.intake.title = "x".repeat(101);
    assert!(matches!(
        store.create_ticket(bad).await,
        Err(StoreError::Invalid(_))
    ));
    let next = store.create_ticket(new_ticket(10, NOW)).await.unwrap();
    assert_eq!(next.ticket.number, "20261124-HUB-00002");
}

#[tokio::test]
async fn projections_are_rebuilt_from_documents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.sqlite");
    let ids: Vec<String> = {
        let store = open(&path, 1);
        let mut ids = vec![];
        for i in 0..20 {
            let c = store
                .create_ticket(new_ticket(i, NOW + i as i64))
                .await
                .unwrap();
            ids.push(c.ticket.id);
        }
        store
            .apply(ids[3].clone(), dispatch(&ids[3]))
            .await
            .unwrap();
        ids
    };
    // Damage the projections behind the store's back: drop rows, corrupt one.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "DELETE FROM tickets WHERE number > '20261124-HUB-00010'",
            [],
        )
        .unwrap();
        conn.execute(
            "UPDATE tickets SET status = 'closed', doc_seq = 0 WHERE id = ?1",
            [&ids[3]],
        )
        .unwrap();
        // The repair is asked for by removing the checkpoint: the next open rebuilds everything.
        conn.execute("DELETE FROM meta WHERE key = 'projections_checked_seq'", [])
            .unwrap();
    }
    let store = open(&path, 2);
    let all = store
        .list(TicketFilter {
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 20);
    let v = store.ticket(ids[3].clone()).await.unwrap().unwrap();
    assert_eq!(v.state.status, Status::Dispatched);
    let by_unit = store
        .list(TicketFilter {
            unit: Some("D02".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_unit.len(), 1);
    // A projection-format change rebuilds everything.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE meta SET value = 'old' WHERE key = 'projection_version'",
            [],
        )
        .unwrap();
        conn.execute("UPDATE tickets SET title = 'stale'", [])
            .unwrap();
        // The layout of version 13: the view and facts inside `tickets`, no `ticket_views`.
        conn.execute_batch(
            "DROP TABLE ticket_views;
             ALTER TABLE tickets ADD COLUMN facts TEXT NOT NULL DEFAULT '[]';
             ALTER TABLE tickets ADD COLUMN view TEXT NOT NULL DEFAULT '{}';",
        )
        .unwrap();
    }
    drop(store);
    let store = open(&path, 3);
    let v = store.ticket(ids[0].clone()).await.unwrap().unwrap();
    assert_eq!(v.state.title, "占道经营第0号");
    // The table was made anew in the current layout, and every order's view rebuilt beside it.
    let (long_columns, views): (i64, i64) = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT COUNT(*) FROM pragma_table_info('tickets')
                         WHERE name IN ('view', 'facts')),
                        (SELECT COUNT(*) FROM ticket_views)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!((long_columns, views), (0, 20));
}

#[tokio::test]
async fn concurrent_creates_get_distinct_numbers_and_all_survive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.sqlite");
    let store = open(&path, 1);
    let mut tasks = vec![];
    for i in 0..200u64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.create_ticket(new_ticket(i, NOW)).await
        }));
    }
    let mut numbers = std::collections::BTreeSet::new();
    for t in tasks {
        numbers.insert(t.await.unwrap().unwrap().ticket.number);
    }
    assert_eq!(numbers.len(), 200);
    let counts = store.status_counts().await.unwrap();
    assert_eq!(counts, vec![("pending_review".to_string(), 200)]);
}

#[tokio::test]
async fn a_read_job_that_panics_fails_alone_and_the_readers_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("node.sqlite"), 1);
    store.create_ticket(new_ticket(1, NOW)).await.unwrap();
    // More panicking jobs than there are readers, on both queues.
    for _ in 0..12 {
        let r: Result<(), StoreError> = store.read(|_| panic!("a bug in a read")).await;
        assert!(matches!(r, Err(StoreError::Closed)));
        let r: Result<(), StoreError> = store.read_bulk(|_| panic!("a bug in long work")).await;
        assert!(matches!(r, Err(StoreError::Closed)));
    }
    assert_eq!(store.list(TicketFilter::default()).await.unwrap().len(), 1);
    let n: i64 = store
        .read_bulk(|c| Ok(c.query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_citizens_lookup_reads_the_public_record_kept_beside_the_order() {
    use hotline_model::public::{PublicRecord, Step};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.sqlite");
    let store = open(&path, 1);
    let a = store.create_ticket(new_ticket(1, NOW)).await.unwrap();
    let number = a.ticket.number.clone();
    let (id, hash, record) = store.lookup_public(number.clone()).await.unwrap().unwrap();
    assert_eq!(id, a.ticket.id);
    assert_eq!(
        hash,
        hotline_model::number::query_code_hash(&id, &a.query_code)
    );
    assert_eq!(record.status, Status::PendingReview);
    assert!(matches!(record.steps[0].step, Step::Received { .. }));
    // Masked, and nothing of the complaint or the address.
    assert_eq!(record.phone, "139****0001");
    let text = serde_json::to_string(&record).unwrap();
    assert!(
        !text.contains("金桥路") && !text.contains("流动摊贩"),
        "{text}"
    );
    // It follows every change: dispatched to a unit, the same as derived from the history.
    let view = store.apply(id.clone(), dispatch(&id)).await.unwrap();
    let (_, _, record) = store.lookup_public(number.clone()).await.unwrap().unwrap();
    assert_eq!(record, PublicRecord::of(&view));
    assert_eq!(record.handling_unit.as_deref(), Some("D02"));
    // A rebuild (a format change) derives it again from the documents.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("DELETE FROM ticket_public", []).unwrap();
        conn.execute(
            "UPDATE meta SET value = 'old' WHERE key = 'projection_version'",
            [],
        )
        .unwrap();
    }
    drop(store);
    let store = open(&path, 2);
    let (_, _, again) = store.lookup_public(number).await.unwrap().unwrap();
    assert_eq!(again, record);
    assert!(
        store
            .lookup_public("20261124-HUB-99999".into())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn point_reads_see_every_committed_write_and_never_hold_up_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("node.sqlite"), 1);
    // Many lookups at once, interleaved with writes: each sees every write committed before it
    // started, whether it ran on the caller's thread or (every point connection lent) on a reader.
    let mut tasks = vec![];
    for i in 0..40u64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let c = s.create_ticket(new_ticket(i, NOW)).await.unwrap();
            let found = s.lookup_public(c.ticket.number.clone()).await.unwrap();
            assert_eq!(found.map(|f| f.0), Some(c.ticket.id));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let n: i64 = store
        .read_point(|c| Ok(c.query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(n, 40);
}
