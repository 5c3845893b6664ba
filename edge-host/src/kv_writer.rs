//! Group commit: every write to the key-value file is applied on one write connection,
//! in groups — all the writes that arrived while the last flush ran, applied in order
//! inside one SQLite transaction, each under its own savepoint (a lone write needs
//! none), so one that fails (a value that is no counter) changes nothing and the others
//! stand — committed once (one WAL append and one fsync, `synchronous=FULL`) and only
//! then answered. A write is therefore answered only once it is durable, and the result
//! of every write is what it would have been had the writes run one after another in
//! that order (compare-and-swap and increment read the value inside the same
//! transaction).
//!
//! Who commits: a write that finds no commit under way commits itself, at once, on the
//! caller's thread — no hand-off to another thread and back, which on an idle server
//! costs more than the flush. Writes that arrive while a commit runs are queued; when
//! that commit ends and some are waiting, the writer thread takes over and commits them
//! in groups until the queue is empty, so under concurrency a request's thread never
//! waits for more than its own one flush.

use crate::kv::{CasOutcome, KvError, read_value, write_value};
use rusqlite::{Connection, params};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Writes committed together at most (more wait for the next flush).
pub const MAX_GROUP: usize = 512;

/// One write.
#[derive(Debug)]
pub enum Write {
    /// Set a key.
    Set(String, String, Vec<u8>),
    /// Remove a key.
    Delete(String, String),
    /// Set several keys.
    SetMany(String, Vec<(String, Vec<u8>)>),
    /// Remove several keys.
    DeleteMany(String, Vec<String>),
    /// Write only while the stored value equals the expected one (`None`: absent).
    CompareAndSwap {
        /// Store label.
        store: String,
        /// Key.
        key: String,
        /// The value that must be stored.
        expected: Option<Vec<u8>>,
        /// The value to write.
        new: Vec<u8>,
    },
    /// Add to a counter (8-byte little-endian `i64`, absent is 0).
    Increment(String, String, i64),
}

/// What a write did.
#[derive(Debug, PartialEq, Eq)]
pub enum Done {
    /// Written (set, delete and batch writes).
    Written,
    /// A compare-and-swap's outcome.
    Swap(CasOutcome),
    /// The counter's new value.
    Counter(i64),
}

type Reply = oneshot::Sender<Result<Done, KvError>>;

/// A point between two commits of this writer ([`Writer::mark`]). Only this writer's
/// commits move it: another process writing the same file does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(u64);

/// The write connection, the queue and the writer thread.
pub struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What the callers and the writer thread share.
struct Shared {
    /// The write connection (locked by whoever commits).
    conn: Mutex<Option<Connection>>,
    queue: Mutex<Queue>,
    /// Signalled when the writer thread has work (or should stop).
    work: Condvar,
    writes: AtomicU64,
    commits: AtomicU64,
    /// Odd while a commit is under way, bumped before and after each ([`Mark`]).
    generation: AtomicU64,
}

/// Writes waiting, and who commits now.
#[derive(Default)]
struct Queue {
    waiting: Vec<(Write, Reply)>,
    committer: Committer,
    stopping: bool,
}

/// Who is committing.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Committer {
    /// Nobody: the next write commits itself.
    #[default]
    Idle,
    /// A caller, for its own write; writes arriving now wait.
    Caller,
    /// The writer thread, until the queue is empty.
    Thread,
}

