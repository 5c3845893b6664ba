//! Load from `wrk` (Debian's package): fixed connections for a fixed time on
//! 127.0.0.1, one wrk thread per connection, with a Lua script that times every response
//! on the monotonic clock, counts non-200 responses, and prints the results as one JSON
//! line.
//!
//! Two scripts: `GET` of one path, and `POST /api/session/otp` sending each prepared
//! body exactly once (the list is split between wrk's threads in `setup`/`init`; a
//! thread that runs out stops and says so).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::process::display;

/// Marks the line the scripts' `done()` prints.
const RESULT_MARKER: &str = "XTASK_WRK_RESULT ";
/// A request with no answer within this is counted as a timeout by wrk.
const REQUEST_TIMEOUT: &str = "10s";
/// Extra time wrk may take beyond its duration before it is killed.
const GRACE: Duration = Duration::from_secs(30);

/// Shared by both scripts: one connection per wrk thread, so `request()` and
/// `response()` alternate and each response's latency is measured exactly; latency on
/// `CLOCK_MONOTONIC` (LuaJIT's FFI), because wrk's own histogram uses `gettimeofday`,
/// and a virtual machine's wall clock can be stepped many times a second (seen here: wrk
/// reported a p99 of 15.7 ms where the monotonic clock measured 0.35 ms); per-thread
/// counters, and one JSON line of results from `done()`.
const COMMON_LUA: &str = r#"
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } xtask_timespec;
int clock_gettime(int clock_id, xtask_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("xtask_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

non200 = 0
exhausted = 0
latencies = {}
local sent_at = nil

-- Called by each script's request() as it hands out a request.
function sending()
  sent_at = now_us()
end

function response(status, headers, body)
  if sent_at ~= nil then
    latencies[#latencies + 1] = now_us() - sent_at
    sent_at = nil
  end
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local bad, out, all = 0, 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non200") or 0)
    out = out + (thread:get("exhausted") or 0)
    for _, v in ipairs(thread:get("latencies") or {}) do
      all[#all + 1] = v
    end
  end
  table.sort(all)
  local function percentile(q)
    if #all == 0 then return 0 end
    return all[math.max(1, math.ceil(q * #all))]
  end
  local e = summary.errors
  io.write(string.format(
    'XTASK_WRK_RESULT {"requests":%d,"duration_us":%d,"latency_samples":%d,"p50_us":%.1f,' ..
    '"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,"non200":%d,"exhausted_threads":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, #all, percentile(0.5), percentile(0.9),
    percentile(0.99), percentile(1.0), bad, out, e.connect, e.read, e.write, e.timeout))
end
"#;

/// `GET` of the URL's path.
const GET_LUA: &str = r#"
local get = nil

function request()
  if get == nil then
    get = wrk.format()
  end
  sending()
  return get
end
"#;

/// The OTP-step script: `wrk ... -- BODIES_FILE THREADS`.
const OTP_STEP_LUA: &str = r#"
wrk.method = "POST"
wrk.path = "/api/session/otp"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local bodies = {}
local next_body = 1

function init(args)
  local file, threads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(file) do
    if i % threads == id then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
end

function request()
  local body = bodies[next_body]
  next_body = next_body + 1
  if body == nil then
    -- Out of prepared sign-ins: stop this thread. The request still sent is refused
    -- (400) and counted, and the run is reported as having run out.
    exhausted = 1
    wrk.thread:stop()
    body = "{}"
  end
  sending()
  return wrk.format(nil, nil, nil, body)
end
"#;

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkRun {
    /// Responses received.
    pub requests: u64,
    /// How long wrk ran.
    pub duration: Duration,
    /// Responses whose latency was measured.
    pub latency_samples: u64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 90th percentile, microseconds.
    pub p90_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// Slowest response, microseconds.
    pub max_us: f64,
    /// Responses with a status other than 200.
    pub non200: u64,
    /// wrk threads that ran out of prepared bodies.
    pub exhausted_threads: u64,
    /// Connect, read and write errors and timeouts.
    pub socket_errors: u64,
}

impl WrkRun {
    /// Responses per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64().max(1e-9)
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub enum Script {
    /// `GET` of a path.
    Get(&'static str),
    /// The OTP step with the bodies (one JSON object a line) in this file.
    OtpStep(PathBuf),
}

/// How to run wrk.
#[derive(Debug, Clone)]
pub struct Load {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Open connections.
    pub connections: u32,
    /// How long to send.
    pub duration: Duration,
    /// What to send.
    pub script: Script,
}

impl Load {
    /// wrk threads: one per connection, so each thread's requests and responses
    /// alternate and the scripts can time each one.
    fn threads(&self) -> u32 {
        self.connections.max(1)
    }
}

/// Runs wrk once; scripts go to `scratch`.
pub fn run(load: &Load, scratch: &Path) -> Result<WrkRun> {
    fs::create_dir_all(scratch).map_err(|e| Error::io("creating", scratch, e))?;
    let (script_name, lua, path, extra): (&str, String, &str, Vec<String>) = match &load.script {
        Script::Get(path) => (
            "get.lua",
            format!("{COMMON_LUA}\n{GET_LUA}"),
            path,
            Vec::new(),
        ),
        Script::OtpStep(bodies) => (
            "otp_step.lua",
            format!("{COMMON_LUA}\n{OTP_STEP_LUA}"),
            "/api/session/otp",
            vec![bodies.display().to_string(), load.threads().to_string()],
        ),
    };
    let script = scratch.join(script_name);
    fs::write(&script, lua).map_err(|e| Error::io("writing", &script, e))?;
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("--threads={}", load.threads()))
        .arg(format!("--connections={}", load.connections))
        .arg(format!("--duration={}s", load.duration.as_secs().max(1)))
        .arg(format!("--timeout={REQUEST_TIMEOUT}"))
        .arg("--script")
        .arg(&script)
        .arg(format!("{}{path}", load.base_url));
    if !extra.is_empty() {
        cmd.arg("--").args(&extra);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let command = display(&cmd);
    let child = cmd.spawn().map_err(|source| Error::Spawn {
        command: command.clone(),
        source,
    })?;
    let output = wait_bounded(child, load.duration + GRACE, &command)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(Error::Project(format!(
            "`{command}` failed ({}): {}{}",
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    parse(&stdout).ok_or_else(|| {
        Error::Project(format!(
            "`{command}` printed no result line:\n{}",
            stdout.trim()
        ))
    })
}

/// Waits for `child`, killing it after `limit`.
fn wait_bounded(
    mut child: std::process::Child,
    limit: Duration,
    command: &str,
) -> Result<std::process::Output> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Project(format!(
                    "`{command}` did not finish within {limit:?}"
                )));
            }
        }
    }
    // The pipes hold a few kB at most: wrk's summary.
    child.wait_with_output().map_err(|source| Error::Spawn {
        command: command.to_owned(),
        source,
    })
}

/// The result line of the scripts' `done()`.
fn parse(stdout: &str) -> Option<WrkRun> {
    let json = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix(RESULT_MARKER))?;
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let int = |key: &str| v.get(key).and_then(serde_json::Value::as_u64);
    let float = |key: &str| v.get(key).and_then(serde_json::Value::as_f64);
    Some(WrkRun {
        requests: int("requests")?,
        latency_samples: int("latency_samples")?,
        duration: Duration::from_micros(int("duration_us")?),
        p50_us: float("p50_us")?,
        p90_us: float("p90_us")?,
        p99_us: float("p99_us")?,
        max_us: float("max_us")?,
        non200: int("non200")?,
        exhausted_threads: int("exhausted_threads")?,
        socket_errors: ["connect_errors", "read_errors", "write_errors", "timeouts"]
            .iter()
            .map(|k| int(k))
            .sum::<Option<u64>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_result_line() {
        let out = "Running 5s test @ http://127.0.0.1:1/api/time\n  2 threads and 8 connections\n\
            XTASK_WRK_RESULT {\"requests\":1000,\"duration_us\":5000000,\"latency_samples\":999,\"p50_us\":900.5,\"p90_us\":1500,\
            \"p99_us\":3000,\"max_us\":9000,\"non200\":2,\"exhausted_threads\":0,\"connect_errors\":0,\
            \"read_errors\":1,\"write_errors\":0,\"timeouts\":3}\n";
        let run = parse(out).unwrap();
        assert_eq!(run.requests, 1000);
        assert_eq!(run.rps(), 200.0);
        assert_eq!((run.p50_us, run.p99_us), (900.5, 3000.0));
        assert_eq!(run.latency_samples, 999);
        assert_eq!((run.non200, run.socket_errors), (2, 4));
        assert!(parse("Running 5s test\n").is_none());
    }

    #[test]
    fn one_thread_per_connection() {
        let load = |connections| Load {
            base_url: String::new(),
            connections,
            duration: Duration::from_secs(1),
            script: Script::Get("/"),
        };
        assert_eq!(load(1).threads(), 1);
        assert_eq!(load(8).threads(), 8);
        assert_eq!(load(64).threads(), 64);
    }
}
