// Recovery codes on the pages: shown once after activation or after making a new set
// (account page), and typed instead of a verification code at sign-in (sign-in page).
// The rules of a code (alphabet, length, normalisation) are the browser module's
// normaliseRecoveryCode, from otp-core.

import { $, wasm, say, fieldError, sentence } from "./common.js";

const FILE_NAME = "otp-edge-recovery-codes.txt";

/** The recovery code typed in `field`, in its printed form, or null after saying why not. */
export function typedRecoveryCode(field, region) {
  if (!wasm) return field.value.trim();
  const result = wasm.normaliseRecoveryCode(field.value);
  if (result.ok) return result.code;
  fieldError(field, region, sentence(result.message));
  return null;
}

/** The text file a person keeps: what the codes are for, then the codes. */
function codesText(codes, email) {
  const made = new Date().toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
  return [
    `otp-edge recovery codes for ${email}`,
    `Made ${made}. Each code signs you in once instead of a verification code.`,
    "Making a new set on the account page ends all of these.",
    "",
    ...codes.map((code, i) => `${String(i + 1).padStart(2, " ")}. ${code}`),
    "",
  ].join("\n");
}

/**
 * Wire the recovery codes dialog of the account page. Returns `show(codes, email)`,
 * which opens it and resolves once the person confirmed keeping them.
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
  dialog.addEventListener("cancel", (event) => {
    if (!kept.checked) {
      event.preventDefault();
      say(msg, "Save the codes first, then tick “I have saved these codes”.");
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
    say(msg, `Saved as ${FILE_NAME} in your downloads.`, "ok");
  });
  $("#codes-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      say(msg, "Codes copied.", "ok");
    } catch {
      getSelection().selectAllChildren($("#codes-list"));
      say(msg, "Copying is not allowed here: the codes are selected, copy them with your keyboard.", "");
    }
  });

  return (codes, email) =>
    new Promise((resolve) => {
      text = codesText(codes, email);
      $("#codes-list").replaceChildren(
        ...codes.map((code) => Object.assign(document.createElement("li"), { textContent: code })),
      );
      kept.checked = false;
      done.disabled = true;
      say(msg, "", "");
      closed = resolve;
      dialog.showModal();
      $("#codes-title").focus();
    });
}

/** The account page's line about the codes left (`left` null: OTP is not active). */
export function renderCodesLeft(left) {
  const line = $("#recovery-codes-left");
  line.hidden = left === null || left === undefined;
  if (line.hidden) return;
  line.className = left <= 3 ? "hint warn" : "hint";
  line.textContent =
    left === 0 ? "No recovery codes left: make a new set below, or you will have no way in without your authenticator."
    : left <= 3 ? `Only ${left} recovery ${left === 1 ? "code" : "codes"} left: make a new set below.`
    : `${left} of 10 recovery codes left.`;
}
