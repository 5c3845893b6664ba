//! `cargo xtask serve [-- ARGS]`: build, then replace this process with
//! `target/release/edge-host ARGS` (so Ctrl-C and SIGTERM reach edge-host directly).
//!
//! edge-host runs in the workspace root, so its defaults (`--data-dir .otp-edge/`,
//! `--component target/…/edge_api.wasm`, `--web web`) and relative paths in ARGS resolve
//! there. When neither ARGS (`--var seal_keys=…`, `--var-file`) nor the environment
//! (`SPIN_VARIABLE_SEAL_KEYS`) gives a sealing key, a development key is generated once
//! into `<data-dir>/dev-seal-keys` (mode 0600) and passed as `--var seal_keys=dev:…`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::build::{self, Part};
use crate::error::{Error, Result};
use crate::install::{self, Needs};
use crate::process::{announce, display};
use crate::workspace::Workspace;

/// The Spin variable holding the sealing keys.
const SEAL_KEYS_VAR: &str = "seal_keys";
/// The environment variable Spin (and edge-host) read `seal_keys` from.
const SEAL_KEYS_ENV: &str = "SPIN_VARIABLE_SEAL_KEYS";
/// edge-host's default data directory.
const DEFAULT_DATA_DIR: &str = ".otp-edge";
/// The file holding the development key inside the data directory.
const DEV_KEY_FILE: &str = "dev-seal-keys";
/// Key id of the development key.
const DEV_KEY_ID: &str = "dev";

/// Builds what is stale, then execs edge-host with `args`. Returns only on error.
pub fn serve(ws: &Workspace, args: &[String]) -> Result<()> {
    install::ensure(ws, Needs::Build)?;
    build::build(ws, &Part::ALL)?;

    let mut args = args.to_vec();
    let key_in_env = std::env::var_os(SEAL_KEYS_ENV).is_some_and(|v| !v.is_empty());
    if !key_in_env && !sets_var(&ws.root, &args, SEAL_KEYS_VAR) {
        let key_file = ws.root.join(data_dir(&args)).join(DEV_KEY_FILE);
        let value = dev_seal_keys(&key_file)?;
        warn_dev_key(&key_file);
        args.extend(["--var".to_owned(), format!("{SEAL_KEYS_VAR}={value}")]);
    }
    let shown: Vec<String> = args.iter().map(|a| redact(a, SEAL_KEYS_VAR)).collect();
    announce(format!(
        "starting edge-host: {}",
        display(Command::new("target/release/edge-host").args(&shown))
    ));
    let mut cmd = Command::new(ws.edge_host_bin());
    cmd.current_dir(&ws.root).args(&args);
    let error = cmd.exec();
    Err(Error::Spawn {
        command: ws.edge_host_bin().display().to_string(),
        source: error,
    })
}

/// Whether `args` set the Spin variable `name`: with `--var name=…` (or `--var=name=…`),
/// or in a `--var-file` (relative to `root`). An unreadable variable file counts as
/// setting it, so that edge-host reports the file rather than a key being made up.
fn sets_var(root: &Path, args: &[String], name: &str) -> bool {
    let prefix = format!("{name}=");
    option_values(args, "--var").any(|v| v.starts_with(&prefix))
        || option_values(args, "--var-file").any(|file| {
            fs::read_to_string(root.join(file)).map_or(true, |text| {
                text.lines()
                    .filter_map(|line| line.split_once('='))
                    .any(|(key, _)| key.trim() == name)
            })
        })
}

/// The data directory `args` choose, or edge-host's default.
fn data_dir(args: &[String]) -> PathBuf {
    option_values(args, "--data-dir")
        .last()
        .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from)
}

/// The values of a long option given as `--opt value` or `--opt=value`.
fn option_values<'a>(args: &'a [String], option: &'a str) -> impl Iterator<Item = &'a str> {
    args.iter().enumerate().filter_map(move |(i, arg)| {
        if arg == option {
            args.get(i + 1).map(String::as_str)
        } else {
            arg.strip_prefix(option)?.strip_prefix('=')
        }
    })
}

