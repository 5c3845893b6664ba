//! What the numbers were measured on: the machine, the date, the commit, and how busy
//! the machine was.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::bench::stats::Summary;
use crate::workspace::Workspace;

/// The machine, date and commit of a benchmark run.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs available to this process.
    pub cpus: String,
    /// Total memory.
    pub memory: String,
    /// The CPU model from /proc/cpuinfo.
    pub cpu_model: String,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The short commit, marked when the tree has uncommitted changes.
    pub commit: String,
    /// The kernel (`uname -sr`).
    pub kernel: String,
}

impl Machine {
    /// Looks at this machine and at the workspace's git state.
    pub fn probe(ws: &Workspace) -> Self {
        let unknown = || "unknown".to_owned();
        let cpus =
            std::thread::available_parallelism().map_or_else(|_| unknown(), |n| n.to_string());
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = field(&meminfo, "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or_else(unknown, |kib| {
                format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
            });
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = field(&cpuinfo, "model name").map_or_else(unknown, str::to_owned);
        let kernel = command_line_output(Command::new("uname").arg("-sr")).unwrap_or_else(unknown);
        Machine {
            cpus,
            memory,
            cpu_model,
            date: utc_date(unix_now()),
            commit: git_commit(ws).unwrap_or_else(unknown),
            kernel,
        }
    }
}

/// Latency of `fsync` after overwriting 4 KiB of an existing file in `dir` — what a
/// SQLite commit in WAL mode with `synchronous=FULL` waits for (the WAL file is reused;
/// SQLite as bundled by rusqlite calls `fsync`) — over 20 tries, in nanoseconds.
pub fn fsync_latency(dir: &Path) -> Option<Summary> {
    use std::io::{Seek, SeekFrom, Write};
    const BLOCK: usize = 4096;
    const BLOCKS: u64 = 64;
    fs::create_dir_all(dir).ok()?;
    let path = dir.join("fsync-probe");
    let mut file = fs::File::create(&path).ok()?;
    file.write_all(&vec![0u8; BLOCK * BLOCKS as usize]).ok()?;
    file.sync_all().ok()?;
    let block = [0x5a_u8; BLOCK];
    let mut nanos = Vec::new();
    for i in 0..20 {
        file.seek(SeekFrom::Start(i % BLOCKS * BLOCK as u64)).ok()?;
        file.write_all(&block).ok()?;
        let started = Instant::now();
        file.sync_all().ok()?;
        nanos.push(started.elapsed().as_nanos() as f64);
    }
    drop(file);
    let _ = fs::remove_file(&path);
    Summary::of(&nanos)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The 1-minute load average, from /proc/loadavg.
pub fn load_average() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Other heavy work on the machine that skews the numbers: running `cargo test`,
/// `cargo build`, `rustc` or `xtask test` processes not started by this run.
pub fn competing_processes() -> Vec<String> {
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            if pid == me {
                return None;
            }
            let raw = fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            competing(&args)
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// A short name for a command line that competes for the CPUs, if it does.
fn competing(args: &[String]) -> Option<String> {
    let program = args.first()?.rsplit('/').next()?;
    let second = args.get(1).map(String::as_str);
    match (program, second) {
        ("xtask", Some("test")) => Some("cargo xtask test".into()),
        ("cargo", Some(sub @ ("test" | "build" | "bench" | "fuzz" | "+nightly"))) => {
            Some(format!("cargo {sub}"))
        }
        ("rustc", _) => Some("rustc".into()),
        _ => None,
    }
}

/// The value of the first `key : value` line of a /proc file.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// The trimmed stdout of a command that succeeded.
fn command_line_output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// `git rev-parse --short HEAD`, marked when the tree has uncommitted changes.
fn git_commit(ws: &Workspace) -> Option<String> {
    let git =
        |args: &[&str]| command_line_output(Command::new("git").args(args).current_dir(&ws.root));
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit} (with uncommitted changes)")
    } else {
        commit
    })
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the civil-from-days algorithm.
pub fn utc_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_767_225_599), "2025-12-31");
    }

    #[test]
    fn proc_fields() {
        let text = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n";
        assert_eq!(field(text, "model name"), Some("Some CPU @ 2.0GHz"));
        assert_eq!(field("MemTotal:  24000 kB\n", "MemTotal"), Some("24000 kB"));
        assert_eq!(field(text, "flags"), None);
    }

    #[test]
    fn recognises_competing_work() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            competing(&args(&["target/debug/xtask", "test"])).as_deref(),
            Some("cargo xtask test")
        );
        assert_eq!(
            competing(&args(&["/root/.cargo/bin/cargo", "test", "--release"])).as_deref(),
            Some("cargo test")
        );
        assert_eq!(competing(&args(&["target/debug/xtask", "bench"])), None);
        assert_eq!(competing(&args(&["cargo", "xtask", "bench"])), None);
        assert_eq!(competing(&args(&["bash"])), None);
    }
}
