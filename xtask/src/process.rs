//! Running external commands: announce, run, and turn failures into [`Error`]s.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::error::{Error, Result};

/// Prints a step line (`==> …`) on stderr, where cargo prints its own progress.
pub fn announce(message: impl std::fmt::Display) {
    eprintln!("==> {message}");
}

/// A `cargo` command: the cargo that runs xtask (`$CARGO`), or `cargo` from `PATH`.
pub fn cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The command line of `cmd` as a user would type it (environment set on it first).
pub fn display(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    let program = Path::new(cmd.get_program());
    // `$CARGO` is an absolute path into the toolchain; `cargo` reads better.
    let program = match program.file_name() {
        Some(name) if program.is_absolute() && name == "cargo" => name,
        _ => program.as_os_str(),
    };
    parts.push(quote(program));
    parts.extend(cmd.get_args().map(quote));
    parts.join(" ")
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited stdio; `what` names the purpose for the error message.
pub fn run(what: &str, cmd: &mut Command) -> Result<()> {
    let command = display(cmd);
    let status = cmd.status().map_err(|source| spawn_error(cmd, source))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            what: what.to_owned(),
            command,
            status,
        })
    }
}

/// Runs `cmd` capturing stdout and stderr; a failed exit is *not* an error here.
pub fn output(cmd: &mut Command) -> Result<Output> {
    cmd.output().map_err(|source| spawn_error(cmd, source))
}

/// Whether `cmd` runs and exits successfully, with its output discarded.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.output().is_ok_and(|o| o.status.success())
}

fn spawn_error(cmd: &Command, source: std::io::Error) -> Error {
    let command = display(cmd);
    if source.kind() == std::io::ErrorKind::NotFound {
        Error::MissingProgram {
            program: cmd.get_program().to_string_lossy().into_owned(),
            hint: format!("needed to run `{command}`"),
        }
    } else {
        Error::Spawn { command, source }
    }
}

/// The full path of `program` found on `PATH`, if any.
pub fn find_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| {
            path.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Whether the current process runs as root (then no `sudo` is needed).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self is owned by the effective user of the reading process.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_needs_it() {
        let mut cmd = Command::new("wasm-opt");
        cmd.args(["-Oz", "a b.wasm", "it's"]).env("X", "1");
        assert_eq!(display(&cmd), r"X=1 wasm-opt -Oz 'a b.wasm' 'it'\''s'");
    }
}
