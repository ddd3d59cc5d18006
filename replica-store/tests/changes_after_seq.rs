//! `changes_after_seq`: the chunks a peer at a cursor lacks, or `None` when the store cannot tell.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use replica_store::{docstore, schema};

#[test]
fn chunks_after_a_cursor_or_none_when_compacted() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    schema::create(&conn).unwrap();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "ticket").unwrap();
    let s1 = docstore::insert(&conn, "d", "ticket", &mut doc, "D01").unwrap();
    assert_eq!(
        docstore::changes_after_seq(&conn, "d", s1 - 1).unwrap(),
        None,
        "the snapshot holds it"
    );
    assert_eq!(
        docstore::changes_after_seq(&conn, "d", s1).unwrap(),
        Some(vec![])
    );

    let before = doc.get_heads();
    doc.put(ROOT, "x", 1).unwrap();
    doc.commit();
    let s2 = docstore::append(&conn, "d", &mut doc, &before, "D01")
        .unwrap()
        .unwrap();
    let after_s1 = docstore::changes_after_seq(&conn, "d", s1)
        .unwrap()
        .unwrap();
    assert_eq!(after_s1.len(), 1);
    // The chunk is exactly what a peer at s1 lacks: it brings a copy taken at s1 to the same heads.
    let mut at_s1 = AutoCommit::load(&doc.save_after(&[])).unwrap();
    at_s1 = at_s1.fork_at(&before).unwrap();
    at_s1.load_incremental(&after_s1[0]).unwrap();
    assert_eq!(at_s1.get_heads(), doc.get_heads());
    assert_eq!(
        docstore::changes_after_seq(&conn, "d", s2).unwrap(),
        Some(vec![])
    );
    assert_eq!(docstore::changes_after_seq(&conn, "nope", 0).unwrap(), None);

    // After compaction the chunks are gone: older cursors get None, newer ones still work.
    let mut last = s2;
    for i in 0..docstore::COMPACT_AFTER {
        let before = doc.get_heads();
        doc.put(ROOT, "x", i + 2).unwrap();
        doc.commit();
        last = docstore::append(&conn, "d", &mut doc, &before, "D01")
            .unwrap()
            .unwrap();
    }
    assert_eq!(docstore::changes_after_seq(&conn, "d", s2).unwrap(), None);
    assert_eq!(
        docstore::changes_after_seq(&conn, "d", last).unwrap(),
        Some(vec![])
    );
}
