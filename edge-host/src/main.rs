//! edge-host: the local runtime for the otp-edge `edge-api` component.
//!
//! Runs the very `.wasm` that production runs on Spin: wasmtime with WASI 0.2 and WASI
//! HTTP, plus host implementations of the Spin interfaces the component imports —
//! key-value (`wasi:keyvalue@0.2.0-draft2` store, atomics and batch, stored in SQLite
//! like Spin's default store) and variables (`fermyon:spin/variables@2.0.0`, and the
//! same values as `wasi:config/store`). Spin's older `fermyon:spin/key-value` is not
//! provided: edge-api does not import it (it needs compare-and-swap).
//! Requests under `/api/` go to the component; everything else is served from the web
//! directory; `GET /_dev/outbox` lists the development outbox.
//!
//! Start-up: resolve variables, open the data directory and the database, bind the
//! listening socket, compile the component, then print exactly one line
//! `otp-edge listening on http://ADDR` on stdout. Each request logs one line on stderr.
//! SIGINT or SIGTERM stops accepting, lets in-flight requests — and guests still working
//! after their response, such as edge-api's e-mail delivery — finish (up to 5 s),
//! closes the database and exits 0. Start-up errors print one message and exit 1
//! (2 for command-line syntax errors, from clap).
//!
//! Decisions, where Spin has a manifest and edge-host has none:
//! * every key-value store label is allowed (Spin allows only those listed in
//!   `key_value_stores`), all in one SQLite file `<data-dir>/sqlite_key_value.db`,
//!   which the process holds for itself while it runs (a second edge-host on the same
//!   data directory refuses to start, [`kv::VFS`]);
//! * every valid variable name may be read; unset ones are `undefined` (Spin would
//!   apply the manifest's defaults — edge-api treats unset and empty alike);
//! * outbound HTTP may reach any host, over `http` or `https` (Spin checks
//!   `allowed_outbound_hosts`), so tests can run stand-in providers on 127.0.0.1;
//! * the component gets Spin's request headers for route `/api/...`, appended after the
//!   client's own as Spin appends them (a client's `spin-*` headers come first);
//! * a request may keep the component busy for 60 s at most; a guest trap or timeout
//!   is a 500 `{"error":"internal_error",...}` plus a log line; a client that leaves
//!   before its response stops the guest and is logged with status 499.

#![warn(missing_docs)]

mod access_log;
mod bindings;
mod cli;
mod engine;
mod host;
mod kv;
mod kv_writer;
mod runtime;
mod server;
mod spin_vars;
#[cfg(test)]
mod test_util;
mod variables;
mod wasi_kv;

use clap::Parser;
use cli::Cli;
use host::Shared;
use kv::{KvError, KvStore};
use runtime::{ComponentRuntime, LoadError};
use server::App;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use variables::{VarSyntaxError, Variables};

