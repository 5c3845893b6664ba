// @ts-check
// The account page (account.html): basic settings, the OTP setting (QR code, local
// pre-check of the code, activation), recovery codes, deactivation, security events,
// and the language of the account's e-mails and text messages.

import { $, api, fieldError, formState, onSubmit, say, startPage, typedCode, wasm } from "./common.js";
import { checkClock, clock, describeDrift, serverNow, startCountdown } from "./clock.js";
import { formatTime, fromServer, has, t } from "./i18n.js";
import { renderCodesLeft, wireCodesDialog } from "./recovery-codes.js";

/**
 * Readable text of one security event.
 * @param {{event: string, detail?: string, client?: string}} e
 */
function describeEvent(e) {
  const id = `event-${e.event}`;
  let text = has(id) ? t(id) : fromServer(e.event.replaceAll("_", " "));
  if (e.detail) text = t("event-with-detail", { text, detail: e.detail });
  return e.client ? t("event-from", { text, client: e.client }) : text;
}

/** @param {any} account the `GET /api/account` answer */
function renderAccount(account) {
  $("#account-email").textContent = account.email;
  $("#account-phone").textContent = account.phone ?? t("phone-not-set");
  $("#account-phone").toggleAttribute("data-raw", Boolean(account.phone));
  if (account.phone && document.activeElement !== $("#phone")) $("#phone").value = account.phone;

  const status = account.otp.status;
  const badge = $("#otp-status");
  badge.textContent = t(`otp-status-${status}`);
  badge.className = `badge ${status}`;
  const since = $("#otp-since");
  since.hidden = !account.otp.activated_at;
  if (account.otp.activated_at) since.textContent = t("otp-since", { time: formatTime(account.otp.activated_at) });
  $("#otp-suspended").hidden = status !== "suspended";
  $("#otp-off").hidden = status === "active";
  $("#deactivate-form").hidden = status !== "active";
  $("#regenerate-form").hidden = status !== "active";
  renderCodesLeft(account.otp.recovery_codes_left);

  const list = $("#events");
  list.replaceChildren(
    ...account.recent_events.map((/** @type {any} */ e) => {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = new Date(e.at).toISOString();
      time.textContent = formatTime(e.at);
      time.dataset.raw = "";
      item.append(time, describeEvent(e));
      return item;
    }),
  );
  if (!account.recent_events.length) list.textContent = t("events-none");
}

async function accountPage() {
  const pageMsg = $("#page-msg");
  const dialog = $("#otp-dialog");
  const activateForm = $("#activate-form");
  const activateMsg = $(".msg", activateForm);
  const showCodes = wireCodesDialog();
  const email = () => $("#account-email").textContent;
  /** @type {any} */
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
    if (!phone) return fieldError(form.phone, msg, t("phone-missing"));
    try {
      const result = await api("PUT", "/api/account/phone", { phone });
      say(msg, t("phone-saved", { phone: result.phone }), "ok");
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
    if (!wasm) return say(offMsg, t("module-missing"));
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
      $("#otp-qr").textContent = t("qr-failed", { reason: fromServer(String(err.message)) });
    }
    $("#otp-key").textContent = wasm.groupKey(setup.shared_key);
    $("#otp-params").textContent = t("otp-params", {
      algorithm: setup.algorithm, digits: setup.digits, period: setup.period,
    });
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
      say(activateMsg, t("key-copied"), "ok");
    } catch {
      getSelection()?.selectAllChildren($("#otp-key"));
      say(activateMsg, t("key-copy-refused"), "");
    }
  });

  /** @param {string} text */
  const burned = (text) => {
    say(activateMsg, text);
    activateForm.querySelector("button[type=submit]").hidden = true;
    $("#otp-restart").hidden = false;
    $("#otp-restart").focus();
  };

  onSubmit(activateForm, async (form, msg) => {
    if (!setup || !wasm) return;
    const module = wasm;
    const code = typedCode(form.code, msg, setup.digits);
    if (code === null) return;
    if (!form.password.value) return fieldError(form.password, msg, t("password-missing"));
    const now = serverNow();
    if (setup.expires_at && now >= setup.expires_at) return burned(t("setup-expired"));
    // Check the code against the pending key at server time before submitting: a
    // failed activation discards the key, so mistakes must be caught here.
    const check = (/** @type {number} */ ms) =>
      module.precheckCode(setup.shared_key, code, ms / 1000, setup.digits, setup.period, setup.algorithm);
    let offset;
    try {
      offset = check(now);
    } catch (err) {
      return say(msg, t("key-unusable", { reason: fromServer(String(err.message)) }));
    }
    if (offset === undefined) {
      const warning = clock.warning;
      return fieldError(form.code, msg, warning && check(Date.now()) !== undefined
        ? t("code-follows-device-clock", { drift: describeDrift(warning) })
        : t("code-does-not-match"));
    }
    try {
      const result = await api("POST", "/api/otp/activate", { password: form.password.value, code });
      dialog.close();
      await refresh();
      await showCodes(result.recovery_codes, email());
      say(pageMsg, t("otp-on"), "ok");
    } catch (err) {
      if (err.code === "activation_failed") {
        burned(t("activation-failed", { reason: err.message }));
        await refresh();
      } else {
        say(msg, err.message);
      }
    }
  });

  /**
   * A form that confirms a change to active OTP with the password and a current code
   * (otp-core's confirmed change): POST to `path`, then `done(answer, msg)`.
   * @param {string} selector
   * @param {string} path
   * @param {(answer: any, msg: HTMLElement) => Promise<void>} done
   */
  const confirmedForm = (selector, path, done) =>
    onSubmit($(selector), async (form, msg) => {
      if (!form.password.value) return fieldError(form.password, msg, t("password-missing"));
      const code = typedCode(form.code, msg);
      if (code === null) return;
      try {
        const answer = await api("POST", path, { password: form.password.value, code });
        form.reset();
        await done(answer, msg);
      } catch (err) {
        const field = err.code === "invalid_credentials" ? form.password : form.code;
        fieldError(field, msg, err.message);
      }
    });
  confirmedForm("#deactivate-form", "/api/otp/deactivate", async () => {
    say(pageMsg, t("otp-off"), "ok");
    await refresh();
  });
  confirmedForm("#regenerate-form", "/api/otp/recovery-codes", async (answer, msg) => {
    await refresh();
    await showCodes(answer.recovery_codes, email());
    say(msg, t("codes-regenerated"), "ok");
  });

  if (!wasm) say(pageMsg, t("module-missing-settings"));
  await refresh();
}

/**
 * The language switch on this page also sets the account's e-mails and text messages.
 * @param {string} language
 */
const storeLanguage = async (language) => {
  try {
    await api("PUT", "/api/account/language", { language });
  } catch {
    // Signed out meanwhile: the page language still changes.
  }
};

await startPage(async () => {
  await accountPage();
  startCountdown();
  await checkClock();
}, storeLanguage);
