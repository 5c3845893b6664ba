//! Counting tests as the suites report them, so `cargo xtask test` can close with one
//! line `tests: N passed, M failed` over every suite.
//!
//! Recognised lines: cargo's and wasm-bindgen-test's `test result: ok. N passed; M
//! failed; …`, the browser scripts' `N passed, M failed`, and a test's own
//! [`SKIPPED_MARK`] line (a test that found a tool missing and returned early: cargo
//! counted it as passed, the tally counts it as skipped).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::process::display;

/// Tests passed and failed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Passed tests.
    pub passed: u64,
    /// Failed tests.
    pub failed: u64,
    /// Tests that returned early, their tool missing.
    pub skipped: u64,
}

/// The line a test prints when it skips itself, e.g. `spin suite: skipped (no spin
/// binary)`.
pub const SKIPPED_MARK: &str = ": skipped (";

impl Tally {
    /// Add another tally.
    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// The number before `word` in `text` (`"3 passed"` → 3).
fn count_before(text: &str, word: &str) -> Option<u64> {
    let before = text.split(word).next()?;
    before.split_whitespace().last()?.parse().ok()
}

/// The counts a result line reports, if it is one.
pub fn parse_line(line: &str) -> Option<Tally> {
    let line = line.trim();
    if line.contains(SKIPPED_MARK) && !line.starts_with("test ") {
        return Some(Tally {
            skipped: 1,
            ..Tally::default()
        });
    }
    let counts = if let Some(rest) = line.strip_prefix("test result:") {
        rest
    } else if line.ends_with(" failed") && line.contains(" passed, ") {
        line
    } else {
        return None;
    };
    Some(Tally {
        passed: count_before(counts, " passed")?,
        failed: count_before(counts, " failed")?,
        skipped: 0,
    })
}

/// Run `cmd`, echoing its standard output line by line, and count the tests it
/// reports. A failed exit is an error.
pub fn run_counted(what: &str, cmd: &mut Command) -> Result<Tally> {
    let command = display(cmd);
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            command: command.clone(),
            source,
        })?;
    let mut tally = Tally::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::io::Result::ok)
        {
            println!("{line}");
            if let Some(t) = parse_line(&line) {
                tally.add(t);
            }
        }
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        command: command.clone(),
        source,
    })?;
    // Cargo counted the tests that skipped themselves as passed.
    tally.passed = tally.passed.saturating_sub(tally.skipped);
    if status.success() {
        Ok(tally)
    } else {
        Err(Error::CommandFailed {
            what: what.to_owned(),
            command,
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_wasm_bindgen_and_browser_lines() {
        let cargo = "test result: ok. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.52s";
        assert_eq!(
            parse_line(cargo),
            Some(Tally {
                passed: 13,
                ..Tally::default()
            })
        );
        let wbt =
            "test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 filtered out; finished in 0.13s";
        assert_eq!(
            parse_line(wbt),
            Some(Tally {
                passed: 4,
                failed: 2,
                skipped: 0
            })
        );
        assert_eq!(
            parse_line("21 passed, 0 failed"),
            Some(Tally {
                passed: 21,
                ..Tally::default()
            })
        );
        assert_eq!(
            parse_line("spin suite: skipped (no spin binary)"),
            Some(Tally {
                skipped: 1,
                ..Tally::default()
            })
        );
        assert_eq!(parse_line("ok - edge-host starts"), None);
        assert_eq!(parse_line("running 7 tests"), None);
    }
}
