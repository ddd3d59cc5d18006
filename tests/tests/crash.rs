//! A writer killed with SIGKILL in the middle of a stream of creates loses no acknowledged ticket and
//! leaves an intact database — over several kill rounds on the same file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn sigkill_during_creates_loses_no_acknowledged_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.sqlite");
    let mut acked = Vec::new();
    for round in 1..=5u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(&db)
            .arg(round.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start crash-writer");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Kill after a varying number of acknowledgements, while writes are in flight.
        let kill_after = 150 + round as usize * 37;
        for _ in 0..kill_after {
            let line = lines.next().expect("child still writing").unwrap();
            acked.push(line);
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Lines printed before the kill but not yet read are acknowledged too.
        for line in lines {
            acked.push(line.unwrap());
        }

        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        drop(conn);
        let store = replica_store::Store::open(&db, "HUB", [99; 16]).unwrap();
        for number in &acked {
            let t = store.ticket(number.clone()).await.unwrap();
            assert!(
                t.is_some(),
                "round {round}: acknowledged ticket {number} lost"
            );
        }
    }
    let mut unique = acked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        acked.len(),
        "a ticket number was issued twice"
    );
}
