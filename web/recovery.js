// @ts-check
// The recovery page (recovery.html#TOKEN), "I lost my OTP keychain" (DESIGN.md flow 5):
// confirm the phone on file, the texted code and the CAPTCHA; a form for a new link.
//
// The link's token travels in the URL fragment, which browsers never send to a server.
// The page moves it from the address bar into this tab's sessionStorage at once (so it
// does not linger in history or in a screenshot of the address bar) and keeps it there
// until recovery succeeds or the server says the link is spent.

import { $, api, fieldError, formState, onSubmit, say, startPage, typedCode } from "./common.js";
import { t } from "./i18n.js";
import { wireRecoveryRequest } from "./recovery-request.js";

// ---------------------------------------------------------------- the link

const STORAGE_KEY = "otp-edge-recovery-link";
// `{account id}.{secret}` (release 2) or a release-1 token of 43 characters.
const TOKEN_PATTERN = /^(?:[0-9a-f]{32}\.)?[A-Za-z0-9_-]{43}$/;

/** The token from the fragment (then removed from the address bar) or from this tab. */
function takeToken() {
  const fromHash = decodeURIComponent(location.hash.slice(1)).trim();
  if (fromHash) {
    try {
      sessionStorage.setItem(STORAGE_KEY, fromHash);
    } catch {
      // Storage refused (private mode): the token lives in memory only.
    }
    history.replaceState(null, "", location.pathname + location.search);
    return fromHash;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

function forgetToken() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}

// ---------------------------------------------------------------- delivery status

/** Statuses after which the text message may still arrive: keep polling. */
const ON_ITS_WAY = new Set(["sending", "queued", "sent"]);
const FAILED = new Set(["failed", "undelivered"]);
const POLL_MS = 3000;
/** Polls per text message (two minutes): development delivery never reports "delivered". */
const MAX_POLLS = 40;

/**
 * The delivery line for `status`; `late` adds the hint to resend.
 * @param {string | null} status
 * @param {string} phoneHint
 */
function deliveryText(status, phoneHint, late = false) {
  if (!status) return "";
  const hint = phoneHint.replaceAll(" ", "\u00a0"); // keep "+44 ••••56" on one line
  const known = ["sending", "queued", "sent", "delivered", "failed", "undelivered", "not_sent"];
  const kind = status === "undelivered" ? "failed" : known.includes(status) ? status : "other";
  return t(`delivery-${kind}`, { phone: hint, status, late: late ? "yes" : "no" });
}

// ---------------------------------------------------------------- CAPTCHA

/** hCaptcha's script, loaded only when the code step is shown. */
function loadHcaptcha() {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), 20_000);
    const global = /** @type {any} */ (window);
    global.otpEdgeHcaptchaReady = () => {
      clearTimeout(timer);
      resolve(global.hcaptcha);
    };
    const script = document.createElement("script");
    script.src = "https://js.hcaptcha.com/1/api.js?render=explicit&onload=otpEdgeHcaptchaReady&recaptchacompat=off";
    script.async = true;
    script.onerror = () => {
      clearTimeout(timer);
      reject(new Error("blocked"));
    };
    document.head.append(script);
  });
}

/**
 * Show the CAPTCHA the server asked for. Returns `{token(), spent(), focus()}`:
 * `token()` is what goes in captcha_token ("" when not passed yet), `spent()` is called
 * after every answer from the server (an hCaptcha response is good for one check).
 */
function captchaWidget(info) {
  const none = { token: () => "", spent() {}, focus() {} };
  if (info?.provider === "development") {
    const box = $("#captcha-dev-box");
    $("#captcha-development").hidden = false;
    return {
      token: () => (box.checked ? info.test_token : ""),
      spent() {},
      failed() {
        box.checked = false;
      },
      focus: () => box.focus(),
    };
  }
  if (info?.provider === "hcaptcha") {
    $("#captcha-hcaptcha").hidden = false;
    const status = $("#captcha-loading");
    const container = $("#captcha-widget");
    const widget = { ...none, failed() {}, focus: () => container.querySelector("iframe")?.focus() };
    if (!info.site_key) {
      status.textContent = t("captcha-not-configured");
      return widget;
    }
    loadHcaptcha()
      .then((hcaptcha) => {
        // The normal widget is 303 px wide; a narrow phone gets the compact one.
        const size = container.clientWidth < 304 ? "compact" : "normal";
        const id = hcaptcha.render(container, { sitekey: info.site_key, size });
        status.textContent = "";
        widget.token = () => hcaptcha.getResponse(id) ?? "";
        widget.spent = () => hcaptcha.reset(id);
      })
      .catch(() => {
        status.textContent = t("captcha-load-failed");
      });
    return widget;
  }
  $("#recovery-captcha").append(t("captcha-unknown"));
  return { ...none, failed() {} };
}

// ---------------------------------------------------------------- the page

