//! The embedded SQLite backend: WAL, one writer thread that commits queued write sets
//! together (group commit: one fsync for many requests), and a small pool of readers.

mod messages;
mod outbox;
mod read;
mod report;
mod schema;
mod write;

use super::*;
use rusqlite::{Connection, OpenFlags};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// Most write sets committed in one transaction.
const MAX_BATCH: usize = 512;
/// Reader connections: enough for a short read on every async worker at once plus reads on
/// the blocking pool (reports, exports).
fn readers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (2 * cores).max(4)
}
/// Prepared statements each connection keeps (the writer's write set uses about 20).
const STATEMENT_CACHE: usize = 64;
/// WAL frames after which the writer copies the WAL back into the database file. SQLite's
/// automatic checkpoint uses the same 1,000 pages but runs inside the commit that crosses
/// it, so every request of that group waited for the copy and the database file's fsync;
/// the writer runs it after answering them instead. (On another thread the writer's appends
/// would keep the WAL from ever being fully copied, so it could never start over: it grew.)
const CHECKPOINT_FRAMES: i32 = 1000;

thread_local! {
    /// Frames in the WAL after the writer's last commit, as its WAL hook last saw them.
    static WAL_FRAMES: Cell<i32> = const { Cell::new(0) };
}

/// The writer's WAL hook (it replaces the automatic checkpoint): note the WAL's size.
fn note_wal_frames(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.with(|f| f.set(frames));
    Ok(())
}

type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A queued write: run on the writer's connection inside the group transaction, or (with
/// `None`) told that the transaction could not begin.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Finish) + Send>;

/// The SQLite store in a data folder (`<data>/baton.sqlite3`).
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: AtomicUsize,
    commits: super::CommitFeed,
}

pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    match e.sqlite_error_code() {
        Some(
            DiskFull | ReadOnly | CannotOpen | SystemIoFailure | DatabaseBusy | DatabaseLocked,
        ) => StoreError::Unavailable(e.to_string()),
        Some(ConstraintViolation) => StoreError::Conflict(e.to_string()),
        _ => StoreError::Database(e.to_string()),
    }
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags).map_err(db_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_error)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(db_error)?;
    // FULL: the WAL is synced at every commit, so an acknowledged write survives a crash
    // of the machine, not only of the process. Group commit pays for it.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(db_error)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl SqliteStore {
    /// Open (creating if needed) the store in `dir` and migrate it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create the data folder `{}`: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join("baton.sqlite3");
        let mut writer = connect(&path, OpenFlags::default())?;
        schema::migrate(&mut writer).map_err(StoreError::Database)?;
        let readers = (0..readers())
            .map(|_| {
                connect(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                )
                .map(Mutex::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        writer.wal_hook(Some(note_wal_frames));
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("baton-store-writer".into())
            .spawn(move || writer_loop(writer, rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(SqliteStore {
            jobs,
            readers: Arc::new(readers),
            next_reader: AtomicUsize::new(0),
            commits: super::CommitFeed::default(),
        })
    }

    /// Run `f` in the next group transaction; resolves once that transaction is durable.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => f(conn),
                None => Err(StoreError::Unavailable(
                    "the transaction could not begin".into(),
                )),
            };
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |commit| {
                let _ = tx.send(commit.and(result));
            });
            (ok, finish)
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    /// Run a short indexed read (a key, a conversation, its messages, a handoff) at once on
    /// the calling thread when a reader connection is free, else as [`SqliteStore::read`].
    /// On a small machine the hop to the blocking pool and back (two thread wake-ups) costs
    /// more than such a read; long reads (reports, scans) go through `read`.
    pub(crate) async fn read_short<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for j in 0..n {
            match self.readers[(start + j) % n].try_lock() {
                Ok(conn) => return f(&conn),
                Err(std::sync::TryLockError::WouldBlock) => continue,
                Err(std::sync::TryLockError::Poisoned(_)) => {
                    return Err(StoreError::Database(
                        "a reader connection was poisoned".into(),
                    ))
                }
            }
        }
        self.read(f).await
    }

    /// Run a read on one of the reader connections, off the async threads.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers[i]
                .lock()
                .map_err(|_| StoreError::Database("a reader connection was poisoned".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Database(format!("read task failed: {e}")))?
    }
}

/// Run a statement without parameters from the connection's statement cache (transaction
/// control runs several times per group commit; parsing it each time showed in profiles).
fn run_cached(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(db_error)
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut finishes = Vec::with_capacity(batch.len());
        let begun = run_cached(&conn, "BEGIN IMMEDIATE");
        if let Err(e) = begun {
            for job in batch {
                let (_, finish) = job(None);
                finish(Err(StoreError::Unavailable(e.to_string())));
            }
            continue;
        }
        for job in batch {
            // Each request in its own savepoint: one failing leaves the others intact.
            let _ = run_cached(&conn, "SAVEPOINT job");
            let (ok, finish) = job(Some(&conn));
            if !ok {
                let _ = run_cached(&conn, "ROLLBACK TO job");
            }
            let _ = run_cached(&conn, "RELEASE job");
            finishes.push(finish);
        }
        let committed = run_cached(&conn, "COMMIT");
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for finish in finishes {
            finish(match &committed {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Unavailable(e.to_string())),
            });
        }
        // After the answers (PASSIVE, as SQLite's own: it never waits for a reader).
        if WAL_FRAMES.with(|f| f.replace(0)) >= CHECKPOINT_FRAMES {
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL checkpoint failed; the next commit retries");
            }
        }
    }
}
