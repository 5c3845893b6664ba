//! The conformance suite of the [`Store`] contract (guarantees G1–G3 and G5 in
//! [`crate::ports::Store`], and the read-back protocol the flows build on them). Each
//! backend's tests run it with a store of their own: the in-memory and fault-injecting
//! stores (otp-core) and edge-host's SQLite store through [`check`], with threads; Spin's
//! SQLite and Redis stores through the component, where every [`Check::work`] is one
//! HTTP request and the workers run as parallel requests, on one instance or several
//! (`POST /api/admin/store-contract`, docs/http-api.md).
//!
//! A check is three steps: [`Check::prepare`] once, [`Check::work`] by
//! [`Check::workers`] workers at the same time (each returns a [`Report`]), then
//! [`Check::verify`] once with every report.

use crate::ports::{Store, read_counter};
use crate::records::OPS_KEEP;
use std::collections::HashSet;

/// Workers in each concurrent check.
pub const WORKERS: usize = 8;
/// Operations per worker in the concurrent checks.
pub const PER_WORKER: usize = 25;

/// A broken guarantee: which one, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{guarantee}: {seen}")]
pub struct Violation {
    /// `G1`, `G2`, `G3` or `read-back`.
    pub guarantee: &'static str,
    /// What the store did.
    pub seen: String,
}

/// What one worker saw: the values its increments returned (G2), how many of its
/// writes it saw succeed (read-back: one number), or nothing (G3).
pub type Report = Vec<i64>;

fn violation(guarantee: &'static str, seen: impl Into<String>) -> Violation {
    Violation {
        guarantee,
        seen: seen.into(),
    }
}

/// One check of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// G1: what `set`, a swap and `increment` wrote is what `get` returns.
    ReadYourWrite,
    /// G2: concurrent increments of one key return distinct values; none is lost.
    AtomicIncrement,
    /// G3: a swap expecting a value that is not stored writes nothing; of concurrent
    /// swaps all expecting the same stored value, at most one writes.
    ConditionalWrite,
    /// The flows' protocol on G1 and G3: a counter record `rev:recent op ids` that
    /// workers advance by read → swap → read back (each write adds the worker's
    /// operation id and keeps the last [`OPS_KEEP`]; a write happened when the record
    /// read back holds its id). No more writes may be seen to succeed than the
    /// revision counts — whatever the swaps answered. (Not exact the other way: when
    /// more than [`OPS_KEEP`] writes land between a swap and its read-back, a done
    /// write is taken for a lost one and decided again.)
    ReadBack,
    /// G5: `keys_after` lists exactly the keys under a prefix, in order, after a cursor.
    ListKeys,
}

/// Every check, in the order [`check`] runs them.
pub const CHECKS: [Check; 5] = [
    Check::ReadYourWrite,
    Check::AtomicIncrement,
    Check::ConditionalWrite,
    Check::ReadBack,
    Check::ListKeys,
];

