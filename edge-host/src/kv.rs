//! The key-value storage behind every key-value interface: one SQLite file, laid out
//! like Spin's own default store so the data file looks the same under either runtime.
//!
//! * Table `spin_key_value(store TEXT, key TEXT, value BLOB, PRIMARY KEY(store, key))`;
//!   a store label is just the `store` column, so any label works (Spin restricts labels
//!   through its manifest; edge-host has no manifest and allows all of them).
//! * `journal_mode=WAL` and `synchronous=FULL`: a write the guest saw succeed is on disk
//!   and survives the process being killed right after.
//! * The file belongs to this process while it runs ([`VFS`]): locks and the WAL index
//!   live in memory, and another program opens the file only once edge-host has stopped.
//! * Two connections: every write on one, in group commits ([`crate::kv_writer`]): a
//!   write that finds the store idle commits at once on its own thread; the writes that
//!   arrive while a flush runs share the next transaction and its one fsync, committed
//!   by the writer thread; each is answered once it is durable. Compare-and-swap and
//!   increment read and write inside that transaction, so they are atomic across
//!   concurrent requests and against any other writer of the file. A read runs on the
//!   write connection when no commit holds it (its page cache survives its own
//!   commits), else on the other one (behind a mutex; WAL lets it read the last commit
//!   while a write is under way).
//! * Counters (`increment`) are stored as 8-byte little-endian `i64`, as Spin does.

use crate::kv_writer::{Done, Mark, Write, Writer};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// File name of the SQLite database inside the data directory (the name Spin uses).
pub const DB_FILE_NAME: &str = "sqlite_key_value.db";

/// How many keys one `list-keys` page returns.
pub const KEY_PAGE_SIZE: usize = 1000;

/// A failure of the key-value storage.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// `increment` found a value that is not an 8-byte little-endian integer.
    #[error("the value of key {0:?} is not a 64-bit counter")]
    NotACounter(String),
    /// `increment` would overflow an `i64`.
    #[error("incrementing key {0:?} overflows a 64-bit counter")]
    Overflow(String),
    /// The blocking worker running the operation failed.
    #[error("key-value worker failed: {0}")]
    Worker(String),
    /// Another process holds the database file (one data directory serves one
    /// edge-host at a time).
    #[error(
        "the file is in use by another process (another edge-host on the same \
         --data-dir?); one data directory serves one edge-host at a time"
    )]
    InUse,
}

impl KvError {
    /// Whether this is a fault of the storage itself (worth logging), rather than of
    /// the request (a value that is no counter, an overflow).
    pub fn is_storage_fault(&self) -> bool {
        matches!(self, Self::Sqlite(_) | Self::Worker(_) | Self::InUse)
    }
}

/// What a compare-and-swap did.
#[derive(Debug, PartialEq, Eq)]
pub enum CasOutcome {
    /// The stored value still was the expected one and has been replaced.
    Swapped,
    /// Someone changed the value first; nothing was written. Holds the value now stored.
    Conflict {
        /// The value stored at the time of the failed swap (`None`: absent).
        current: Option<Vec<u8>>,
    },
}

/// The table (shared with the benchmark's state writer, which includes the same file).
pub(crate) const SCHEMA: &str = include_str!("schema.sql");

/// The SQLite key-value store shared by all requests.
pub struct KvStore {
    conn: Mutex<Connection>,
    writer: Writer,
    #[cfg(test)]
    _dir: Option<crate::test_util::TempDir>,
}