/// The development `seal_keys` value kept in `key_file`, created on first use.
fn dev_seal_keys(key_file: &Path) -> Result<String> {
    match fs::read_to_string(key_file) {
        Ok(text) => {
            let value = text.trim().to_owned();
            check_dev_value(&value).map_err(|why| {
                Error::Project(format!(
                    "{} is not a development key ({why}); delete it to get a new one \
                     (data sealed with the old key will no longer open)",
                    key_file.display()
                ))
            })?;
            Ok(value)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_dev_key(key_file),
        Err(e) => Err(Error::io("reading", key_file, e)),
    }
}

fn create_dev_key(key_file: &Path) -> Result<String> {
    if let Some(dir) = key_file.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io("creating", dir, e))?;
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(Error::Random)?;
    let value = format!("{DEV_KEY_ID}:{}", BASE64.encode(key));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(key_file)
        .map_err(|e| Error::io("creating", key_file, e))?;
    writeln!(file, "{value}").map_err(|e| Error::io("writing", key_file, e))?;
    announce(format!(
        "generated a development sealing key in {}",
        key_file.display()
    ));
    Ok(value)
}

/// Checks that `value` is `dev:<base64 of 32 bytes>`.
fn check_dev_value(value: &str) -> Result<(), String> {
    let key = value
        .strip_prefix(DEV_KEY_ID)
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(|| format!("expected `{DEV_KEY_ID}:<base64>`"))?;
    match BASE64.decode(key) {
        Ok(bytes) if bytes.len() == 32 => Ok(()),
        Ok(bytes) => Err(format!("the key is {} bytes, not 32", bytes.len())),
        Err(e) => Err(format!("the key is not base64: {e}")),
    }
}

fn warn_dev_key(key_file: &Path) {
    let bar = "!".repeat(78);
    eprintln!("{bar}");
    eprintln!("!! DEVELOPMENT SEALING KEY IN USE ({})", key_file.display());
    eprintln!("!! Secrets stored by this server are sealed with a key kept in plain text on");
    eprintln!("!! this machine. Fine for local development, never for real accounts: set");
    eprintln!("!! `--var seal_keys=KID:BASE64KEY` or {SEAL_KEYS_ENV} in any deployment.");
    eprintln!("{bar}");
}

/// `arg` with the value of the variable `name` cut off, so keys stay out of logs.
fn redact(arg: &str, name: &str) -> String {
    let marker = format!("{name}=");
    match arg.find(&marker) {
        Some(i) => format!("{}{marker}…", &arg[..i]),
        None => arg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_seal_keys_in_both_spellings() {
        let root = Path::new("/");
        assert!(sets_var(
            root,
            &args(&["--var", "seal_keys=a:b"]),
            "seal_keys"
        ));
        assert!(sets_var(root, &args(&["--var=seal_keys=a:b"]), "seal_keys"));
        assert!(!sets_var(root, &args(&["--var", "issuer=x"]), "seal_keys"));
        assert!(!sets_var(root, &args(&["--var"]), "seal_keys"));
        assert!(!sets_var(root, &args(&["seal_keys=a:b"]), "seal_keys"));
    }

    #[test]
    fn finds_seal_keys_in_a_var_file() {
        let dir = std::env::temp_dir().join(format!("xtask-varfile-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("with"), "# keys\nissuer=x\n seal_keys = k:abc\n").unwrap();
        fs::write(dir.join("without"), "issuer=x\n# seal_keys=k:abc\n").unwrap();
        assert!(sets_var(&dir, &args(&["--var-file", "with"]), "seal_keys"));
        assert!(!sets_var(&dir, &args(&["--var-file=without"]), "seal_keys"));
        assert!(sets_var(
            &dir,
            &args(&["--var-file", "missing"]),
            "seal_keys"
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn data_dir_defaults_and_overrides() {
        assert_eq!(data_dir(&args(&[])), PathBuf::from(".otp-edge"));
        assert_eq!(
            data_dir(&args(&["--data-dir", "/tmp/x", "--data-dir=/tmp/y"])),
            PathBuf::from("/tmp/y")
        );
    }

    #[test]
    fn dev_key_is_created_once_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("xtask-devkey-{}", std::process::id()));
        let file = dir.join("data").join(DEV_KEY_FILE);
        let first = dev_seal_keys(&file).unwrap();
        assert!(check_dev_value(&first).is_ok(), "{first}");
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(dev_seal_keys(&file).unwrap(), first);
        fs::write(&file, "dev:c2hvcnQ=\n").unwrap();
        assert!(dev_seal_keys(&file).is_err(), "a 5-byte key is refused");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn redacts_the_key_value() {
        assert_eq!(redact("seal_keys=dev:SECRET", "seal_keys"), "seal_keys=…");
        assert_eq!(
            redact("--var=seal_keys=k:S", "seal_keys"),
            "--var=seal_keys=…"
        );
        assert_eq!(redact("issuer=x", "seal_keys"), "issuer=x");
    }
}
