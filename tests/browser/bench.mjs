#!/usr/bin/env node
// Page-load timings of the otp-edge pages in headless Chromium, for `cargo xtask bench`.
//
// Run from the repository root:  node tests/browser/bench.mjs
//
// Starts edge-host and Chromium exactly as the browser tests do (harness.mjs; same
// environment variables), registers one account with a phone number through the pages,
// then LOADS times (default 5, $OTP_EDGE_BENCH_LOADS): a fresh Chromium profile gets the
// session cookie, opens account.html (first visit: empty HTTP cache), waits until the
// page is ready, presses "OTP setting…" and waits for the QR code; then the same again
// in that browser (repeat visit). The times come from the page's own marks (web/common.js and web/account.js,
// milliseconds since navigation start):
//
//   otp-edge:module-ready — the browser module (wasm-client) is instantiated;
//   otp-edge:page-ready   — the page is wired and has estimated the clock offset;
//   otp-edge:setup-start  — "OTP setting…" was pressed (right after page-ready here);
//   otp-edge:qr-drawn     — the QR code of the new key is in the page.
//
// Prints the harness's "ok - …" lines, then one line of JSON starting with
// {"browser_bench": …} (read by xtask), then "N passed, M failed".

import { PASSWORD, WAIT_MS, browser, check, ready, run } from "./harness.mjs";

const LOADS = Number(process.env.OTP_EDGE_BENCH_LOADS ?? 5);
const VIEWPORT = { width: 1280, height: 900 };
const MARKS = ["module-ready", "page-ready", "setup-start", "qr-drawn"];

/** One load of account.html up to the QR code; the marks and navigation timings in ms. */
async function measureLoad(page, base) {
  await page.goto(`${base}/account.html`);
  await ready(page);
  await page.click("#otp-open");
  await page.waitForSelector("#otp-dialog[open] #otp-qr svg", { timeout: WAIT_MS });
  const timings = await page.evaluate((marks) => {
    const out = {};
    for (const name of marks) {
      out[name] = performance.getEntriesByName(`otp-edge:${name}`, "mark")[0]?.startTime ?? null;
    }
    const nav = performance.getEntriesByType("navigation")[0];
    out["dom-content-loaded"] = nav?.domContentLoadedEventEnd ?? null;
    out["wasm-transfer-bytes"] =
      performance.getEntriesByType("resource").find((r) => r.name.endsWith(".wasm"))?.transferSize ?? null;
    return out;
  }, MARKS);
  const missing = MARKS.filter((name) => typeof timings[name] !== "number");
  if (missing.length) throw new Error(`marks missing: ${missing.join(", ")}`);
  return timings;
}

async function benchFlow(base) {
  const email = `bench-${Date.now()}@example.com`;
  let cookies;
  await check("a signed-in account with a phone number", async () => {
    const { page, context } = await browser({ viewport: VIEWPORT });
    await page.goto(`${base}/`);
    await ready(page);
    await page.fill("#register-email", email);
    await page.fill("#register-password", PASSWORD);
    await page.fill("#register-phone", "+12025550143");
    await page.click("#register-form button[type=submit]");
    await page.waitForURL(/\/account\.html$/, { timeout: WAIT_MS });
    await ready(page);
    cookies = await context.cookies();
    if (!cookies.some((c) => c.name === "otp_edge_session")) throw new Error("no session cookie");
    await context.close();
  });

  const firstVisit = [];
  const repeatVisit = [];
  for (let i = 0; i < LOADS; i += 1) {
    await check(`page load ${i + 1}/${LOADS}: account page → QR code, first and repeat visit`, async () => {
      const { page, context, errors } = await browser({ viewport: VIEWPORT });
      await context.addCookies(cookies);
      firstVisit.push(await measureLoad(page, base));
      repeatVisit.push(await measureLoad(page, base));
      await context.close();
      if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    });
  }
  console.log(JSON.stringify({ browser_bench: { loads: LOADS, first_visit: firstVisit, repeat_visit: repeatVisit } }));
}

await run([benchFlow]);
