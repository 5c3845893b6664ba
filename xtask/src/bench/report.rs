//! The text of BENCHMARKS.md (also printed by `cargo xtask bench`).

use std::fmt::Write as _;
use std::time::Duration;

use otp_core::password::{M_COST_KIB, P_COST, T_COST};

use crate::bench::browser::{BrowserResults, Visit};
use crate::bench::criterion::CoreResult;
use crate::bench::host::CpuTime;
use crate::bench::load::{
    self, CONNECTIONS, Endpoint, HEADROOM, HostResults, MAX_SIGN_INS, MIN_SIGN_INS, PILOT_SECONDS,
    RUN_SECONDS, RUNS, StartSample,
};
use crate::bench::machine::Machine;
use crate::bench::profile::Profile;
use crate::bench::stats::{self, Summary, Unit};
use crate::sizes::human;

/// How busy the machine was around the run.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// 1-minute load average before and after.
    pub load_before: Option<f64>,
    /// 1-minute load average at the end.
    pub load_after: Option<f64>,
    /// Competing work seen before, during or after the run (`cargo test`, …).
    pub competing: Vec<String>,
    /// `fsync` latency after a 4 KiB append in the target directory, ns.
    pub fsync: Option<Summary>,
    /// The load generators: oha's version, and the OTP client.
    pub load_tools: String,
    /// Wall time of installing and building (what was stale).
    pub build_took: Duration,
    /// Wall time of the measurements (after the build).
    pub took: Duration,
}

/// Everything the report shows.
pub struct Report<'a> {
    /// The machine, date and commit.
    pub machine: &'a Machine,
    /// How busy it was.
    pub conditions: &'a Conditions,
    /// Artifact sizes.
    pub sizes: &'a [crate::sizes::ArtifactSize],
    /// otp-core's Criterion results.
    pub core: &'a [CoreResult],
    /// edge-host's starts and load levels.
    pub host: &'a HostResults,
    /// The same component on Spin.
    pub spin: &'a crate::bench::spin::SpinOutcome,
    /// Page-load timings.
    pub browser: &'a BrowserResults,
}

