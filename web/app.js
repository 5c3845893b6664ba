// otp-edge pages: sign-in (index.html), account (account.html) and lost-keychain
// recovery (recovery.html, in recovery.js).
//
// Every decision about codes, keys and clocks is made by the browser module
// (pkg/wasm_client.js, built from wasm-client on otp-core): these files only wire the
// DOM to it and to the HTTP API (docs/http-api.md). No framework, no bundler.

import { $, wasm, api, say, fieldError, formState, onSubmit, typedCode, formatTime } from "./common.js";
import { recoveryPage, wireRecoveryRequest } from "./recovery.js";
import { renderCodesLeft, typedRecoveryCode, wireCodesDialog } from "./recovery-codes.js";

// Performance marks (read by tests/browser/bench.mjs; they change nothing on the page).
// common.js has instantiated the browser module by the time this module runs.
if (wasm) performance.mark("otp-edge:module-ready");

// ---------------------------------------------------------------- clock

/** Estimated device clock offset (server − device, ms) and drift warning, if any. */
const clock = { offsetMs: 0, warning: undefined };

/** Server time in Unix ms, from the device clock corrected by the estimated offset. */
const serverNow = () => Date.now() + clock.offsetMs;

/** Five `GET /api/time` round trips timed on the device clock. */
async function timeSamples(count = 5) {
  const base = Date.now();
  const start = performance.now();
  const deviceNow = () => base + (performance.now() - start);
  const samples = [];
  for (let i = 0; i < count; i += 1) {
    const sentMs = deviceNow();
    try {
      const { unix_ms: serverMs } = await api("GET", "/api/time");
      samples.push({ sentMs, serverMs, receivedMs: deviceNow() });
    } catch {
      // A lost sample only widens the estimate.
    }
  }
  return samples;
}

function describeDrift(warning) {
  const where = warning.direction === "ahead" ? "ahead of" : "behind";
  return `${warning.seconds} seconds ${where} the server`;
}

/** Estimate the clock offset and show a warning when the device is off by > 10 s. */
async function checkClock() {
  if (!wasm) return;
  const offset = wasm.estimateClockOffset(await timeSamples());
  if (!offset) return;
  clock.offsetMs = offset.offsetMs;
  clock.warning = wasm.driftWarning(offset.offsetMs);
  if (clock.warning) {
    $("#clock-warning").textContent =
      `Your device clock is ${describeDrift(clock.warning)}. Codes from an authenticator app ` +
      "on this device may be refused: set the clock to update automatically (network time).";
  }
}

/** Update every countdown element once a second with the seconds left in the time step. */
function startCountdown(period = 30) {
  if (!wasm) return;
  const tick = () => {
    const left = wasm.secondsLeft(serverNow(), period);
    document.querySelectorAll(".countdown").forEach((el) => {
      el.textContent = `The code changes in ${left} s.`;
    });
  };
  tick();
  setInterval(tick, 1000);
}

// ---------------------------------------------------------------- sign-in page