/// Why edge-host could not start.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("{0}")]
    Variables(#[from] VarSyntaxError),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open key-value database {path}: {source}")]
    Database { path: PathBuf, source: KvError },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    #[error("{0}")]
    Component(#[from] LoadError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(StartError::Runtime)
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("edge-host: error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), StartError> {
    // Checked again when loading; this reports the commonest mistake before anything
    // is created on disk.
    if !cli.component.is_file() {
        return Err(LoadError::Missing(cli.component.clone()).into());
    }
    let file_vars = match &cli.var_file {
        Some(path) => variables::read_var_file(path)?,
        None => Vec::new(),
    };
    let (mut vars, warnings) = Variables::resolve(
        std::env::vars_os(),
        [file_vars.as_slice(), cli.vars.as_slice()],
    );
    for warning in warnings {
        eprintln!("edge-host: warning: {warning}");
    }
    warn_if_development_mode(&vars);
    if vars.get("captcha_verify_url").is_ok_and(|v| !v.is_empty())
        && vars.get("captcha_site_key").map_or(true, |v| v.is_empty())
    {
        eprintln!(
            "edge-host: warning: captcha_verify_url is set but captcha_site_key is not: \
             the recovery page cannot show the CAPTCHA, so recovery cannot finish"
        );
    }

    // Bind before the (slow) compile so a busy port is reported at once.
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: cli.listen.clone(),
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: cli.listen.clone(),
        source,
    })?;
    // Links in e-mails point at this server unless the operator says otherwise.
    vars.set_default("public_base_url", format!("http://{local_addr}"));
    std::fs::create_dir_all(&cli.data_dir).map_err(|source| StartError::DataDir {
        path: cli.data_dir.clone(),
        source,
    })?;
    let db_path = cli.data_dir.join(kv::DB_FILE_NAME);
    let kv = KvStore::open(&db_path).map_err(|source| StartError::Database {
        path: db_path.clone(),
        source,
    })?;
    if !cli.web.is_dir() {
        eprintln!(
            "edge-host: warning: web directory {} does not exist: the API answers, pages are \
             404 (`cargo xtask build web` builds the browser module into web/pkg)",
            cli.web.display()
        );
    }

    let shared = Shared {
        kv: Arc::new(kv),
        vars: Arc::new(vars),
        web: cli.web.clone(),
    };
    let shutdown = shutdown_signal().map_err(StartError::Signals)?;

    let component_path = cli.component.clone();
    let runtime_shared = shared.clone();
    let runtime = tokio::task::spawn_blocking(move || {
        ComponentRuntime::load(&component_path, runtime_shared)
    })
    .await
    .map_err(|join| LoadError::Engine(join.to_string()))??;

    let app = Arc::new(App {
        limits: cli.limits(),
        runtime,
        default_host: local_addr.to_string(),
    });
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "otp-edge listening on http://{local_addr}");
        let _ = stdout.flush();
    }

    let abandoned = server::serve(listener, app, shutdown).await;
    if abandoned > 0 {
        eprintln!(
            "edge-host: {abandoned} connection(s) still busy after the grace period were closed"
        );
    }
    close_database(shared.kv).await;
    eprintln!("edge-host: stopped");
    Ok(())
}

/// Closes the database once the last request holding it is gone (aborted guests
/// release it within a few milliseconds). Every committed write is already on disk
/// (WAL, synchronous=FULL); closing just checkpoints the log into the main file.
async fn close_database(mut kv: Arc<KvStore>) {
    eprintln!(
        "edge-host: key-value: {} writes in {} flushes (group commit)",
        kv.writes(),
        kv.commits()
    );
    for _ in 0..200 {
        match Arc::try_unwrap(kv) {
            Ok(store) => {
                if let Err(error) = store.close() {
                    eprintln!("edge-host: closing the key-value database: {error}");
                }
                return;
            }
            Err(still_shared) => kv = still_shared,
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    eprintln!("edge-host: key-value database still in use at exit; it closes with the process");
}

/// Variables that, when all unset, put edge-api into development mode.
const PROVIDER_VARIABLES: &[&str] = &[
    "email_provider_url",
    "sms_provider_url",
    "captcha_verify_url",
];

/// Says loudly when edge-api will run in its development mode (providers not set).
fn warn_if_development_mode(vars: &Variables) {
    let unset: Vec<&str> = PROVIDER_VARIABLES
        .iter()
        .copied()
        .filter(|name| vars.get(name).map_or(true, |value| value.is_empty()))
        .collect();
    if !unset.is_empty() {
        eprintln!(
            "edge-host: WARNING: DEVELOPMENT MODE — {} not set: with a loopback \
             public_base_url, edge-api writes e-mail and SMS to the local outbox (stdout \
             and GET /_dev/outbox) and its CAPTCHA accepts only the test token. Never \
             expose this server to real users.",
            unset.join(", ")
        );
    }
}

/// Installs the SIGINT and SIGTERM handlers now; the future completes on either.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
