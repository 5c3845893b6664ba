#!/usr/bin/env node
// End-to-end browser test of the otp-edge pages in headless Chromium.
//
// Run from the repository root:  node tests/browser/e2e.mjs
//
// Starts edge-host itself (binary: $OTP_EDGE_HOST_BIN, default target/release/edge-host;
// component: $OTP_EDGE_COMPONENT, default target/wasm32-wasip2/wasm-release/edge_api.wasm;
// static files: web/, which must hold the built module in web/pkg/), then drives Debian's
// Chromium ($CHROMIUM_BIN, default /usr/bin/chromium) through two flows:
//
//  1. desktop: register → phone → OTP setting (QR decoded with zbarimg) → local refusal
//     of a wrong code → Activate with an oathtool code → sign out → sign in with a code →
//     Deactivate with a code of a later time step (a used step is refused);
//  2. 360 px phone with the device clock 90 s ahead: the drift warning shows, a code from
//     an authenticator following that clock is stopped locally, the pending key survives
//     (GET /api/account still says "pending") and a correct code then activates it.
//
// Screenshots go to target/screenshots/. Prints "N passed, M failed" last; exits 1 on any
// failure. Needs: playwright-core (npm ci in tests/browser), oathtool, zbarimg.

import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import assert from "node:assert/strict";

const HOST_BIN = process.env.OTP_EDGE_HOST_BIN ?? "target/release/edge-host";
const COMPONENT = process.env.OTP_EDGE_COMPONENT ?? "target/wasm32-wasip2/wasm-release/edge_api.wasm";
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const WEB = "web";
const SHOTS = "target/screenshots";
const PERIOD = 30;
const PASSWORD = "correct horse battery staple";
const WAIT_MS = 15_000;
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
];

let passed = 0;
let failed = 0;
const cleanups = [];

// ------------------------------------------------------------------ helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** TOTP code of `key` at Unix second `unix`, computed by oathtool (not our code). */
function oathtool(key, unix) {
  return execFileSync("oathtool", ["--totp", "-b", key, "-N", `@${unix}`]).toString().trim();
}

/**
 * A code for a step after `lastStep` that the server accepts now (window T−1..T+1),
 * waiting for the next time step when needed: the server refuses a step at or below
 * the last accepted one.
 */
async function freshCode(key, lastStep) {
  for (;;) {
    const nowStep = Math.floor(Date.now() / 1000 / PERIOD);
    const step = Math.max(lastStep + 1, nowStep);
    if (step <= nowStep + 1) return { code: oathtool(key, step * PERIOD), step };
    await sleep((nowStep + 1) * PERIOD * 1000 - Date.now() + 250);
  }
}

/** zbarimg's reading of a PNG file. */
function zbar(png) {
  return execFileSync("zbarimg", ["--raw", "-q", png], { stdio: ["ignore", "pipe", "ignore"] }).toString().replace(/\n$/, "");
}

