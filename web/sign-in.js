// @ts-check
// The sign-in page (index.html): password, then the code from the authenticator or a
// recovery code, "I lost my OTP keychain", and registration.

import { $, api, fieldError, formState, onSubmit, say, startPage, typedCode } from "./common.js";
import { checkClock, startCountdown } from "./clock.js";
import { t } from "./i18n.js";
import { typedRecoveryCode } from "./recovery-codes.js";
import { wireRecoveryRequest } from "./recovery-request.js";

/**
 * A disclosure: `button` shows and hides `form`; `onOpen` runs when it opens.
 * @param {HTMLElement} button
 * @param {HTMLFormElement} form
 * @param {() => void} onOpen
 */
function disclosure(button, form, onOpen) {
  /** @param {boolean} open */
  const show = (open) => {
    form.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (!open) return;
    formState(form);
    onOpen();
  };
  button.addEventListener("click", () => show(form.hidden));
  return show;
}

function signInPage() {
  const otpStep = $("#otp-step");
  /** @type {string | null} */
  let challenge = null;

  const lostForm = $("#recovery-request-form");
  const showLostForm = disclosure($("#lost-keychain"), lostForm, () => {
    if (!lostForm.email.value) lostForm.email.value = $("#sign-in-email").value.trim();
    lostForm.email.focus();
  });
  wireRecoveryRequest(lostForm);

  const codeForm = $("#recovery-code-form");
  const showCodeForm = disclosure($("#use-recovery-code"), codeForm, () => codeForm.recovery_code.focus());

  /** @param {string} value */
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
    if (!email) return fieldError(form.email, msg, t("email-missing"));
    if (!password) return fieldError(form.password, msg, t("password-missing"));
    try {
      const result = await api("POST", "/api/session", { email, password });
      if (result.status === "otp_required") enterOtpStep(result.challenge);
      else location.assign("account.html");
    } catch (err) {
      say(msg, err.message);
    }
  });

  /**
   * The second step with `body` (a code or a recovery code typed in `field`).
   * @param {string} path
   * @param {object} body
   * @param {HTMLElement} field
   * @param {HTMLElement} msg
   */
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
    if (!email) return fieldError(form.email, msg, t("email-missing"));
    if (!password) return fieldError(form.password, msg, t("password-choose"));
    try {
      await api("POST", "/api/accounts", phone ? { email, password, phone } : { email, password });
      say(msg, t("register-done"), "ok");
      const result = await api("POST", "/api/session", { email, password });
      if (result.status === "otp_required") enterOtpStep(result.challenge);
      else location.assign("account.html");
    } catch (err) {
      /** @type {Record<string, HTMLElement>} */
      const fields = { invalid_email: form.email, weak_password: form.password,
        password_too_long: form.password, invalid_phone: form.phone };
      const field = fields[err.code];
      if (field) fieldError(field, msg, err.message);
      else say(msg, err.message);
    }
  });
}

await startPage(async () => {
  signInPage();
  startCountdown();
  await checkClock();
});