impl KvStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        let writer = connect(path)?;
        writer.execute_batch(SCHEMA)?;
        preallocate_wal(&writer, path)?;
        Ok(Self {
            conn: Mutex::new(connect(path)?),
            writer: Writer::start(writer),
            #[cfg(test)]
            _dir: None,
        })
    }

    /// Opens a fresh database in a temporary directory, removed on drop (for tests).
    #[cfg(test)]
    pub fn open_in_memory() -> Result<Self, KvError> {
        let dir = crate::test_util::TempDir::new("kv");
        let mut kv = Self::open(&dir.path().join(DB_FILE_NAME))?;
        kv._dir = Some(dir);
        Ok(kv)
    }

    #[cfg(test)]
    fn write(&self, write: Write) -> Result<Done, KvError> {
        self.writer.write(write)
    }

    /// Commits `write` (at once on this thread when no commit is under way, for one
    /// flush; else in the next group); completes once it is durable. The component's
    /// key-value calls use this; the typed, blocking writes above are for tests.
    ///
    /// Also answers the mark of a write committed at once, alone
    /// ([`Writer::submit`]): while [`KvStore::unchanged_since`] holds for it, what the
    /// write stored is what is stored.
    pub fn submit(
        &self,
        write: Write,
    ) -> (
        Option<Mark>,
        impl Future<Output = Result<Done, KvError>> + use<>,
    ) {
        self.writer.submit(write)
    }

    /// Write transactions committed since the store was opened (each one flush).
    pub fn commits(&self) -> u64 {
        self.writer.commits()
    }

    /// Writes since the store was opened.
    pub fn writes(&self) -> u64 {
        self.writer.writes()
    }

    /// A mark to take just before a read ([`KvStore::unchanged_since`]); `None` while a
    /// commit is under way.
    pub fn mark(&self) -> Option<Mark> {
        self.writer.mark()
    }

    /// Whether edge-host has committed no write since `mark` was taken, so that what a
    /// read made after taking it found is still what is stored — unless another process
    /// writes the same file meanwhile, which edge-host's own reads cannot tell either
    /// until their next transaction.
    pub fn unchanged_since(&self, mark: Mark) -> bool {
        self.writer.unchanged_since(mark)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (an open
        // transaction is rolled back when dropped), so a poisoned lock is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` on the write connection when it is idle, else on the read one.
    fn read<R>(&self, read: impl Fn(&Connection) -> rusqlite::Result<R>) -> Result<R, KvError> {
        match self.writer.read_if_idle(&read) {
            Some(result) => Ok(result?),
            None => Ok(read(&self.conn())?),
        }
    }

    /// The value of `key` in `store`, if any.
    pub fn get(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.read(|conn| read_value(conn, store, key))
    }

    /// Sets `key` in `store` to `value`.
    #[cfg(test)]
    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write(Write::Set(store.into(), key.into(), value.to_vec()))
            .map(|_| ())
    }

    /// Removes `key` from `store` (no error when absent).
    #[cfg(test)]
    pub fn delete(&self, store: &str, key: &str) -> Result<(), KvError> {
        self.write(Write::Delete(store.into(), key.into()))
            .map(|_| ())
    }

    /// Whether `key` exists in `store`.
    pub fn exists(&self, store: &str, key: &str) -> Result<bool, KvError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .exists(params![store, key])
        })
    }

    /// All keys of `store`, sorted (the tests' view of a store).
    #[cfg(test)]
    pub fn keys(&self, store: &str) -> Result<Vec<String>, KvError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?;
        let keys = stmt
            .query_map(params![store], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(keys)
    }

    /// One page of at most `limit` keys of `store` that sort after `after`, and the
    /// cursor for the next page (`None` when this is the last one).
    pub fn keys_page(
        &self,
        store: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>), KvError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT key FROM spin_key_value WHERE store = ?1 AND (?2 IS NULL OR key > ?2)
             ORDER BY key LIMIT ?3",
        )?;
        // Ask for one more than a page to know whether another page follows.
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut keys: Vec<String> = stmt
            .query_map(params![store, after, fetch], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let cursor = if keys.len() > limit {
            keys.truncate(limit);
            keys.last().cloned()
        } else {
            None
        };
        Ok((keys, cursor))
    }

    /// Every `(key, value)` of `store`, sorted by key.
    #[cfg(test)]
    pub fn entries(&self, store: &str) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT key, value FROM spin_key_value WHERE store = ?1 ORDER BY key",
        )?;
        let entries = stmt
            .query_map(params![store], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    /// The values of several keys, in the order asked.
    pub fn get_many(&self, store: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.read(|conn| {
            keys.iter()
                .map(|key| read_value(conn, store, key))
                .collect()
        })
    }

    /// Sets several keys in one transaction.
    #[cfg(test)]
    pub fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        self.write(Write::SetMany(store.into(), entries.to_vec()))
            .map(|_| ())
    }

    /// Removes several keys in one transaction.
    #[cfg(test)]
    pub fn delete_many(&self, store: &str, keys: &[String]) -> Result<(), KvError> {
        self.write(Write::DeleteMany(store.into(), keys.to_vec()))
            .map(|_| ())
    }

    /// Writes `new` at `key` only if the stored value still equals `expected` (`None`:
    /// the key must be absent). Compare and write happen in one transaction.
    #[cfg(test)]
    pub fn compare_and_swap(
        &self,
        store: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<CasOutcome, KvError> {
        match self.write(Write::CompareAndSwap {
            store: store.into(),
            key: key.into(),
            expected: expected.map(<[u8]>::to_vec),
            new: new.to_vec(),
        })? {
            Done::Swap(outcome) => Ok(outcome),
            other => Err(KvError::Worker(format!("a swap answered {other:?}"))),
        }
    }

    /// Adds `delta` to the counter at `key` (absent counts as 0) and returns the result.
    #[cfg(test)]
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        match self.write(Write::Increment(store.into(), key.into(), delta))? {
            Done::Counter(next) => Ok(next),
            other => Err(KvError::Worker(format!("an increment answered {other:?}"))),
        }
    }

    /// Closes the database once the queued writes are done, checkpointing the
    /// write-ahead log into the main file.
    pub fn close(self) -> Result<(), KvError> {
        let reader = self
            .conn
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        reader.close().map_err(|(_, e)| KvError::Sqlite(e))?;
        match self.writer.stop() {
            Some(writer) => writer.close().map_err(|(_, e)| KvError::Sqlite(e)),
            None => Err(KvError::Worker("the key-value writer panicked".into())),
        }
    }
}

