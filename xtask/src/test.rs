//! `cargo xtask test`: prerequisites, build, then every test suite in turn, each
//! announced, stopping at the first failure, with a summary at the end.
//!
//! 1. host tests — `cargo test --release --workspace` without the browser module:
//!    otp-core (cases, flows, limits, recovery, properties), edge-api routes natively,
//!    edge-host, and the `tests` crate end to end over HTTP (including the short load
//!    test and the abuse tests). Release, so wasmtime is shared with edge-host's build;
//! 2. Spin suites — `spin up` of spin.toml on real Spin: its SQLite store on one
//!    instance, two instances sharing one `redis-server` (tests/tests/spin_stores.rs;
//!    skipped, and counted so, without a Spin binary);
//! 3. browser module tests — wasm-bindgen-test in headless Chromium;
//! 4. browser end-to-end — the pages' type check (TypeScript over `// @ts-check`), then
//!    every `tests/browser/*.mjs` test (activation, recovery, each also in Czech);
//! 5. fuzz smoke — each cargo-fuzz target for [`FUZZ_SECONDS`] seconds from its corpus.
//!
//! Every suite gets the same environment: `OTP_EDGE_HOST_BIN`, `OTP_EDGE_COMPONENT`,
//! `OTP_EDGE_WEB`, `OTP_EDGE_CASES` (absolute paths) and `CHROMEDRIVER`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::build::{self, Part};
use crate::error::Result;
use crate::install::{self, Needs};
use crate::process::{self, announce, display, find_program};
use crate::tally::{self, Tally};
use crate::workspace::{WEB_TARGET, Workspace};

/// How one step ended.
#[derive(Debug)]
enum Outcome {
    Passed(Tally),
    /// Why, and how many tests were skipped.
    Skipped(String, u64),
    Failed,
}

/// One line of the summary.
#[derive(Debug)]
struct StepReport {
    name: &'static str,
    outcome: Outcome,
    took: Duration,
}

/// What a step did: the tests it counted, or why it was skipped.
#[derive(Debug)]
enum Done {
    Counted(Tally),
    /// Why, and how many tests were skipped (0 when not known).
    Skipped(String, u64),
}

/// A step's result.
type StepResult = Result<Done>;

/// A step that runs no tests.
fn nothing_counted(r: Result<()>) -> StepResult {
    r.map(|()| Done::Counted(Tally::default()))
}

/// Runs everything; the error is the first failure.
pub fn test(ws: &Workspace) -> Result<()> {
    let env = TestEnv::new(ws);
    let steps: [(&'static str, &dyn Fn() -> StepResult); 7] = [
        ("prerequisites", &|| {
            nothing_counted(install::ensure(ws, Needs::Test))
        }),
        ("build", &|| nothing_counted(build::build(ws, &Part::ALL))),
        ("host tests", &|| host_tests(ws, &env)),
        (SPIN_STEP, &|| spin_suites(ws, &env)),
        ("browser module tests", &|| browser_module_tests(ws, &env)),
        ("browser end-to-end tests", &|| browser_e2e_tests(ws, &env)),
        ("fuzz smoke", &|| fuzz_smoke(ws)),
    ];
    let total = steps.len();
    let mut reports = Vec::new();
    let mut failure = None;
    for (i, (name, step)) in steps.iter().enumerate() {
        eprintln!();
        announce(format!("[{}/{total}] {name}", i + 1));
        let started = Instant::now();
        let outcome = match step() {
            Ok(Done::Counted(tally)) => Outcome::Passed(tally),
            Ok(Done::Skipped(why, count)) => {
                announce(format!("SKIPPED {name}: {why}"));
                Outcome::Skipped(why, count)
            }
            Err(e) => {
                failure = Some(e);
                Outcome::Failed
            }
        };
        reports.push(StepReport {
            name,
            outcome,
            took: started.elapsed(),
        });
        if failure.is_some() {
            break;
        }
    }
    print_summary(&reports, total);
    failure.map_or(Ok(()), Err)
}

/// The environment every test suite runs with.
struct TestEnv {
    vars: Vec<(&'static str, PathBuf)>,
}

impl TestEnv {
    fn new(ws: &Workspace) -> Self {
        let chromedriver =
            find_program("chromedriver").unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
        TestEnv {
            vars: vec![
                ("OTP_EDGE_HOST_BIN", ws.edge_host_bin()),
                ("OTP_EDGE_COMPONENT", ws.component_wasm()),
                ("OTP_EDGE_WEB", ws.web_dir()),
                ("OTP_EDGE_CASES", ws.cases_dir()),
                ("CHROMEDRIVER", chromedriver),
            ],
        }
    }

    /// Sets the variables on `cmd`, which runs in the workspace root.
    fn apply<'c>(&self, ws: &Workspace, cmd: &'c mut Command) -> &'c mut Command {
        cmd.current_dir(&ws.root)
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
    }
}

