//! `fermyon:spin/key-value@2.0.0` (what `spin_sdk::key_value::Store` uses), over the
//! shared SQLite store.
//!
//! Any non-empty label opens a store; `default` is the one Spin always defines.

use crate::bindings::fermyon::spin::key_value::{Error, Host, HostStore};
use crate::host::HostState;
use crate::kv::KvError;
use crate::outbox;
use wasmtime::component::Resource;

/// An open store, as held in the resource table.
pub struct SpinStore {
    label: String,
}

fn to_error(error: KvError) -> Error {
    Error::Other(error.to_string())
}

impl HostState {
    fn spin_label(&self, store: &Resource<SpinStore>) -> wasmtime::Result<String> {
        Ok(self.table.get(store)?.label.clone())
    }
}

impl HostStore for HostState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<SpinStore>, Error>> {
        if label.is_empty() {
            return Ok(Err(Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(SpinStore { label })?))
    }

    async fn get(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let label = self.spin_label(&store)?;
        Ok(self
            .kv(move |kv| kv.get(&label, &key))
            .await
            .map_err(to_error))
    }

    async fn set(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.spin_label(&store)?;
        let written = self
            .kv(move |kv| kv.set(&label, &key, &value).map(|()| (label, key, value)))
            .await;
        Ok(written
            .map(|(label, key, value)| outbox::echo_if_outbox(&label, &key, &value))
            .map_err(to_error))
    }

    async fn delete(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        let label = self.spin_label(&store)?;
        Ok(self
            .kv(move |kv| kv.delete(&label, &key))
            .await
            .map_err(to_error))
    }

    async fn exists(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let label = self.spin_label(&store)?;
        Ok(self
            .kv(move |kv| kv.exists(&label, &key))
            .await
            .map_err(to_error))
    }

    async fn get_keys(
        &mut self,
        store: Resource<SpinStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let label = self.spin_label(&store)?;
        Ok(self.kv(move |kv| kv.keys(&label)).await.map_err(to_error))
    }

    async fn drop(&mut self, store: Resource<SpinStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl Host for HostState {}
