//! The text of BENCHMARKS.md (also printed by `cargo xtask bench`).

use std::fmt::{Result as Written, Write as _};
use std::time::Duration;

use otp_core::password::{M_COST_KIB, P_COST, T_COST};

use crate::bench::browser::{BrowserResults, COLUMNS};
use crate::bench::criterion::CoreResult;
use crate::bench::load::{BUSY, Endpoint, HEADROOM, HostResults, Level, RUN_SECONDS, RUNS};
use crate::bench::load::{Run, SIGN_INS, level};
use crate::bench::profile::{Profile, Share};
use crate::bench::spin::SpinOutcome;
use crate::bench::stats::{Summary, duration, durations, in_unit_of, significant, symbol};
use crate::sizes::{ArtifactSize, human};

/// How busy the machine was around the run.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// 1-minute load average before and after.
    pub load: [Option<f64>; 2],
    /// Competing work seen before, during or after the run (`cargo test`, …).
    pub competing: Vec<String>,
    /// `fsync` latency after a 4 KiB overwrite in the target directory, ns.
    pub fsync: Option<Summary>,
    /// Wall time of installing and building (what was stale), then of the measurements.
    pub took: [Duration; 2],
}

/// Everything the report shows.
pub struct Report<'a> {
    /// The machine table's rows ([`crate::bench::machine::probe`]).
    pub machine: &'a [(&'static str, String)],
    /// How busy it was.
    pub conditions: &'a Conditions,
    /// Artifact sizes.
    pub sizes: &'a [ArtifactSize],
    /// otp-core's Criterion results.
    pub core: &'a [CoreResult],
    /// edge-host's starts and load levels.
    pub host: &'a HostResults,
    /// The same component on Spin.
    pub spin: &'a SpinOutcome,
    /// Page-load timings.
    pub browser: &'a BrowserResults,
}

/// A Markdown table and the blank line after it. `head` names the columns, `|` between
/// them; one starting with `<` is left-aligned, one with `^` centred, others are
/// right-aligned. Each row is its cells with ` | ` between them.
fn table(md: &mut String, head: &str, rows: impl IntoIterator<Item = String>) -> Written {
    let names = head.split('|').map(|h| h.trim_start_matches(['<', '^']));
    let align = head.split('|').map(|h| match &h[..h.len().min(1)] {
        "<" => "---",
        "^" => ":---:",
        _ => "---:",
    });
    let [names, align] = [names.collect::<Vec<_>>(), align.collect()].map(|c| c.join(" | "));
    // An empty head (`<|<`) is written `| | |`.
    let names = format!("| {names} |").replace("  ", " ");
    writeln!(md, "{names}\n| {align} |")?;
    for row in rows {
        writeln!(md, "| {row} |")?;
    }
    writeln!(md)
}

/// `1 connection`, `64 connections`.
fn connections(n: u32) -> String {
    format!("{n} connection{}", if n == 1 { "" } else { "s" })
}

/// The median of benchmark `id`, ns.
fn core_median(core: &[CoreResult], id: &str) -> Option<f64> {
    core.iter().find(|r| r.0 == id).map(|r| r.2.median)
}

/// The median over runs of `f` at the level of `e` at `n` connections in `levels`.
fn median(levels: &[Level], e: Endpoint, n: u32, f: impl Fn(&Run) -> Option<f64>) -> Option<f64> {
    Some(level(levels, e, n)?.over_runs(f)?.median)
}

/// `text` in bold when `bold`.
fn bold(text: String, bold: bool) -> String {
    if bold { format!("**{text}**") } else { text }
}

