//! Command-line interface.

use crate::variables::VarAssignment;
use clap::Parser;
use std::path::PathBuf;

/// Runs the otp-edge edge-api component locally: WASI HTTP on wasmtime, Spin key-value
/// (SQLite) and variables, and the static web pages.
#[derive(Debug, Parser)]
#[command(name = "edge-host", version)]
pub struct Cli {
    /// Address to listen on (`HOST:PORT`; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub listen: String,

    /// Directory for the key-value database (`sqlite_key_value.db`); created if missing.
    #[arg(long, value_name = "DIR", default_value = ".otp-edge")]
    pub data_dir: PathBuf,

    /// The edge-api component (`.wasm`, built for wasm32-wasip2).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "target/wasm32-wasip2/wasm-release/edge_api.wasm"
    )]
    pub component: PathBuf,

    /// Directory served for every path outside `/api/`.
    #[arg(long, value_name = "DIR", default_value = "web")]
    pub web: PathBuf,

    /// A Spin variable (repeatable). Overrides `--var-file` and the environment
    /// (`SPIN_VARIABLE_<NAME>=VALUE`).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<VarAssignment>,

    /// A file of Spin variables, one `name=value` per line (`#` starts a comment).
    /// Overrides the environment.
    #[arg(long, value_name = "FILE")]
    pub var_file: Option<PathBuf>,

    /// Seconds a client may take to send a request's headers — counted from the first
    /// byte, or from the end of the previous answer on a kept-alive connection — before
    /// the connection is closed (slow clients).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,

    /// Seconds one request may take once its headers are in, body included; then it is
    /// answered 408 and the connection closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
}

impl Cli {
    /// The connection limits given.
    pub fn limits(&self) -> crate::server::Limits {
        crate::server::Limits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout),
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["edge-host"]).unwrap();
        assert_eq!(cli.listen, "127.0.0.1:3000");
        assert_eq!(cli.data_dir, PathBuf::from(".otp-edge"));
        assert_eq!(
            cli.component,
            PathBuf::from("target/wasm32-wasip2/wasm-release/edge_api.wasm")
        );
        assert_eq!(cli.web, PathBuf::from("web"));
        assert!(cli.vars.is_empty() && cli.var_file.is_none());
        assert_eq!(
            (cli.header_timeout, cli.request_timeout, cli.max_connections),
            (10, 30, 1024)
        );
    }

    #[test]
    fn repeated_vars_and_bad_syntax() {
        let cli = Cli::try_parse_from([
            "edge-host",
            "--var",
            "issuer=Example",
            "--var=admin_token=a=b",
        ])
        .unwrap();
        let pairs: Vec<_> = cli
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(pairs, [("issuer", "Example"), ("admin_token", "a=b")]);
        let err = Cli::try_parse_from(["edge-host", "--var", "novalue"]).unwrap_err();
        assert!(err.to_string().contains("expected NAME=VALUE"), "{err}");
        let err = Cli::try_parse_from(["edge-host", "--var", "Bad=1"]).unwrap_err();
        assert!(err.to_string().contains("invalid variable name"), "{err}");
    }
}
