#!/usr/bin/env node
// Browser test of "I lost my OTP keychain" (DESIGN.md flows 5 and 6) in headless Chromium.
//
// Run from the repository root:  node tests/browser/recovery.mjs
//
// Starts edge-host itself (see harness.mjs) in development delivery mode, with
// public_base_url set to its own address so the e-mailed link is opened exactly as
// sent, and an admin_token for the support reset. Two flows:
//
//  1. desktop: register → phone → activate OTP (oathtool code) → sign out → sign in →
//     OTP step → "I lost my OTP keychain" → the link from GET /_dev/outbox → wrong phone
//     (refused) → right phone → code from the outbox → wrong code (refused) → Resend →
//     newest code + development CAPTCHA → suspended → sign in with the password only →
//     the account page asks to set up OTP again → a new key is activated → support reset
//     (its reason shows in the events list);
//  2. 360 px: the spent link says so and offers a new one; with the API answers replaced
//     in the browser (page.route), the no-phone page, a failed text message (polling
//     stops, Resend offered) and the hCaptcha widget (a stub of js.hcaptcha.com whose
//     token reaches /confirm);
//  3. in Czech (Chromium --lang=cs): the same recovery with every step's text in Czech,
//     plural forms included (2 kódy, 1 kód), the e-mails and the text message in Czech.
//
// Screenshots: target/screenshots/recovery-*.png. Prints "N passed, M failed" last;
// exits 1 on any failure. Needs: playwright-core (npm ci in tests/browser), oathtool.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  PASSWORD, WAIT_MS, browser, check, checkFields, freePort, freshCode, openSetup, otpStatus, overflow,
  keepRecoveryCodes, ready, register, run, shot as shotAs, sleep, waitText,
} from "./harness.mjs";

const PHONE_TYPED = "+44 7911 123456";
const PHONE_E164 = "+447911123456";
const PHONE_HINT = "+44 ••••••••56";
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const SENT_NOTICE = /If the address has an account with OTP, we've sent a link\. It is valid for 30 minutes\./;

const shot = (page, name) => shotAs(page, `recovery-${name}`);

/** Entries of the development outbox, oldest first. */
async function outbox(base) {
  const response = await fetch(`${base}/_dev/outbox`);
  assert.equal(response.status, 200);
  const entries = await response.json();
  assert.ok(Array.isArray(entries), "the outbox is a JSON array");
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The newest outbox message matching `match` that is not in `seen` (delivery happens
 * after the response, so wait for it); its key is added to `seen`.
 */
async function nextMessage(base, seen, match) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = (await outbox(base)).filter((e) => !seen.has(e.key) && match(e.value)).pop();
    if (found) {
      seen.add(found.key);
      return found.value;
    }
    if (Date.now() > deadline) throw new Error("no such message in the development outbox");
    await sleep(200);
  }
}

async function signIn(page, base, email) {
  await page.goto(`${base}/`);
  await ready(page);
  await page.fill("#sign-in-email", email);
  await page.fill("#sign-in-password", PASSWORD);
  await page.click("#sign-in-form button[type=submit]");
}

// ------------------------------------------------------------------ flow 1

const state = {}; // handed from the desktop flow to the 360 px one