impl Report<'_> {
    /// The whole of BENCHMARKS.md.
    pub fn render(&self) -> String {
        let mut md = String::new();
        let _ = self.write(&mut md);
        md
    }

    fn write(&self, md: &mut String) -> Written {
        let (c, core) = (self.conditions, self.core);
        let [build, measure] = c.took.map(|t| t.as_secs_f64());
        writeln!(
            md,
            "# otp-edge benchmarks\n\nWritten by `cargo xtask bench` (installing and building \
             what was stale took {build:.0} s, the measurements {measure:.0} s); run it again to \
             refresh. Every figure is a median with its spread; the spread is said in each table.\n"
        )?;
        let mut rows = self.machine.to_vec();
        if let Some(f) = &c.fsync {
            rows.push((
                "disk: `fsync` after a 4 KiB overwrite in target/ (a SQLite WAL commit)",
                f.time(),
            ));
        }
        let [before, after] = c.load.map(|l| l.map_or("?".into(), |l| format!("{l:.2}")));
        rows.push((
            "load average (1 min) before / after",
            format!("{before} / {after}"),
        ));
        let competing = match c.competing.join(", ") {
            none if none.is_empty() => "none".into(),
            all => format!("**{all}** — numbers are skewed by it"),
        };
        rows.push(("other heavy work seen during the run", competing));
        let rows = rows.iter().map(|(name, value)| format!("{name} | {value}"));
        table(md, "<|<", rows)?;

        writeln!(
            md,
            "## 1. otp-core (Criterion, `otp-core/benches/core.rs`)\n\nTime per operation: the \
             median of Criterion's samples, with the spread of the samples (25th–75th \
             percentile). One thread, no I/O.\n"
        )?;
        let rows = core.iter().map(|&(id, what, s)| {
            let argon2 = id == "slow/argon2id_verify";
            let cost = argon2.then(|| format!(" (m={M_COST_KIB} KiB, t={T_COST}, p={P_COST})"));
            let [m, q1, q3] = [s.median, s.q1, s.q3].map(|v| in_unit_of(s.median, v));
            let (unit, n) = (symbol(s.median), s.n);
            let what = format!("{what}{}", cost.unwrap_or_default());
            format!("{what} <br>`{id}` | **{m} {unit}** | {q1}–{q3} {unit} | {n}")
        });
        table(md, "<operation|median|spread (p25–p75)|samples", rows)?;

        host_section(md, self.host)?;
        self.spin_section(md)?;

        writeln!(md, "## 3. The cost of the edge boundary\n")?;
        let native = core_median(core, "native/otp_step");
        let edge = median(&self.host.levels, Endpoint::OtpStep, 1, |r| Some(r.p50_ns));
        match (native, edge) {
            (Some(native), Some(edge)) => {
                writeln!(
                    md,
                    "The same OTP step (challenge lookup, account compare-and-swap, open the \
                     sealed secret, verify and consume the step, delete the challenge, create \
                     the session, append to the audit log).\n"
                )?;
                let mut rows = vec![
                    format!(
                        "native: otp-core with the in-memory store (`native/otp_step`, median) | {}",
                        duration(native)
                    ),
                    format!(
                        "through edge-host: HTTP, a fresh component instance, Spin key-value on \
                         SQLite (p50 at 1 connection) | {}",
                        duration(edge)
                    ),
                ];
                if let Some(run) = self.host.profile.as_ref().and_then(|p| p.on_tmpfs.as_ref()) {
                    rows.push(format!(
                        "through edge-host with its data directory on tmpfs — no disk flushes \
                         (profile run, p50 at 1 connection; {:.0}× native) | {}",
                        run.p50_ns / native,
                        duration(run.p50_ns)
                    ));
                }
                let ratio = edge / native;
                rows.push(format!(
                    "**ratio** (through edge-host ÷ native) | **{ratio:.0}×**"
                ));
                table(md, "<path|time", rows)?;
            }
            _ => writeln!(md, "Not measured.\n")?,
        }

        writeln!(md, "## 4. Artifact sizes\n")?;
        let rows = self.sizes.iter().map(|a| {
            let (raw, gzip) = (human(a.raw), human(a.gzip));
            format!("{} | `{}` | {raw} | {gzip}", a.name, a.path.display())
        });
        table(md, "<artifact|<path|raw|gzip -9", rows)?;

        let b = self.browser;
        writeln!(
            md,
            "## 5. Browser (headless Chromium, `tests/browser/bench.mjs`)\n\n{} page loads of \
             `account.html` (signed in, phone set) each: a fresh Chromium profile (nothing \
             cached), then the same page again in that browser. Milliseconds since navigation \
             start, from the page's `performance.mark()`s; median (min–max). *QR drawn* is after \
             pressing \"OTP setting…\" as soon as the page is ready (the press is automated); \
             *press → QR* is `POST /api/otp/setup` plus drawing the QR code with the browser \
             module. {}.\n",
            b.loads, b.chromium
        )?;
        let names = ["first visit (fresh profile)", "repeat visit (same browser)"];
        let rows = names.iter().zip(&b.visits).map(|(name, visit)| {
            let cells = visit.iter().zip(COLUMNS).map(|(s, (_, strong, ..))| {
                bold(durations(s.median * 1e6, s.min * 1e6, s.max * 1e6), strong)
            });
            format!("{name} | {}", cells.collect::<Vec<_>>().join(" | "))
        });
        let head = COLUMNS.map(|c| c.0).join("|");
        table(md, &format!("<visit|{head}"), rows)?;

        writeln!(md, "## 6. Lines\n")?;
        let mut lines = host_lines(self.host, c.fsync.map(|f| f.median));
        let full = core_median(core, "native/otp_step_full_history");
        if let (Some(full), Some(fresh)) = (full, native) {
            let figure = "native OTP step, full history ÷ fresh account";
            lines.push(at_most_twice(figure, full, fresh));
        }
        lines_table(md, &lines)?;
        if !c.competing.is_empty() {
            let competing = c.competing.join(", ");
            writeln!(
                md,
                "Other heavy work ran during this run ({competing}): every figure is skewed by it.\n"
            )?;
        }
        if let Some(profile) = &self.host.profile {
            writeln!(
                md,
                "### Profile of the OTP step (a line of edge-host's was missed)\n"
            )?;
            profile_notes(md, profile)?;
        }
        Ok(())
    }

    /// 2b. Spin beside edge-host.
    fn spin_section(&self, md: &mut String) -> Written {
        let (version, spin) = match self.spin {
            Ok(spin) => spin,
            Err(why) => {
                return writeln!(
                    md,
                    "## 2b. The same component on Spin\n\nNot measured: {why}.\n"
                );
            }
        };
        writeln!(
            md,
            "## 2b. The same component on Spin (`{version}`, its SQLite store), same run\n\n\
             `spin up` of spin.toml, 1 connection (sequential requests) and, for the OTP step's \
             rate, {BUSY}; the OTP step on prepared sign-ins as for edge-host; median of the \
             runs' p50 (min–max). Both OTP steps go through the load client; `GET` through it on \
             Spin but through oha on edge-host (oha does not ACK at once, and Spin's answers then \
             wait 40 ms for its delayed ACK).\n"
        )?;
        let figures = [
            ("`GET /api/time` p50", Endpoint::Time, 1),
            ("OTP step p50", Endpoint::OtpStep, 1),
            ("OTP steps/s", Endpoint::OtpStep, 1),
            ("OTP steps/s", Endpoint::OtpStep, BUSY),
        ];
        let rows = figures.iter().filter_map(|&(what, endpoint, n)| {
            let rate = what.ends_with("/s");
            let figure = |r: &Run| Some(if rate { r.rps() } else { r.p50_ns });
            let of = |levels: &[Level]| level(levels, endpoint, n)?.over_runs(figure);
            let (edge, on_spin) = (of(&self.host.levels)?, of(spin)?);
            let shown = |s: Summary| if rate { s.count() } else { s.time() };
            let (ratio, digits) = (on_spin.median / edge.median, if rate { 2 } else { 1 });
            let (edge, on_spin, n) = (shown(edge), shown(on_spin), connections(n));
            Some(format!(
                "{what}, {n} | {edge} | {on_spin} | {ratio:.digits$}×"
            ))
        });
        table(md, "<figure|edge-host|Spin|Spin ÷ edge-host", rows)?;
        let runs = spin.iter().flat_map(|l| &l.runs);
        let bad: u64 = runs.clone().map(|r| r.non200 + r.socket_errors).sum();
        let total: u64 = runs.map(|r| r.requests).sum();
        writeln!(
            md,
            "On Spin: {bad} of {total} responses were not 200 (or failed).\n"
        )
    }
}

