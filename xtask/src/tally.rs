//! Counting tests as the suites report them, so `cargo xtask test` can close with one
//! line `tests: N passed, M failed` over every suite.
//!
//! Recognised lines: cargo's and wasm-bindgen-test's `test result: ok. N passed; M
//! failed; …` and the browser scripts' `N passed, M failed`.

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
}

impl Tally {
    /// Add another tally.
    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
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
                failed: 0
            })
        );
        let wbt =
            "test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 filtered out; finished in 0.13s";
        assert_eq!(
            parse_line(wbt),
            Some(Tally {
                passed: 4,
                failed: 2
            })
        );
        assert_eq!(
            parse_line("21 passed, 0 failed"),
            Some(Tally {
                passed: 21,
                failed: 0
            })
        );
        assert_eq!(parse_line("ok - edge-host starts"), None);
        assert_eq!(parse_line("running 7 tests"), None);
    }
}