async function recoveryFlow(base) {
  const { page, errors } = await browser({ viewport: { width: 1280, height: 900 } });
  const email = `lost-${Date.now()}@example.com`;
  const seen = new Set();
  let oldKey;
  let link;
  let smsCode;

  await check("register, save the phone and activate OTP", async () => {
    await register(page, base, email);
    await page.fill("#phone", PHONE_TYPED);
    await page.click("#phone-form button[type=submit]");
    await waitText(page, "#account-phone", new RegExp(`^\\${PHONE_E164}$`));
    oldKey = await openSetup(page);
    await page.fill("#activate-password", PASSWORD);
    await page.fill("#activate-code", (await freshCode(oldKey, -1)).code);
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#otp-status", /^On$/);
    assert.equal((await keepRecoveryCodes(page)).length, 10);
    assert.equal(await page.locator("#otp-suspended").isVisible(), false);
    await shot(page, "01-otp-active");
  });
  await check("sign out, sign in: the OTP step offers \"I lost my OTP keychain\"", async () => {
    await page.click("#sign-out");
    await page.waitForURL(/\/index\.html$/, { timeout: WAIT_MS });
    await signIn(page, base, email);
    await page.waitForSelector("#otp-step:not([hidden]) #otp-code", { timeout: WAIT_MS });
    const lost = page.locator("#lost-keychain");
    assert.equal(await lost.textContent(), "I lost my OTP keychain");
    assert.equal(await lost.getAttribute("aria-expanded"), "false");
    assert.equal(await page.locator("#recovery-request-form").isVisible(), false);
    await shot(page, "02-otp-step");
  });
  await check("\"I lost my OTP keychain\" asks for the e-mail (prefilled) and sends the link", async () => {
    await page.click("#lost-keychain");
    await page.waitForSelector("#recovery-request-form:not([hidden])", { timeout: WAIT_MS });
    assert.equal(await page.locator("#lost-keychain").getAttribute("aria-expanded"), "true");
    assert.equal(await page.inputValue("#recovery-email"), email);
    await checkFields(page);
    await page.click("#recovery-request-form button[type=submit]");
    await waitText(page, "#recovery-request-form .msg", SENT_NOTICE);
    await shot(page, "03-link-requested");
  });
  await check("the e-mail in the development outbox holds the link", async () => {
    const mail = await nextMessage(base, seen, (m) => m.kind === "email" && m.to === email);
    assert.ok(typeof mail.subject === "string" && mail.subject.length > 0, "a subject");
    const match = mail.body.match(/(https?:\/\/\S+\/recovery\.html#((?:[0-9a-f]{32}\.)?[A-Za-z0-9_-]{43}))(?=\s|$)/);
    assert.ok(match, `a recovery link in:\n${mail.body}`);
    link = match[1];
    assert.ok(link.startsWith(`${base}/recovery.html#`), link);
    state.spentLink = link;
    state.email = email;
  });
  await check("the link opens the recovery page with the phone hint", async () => {
    await page.goto(link);
    await ready(page);
    await waitText(page, "#recovery-phone-hint", new RegExp(`^\\${PHONE_HINT}$`));
    assert.equal(new URL(page.url()).hash, "", "the token left the address bar");
    assert.ok(await page.locator("#recovery-phone-form").isVisible());
    assert.equal(await page.locator("#recovery-code-form").isVisible(), false);
    await checkFields(page);
    await shot(page, "04-link-opened");
  });
  await check("a wrong phone number is refused", async () => {
    await page.fill("#recovery-phone", "+44 7911 123457");
    await page.click("#recovery-phone-form button[type=submit]");
    await waitText(page, "#recovery-phone-form .msg", /not the phone number on file/);
    assert.equal(await page.getAttribute("#recovery-phone", "aria-invalid"), "true");
    assert.equal(await page.locator("#recovery-code-form").isVisible(), false);
    await shot(page, "05-wrong-phone");
  });
  await check("the right phone number sends a code; the page follows its delivery", async () => {
    await page.fill("#recovery-phone", PHONE_TYPED);
    await page.click("#recovery-phone-form button[type=submit]");
    await page.waitForSelector("#recovery-code-form:not([hidden])", { timeout: WAIT_MS });
    assert.equal(await page.locator("#recovery-phone-form").isVisible(), false);
    await waitText(page, "#recovery-sms-status", /on its way to \+44\s•+56|sent to|delivered to/);
    await waitText(page, "#recovery-sends-left", /2 more codes/);
    assert.ok(await page.locator("#captcha-dev-box").isVisible(), "the development CAPTCHA");
    await waitText(page, "#captcha-development", /Development CAPTCHA/);
    const sms = await nextMessage(base, seen, (m) => m.kind === "sms" && m.to === PHONE_E164);
    smsCode = sms.body.slice(0, 6);
    assert.match(smsCode, /^\d{6}$/, sms.body);
    await shot(page, "06-code-sent");
  });
  await check("a wrong code is refused (and the CAPTCHA is asked for first)", async () => {
    const wrong = String((Number(smsCode) + 1) % 1_000_000).padStart(6, "0");
    await page.fill("#recovery-code", wrong);
    await page.click("#recovery-code-form button[type=submit]");
    await waitText(page, "#recovery-code-form .msg", /Complete the CAPTCHA/);
    await page.check("#captcha-dev-box");
    await page.click("#recovery-code-form button[type=submit]");
    await waitText(page, "#recovery-code-form .msg", /not the code we texted/);
    assert.equal(await page.getAttribute("#recovery-code", "aria-invalid"), "true");
    await shot(page, "07-wrong-code");
  });
  await check("Resend texts a new code", async () => {
    await page.click("#recovery-resend");
    await waitText(page, "#recovery-code-form .msg", /new code is on its way/);
    await waitText(page, "#recovery-sends-left", /1 more code\./);
    const sms = await nextMessage(base, seen, (m) => m.kind === "sms" && m.to === PHONE_E164);
    smsCode = sms.body.slice(0, 6);
    assert.match(smsCode, /^\d{6}$/, sms.body);
  });
  await check("the right code with the development CAPTCHA suspends OTP", async () => {
    await page.fill("#recovery-code", `${smsCode.slice(0, 3)} ${smsCode.slice(3)}`);
    if (!(await page.isChecked("#captcha-dev-box"))) await page.check("#captcha-dev-box");
    await page.click("#recovery-code-form button[type=submit]");
    await page.waitForSelector("#recovery-done:not([hidden])", { timeout: WAIT_MS }).catch(async (err) => {
      throw new Error(`${err.message}\npage says: ${await page.textContent("#recovery-code-form .msg")}`);
    });
    await waitText(page, "#recovery-done", /OTP is suspended\. Sign in with your password and set up OTP again\./);
    assert.equal(await page.locator("#recovery-steps").isVisible(), false);
    const token = link.split("#")[1];
    assert.equal((await fetch(`${base}/api/recovery/${token}`)).status, 410, "the link is spent");
    const notice = await nextMessage(base, seen, (m) => m.kind === "email" && m.to === email);
    assert.match(notice.body, /suspended/);
    await shot(page, "08-suspended");
  });
  await check("sign in with the password only", async () => {
    await page.click("#recovery-sign-in");
    await page.waitForURL(/\/index\.html$/, { timeout: WAIT_MS });
    await signIn(page, base, email);
    await page.waitForURL(/\/account\.html$/, { timeout: WAIT_MS });
    await ready(page);
    assert.equal(await otpStatus(page, base), "suspended");
  });
  await check("the account page asks to set up OTP again; the events are readable", async () => {
    await waitText(page, "#otp-status", /^Suspended$/);
    assert.ok(await page.locator("#otp-suspended").isVisible(), "the suspended banner");
    await waitText(page, "#otp-suspended", /Set up two-step verification again/);
    const events = await page.textContent("#events");
    for (const text of [
      /recovery link was e-mailed/, /code was texted to the phone on file/, /not the one on file was typed/,
      /suspended by the lost-keychain recovery/, /wrong verification code was entered/,
    ]) {
      assert.match(events, text);
    }
    assert.doesNotMatch(events, /_/, "no raw event names");
    await shot(page, "09-account-suspended");
  });
  await check("set up OTP again with a new key", async () => {
    const newKey = await openSetup(page, "#otp-again");
    assert.notEqual(newKey, oldKey);
    await shot(page, "10-setup-again");
    await page.fill("#activate-password", PASSWORD);
    await page.fill("#activate-code", (await freshCode(newKey, -1)).code);
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#otp-status", /^On$/);
    assert.equal((await keepRecoveryCodes(page)).length, 10);
    assert.equal(await otpStatus(page, base), "active");
    assert.equal(await page.locator("#otp-suspended").isVisible(), false);
    await shot(page, "11-active-again");
  });
  await check("a support reset shows the banner again, with its reason in the events", async () => {
    const reason = "Identity checked by phone call, ticket 4711";
    const response = await fetch(`${base}/api/admin/accounts/${encodeURIComponent(email)}/otp/reset`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ reason }),
    });
    assert.equal(response.status, 200, await response.text());
    await page.reload();
    await ready(page);
    await waitText(page, "#otp-status", /^Suspended$/);
    assert.ok(await page.locator("#otp-suspended").isVisible());
    await waitText(page, "#events", new RegExp(`reset by support\\. Reason given: “${reason}”`));
    await shot(page, "12-support-reset");
  });
  await check("no script errors on the recovery pages", async () => assert.deepEqual(errors, []));
}