function signInPage() {
  const otpStep = $("#otp-step");
  let challenge = null;

  const lostButton = $("#lost-keychain");
  const lostForm = $("#recovery-request-form");
  const showLostForm = (open) => {
    lostForm.hidden = !open;
    lostButton.setAttribute("aria-expanded", String(open));
    if (!open) return;
    formState(lostForm);
    if (!lostForm.email.value) lostForm.email.value = $("#sign-in-email").value.trim();
    lostForm.email.focus();
  };
  lostButton.addEventListener("click", () => showLostForm(lostForm.hidden));
  wireRecoveryRequest(lostForm);

  const codeButton = $("#use-recovery-code");
  const codeForm = $("#recovery-code-form");
  const showCodeForm = (open) => {
    codeForm.hidden = !open;
    codeButton.setAttribute("aria-expanded", String(open));
    if (!open) return;
    formState(codeForm);
    codeForm.recovery_code.focus();
  };
  codeButton.addEventListener("click", () => showCodeForm(codeForm.hidden));

  const enterOtpStep = (value) => {
    challenge = value;
    $("#sign-in").hidden = true;
    $("#register").hidden = true;
    otpStep.hidden = false;
    lostForm.email.value = $("#sign-in-email").value.trim();
    showLostForm(false);
    codeForm.reset();
    showCodeForm(false);
    $("#otp-code").value = "";
    $("#otp-code").focus();
  };

  onSubmit($("#sign-in-form"), async (form, msg) => {
    const email = form.email.value.trim();
    const password = form.password.value;
    if (!email) return fieldError(form.email, msg, "Enter your e-mail address.");
    if (!password) return fieldError(form.password, msg, "Enter your password.");
    try {
      const result = await api("POST", "/api/session", { email, password });
      if (result.status === "otp_required") enterOtpStep(result.challenge);
      else location.assign("account.html");
    } catch (err) {
      say(msg, err.message);
    }
  });

  /** The second step with `body` (a code or a recovery code typed in `field`). */
  const secondStep = async (path, body, field, msg) => {
    try {
      await api("POST", path, { challenge, ...body });
      location.assign("account.html");
    } catch (err) {
      if (err.code === "challenge_expired") {
        say(msg, err.message);
      } else if (err.code === "locked_out") {
        say(msg, err.message);
        showLostForm(true);
      } else {
        fieldError(field, msg, err.message);
      }
    }
  };
  onSubmit($("#otp-form"), async (form, msg) => {
    const code = typedCode(form.code, msg);
    if (code !== null) await secondStep("/api/session/otp", { code }, form.code, msg);
  });
  onSubmit(codeForm, async (form, msg) => {
    const code = typedRecoveryCode(form.recovery_code, msg);
    if (code !== null) await secondStep("/api/session/recovery-code", { recovery_code: code }, form.recovery_code, msg);
  });

  $("#otp-back").addEventListener("click", () => {
    challenge = null;
    otpStep.hidden = true;
    $("#sign-in").hidden = false;
    $("#register").hidden = false;
    $("#sign-in-password").value = "";
    $("#sign-in-password").focus();
  });

  onSubmit($("#register-form"), async (form, msg) => {
    const email = form.email.value.trim();
    const password = form.password.value;
    const phone = form.phone.value.trim();
    if (!email) return fieldError(form.email, msg, "Enter your e-mail address.");
    if (!password) return fieldError(form.password, msg, "Choose a password.");
    try {
      await api("POST", "/api/accounts", phone ? { email, password, phone } : { email, password });
      say(msg, "Account created. Signing you in…", "ok");
      const result = await api("POST", "/api/session", { email, password });
      if (result.status === "otp_required") enterOtpStep(result.challenge);
      else location.assign("account.html");
    } catch (err) {
      const field = { invalid_email: form.email, weak_password: form.password,
        password_too_long: form.password, invalid_phone: form.phone }[err.code];
      if (field) fieldError(field, msg, err.message);
      else say(msg, err.message);
    }
  });
}

// ---------------------------------------------------------------- account page

const STATUS_LABELS = { disabled: "Off", pending: "Setup not finished", active: "On", suspended: "Suspended" };

const EVENT_LABELS = {
  account_created: "Account created",
  phone_changed: "Phone number changed",
  otp_setup: "Two-step verification setup started",
  otp_activated: "Two-step verification turned on",
  otp_activation_failed: "Two-step verification activation failed (the key was discarded)",
  otp_deactivated: "Two-step verification turned off",
  signed_in: "Signed in",
  code_rejected: "A wrong verification code was entered",
  locked_out: "Too many wrong codes: verification codes are refused for a while",
  recovery_requested: "“I lost my OTP keychain”: a recovery link was e-mailed",
  recovery_sms_sent: "Recovery: a code was texted to the phone on file",
  recovery_phone_mismatch: "Recovery: a phone number that is not the one on file was typed",
  otp_suspended: "Two-step verification suspended by the lost-keychain recovery",
  admin_reset: "Two-step verification reset by support",
  recovery_code_used: "A recovery code was used instead of a verification code",
  recovery_codes_regenerated: "New recovery codes were made (the old ones stopped working)",
};

/** Readable text of one security event. */
function describeEvent(e) {
  let text = EVENT_LABELS[e.event] ?? e.event.replaceAll("_", " ");
  if (e.detail) text += `. Reason given: “${e.detail}”`;
  return e.client ? `${text} (from ${e.client})` : text;
}

