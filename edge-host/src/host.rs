//! The per-request host state (the `T` of `Store<T>`) and what all requests share.

use crate::kv::{KvError, KvStore};
use crate::variables::Variables;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Largest linear memory one instance may grow to.
pub const MAX_MEMORY_BYTES: usize = 512 << 20;

/// State shared by every request: the key-value store and the variables.
#[derive(Clone)]
pub struct Shared {
    /// The SQLite key-value store.
    pub kv: Arc<KvStore>,
    /// The Spin variables.
    pub vars: Arc<Variables>,
}

/// Everything the host functions of one component instance can reach.
pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    pub(crate) limits: StoreLimits,
    pub(crate) shared: Shared,
}

impl HostState {
    /// Fresh state for one request. The guest gets no environment, arguments or files;
    /// its stdout and stderr go to edge-host's (as under `spin up`).
    pub fn new(shared: Shared) -> Self {
        Self {
            table: ResourceTable::new(),
            wasi: WasiCtxBuilder::new()
                .inherit_stdout()
                .inherit_stderr()
                .build(),
            http: WasiHttpCtx::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY_BYTES)
                .build(),
            shared,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            // Default hooks: outgoing requests over http and https, to any host.
            hooks: Default::default(),
        }
    }
}

impl HostState {
    /// Runs a key-value operation on a blocking thread (SQLite calls may wait on the disk
    /// for an fsync) and logs storage faults. The future does not borrow `self`.
    pub(crate) fn kv<R: Send + 'static>(
        &self,
        operation: impl FnOnce(&KvStore) -> Result<R, KvError> + Send + 'static,
    ) -> impl Future<Output = Result<R, KvError>> + Send + 'static {
        let kv = Arc::clone(&self.shared.kv);
        async move {
            let result = tokio::task::spawn_blocking(move || operation(&kv))
                .await
                .unwrap_or_else(|join| Err(KvError::Worker(join.to_string())));
            if let Err(error) = &result
                && error.is_storage_fault()
            {
                eprintln!("edge-host: key-value storage error: {error}");
            }
            result
        }
    }
}
