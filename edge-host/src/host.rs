//! The per-request host state (the `T` of `Store<T>`) and what all requests share.

use crate::kv::{KvError, KvStore};
use crate::kv_writer::{Done, Mark, Write};
use crate::variables::Variables;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
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
    /// The web directory, preopened read-only at `/` for the component (as spin.toml's
    /// `files` mounts it on Spin).
    pub web: PathBuf,
}

/// Everything the host functions of one component instance can reach.
pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    pub(crate) limits: StoreLimits,
    pub(crate) shared: Shared,
    /// The key-value entry this request read or wrote last ([`crate::wasi_kv`]).
    pub(crate) kv_seen: Option<crate::wasi_kv::Seen>,
}

impl HostState {
    /// Fresh state for one request. The guest gets no environment or arguments, the web
    /// directory read-only at `/` (a missing directory: no files), and edge-host's
    /// stdout and stderr (as under `spin up`).
    pub fn new(shared: Shared) -> Self {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stdout().inherit_stderr();
        // A web directory that cannot be opened leaves the guest without files: the
        // API keeps working and pages answer 404 (logged once at start-up).
        let _ = wasi.preopened_dir(&shared.web, "/", FsPerms::ReadOnly);
        Self {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY_BYTES)
                .build(),
            shared,
            kv_seen: None,
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
    /// Runs a read of the key-value store on this thread — a read of the last commit
    /// from SQLite's page cache, microseconds, cheaper than handing it to another
    /// thread — and logs storage faults. The future is ready at once.
    pub(crate) fn kv<R: Send + 'static>(
        &self,
        operation: impl FnOnce(&KvStore) -> Result<R, KvError>,
    ) -> impl Future<Output = Result<R, KvError>> + Send + 'static {
        std::future::ready(logged(operation(&self.shared.kv)))
    }

    /// Commits a write — at once on this thread when no commit is under way, else in
    /// the next group ([`crate::kv_writer`]) — and waits for it without a thread of its
    /// own; logs storage faults.
    pub(crate) fn kv_write(
        &self,
        write: Write,
    ) -> impl Future<Output = Result<Done, KvError>> + Send + 'static {
        self.kv_commit(write).1
    }

    /// [`HostState::kv_write`], with the mark of a write committed at once, alone
    /// ([`KvStore::submit`]).
    pub(crate) fn kv_commit(
        &self,
        write: Write,
    ) -> (
        Option<Mark>,
        impl Future<Output = Result<Done, KvError>> + Send + 'static,
    ) {
        let (alone, pending) = self.shared.kv.submit(write);
        (alone, async move { logged(pending.await) })
    }
}

fn logged<R>(result: Result<R, KvError>) -> Result<R, KvError> {
    if let Err(error) = &result
        && error.is_storage_fault()
    {
        eprintln!("edge-host: key-value storage error: {error}");
    }
    result
}