/// Gives the write-ahead log its working size on disk at once, as zeros after what it
/// holds: a commit then overwrites blocks the file already has instead of growing it,
/// and the flush of an overwrite waits for the data alone — a commit that grows the log
/// also waits for the file's new size and blocks to be written (on this machine's ext4,
/// 240 µs against 160 µs per commit). The working size is what the log reaches before
/// SQLite's automatic checkpoint starts it over (`wal_autocheckpoint` frames, plus a
/// tenth); SQLite ignores what follows its last valid frame (frames carry the log's
/// salt and a running checksum), as it does after every restart of the log. Done
/// holding the write lock, so no other writer appends meanwhile.
fn preallocate_wal(conn: &Connection, path: &Path) -> Result<(), KvError> {
    let pragma = |name: &str| -> Result<u64, KvError> {
        let value: i64 = conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    let (page, frames) = (pragma("page_size")?, pragma("wal_autocheckpoint")?);
    const WAL_HEADER: u64 = 32;
    const FRAME_HEADER: u64 = 24;
    let size = WAL_HEADER + (frames + frames / 10) * (FRAME_HEADER + page);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let grown = grow_with_zeros(Path::new(&wal), size);
    conn.execute_batch("COMMIT")?;
    grown.map_err(|e| KvError::Worker(format!("preallocating the write-ahead log: {e}")))
}

/// Extends the file at `path` (created if absent) to `size` bytes of zeros, written and
/// flushed; a longer file is left alone.
fn grow_with_zeros(path: &Path, size: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let zeros = [0u8; 64 << 10];
    let mut at = file.metadata()?.len();
    while at < size {
        let n = usize::try_from(size - at).map_or(zeros.len(), |left| left.min(zeros.len()));
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    file.sync_all()
}

/// SQLite's VFS for the file: `unix-excl` holds one exclusive lock on the database for
/// the whole process, so edge-host's own connections arbitrate their locks in memory
/// and keep the WAL index in memory rather than in a `-shm` file: no `fcntl` lock calls
/// on every transaction (eighteen per OTP step with the default `unix` VFS). Another
/// process cannot open the file while edge-host runs (see [`KvError::InUse`]).
pub const VFS: &str = "unix-excl";

/// A connection to the file at `path` ([`VFS`]): WAL, `synchronous=FULL`, a 5 s busy
/// timeout.
fn connect(path: &Path) -> Result<Connection, KvError> {
    let conn = Connection::open_with_flags_and_vfs(path, OpenFlags::default(), VFS)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get::<_, String>(0));
    match mode {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            return Err(KvError::InUse);
        }
        other => drop(other?),
    }
    conn.execute_batch("PRAGMA synchronous=FULL;")?;
    Ok(conn)
}

