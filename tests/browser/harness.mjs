// Shared pieces of the browser tests (e2e.mjs, recovery.mjs): edge-host started on a
// temporary data directory, Debian's Chromium driven by playwright-core, named checks
// with a final "N passed, M failed" line, and small page helpers.
//
// Environment: $OTP_EDGE_HOST_BIN (default target/release/edge-host), $OTP_EDGE_COMPONENT
// (default target/wasm32-wasip2/wasm-release/edge_api.wasm), $CHROMIUM_BIN (default
// /usr/bin/chromium). Static files come from web/, which must hold web/pkg/. Run from the
// repository root.

import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import assert from "node:assert/strict";

export const HOST_BIN = process.env.OTP_EDGE_HOST_BIN ?? "target/release/edge-host";
export const COMPONENT = process.env.OTP_EDGE_COMPONENT ?? "target/wasm32-wasip2/wasm-release/edge_api.wasm";
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const WEB = "web";
export const SHOTS = "target/screenshots";
export const PERIOD = 30;
export const PASSWORD = "correct horse battery staple";
export const WAIT_MS = 15_000;
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

const results = { passed: 0, failed: 0 };
const cleanups = [];

// ------------------------------------------------------------------ helpers

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** TOTP code of `key` at Unix second `unix`, computed by oathtool (not our code). */
export function oathtool(key, unix) {
  return execFileSync("oathtool", ["--totp", "-b", key, "-N", `@${unix}`]).toString().trim();
}

/**
 * A code for a step after `lastStep` that the server accepts now (window T−1..T+1),
 * waiting for the next time step when needed: the server refuses a step at or below
 * the last accepted one.
 */
export async function freshCode(key, lastStep) {
  for (;;) {
    const nowStep = Math.floor(Date.now() / 1000 / PERIOD);
    const step = Math.max(lastStep + 1, nowStep);
    if (step <= nowStep + 1) return { code: oathtool(key, step * PERIOD), step };
    await sleep((nowStep + 1) * PERIOD * 1000 - Date.now() + 250);
  }
}

/** zbarimg's reading of a PNG file. */
export function zbar(png) {
  return execFileSync("zbarimg", ["--raw", "-q", png], { stdio: ["ignore", "pipe", "ignore"] }).toString().replace(/\n$/, "");
}

export class FlowStopped extends Error {}

/** Run one named check; the flow stops at its first failure. */
export async function check(name, fn) {
  try {
    await fn();
    results.passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    results.failed += 1;
    console.log(`not ok - ${name}\n  ${String(err?.stack ?? err).split("\n").slice(0, 6).join("\n  ")}`);
    throw new FlowStopped();
  }
}

/** Screenshot of the whole page, or of the viewport while a modal dialog is open. */
export async function shot(page, name) {
  await checkTexts(page);
  const modal = (await page.locator("dialog[open]").count()) > 0;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: !modal });
}

/**
 * Every text the page shows comes from a catalog: each visible text node is a text that
 * the page's t() produced or a server message (window.otpEdgeTexts, web/i18n.js), unless
 * it is data ([data-raw]: addresses, codes, keys, times). Run before every screenshot.
 */
export async function checkTexts(page) {
  const problems = await page.evaluate(() => {
    const texts = window.otpEdgeTexts;
    if (!texts) return ["the page has no catalog (window.otpEdgeTexts)"];
    const out = texts.missing.map((id) => `no message "${id}"`);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!text || !el || el.closest("[data-raw], script, style, svg")) continue;
      if (!el.checkVisibility()) continue;
      if (!texts.produced.has(text)) out.push(`not from a catalog: ${JSON.stringify(text)}`);
    }
    if (document.documentElement.lang !== document.documentElement.dataset.expectLang && document.documentElement.dataset.expectLang) {
      out.push(`<html lang="${document.documentElement.lang}">`);
    }
    return out;
  });
  assert.deepEqual(problems, [], `texts on ${page.url()}`);
}

/** Wait until `selector`'s text matches `pattern`; returns the text. */
export async function waitText(page, selector, pattern) {
  const handle = await page.waitForFunction(
    ([sel, source, flags]) => {
      const el = document.querySelector(sel);
      return el && new RegExp(source, flags).test(el.textContent) ? el.textContent : false;
    },
    [selector, pattern.source, pattern.flags],
    { timeout: WAIT_MS },
  );
  return handle.jsonValue();
}

export async function ready(page) {
  await page.waitForSelector("body[data-ready=true]", { timeout: WAIT_MS });
}

export async function otpStatus(page, base) {
  const response = await page.request.get(`${base}/api/account`);
  assert.equal(response.status(), 200);
  return (await response.json()).otp.status;
}

/** Every input has a label; code fields ask for one-time codes with a numeric keypad. */
export async function checkFields(page) {
  const problems = await page.evaluate(() =>
    [...document.querySelectorAll("input")].flatMap((input) => {
      const out = [];
      if (!input.labels?.length) out.push(`#${input.id} has no label`);
      if (input.classList.contains("code")) {
        if (input.autocomplete !== "one-time-code") out.push(`#${input.id} autocomplete`);
        if (input.inputMode !== "numeric") out.push(`#${input.id} inputmode`);
      }
      return out;
    }),
  );
  assert.deepEqual(problems, []);
  assert.ok(await page.locator("[aria-live=polite]").count() > 0, "a polite live region");
}

