// @ts-check
// The form that asks for a recovery e-mail ("I lost my OTP keychain", DESIGN.md flow
// 5), on the sign-in page and on the recovery page.

import { api, fieldError, onSubmit, say } from "./common.js";
import { t } from "./i18n.js";

/**
 * Wire a form with an `email` field that asks for a recovery e-mail.
 * @param {HTMLFormElement} form
 */
export function wireRecoveryRequest(form) {
  onSubmit(form, async (form, msg) => {
    const email = form.email.value.trim();
    if (!email) return fieldError(form.email, msg, t("email-missing"));
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) return fieldError(form.email, msg, t("email-invalid"));
    try {
      await api("POST", "/api/recovery", { email });
      say(msg, t("recovery-link-sent"), "ok");
    } catch (err) {
      say(msg, err.message);
    }
  });
}