/// Runs `cmd` under the test environment, echoing the command line first, and counts
/// the tests it reports.
fn run_suite(ws: &Workspace, env: &TestEnv, what: &str, cmd: &mut Command) -> Result<Tally> {
    env.apply(ws, cmd);
    eprintln!("    {}", display_without_env(cmd));
    tally::run_counted(what, cmd)
}

/// The command line without the (long, repeated) test environment.
fn display_without_env(cmd: &Command) -> String {
    let mut bare = Command::new(cmd.get_program());
    bare.args(cmd.get_args());
    display(&bare)
}

/// otp-core, edge-api (natively), edge-host and the `tests` crate's end-to-end tests.
fn host_tests(ws: &Workspace, env: &TestEnv) -> StepResult {
    // wasm-client is a wasm-bindgen crate for the browser: its tests run in step 2.
    // edge-api builds natively too (its Spin bindings are wasm32-only), so its route
    // tests run here; the `tests` crate exercises the real .wasm through edge-host.
    run_suite(
        ws,
        env,
        "host tests",
        process::cargo()
            .args(HOST_TESTS)
            .args(["--", "--skip", SPIN_TESTS]),
    )
    .map(Done::Counted)
}

/// `cargo` arguments of the host tests: every crate but the browser module, in release.
const HOST_TESTS: [&str; 5] = [
    "test",
    "--release",
    "--workspace",
    "--exclude",
    "wasm-client",
];

/// The step of the Spin suites, as the summary names it.
const SPIN_STEP: &str = "Spin: SQLite x1, Redis x2";
/// The prefix of the Spin suites' test names (tests/tests/spin_stores.rs).
const SPIN_TESTS: &str = "on_spin_";

/// The Spin suites: `spin up` of spin.toml on Spin's SQLite store, two instances on one
/// `redis-server`, pages and API beside edge-host's, behind a TLS proxy. Their output
/// is shown (`--show-output`) so a test that skipped itself for want of a Spin binary
/// is counted as skipped.
fn spin_suites(ws: &Workspace, env: &TestEnv) -> StepResult {
    let tally = run_suite(
        ws,
        env,
        "Spin suites",
        // The host step's package set, so nothing is rebuilt for other features; the
        // name filter leaves only the Spin tests.
        process::cargo()
            .args(HOST_TESTS)
            .args(["--tests", "--", SPIN_TESTS, "--show-output"]),
    )?;
    if tally.skipped > 0 && tally.passed == 0 && tally.failed == 0 {
        return Ok(Done::Skipped(
            "no spin binary (spin on PATH, ../shared/bin/spin or OTP_EDGE_SPIN)".into(),
            tally.skipped,
        ));
    }
    Ok(Done::Counted(tally))
}

/// wasm-bindgen-test in headless Chromium (runner set in .cargo/config.toml).
fn browser_module_tests(ws: &Workspace, env: &TestEnv) -> StepResult {
    if !ws.root.join("wasm-client").join("tests").is_dir() {
        return Ok(Done::Skipped(
            "wasm-client/tests does not exist yet — NO BROWSER MODULE TESTS RAN".into(),
            0,
        ));
    }
    run_suite(
        ws,
        env,
        "browser module tests",
        process::cargo().args(["test", "-p", "wasm-client", "--target", WEB_TARGET]),
    )
    .map(Done::Counted)
}

/// The browser end-to-end scripts, run one after the other.
const BROWSER_SCRIPTS: &[&str] = &["typecheck.mjs", "e2e.mjs", "recovery.mjs"];