/// 2. edge-host: starts, load levels, flushes and memory.
fn host_section(md: &mut String, h: &HostResults) -> Written {
    writeln!(
        md,
        "## 2. edge-host (`target/release/edge-host`, wasmtime 48)\n\n### Start\n\nFrom spawning \
         the process: *listening* is its `otp-edge listening` line (variables, database, \
         compiling or loading the component); *first response* adds the first `GET /api/time` \
         (the first instantiation). Median (min–max).\n"
    )?;
    let kinds = [
        "cold: empty wasmtime compilation cache (component compiled)",
        "warm: compilation cache filled by a cold start",
    ];
    let rows = kinds.iter().zip(&h.starts).map(|(name, starts)| {
        let column = |i: usize| {
            let s = Summary::of(starts.iter().map(|s| s[i].as_nanos() as f64));
            s.map_or("—".into(), |s| bold(s.time(), i < 2))
        };
        let columns = (0..4).map(column).collect::<Vec<_>>().join(" | ");
        format!("{name} | {} | {columns}", starts.len())
    });
    let head = "<start|runs|listening|first response|first request alone|second request";
    table(md, head, rows)?;
    writeln!(
        md,
        "### Warm requests\n\n{} (`GET`) and otp-loadgen (the OTP step: the release-built \
         hyper/tokio client of xtask/loadgen) on 127.0.0.1, {RUNS} runs of {RUN_SECONDS} s \
         per level, each `GET` run followed by an OTP run at the same level (the OTP step: \
         each run on a fresh data directory with its own prepared sign-ins, each sent once). \
         Median over the runs (min–max). *CPU/request* is edge-host's CPU time (all threads) \
         per response.\n",
        crate::bench::loadgen::oha_version()
    )?;
    levels_tables(md, h)?;
    let [least, most] = SIGN_INS;
    writeln!(
        md,
        "Sign-ins prepared per OTP run: up to {} ({HEADROOM} × the rate of the `GET /api/time` \
         run just before × {RUN_SECONDS} s; at least {least}, at most {most}), written straight \
         into edge-host's SQLite file with otp-core's record types: an account with active OTP \
         (last accepted step = current − 2), its e-mail index and one challenge each; the code \
         sent is the current step's.\n",
        h.sign_ins
    )
}

