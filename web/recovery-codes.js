// @ts-check
// Recovery codes on the pages: shown once after activation or after making a new set
// (account page), and typed instead of a verification code at sign-in (sign-in page).
// The rules of a code (alphabet, length, normalisation) are the browser module's
// normaliseRecoveryCode, from otp-core.

import { $, fieldError, say, wasm } from "./common.js";
import { lang, t } from "./i18n.js";

const FILE_NAME = "otp-edge-recovery-codes.txt";

/**
 * The recovery code typed in `field`, in its printed form, or null after saying why not.
 * @param {HTMLInputElement} field
 * @param {HTMLElement} region
 */
export function typedRecoveryCode(field, region) {
  if (!wasm) return field.value.trim();
  const result = wasm.normaliseRecoveryCode(field.value);
  if (result.ok) return result.code;
  fieldError(field, region, t(`recovery-code-${result.reason}`, { got: result.got ?? 0 }));
  return null;
}

/**
 * The text file a person keeps: what the codes are for, then the codes.
 * @param {string[]} codes
 * @param {string} email
 */
function codesText(codes, email) {
  const made = new Date().toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
  return [
    t("codes-file-title", { email }),
    t("codes-file-made", { time: made }),
    t("codes-file-new-set"),
    "",
    ...codes.map((code, i) => `${String(i + 1).padStart(2, " ")}. ${code}`),
    "",
  ].join("\n");
}

/**
 * Wire the recovery codes dialog of the account page. Returns `show(codes, email)`,
 * which opens it and resolves once the person confirmed keeping them.
 * @returns {(codes: string[], email: string) => Promise<void>}
 */
export function wireCodesDialog() {
  const dialog = $("#codes-dialog");
  const kept = $("#codes-kept");
  const done = $("#codes-done");
  const msg = $(".msg", dialog);
  let text = "";
  let closed = () => {};

  kept.addEventListener("change", () => (done.disabled = !kept.checked));
  done.addEventListener("click", () => dialog.close());
  // Escape does not skip the step: the codes are never shown again.
  dialog.addEventListener("cancel", (/** @type {Event} */ event) => {
    if (!kept.checked) {
      event.preventDefault();
      say(msg, t("codes-save-first"));
    }
  });
  dialog.addEventListener("close", () => {
    text = "";
    $("#codes-list").replaceChildren();
    closed();
  });

  $("#codes-download").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = Object.assign(document.createElement("a"), { href: url, download: FILE_NAME });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    say(msg, t("codes-downloaded", { file: FILE_NAME }), "ok");
  });
  $("#codes-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      say(msg, t("codes-copied"), "ok");
    } catch {
      getSelection()?.selectAllChildren($("#codes-list"));
      say(msg, t("codes-copy-refused"), "");
    }
  });

  return (codes, email) =>
    new Promise((resolve) => {
      text = codesText(codes, email);
      $("#codes-list").replaceChildren(
        ...codes.map((code) => {
          const item = Object.assign(document.createElement("li"), { textContent: code });
          item.dataset.raw = "";
          return item;
        }),
      );
      kept.checked = false;
      done.disabled = true;
      say(msg, "", "");
      closed = resolve;
      dialog.showModal();
      $("#codes-title").focus();
    });
}

/**
 * The account page's line about the codes left (`left` null: OTP is not active).
 * @param {number | null | undefined} left
 */
export function renderCodesLeft(left) {
  const line = $("#recovery-codes-left");
  line.hidden = left === null || left === undefined;
  if (left === null || left === undefined) return;
  line.className = left <= 3 ? "hint warn" : "hint";
  line.textContent = t(left <= 3 ? "codes-left-few" : "codes-left", { left });
}