/// The pages and the module in headless Chromium against a running edge-host.
fn browser_e2e_tests(ws: &Workspace, env: &TestEnv) -> StepResult {
    let mut tally = Tally::default();
    for name in BROWSER_SCRIPTS {
        let script = ws.browser_tests().join(name);
        tally.add(run_suite(
            ws,
            env,
            "browser end-to-end tests",
            Command::new("node").arg(&script),
        )?);
    }
    Ok(Done::Counted(tally))
}

/// Seconds each fuzz target runs.
pub const FUZZ_SECONDS: u32 = 30;
/// The cargo-fuzz targets (tests/fuzz/fuzz_targets).
const FUZZ_TARGETS: &[&str] = &[
    "code_entry",
    "otpauth_uri",
    "base32_key",
    "sealed_blob",
    "request_decoding",
];

/// Each fuzz target for [`FUZZ_SECONDS`] s, starting from the corpus kept in the
/// repository; what it discovers goes to a scratch corpus under target/, so a test run
/// leaves the tree unchanged. A crash fails the step and leaves the input in
/// tests/fuzz/artifacts. Each target that ran clean counts as one passed test.
fn fuzz_smoke(ws: &Workspace) -> StepResult {
    let fuzz_dir = ws.root.join("tests").join("fuzz");
    for target in FUZZ_TARGETS {
        let scratch = ws.root.join("target").join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&scratch).map_err(|source| crate::error::Error::Io {
            action: "creating the scratch fuzz corpus",
            path: scratch.clone(),
            source,
        })?;
        // The rustup proxy, not $CARGO (a stable toolchain's own binary): `+nightly`.
        let mut cmd = Command::new("cargo");
        cmd.args(["+nightly", "fuzz", "run", "-O", target])
            .arg(&scratch)
            .arg(fuzz_dir.join("corpus").join(target))
            .args(["--", &format!("-max_total_time={FUZZ_SECONDS}")])
            .current_dir(&fuzz_dir);
        eprintln!("    {}", display(&cmd));
        process::run("fuzzing", &mut cmd)?;
    }
    Ok(Done::Counted(Tally {
        passed: FUZZ_TARGETS.len() as u64,
        failed: 0,
        skipped: 0,
    }))
}

fn print_summary(reports: &[StepReport], total: usize) {
    println!();
    println!("==> summary of cargo xtask test");
    for r in reports {
        let (word, note) = match &r.outcome {
            Outcome::Passed(_) => ("ok", String::new()),
            Outcome::Skipped(why, _) => ("SKIPPED", format!(" — {why}")),
            Outcome::Failed => ("FAILED", String::new()),
        };
        println!(
            "    {word:<8} {:<28} {:>7.1} s{note}",
            r.name,
            r.took.as_secs_f64()
        );
    }
    let not_run = total - reports.len();
    if not_run > 0 {
        println!("    ({not_run} later step(s) not run after the failure)");
    }
    let failed = reports.iter().any(|r| matches!(r.outcome, Outcome::Failed));
    println!(
        "    result: {}",
        if failed {
            "FAILED"
        } else {
            "all run steps passed"
        }
    );
    let mut total = Tally::default();
    let mut spin = None;
    for r in reports {
        match &r.outcome {
            Outcome::Passed(t) => total.add(*t),
            Outcome::Skipped(_, count) => total.skipped += count,
            Outcome::Failed => {}
        }
        if r.name == SPIN_STEP {
            spin = Some(match &r.outcome {
                Outcome::Passed(t) => format!("{} passed", t.passed),
                Outcome::Skipped(..) => "SKIPPED (no spin binary)".to_owned(),
                Outcome::Failed => "FAILED".to_owned(),
            });
        }
    }
    if failed {
        total.failed = total.failed.max(1);
    }
    let skipped_steps = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skipped(..)))
        .count();
    println!(
        "tests: {} passed, {} failed, {} skipped ({} skipped step(s)); Spin suites (SQLite, Redis): {}",
        total.passed,
        total.failed,
        total.skipped,
        skipped_steps,
        spin.as_deref().unwrap_or("not run")
    );
}