/// One row per load level (rate, latency, CPU and answers), then flushes per OTP step
/// (group commit) and edge-host's peak memory per OTP level.
fn levels_tables(md: &mut String, h: &HostResults) -> Written {
    let rows = h.levels.iter().map(|level| {
        let runs = &level.runs;
        let over = |f: &dyn Fn(&Run) -> Option<f64>| level.over_runs(f);
        let rps = over(&|r| Some(r.rps())).map_or("—".into(), |s| s.count());
        let p50 = over(&|r| Some(r.p50_ns)).map_or("—".into(), |s| s.time());
        let p99 = over(&|r| Some(r.p99_ns)).map_or("—".into(), |s| s.time());
        let cpu = |i: usize| over(&|r| r.cpu_ns.map(|c| [c[0], c[1], c[0] + c[1]][i]));
        let cpu = match [2, 0, 1].map(|i| cpu(i).map(|s| duration(s.median))) {
            [Some(total), Some(user), Some(kernel)] => format!("{total} ({user} + {kernel})"),
            _ => "—".into(),
        };
        let total: u64 = runs.iter().map(|r| r.requests).sum();
        let bad: u64 = runs.iter().map(|r| r.non200).sum();
        let errors: u64 = runs.iter().map(|r| r.socket_errors).sum();
        let share = if total == 0 {
            0.0
        } else {
            100.0 * (total - bad) as f64 / total as f64
        };
        let mut ok = format!("{} of {total} ({share:.2} %)", total - bad);
        if share < 99.0 {
            ok.push_str(" **below 99 %**");
        }
        if errors > 0 {
            ok.push_str(&format!(", {errors} socket errors/timeouts"));
        }
        if runs.iter().any(|r| r.exhausted > 0) {
            ok.push_str(", **ran out of prepared sign-ins**");
        }
        let endpoint = match level.endpoint {
            Endpoint::Time => "`GET /api/time`",
            Endpoint::OtpStep => "`POST /api/session/otp` (valid code)",
        };
        let n = level.connections;
        format!("{endpoint} | {n} | **{rps}** | **{p50}** | {p99} | {cpu} | {ok}")
    });
    let head = "<endpoint|connections|requests/s|p50|p99|CPU/request (user + kernel)|answered 200";
    table(md, head, rows)?;
    let otp = h.levels.iter().filter(|l| l.endpoint == Endpoint::OtpStep);
    let rows = otp.map(|level| {
        let [writes, flushes] = [0, 1].map(|i| {
            let per_step = |r: &Run| {
                let (w, f) = r.writes_and_flushes?;
                Some([w, f][i] as f64 / r.requests.max(1) as f64)
            };
            level
                .over_runs(per_step)
                .map_or("—".into(), |s| format!("{:.2}", s.median))
        });
        let rss = level.over_runs(|r| r.peak_rss_kib.map(|k| k as f64 / 1024.0));
        let rss = rss.map_or("—".into(), |s| format!("{:.1} MiB", s.median));
        format!("{} | {writes} | {flushes} | {rss}", level.connections)
    });
    let head = "`POST /api/session/otp`, connections|key-value writes per step|flushes per step";
    table(md, &format!("{head}|edge-host peak RSS"), rows)
}

/// One line a figure is held to: `figure | measured | line` (a table row without its
/// last cell), and whether the figure is within the line.
pub type Line = (String, bool);