impl Report<'_> {
    /// The median of the native OTP step, ns.
    pub fn native_step_ns(&self) -> Option<f64> {
        self.core
            .iter()
            .find(|r| r.bench.id == "native/otp_step")
            .map(|r| r.per_iteration.median)
    }

    /// The whole of BENCHMARKS.md.
    pub fn render(&self) -> String {
        let mut md = String::new();
        self.header(&mut md);
        self.core_section(&mut md);
        self.host_section(&mut md);
        crate::bench::spin_report::section(&mut md, self.host, self.spin);
        self.boundary_section(&mut md);
        self.sizes_section(&mut md);
        self.browser_section(&mut md);
        self.lines_section(&mut md);
        md
    }

    /// Title, and the machine table.
    fn header(&self, md: &mut String) {
        let m = self.machine;
        let c = self.conditions;
        let _ = writeln!(md, "# otp-edge benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `cargo xtask bench` (installing and building what was stale took {:.0} s, \
             the measurements {:.0} s); run it again to refresh. Every figure is a median with \
             its spread; the spread is said in each table.\n",
            c.build_took.as_secs_f64(),
            c.took.as_secs_f64()
        );
        let _ = writeln!(md, "| | |\n| --- | --- |");
        let _ = writeln!(md, "| date (UTC) | {} |", m.date);
        let _ = writeln!(md, "| commit | {} |", m.commit);
        let _ = writeln!(md, "| CPUs (nproc) | {} |", m.cpus);
        let _ = writeln!(md, "| CPU model | {} |", m.cpu_model);
        let _ = writeln!(md, "| memory | {} |", m.memory);
        let _ = writeln!(md, "| kernel | {} |", m.kernel);
        if let Some(f) = &c.fsync {
            let _ = writeln!(
                md,
                "| disk: `fsync` after a 4 KiB overwrite in target/ (a SQLite WAL commit) | {} |",
                stats::duration_range(f)
            );
        }
        let load = |l: Option<f64>| l.map_or_else(|| "?".to_owned(), |l| format!("{l:.2}"));
        let _ = writeln!(
            md,
            "| load average (1 min) before / after | {} / {} |",
            load(c.load_before),
            load(c.load_after)
        );
        let _ = writeln!(
            md,
            "| other heavy work seen during the run | {} |\n",
            if c.competing.is_empty() {
                "none".to_owned()
            } else {
                format!("**{}** — numbers are skewed by it", c.competing.join(", "))
            }
        );
    }

    /// 1. otp-core.
    fn core_section(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## 1. otp-core (Criterion, `otp-core/benches/core.rs`)\n"
        );
        let _ = writeln!(
            md,
            "Time per operation: the median of Criterion's samples, with the spread of the \
             samples (25th–75th percentile). One thread, no I/O.\n"
        );
        let _ = writeln!(
            md,
            "| operation | median | spread (p25–p75) | samples |\n| --- | ---: | ---: | ---: |"
        );
        for r in self.core {
            let s = &r.per_iteration;
            let unit = Unit::fitting(s.median);
            let what = if r.bench.id == "slow/argon2id_verify" {
                format!(
                    "{} (m={M_COST_KIB} KiB, t={T_COST}, p={P_COST})",
                    r.bench.what
                )
            } else {
                r.bench.what.to_owned()
            };
            let _ = writeln!(
                md,
                "| {what} <br>`{}` | **{} {}** | {}–{} {} | {} |",
                r.bench.id,
                stats::in_unit(s.median, unit),
                unit.symbol(),
                stats::in_unit(s.q1, unit),
                stats::in_unit(s.q3, unit),
                unit.symbol(),
                s.n
            );
        }
        let _ = writeln!(md);
    }

    /// 2. edge-host: starts and load levels.
    fn host_section(&self, md: &mut String) {
        let h = self.host;
        let _ = writeln!(
            md,
            "## 2. edge-host (`target/release/edge-host`, wasmtime 48)\n"
        );
        let _ = writeln!(md, "### Start\n");
        let _ = writeln!(
            md,
            "From spawning the process: *listening* is its `otp-edge listening` line (variables, \
             database, compiling or loading the component); *first response* adds the first \
             `GET /api/time` (the first instantiation). Median (min–max).\n"
        );
        let _ = writeln!(
            md,
            "| start | runs | listening | first response | first request alone | second request |\n\
             | --- | ---: | ---: | ---: | ---: | ---: |"
        );
        for (name, samples) in [
            (
                "cold: empty wasmtime compilation cache (component compiled)",
                &h.starts.cold,
            ),
            (
                "warm: compilation cache filled by a cold start",
                &h.starts.warm_cache,
            ),
        ] {
            let col = |f: fn(&StartSample) -> Duration| {
                let nanos: Vec<f64> = samples.iter().map(|s| f(s).as_nanos() as f64).collect();
                Summary::of(&nanos).map_or_else(|| "—".into(), |s| stats::duration_range(&s))
            };
            let _ = writeln!(
                md,
                "| {name} | {} | **{}** | **{}** | {} | {} |",
                samples.len(),
                col(|s| s.ready),
                col(|s| s.first_response),
                col(|s| s.first_request),
                col(|s| s.second_request)
            );
        }
        let _ = writeln!(md, "\n### Warm requests\n");
        let _ = writeln!(
            md,
            "{} on 127.0.0.1, {RUNS} runs of {RUN_SECONDS} s per level (the OTP step: each run on \
             a fresh data directory with its own prepared sign-ins, each sent once). Median over \
             the runs (min–max). *CPU/request* is edge-host's CPU time (all threads) per \
             response.\n",
            self.conditions.load_tools
        );
        levels_table(md, h);
        flushes_and_memory(md, h);
        if let Some(prepared) = h
            .levels
            .iter()
            .filter(|l| l.endpoint == Endpoint::OtpStep)
            .flat_map(|l| &l.runs)
            .map(|r| r.prepared)
            .max()
        {
            let _ = writeln!(
                md,
                "\nSign-ins prepared per OTP run: {prepared} ({HEADROOM} × the rate of a \
                 {PILOT_SECONDS} s pilot run at 64 connections × {RUN_SECONDS} s; at least \
                 {MIN_SIGN_INS}, at most {MAX_SIGN_INS}), written straight into edge-host's SQLite file with otp-core's \
                 record types: an account with active OTP (last accepted step = current − 2), its \
                 e-mail index and one challenge each; the code sent is the current step's."
            );
        }
        let _ = writeln!(md);
    }

    /// 3. Native against edge-host.
    fn boundary_section(&self, md: &mut String) {
        let _ = writeln!(md, "## 3. The cost of the edge boundary\n");
        let native = self.native_step_ns();
        let edge = self.host.otp_step_p50_ns(1);
        let (Some(native), Some(edge)) = (native, edge) else {
            let _ = writeln!(md, "Not measured.\n");
            return;
        };
        let _ = writeln!(
            md,
            "The same OTP step (challenge lookup, account compare-and-swap, open the sealed \
             secret, verify and consume the step, delete the challenge, create the session, \
             append to the audit log).\n"
        );
        let _ = writeln!(md, "| path | time |\n| --- | ---: |");
        let _ = writeln!(
            md,
            "| native: otp-core with the in-memory store (`native/otp_step`, median) | {} |",
            stats::duration(native)
        );
        let _ = writeln!(
            md,
            "| through edge-host: HTTP, a fresh component instance, Spin key-value on SQLite \
             (p50 at 1 connection) | {} |",
            stats::duration(edge)
        );
        if let Some(run) = self.host.profile.as_ref().and_then(|p| p.on_tmpfs.as_ref()) {
            let _ = writeln!(
                md,
                "| through edge-host with its data directory on tmpfs — no disk flushes \
                 (profile run, p50 at 1 connection; {:.0}× native) | {} |",
                run.p50_us * 1e3 / native,
                stats::duration(run.p50_us * 1e3)
            );
        }
        let _ = writeln!(
            md,
            "| **ratio** (through edge-host ÷ native) | **{:.0}×** |\n",
            edge / native
        );
    }

    /// 4. Artifact sizes.
    fn sizes_section(&self, md: &mut String) {
        let _ = writeln!(md, "## 4. Artifact sizes\n");
        let _ = writeln!(
            md,
            "| artifact | path | raw | gzip -9 |\n| --- | --- | ---: | ---: |"
        );
        for a in self.sizes {
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | {} |",
                a.name,
                a.path.display(),
                human(a.raw),
                human(a.gzip)
            );
        }
        let _ = writeln!(md);
    }

    /// 5. Page loads.
    fn browser_section(&self, md: &mut String) {
        let b = self.browser;
        let _ = writeln!(
            md,
            "## 5. Browser (headless Chromium, `tests/browser/bench.mjs`)\n"
        );
        let _ = writeln!(
            md,
            "{} page loads of `account.html` (signed in, phone set) each: a fresh Chromium \
             profile (nothing cached), then the same page again in that browser. Milliseconds \
             since navigation start, from the page's `performance.mark()`s; median (min–max). \
             *QR drawn* is after pressing \"OTP setting…\" as soon as the page is ready (the \
             press is automated); *press → QR* is `POST /api/otp/setup` plus drawing the QR \
             code with the browser module. {}.\n",
            b.loads, b.chromium
        );
        let _ = writeln!(
            md,
            "| visit | browser module ready | page ready | QR drawn | press → QR |\n\
             | --- | ---: | ---: | ---: | ---: |"
        );
        let ms = |s: &Summary| stats::duration_range(&s.map(|v| v * 1e6));
        for (name, v) in [
            ("first visit (fresh profile)", &b.first_visit),
            ("repeat visit (same browser)", &b.repeat_visit),
        ] {
            let Visit {
                module_ready,
                page_ready,
                qr_drawn,
                click_to_qr,
            } = v;
            let _ = writeln!(
                md,
                "| {name} | **{}** | {} | **{}** | {} |",
                ms(module_ready),
                ms(page_ready),
                ms(qr_drawn),
                ms(click_to_qr)
            );
        }
        let _ = writeln!(md);
    }

    /// The lines the figures are held to (issue #13), each with what this run measured;
    /// the profile when a line of edge-host's was missed.
    fn lines_section(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## 6. Lines
"
        );
        let lines = host_lines(self.host, self.conditions.fsync.map(|f| f.median));
        let history = self.native_history_line();
        lines_table(md, lines.iter().chain(history.iter()));
        if !self.conditions.competing.is_empty() {
            let _ = writeln!(
                md,
                "Other heavy work ran during this run ({}): every figure is skewed by it.\n",
                self.conditions.competing.join(", ")
            );
        }
        if let Some(profile) = &self.host.profile {
            let _ = writeln!(
                md,
                "### Profile of the OTP step (a line of edge-host's was missed)\n"
            );
            profile_notes(md, profile);
        }
    }

    /// The native step with a full history against a fresh account's.
    fn native_history_line(&self) -> Option<Line> {
        let median = |id: &str| {
            self.core
                .iter()
                .find(|r| r.bench.id == id)
                .map(|r| r.per_iteration.median)
        };
        let (fresh, full) = (
            median("native/otp_step")?,
            median("native/otp_step_full_history")?,
        );
        Some(Line::at_most_twice(
            "native OTP step, full history ÷ fresh account",
            full,
            fresh,
        ))
    }
}