impl Check {
    /// Its name on the wire: `read-your-write`, `atomic-increment`,
    /// `conditional-write`, `read-back`.
    pub fn name(self) -> &'static str {
        match self {
            Check::ReadYourWrite => "read-your-write",
            Check::AtomicIncrement => "atomic-increment",
            Check::ConditionalWrite => "conditional-write",
            Check::ReadBack => "read-back",
            Check::ListKeys => "list-keys",
        }
    }

    /// The check called `name` ([`Check::name`]).
    pub fn from_name(name: &str) -> Option<Check> {
        CHECKS.into_iter().find(|c| c.name() == name)
    }

    /// How many workers run [`Check::work`] at once (0: the check is all in
    /// [`Check::prepare`]).
    pub fn workers(self) -> usize {
        match self {
            Check::ReadYourWrite | Check::ListKeys => 0,
            _ => WORKERS,
        }
    }

    fn guarantee(self) -> &'static str {
        match self {
            Check::ReadYourWrite => "G1",
            Check::AtomicIncrement => "G2",
            Check::ConditionalWrite => "G3",
            Check::ReadBack => "read-back",
            Check::ListKeys => "G5",
        }
    }

    fn key(self, prefix: &str) -> String {
        format!("{prefix}/{}", self.name())
    }

    fn fail(self, seen: impl Into<String>) -> Violation {
        violation(self.guarantee(), seen)
    }

    fn get(self, store: &dyn Store, key: &str) -> Result<Option<Vec<u8>>, Violation> {
        store
            .get(key)
            .map_err(|e| self.fail(format!("get failed: {e}")))
    }

    /// Before the workers: set up the keys under `prefix` (use a fresh prefix per
    /// run); for [`Check::ReadYourWrite`] the whole check.
    ///
    /// Errors: the [`Violation`] seen.
    pub fn prepare(self, store: &dyn Store, prefix: &str) -> Result<(), Violation> {
        let key = self.key(prefix);
        let set = |value: &[u8]| store.set(&key, value).map_err(|e| self.fail(e.to_string()));
        match self {
            Check::ReadYourWrite => read_your_write(store, prefix),
            Check::AtomicIncrement => Ok(()),
            Check::ConditionalWrite => {
                set(b"base")?;
                let _ = store.compare_and_swap(&key, Some(b"not stored"), b"wrong");
                if self.get(store, &key)?.as_deref() != Some(b"base".as_slice()) {
                    return Err(self.fail("a swap with a stale expected value wrote"));
                }
                Ok(())
            }
            Check::ReadBack => set(b"0:"),
            Check::ListKeys => list_keys(store, &key),
        }
    }

    /// One worker's part (`worker` in `0..workers()`), run at the same time as the
    /// others'.
    ///
    /// Errors: the [`Violation`] seen.
    pub fn work(self, store: &dyn Store, prefix: &str, worker: usize) -> Result<Report, Violation> {
        let key = self.key(prefix);
        match self {
            Check::ReadYourWrite | Check::ListKeys => Ok(Vec::new()),
            Check::AtomicIncrement => (0..PER_WORKER)
                .map(|_| store.increment(&key, 1))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.fail(e.to_string())),
            Check::ConditionalWrite => {
                let mine = format!("writer-{worker}");
                let _ = store.compare_and_swap(&key, Some(b"base"), mine.as_bytes());
                Ok(Vec::new())
            }
            Check::ReadBack => Ok(vec![read_back_worker(store, &key, worker)]),
        }
    }

    /// After every worker: check what the store holds against the `reports`.
    ///
    /// Errors: the [`Violation`] seen.
    pub fn verify(
        self,
        store: &dyn Store,
        prefix: &str,
        reports: &[Report],
    ) -> Result<(), Violation> {
        let key = self.key(prefix);
        match self {
            Check::ReadYourWrite | Check::ListKeys => Ok(()),
            Check::AtomicIncrement => {
                let mut all = HashSet::new();
                for v in reports.iter().flatten() {
                    if !all.insert(*v) {
                        return Err(self.fail(format!("{v} returned twice")));
                    }
                }
                let total = (reports.len() * PER_WORKER) as i64;
                let read = read_counter(self.get(store, &key)?.as_deref())
                    .map_err(|e| self.fail(e.to_string()))?;
                if read != total || all.len() as i64 != total {
                    return Err(self.fail(format!(
                        "{read} stored and {} distinct values returned after {total} increments",
                        all.len()
                    )));
                }
                Ok(())
            }
            Check::ConditionalWrite => {
                let now = self.get(store, &key)?.unwrap_or_default();
                let now = String::from_utf8_lossy(&now).into_owned();
                if !now.starts_with("writer-") {
                    return Err(self.fail(format!("after the race the key holds {now:?}")));
                }
                // Every later swap from "base" must fail: exactly one writer won.
                let _ = store.compare_and_swap(&key, Some(b"base"), b"late");
                if self.get(store, &key)?.as_deref() != Some(now.as_bytes()) {
                    return Err(self.fail("a swap from an overwritten value wrote"));
                }
                Ok(())
            }
            Check::ReadBack => {
                let now = self.get(store, &key)?.unwrap_or_default();
                let rev: i64 = String::from_utf8_lossy(&now)
                    .split(':')
                    .next()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0);
                let total: i64 = reports.iter().flatten().sum();
                if total > rev || total == 0 {
                    return Err(self.fail(format!(
                        "revision {rev} after {total} writes seen to succeed"
                    )));
                }
                Ok(())
            }
        }
    }
}

/// Run every check under keys starting with `prefix` (use a fresh one per run), the
/// workers of each on threads of this process.
///
/// Errors: the first [`Violation`] found.
pub fn check(store: &(dyn Store + Sync), prefix: &str) -> Result<(), Violation> {
    for check in CHECKS {
        check.prepare(store, prefix)?;
        let reports: Vec<Result<Report, Violation>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..check.workers())
                .map(|worker| s.spawn(move || check.work(store, prefix, worker)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(check.fail("a worker panicked")))
                })
                .collect()
        });
        let reports = reports.into_iter().collect::<Result<Vec<_>, _>>()?;
        check.verify(store, prefix, &reports)?;
    }
    Ok(())
}

