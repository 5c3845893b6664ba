// Helpers shared by the otp-edge pages: the browser module, the HTTP API and the way
// forms report errors. Imported by app.js (every page) and recovery.js.

export const $ = (selector, root = document) => root.querySelector(selector);

/** The wasm-client module, or null when it could not be loaded. */
export const wasm = await loadWasm();

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
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The server's messages are sentence fragments ("the code is wrong"): make a sentence. */
export const sentence = (text) => {
  const t = text.trim();
  if (!t) return t;
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
};

/** JSON request to the API with the session cookie; resolves to the JSON body or null. */
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network", "Could not reach the server. Check your connection and try again.");
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
        ? sentence(data.message)
        : `The server answered with status ${response.status}. Please try again.`,
    );
  }
  return data;
}

// ---------------------------------------------------------------- messages and forms

/** Show `text` in a live region; `kind` is "error", "ok" or "" (neutral). */
export function say(region, text, kind = "error") {
  region.textContent = text;
  region.className = `msg ${kind}`.trim();
  if (text) region.scrollIntoView({ block: "nearest" });
}

/** Mark `field` invalid, say why, and put the focus on it. */
export function fieldError(field, region, text) {
  field.setAttribute("aria-invalid", "true");
  say(region, text);
  field.focus();
}

/** Clear the form's message and invalid marks; disable its buttons while `busy`. */
export function formState(form, { busy = false, clear = true } = {}) {
  if (clear) {
    say($(".msg", form), "", "");
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }
  form.querySelectorAll("button").forEach((b) => (b.disabled = busy || b.dataset.off === "true"));
  form.setAttribute("aria-busy", String(busy));
}

/** Submit handler that prevents navigation and keeps the form busy while `handler` runs. */
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

/** The code typed in `field`, normalised, or null after reporting why it is unusable. */
export function typedCode(field, region, digits = 6) {
  if (!wasm) return field.value.replaceAll(" ", "");
  const result = wasm.normaliseCode(field.value, digits);
  if (result.ok) return result.code;
  fieldError(field, region, sentence(result.message));
  return null;
}

/** Readable date and time of Unix ms. */
export const formatTime = (ms) => new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