/** After activation: the recovery codes the dialog shows, kept (ticked, Continue). */
export async function keepRecoveryCodes(page) {
  await page.waitForSelector("#codes-dialog[open]", { timeout: WAIT_MS });
  const codes = await page.locator("#codes-list li").allTextContents();
  await page.check("#codes-kept");
  await page.click("#codes-done");
  await page.waitForSelector("#codes-dialog:not([open])", { state: "attached", timeout: WAIT_MS });
  return codes;
}

/** How far the page is wider than the viewport (≤ 0 when it fits). */
export async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// ------------------------------------------------------------------ edge-host and browser

/** A TCP port that was free a moment ago (for a `public_base_url` known in advance). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start edge-host on a fresh data directory; resolves to its base URL. `port` 0 lets it
 * pick one; `vars` are extra Spin variables (`name=value`).
 */
export async function startHost({ port = 0, vars = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "otp-edge-e2e-data-"));
  const args = [
    "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--component", COMPONENT, "--web", WEB,
    "--var", `seal_keys=k1:${randomBytes(32).toString("base64")}`, "--var", "issuer=otp-edge-test",
    ...vars.flatMap((v) => ["--var", v]),
  ];
  const proc = spawn(HOST_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  cleanups.push(() => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  });
  let log = "";
  proc.stderr.on("data", (d) => (log += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`edge-host did not start in 60 s:\n${out}${log}`)), 60_000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/otp-edge listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on("exit", (code) => reject(new Error(`edge-host exited with ${code}:\n${out}${log}`)));
  });
  proc.stdout.resume();
  return url.replace(/\/$/, "");
}

/** A fresh Chromium with its own temporary profile. */
export async function browser({ viewport, clockShiftMs = 0, lang = "en-US" }) {
  const profile = mkdtempSync(join(tmpdir(), "otp-edge-e2e-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--lang=${lang}`],
    locale: lang,
    viewport,
  });
  cleanups.push(async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });
  if (clockShiftMs) {
    // The device clock is wrong: every Date the page sees is shifted.
    await context.addInitScript((shift) => {
      const RealDate = Date;
      class ShiftedDate extends RealDate {
        constructor(...args) {
          if (args.length === 0) super(RealDate.now() + shift);
          else super(...args);
        }
        static now() {
          return RealDate.now() + shift;
        }
      }
      globalThis.Date = ShiftedDate;
    }, clockShiftMs);
  }
  // Every Content-Security-Policy violation is reported as an error: the pages must
  // work under the policy the server sends.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => {
    const text = msg.text();
    if (msg.type() === "error" && /CSP violation|Content Security Policy|no message|catalog/.test(text)) {
      errors.push(text);
    }
  });
  return { page, errors, context };
}

export async function register(page, base, email, phone) {
  await page.goto(`${base}/`);
  await ready(page);
  await page.fill("#register-email", email);
  await page.fill("#register-password", PASSWORD);
  if (phone) await page.fill("#register-phone", phone);
  await page.click("#register-form button[type=submit]");
  await page.waitForURL(/\/account\.html$/, { timeout: WAIT_MS });
  await ready(page);
}

/** Open the OTP dialog; returns the key as shown (groups of four joined). */
export async function openSetup(page, opener = "#otp-open") {
  await page.click(opener);
  await page.waitForSelector("#otp-dialog[open] #otp-qr svg", { timeout: WAIT_MS });
  const grouped = await waitText(page, "#otp-key", /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
  return grouped.replaceAll(" ", "");
}

// ------------------------------------------------------------------ runner

/**
 * Check the prerequisites, start edge-host with `hostOptions`, run each flow (a flow
 * stops at its first failed check; the next one still runs), clean up, print
 * "N passed, M failed" and exit 1 on any failure.
 */
export async function run(flows, hostOptions = async () => ({})) {
  try {
    const missing = [HOST_BIN, COMPONENT, `${WEB}/pkg/wasm_client_bg.wasm`, CHROMIUM].filter((p) => !existsSync(p));
    if (missing.length) {
      console.log(`not ok - prerequisites missing: ${missing.join(", ")} (build them first; run from the repo root)`);
      results.failed += 1;
      return;
    }
    mkdirSync(SHOTS, { recursive: true });
    let base;
    await check("edge-host starts", async () => {
      base = await startHost(await hostOptions());
    }).catch(() => {});
    if (!base) return;
    for (const flow of flows) {
      try {
        await flow(base);
      } catch (err) {
        if (!(err instanceof FlowStopped)) {
          results.failed += 1;
          console.log(`not ok - ${flow.name} crashed: ${err?.stack ?? err}`);
        }
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    console.log(`${results.passed} passed, ${results.failed} failed`);
    process.exit(results.failed === 0 ? 0 : 1);
  }
}