// ------------------------------------------------------------------ flow 2

/** Answer the recovery API for `token` in the browser with `handler(method, tail, body)`. */
async function fakeRecoveryApi(page, base, token, handler) {
  await page.route(`${base}/api/recovery/${token}**`, async (route) => {
    const request = route.request();
    const tail = new URL(request.url()).pathname.slice(`/api/recovery/${token}`.length);
    const [status, body] = handler(request.method(), tail, request.postDataJSON());
    await route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });
  });
}

async function mobileFlow(base) {
  const { page, errors } = await browser({ viewport: { width: 360, height: 740 } });

  await check("360 px: a spent link says so and offers a new one", async () => {
    assert.ok(state.spentLink, "the desktop flow got a link");
    await page.goto(state.spentLink);
    await ready(page);
    await waitText(page, "#recovery-problem-text", /expired or was already used; ask for a new one/);
    assert.equal(await page.locator("#recovery-steps").isVisible(), false);
    await page.fill("#recovery-email", state.email);
    await page.click("#recovery-request-form button[type=submit]");
    await waitText(page, "#recovery-request-form .msg", SENT_NOTICE);
    assert.ok((await overflow(page)) <= 0, "fits 360 px");
    await shot(page, "13-link-spent-360");
  });
  await check("360 px: an incomplete link is recognised without asking the server", async () => {
    await page.goto(`${base}/recovery.html#abc`);
    await ready(page);
    await waitText(page, "#recovery-problem-text", /incomplete/);
  });
  await check("360 px: no phone on file → contact support and nothing else", async () => {
    const token = "A".repeat(43);
    await fakeRecoveryApi(page, base, token, () => [200, {
      phone_hint: null, sms_status: null, sms_sends_left: 3,
      captcha: { provider: "development", test_token: "t" },
    }]);
    await page.goto(`${base}/recovery.html#${token}`);
    await ready(page);
    await waitText(page, "#recovery-no-phone", /contact support/);
    assert.equal(await page.locator("#recovery-steps").isVisible(), false);
    assert.equal(await page.locator("input:visible").count(), 0, "no fields");
    assert.ok((await overflow(page)) <= 0, "fits 360 px");
    await shot(page, "14-no-phone-360");
  });
  await check("360 px: a failed text message is shown with Resend; polling stops; hCaptcha token is sent", async () => {
    const token = "B".repeat(43);
    let smsStatus = null;
    let gets = 0;
    let confirmed = null;
    await page.route("https://js.hcaptcha.com/**", (route) => route.fulfill({
      contentType: "text/javascript",
      body: `
        window.hcaptcha = {
          render(el, opts) {
            if (opts.sitekey !== "site-key-1") throw new Error("wrong site key");
            window.stubSize = opts.size;
            const b = document.createElement("button");
            b.type = "button"; b.id = "stub-hcaptcha"; b.textContent = "Stub hCaptcha: I am human";
            b.onclick = () => { window.stubToken = "stub-response-token"; };
            el.append(b);
            return "w1";
          },
          getResponse(id) { return id === "w1" ? (window.stubToken ?? "") : ""; },
          reset() { window.stubToken = ""; },
        };
        window[new URL(document.currentScript.src).searchParams.get("onload")]();`,
    }));
    await fakeRecoveryApi(page, base, token, (method, tail, body) => {
      if (method === "GET" && tail === "") {
        gets += 1;
        return [200, { phone_hint: PHONE_HINT, sms_status: smsStatus, sms_sends_left: smsStatus ? 2 : 3,
          captcha: { provider: "hcaptcha", site_key: "site-key-1" } }];
      }
      if (method === "POST" && tail === "/sms") {
        assert.equal(body.phone, PHONE_TYPED);
        smsStatus = "failed";
        return [202, { status: "sent" }];
      }
      if (method === "POST" && tail === "/confirm") {
        confirmed = body;
        return [200, { status: "suspended" }];
      }
      return [404, { error: "not_found", message: "not found" }];
    });
    await page.goto(`${base}/recovery.html#${token}`);
    await ready(page);
    await page.fill("#recovery-phone", PHONE_TYPED);
    await page.click("#recovery-phone-form button[type=submit]");
    await waitText(page, "#recovery-sms-status", /could not be delivered\. Press Resend code/);
    assert.ok(await page.locator("#recovery-resend").isEnabled());
    await page.waitForSelector("#stub-hcaptcha", { timeout: WAIT_MS });
    assert.equal(await page.locator("#captcha-development").isVisible(), false);
    assert.equal(await page.evaluate(() => window.stubSize), "compact", "the compact widget at 360 px");
    assert.ok((await overflow(page)) <= 0, "fits 360 px");
    await shot(page, "15-sms-failed-360");
    const before = gets;
    await sleep(7000);
    assert.equal(gets, before, "no polling after a failed delivery");
    await page.fill("#recovery-code", "123456");
    await page.click("#stub-hcaptcha");
    await page.click("#recovery-code-form button[type=submit]");
    await page.waitForSelector("#recovery-done:not([hidden])", { timeout: WAIT_MS });
    await waitText(page, "#recovery-done", /OTP is suspended/);
    assert.deepEqual(confirmed, { code: "123456", captcha_token: "stub-response-token" });
    await shot(page, "16-done-360");
  });
  await check("no script errors on the 360 px pages", async () => assert.deepEqual(errors, []));
}

