// @ts-check
// Helpers shared by the otp-edge pages: the browser module, the HTTP API, the way forms
// report errors, and the start of every page (catalog, language switch). Each page has
// its own module (sign-in.js, account.js, recovery.js) importing these.

import { catalogLoaded, fromServer, lang, t, translatePage, wireLanguageSwitch } from "./i18n.js";

/**
 * The first element matching `selector` (the pages know their own markup).
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any}
 */
export const $ = (selector, root = document) => root.querySelector(selector);

/** @typedef {typeof import("./pkg/wasm_client.js")} WasmClient */

/** The wasm-client module, or null when it could not be loaded (fetched while the
 * catalog is). */
export const wasm = (await Promise.all([loadWasm(), catalogLoaded]))[0];

/** @returns {Promise<WasmClient | null>} */
async function loadWasm() {
  try {
    const mod = await import("./pkg/wasm_client.js");
    await mod.default();
    return mod;
  } catch (err) {
    console.error("wasm-client failed to load", err);
    return null;
  }
}

// ---------------------------------------------------------------- HTTP API

/** An API failure: HTTP status, the `error` code and the human `message`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The server's messages are sentence fragments ("the code is wrong"): make a sentence.
 * @param {string} text
 */
export const sentence = (text) => {
  const t = text.trim();
  if (!t) return t;
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
};

/**
 * JSON request to the API with the session cookie, in the page's language; resolves to
 * the JSON body or null.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json", "Accept-Language": lang };
  /** @type {RequestInit} */
  const init = { method, credentials: "same-origin", cache: "no-store", headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", t("error-network"));
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      data?.error ?? `http_${response.status}`,
      typeof data?.message === "string"
        ? fromServer(sentence(data.message))
        : t("error-http-status", { status: response.status }),
    );
  }
  return data;
}

// ---------------------------------------------------------------- messages and forms

/**
 * Show `text` in a live region; `kind` is "error", "ok" or "" (neutral).
 * @param {HTMLElement} region
 * @param {string} text
 * @param {string} [kind]
 */
export function say(region, text, kind = "error") {
  region.textContent = text;
  region.className = `msg ${kind}`.trim();
  if (text) region.scrollIntoView({ block: "nearest" });
}

/**
 * Mark `field` invalid, say why, and put the focus on it.
 * @param {HTMLElement} field
 * @param {HTMLElement} region
 * @param {string} text
 */
export function fieldError(field, region, text) {
  field.setAttribute("aria-invalid", "true");
  say(region, text);
  field.focus();
}

/**
 * Clear the form's message and invalid marks; disable its buttons while `busy`.
 * @param {HTMLFormElement} form
 */
export function formState(form, { busy = false, clear = true } = {}) {
  if (clear) {
    say($(".msg", form), "", "");
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }
  form.querySelectorAll("button").forEach((b) => (b.disabled = busy || b.dataset.off === "true"));
  form.setAttribute("aria-busy", String(busy));
}

/**
 * Submit handler that prevents navigation and keeps the form busy while `handler` runs.
 * @param {HTMLFormElement} form
 * @param {(form: any, msg: HTMLElement) => Promise<unknown>} handler
 */
export function onSubmit(form, handler) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formState(form, { busy: true });
    try {
      await handler(form, $(".msg", form));
    } finally {
      formState(form, { busy: false, clear: false });
    }
  });
}

/**
 * The code typed in `field`, normalised by the browser module, or null after reporting
 * why it is unusable (in the page's language, by the module's `reason`).
 * @param {HTMLInputElement} field
 * @param {HTMLElement} region
 */
export function typedCode(field, region, digits = 6) {
  if (!wasm) return field.value.replaceAll(" ", "");
  const result = wasm.normaliseCode(field.value, digits);
  if (result.ok) return result.code;
  fieldError(field, region, t(`code-${result.reason}`, { expected: result.expected ?? digits, got: result.got ?? 0 }));
  return null;
}

/**
 * Start a page: fill its texts, wire the language switch (`onLanguage` also runs when
 * the language changes), then run `page`; marks the page ready for the tests.
 * @param {() => Promise<void> | void} page
 * @param {(language: string) => Promise<void>} [onLanguage]
 */
export async function startPage(page, onLanguage) {
  translatePage();
  wireLanguageSwitch(onLanguage);
  // Performance marks (read by tests/browser/bench.mjs; they change nothing on the page).
  if (wasm) performance.mark("otp-edge:module-ready");
  await page();
  performance.mark("otp-edge:page-ready");
  document.body.dataset.ready = "true";
}
