//! The wasmtime side: one engine ([`crate::engine`]) and one pre-instantiated component
//! for the process, a fresh `Store` and instance for every request, at most as many at
//! once as the instance pool holds of this component ([`slots`]; a request beyond waits
//! for one).
//!
//! * The component is compiled once at start-up (with wasmtime's on-disk compilation
//!   cache, so a restart with an unchanged `.wasm` skips most of that work).
//! * Imports: WASI 0.2 (`wasmtime-wasi`), WASI HTTP incoming/outgoing
//!   (`wasmtime-wasi-http`, plain `http` and `https` to any host), and the Spin
//!   interfaces from [`crate::bindings`]. A component importing anything else is
//!   refused at start-up with the linker's message.
//! * Epoch interruption: a ticker thread advances the epoch every
//!   [`EPOCH_TICK`]; a running guest yields to the async runtime at each tick, so a
//!   busy guest cannot starve other requests, and a request that runs longer than
//!   [`REQUEST_TIMEOUT`] is stopped.

use crate::bindings::SpinImports;
use crate::engine::{new_engine, slots};
use crate::host::{HostState, Shared};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// How often the epoch advances (and a running guest yields).
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Longest time one request may keep the component busy.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the component could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The `.wasm` file does not exist.
    #[error(
        "component file {0} not found (build edge-api for wasm32-wasip2 first, or pass --component)"
    )]
    Missing(PathBuf),
    /// The engine could not be created.
    #[error("cannot set up wasmtime: {0}")]
    Engine(String),
    /// The file is not a valid component, or compiling it failed.
    #[error("cannot compile component {path}: {message}")]
    Compile {
        /// The component file.
        path: PathBuf,
        /// wasmtime's explanation.
        message: String,
    },
    /// The component imports something edge-host does not provide, or lacks the
    /// `wasi:http/incoming-handler` export.
    #[error("component {path} cannot run on edge-host: {message}")]
    Link {
        /// The component file.
        path: PathBuf,
        /// wasmtime's explanation.
        message: String,
    },
}

/// Why a request could not be answered by the component.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    /// The guest trapped or a host call failed fatally.
    #[error("{0}")]
    Trap(String),
    /// The guest returned without setting a response.
    #[error("the component returned without sending a response")]
    NoResponse,
    /// The guest answered with a `wasi:http` error code instead of a response.
    #[error("the component reported an error: {0:?}")]
    ErrorCode(ErrorCode),
    /// The request ran longer than [`REQUEST_TIMEOUT`].
    #[error("the component did not finish within {0:?}")]
    Timeout(Duration),
}

/// The compiled component, ready to be instantiated per request.
pub struct ComponentRuntime {
    pre: ProxyPre<HostState>,
    shared: Shared,
    /// Every guest task, including those still running after their response was sent
    /// (edge-api delivers e-mail and SMS after answering).
    guests: TaskTracker,
    /// One permit per instance slot, held by each guest until it ends.
    slots: Arc<Semaphore>,
}

