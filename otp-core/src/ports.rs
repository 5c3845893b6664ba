//! The small traits the flows run over, so the same decisions run natively (tests,
//! benchmarks) and inside the Spin component (key-value store, wall clock, WASI random).

/// A key-value store failure. The text is for logs of the operator, never for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached or refused the operation.
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded (corrupt, or written by a newer release).
    #[error("stored record unreadable: {0}")]
    Corrupt(String),
}

/// The key-value operations the flows use, and what each flow may rely on — written for
/// the stores as they really behave, not as documented (Spin docs "Key Value Store";
/// Spin's `crates/key-value-spin` and `crates/key-value-redis`, identical from v3.0 to
/// v4.1; edge-host's SQLite store).
///
/// # Guarantees the flows rely on (checked by `otp-core/tests/store_contract.rs` against
/// every backend in the test run)
///
/// - **G1 read-your-write:** after `set`, `compare_and_swap` or `increment` returned, a
///   `get` of that key from any instance sees that value or a later one.
/// - **G2 atomic increment:** `increment` is atomic per key; concurrent increments of
///   one key return distinct values and none is lost (Spin SQLite: one locked
///   connection; Spin Redis: `INCRBY`; edge-host: one transaction). An absent key
///   counts as 0.
/// - **G3 conditional write of an existing key:** `compare_and_swap(key, Some(old), new)`
///   writes only while the stored bytes equal `old` (Spin SQLite: `UPDATE … WHERE
///   value = old`; Redis: `WATCH`/`MULTI`/`EXEC`; edge-host: one transaction).
/// - **G4 fresh read:** `get_fresh` returns what is stored now, past any cache the
///   platform keeps. Spin 3.x wraps every opened store in a per-request cache
///   (`crates/factor-key-value/src/util.rs`, `CachingStoreManager`, removed in 4.0): a
///   `get` of a key read before in the request answers the cached value, never
///   refreshed, and `set` is write-behind — it returns before the backing store is
///   written, so the next request may not see it, and a crash may lose it. The
///   component's adapter therefore writes `set` through a swap (synchronous on Spin) and
///   reads `get_fresh` through a swap's `current`, which flushes and reads the store.
///
/// - **G5 listing** (the re-sealing sweep only, never a request's flow): `keys_after`
///   answers exactly the keys under a prefix, sorted, after a cursor (Spin: `list-keys`
///   answers every key of the store at once; edge-host pages with a cursor).
///
/// # What the flows do **not** rely on
///
/// - The *answer* of `compare_and_swap`: Spin's Redis store answers `cas-failed` after
///   every swap, committed or not (it sends `UNWATCH key`, which Redis refuses), and
///   would answer success for an `EXEC` a competing writer aborted. So every
///   conditional write carries a unique operation id inside the record and is followed
///   by a read-back: the write happened exactly when the record read back holds that id
///   ([`crate::flows`] `commit`).
/// - `compare_and_swap(key, None, …)` (create if absent): Spin's SQLite store turns it
///   into an unconditional upsert, so two creators both "win". Records are created
///   either under a fresh random key nobody else can know (accounts) or after winning
///   an `increment` claim (the e-mail index, [`crate::records::email_claim_key`]).
/// - Byte equality meaning "unchanged" (ABA): every account record carries a revision
///   number that grows with each write.
/// - Batch reads (`wasi:keyvalue/batch` `get-many`), so the flows read key by key:
///   Spin's Redis store answers `get-many` with Redis `KEYS` (a listing by pattern,
///   never the values; `crates/key-value-redis`, v3.0 to v4.x), and its SQLite store
///   leaves absent keys out of the answer.
/// - `increment` on a key that holds anything but a counter: Spin's SQLite store panics
///   in the host (and poisons its connection lock) when the stored value is not 8 bytes.
///   Counter keys (`count/…`) hold nothing else.
pub trait Store {
    /// The value at `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Set `key` to `value` unconditionally; seen by every later read, from any
    /// instance, once this returns (G1).
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Remove `key` (absent is not an error). On Spin 3.x the removal may reach the
    /// store after the response (write-behind): nothing relies on a delete being seen
    /// at once (a spent legacy session, a legacy throttle record).
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// The value at `key` as stored now, past any per-request cache (G4). The default
    /// is [`Store::get`], for stores without such a cache.
    fn get_fresh(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(key)
    }
    /// Set `key` to `new` if its current value equals `expected` (`None`: absent). The
    /// answer (`Ok(true)`: written, `Ok(false)`: another writer got there first) is a
    /// hint only — see the trait docs; callers verify by reading back.
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError>;
    /// Atomically add `delta` to the counter at `key` (absent: 0) and return the new
    /// value (guarantee G2).
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;
    /// Up to `limit` keys that start with `prefix` and sort after `after`, in order: for
    /// an operator's sweep over the store (re-sealing), never for a request's flow.
    /// Spin lists every key of a store in one answer (`list-keys` without a cursor),
    /// so a page costs a whole listing there.
    ///
    /// Errors: `Unavailable` where the store cannot list keys (the default).
    fn keys_after(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let _ = (prefix, after, limit);
        Err(StoreError::Unavailable(
            "this store cannot list its keys".into(),
        ))
    }
}

