//! Point reads on the caller's own thread.
//!
//! A citizen's lookup reads one row by a unique key: a few microseconds of SQLite. Sending it to
//! a reader thread and waking the caller again costs several times that in thread switches, so
//! such reads run where they are asked, on a connection from a small pool. They never wait: the
//! connections give up at once when SQLite is busy (a WAL reader is only refused while the log is
//! being reset or recovered), and when every pooled connection is in use, the read goes to the
//! interactive reader pool like any other (`Store::read_point`).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

/// Read connections lent to callers for one short read each.
pub(crate) struct PointReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    open: AtomicUsize,
    most: usize,
}

impl PointReads {
    pub(crate) fn new(path: PathBuf, most: usize) -> PointReads {
        PointReads {
            path,
            idle: Mutex::new(Vec::new()),
            open: AtomicUsize::new(0),
            most,
        }
    }

    fn take(&self) -> Result<Option<Connection>, StoreError> {
        if let Some(c) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(Some(c));
        }
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.most {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return Ok(None);
        }
        let opened = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|c| {
            // Never wait on the caller's thread.
            c.busy_timeout(std::time::Duration::ZERO)?;
            c.set_prepared_statement_cache_capacity(crate::schema::STATEMENT_CACHE);
            c.pragma_update(None, "cache_size", -2048)?;
            Ok(c)
        });
        match opened {
            Ok(c) => Ok(Some(c)),
            Err(e) => {
                self.open.fetch_sub(1, Ordering::AcqRel);
                Err(e.into())
            }
        }
    }

    /// Runs `f` on a pooled connection; `None` when it should run on a reader thread instead
    /// (every pooled connection in use, or SQLite busy: waiting is for the reader threads).
    pub(crate) fn run<T>(&self, f: &impl Fn(&Connection) -> Result<T>) -> Option<Result<T>> {
        let conn = match self.take() {
            Ok(Some(c)) => c,
            Ok(None) => return None,
            Err(e) => return here_unless_busy(Err(e)),
        };
        // A panicking read (a bug) loses its connection, not the pool's count.
        let out = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&conn))) {
            Ok(out) => out,
            Err(panic) => {
                drop(conn);
                self.open.fetch_sub(1, Ordering::AcqRel);
                std::panic::resume_unwind(panic);
            }
        };
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        here_unless_busy(out)
    }
}

/// `None` (run it on a reader thread, which may wait) when SQLite said busy.
fn here_unless_busy<T>(out: Result<T>) -> Option<Result<T>> {
    match out {
        Err(StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            None
        }
        out => Some(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(dir: &tempfile::TempDir, most: usize) -> PointReads {
        let path = dir.path().join("p.sqlite");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(1);")
            .unwrap();
        PointReads::new(path, most)
    }

    fn count(c: &Connection) -> Result<i64> {
        Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?)
    }

    #[test]
    fn a_read_with_every_connection_lent_is_sent_elsewhere_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let p = pool(&dir, 1);
        let inner = p.run(&|_c: &Connection| Ok(p.run(&count).is_none()));
        assert!(matches!(inner, Some(Ok(true))));
        // The connection came back: the next read runs here.
        assert!(matches!(p.run(&count), Some(Ok(1))));
    }

    #[test]
    fn a_panicking_read_gives_its_place_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = pool(&dir, 1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            p.run(&|_c: &Connection| -> Result<()> { panic!("a bug") })
        }));
        assert!(r.is_err());
        assert!(matches!(p.run(&count), Some(Ok(1))));
    }

    #[test]
    fn a_locked_database_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let p = pool(&dir, 1);
        // A writer holding the database exclusively (in rollback-journal mode, as here, any
        // writer; in WAL mode, a reset or recovery of the log): the read gives up at once.
        let w = Connection::open(dir.path().join("p.sqlite")).unwrap();
        w.execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES(2);")
            .unwrap();
        let r = p.run(&count);
        assert!(r.is_none(), "{r:?}");
        w.execute_batch("COMMIT").unwrap();
        drop(w);
        assert!(matches!(p.run(&count), Some(Ok(2))));
    }
}
