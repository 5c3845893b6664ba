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
//     Deactivate with a code of a later time step (a used step is refused); on the way,
//     the recovery codes shown on activation (downloaded as .txt, kept before going on),
//     a sign-in with one of them, and its refusal the second time;
//  2. 360 px phone with the device clock 90 s ahead: the drift warning shows, a code from
//     an authenticator following that clock is stopped locally, the pending key survives
//     (GET /api/account still says "pending") and a correct code then activates it;
//  3. in Czech (Chromium --lang=cs, clock 90 s ahead): every step's text in Czech with
//     its plural forms (sekund, číslici / číslice / číslic, kódy / kód), Czech dates, the
//     server's messages in Czech, and the language switch (pages and account).
//
// Before every screenshot the harness checks that each text on the page came from a
// catalog (checkTexts).
//
// Screenshots go to target/screenshots/. Prints "N passed, M failed" last; exits 1 on any
// failure. Needs: playwright-core (npm ci in tests/browser), oathtool, zbarimg. Shared helpers:
// harness.mjs.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  PASSWORD, PERIOD, SHOTS, WAIT_MS, browser, check, checkFields, freshCode, keepRecoveryCodes, oathtool, openSetup,
  otpStatus, ready, register, run, shot, waitText, zbar,
} from "./harness.mjs";

// ------------------------------------------------------------------ flows

async function signOut(page, base) {
  await page.click("#sign-out");
  await page.waitForURL(/\/index\.html$/, { timeout: WAIT_MS });
  assert.equal((await page.request.get(`${base}/api/account`)).status(), 401);
}