fn read_your_write(store: &dyn Store, prefix: &str) -> Result<(), Violation> {
    let g1 = Check::ReadYourWrite;
    let key = format!("{prefix}/g1");
    store
        .set(&key, b"one")
        .map_err(|e| g1.fail(e.to_string()))?;
    if g1.get(store, &key)?.as_deref() != Some(b"one".as_slice()) {
        return Err(g1.fail("set then get differs"));
    }
    let _ = store.compare_and_swap(&key, Some(b"one"), b"two");
    if g1.get(store, &key)?.as_deref() != Some(b"two".as_slice()) {
        return Err(g1.fail("a swap from the current value did not show"));
    }
    let counter = format!("{prefix}/g1-counter");
    let n = store
        .increment(&counter, 5)
        .map_err(|e| g1.fail(e.to_string()))?;
    let read =
        read_counter(g1.get(store, &counter)?.as_deref()).map_err(|e| g1.fail(e.to_string()))?;
    if n != 5 || read != 5 {
        return Err(g1.fail(format!("increment gave {n}, get read {read}")));
    }
    store.delete(&key).map_err(|e| g1.fail(e.to_string()))?;
    if g1.get(store, &key)?.is_some() {
        return Err(g1.fail("deleted key still reads"));
    }
    Ok(())
}

/// [`Check::ListKeys`], all in one step: three keys under `{key}/`, one beside them
/// that only shares the string prefix, then a listing, and a page after a cursor.
fn list_keys(store: &dyn Store, key: &str) -> Result<(), Violation> {
    let g5 = Check::ListKeys;
    let under = format!("{key}/");
    let names: Vec<String> = ["b", "a", "c"]
        .iter()
        .map(|n| format!("{under}{n}"))
        .collect();
    for name in names.iter().chain([&format!("{key}-beside")]) {
        store.set(name, b"x").map_err(|e| g5.fail(e.to_string()))?;
    }
    let listed = store
        .keys_after(&under, None, 10)
        .map_err(|e| g5.fail(e.to_string()))?;
    let mut sorted = names.clone();
    sorted.sort();
    if listed != sorted {
        return Err(g5.fail(format!("listed {listed:?}, expected {sorted:?}")));
    }
    let page = store
        .keys_after(&under, Some(&sorted[0]), 1)
        .map_err(|e| g5.fail(e.to_string()))?;
    if page != sorted[1..2] {
        return Err(g5.fail(format!("the page after {} was {page:?}", sorted[0])));
    }
    Ok(())
}

/// [`Check::ReadBack`] for one worker: [`PER_WORKER`] writes, each retried until read
/// back; returns how many it saw succeed. Reads as the flows do: the first with `get`,
/// every later one and the read-back with `get_fresh` (G4).
fn read_back_worker(store: &dyn Store, key: &str, worker: usize) -> i64 {
    let mut won = 0;
    for i in 0..PER_WORKER {
        for round in 0..200 {
            let read = if i == 0 && round == 0 {
                store.get(key)
            } else {
                store.get_fresh(key)
            };
            let Ok(Some(old)) = read else {
                continue;
            };
            let text = String::from_utf8_lossy(&old).into_owned();
            let (rev, ops) = text.split_once(':').unwrap_or(("0", ""));
            let rev: u64 = rev.parse().unwrap_or(0);
            let mine = format!("{worker}-{i}");
            let mut ops: Vec<&str> = ops.split(',').filter(|o| !o.is_empty()).collect();
            ops.push(&mine);
            let keep = ops.len().saturating_sub(OPS_KEEP);
            let new = format!("{}:{}", rev + 1, ops[keep..].join(","));
            let _ = store.compare_and_swap(key, Some(&old), new.as_bytes());
            let back = store.get_fresh(key).ok().flatten().unwrap_or_default();
            let back = String::from_utf8_lossy(&back).into_owned();
            let holds = back
                .split_once(':')
                .is_some_and(|(_, ops)| ops.split(',').any(|o| o == mine));
            if holds {
                won += 1;
                break;
            }
        }
    }
    won
}
