//! Group commit: every write to the key-value file goes through one writer thread,
//! which takes all the writes that arrived while its last flush ran, applies them in
//! order inside one SQLite transaction — each under its own savepoint, so one that fails
//! (a value that is no counter) changes nothing and the others stand — commits once
//! (one WAL append and one fsync, `synchronous=FULL`) and only then answers each of
//! them. A write is therefore answered only once it is durable, and the result of every
//! write is what it would have been had the writes run one after another in that order
//! (compare-and-swap and increment read the value inside the same transaction).

use crate::kv::{CasOutcome, KvError, read_value, write_value};
use rusqlite::{Connection, params};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
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

/// The writer thread and the queue to it.
pub struct Writer {
    queue: Option<Sender<(Write, Reply)>>,
    thread: Option<JoinHandle<Connection>>,
    counts: Arc<Counts>,
}

/// Writes answered and transactions committed.
#[derive(Default)]
struct Counts {
    writes: AtomicU64,
    commits: AtomicU64,
}

impl Writer {
    /// Starts the writer thread owning `conn` (the write connection).
    pub fn start(conn: Connection) -> Writer {
        let (queue, jobs) = channel();
        let counts = Arc::new(Counts::default());
        let counted = Arc::clone(&counts);
        let thread = std::thread::Builder::new()
            .name("kv-writer".into())
            .spawn(move || run(conn, jobs, &counted))
            .expect("the writer thread starts");
        Writer {
            queue: Some(queue),
            thread: Some(thread),
            counts,
        }
    }

    /// Writes applied so far (answered or about to be).
    pub fn writes(&self) -> u64 {
        self.counts.writes.load(Ordering::Relaxed)
    }

    /// Transactions committed so far (each one flush of the log).
    pub fn commits(&self) -> u64 {
        self.counts.commits.load(Ordering::Relaxed)
    }

    /// Queues `write`; the future completes once it is durable (or failed). The
    /// caller's thread is never blocked: an async caller waits without a thread of its
    /// own.
    pub fn submit(&self, write: Write) -> impl Future<Output = Result<Done, KvError>> + use<> {
        let (reply, answer) = oneshot::channel();
        let queued = match &self.queue {
            Some(queue) => queue.send((write, reply)).map_err(|_| stopped()),
            None => Err(stopped()),
        };
        async move {
            queued?;
            answer.await.map_err(|_| stopped())?
        }
    }

    /// Queues `write` and waits until it is durable (or failed). Blocking: not for an
    /// async context (tests).
    #[cfg(test)]
    pub fn write(&self, write: Write) -> Result<Done, KvError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .as_ref()
            .ok_or_else(stopped)?
            .send((write, reply))
            .map_err(|_| stopped())?;
        answer.blocking_recv().map_err(|_| stopped())?
    }

    /// Stops the thread once the queued writes are done; returns the write connection.
    pub fn stop(mut self) -> Option<Connection> {
        self.queue.take();
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn stopped() -> KvError {
    KvError::Worker("the key-value writer has stopped".into())
}

/// The writer loop: one group per iteration, until every sender is gone.
fn run(conn: Connection, jobs: Receiver<(Write, Reply)>, counts: &Counts) -> Connection {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        counts
            .writes
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        counts.commits.fetch_add(1, Ordering::Relaxed);
        commit_group(&conn, group);
    }
    conn
}

/// Applies `group` in one transaction and answers every write after the commit.
fn commit_group(conn: &Connection, group: Vec<(Write, Reply)>) {
    let outcome = (|| -> rusqlite::Result<Vec<Result<Done, KvError>>> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut results = Vec::with_capacity(group.len());
        for (write, _) in &group {
            conn.execute_batch("SAVEPOINT one_write")?;
            let result = apply(conn, write);
            if result.is_err() {
                conn.execute_batch("ROLLBACK TO one_write")?;
            }
            conn.execute_batch("RELEASE one_write")?;
            results.push(result);
        }
        conn.execute_batch("COMMIT")?;
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