/** Run one named check; the flow stops at its first failure. */
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(err?.stack ?? err).split("\n").slice(0, 6).join("\n  ")}`);
    throw new FlowStopped();
  }
}

class FlowStopped extends Error {}

/** Screenshot of the whole page, or of the viewport while a modal dialog is open. */
async function shot(page, name) {
  const modal = (await page.locator("dialog[open]").count()) > 0;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: !modal });
}

/** Wait until `selector`'s text matches `pattern`; returns the text. */
async function waitText(page, selector, pattern) {
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

async function ready(page) {
  await page.waitForSelector("body[data-ready=true]", { timeout: WAIT_MS });
}

async function otpStatus(page, base) {
  const response = await page.request.get(`${base}/api/account`);
  assert.equal(response.status(), 200);
  return (await response.json()).otp.status;
}

/** Every input has a label; code fields ask for one-time codes with a numeric keypad. */
async function checkFields(page) {
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

// ------------------------------------------------------------------ edge-host and browser

async function startHost() {
  const dataDir = mkdtempSync(join(tmpdir(), "otp-edge-e2e-data-"));
  const args = [
    "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--component", COMPONENT, "--web", WEB,
    "--var", `seal_keys=k1:${randomBytes(32).toString("base64")}`, "--var", "issuer=otp-edge-test",
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
async function browser({ viewport, clockShiftMs = 0 }) {
  const profile = mkdtempSync(join(tmpdir(), "otp-edge-e2e-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
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
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  return { page, errors };
}

async function register(page, base, email, phone) {
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
async function openSetup(page) {
  await page.click("#otp-open");
  await page.waitForSelector("#otp-dialog[open] #otp-qr svg", { timeout: WAIT_MS });
  const grouped = await waitText(page, "#otp-key", /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
  return grouped.replaceAll(" ", "");
}

// ------------------------------------------------------------------ flows

async function desktopFlow(base) {
  const { page, errors } = await browser({ viewport: { width: 1280, height: 900 } });
  const email = `desk-${Date.now()}@example.com`;
  let key;
  let lastStep;

  await check("sign-in page loads with labelled fields", async () => {
    await page.goto(`${base}/`);
    await ready(page);
    await checkFields(page);
    await shot(page, "01-sign-in-desktop");
  });
  await check("register leads to the account page", async () => {
    await register(page, base, email);
    await waitText(page, "#account-email", new RegExp(email.replace(/[.]/g, "\\.")));
    await waitText(page, "#otp-status", /^Off$/);
    await checkFields(page);
    await shot(page, "02-account-new");
  });
  await check("OTP setting without a phone asks for one", async () => {
    await page.click("#otp-open");
    await waitText(page, "#otp-off .msg", /phone/i);
    assert.equal(await page.locator("#otp-dialog[open]").count(), 0);
  });
  await check("phone number is saved in E.164", async () => {
    await page.fill("#phone", "+81 90 1234 5678");
    await page.click("#phone-form button[type=submit]");
    await waitText(page, "#phone-form .msg", /\+819012345678/);
    await waitText(page, "#account-phone", /^\+819012345678$/);
    await shot(page, "03-phone-saved");
  });
  await check("OTP setting shows a QR code that decodes to the key", async () => {
    key = await openSetup(page);
    assert.match(key, /^[A-Z2-7]{32}$/, "160-bit key, unpadded Base32");
    const png = join(SHOTS, "qr-desktop.png");
    await page.locator("#otp-qr svg").screenshot({ path: png });
    const uri = zbar(png);
    assert.ok(uri.startsWith("otpauth://totp/otp-edge-test:"), uri);
    assert.ok(uri.includes(`secret=${key}`) && uri.includes("issuer=otp-edge-test"), uri);
    assert.equal(await otpStatus(page, base), "pending");
    await shot(page, "04-otp-setting");
  });
  await check("malformed and wrong codes are stopped locally", async () => {
    let activateCalls = 0;
    page.on("request", (r) => r.url().endsWith("/api/otp/activate") && (activateCalls += 1));
    await page.fill("#activate-password", PASSWORD);
    await page.fill("#activate-code", "12345");
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#activate-form .msg", /6 digits|exactly 6/);
    const nowStep = Math.floor(Date.now() / 1000 / PERIOD);
    await page.fill("#activate-code", oathtool(key, (nowStep + 5) * PERIOD));
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#activate-form .msg", /does not match.*Nothing was sent/);
    await shot(page, "05-wrong-code-stopped");
    assert.equal(activateCalls, 0);
    assert.equal(await otpStatus(page, base), "pending");
  });
  await check("Activate with an oathtool code", async () => {
    const fresh = await freshCode(key, -1);
    lastStep = fresh.step;
    await page.fill("#activate-code", fresh.code);
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#otp-status", /^On$/);
    assert.equal(await page.locator("#otp-dialog[open]").count(), 0);
    assert.equal(await otpStatus(page, base), "active");
    await waitText(page, "#events", /turned on/);
    await shot(page, "06-otp-active");
  });
  await check("sign out", async () => {
    await page.click("#sign-out");
    await page.waitForURL(/\/index\.html$/, { timeout: WAIT_MS });
    assert.equal((await page.request.get(`${base}/api/account`)).status(), 401);
  });
  await check("sign in asks for a code and accepts a fresh one", async () => {
    await ready(page);
    await page.fill("#sign-in-email", email);
    await page.fill("#sign-in-password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForSelector("#otp-step:not([hidden]) #otp-code", { timeout: WAIT_MS });
    await waitText(page, "#otp-countdown", /changes in \d+ s/);
    await shot(page, "07-sign-in-otp-step");
    const fresh = await freshCode(key, lastStep);
    lastStep = fresh.step;
    await page.fill("#otp-code", `${fresh.code.slice(0, 3)} ${fresh.code.slice(3)}`);
    await page.click("#otp-form button[type=submit]");
    await page.waitForURL(/\/account\.html$/, { timeout: WAIT_MS });
    await ready(page);
    await waitText(page, "#otp-status", /^On$/);
  });
  await check("Deactivate with a code of a later step", async () => {
    await page.fill("#deactivate-password", PASSWORD);
    await shot(page, "08-deactivate-form");
    const fresh = await freshCode(key, lastStep);
    await page.fill("#deactivate-code", fresh.code);
    await page.click("#deactivate-form button[type=submit]");
    await waitText(page, "#otp-status", /^Off$/);
    assert.equal(await otpStatus(page, base), "disabled");
    await waitText(page, "#events", /turned off/);
    await shot(page, "09-otp-off");
  });
  await check("no script errors on the pages", async () => assert.deepEqual(errors, []));
}

async function driftFlow(base) {
  const shift = 90_000;
  const { page, errors } = await browser({ viewport: { width: 360, height: 740 }, clockShiftMs: shift });
  const email = `drift-${Date.now()}@example.com`;
  let key;
  let activateCalls = 0;
  page.on("request", (r) => r.url().endsWith("/api/otp/activate") && (activateCalls += 1));

  await check("360 px: sign-in page fits the width", async () => {
    await page.goto(`${base}/`);
    await ready(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
    await shot(page, "11-sign-in-360");
  });
  await check("360 px, clock +90 s: the drift warning shows", async () => {
    await register(page, base, email, "+1 415 555 0100");
    const text = await waitText(page, "#clock-warning", /ahead of the server/);
    assert.match(text, /Your device clock is (89|90|91) seconds ahead of the server/);
    await shot(page, "12-account-drift-warning-360");
  });
  await check("a code following the wrong clock is stopped locally", async () => {
    key = await openSetup(page);
    await shot(page, "13-otp-setting-360");
    await page.fill("#activate-password", PASSWORD);
    await page.fill("#activate-code", oathtool(key, Math.floor((Date.now() + shift) / 1000)));
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#activate-form .msg", /device clock.*90 seconds ahead.*Nothing was sent/);
    await shot(page, "14-drift-stopped-360");
    assert.equal(activateCalls, 0, "activate was never posted");
    assert.equal(await otpStatus(page, base), "pending");
  });
  await check("the pending key survives: a correct code activates it", async () => {
    const fresh = await freshCode(key, -1);
    await page.fill("#activate-code", fresh.code);
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#otp-status", /^On$/);
    assert.equal(activateCalls, 1);
    assert.equal(await otpStatus(page, base), "active");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
    await shot(page, "15-otp-active-360");
  });
  await check("no script errors on the shifted pages", async () => assert.deepEqual(errors, []));
}

// ------------------------------------------------------------------ main

async function main() {
  const missing = [HOST_BIN, COMPONENT, `${WEB}/pkg/wasm_client_bg.wasm`, CHROMIUM].filter((p) => !existsSync(p));
  if (missing.length) {
    console.log(`not ok - prerequisites missing: ${missing.join(", ")} (build them first; run from the repo root)`);
    failed += 1;
    return;
  }
  mkdirSync(SHOTS, { recursive: true });
  let base;
  await check("edge-host starts", async () => {
    base = await startHost();
  }).catch(() => {});
  if (!base) return;
  for (const flow of [desktopFlow, driftFlow]) {
    try {
      await flow(base);
    } catch (err) {
      if (!(err instanceof FlowStopped)) {
        failed += 1;
        console.log(`not ok - ${flow.name} crashed: ${err?.stack ?? err}`);
      }
    }
  }
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  console.log(`${passed} passed, ${failed} failed`);
}
process.exit(failed === 0 ? 0 : 1);
