//! `cargo xtask`: the developer tasks of otp-edge.
//!
//! Every task first makes sure its prerequisites are installed, installing only what is
//! missing and saying what it installs (see [`install`]), then:
//!
//! - `build` — the edge-api component, the browser module into `web/pkg`, edge-host;
//! - `serve [-- ARGS]` — build, then run edge-host with ARGS (portal on
//!   <http://127.0.0.1:3000> by default);
//! - `test` — build, then every test suite, stopping at the first failure;
//! - `bench` — build, then benchmarks (otp-core, edge-host and Spin under load, sizes, page loads)
//!   into `BENCHMARKS.md`;
//! - `reseal --url URL` — key rotation: re-seal every shared secret of a running
//!   deployment under its current sealing key.

mod bench;
mod build;
mod error;
mod install;
mod process;
mod reseal;
mod serve;
mod sizes;
mod tally;
mod test;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::build::Part;
use crate::install::Needs;
use crate::workspace::Workspace;

/// Developer tasks for otp-edge.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

/// The tasks.
#[derive(Debug, Subcommand)]
enum Task {
    /// Build what is stale: edge-api (wasm32-wasip2), the browser module (web/pkg), edge-host.
    Build {
        /// Build only these parts (default: all).
        #[arg(value_enum)]
        parts: Vec<Part>,
    },
    /// Build, then run edge-host in the workspace root with ARGS (see `edge-host --help`).
    ///
    /// Without `--var seal_keys=…` in ARGS or SPIN_VARIABLE_SEAL_KEYS in the environment, a
    /// development sealing key is generated once into `<data-dir>/dev-seal-keys` and used.
    Serve {
        /// Arguments for edge-host, after `--`; relative paths are relative to the workspace root.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<String>,
    },
    /// Install what the tests need, build, then run every test suite.
    Test,
    /// Install oha and the browser tools, build, run every benchmark and write BENCHMARKS.md.
    Bench {
        /// Only edge-host under load: print its figures and lines, write nothing (for
        /// trying a change to edge-host).
        #[arg(long)]
        edge_host_only: bool,
    },
    /// Only check and install the prerequisites (all of them, as `test` needs).
    Install,
    /// Re-seal every account's shared secret under the current sealing key of the
    /// deployment at URL (key rotation), with the admin token from OTP_EDGE_ADMIN_TOKEN.
    Reseal {
        /// The deployment's base URL, e.g. `https://portal.example`.
        #[arg(long)]
        url: String,
        /// Continue a sweep from this cursor (printed by an interrupted run).
        #[arg(long)]
        after: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ws = Workspace::locate();
    let result = match cli.command {
        Task::Build { parts } => {
            install::ensure(&ws, Needs::Build).and_then(|()| build::build(&ws, &parts))
        }
        Task::Serve { args } => serve::serve(&ws, &args),
        Task::Test => test::test(&ws),
        Task::Bench { edge_host_only } => bench::bench(&ws, edge_host_only),
        Task::Install => install::ensure(&ws, Needs::Test),
        Task::Reseal { url, after } => reseal::reseal(&url, after),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
