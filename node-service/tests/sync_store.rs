//! The SQLite sync store against hostile and repeated input: invalid and panicking bytes, replays,
//! refusals, leave/purge and the feed, on real store files.

use std::collections::BTreeSet;

use node_service::sync::sql_store::SqlSyncStore;
use replica_store::{NewTicket, Store};
use sync_protocol::store::{ApplyBatch, ApplyOutcome, DocApply, DocPresence, SyncStore};

const NOW: i64 = 1_795_485_600_000;

fn open(dir: &std::path::Path, node: &str) -> Store {
    Store::open(&dir.join(format!("{node}.sqlite")), node, rand::random()).unwrap()
}

async fn ticket(store: &Store, unit: &str) -> String {
    let intake = serde_json::from_value(serde_json::json!({
        "channel": "phone", "caller_name": "王五", "caller_phone": "13700001234", "address": "某路1号",
        "request_type": "complaint", "subject": "CX.WY.DT", "title": "电梯", "content": "电梯坏了。"
    }))
    .unwrap();
    let mut random = [0u8; 24];
    random.copy_from_slice(&rand::random::<[u8; 32]>()[..24]);
    let c = store
        .create_ticket(NewTicket {
            intake,
            author: "u".into(),
            unit: unit.into(),
            now_ms: NOW,
            random,
            then: Vec::new(),
        })
        .await
        .unwrap();
    c.ticket.id
}

/// Runs `f` on a sync store over a write job of `store`.
async fn with<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&mut SqlSyncStore<'_, '_>) -> T + Send + 'static,
) -> T {
    store
        .write(move |ctx| {
            let mut s = SqlSyncStore::new(ctx);
            Ok(f(&mut s))
        })
        .await
        .unwrap()
}

fn batch(doc_id: &str, changes: Vec<Vec<u8>>) -> ApplyBatch {
    ApplyBatch {
        docs: vec![DocApply {
            doc_id: doc_id.into(),
            changes,
        }],
        then_cursor: Some((
            "PEER".into(),
            sync_protocol::store::Cursor { epoch: 7, seq: 3 },
        )),
    }
}

#[tokio::test]
async fn applies_valid_changes_once_refuses_and_rejects_bad_input_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path(), "A");
    let b = open(dir.path(), "B");
    let id = ticket(&a, "D01-T01").await;
    let bytes = {
        let id = id.clone();
        with(&a, move |s| s.read_changes(&id, &[]).unwrap()).await
    };
    assert_eq!(bytes.len(), 1);

    // Garbage, truncated and empty-kind documents are invalid; nothing is written.
    let garbage = vec![
        vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5],
        b"not automerge".to_vec(),
    ];
    let truncated = vec![bytes[0][..bytes[0].len() / 2].to_vec()];
    for bad in [garbage, truncated] {
        let (id2, before) = (id.clone(), b.state_seq());
        let out = with(&b, move |s| {
            s.apply(&batch(&id2, bad), &|_, _| true).unwrap()
        })
        .await;
        assert!(matches!(out[0], ApplyOutcome::Invalid(_)), "{out:?}");
        assert_eq!(b.state_seq(), before);
    }
    // Refused by the authorisation: nothing written, but the cursor is saved.
    let (id2, ch) = (id.clone(), bytes.clone());
    let out = with(&b, move |s| {
        s.apply(&batch(&id2, ch), &|_, _| false).unwrap()
    })
    .await;
    assert_eq!(out, vec![ApplyOutcome::Refused]);
    let id2 = id.clone();
    assert!(with(&b, move |s| s.doc_meta(&id2).unwrap()).await.is_none());
    assert_eq!(with(&b, |s| s.load_cursor("PEER").unwrap()).await.seq, 3);

    // Accepted: the ticket is stored and projected, with its scope from the document itself.
    let (id2, ch) = (id.clone(), bytes.clone());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen2 = seen.clone();
    let out = with(&b, move |s| {
        s.apply(&batch(&id2, ch), &move |before, after| {
            *seen2.lock().unwrap() = Some((before.is_none(), after.scope_units.clone()));
            true
        })
        .unwrap()
    })
    .await;
    assert!(matches!(out[0], ApplyOutcome::Applied { .. }), "{out:?}");
    assert_eq!(
        *seen.lock().unwrap(),
        Some((true, vec!["D01-T01".to_string()]))
    );
    let view = b.ticket(id.clone()).await.unwrap().unwrap();
    assert_eq!(view.intake.caller_name, "王五");
    // Replayed: unchanged.
    let (id2, ch) = (id.clone(), bytes.clone());
    let out = with(&b, move |s| {
        s.apply(&batch(&id2, ch), &|_, _| true).unwrap()
    })
    .await;
    assert_eq!(out, vec![ApplyOutcome::Unchanged]);
    let id2 = id.clone();
    let heads = with(&a, move |s| s.doc_meta(&id2).unwrap().unwrap().heads).await;
    let id2 = id.clone();
    assert!(with(&b, move |s| s.has_all(&id2, &heads).unwrap()).await);

    // Leave, then purge: the document goes, a tombstone takes its place in the feed.
    let id2 = id.clone();
    with(&b, move |s| {
        s.begin_leave(&id2, &BTreeSet::from(["T1".to_string()]))
            .unwrap();
        assert!(s.leaving_ready().unwrap().is_empty(), "waits for its child");
        s.child_removed(&id2, "T1").unwrap();
        assert_eq!(s.leaving_ready().unwrap().len(), 1);
        assert!(s.purge(&id2, None).unwrap());
        let feed = s.read_feed(0, 100).unwrap();
        let last = feed.entries.last().unwrap();
        assert_eq!(last.doc_id, id2);
        assert_eq!(last.presence, DocPresence::Removed);
        assert_eq!(last.ever_units, vec!["D01-T01".to_string()]);
        assert!(s.doc_meta(&id2).unwrap().is_none());
    })
    .await;
    assert!(
        b.ticket(id.clone()).await.unwrap().is_none(),
        "projection removed with the document"
    );
}

/// The latest committed seq of a store.
trait SeqOf {
    fn state_seq(&self) -> i64;
}

impl SeqOf for Store {
    fn state_seq(&self) -> i64 {
        *self.committed().borrow()
    }
}
