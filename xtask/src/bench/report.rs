//! The text of BENCHMARKS.md (also printed by `cargo xtask bench`).

use std::fmt::Write as _;
use std::time::Duration;

use otp_core::password::{M_COST_KIB, P_COST, T_COST};

use crate::bench::artifacts::{Optimised, SizeRow};
use crate::bench::browser::{BrowserResults, Visit};
use crate::bench::criterion::CoreResult;
use crate::bench::host::CpuTime;
use crate::bench::load::{
    self, CONNECTIONS, Endpoint, HEADROOM, HostResults, MAX_BOUNDARY_RATIO, MAX_SIGN_INS,
    MIN_SIGN_INS, PILOT_SECONDS, RUN_SECONDS, RUNS, SLOW_STEP, StartSample,
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
    /// `wrk --version`'s first line.
    pub wrk_version: String,
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
    pub sizes: &'a [SizeRow],
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
        self.notes(&mut md);
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
            "wrk on 127.0.0.1, {RUNS} runs of {RUN_SECONDS} s per level (the OTP step: each run on \
             a fresh data directory with its own prepared sign-ins, each sent once). Median over \
             the runs (min–max). *CPU/request* is edge-host's CPU time (all threads) per \
             response. wrk runs on the same machine and takes CPU from edge-host.\n"
        );
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
            let rps = sum(&|r| r.wrk.rps()).map_or("—".into(), |s| stats::number_range(&s));
            let p50 =
                sum(&|r| r.wrk.p50_us * 1e3).map_or("—".into(), |s| stats::duration_range(&s));
            let p99 =
                sum(&|r| r.wrk.p99_us * 1e3).map_or("—".into(), |s| stats::duration_range(&s));
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
            let total: u64 = runs.iter().map(|r| r.wrk.requests).sum();
            let bad: u64 = runs.iter().map(|r| r.wrk.non200).sum();
            let errors: u64 = runs.iter().map(|r| r.wrk.socket_errors).sum();
            let exhausted = runs.iter().any(|r| r.wrk.exhausted_threads > 0);
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
        self.flushes_and_memory(md);
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

    /// Flushes per OTP step (group commit) and edge-host's peak memory, per level.
    fn flushes_and_memory(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "\n| `POST /api/session/otp`, connections | key-value writes per step | flushes per step | edge-host peak RSS |\n\
             | ---: | ---: | ---: | ---: |"
        );
        for level in self
            .host
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
                            .map(|c| pick(c) as f64 / r.wrk.requests.max(1) as f64)
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
        let ratio = edge / native;
        let flag = if ratio > MAX_BOUNDARY_RATIO {
            " — over 10×, see the notes"
        } else {
            ""
        };
        let _ = writeln!(
            md,
            "| **ratio** (through edge-host ÷ native) | **{ratio:.0}×**{flag} |\n"
        );
    }

    /// 4. Artifact sizes.
    fn sizes_section(&self, md: &mut String) {
        let _ = writeln!(md, "## 4. Artifact sizes\n");
        let _ = writeln!(
            md,
            "| artifact | path | raw | gzip -9 | after `wasm-opt -Oz` | that, gzip -9 |\n\
             | --- | --- | ---: | ---: | ---: | ---: |"
        );
        for row in self.sizes {
            let (opt, opt_gzip) = match &row.optimised {
                Optimised::Bytes { raw, gzip } => (human(*raw), human(*gzip)),
                Optimised::NotApplicable(why) => ((*why).to_owned(), "—".to_owned()),
            };
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | {} | {opt} | {opt_gzip} |",
                row.what,
                row.path.display(),
                human(row.raw),
                human(row.gzip)
            );
        }
        let _ = writeln!(
            md,
            "\nDebian's wasm-opt (binaryen 108) reads core modules only: the component has no \
             optimised size. The row under it is the component's own main core module, taken \
             byte for byte out of it and run through `wasm-opt -Oz` to show what wasm-opt would \
             save (not what ships).\n"
        );
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

    /// How it was measured, and the explanations thresholds call for.
    fn notes(&self, md: &mut String) {
        let _ = writeln!(md, "## Notes\n");
        let c = self.conditions;
        let _ = writeln!(
            md,
            "- Load generator: {} with a Lua script, one wrk thread per connection \
             (connections {}), `--timeout 10s`. The script times every response on \
             `CLOCK_MONOTONIC` (LuaJIT FFI) and the percentiles come from those times: wrk's own \
             latency histogram uses `gettimeofday`, and the wall clock of the virtual machine this \
             was written on is stepped many times a second: there wrk's own figures for \
             `GET /api/time` at 1 connection added up to 5× the run's length, with a p99 of \
             15.7 ms against 0.35 ms on the monotonic clock. The script also counts non-200 \
             answers; the OTP script hands each prepared body out once, split between \
             wrk's threads.",
            c.wrk_version,
            CONNECTIONS.map(|c| c.to_string()).join(", ")
        );
        let _ = writeln!(
            md,
            "- Cold start points wasmtime's compilation cache (`$XDG_CACHE_HOME/wasmtime`) at an \
             empty directory; warm start at the one a cold start filled."
        );
        if !c.competing.is_empty() {
            let _ = writeln!(
                md,
                "- **Other heavy work ran on this machine during the run ({}):** every figure is \
                 skewed by it; run again on an idle machine.",
                c.competing.join(", ")
            );
        }
        self.threshold_notes(md);
    }

    /// The explanation required when a threshold is crossed.
    fn threshold_notes(&self, md: &mut String) {
        let Some(edge) = self.host.otp_step_p50_ns(1) else {
            return;
        };
        let ratio = self.native_step_ns().map(|n| edge / n);
        let slow = edge > SLOW_STEP.as_nanos() as f64;
        let costly = ratio.is_some_and(|r| r > MAX_BOUNDARY_RATIO);
        if !slow && !costly {
            let _ = writeln!(
                md,
                "- Thresholds: the warm OTP step is under 5 ms at p50 and the edge boundary under \
                 10× the native step."
            );
            return;
        }
        let mut crossed = Vec::new();
        if slow {
            crossed.push(format!(
                "the warm OTP step takes {} at p50 (over 5 ms)",
                stats::duration(edge)
            ));
        }
        if let (true, Some(r)) = (costly, ratio) {
            crossed.push(format!(
                "the edge boundary costs {r:.0}× the native step (over 10×)"
            ));
        }
        let _ = writeln!(
            md,
            "\n### Why the OTP step costs this much through edge-host\n"
        );
        let _ = writeln!(md, "Thresholds crossed: {}.\n", crossed.join("; "));
        self.cpu_note(md, edge);
        if let Some(profile) = &self.host.profile {
            profile_notes(md, profile);
        }
        if let Some(f) = &self.conditions.fsync {
            let _ = writeln!(
                md,
                "- **Disk:** one `fsync` after overwriting 4 KiB (a SQLite WAL commit) takes {} \
                 (median; {}–{}) in target/ on this machine.",
                stats::duration(f.median),
                stats::duration(f.min),
                stats::duration(f.max)
            );
        }
        let time_p50_ns = Summary::of(
            &self
                .host
                .level(Endpoint::Time, 1)
                .map(|l| {
                    l.runs
                        .iter()
                        .map(|r| r.wrk.p50_us * 1e3)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        )
        .map(|s| s.median);
        let time_p50 = time_p50_ns.map_or_else(|| "—".to_owned(), stats::duration);
        let bare_ratio = match (time_p50_ns, self.native_step_ns()) {
            (Some(t), Some(n)) => format!("{:.0}×", t / n),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            md,
            "- **Why:** the native step is microseconds of computation on an in-memory map. \
             Through edge-host it is an HTTP request answered by a fresh component instance \
             (`GET /api/time`, which does nothing else, takes {time_p50} at p50 on 1 \
             connection), and every key-value call of the step leaves the component for SQLite \
             (edge-host/src/kv.rs: `journal_mode=WAL`, `synchronous=FULL`; reads on one \
             connection, writes through the group-commit writer thread, edge-host/src/kv_writer.rs) \
             on a blocking thread (`spawn_blocking`, edge-host/src/host.rs). The \
             step is one conditional write of the account record (time step, challenge, \
             session and audit event together: read, compare-and-swap, read back); the writes \
             that arrive during a flush share the next transaction and its `fsync` (the syscall \
             profile counts them at 1 connection). So the step costs disk flushes (the difference \
             between the table's p50 and the tmpfs run) plus CPU spent mostly outside the \
             component: thread wake-ups and context switches for each hand-off, and SQLite's \
             writes, in the kernel and in edge-host (the CPU profile); the component's own code \
             is a small share. Under concurrency the flushes are shared, so the CPU per step \
             (the hand-offs) is what bounds throughput.\n\
             - **Why it stays:** an empty request through the boundary (`GET /api/time`) \
             already costs {bare_ratio} the native step, so no OTP step through an HTTP \
             component can come under 10× of a few microseconds of in-memory work; the \
             boundary is judged by its p50 against the 5 ms line instead. The flushes are kept \
             on purpose: with `synchronous=FULL` a step the client was told is consumed \
             survives a power cut, so its code cannot be replayed afterwards \
             (`synchronous=NORMAL` in WAL mode skips the flush at each commit but can lose the last \
             commits on power failure). A disk with fast flushes is the cheap fix in \
             production."
        );
    }

    /// edge-host's CPU time per step against the step's latency.
    fn cpu_note(&self, md: &mut String, edge: f64) {
        let Some(level) = self.host.level(Endpoint::OtpStep, 1) else {
            return;
        };
        let median = |part: fn(&CpuTime) -> Duration| {
            Summary::of(
                &level
                    .runs
                    .iter()
                    .filter_map(|r| {
                        r.cpu_per_request
                            .as_ref()
                            .map(|c| part(c).as_nanos() as f64)
                    })
                    .collect::<Vec<_>>(),
            )
            .map(|s| s.median)
        };
        if let (Some(total), Some(user), Some(system)) = (
            median(|c| c.total()),
            median(|c| c.user),
            median(|c| c.system),
        ) {
            let _ = writeln!(
                md,
                "- **CPU:** edge-host spends {} of CPU per step at 1 connection ({} in edge-host, \
                 {} in the kernel) — {:.0} % of the {} p50; the rest of the time it waits.",
                stats::duration(total),
                stats::duration(user),
                stats::duration(system),
                100.0 * total / edge,
                stats::duration(edge)
            );
        }
    }
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
             where `fsync` returns at once): p50 {} (p99 {}), {} steps/s at 1 connection — the \
             difference to the table's figure is what the disk flushes cost.",
            stats::duration(run.p50_us * 1e3),
            stats::duration(run.p99_us * 1e3),
            stats::significant(run.rps())
        );
    }
    if let Some(sys) = &profile.syscalls {
        let _ = writeln!(
            md,
            "- **Syscall profile** (`strace -f -c -w` on edge-host, {} OTP steps on 1 connection, \
             {} answered 200; strace slows every traced call, p50 {} while traced):",
            sys.run.requests,
            sys.run.requests - sys.run.non200,
            stats::duration(sys.run.p50_us * 1e3)
        );
        for name in ["fsync", "fdatasync", "pwrite64", "pread64", "openat"] {
            if let Some((calls, each)) = sys.per_step(name) {
                let _ = writeln!(
                    md,
                    "  - `{name}`: {calls:.1} per step, {} each → {} per step",
                    stats::duration(each),
                    stats::duration(calls * each)
                );
            }
        }
    }
}