/// One line a figure is held to.
#[derive(Debug, Clone)]
pub struct Line {
    /// What is measured.
    pub figure: String,
    /// The measured value, written out.
    pub measured: String,
    /// The line, written out.
    pub line: String,
    /// Whether the figure is within it.
    pub met: bool,
}

impl Line {
    /// `value` (ns) held to at most twice `base` (ns).
    fn at_most_twice(figure: &str, value: f64, base: f64) -> Line {
        Line {
            figure: figure.to_owned(),
            measured: format!(
                "{:.2}× ({} ÷ {})",
                value / base,
                stats::duration(value),
                stats::duration(base)
            ),
            line: "≤ 2×".into(),
            met: value <= 2.0 * base,
        }
    }
}

/// The median over a level's runs of `f`.
fn level_median(
    host: &HostResults,
    endpoint: Endpoint,
    connections: u32,
    f: impl Fn(&load::LevelRun) -> Option<f64>,
) -> Option<f64> {
    let level = host.level(endpoint, connections)?;
    Summary::of(&level.runs.iter().filter_map(f).collect::<Vec<_>>()).map(|s| s.median)
}

/// edge-host's lines (issue #13): the OTP step's p50 at 1 connection against
/// `GET /api/time`'s and one flush (`fsync_ns`, measured), its rate at 64 connections,
/// its CPU per step, and every answer 200.
pub fn host_lines(host: &HostResults, fsync_ns: Option<f64>) -> Vec<Line> {
    use Endpoint::{OtpStep, Time};
    let p50 = |e| level_median(host, e, 1, |r| Some(r.load.p50_us * 1e3));
    let most = CONNECTIONS[CONNECTIONS.len() - 1];
    let rate = |e| level_median(host, e, most, |r| Some(r.load.rps()));
    let cpu = |e| {
        level_median(host, e, 1, |r| {
            r.cpu_per_request
                .as_ref()
                .map(|c| c.total().as_nanos() as f64)
        })
    };
    let mut lines = Vec::new();
    if let (Some(step), Some(time), Some(flush)) = (p50(OtpStep), p50(Time), fsync_ns) {
        let line = 2.0 * time + flush;
        lines.push(Line {
            figure: "OTP step p50, 1 connection".into(),
            measured: stats::duration(step),
            line: format!(
                "≤ {} (2 × {} + one flush {})",
                stats::duration(line),
                stats::duration(time),
                stats::duration(flush)
            ),
            met: step <= line,
        });
    }
    if let (Some(step), Some(time)) = (rate(OtpStep), rate(Time)) {
        lines.push(Line {
            figure: format!("OTP steps/s ÷ `GET /api/time` requests/s, {most} connections"),
            measured: format!(
                "{:.0} % ({} ÷ {})",
                100.0 * step / time,
                stats::significant(step),
                stats::significant(time)
            ),
            line: "≥ 50 %".into(),
            met: step >= 0.5 * time,
        });
    }
    if let (Some(step), Some(time)) = (cpu(OtpStep), cpu(Time)) {
        lines.push(Line::at_most_twice(
            "edge-host CPU per OTP step ÷ per `GET /api/time`, 1 connection",
            step,
            time,
        ));
    }
    let runs = host.levels.iter().flat_map(|l| &l.runs);
    let (total, bad) = runs.fold((0, 0), |(t, b), r| {
        (
            t + r.load.requests,
            b + r.load.non200 + r.load.socket_errors,
        )
    });
    lines.push(Line {
        figure: "answers other than 200 (and socket errors), every load run".into(),
        measured: format!("{bad} of {total}"),
        line: "0".into(),
        met: bad == 0 && total > 0,
    });
    lines
}