/// `value` (ns) held to at most twice `base` (ns).
fn at_most_twice(figure: &str, value: f64, base: f64) -> Line {
    let (ratio, v, b) = (value / base, duration(value), duration(base));
    (
        format!("{figure} | {ratio:.2}× ({v} ÷ {b}) | ≤ 2×"),
        value <= 2.0 * base,
    )
}

/// edge-host's lines (issue #13): the OTP step's p50 at 1 connection against
/// `GET /api/time`'s and one flush (`fsync_ns`, measured), its rate at [`BUSY`]
/// connections, its CPU per step, and every answer 200.
pub fn host_lines(host: &HostResults, fsync_ns: Option<f64>) -> Vec<Line> {
    use Endpoint::{OtpStep, Time};
    let levels = &host.levels;
    let p50 = |e| median(levels, e, 1, |r| Some(r.p50_ns));
    let rate = |e| median(levels, e, BUSY, |r| Some(r.rps()));
    let cpu = |e| median(levels, e, 1, |r| r.cpu_ns.map(|[u, k]| u + k));
    let mut lines = Vec::new();
    if let (Some(step), Some(time), Some(flush)) = (p50(OtpStep), p50(Time), fsync_ns) {
        let line = 2.0 * time + flush;
        let [s, l, t, f] = [step, line, time, flush].map(duration);
        let row = format!("OTP step p50, 1 connection | {s} | ≤ {l} (2 × {t} + one flush {f})");
        lines.push((row, step <= line));
    }
    if let (Some(step), Some(time)) = (rate(OtpStep), rate(Time)) {
        let ([s, t], busy) = ([step, time].map(significant), connections(BUSY));
        let figure = format!("OTP steps/s ÷ `GET /api/time` requests/s, {busy}");
        let row = format!(
            "{figure} | {:.0} % ({s} ÷ {t}) | ≥ 50 %",
            100.0 * step / time
        );
        lines.push((row, step >= 0.5 * time));
    }
    if let (Some(step), Some(time)) = (cpu(OtpStep), cpu(Time)) {
        let figure = "edge-host CPU per OTP step ÷ per `GET /api/time`, 1 connection";
        lines.push(at_most_twice(figure, step, time));
    }
    let runs = levels.iter().flat_map(|l| &l.runs);
    let total: u64 = runs.clone().map(|r| r.requests).sum();
    let bad: u64 = runs.map(|r| r.non200 + r.socket_errors).sum();
    let figure = "answers other than 200 (and socket errors), every load run";
    lines.push((
        format!("{figure} | {bad} of {total} | 0"),
        bad == 0 && total > 0,
    ));
    lines
}

/// The lines, one row each.
fn lines_table(md: &mut String, lines: &[Line]) -> Written {
    let rows = lines
        .iter()
        .map(|(row, met)| format!("{row} | {}", if *met { "yes" } else { "**no**" }));
    table(md, "<figure|measured|line|^met", rows)
}

/// The CPU profile and the run without the disk.
fn profile_notes(md: &mut String, profile: &Profile) -> Written {
    let shares = |list: &[Share]| {
        let all: Vec<String> = list
            .iter()
            .map(|(p, _, name)| format!("{name} {p:.1} %"))
            .collect();
        all.join(", ")
    };
    if let Some(cpu) = &profile.cpu {
        let (objects, symbols) = (shares(&cpu.objects), shares(&cpu.symbols));
        writeln!(
            md,
            "- **CPU profile** (`perf record` of edge-host, {} samples over {} OTP steps on 1 \
             connection, p50 {} while sampled) by object: {objects}. Hottest symbols: {symbols}.",
            cpu.samples,
            cpu.run.requests,
            duration(cpu.run.p50_ns),
        )?;
    }
    if let Some(run) = &profile.on_tmpfs {
        let [p50, p99] = [run.p50_ns, run.p99_ns].map(duration);
        writeln!(
            md,
            "- **Without the disk:** the same load with the data directory in /dev/shm (tmpfs, \
             where `fsync` returns at once): p50 {p50} (p99 {p99}), {} steps/s at 1 connection.",
            significant(run.rps())
        )?;
    }
    Ok(())
}

/// edge-host's load levels, flushes, lines and profile, alone (`bench --edge-host-only`).
pub fn host_summary(host: &HostResults, fsync_ns: Option<f64>) -> String {
    let mut md = String::new();
    let _ = levels_tables(&mut md, host);
    let _ = lines_table(&mut md, &host_lines(host, fsync_ns));
    if let Some(profile) = &host.profile {
        let _ = profile_notes(&mut md, profile);
    }
    md
}