function renderAccount(account) {
  $("#account-email").textContent = account.email;
  $("#account-phone").textContent = account.phone ?? "Not set";
  if (account.phone && document.activeElement !== $("#phone")) $("#phone").value = account.phone;

  const status = account.otp.status;
  const badge = $("#otp-status");
  badge.textContent = STATUS_LABELS[status] ?? status;
  badge.className = `badge ${status}`;
  const since = $("#otp-since");
  since.hidden = !account.otp.activated_at;
  if (account.otp.activated_at) since.textContent = `Active since ${formatTime(account.otp.activated_at)}.`;
  $("#otp-suspended").hidden = status !== "suspended";
  $("#otp-off").hidden = status === "active";
  $("#deactivate-form").hidden = status !== "active";
  $("#regenerate-form").hidden = status !== "active";
  renderCodesLeft(account.otp.recovery_codes_left);

  const list = $("#events");
  list.replaceChildren(
    ...account.recent_events.map((e) => {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = new Date(e.at).toISOString();
      time.textContent = formatTime(e.at);
      item.append(time, describeEvent(e));
      return item;
    }),
  );
  if (!account.recent_events.length) list.textContent = "No events yet.";
}

function accountPage() {
  const pageMsg = $("#page-msg");
  const dialog = $("#otp-dialog");
  const activateForm = $("#activate-form");
  const activateMsg = $(".msg", activateForm);
  const showCodes = wireCodesDialog();
  const email = () => $("#account-email").textContent;
  let setup = null;

  const refresh = async () => {
    try {
      renderAccount(await api("GET", "/api/account"));
    } catch (err) {
      if (err.status === 401) location.replace("index.html");
      else say(pageMsg, err.message);
    }
  };

  $("#sign-out").addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/session");
    } finally {
      location.assign("index.html");
    }
  });

  onSubmit($("#phone-form"), async (form, msg) => {
    const phone = form.phone.value.trim();
    if (!phone) return fieldError(form.phone, msg, "Enter a phone number.");
    try {
      const result = await api("PUT", "/api/account/phone", { phone });
      say(msg, `Saved as ${result.phone}.`, "ok");
      form.phone.value = result.phone;
      await refresh();
    } catch (err) {
      fieldError(form.phone, msg, err.message);
    }
  });

  const startSetup = async () => {
    performance.mark("otp-edge:setup-start");
    const offMsg = $("#otp-off .msg");
    say(offMsg, "", "");
    if (!wasm) return say(offMsg, "The page's security module did not load. Reload the page and try again.");
    try {
      setup = await api("POST", "/api/otp/setup", {});
    } catch (err) {
      say(dialog.open ? activateMsg : offMsg, err.message);
      if (err.code === "phone_required") $("#phone").focus();
      return;
    }
    try {
      $("#otp-qr").innerHTML = wasm.renderQrSvg(setup.otpauth_uri);
      performance.mark("otp-edge:qr-drawn");
    } catch (err) {
      $("#otp-qr").textContent = `The QR code could not be drawn (${err.message}); type the key instead.`;
    }
    $("#otp-key").textContent = wasm.groupKey(setup.shared_key);
    $("#otp-params").textContent = `${setup.algorithm}, ${setup.digits} digits, ${setup.period} s`;
    formState(activateForm);
    activateForm.code.value = "";
    $("#otp-restart").hidden = true;
    activateForm.querySelector("button[type=submit]").hidden = false;
    if (!dialog.open) dialog.showModal();
    // Start at the top (the QR code), not at the password field further down.
    $("#otp-dialog-title").focus();
    await refresh();
  };

  let opener = $("#otp-open");
  for (const button of [$("#otp-open"), $("#otp-again")]) {
    button.addEventListener("click", () => {
      opener = button;
      return startSetup();
    });
  }
  $("#otp-restart").addEventListener("click", startSetup);
  $("#otp-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    // Do not leave the key in the page once the dialog is gone.
    setup = null;
    $("#otp-qr").replaceChildren();
    $("#otp-key").textContent = "";
    activateForm.reset();
    opener.focus();
  });

  $("#otp-copy").addEventListener("click", async () => {
    if (!setup) return;
    try {
      await navigator.clipboard.writeText(setup.shared_key);
      say(activateMsg, "Key copied.", "ok");
    } catch {
      getSelection().selectAllChildren($("#otp-key"));
      say(activateMsg, "Copying is not allowed here: the key is selected, copy it with your keyboard.", "");
    }
  });

  const burned = (text) => {
    say(activateMsg, text);
    activateForm.querySelector("button[type=submit]").hidden = true;
    $("#otp-restart").hidden = false;
    $("#otp-restart").focus();
  };

  onSubmit(activateForm, async (form, msg) => {
    if (!setup) return;
    const code = typedCode(form.code, msg, setup.digits);
    if (code === null) return;
    if (!form.password.value) return fieldError(form.password, msg, "Enter your password.");
    const now = serverNow();
    if (setup.expires_at && now >= setup.expires_at) return burned("This setup has expired. Press Start again for a new key.");
    // Check the code against the pending key at server time before submitting: a
    // failed activation discards the key, so mistakes must be caught here.
    const check = (ms) => wasm.precheckCode(setup.shared_key, code, ms / 1000, setup.digits, setup.period, setup.algorithm);
    let offset;
    try {
      offset = check(now);
    } catch (err) {
      return say(msg, `This key cannot be checked (${err.message}). Press Cancel and set up again.`);
    }
    if (offset === undefined) {
      const matchesDevice = clock.warning && check(Date.now()) !== undefined;
      return fieldError(form.code, msg, matchesDevice
        ? `This code follows your device clock, which is ${describeDrift(clock.warning)}, so the server would refuse it. ` +
          "Set the clock to update automatically, then enter the new code. Nothing was sent: this setup is still valid."
        : "This code does not match the key being set up. Check that your app shows the account you just added and " +
          "enter its current code. Nothing was sent: this setup is still valid.");
    }
    try {
      const result = await api("POST", "/api/otp/activate", { password: form.password.value, code });
      dialog.close();
      await refresh();
      await showCodes(result.recovery_codes, email());
      say(pageMsg, "Two-step verification is on. You will be asked for a code when you sign in.", "ok");
    } catch (err) {
      if (err.code === "activation_failed") {
        burned(`${err.message} Press Start again for a new key.`);
        await refresh();
      } else {
        say(msg, err.message);
      }
    }
  });

  onSubmit($("#deactivate-form"), async (form, msg) => {
    if (!form.password.value) return fieldError(form.password, msg, "Enter your password.");
    const code = typedCode(form.code, msg);
    if (code === null) return;
    try {
      await api("POST", "/api/otp/deactivate", { password: form.password.value, code });
      form.reset();
      say(pageMsg, "Two-step verification is off.", "ok");
      await refresh();
    } catch (err) {
      const field = err.code === "invalid_credentials" ? form.password : form.code;
      fieldError(field, msg, err.message);
    }
  });

  onSubmit($("#regenerate-form"), async (form, msg) => {
    if (!form.password.value) return fieldError(form.password, msg, "Enter your password.");
    const code = typedCode(form.code, msg);
    if (code === null) return;
    try {
      const result = await api("POST", "/api/otp/recovery-codes", { password: form.password.value, code });
      form.reset();
      await refresh();
      await showCodes(result.recovery_codes, email());
      say(msg, "New recovery codes made: the old ones no longer work.", "ok");
    } catch (err) {
      const field = err.code === "invalid_credentials" ? form.password : form.code;
      fieldError(field, msg, err.message);
    }
  });

  if (!wasm) say(pageMsg, "The page's security module did not load: two-step verification settings are unavailable. Reload the page.");
  return refresh();
}

// ---------------------------------------------------------------- start

const page = document.body.dataset.page;
if (page === "sign-in") signInPage();
if (page === "account") await accountPage();
if (page === "recovery") {
  // No time-based codes here: the text message code does not depend on the clock.
  await recoveryPage();
} else {
  startCountdown();
  await checkClock();
}
performance.mark("otp-edge:page-ready");
document.body.dataset.ready = "true";