async function desktopFlow(base) {
  const { page, errors } = await browser({ viewport: { width: 1280, height: 900 } });
  const email = `desk-${Date.now()}@example.com`;
  let key;
  let lastStep;
  let shown = [];

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
  });
  await check("the recovery codes are shown once, downloaded and kept", async () => {
    await page.waitForSelector("#codes-dialog[open]", { timeout: WAIT_MS });
    shown = await page.locator("#codes-list li").allTextContents();
    assert.equal(shown.length, 10);
    assert.equal(new Set(shown).size, 10);
    for (const code of shown) assert.match(code, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    await shot(page, "06-recovery-codes");
    // Not skipped by mistake: Continue waits for the tick, Escape keeps the dialog.
    assert.ok(await page.locator("#codes-done").isDisabled());
    await page.keyboard.press("Escape");
    assert.equal(await page.locator("#codes-dialog[open]").count(), 1);
    await waitText(page, "#codes-dialog .msg", /Save the codes first/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#codes-download")]);
    assert.equal(download.suggestedFilename(), "otp-edge-recovery-codes.txt");
    const file = readFileSync(await download.path(), "utf8");
    assert.ok(file.includes(email), file);
    assert.deepEqual(file.match(/[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}/g), shown);
    await page.check("#codes-kept");
    await page.click("#codes-done");
    assert.equal(await page.locator("#codes-dialog[open]").count(), 0);
    // The dialog's close event (a task after close()) takes the codes out of the page.
    await page.waitForFunction(() => document.querySelectorAll("#codes-list li").length === 0, null, {
      timeout: WAIT_MS,
    });
    await waitText(page, "#recovery-codes-left", /^10 of 10 recovery codes left\.$/);
    await shot(page, "07-otp-active");
  });
  await check("sign out", () => signOut(page, base));
  await check("sign in with a recovery code from the downloaded file", async () => {
    await ready(page);
    await page.fill("#sign-in-email", email);
    await page.fill("#sign-in-password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForSelector("#otp-step:not([hidden])", { timeout: WAIT_MS });
    await page.click("#use-recovery-code");
    await page.fill("#recovery-code", "0000-1111-2222");
    await page.click("#recovery-code-form button[type=submit]");
    await waitText(page, "#recovery-code-form .msg", /without I, L and O/);
    await page.fill("#recovery-code", shown[3].toLowerCase().replaceAll("-", " "));
    await shot(page, "08-sign-in-recovery-code");
    await page.click("#recovery-code-form button[type=submit]");
    await page.waitForURL(/\/account\.html$/, { timeout: WAIT_MS });
    await ready(page);
    await waitText(page, "#recovery-codes-left", /^9 of 10 recovery codes left\.$/);
    await waitText(page, "#events", /recovery code was used/);
  });
  await check("a used recovery code is refused", async () => {
    await signOut(page, base);
    await ready(page);
    await page.fill("#sign-in-email", email);
    await page.fill("#sign-in-password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.click("#use-recovery-code");
    await page.fill("#recovery-code", shown[3]);
    await page.click("#recovery-code-form button[type=submit]");
    await waitText(page, "#recovery-code-form .msg", /wrong or was already used/);
    assert.equal(await page.getAttribute("#recovery-code", "aria-invalid"), "true");
    await page.goto(`${base}/`);
  });
  await check("sign in asks for a code and accepts a fresh one", async () => {
    await ready(page);
    await page.fill("#sign-in-email", email);
    await page.fill("#sign-in-password", PASSWORD);
    await page.click("#sign-in-form button[type=submit]");
    await page.waitForSelector("#otp-step:not([hidden]) #otp-code", { timeout: WAIT_MS });
    await waitText(page, "#otp-countdown", /changes in \d+ s/);
    await shot(page, "09-sign-in-otp-step");
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
    await shot(page, "10a-deactivate-form");
    const fresh = await freshCode(key, lastStep);
    await page.fill("#deactivate-code", fresh.code);
    await page.click("#deactivate-form button[type=submit]");
    await waitText(page, "#otp-status", /^Off$/);
    assert.equal(await otpStatus(page, base), "disabled");
    await waitText(page, "#events", /turned off/);
    await shot(page, "10b-otp-off");
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

/** Sign in over HTTP with recovery code `code` (the browser stays where it is). */
async function useCodeOverHttp(base, email, code) {
  const post = (path, body) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const { challenge } = await (await post("/api/session", { email, password: PASSWORD })).json();
  const answer = await post("/api/session/recovery-code", { challenge, recovery_code: code });
  assert.equal(answer.status, 200, await answer.text());
}

async function czechFlow(base) {
  const shift = 90_000;
  const { page, errors } = await browser({ viewport: { width: 1280, height: 900 }, clockShiftMs: shift, lang: "cs" });
  const email = `cesky-${Date.now()}@example.com`;
  let key;
  let codes;

  await check("cs: the sign-in page is in Czech", async () => {
    await page.goto(`${base}/`);
    await ready(page);
    assert.equal(await page.getAttribute("html", "lang"), "cs");
    assert.equal(await page.title(), "Přihlášení · otp-edge");
    await waitText(page, "#sign-in-title", /^Přihlášení$/);
    await waitText(page, "#register-title", /^Založení účtu$/);
    assert.equal(await page.inputValue("#language"), "cs");
    await shot(page, "20-cs-sign-in");
  });
  await check("cs: registration, the drift warning (90 sekund) and the countdown", async () => {
    await register(page, base, email, "+420 601 123 456");
    await waitText(page, "#otp-status", /^Vypnuto$/);
    await waitText(page, "#clock-warning", /^Hodiny vašeho zařízení jdou o (89|90|91) sekund napřed oproti serveru\./);
    const account = await (await page.request.get(`${base}/api/account`)).json();
    assert.equal(account.language, "cs", "the account speaks the language it was created in");
    await shot(page, "21-cs-account");
  });
  await check("cs: the OTP setting, with plural forms in the code check", async () => {
    key = await openSetup(page);
    await waitText(page, "#otp-params", /\(časový, SHA1, 6 číslic, 30 s\)/);
    await waitText(page, "#activate-countdown", /^Kód se změní za \d+ s\.$/);
    await page.fill("#activate-password", PASSWORD);
    for (const [typed, text] of [
      ["1", /^Kód má 1 číslici; musí jich mít přesně 6\.$/],
      ["1234", /^Kód má 4 číslice; musí jich mít přesně 6\.$/],
      ["12345", /^Kód má 5 číslic; musí jich mít přesně 6\.$/],
    ]) {
      await page.fill("#activate-code", typed);
      await page.click("#activate-form button[type=submit]");
      await waitText(page, "#activate-form .msg", text);
    }
    await shot(page, "22-cs-setup");
  });
  await check("cs: activation shows the recovery codes in Czech", async () => {
    await page.fill("#activate-code", (await freshCode(key, -1)).code);
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#otp-status", /^Zapnuto$/);
    await waitText(page, "#codes-title", /^Uložte si záložní kódy$/);
    await shot(page, "23-cs-codes");
    codes = await keepRecoveryCodes(page);
    await waitText(page, "#recovery-codes-left", /^Zbývá 10 z 10 záložních kódů\.$/);
    await waitText(page, "#otp-since", /^Zapnuto od \d{1,2}\. \d{1,2}\. \d{4}/);
    await waitText(page, "#page-msg", /^Dvoufázové ověření je zapnuté\./);
  });
  await check("cs: codes left, plural forms (3 kódy, 1 kód) and the events", async () => {
    for (const code of codes.slice(0, 7)) await useCodeOverHttp(base, email, code);
    await page.reload();
    await ready(page);
    await waitText(page, "#recovery-codes-left", /^Zbývají už jen 3 záložní kódy: níže si vytvořte novou sadu\.$/);
    await waitText(page, "#events", /Místo ověřovacího kódu byl použit záložní kód/);
    for (const code of codes.slice(7, 9)) await useCodeOverHttp(base, email, code);
    await page.reload();
    await ready(page);
    await waitText(page, "#recovery-codes-left", /^Zbývá už jen 1 záložní kód: níže si vytvořte novou sadu\.$/);
    await shot(page, "24-cs-codes-left");
  });
  await check("cs: the server's messages are in Czech too", async () => {
    await page.fill("#deactivate-password", "špatné heslo 123");
    await page.fill("#deactivate-code", (await freshCode(key, -1)).code);
    await page.click("#deactivate-form button[type=submit]");
    await waitText(page, "#deactivate-form .msg", /^E-mailová adresa nebo heslo nejsou správné\.$/);
    await shot(page, "25-cs-server-message");
  });
  await check("the switch changes the language of the pages and of the account", async () => {
    await Promise.all([page.waitForEvent("load"), page.selectOption("#language", "en")]);
    await ready(page);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await waitText(page, "#security-title", /^Account security$/);
    await waitText(page, "#recovery-codes-left", /^Only 1 recovery code left: make a new set below\.$/);
    assert.equal((await (await page.request.get(`${base}/api/account`)).json()).language, "en");
    await page.goto(`${base}/`);
    await ready(page);
    await waitText(page, "#sign-in-title", /^Sign in$/, "remembered on the next page");
    await Promise.all([page.waitForEvent("load"), page.selectOption("#language", "cs")]);
    await ready(page);
    await waitText(page, "#sign-in-title", /^Přihlášení$/);
  });
  await check("cs: no script errors and no text outside the catalogs", async () => assert.deepEqual(errors, []));
}

// ------------------------------------------------------------------ main

await run([desktopFlow, driftFlow, czechFlow]);
