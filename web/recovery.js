// "I lost my OTP keychain" (DESIGN.md flow 5): the request form (sign-in page and the
// recovery page) and the recovery page itself (recovery.html#TOKEN).
//
// The link's token travels in the URL fragment, which browsers never send to a server.
// The page moves it from the address bar into this tab's sessionStorage at once (so it
// does not linger in history or in a screenshot of the address bar) and keeps it there
// until recovery succeeds or the server says the link is spent.

import { $, api, say, fieldError, formState, onSubmit, typedCode } from "./common.js";

const SENT_NOTICE = "If the address has an account with OTP, we've sent a link. It is valid for 30 minutes.";

/** Wire a form with an `email` field that asks for a recovery e-mail. */
export function wireRecoveryRequest(form) {
  onSubmit(form, async (form, msg) => {
    const email = form.email.value.trim();
    if (!email) return fieldError(form.email, msg, "Enter your e-mail address.");
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      return fieldError(form.email, msg, "Enter a valid e-mail address, like name@example.com.");
    }
    try {
      await api("POST", "/api/recovery", { email });
      say(msg, SENT_NOTICE, "ok");
    } catch (err) {
      say(msg, err.message);
    }
  });
}

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

function deliveryText(status, phoneHint) {
  const hint = phoneHint.replaceAll(" ", "\u00a0"); // keep "+44 ••••56" on one line
  switch (status) {
    case "sending": return `Sending a code to ${hint}…`;
    case "queued": return `The code is on its way to ${hint}.`;
    case "sent": return `The code was sent to ${hint}; it should arrive in a moment.`;
    case "delivered": return `The code was delivered to ${hint}.`;
    case "failed":
    case "undelivered":
      return `The text message to ${hint} could not be delivered. Press Resend code to try again, ` +
        "or contact support if it keeps failing.";
    case "not_sent":
      return "The text message could not be sent, and it was not counted. Press Resend code to try again.";
    default: return status ? `Text message status: ${status}.` : "";
  }
}

// ---------------------------------------------------------------- CAPTCHA

/** hCaptcha's script, loaded only when the code step is shown. */
function loadHcaptcha() {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), 20_000);
    window.otpEdgeHcaptchaReady = () => {
      clearTimeout(timer);
      resolve(window.hcaptcha);
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
      status.textContent = "The CAPTCHA is not configured on this server, so recovery cannot finish here. Please contact support.";
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
        status.textContent = "The CAPTCHA could not be loaded. Check that nothing blocks js.hcaptcha.com and reload the page.";
      });
    return widget;
  }
  $("#recovery-captcha").append("This page does not know the CAPTCHA this server uses. Please contact support.");
  return { ...none, failed() {} };
}

// ---------------------------------------------------------------- the page

export async function recoveryPage() {
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
    $("#recovery-sends-left").textContent = left > 0
      ? `This link can send ${left} more ${left === 1 ? "code" : "codes"}. Only the newest code works.`
      : "This link cannot send more codes. If none arrived, ask for a new link or contact support.";
    resend.dataset.off = String(left <= 0);
    resend.disabled = left <= 0;
    let text = deliveryText(view.sms_status, view.phone_hint);
    if (ON_ITS_WAY.has(view.sms_status) && polls >= MAX_POLLS) {
      text += " If nothing arrives within a few minutes, press Resend code.";
    }
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
    if (!typed) return fieldError(form.phone, msg, "Type the full phone number on file.");
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
      say($(".msg", phoneForm), "Type the phone number on file again to send a new code.", "");
      phoneForm.phone.focus();
      return;
    }
    formState(codeForm, { busy: true });
    try {
      await api("POST", `${path}/sms`, { phone });
      await codeSent();
      say(codeMsg, "A new code is on its way. Only the newest code works.", "ok");
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
      say(msg, "Complete the CAPTCHA first.");
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
          return fieldError(form.code, msg, "This is not the code we texted. Check the newest text message " +
            "and type its 6 digits, or press Resend code.");
        case "malformed_code":
          return fieldError(form.code, msg, err.message);
        case "captcha_failed":
          say(msg, err.message);
          captcha.failed();
          return captcha.focus();
        case "sms_code_required":
          say(msg, `${err.message} Press Resend code.`);
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
    return problem("This page needs the link from the recovery e-mail. Open the link again, or ask for a new one below.");
  }
  if (!TOKEN_PATTERN.test(token)) {
    return problem("This link is incomplete. Open it again from the e-mail (some mail apps cut long links), " +
      "or ask for a new one below.");
  }
  try {
    view = await api("GET", path);
  } catch (err) {
    if (err.code === "link_expired") return expired(err);
    $("#recovery-loading").textContent = `${err.message} Reload the page to try again.`;
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