impl ComponentRuntime {
    /// Compiles and links the component at `path`.
    pub fn load(path: &Path, shared: Shared) -> Result<Self, LoadError> {
        if !path.is_file() {
            return Err(LoadError::Missing(path.to_path_buf()));
        }
        let engine = new_engine().map_err(LoadError::Engine)?;
        let component = Component::from_file(&engine, path).map_err(|e| LoadError::Compile {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        })?;
        let link_error = |e: wasmtime::Error| LoadError::Link {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        };
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link_error)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(link_error)?;
        SpinImports::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(link_error)?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(ProxyPre::new)
            .map_err(link_error)?;
        start_epoch_ticker(&engine)?;
        Ok(Self {
            pre,
            shared,
            guests: TaskTracker::new(),
            slots: Arc::new(Semaphore::new(slots(
                component.resources_required().as_ref(),
            ))),
        })
    }

    /// Runs one request through a fresh instance of the component.
    ///
    /// Returns once the guest has sent the response head; the body keeps streaming
    /// from the guest, which runs on its own task until it is done.
    pub async fn handle<B>(
        &self,
        request: hyper::Request<B>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, GuestError>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| GuestError::Trap("the component runtime is shut down".into()))?;
        let mut store = Store::new(self.pre.engine(), HostState::new(self.shared.clone()));
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let trap = |e: wasmtime::Error| GuestError::Trap(format!("{e:#}"));
        let (request, response_out) = {
            let mut http = wasmtime_wasi_http::WasiHttpView::http(store.data_mut());
            let request = http
                .new_incoming_request(Scheme::Http, request.map(|body| body.map_err(Into::into)))
                .map_err(trap)?;
            (request, http.new_response_outparam(sender).map_err(trap)?)
        };
        let pre = self.pre.clone();
        let task = self.guests.spawn(async move {
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, request, response_out)
                    .await
            };
            let result = match tokio::time::timeout(REQUEST_TIMEOUT, run).await {
                Ok(result) => result.map_err(trap),
                Err(_) => Err(GuestError::Timeout(REQUEST_TIMEOUT)),
            };
            // The instance is gone with the store: its slot is free again.
            drop(store);
            drop(slot);
            result
        });

        // If the client goes away before the response head is ready, hyper drops this
        // future: stop the guest then too.
        let mut task = AbortOnDrop {
            handle: task,
            armed: true,
        };
        match receiver.await {
            Ok(Ok(response)) => {
                // From here on the guest streams the body (and may keep working after it):
                // let it run to the end.
                task.armed = false;
                Ok(response)
            }
            Ok(Err(code)) => Err(GuestError::ErrorCode(code)),
            // The guest dropped the response-outparam: find out why from its task.
            Err(_) => Err(match (&mut task.handle).await {
                Ok(Ok(())) => GuestError::NoResponse,
                Ok(Err(error)) => error,
                Err(join) => GuestError::Trap(format!("guest task failed: {join}")),
            }),
        }
    }
}

impl ComponentRuntime {
    /// Completes when no guest is running any more (call after the last request has
    /// been accepted: guests finishing work after their response count too).
    pub async fn wait_idle(&self) {
        self.guests.close();
        self.guests.wait().await;
    }

    /// How many guests are running.
    pub fn running(&self) -> usize {
        self.guests.len()
    }
}

/// A guest task that is aborted when dropped, unless released first.
struct AbortOnDrop<T> {
    handle: tokio::task::JoinHandle<T>,
    armed: bool,
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if self.armed {
            self.handle.abort();
        }
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped. A
/// plain thread, so it keeps ticking even when every async worker runs guest code.
fn start_epoch_ticker(engine: &Engine) -> Result<(), LoadError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
        .map_err(|e| LoadError::Engine(format!("cannot start the epoch ticker thread: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::KvStore;
    use crate::test_util::TempDir;
    use crate::variables::Variables;
    use std::sync::Arc;

    fn shared() -> Shared {
        Shared {
            kv: Arc::new(KvStore::open_in_memory().unwrap()),
            vars: Arc::new(Variables::default()),
            web: std::path::PathBuf::from("/nonexistent-web"),
        }
    }

    #[test]
    fn missing_component_is_a_clear_error() {
        let err = ComponentRuntime::load(Path::new("/no/such/edge_api.wasm"), shared())
            .err()
            .unwrap();
        assert!(matches!(err, LoadError::Missing(_)));
        assert!(
            err.to_string().contains("/no/such/edge_api.wasm not found"),
            "{err}"
        );
    }

    #[test]
    fn invalid_component_is_a_clear_error() {
        let dir = TempDir::new("runtime");
        let path = dir.path().join("bad.wasm");
        std::fs::write(&path, b"not wasm").unwrap();
        let err = ComponentRuntime::load(&path, shared()).err().unwrap();
        assert!(matches!(err, LoadError::Compile { .. }), "{err}");
        // A core module is not a component either.
        std::fs::write(&path, b"\0asm\x01\0\0\0").unwrap();
        let err = ComponentRuntime::load(&path, shared()).err().unwrap();
        assert!(matches!(err, LoadError::Compile { .. }), "{err}");
    }
}
