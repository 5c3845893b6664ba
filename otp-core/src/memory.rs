//! An in-memory [`Store`] with the same compare-and-swap semantics as the edge's, for
//! tests and native benchmarks; [`FaultyStore`], which misbehaves the way real backends
//! do; a settable [`Clock`]; an [`Outbox`] that keeps what was queued.

use crate::ports::{Clock, Message, Outbox, Store, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A thread-safe map; compare-and-swap under one lock. Counts its writes, so tests can
/// check how many conditional writes an action makes.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Vec<u8>>>,
    swaps: AtomicU64,
    others: AtomicU64,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Compare-and-swaps so far.
    pub fn conditional_writes(&self) -> u64 {
        self.swaps.load(Ordering::SeqCst)
    }

    /// Other writes so far (`set`, `delete`, `increment`).
    pub fn other_writes(&self) -> u64 {
        self.others.load(Ordering::SeqCst)
    }

    /// Every key and value, sorted by key (for tests that inspect storage).
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = self
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort();
        all
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().get(key).cloned())
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.others.fetch_add(1, Ordering::SeqCst);
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.others.fetch_add(1, Ordering::SeqCst);
        self.lock().remove(key);
        Ok(())
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        self.swaps.fetch_add(1, Ordering::SeqCst);
        let mut map = self.lock();
        if map.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        map.insert(key.to_owned(), new.to_vec());
        Ok(true)
    }
    fn keys_after(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let keys: Vec<String> = self.lock().keys().cloned().collect();
        Ok(crate::ports::page_of_keys(keys, prefix, after, limit))
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.others.fetch_add(1, Ordering::SeqCst);
        let mut map = self.lock();
        let value = crate::ports::read_counter(map.get(key).map(Vec::as_slice))?
            .checked_add(delta)
            .ok_or_else(|| StoreError::Corrupt("counter overflow".into()))?;
        map.insert(key.to_owned(), value.to_le_bytes().to_vec());
        Ok(value)
    }
}

/// A clock that shows what it is set to (Unix ms).
#[derive(Debug, Default)]
pub struct FixedClock(AtomicU64);

impl FixedClock {
    /// A clock at `unix_ms`.
    pub fn at(unix_ms: u64) -> FixedClock {
        FixedClock(AtomicU64::new(unix_ms))
    }
    /// Move to `unix_ms`.
    pub fn set(&self, unix_ms: u64) {
        self.0.store(unix_ms, Ordering::SeqCst);
    }
    /// Move forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// An outbox that keeps every queued message in order.
#[derive(Debug, Default)]
pub struct MemoryOutbox(Mutex<Vec<Message>>);

impl MemoryOutbox {
    /// Take every message queued so far.
    pub fn take(&self) -> Vec<Message> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Outbox for MemoryOutbox {
    fn queue(&self, message: Message) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
    }
    fn take(&self) -> Vec<Message> {
        MemoryOutbox::take(self)
    }
}

/// Ways [`FaultyStore`] misbehaves, each a chance in 256 per compare-and-swap.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Another writer changes the record between the caller's read and its swap (the
    /// record's revision grows, its content stays): the swap then cannot succeed.
    pub competing_writer: u8,
    /// The swap commits but answers "failed" (Spin's Redis store, always).
    pub lost_success: u8,
    /// The swap answers "written" without writing (an aborted `EXEC` Spin's Redis
    /// store does not notice).
    pub phantom_success: u8,
}

/// A [`MemoryStore`] whose compare-and-swap misbehaves as [`Faults`] says, from a
/// seeded generator so a failing case can be replayed. `get`, `set`, `delete` and
/// `increment` behave (guarantees G1 and G2 of [`Store`] hold).
#[derive(Debug)]
pub struct FaultyStore {
    /// The store underneath (its counters count the attempts).
    pub inner: MemoryStore,
    faults: Faults,
    state: AtomicU64,
}

impl FaultyStore {
    /// A faulty store with `faults`, seeded with `seed`.
    pub fn new(faults: Faults, seed: u64) -> FaultyStore {
        FaultyStore {
            inner: MemoryStore::default(),
            faults,
            state: AtomicU64::new(seed | 1),
        }
    }

    fn roll(&self, chance: u8) -> bool {
        // xorshift64*
        let mut x = self.state.load(Ordering::SeqCst);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.store(x, Ordering::SeqCst);
        ((x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8) < chance
    }

    /// What a competing writer leaves: the same record at the next revision with an
    /// operation id of its own (non-records are left alone).
    fn compete(&self, key: &str) {
        let Ok(Some(bytes)) = self.inner.get(key) else {
            return;
        };
        let Ok(serde_json::Value::Object(mut record)) = serde_json::from_slice(&bytes) else {
            return;
        };
        let Some(rev) = record.get("rev").and_then(serde_json::Value::as_u64) else {
            return;
        };
        record.insert("rev".into(), (rev + 1).into());
        if let Some(serde_json::Value::Array(ops)) = record.get_mut("ops") {
            ops.push("competitor".into());
        }
        if let Ok(new) = serde_json::to_vec(&record) {
            let _ = self.inner.set(key, &new);
        }
    }
}

impl Store for FaultyStore {
    fn keys_after(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.keys_after(prefix, after, limit)
    }
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        if self.roll(self.faults.competing_writer) {
            self.compete(key);
        }
        if self.roll(self.faults.phantom_success) {
            return Ok(true);
        }
        let written = self.inner.compare_and_swap(key, expected, new)?;
        Ok(written && !self.roll(self.faults.lost_success))
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.inner.increment(key, delta)
    }
}
