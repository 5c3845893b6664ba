//! The conformance suite of the [`Store`] contract (guarantees G1–G3 in
//! [`crate::ports::Store`], and the read-back protocol the flows build on them). Each
//! backend's tests call [`check`] with a store of their own: the in-memory and
//! fault-injecting stores (otp-core), edge-host's SQLite store, and — through the
//! component — Spin's SQLite and Redis stores.

use crate::ports::{Store, read_counter};
use crate::records::OPS_KEEP;
use std::collections::HashSet;

/// Threads used by the concurrent checks.
pub const THREADS: usize = 8;
/// Operations per thread in the concurrent checks.
pub const PER_THREAD: usize = 25;

/// A broken guarantee: which one, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{guarantee}: {seen}")]
pub struct Violation {
    /// `G1`, `G2`, `G3` or `read-back`.
    pub guarantee: &'static str,
    /// What the store did.
    pub seen: String,
}

fn violation(guarantee: &'static str, seen: impl Into<String>) -> Violation {
    Violation {
        guarantee,
        seen: seen.into(),
    }
}

fn get(store: &dyn Store, key: &str) -> Result<Option<Vec<u8>>, Violation> {
    store
        .get(key)
        .map_err(|e| violation("G1", format!("get failed: {e}")))
}

/// Run every check under keys starting with `prefix` (use a fresh one per run).
///
/// Errors: the first [`Violation`] found.
pub fn check(store: &(dyn Store + Sync), prefix: &str) -> Result<(), Violation> {
    read_your_write(store, prefix)?;
    atomic_increment(store, prefix)?;
    conditional_write(store, prefix)?;
    read_back_counter(store, prefix)
}

/// G1: what `set`, a swap and `increment` wrote is what `get` returns.
pub fn read_your_write(store: &dyn Store, prefix: &str) -> Result<(), Violation> {
    let key = format!("{prefix}/g1");
    store
        .set(&key, b"one")
        .map_err(|e| violation("G1", e.to_string()))?;
    if get(store, &key)?.as_deref() != Some(b"one".as_slice()) {
        return Err(violation("G1", "set then get differs"));
    }
    let _ = store.compare_and_swap(&key, Some(b"one"), b"two");
    if get(store, &key)?.as_deref() != Some(b"two".as_slice()) {
        return Err(violation(
            "G1",
            "a swap from the current value did not show",
        ));
    }
    let counter = format!("{prefix}/g1-counter");
    let n = store
        .increment(&counter, 5)
        .map_err(|e| violation("G1", e.to_string()))?;
    let read = read_counter(get(store, &counter)?.as_deref())
        .map_err(|e| violation("G1", e.to_string()))?;
    if n != 5 || read != 5 {
        return Err(violation(
            "G1",
            format!("increment gave {n}, get read {read}"),
        ));
    }
    store
        .delete(&key)
        .map_err(|e| violation("G1", e.to_string()))?;
    if get(store, &key)?.is_some() {
        return Err(violation("G1", "deleted key still reads"));
    }
    Ok(())
}

/// G2: concurrent increments of one key return distinct values, and none is lost.
pub fn atomic_increment(store: &(dyn Store + Sync), prefix: &str) -> Result<(), Violation> {
    let key = format!("{prefix}/g2");
    let seen: Vec<Result<Vec<i64>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    (0..PER_THREAD)
                        .map(|_| store.increment(&key, 1).map_err(|e| e.to_string()))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    let mut all = HashSet::new();
    for values in seen {
        for v in values.map_err(|e| violation("G2", e))? {
            if !all.insert(v) {
                return Err(violation("G2", format!("{v} returned twice")));
            }
        }
    }
    let total = (THREADS * PER_THREAD) as i64;
    let read =
        read_counter(get(store, &key)?.as_deref()).map_err(|e| violation("G2", e.to_string()))?;
    if read != total || all.len() as i64 != total {
        return Err(violation("G2", format!("{read} after {total} increments")));
    }
    Ok(())
}

/// G3: a swap expecting a value that is not stored writes nothing; of concurrent swaps
/// all expecting the same stored value, at most one writes.
pub fn conditional_write(store: &(dyn Store + Sync), prefix: &str) -> Result<(), Violation> {
    let key = format!("{prefix}/g3");
    store
        .set(&key, b"base")
        .map_err(|e| violation("G3", e.to_string()))?;
    let _ = store.compare_and_swap(&key, Some(b"not stored"), b"wrong");
    if get(store, &key)?.as_deref() != Some(b"base".as_slice()) {
        return Err(violation("G3", "a swap with a stale expected value wrote"));
    }
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let key = &key;
            s.spawn(move || {
                let _ =
                    store.compare_and_swap(key, Some(b"base"), format!("writer-{t}").as_bytes());
            });
        }
    });
    let now = get(store, &key)?.unwrap_or_default();
    let now = String::from_utf8_lossy(&now).into_owned();
    if !now.starts_with("writer-") {
        return Err(violation(
            "G3",
            format!("after the race the key holds {now:?}"),
        ));
    }
    // Every later swap from "base" must fail: exactly one writer won.
    let _ = store.compare_and_swap(&key, Some(b"base"), b"late");
    if get(store, &key)?.as_deref() != Some(now.as_bytes()) {
        return Err(violation("G3", "a swap from an overwritten value wrote"));
    }
    Ok(())
}

/// The flows' protocol on top of G1 and G3: a counter record `rev:recent op ids` that
/// threads advance by read → swap → read back (each write adds the thread's operation
/// id and keeps the last [`OPS_KEEP`]; a write happened when the record read back holds
/// its id). Afterwards no more writes were seen to succeed than the revision counts —
/// whatever the swaps answered: a write the protocol reports as done did happen, and
/// no two writers from one value both believe they wrote. (The other direction is not
/// exact: when more than [`OPS_KEEP`] writes land between a swap and its read-back, a
/// done write is taken for a lost one and decided again from a fresh read.)
pub fn read_back_counter(store: &(dyn Store + Sync), prefix: &str) -> Result<(), Violation> {
    let key = format!("{prefix}/read-back");
    store
        .set(&key, b"0:")
        .map_err(|e| violation("read-back", e.to_string()))?;
    let won: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let key = &key;
                s.spawn(move || {
                    let mut won = 0;
                    for i in 0..PER_THREAD {
                        for _ in 0..200 {
                            let Ok(Some(old)) = store.get(key) else {
                                continue;
                            };
                            let text = String::from_utf8_lossy(&old).into_owned();
                            let (rev, ops) = text.split_once(':').unwrap_or(("0", ""));
                            let rev: u64 = rev.parse().unwrap_or(0);
                            let mine = format!("{t}-{i}");
                            let mut ops: Vec<&str> =
                                ops.split(',').filter(|o| !o.is_empty()).collect();
                            ops.push(&mine);
                            let keep = ops.len().saturating_sub(OPS_KEEP);
                            let new = format!("{}:{}", rev + 1, ops[keep..].join(","));
                            let _ = store.compare_and_swap(key, Some(&old), new.as_bytes());
                            let back = store.get(key).ok().flatten().unwrap_or_default();
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
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let now = get(store, &key)?.unwrap_or_default();
    let rev: usize = String::from_utf8_lossy(&now)
        .split(':')
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let total: usize = won.iter().sum();
    if total > rev || total == 0 {
        return Err(violation(
            "read-back",
            format!("revision {rev} after {total} writes seen to succeed"),
        ));
    }
    Ok(())
}
