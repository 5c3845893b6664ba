//! `wasi:keyvalue@0.2.0-draft2` — `store`, `atomics` and `batch` — over the shared
//! SQLite store. This is the interface that gives the guest atomic compare-and-swap.
//!
//! Compare-and-swap: `cas.new` reads and remembers the value stored at that moment
//! (absent counts as a value); `cas.current` reads it again, returns it and remembers
//! that instead — or, when edge-host has committed nothing since that read (what the
//! guest does: `current` right after `new`), returns the remembered value, which is
//! still what is stored; `swap` writes only if the stored value still equals the
//! remembered one, checked and written in one SQLite transaction. Otherwise nothing is written and
//! `cas-failed` hands back a fresh `cas` holding the value now stored, ready for a retry.
//!
//! A request also remembers the last value it read with `get` or wrote with a
//! successful `swap` committed alone ([`Seen`]): a `cas.new` of that key while edge-host
//! has committed nothing since takes that value instead of reading it again. That is
//! what a guest's update does — `get`, then `cas.new` to swap, then `cas.new` to read
//! its write back — so two of its three reads of the record cost nothing.

use crate::bindings::wasi::keyvalue::atomics::{self, CasError};
use crate::bindings::wasi::keyvalue::batch;
use crate::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};
use crate::host::HostState;
use crate::kv::{CasOutcome, KEY_PAGE_SIZE, KvError};
use crate::kv_writer::{Done, Mark, Write};
use wasmtime::component::Resource;

/// The only store label a component may open.
pub const STORE_LABEL: &str = "default";

/// An open bucket, as held in the resource table.
pub struct Bucket {
    label: String,
}

/// A compare-and-swap in progress: the key and the value the guest last saw.
pub struct Cas {
    label: String,
    key: String,
    expected: Option<Vec<u8>>,
    /// Taken just before `expected` was read (`None`: a commit was under way).
    read_at: Option<Mark>,
}

/// The value of one key as this request last read it with `get`, or wrote it with a
/// `swap` committed alone, and the mark taken just before that read (or as that commit
/// ended): while edge-host has committed nothing since, it is what is stored.
pub struct Seen {
    label: String,
    key: String,
    value: Option<Vec<u8>>,
    at: Mark,
}

fn to_error(error: KvError) -> Error {
    Error::Other(error.to_string())
}

impl HostState {
    fn bucket_label(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<String> {
        Ok(self.table.get(bucket)?.label.clone())
    }

    /// Remember `value` as stored at `key` at mark `at` (`None`: forget; a commit was
    /// under way).
    fn remember(&mut self, label: String, key: String, value: Option<Vec<u8>>, at: Option<Mark>) {
        self.kv_seen = at.map(|at| Seen {
            label,
            key,
            value,
            at,
        });
    }

    /// The value stored at `key` now and the mark it holds since, if this request
    /// remembers it and edge-host has committed nothing since.
    fn recall(&self, label: &str, key: &str) -> Option<(Option<Vec<u8>>, Mark)> {
        self.kv_seen
            .as_ref()
            .filter(|seen| seen.label == label && seen.key == key)
            .filter(|seen| self.shared.kv.unchanged_since(seen.at))
            .map(|seen| (seen.value.clone(), seen.at))
    }
}

impl store::Host for HostState {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, Error>> {
        // As Spin grants a component only the stores its manifest lists, and
        // spin.toml lists only `default`.
        if identifier != STORE_LABEL {
            return Ok(Err(Error::AccessDenied));
        }
        Ok(Ok(self.table.push(Bucket { label: identifier })?))
    }
}

impl store::HostBucket for HostState {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let label = self.bucket_label(&bucket)?;
        let read_at = self.shared.kv.mark();
        let read = self
            .kv(move |kv| kv.get(&label, &key).map(|value| (label, key, value)))
            .await;
        Ok(match read {
            Ok((label, key, value)) => {
                self.remember(label, key, value.clone(), read_at);
                Ok(value)
            }
            Err(error) => Err(to_error(error)),
        })
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.bucket_label(&bucket)?;
        Ok(self
            .kv_write(Write::Set(label, key, value))
            .await
            .map(drop)
            .map_err(to_error))
    }

