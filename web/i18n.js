// @ts-check
// The pages' languages and message catalogs (web/locales/{cs,en}.ftl, Project Fluent),
// formatted by @fluent/bundle (vendored in web/vendor/fluent-bundle) with the browser's
// CLDR plural rules: Czech one / few / many / other ("1 pokus, 2 pokusy, 5 pokusů").
//
// The language: the one chosen with the switch on any page (kept in localStorage), else
// the first of navigator.languages the portal speaks, else English. Every text a page
// shows comes from t() or from the server (whose messages come from its own catalogs,
// in the language the pages ask for with Accept-Language); t() remembers what it
// produced so the browser tests can find text that no catalog holds.

import { FluentBundle, FluentResource } from "./vendor/fluent-bundle/index.js";

/** The languages of the portal, in the order the switch shows them. */
export const LANGUAGES = ["cs", "en"];
const STORAGE_KEY = "otp-edge-language";

/** The language of this page view. */
export const lang = chooseLanguage();

function chooseLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored && LANGUAGES.includes(stored)) return stored;
  } catch {
    // No storage (private mode): fall back to the browser's languages.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = String(tag).split("-")[0].toLowerCase();
    if (LANGUAGES.includes(primary)) return primary;
  }
  return "en";
}

const bundle = new FluentBundle(lang, { useIsolating: false });
const missing = [];

/**
 * The catalog, loading from the moment this module is evaluated; common.js awaits it
 * together with the browser module, so the two downloads overlap. Nothing calls t()
 * before it settles.
 */
export const catalogLoaded = (async () => {
  try {
    const response = await fetch(`locales/${lang}.ftl`, { cache: "no-cache" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const errors = bundle.addResource(new FluentResource(await response.text()));
    for (const error of errors) console.error("catalog", error);
  } catch (err) {
    console.error(`the ${lang} catalog could not be loaded`, err);
  }
})();

/** Every text t() produced (and every server message shown), for the browser tests. */
const produced = new Set();
Object.defineProperty(window, "otpEdgeTexts", { value: { produced, missing } });

/**
 * The message `id` formatted with `args` (numbers choose plural forms).
 * @param {string} id
 * @param {Record<string, string | number>} [args]
 * @returns {string}
 */
export function t(id, args) {
  const message = bundle.getMessage(id);
  if (!message?.value) {
    missing.push(id);
    console.error(`no message "${id}" in the ${lang} catalog`);
    return id;
  }
  const text = bundle.formatPattern(message.value, /** @type {any} */ (args));
  produced.add(text.trim());
  return text;
}

/**
 * Whether the catalog has the message `id`.
 * @param {string} id
 */
export const has = (id) => bundle.hasMessage(id);

/**
 * Record a text that came from the server's catalogs (an error message), so the tests
 * accept it on the page.
 * @param {string} text
 * @returns {string}
 */
export function fromServer(text) {
  produced.add(text.trim());
  return text;
}

/** Fill every `[data-i18n]` element (its text) and `[data-i18n-label]` (aria-label). */
export function translatePage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? "");
  }
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(/** @type {HTMLElement} */ (el).dataset.i18nLabel ?? ""));
  }
  const title = document.body.dataset.title;
  if (title) document.title = t(title);
}

/**
 * The language switch (`#language`, a <select> in the header): remembers the choice,
 * runs `onChange(language)` (the account page stores it with the account), reloads.
 * @param {(language: string) => Promise<void>} [onChange]
 */
export function wireLanguageSwitch(onChange) {
  const select = /** @type {HTMLSelectElement | null} */ (document.querySelector("#language"));
  if (!select) return;
  select.replaceChildren(
    ...LANGUAGES.map((code) => {
      const option = document.createElement("option");
      option.value = code;
      option.lang = code;
      option.textContent = t(`language-${code}`);
      return option;
    }),
  );
  select.value = lang;
  select.addEventListener("change", async () => {
    try {
      localStorage.setItem(STORAGE_KEY, select.value);
    } catch {
      // Not remembered: this page view still changes.
    }
    try {
      await onChange?.(select.value);
    } finally {
      location.reload();
    }
  });
}

/**
 * Date and time of Unix ms in the page's language (Czech: "2. 12. 2026 14:05").
 * @param {number} ms
 */
export const formatTime = (ms) =>
  new Date(ms).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