/// The CPU and syscall profiles.
fn profile_notes(md: &mut String, profile: &Profile) {
    if let Some(cpu) = &profile.cpu {
        let shares = |list: &[crate::bench::profile::Share]| {
            list.iter()
                .map(|s| format!("{} {:.1} %", s.name, s.percent))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            md,
            "- **CPU profile** (`perf record` of edge-host, {} samples over {} OTP steps on 1 \
             connection, p50 {} while sampled) by object: {}. Hottest symbols: {}.",
            cpu.samples,
            cpu.run.requests,
            stats::duration(cpu.run.p50_us * 1e3),
            shares(&cpu.objects),
            shares(&cpu.symbols)
        );
    }
    if let Some(run) = &profile.on_tmpfs {
        let _ = writeln!(
            md,
            "- **Without the disk:** the same load with the data directory in /dev/shm (tmpfs, \
             where `fsync` returns at once): p50 {} (p99 {}), {} steps/s at 1 connection.",
            stats::duration(run.p50_us * 1e3),
            stats::duration(run.p99_us * 1e3),
            stats::significant(run.rps())
        );
    }
}

/// One row per load level: rate, latency, CPU and answers.
fn levels_table(md: &mut String, h: &HostResults) {
    let _ = writeln!(
        md,
        "| endpoint | connections | requests/s | p50 | p99 | CPU/request (user + kernel) | answered 200 |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for level in &h.levels {
        let runs = &level.runs;
        let sum = |f: &dyn Fn(&load::LevelRun) -> f64| {
            Summary::of(&runs.iter().map(f).collect::<Vec<_>>())
        };
        let rps = sum(&|r| r.load.rps()).map_or("—".into(), |s| stats::number_range(&s));
        let p50 = sum(&|r| r.load.p50_us * 1e3).map_or("—".into(), |s| stats::duration_range(&s));
        let p99 = sum(&|r| r.load.p99_us * 1e3).map_or("—".into(), |s| stats::duration_range(&s));
        let cpu_part = |part: fn(&CpuTime) -> Duration| {
            sum(&|r| {
                r.cpu_per_request
                    .as_ref()
                    .map_or(f64::NAN, |c| part(c).as_nanos() as f64)
            })
            .map(|s| s.median)
        };
        let cpu = match (
            cpu_part(|c| c.total()),
            cpu_part(|c| c.user),
            cpu_part(|c| c.system),
        ) {
            (Some(total), Some(user), Some(system)) => format!(
                "{} ({} + {})",
                stats::duration(total),
                stats::duration(user),
                stats::duration(system)
            ),
            _ => "—".into(),
        };
        let total: u64 = runs.iter().map(|r| r.load.requests).sum();
        let bad: u64 = runs.iter().map(|r| r.load.non200).sum();
        let errors: u64 = runs.iter().map(|r| r.load.socket_errors).sum();
        let exhausted = runs.iter().any(|r| r.load.exhausted_connections > 0);
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
            let _ = write!(ok, ", {errors} socket errors/timeouts");
        }
        if exhausted {
            ok.push_str(", **ran out of prepared sign-ins**");
        }
        let _ = writeln!(
            md,
            "| {} | {} | **{rps}** | **{p50}** | {p99} | {cpu} | {ok} |",
            level.endpoint.label(),
            level.connections
        );
    }
}