async function recoveryPage() {
  wireRecoveryRequest($("#recovery-request-form"));
  addEventListener("hashchange", () => location.reload());

  const token = takeToken();
  const path = `/api/recovery/${encodeURIComponent(token)}`;
  const phoneForm = $("#recovery-phone-form");
  const codeForm = $("#recovery-code-form");
  const codeMsg = $(".msg", codeForm);
  const resend = $("#recovery-resend");
  const statusLine = $("#recovery-sms-status");
  let view = null;
  let phone = null; // the number typed (and accepted), for Resend
  let captcha = null;
  let pollTimer = 0;
  let polls = 0;

  const show = (id) => {
    for (const part of ["recovery-loading", "recovery-problem", "recovery-no-phone", "recovery-steps", "recovery-done"]) {
      $(`#${part}`).hidden = part !== id;
    }
  };

  const stopPolling = () => clearTimeout(pollTimer);

  const problem = (text) => {
    stopPolling();
    forgetToken();
    $("#recovery-problem-text").textContent = text;
    show("recovery-problem");
    $("#recovery-email").focus();
  };

  const renderView = () => {
    $("#recovery-phone-hint").textContent = view.phone_hint;
    const left = view.sms_sends_left;
    $("#recovery-sends-left").textContent = t(left > 0 ? "sends-left" : "sends-none", { left });
    resend.dataset.off = String(left <= 0);
    resend.disabled = left <= 0;
    const late = ON_ITS_WAY.has(view.sms_status) && polls >= MAX_POLLS;
    const text = deliveryText(view.sms_status, view.phone_hint, late);
    // Rewrite the live region only when the news changed, so it is announced once.
    if (statusLine.textContent !== text) statusLine.textContent = text;
    statusLine.classList.toggle("error", FAILED.has(view.sms_status));
  };

  let finished = false;
  const expired = (err) => {
    // A poll in flight when recovery succeeded finds the spent link: not news.
    if (!finished) problem(err.message);
  };

  /** Fetch the view again; false when the link is gone. */
  const refreshView = async () => {
    try {
      view = await api("GET", path);
      renderView();
    } catch (err) {
      if (err.code === "link_expired") {
        expired(err);
        return false;
      }
      // A lost poll only delays the news.
    }
    return true;
  };

  // Follow the delivery of a text message until it is delivered or failed, for at
  // most MAX_POLLS polls.
  const poll = async () => {
    if (finished) return;
    polls += 1;
    if (!(await refreshView())) return;
    clearTimeout(pollTimer);
    if (polls < MAX_POLLS && (view.sms_status === null || ON_ITS_WAY.has(view.sms_status))) {
      pollTimer = setTimeout(poll, POLL_MS);
    }
  };

  const startPolling = () => {
    stopPolling();
    polls = 0;
    return poll();
  };

  const showCodeStep = () => {
    phoneForm.hidden = true;
    codeForm.hidden = false;
    captcha ??= captchaWidget(view.captcha);
  };

  // A code was accepted for sending: move to the code step and follow the delivery.
  const codeSent = async () => {
    view = { ...view, sms_status: "sending" };
    showCodeStep();
    renderView();
    codeForm.code.value = "";
    codeForm.code.focus();
    await startPolling();
  };

  const smsFailed = (err, msg) => {
    switch (err.code) {
      case "link_expired":
        return expired(err);
      case "no_phone_on_file":
        stopPolling();
        return show("recovery-no-phone");
      case "phone_mismatch":
      case "invalid_phone":
        phoneForm.hidden = false;
        return fieldError(phoneForm.phone, $(".msg", phoneForm), err.message);
      default:
        say(msg, err.message);
        return refreshView();
    }
  };

  onSubmit(phoneForm, async (form, msg) => {
    const typed = form.phone.value.trim();
    if (!typed) return fieldError(form.phone, msg, t("recovery-phone-missing"));
    try {
      await api("POST", `${path}/sms`, { phone: typed });
      phone = typed;
      await codeSent();
    } catch (err) {
      await smsFailed(err, msg);
    }
  });

  resend.addEventListener("click", async () => {
    if (!phone) {
      // Opened again after a code was sent: the number is needed once more.
      phoneForm.hidden = false;
      say($(".msg", phoneForm), t("recovery-phone-again"), "");
      phoneForm.phone.focus();
      return;
    }
    formState(codeForm, { busy: true });
    try {
      await api("POST", `${path}/sms`, { phone });
      await codeSent();
      say(codeMsg, t("sms-code-resent"), "ok");
    } catch (err) {
      await smsFailed(err, codeMsg);
    } finally {
      formState(codeForm, { busy: false, clear: false });
    }
  });

  onSubmit(codeForm, async (form, msg) => {
    const code = typedCode(form.code, msg);
    if (code === null) return;
    const captchaToken = captcha.token();
    if (!captchaToken) {
      say(msg, t("captcha-first"));
      return captcha.focus();
    }
    try {
      await api("POST", `${path}/confirm`, { code, captcha_token: captchaToken });
    } catch (err) {
      captcha.spent();
      switch (err.code) {
        case "link_expired":
          return expired(err);
        case "invalid_code":
          // The server's text speaks of authenticator codes ("wait for the next code").
          return fieldError(form.code, msg, t("sms-code-wrong"));
        case "malformed_code":
          return fieldError(form.code, msg, err.message);
        case "captcha_failed":
          say(msg, err.message);
          captcha.failed();
          return captcha.focus();
        case "sms_code_required":
          say(msg, t("sms-code-required", { reason: err.message }));
          return resend.disabled ? undefined : resend.focus();
        default:
          return say(msg, err.message);
      }
    }
    finished = true;
    stopPolling();
    forgetToken();
    show("recovery-done");
    $("#recovery-sign-in").focus();
  });

  if (!token) {
    return problem(t("recovery-link-missing"));
  }
  if (!TOKEN_PATTERN.test(token)) {
    return problem(t("recovery-link-incomplete"));
  }
  try {
    view = await api("GET", path);
  } catch (err) {
    if (err.code === "link_expired") return expired(err);
    $("#recovery-loading").textContent = t("recovery-load-failed", { reason: err.message });
    return;
  }
  if (!view.phone_hint) return show("recovery-no-phone");
  show("recovery-steps");
  renderView();
  if (view.sms_status) {
    // Reopened after a code was sent: go on with that code.
    showCodeStep();
    if (ON_ITS_WAY.has(view.sms_status)) pollTimer = setTimeout(poll, POLL_MS);
  }
}

// No time-based codes here: the text message code does not depend on the clock.
await startPage(recoveryPage);