// ------------------------------------------------------------------ main

// ------------------------------------------------------------------ flow 3

async function czechFlow(base) {
  const { page, errors } = await browser({ viewport: { width: 1280, height: 900 }, lang: "cs" });
  const email = `ztraceny-${Date.now()}@example.com`;
  const phone = "+420601123456";
  const seen = new Set();
  let link;
  let smsCode;
  const sms = async () => {
    const text = await nextMessage(base, seen, (m) => m.kind === "sms" && m.to === phone);
    assert.match(text.body, /^\d{6} je kod pro obnoveni pristupu k uctu .+\. Plati 10 minut\. Nikomu ho nesdelujte\.$/);
    return text.body.slice(0, 6);
  };

  await check("cs: an account made in Czech, with OTP on", async () => {
    await register(page, base, email, "+420 601 123 456");
    const key = await openSetup(page);
    await page.fill("#activate-password", PASSWORD);
    await page.fill("#activate-code", (await freshCode(key, -1)).code);
    await page.click("#activate-form button[type=submit]");
    await waitText(page, "#otp-status", /^Zapnuto$/);
    await keepRecoveryCodes(page);
    await page.click("#sign-out");
    await page.waitForURL(/\/index\.html$/, { timeout: WAIT_MS });
  });
  await check("cs: the OTP step offers the recovery, and the link is sent", async () => {
    await signIn(page, base, email);
    await page.waitForSelector("#otp-step:not([hidden]) #otp-code", { timeout: WAIT_MS });
    await waitText(page, "#lost-keychain", /^Nemám přístup ke klíčence OTP$/);
    await page.click("#lost-keychain");
    await page.click("#recovery-request-form button[type=submit]");
    await waitText(page, "#recovery-request-form .msg", /^Pokud má adresa účet se zapnutým OTP, poslali jsme na ni odkaz\. Platí 30 minut\.$/);
    await shot(page, "20-cs-link-requested");
  });
  await check("cs: the recovery e-mail is in Czech", async () => {
    const mail = await nextMessage(base, seen, (m) => m.kind === "email" && m.to === email);
    assert.equal(mail.subject, "Obnovení přístupu k vašemu účtu");
    assert.match(mail.body, /Chcete-li dvoufázové ověření dočasně vypnout, otevřete do 30 minut tento odkaz:/);
    link = mail.body.match(/https?:\/\/\S+\/recovery\.html#\S+/)[0];
  });
  await check("cs: the recovery page, a wrong phone (server message) and the texted code", async () => {
    await page.goto(link);
    await ready(page);
    assert.equal(await page.getAttribute("html", "lang"), "cs");
    await waitText(page, "#recovery-title", /^Nemám přístup ke klíčence OTP$/);
    await waitText(page, "#recovery-phone-form", /Uložené telefonní číslo končí takto:/);
    await page.fill("#recovery-phone", "+420 601 123 457");
    await page.click("#recovery-phone-form button[type=submit]");
    await waitText(page, "#recovery-phone-form .msg", /^Toto není telefonní číslo uložené u účtu\.$/);
    await page.fill("#recovery-phone", "+420 601 123 456");
    await page.click("#recovery-phone-form button[type=submit]");
    await waitText(page, "#recovery-sends-left", /^Tento odkaz může poslat ještě 2 kódy\. Platí jen nejnovější kód\.$/);
    await waitText(page, "#recovery-sms-status", /^(Kód je na cestě na|Kód byl odeslán na|Posíláme kód na) \+420\s•+56/);
    smsCode = await sms();
    await shot(page, "21-cs-code-sent");
  });
  await check("cs: Resend (1 kód), the CAPTCHA first, then the code suspends OTP", async () => {
    await page.click("#recovery-resend");
    await waitText(page, "#recovery-code-form .msg", /^Nový kód je na cestě\. Platí jen nejnovější kód\.$/);
    await waitText(page, "#recovery-sends-left", /^Tento odkaz může poslat ještě 1 kód\./);
    smsCode = await sms();
    await page.fill("#recovery-code", smsCode);
    await page.click("#recovery-code-form button[type=submit]");
    await waitText(page, "#recovery-code-form .msg", /^Nejdříve projděte kontrolou CAPTCHA\.$/);
    await waitText(page, "#captcha-development", /Nejsem robot/);
    await page.check("#captcha-dev-box");
    await page.click("#recovery-code-form button[type=submit]");
    await waitText(page, "#recovery-done", /Dvoufázové ověření je pozastavené\. Přihlaste se heslem a nastavte OTP znovu\./);
    const notice = await nextMessage(base, seen, (m) => m.kind === "email" && m.to === email);
    assert.equal(notice.subject, "Dvoufázové ověření (OTP) bylo u vašeho účtu vypnuto");
    assert.match(notice.body, /pozastaveno po obnovení přístupu bez klíčenky/);
    await shot(page, "22-cs-suspended");
  });
  await check("cs: the account page asks to set up OTP again, in Czech", async () => {
    await page.click("#recovery-sign-in");
    await page.waitForURL(/\/index\.html$/, { timeout: WAIT_MS });
    await signIn(page, base, email);
    await page.waitForURL(/\/account\.html$/, { timeout: WAIT_MS });
    await ready(page);
    await waitText(page, "#otp-status", /^Pozastaveno$/);
    await waitText(page, "#otp-suspended", /Nastavte znovu dvoufázové ověření/);
    await waitText(page, "#events", /Dvoufázové ověření pozastaveno obnovením přístupu bez klíčenky/);
    await shot(page, "23-cs-account-suspended");
  });
  await check("cs: no script errors and no text outside the catalogs", async () => assert.deepEqual(errors, []));
}

await run([recoveryFlow, mobileFlow, czechFlow], async () => {
  const port = await freePort();
  return { port, vars: [`public_base_url=http://127.0.0.1:${port}`, `admin_token=${ADMIN_TOKEN}`] };
});