/// Flushes per OTP step (group commit) and edge-host's peak memory, per level.
fn flushes_and_memory(md: &mut String, host: &HostResults) {
    let _ = writeln!(
        md,
        "\n| `POST /api/session/otp`, connections | key-value writes per step | flushes per step | edge-host peak RSS |\n\
         | ---: | ---: | ---: | ---: |"
    );
    for level in host
        .levels
        .iter()
        .filter(|l| l.endpoint == Endpoint::OtpStep)
    {
        let per_step = |pick: fn((u64, u64)) -> u64| {
            let values: Vec<f64> = level
                .runs
                .iter()
                .filter_map(|r| {
                    r.writes_and_flushes
                        .map(|c| pick(c) as f64 / r.load.requests.max(1) as f64)
                })
                .collect();
            Summary::of(&values).map_or("—".into(), |s| format!("{:.2}", s.median))
        };
        let rss: Vec<f64> = level
            .runs
            .iter()
            .filter_map(|r| r.peak_rss_kib.map(|k| k as f64))
            .collect();
        let rss =
            Summary::of(&rss).map_or("—".into(), |s| format!("{:.1} MiB", s.median / 1024.0));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {rss} |",
            level.connections,
            per_step(|(writes, _)| writes),
            per_step(|(_, flushes)| flushes)
        );
    }
}

/// The lines, one row each.
fn lines_table<'a>(md: &mut String, lines: impl Iterator<Item = &'a Line>) {
    let _ = writeln!(
        md,
        "| figure | measured | line | met |\n| --- | ---: | ---: | :---: |"
    );
    for l in lines {
        let met = if l.met { "yes" } else { "**no**" };
        let _ = writeln!(md, "| {} | {} | {} | {met} |", l.figure, l.measured, l.line);
    }
    let _ = writeln!(md);
}

/// edge-host's load levels, flushes, lines and profile, alone (`bench --edge-host-only`).
pub fn host_summary(host: &HostResults, fsync_ns: Option<f64>) -> String {
    let mut md = String::new();
    levels_table(&mut md, host);
    flushes_and_memory(&mut md, host);
    let _ = writeln!(md);
    lines_table(&mut md, host_lines(host, fsync_ns).iter());
    if let Some(profile) = &host.profile {
        profile_notes(&mut md, profile);
    }
    md
}
