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

/// A key-value store with compare-and-swap, like Spin's key-value store with
/// `wasi:keyvalue/atomics` (DESIGN.md; Spin docs "Key Value Store").
///
/// Consistency required of the backend: `compare_and_swap` is linearizable per key —
/// among concurrent swaps expecting the same value, at most one succeeds. Spin's SQLite
/// store and edge-host give this; an eventually consistent backend does not and must not
/// be used.
pub trait Store {
    /// The value at `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Set `key` to `value` unconditionally.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Remove `key` (absent is not an error).
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Atomically set `key` to `new` if its current value equals `expected` (`None`:
    /// absent). `Ok(false)` when another writer got there first.
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError>;
}

/// Wall-clock time.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
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
}
