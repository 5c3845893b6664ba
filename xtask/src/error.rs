//! The one error type of xtask: every environment problem ends here with a message that
//! says what to do, never in a panic.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Result with the xtask [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can stop a task.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A program the task needs is not on `PATH` and xtask cannot install it.
    #[error("`{program}` was not found on PATH: {hint}")]
    MissingProgram {
        /// The command name looked up.
        program: String,
        /// What the user can do about it.
        hint: String,
    },
    /// A command could not be started at all.
    #[error("could not start `{command}`: {source}")]
    Spawn {
        /// The command line, for the message.
        command: String,
        /// Why the operating system refused.
        #[source]
        source: io::Error,
    },
    /// A command ran and exited unsuccessfully.
    #[error("{what} failed: `{command}` exited with {status}")]
    CommandFailed {
        /// What the command was for ("building edge-api", ...).
        what: String,
        /// The command line, for the message.
        command: String,
        /// How it ended.
        status: ExitStatus,
    },
    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A project file does not say what xtask needs (e.g. the wasm-bindgen pin).
    #[error("{0}")]
    Project(String),
    /// The operating system gave no random bytes (for a development key).
    #[error("the operating system gave no random bytes: {0}")]
    Random(getrandom::Error),
    /// An installation ran but the tool is still not as required afterwards.
    #[error("{0}")]
    Install(String),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