/// The page of `keys` that [`Store::keys_after`] answers, from any listing.
pub fn page_of_keys(
    keys: impl IntoIterator<Item = String>,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Vec<String> {
    let mut page: Vec<String> = keys
        .into_iter()
        .filter(|k| k.starts_with(prefix) && after.is_none_or(|a| k.as_str() > a))
        .collect();
    page.sort();
    page.truncate(limit);
    page
}

/// Whether two stored values are the same, byte for byte (any lengths; never fails).
///
/// The flows compare whole account records (a few KiB) twice in every account update:
/// the value a compare-and-swap expects against the one stored, and the read-back against
/// what was written. This compares eight bytes at a time. `[u8] == [u8]` in the
/// component calls wasi-libc's `memcmp`, which compares one byte at a time: ~19 machine
/// instructions per byte under wasmtime, a tenth of the component's work in a sign-in
/// step (callgrind; README, Performance). Natively the two are alike for values of this size.
pub fn same_value(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let ((a_words, a_rest), (b_words, b_rest)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    let word = |w: &[u8; 8]| u64::from_ne_bytes(*w);
    a_words.iter().zip(b_words).all(|(x, y)| word(x) == word(y)) && a_rest == b_rest
}

/// The value of a counter as `get` returns it: Spin's SQLite store and edge-host keep
/// 8 bytes little-endian `i64`, Spin's Redis store ASCII decimal (what `INCRBY` keeps).
/// Absent is 0. An 8-byte value of ASCII digits would be a count over 3.4 × 10^18, so
/// the two forms cannot be confused.
pub fn read_counter(bytes: Option<&[u8]>) -> Result<i64, StoreError> {
    let Some(bytes) = bytes else { return Ok(0) };
    let decimal = !bytes.is_empty()
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && *b == b'-'));
    if decimal {
        return std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("counter out of range".into()));
    }
    let le: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("counter is neither 8 bytes nor decimal".into()))?;
    Ok(i64::from_le_bytes(le))
}

/// Wall-clock time.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Wait about `ms` milliseconds (between rounds of a contended write). The default
    /// does not wait (test clocks).
    fn pause_ms(&self, ms: u64) {
        let _ = ms;
    }
}

/// The randomness source could not deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the random number generator failed")]
pub struct RngError;

/// A cryptographically secure random number generator.
pub trait Rng {
    /// Fill `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), RngError>;
}

/// The operating system's CSPRNG through `getrandom` (WASI `random` on wasm32-wasip2).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RngError> {
        getrandom::fill(buf).map_err(|_| RngError)
    }
}

/// A message for a person: the flows queue them, the platform delivers them after the
/// request (through a provider, or to the development outbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// An e-mail.
    Email {
        /// Recipient address.
        to: String,
        /// Subject line.
        subject: String,
        /// Plain-text body.
        body: String,
    },
    /// A text message.
    Sms {
        /// E.164 recipient.
        to: String,
        /// Text.
        body: String,
        /// What the message belongs to (a recovery link's key); the platform reports
        /// the provider's message id back with it ([`crate::flows::Service::sms_sent`]).
        reference: Option<String>,
    },
}

/// Where the flows queue messages. Queuing never fails; delivery is the platform's.
pub trait Outbox {
    /// Queue one message.
    fn queue(&self, message: Message);
    /// The messages queued so far, removed: for those sent before the answer (a
    /// recovery text message, whose failure the person must see).
    fn take(&self) -> Vec<Message>;
}

#[cfg(test)]
mod tests {
    use super::same_value;
    use proptest::prelude::*;

    proptest! {
        /// `same_value` answers what `==` answers: for any two values, and for a value
        /// against a copy with one byte changed (at every position class: in a word, in
        /// the tail) or cut short.
        #[test]
        fn same_value_is_byte_equality(
            a in proptest::collection::vec(any::<u8>(), 0..200),
            b in proptest::collection::vec(any::<u8>(), 0..200),
            at in any::<prop::sample::Index>(),
            flip in 1u8..,
        ) {
            prop_assert_eq!(same_value(&a, &b), a == b);
            prop_assert!(same_value(&a, &a.clone()));
            if !a.is_empty() {
                let mut changed = a.clone();
                changed[at.index(a.len())] ^= flip;
                prop_assert!(!same_value(&a, &changed));
                prop_assert!(!same_value(&a, &a[..a.len() - 1]));
            }
        }
    }
}
