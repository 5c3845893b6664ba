//! What the numbers were measured on: the machine, the date, the commit, and how busy
//! the machine was.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::bench::stats::Summary;
use crate::workspace::Workspace;

/// The rows of the machine table: date (UTC), commit (marked when the tree has
/// uncommitted changes other than to the report a previous run wrote), CPUs, CPU model,
/// memory and kernel.
pub fn probe(ws: &Workspace) -> Vec<(&'static str, String)> {
    let git = |args: &[&str]| output(Command::new("git").args(args).current_dir(&ws.root));
    let changes = [
        "status",
        "--porcelain",
        "--",
        ".",
        ":(exclude)BENCHMARKS.md",
    ];
    let commit = git(&["rev-parse", "--short", "HEAD"]).map(|c| match git(&changes) {
        Some(_) => format!("{c} (with uncommitted changes)"),
        None => c,
    });
    let memory = field("/proc/meminfo", "MemTotal")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / (1024.0 * 1024.0)));
    let cpus = std::thread::available_parallelism().map(|n| n.to_string());
    let date = output(Command::new("date").args(["-u", "+%F"]));
    [
        ("date (UTC)", date),
        ("commit", commit),
        ("CPUs (nproc)", cpus.ok()),
        ("CPU model", field("/proc/cpuinfo", "model name")),
        ("memory", memory),
        ("kernel", output(Command::new("uname").arg("-sr"))),
    ]
    .map(|(name, value)| (name, value.unwrap_or_else(|| "unknown".into())))
    .into()
}

/// The trimmed stdout of a command that succeeded, when not empty.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The value of the first `key : value` line of the /proc file `path`.
fn field(path: &str, key: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

/// Latency of `fsync` after overwriting 4 KiB of an existing file in `dir` — what a
/// SQLite commit in WAL mode with `synchronous=FULL` waits for (the WAL file is reused;
/// SQLite as bundled by rusqlite calls `fsync`) — over 20 tries, in nanoseconds.
pub fn fsync_latency(dir: &Path) -> Option<Summary> {
    use std::io::{Seek, SeekFrom, Write};
    const BLOCK: usize = 4096;
    fs::create_dir_all(dir).ok()?;
    let path = dir.join("fsync-probe");
    let mut file = fs::File::create(&path).ok()?;
    file.write_all(&[0u8; BLOCK * 64]).ok()?;
    file.sync_all().ok()?;
    let mut nanos = Vec::new();
    for i in 0..20 {
        file.seek(SeekFrom::Start(i % 64 * BLOCK as u64)).ok()?;
        file.write_all(&[0x5a_u8; BLOCK]).ok()?;
        let started = Instant::now();
        file.sync_all().ok()?;
        nanos.push(started.elapsed().as_nanos() as f64);
    }
    let _ = fs::remove_file(&path);
    Summary::of(nanos)
}

/// The 1-minute load average, from /proc/loadavg.
pub fn load_average() -> Option<f64> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Other heavy work on the machine that skews the numbers: running `cargo test`,
/// `cargo build`, `rustc` or `xtask test` processes not started by this run, by name.
pub fn competing_processes() -> Vec<String> {
    let me = std::process::id().to_string();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pids = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned());
    let pids = pids.filter(|pid| pid.parse::<u32>().is_ok() && *pid != me);
    let cmdline = |pid| fs::read(format!("/proc/{pid}/cmdline")).ok();
    let commands = pids.filter_map(cmdline);
    let mut found: Vec<String> = commands
        .filter_map(|c| competing(&String::from_utf8_lossy(&c)))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// A short name for a command line (`/proc/PID/cmdline`: arguments each ended by a NUL)
/// that competes for the CPUs, if it does.
fn competing(cmdline: &str) -> Option<String> {
    let mut args = cmdline.split('\0');
    let program = args.next()?.rsplit('/').next()?;
    match (program, args.next()) {
        ("xtask", Some("test")) => Some("cargo xtask test".into()),
        ("cargo", Some(sub @ ("test" | "build" | "bench" | "fuzz" | "+nightly"))) => {
            Some(format!("cargo {sub}"))
        }
        ("rustc", _) => Some("rustc".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let rows = probe(&Workspace::locate());
        assert_eq!(rows[0].1.len(), "2026-12-02".len());
        assert!(field("/proc/meminfo", "MemTotal").is_some());
        assert_eq!(field("/proc/meminfo", "no such field"), None);
    }

    #[test]
    fn recognises_competing_work() {
        let xtask_test = competing("target/debug/xtask\0test\0");
        assert_eq!(xtask_test.as_deref(), Some("cargo xtask test"));
        let cargo_test = competing("/root/.cargo/bin/cargo\0test\0--release\0");
        assert_eq!(cargo_test.as_deref(), Some("cargo test"));
        assert_eq!(competing("target/debug/xtask\0bench\0"), None);
        assert_eq!(competing("cargo\0xtask\0bench\0"), None);
        assert_eq!(competing("bash\0"), None);
    }
}
