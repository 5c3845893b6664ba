//! An in-memory [`Store`] with the same compare-and-swap semantics as the edge's, for
//! tests and native benchmarks; a settable [`Clock`]; an [`Outbox`] that keeps what
//! was queued.

use crate::ports::{Clock, Message, Outbox, Store, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A thread-safe map; compare-and-swap under one lock.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        Ok(())
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        let mut map = self.lock();
        if map.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        map.insert(key.to_owned(), new.to_vec());
        Ok(true)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
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
}
