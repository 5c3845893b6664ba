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

fn to_error(error: KvError) -> Error {
    Error::Other(error.to_string())
}

impl HostState {
    fn bucket_label(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<String> {
        Ok(self.table.get(bucket)?.label.clone())
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
        Ok(self
            .kv(move |kv| kv.get(&label, &key))
            .await
            .map_err(to_error))
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
        let outcome = self
            .kv_write(Write::CompareAndSwap {
                store: label.clone(),
                key: key.clone(),
                expected,
                new: value,
            })
            .await;
        match outcome {
            Ok(Done::Swap(CasOutcome::Swapped)) => Ok(Ok(())),
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