impl Writer {
    /// Starts the writer thread for `conn` (the write connection).
    pub fn start(conn: Connection) -> Writer {
        let shared = Arc::new(Shared {
            conn: Mutex::new(Some(conn)),
            queue: Mutex::default(),
            work: Condvar::new(),
            writes: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("kv-writer".into())
            .spawn(move || run(&for_thread))
            .expect("the writer thread starts");
        Writer {
            shared,
            thread: Some(thread),
        }
    }

    /// Writes applied so far (answered or about to be).
    pub fn writes(&self) -> u64 {
        self.shared.writes.load(Ordering::Relaxed)
    }

    /// Transactions committed so far (each one flush of the log).
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    /// A mark to take just before a read, or `None` while a commit is under way.
    pub fn mark(&self) -> Option<Mark> {
        let generation = self.shared.generation.load(Ordering::SeqCst);
        generation.is_multiple_of(2).then_some(Mark(generation))
    }

    /// Whether no commit has begun since `mark` was taken: then a read made after
    /// taking it still finds what is stored.
    pub fn unchanged_since(&self, mark: Mark) -> bool {
        self.shared.generation.load(Ordering::SeqCst) == mark.0
    }

    /// Runs `read` on the write connection if no commit holds it, else answers `None`.
    /// Its page cache is always current — its own commits never invalidate it — where
    /// the read connection's is dropped after every commit and read again from disk.
    pub fn read_if_idle<R>(&self, read: impl FnOnce(&Connection) -> R) -> Option<R> {
        let conn = match self.shared.conn.try_lock() {
            Ok(conn) => conn,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        conn.as_ref().map(read)
    }

    /// Applies `write` now when no commit is under way (blocking this thread for its
    /// one flush), else queues it for the next group; the future completes once it is
    /// durable (or failed), without a thread of its own.
    ///
    /// Also answers, for a write committed at once, the mark of the moment its commit
    /// ended — it was the commit's only write — so while [`Writer::unchanged_since`]
    /// holds for that mark, what the write stored is what is stored.
    pub fn submit(
        &self,
        write: Write,
    ) -> (
        Option<Mark>,
        impl Future<Output = Result<Done, KvError>> + use<>,
    ) {
        let (reply, answer) = oneshot::channel();
        let queued = self.enqueue_or_commit(write, reply);
        let alone = queued.as_ref().ok().copied().flatten();
        (alone, async move {
            queued?;
            answer.await.map_err(|_| stopped())?
        })
    }

    /// Commits `write` at once, alone, when no commit is under way, and answers the
    /// mark of the moment that commit ended; else queues it (`None`).
    fn enqueue_or_commit(&self, write: Write, reply: Reply) -> Result<Option<Mark>, KvError> {
        let shared = &*self.shared;
        let mut queue = shared.lock_queue();
        if queue.stopping {
            return Err(stopped());
        }
        if queue.committer != Committer::Idle {
            queue.waiting.push((write, reply));
            return Ok(None);
        }
        queue.committer = Committer::Caller;
        drop(queue);
        let _end = CallerCommit(shared);
        shared.commit(vec![(write, reply)]);
        // No other commit can have begun: writes arriving meanwhile wait until `_end`.
        Ok(self.mark())
    }

    /// Queues `write` and waits until it is durable (or failed). Blocking: not for an
    /// async context (tests).
    #[cfg(test)]
    pub fn write(&self, write: Write) -> Result<Done, KvError> {
        let (reply, answer) = oneshot::channel();
        self.enqueue_or_commit(write, reply)?;
        answer.blocking_recv().map_err(|_| stopped())?
    }

    /// Stops the thread once the queued writes are done; returns the write connection.
    pub fn stop(mut self) -> Option<Connection> {
        self.halt();
        self.shared.lock_conn().take()
    }

    fn halt(&mut self) {
        self.shared.lock_queue().stopping = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A caller's commit under way; ending it (also by unwinding, should the commit panic)
/// hands the queued writes to the writer thread, or leaves the store idle.
struct CallerCommit<'a>(&'a Shared);

impl Drop for CallerCommit<'_> {
    fn drop(&mut self) {
        let shared = self.0;
        let mut queue = shared.lock_queue();
        queue.committer = if queue.waiting.is_empty() {
            Committer::Idle
        } else {
            Committer::Thread
        };
        // The thread waits for either: work, or (stopping) the last commit to end.
        if queue.committer == Committer::Thread || queue.stopping {
            shared.work.notify_one();
        }
    }
}

impl Shared {
    // A panic while holding a lock cannot leave the queue or SQLite inconsistent (an
    // open transaction is rolled back when dropped), so a poisoned lock is still usable.
    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_conn(&self) -> MutexGuard<'_, Option<Connection>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits `group` as one transaction and answers it.
    fn commit(&self, group: Vec<(Write, Reply)>) {
        self.writes.fetch_add(group.len() as u64, Ordering::Relaxed);
        self.commits.fetch_add(1, Ordering::Relaxed);
        let conn = self.lock_conn();
        // Odd from before the transaction begins until it has ended and been answered.
        self.generation.fetch_add(1, Ordering::SeqCst);
        match conn.as_ref() {
            Some(conn) => commit_group(conn, group),
            None => {
                for (_, reply) in group {
                    let _ = reply.send(Err(stopped()));
                }
            }
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

fn stopped() -> KvError {
    KvError::Worker("the key-value writer has stopped".into())
}

/// The writer thread: while it is the committer, one group per iteration until the
/// queue is empty; ends once stopping with nothing left to commit.
fn run(shared: &Shared) {
    let mut queue = shared.lock_queue();
    loop {
        if queue.committer == Committer::Thread {
            let take = queue.waiting.len().min(MAX_GROUP);
            let group: Vec<_> = queue.waiting.drain(..take).collect();
            drop(queue);
            shared.commit(group);
            queue = shared.lock_queue();
            if queue.waiting.is_empty() {
                queue.committer = Committer::Idle;
            }
        } else if queue.stopping && queue.committer == Committer::Idle {
            return;
        } else {
            queue = shared.work.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Applies `group` in one transaction and answers every write after the commit. A
/// lone write needs no savepoint: when it fails, the whole transaction is rolled back.
/// The transaction statements are prepared once per connection, like every other.
fn commit_group(conn: &Connection, group: Vec<(Write, Reply)>) {
    let run = |sql: &str| conn.prepare_cached(sql)?.execute([]).map(drop);
    let outcome = (|| -> rusqlite::Result<Vec<Result<Done, KvError>>> {
        run("BEGIN IMMEDIATE")?;
        let results = if let [(write, _)] = group.as_slice() {
            vec![apply(conn, write)]
        } else {
            let mut results = Vec::with_capacity(group.len());
            for (write, _) in &group {
                run("SAVEPOINT one_write")?;
                let result = apply(conn, write);
                if result.is_err() {
                    run("ROLLBACK TO one_write")?;
                }
                run("RELEASE one_write")?;
                results.push(result);
            }
            results
        };
        if results.iter().all(Result::is_err) {
            run("ROLLBACK")?;
        } else {
            run("COMMIT")?;
        }
        Ok(results)
    })();
    match outcome {
        Ok(results) => {
            for ((_, reply), result) in group.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            // Nothing of the group was committed.
            let _ = conn.execute_batch("ROLLBACK");
            let text = error.to_string();
            for (_, reply) in group {
                let _ = reply.send(Err(KvError::Worker(format!("commit failed: {text}"))));
            }
        }
    }
}

/// One write inside the open transaction.
fn apply(conn: &Connection, write: &Write) -> Result<Done, KvError> {
    match write {
        Write::Set(store, key, value) => write_value(conn, store, key, value)?,
        Write::Delete(store, key) => delete(conn, store, key)?,
        Write::SetMany(store, entries) => {
            for (key, value) in entries {
                write_value(conn, store, key, value)?;
            }
        }
        Write::DeleteMany(store, keys) => {
            for key in keys {
                delete(conn, store, key)?;
            }
        }
        Write::CompareAndSwap {
            store,
            key,
            expected,
            new,
        } => {
            let current = read_value(conn, store, key)?;
            if current != *expected {
                return Ok(Done::Swap(CasOutcome::Conflict { current }));
            }
            write_value(conn, store, key, new)?;
            return Ok(Done::Swap(CasOutcome::Swapped));
        }
        Write::Increment(store, key, delta) => {
            let current = match read_value(conn, store, key)? {
                None => 0,
                Some(bytes) => i64::from_le_bytes(
                    bytes
                        .try_into()
                        .map_err(|_| KvError::NotACounter(key.clone()))?,
                ),
            };
            let next = current
                .checked_add(*delta)
                .ok_or_else(|| KvError::Overflow(key.clone()))?;
            write_value(conn, store, key, &next.to_le_bytes())?;
            return Ok(Done::Counter(next));
        }
    }
    Ok(Done::Written)
}

fn delete(conn: &Connection, store: &str, key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
        .execute(params![store, key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{DB_FILE_NAME, KvStore};
    use crate::test_util::TempDir;

    fn job(write: Write) -> ((Write, Reply), oneshot::Receiver<Result<Done, KvError>>) {
        let (reply, answer) = oneshot::channel();
        ((write, reply), answer)
    }

    #[test]
    fn a_group_is_one_transaction_and_a_failing_write_changes_only_itself() {
        let dir = TempDir::new("group");
        let path = dir.path().join(DB_FILE_NAME);
        KvStore::open(&path).unwrap().close().unwrap();
        let conn = Connection::open(&path).unwrap();
        let s = |t: &str| t.to_owned();
        let (jobs, answers): (Vec<_>, Vec<_>) = [
            Write::Set(s("default"), s("text"), b"not a counter".to_vec()),
            Write::Increment(s("default"), s("text"), 1),
            Write::Increment(s("default"), s("n"), 2),
            Write::CompareAndSwap {
                store: s("default"),
                key: s("n"),
                expected: Some(2i64.to_le_bytes().to_vec()),
                new: b"swapped".to_vec(),
            },
            Write::CompareAndSwap {
                store: s("default"),
                key: s("n"),
                expected: Some(2i64.to_le_bytes().to_vec()),
                new: b"late".to_vec(),
            },
        ]
        .into_iter()
        .map(job)
        .unzip();
        let changes_before = conn.total_changes();
        commit_group(&conn, jobs);
        let answers: Vec<_> = answers
            .into_iter()
            .map(|a| a.blocking_recv().unwrap())
            .collect();
        assert!(matches!(answers[0], Ok(Done::Written)));
        assert!(matches!(answers[1], Err(KvError::NotACounter(_))));
        assert!(matches!(answers[2], Ok(Done::Counter(2))));
        assert_eq!(
            answers[3].as_ref().unwrap(),
            &Done::Swap(CasOutcome::Swapped)
        );
        assert_eq!(
            answers[4].as_ref().unwrap(),
            &Done::Swap(CasOutcome::Conflict {
                current: Some(b"swapped".to_vec())
            })
        );
        assert_eq!(
            conn.total_changes() - changes_before,
            3,
            "set, increment, swap"
        );
        let read = |key: &str| read_value(&conn, "default", key).unwrap();
        assert_eq!(read("text"), Some(b"not a counter".to_vec()));
        assert_eq!(read("n"), Some(b"swapped".to_vec()));
    }

    /// A writer on a fresh key-value table, and the directory holding it.
    fn fresh_writer(name: &str) -> (TempDir, Writer) {
        let dir = TempDir::new(name);
        let conn = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
        conn.execute_batch(crate::kv::SCHEMA).unwrap();
        (dir, Writer::start(conn))
    }

    fn set(key: &str) -> Write {
        Write::Set("default".into(), key.into(), b"v".to_vec())
    }

    #[test]
    fn a_write_to_an_idle_store_is_durable_when_submit_returns() {
        let (_dir, writer) = fresh_writer("idle");
        let (reply, mut answer) = oneshot::channel();
        let alone = writer.enqueue_or_commit(set("a"), reply).unwrap();
        // Committed on this thread: answered before anyone else ran.
        assert!(matches!(answer.try_recv(), Ok(Ok(Done::Written))));
        assert_eq!((writer.writes(), writer.commits()), (1, 1));
        // With the mark of the moment its commit ended, which holds until the next one.
        let alone = alone.expect("committed alone, at once");
        assert!(writer.unchanged_since(alone));
        writer.write(set("b")).unwrap();
        assert!(!writer.unchanged_since(alone));
    }

    #[test]
    fn reads_take_the_write_connection_only_while_no_commit_holds_it() {
        let (_dir, writer) = fresh_writer("read-idle");
        writer.write(set("a")).unwrap();
        let read = |conn: &Connection| read_value(conn, "default", "a").unwrap();
        assert_eq!(writer.read_if_idle(read), Some(Some(b"v".to_vec())));
        let committing = writer.shared.lock_conn();
        assert_eq!(writer.read_if_idle(read), None, "a commit holds it");
        drop(committing);
        assert!(writer.read_if_idle(read).is_some());
    }

    #[test]
    fn a_commit_that_panics_leaves_the_store_usable() {
        let (_dir, writer) = fresh_writer("unwind");
        writer.shared.lock_queue().committer = Committer::Caller;
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _end = CallerCommit(&writer.shared);
            panic!("a commit that panics");
        }));
        assert!(unwound.is_err());
        // Idle again: the next write commits at once instead of waiting forever.
        let (reply, mut answer) = oneshot::channel();
        writer.enqueue_or_commit(set("a"), reply).unwrap();
        assert!(matches!(answer.try_recv(), Ok(Ok(Done::Written))));
    }

    #[test]
    fn writes_arriving_during_a_commit_share_the_next_one() {
        let (_dir, writer) = fresh_writer("during");
        // A caller is committing (between its taking the commit and ending it).
        writer.shared.lock_queue().committer = Committer::Caller;
        let answers: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|key| {
                let (reply, answer) = oneshot::channel();
                let alone = writer.enqueue_or_commit(set(key), reply).unwrap();
                assert_eq!(alone, None, "queued: committed in a group, later");
                answer
            })
            .collect();
        assert_eq!(writer.commits(), 0, "queued while the commit runs");
        // That commit ends with writes waiting: the thread takes over.
        drop(CallerCommit(&writer.shared));
        for answer in answers {
            assert!(matches!(answer.blocking_recv(), Ok(Ok(Done::Written))));
        }
        assert_eq!((writer.writes(), writer.commits()), (3, 1), "one group");
        let conn = writer.stop().unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM spin_key_value", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3);
    }

    #[test]
    fn concurrent_writes_are_all_applied_and_answered() {
        let dir = TempDir::new("concurrent");
        let kv = std::sync::Arc::new(KvStore::open(&dir.path().join(DB_FILE_NAME)).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let kv = std::sync::Arc::clone(&kv);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        kv.set("default", &format!("{t}-{i}"), b"v").unwrap();
                        kv.increment("default", "total", 1).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let total = kv.get("default", "total").unwrap().unwrap();
        assert_eq!(i64::from_le_bytes(total.try_into().unwrap()), 400);
        assert_eq!(kv.keys("default").unwrap().len(), 401);
        assert_eq!(kv.writes(), 800);
    }
}