    async fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.bucket_label(&bucket)?;
        Ok(self
            .kv_write(Write::Delete(label, key))
            .await
            .map(drop)
            .map_err(to_error))
    }

    async fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let label = self.bucket_label(&bucket)?;
        Ok(self
            .kv(move |kv| kv.exists(&label, &key))
            .await
            .map_err(to_error))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<KeyResponse, Error>> {
        let label = self.bucket_label(&bucket)?;
        let page = self
            .kv(move |kv| kv.keys_page(&label, cursor.as_deref(), KEY_PAGE_SIZE))
            .await;
        Ok(page
            .map(|(keys, cursor)| KeyResponse { keys, cursor })
            .map_err(to_error))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::HostCas for HostState {
    async fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, Error>> {
        let label = self.bucket_label(&bucket)?;
        if let Some((expected, at)) = self.recall(&label, &key) {
            return Ok(Ok(self.table.push(Cas {
                label,
                key,
                expected,
                read_at: Some(at),
            })?));
        }
        let read_at = self.shared.kv.mark();
        let (label, key, expected) = match self
            .kv(move |kv| kv.get(&label, &key).map(|value| (label, key, value)))
            .await
        {
            Ok(seen) => seen,
            Err(error) => return Ok(Err(to_error(error))),
        };
        Ok(Ok(self.table.push(Cas {
            label,
            key,
            expected,
            read_at,
        })?))
    }

    async fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let entry = self.table.get(&cas)?;
        if entry
            .read_at
            .is_some_and(|mark| self.shared.kv.unchanged_since(mark))
        {
            return Ok(Ok(entry.expected.clone()));
        }
        let (label, key) = (entry.label.clone(), entry.key.clone());
        let read_at = self.shared.kv.mark();
        let value = match self.kv(move |kv| kv.get(&label, &key)).await {
            Ok(value) => value,
            Err(error) => return Ok(Err(to_error(error))),
        };
        let entry = self.table.get_mut(&cas)?;
        entry.expected.clone_from(&value);
        entry.read_at = read_at;
        Ok(Ok(value))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl atomics::Host for HostState {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, Error>> {
        let label = self.bucket_label(&bucket)?;
        Ok(
            match self.kv_write(Write::Increment(label, key, delta)).await {
                Ok(Done::Counter(next)) => Ok(next),
                Ok(other) => Err(Error::Other(format!("an increment answered {other:?}"))),
                Err(error) => Err(to_error(error)),
            },
        )
    }

    async fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), CasError>> {
        let Cas {
            label,
            key,
            expected,
            ..
        } = self.table.delete(cas)?;
        let written = value.clone();
        let (alone, pending) = self.kv_commit(Write::CompareAndSwap {
            store: label.clone(),
            key: key.clone(),
            expected,
            new: value,
        });
        match pending.await {
            Ok(Done::Swap(CasOutcome::Swapped)) => {
                self.remember(label, key, Some(written), alone);
                Ok(Ok(()))
            }
            Ok(Done::Swap(CasOutcome::Conflict { current })) => {
                // Read inside the swap's own transaction, before its commit ended.
                let retry = self.table.push(Cas {
                    label,
                    key,
                    expected: current,
                    read_at: None,
                })?;
                Ok(Err(CasError::CasFailed(retry)))
            }
            Ok(other) => Ok(Err(CasError::StoreError(Error::Other(format!(
                "a swap answered {other:?}"
            ))))),
            Err(error) => Ok(Err(CasError::StoreError(to_error(error)))),
        }
    }
}

impl batch::Host for HostState {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, Error>> {
        let label = self.bucket_label(&bucket)?;
        let values = self
            .kv(move |kv| kv.get_many(&label, &keys).map(|values| (keys, values)))
            .await;
        Ok(values
            .map(|(keys, values)| keys.into_iter().zip(values).collect())
            .map_err(to_error))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.bucket_label(&bucket)?;
        Ok(self
            .kv_write(Write::SetMany(label, key_values))
            .await
            .map(drop)
            .map_err(to_error))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.bucket_label(&bucket)?;
        Ok(self
            .kv_write(Write::DeleteMany(label, keys))
            .await
            .map(drop)
            .map_err(to_error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Shared;
    use crate::kv::{DB_FILE_NAME, KvStore};
    use crate::test_util::TempDir;
    use crate::variables::Variables;
    use atomics::{Host as _, HostCas as _};
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};
    use store::Host as _;

    /// The answer of a host call that needs no waiting (edge-host's key-value calls on
    /// an idle store complete on the caller's thread).
    fn now<F: Future>(call: F) -> F::Output {
        match pin!(call).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(answer) => answer,
            Poll::Pending => panic!("a key-value call on an idle store waited"),
        }
    }

    /// One request's host state and its open bucket.
    struct Request(HostState, u32);

    impl Request {
        fn new(shared: &Shared) -> Self {
            let mut state = HostState::new(shared.clone());
            let bucket = now(state.open(STORE_LABEL.into())).unwrap().unwrap();
            let rep = bucket.rep();
            Request(state, rep)
        }
        fn bucket(&self) -> Resource<Bucket> {
            Resource::new_borrow(self.1)
        }
        fn get(&mut self, key: &str) -> Option<Vec<u8>> {
            let bucket = self.bucket();
            now(store::HostBucket::get(&mut self.0, bucket, key.into()))
                .unwrap()
                .unwrap()
        }
        /// `cas.new` and `cas.current`, as the guest's adapter reads past Spin's cache.
        fn cas(&mut self, key: &str) -> (Resource<Cas>, Option<Vec<u8>>) {
            let bucket = self.bucket();
            let cas = now(atomics::HostCas::new(&mut self.0, bucket, key.into()))
                .unwrap()
                .unwrap();
            let current = now(self.0.current(Resource::new_borrow(cas.rep())))
                .unwrap()
                .unwrap();
            (cas, current)
        }
        fn swap(&mut self, key: &str, value: &[u8]) {
            let (cas, _) = self.cas(key);
            assert!(matches!(
                now(self.0.swap(cas, value.to_vec())).unwrap(),
                Ok(())
            ));
        }
    }

    /// A store shared by requests, holding `k` = `v1`, and a connection to its file
    /// that writes past edge-host (as another process would), so that a value answered
    /// without a read shows.
    fn store() -> (TempDir, Shared, rusqlite::Connection) {
        let dir = TempDir::new("wasi-kv");
        let path = dir.path().join(DB_FILE_NAME);
        let shared = Shared {
            kv: Arc::new(KvStore::open(&path).unwrap()),
            vars: Arc::new(Variables::default()),
            web: "/nonexistent-web".into(),
        };
        shared.kv.set("default", "k", b"v1").unwrap();
        (dir, shared, rusqlite::Connection::open(&path).unwrap())
    }

    fn write_past_edge_host(conn: &rusqlite::Connection, key: &str, value: &[u8]) {
        conn.execute(
            "UPDATE spin_key_value SET value = ?1 WHERE store = 'default' AND key = ?2",
            rusqlite::params![value, key],
        )
        .unwrap();
    }

    #[test]
    fn a_cas_after_a_get_takes_the_value_read_until_edge_host_commits() {
        let (_dir, shared, outside) = store();
        let mut request = Request::new(&shared);
        assert_eq!(request.get("k").as_deref(), Some(&b"v1"[..]));
        write_past_edge_host(&outside, "k", b"outside");
        // Not read again: nothing was committed by edge-host since the get.
        assert_eq!(request.cas("k").1.as_deref(), Some(&b"v1"[..]));
        // Another key's value is read.
        assert_eq!(request.cas("other").1, None);
        // Any commit (here another request's, of another key) makes the next cas read.
        Request::new(&shared).swap("unrelated", b"x");
        assert_eq!(request.cas("k").1.as_deref(), Some(&b"outside"[..]));
    }

    #[test]
    fn a_read_back_after_a_swap_committed_alone_finds_it_until_edge_host_commits() {
        let (_dir, shared, outside) = store();
        let mut request = Request::new(&shared);
        request.swap("k", b"mine");
        write_past_edge_host(&outside, "k", b"outside");
        assert_eq!(request.cas("k").1.as_deref(), Some(&b"mine"[..]));
        shared.kv.set("default", "unrelated", b"x").unwrap();
        assert_eq!(request.cas("k").1.as_deref(), Some(&b"outside"[..]));
    }

    #[test]
    fn another_requests_write_after_a_get_is_what_the_next_cas_finds_and_swaps_against() {
        let (_dir, shared, _outside) = store();
        let mut first = Request::new(&shared);
        assert_eq!(first.get("k").as_deref(), Some(&b"v1"[..]));
        Request::new(&shared).swap("k", b"second");
        // The cas of the first request sees the second's write: a swap against it
        // would be a conditional write against what is stored, not against the get.
        assert_eq!(first.cas("k").1.as_deref(), Some(&b"second"[..]));
        // A cas made before that write fails to swap and hands back the value now stored.
        let mut third = Request::new(&shared);
        let (stale, _) = third.cas("k");
        Request::new(&shared).swap("k", b"fourth");
        match now(third.0.swap(stale, b"third".to_vec())).unwrap() {
            Err(CasError::CasFailed(retry)) => {
                let current = now(third.0.current(retry)).unwrap().unwrap();
                assert_eq!(current.as_deref(), Some(&b"fourth"[..]));
            }
            Ok(()) => panic!("a swap against a value no longer stored was written"),
            Err(CasError::StoreError(error)) => panic!("the store failed: {error:?}"),
        }
        assert_eq!(
            shared.kv.get("default", "k").unwrap().as_deref(),
            Some(&b"fourth"[..])
        );
    }
}