pub(crate) fn read_value(
    conn: &Connection,
    store: &str,
    key: &str,
) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
        .query_row(params![store, key], |row| row.get(0))
        .optional()
}

pub(crate) fn write_value(
    conn: &Connection,
    store: &str,
    key: &str,
    value: &[u8],
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![store, key, value])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TempDir;
    use std::sync::Arc;

    #[test]
    fn set_get_delete_exists_and_stores_are_separate() {
        let kv = KvStore::open_in_memory().unwrap();
        assert_eq!(kv.get("default", "a").unwrap(), None);
        kv.set("default", "a", b"1").unwrap();
        kv.set("other", "a", b"2").unwrap();
        assert_eq!(kv.get("default", "a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(kv.get("other", "a").unwrap(), Some(b"2".to_vec()));
        assert!(kv.exists("default", "a").unwrap());
        kv.set("default", "a", b"").unwrap();
        assert_eq!(kv.get("default", "a").unwrap(), Some(Vec::new()));
        kv.delete("default", "a").unwrap();
        kv.delete("default", "a").unwrap();
        assert!(!kv.exists("default", "a").unwrap());
        assert!(kv.exists("other", "a").unwrap());
    }

    #[test]
    fn a_mark_holds_until_the_next_commit() {
        let kv = KvStore::open_in_memory().unwrap();
        let mark = kv.mark().expect("no commit under way");
        assert!(kv.unchanged_since(mark));
        assert_eq!(kv.get("s", "k").unwrap(), None);
        assert!(kv.unchanged_since(mark), "a read moves nothing");
        kv.set("s", "k", b"v").unwrap();
        assert!(!kv.unchanged_since(mark));
        let after = kv.mark().expect("the commit has ended");
        // A swap that finds another value writes nothing, but it ran a transaction.
        let outcome = kv.compare_and_swap("s", "k", Some(b"x"), b"y").unwrap();
        assert!(matches!(outcome, CasOutcome::Conflict { .. }));
        assert!(!kv.unchanged_since(after));
    }

    #[test]
    fn keys_and_pages() {
        let kv = KvStore::open_in_memory().unwrap();
        for key in ["c", "a", "b", "d", "e"] {
            kv.set("s", key, key.as_bytes()).unwrap();
        }
        kv.set("t", "z", b"z").unwrap();
        assert_eq!(kv.keys("s").unwrap(), ["a", "b", "c", "d", "e"]);
        let (page, cursor) = kv.keys_page("s", None, 2).unwrap();
        assert_eq!(
            (page, cursor.as_deref()),
            (vec!["a".to_owned(), "b".into()], Some("b"))
        );
        let (page, cursor) = kv.keys_page("s", Some("b"), 2).unwrap();
        assert_eq!(
            (page, cursor.as_deref()),
            (vec!["c".to_owned(), "d".into()], Some("d"))
        );
        let (page, cursor) = kv.keys_page("s", Some("d"), 2).unwrap();
        assert_eq!((page, cursor), (vec!["e".to_owned()], None));
        let (page, cursor) = kv.keys_page("s", None, 5).unwrap();
        assert_eq!((page.len(), cursor), (5, None));
        assert_eq!(kv.entries("t").unwrap(), [("z".to_owned(), b"z".to_vec())]);
    }

    #[test]
    fn batch_operations() {
        let kv = KvStore::open_in_memory().unwrap();
        kv.set_many(
            "s",
            &[("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())],
        )
        .unwrap();
        let got = kv
            .get_many("s", &["b".into(), "x".into(), "a".into()])
            .unwrap();
        assert_eq!(got, [Some(b"2".to_vec()), None, Some(b"1".to_vec())]);
        kv.delete_many("s", &["a".into(), "x".into()]).unwrap();
        assert_eq!(kv.keys("s").unwrap(), ["b"]);
    }

    #[test]
    fn compare_and_swap_semantics() {
        let kv = KvStore::open_in_memory().unwrap();
        // Absent counts as a value: expecting absence succeeds once.
        assert_eq!(
            kv.compare_and_swap("s", "k", None, b"1").unwrap(),
            CasOutcome::Swapped
        );
        assert_eq!(
            kv.compare_and_swap("s", "k", None, b"x").unwrap(),
            CasOutcome::Conflict {
                current: Some(b"1".to_vec())
            }
        );
        assert_eq!(
            kv.compare_and_swap("s", "k", Some(b"0"), b"x").unwrap(),
            CasOutcome::Conflict {
                current: Some(b"1".to_vec())
            }
        );
        assert_eq!(
            kv.compare_and_swap("s", "k", Some(b"1"), b"2").unwrap(),
            CasOutcome::Swapped
        );
        assert_eq!(kv.get("s", "k").unwrap(), Some(b"2".to_vec()));
        kv.delete("s", "k").unwrap();
        assert_eq!(
            kv.compare_and_swap("s", "k", Some(b"2"), b"3").unwrap(),
            CasOutcome::Conflict { current: None }
        );
        assert_eq!(kv.get("s", "k").unwrap(), None);
    }

    /// Many threads each add 1 to a counter through read + compare-and-swap retries:
    /// no update may be lost, and every failed swap must have seen a newer value.
    #[test]
    fn compare_and_swap_is_atomic_under_threads() {
        let dir = TempDir::new("cas");
        let kv = Arc::new(KvStore::open(&dir.path().join(DB_FILE_NAME)).unwrap());
        let threads = 8;
        let per_thread = 50;
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let kv = Arc::clone(&kv);
                std::thread::spawn(move || {
                    let mut conflicts = 0;
                    for _ in 0..per_thread {
                        let mut seen = kv.get("s", "n").unwrap();
                        loop {
                            let n: u64 = seen
                                .as_deref()
                                .map(|v| std::str::from_utf8(v).unwrap().parse().unwrap())
                                .unwrap_or(0);
                            let next = (n + 1).to_string();
                            match kv
                                .compare_and_swap("s", "n", seen.as_deref(), next.as_bytes())
                                .unwrap()
                            {
                                CasOutcome::Swapped => break,
                                CasOutcome::Conflict { current } => {
                                    assert_ne!(current, seen);
                                    conflicts += 1;
                                    seen = current;
                                }
                            }
                        }
                    }
                    conflicts
                })
            })
            .collect();
        let _conflicts: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        let total = kv.get("s", "n").unwrap().unwrap();
        assert_eq!(
            std::str::from_utf8(&total).unwrap(),
            (threads * per_thread).to_string()
        );
    }

    #[test]
    fn increment_is_atomic_and_spin_compatible() {
        let kv = Arc::new(KvStore::open_in_memory().unwrap());
        assert_eq!(kv.increment("s", "c", 5).unwrap(), 5);
        assert_eq!(kv.get("s", "c").unwrap(), Some(5i64.to_le_bytes().to_vec()));
        assert_eq!(kv.increment("s", "c", -7).unwrap(), -2);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let kv = Arc::clone(&kv);
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        kv.increment("s", "c", 1).unwrap();
                    }
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(kv.increment("s", "c", 0).unwrap(), 398);
        kv.set("s", "text", b"abc").unwrap();
        assert!(matches!(
            kv.increment("s", "text", 1),
            Err(KvError::NotACounter(_))
        ));
        kv.set("s", "max", &i64::MAX.to_le_bytes()).unwrap();
        assert!(matches!(
            kv.increment("s", "max", 1),
            Err(KvError::Overflow(_))
        ));
        assert_eq!(
            kv.get("s", "max").unwrap(),
            Some(i64::MAX.to_le_bytes().to_vec())
        );
        // The refused write's transaction is over: the next one begins and commits.
        kv.set("s", "after", b"1").unwrap();
        assert_eq!(kv.get("s", "after").unwrap(), Some(b"1".to_vec()));
    }

    #[test]
    fn committed_writes_survive_reopen_and_file_uses_wal() {
        let dir = TempDir::new("reopen");
        let path = dir.path().join(DB_FILE_NAME);
        let kv = KvStore::open(&path).unwrap();
        kv.set("default", "k", b"v").unwrap();
        let mode: String = kv
            .conn()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = kv
            .conn()
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        // Simulate a crash: no orderly close, the connection is leaked.
        std::mem::forget(kv);
        let again = KvStore::open(&path).unwrap();
        assert_eq!(again.get("default", "k").unwrap(), Some(b"v".to_vec()));
        again.close().unwrap();
    }

    #[test]
    fn the_log_is_preallocated_and_commits_over_its_zeros_survive_a_crash() {
        let dir = TempDir::new("prealloc");
        let path = dir.path().join(DB_FILE_NAME);
        let wal = dir.path().join(format!("{DB_FILE_NAME}-wal"));
        let kv = KvStore::open(&path).unwrap();
        // 1000 frames (the default checkpoint) and a tenth, of 4 KiB pages.
        let working = 32 + 1100 * (24 + 4096);
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), working);
        // Enough commits for the log to be checkpointed and started over (the first
        // of them written over the zeros), then a crash: no orderly close.
        for i in 0..1500 {
            kv.set("default", &format!("k{i}"), &[i as u8; 600])
                .unwrap();
        }
        std::mem::forget(kv);
        // Another SQLite connection, not this module, finds every committed write.
        let plain = Connection::open(&path).unwrap();
        let count: i64 = plain
            .query_row("SELECT COUNT(*) FROM spin_key_value", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1500);
        drop(plain);
        let again = KvStore::open(&path).unwrap();
        assert_eq!(
            again.get("default", "k1499").unwrap(),
            Some(vec![1499u16 as u8; 600])
        );
        assert!(std::fs::metadata(&wal).unwrap().len() >= working);
        again.close().unwrap();
    }

    /// The store as otp-core's port, for its conformance suite.
    struct Port(KvStore);

    fn port_error(e: KvError) -> otp_core::ports::StoreError {
        otp_core::ports::StoreError::Unavailable(e.to_string())
    }

    impl otp_core::ports::Store for Port {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, otp_core::ports::StoreError> {
            self.0.get("default", key).map_err(port_error)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), otp_core::ports::StoreError> {
            self.0.set("default", key, value).map_err(port_error)
        }
        fn delete(&self, key: &str) -> Result<(), otp_core::ports::StoreError> {
            self.0.delete("default", key).map_err(port_error)
        }
        fn compare_and_swap(
            &self,
            key: &str,
            expected: Option<&[u8]>,
            new: &[u8],
        ) -> Result<bool, otp_core::ports::StoreError> {
            self.0
                .compare_and_swap("default", key, expected, new)
                .map(|outcome| outcome == CasOutcome::Swapped)
                .map_err(port_error)
        }
        fn keys_after(
            &self,
            prefix: &str,
            after: Option<&str>,
            limit: usize,
        ) -> Result<Vec<String>, otp_core::ports::StoreError> {
            let keys = self.0.keys("default").map_err(port_error)?;
            Ok(otp_core::ports::page_of_keys(keys, prefix, after, limit))
        }
        fn increment(&self, key: &str, delta: i64) -> Result<i64, otp_core::ports::StoreError> {
            self.0.increment("default", key, delta).map_err(port_error)
        }
    }

    /// Guarantees G1–G3 and the read-back protocol (`otp_core::contract`) on the
    /// database file as edge-host keeps it (WAL, `synchronous=FULL`).
    #[test]
    fn keeps_the_key_value_contract_of_otp_core() {
        let dir = TempDir::new("kv-contract");
        let kv = KvStore::open(&dir.path().join("kv.db")).unwrap();
        otp_core::contract::check(&Port(kv), "contract").unwrap();
    }
}
