// @ts-check
// The device clock against the server's (sign-in and account pages): the estimated
// offset, the drift warning, and the countdown to the next time step. The decisions
// are the browser module's (estimateClockOffset, driftWarning, secondsLeft).

import { $, api, wasm } from "./common.js";
import { t } from "./i18n.js";

/**
 * Estimated device clock offset (server − device, ms) and drift warning, if any.
 * @type {{offsetMs: number, warning: import("./pkg/wasm_client.js").DriftWarning | undefined}}
 */
export const clock = { offsetMs: 0, warning: undefined };

/** Server time in Unix ms, from the device clock corrected by the estimated offset. */
export const serverNow = () => Date.now() + clock.offsetMs;

/** Five `GET /api/time` round trips timed on the device clock. */
async function timeSamples(count = 5) {
  const base = Date.now();
  const start = performance.now();
  const deviceNow = () => base + (performance.now() - start);
  const samples = [];
  for (let i = 0; i < count; i += 1) {
    const sentMs = deviceNow();
    try {
      const { unix_ms: serverMs } = await api("GET", "/api/time");
      samples.push({ sentMs, serverMs, receivedMs: deviceNow() });
    } catch {
      // A lost sample only widens the estimate.
    }
  }
  return samples;
}

/**
 * "90 seconds ahead of the server", in the page's language.
 * @param {{direction: string, seconds: number}} warning
 */
export function describeDrift(warning) {
  return t(`drift-${warning.direction}`, { seconds: warning.seconds });
}

/** Estimate the clock offset and show a warning when the device is off by > 10 s. */
export async function checkClock() {
  if (!wasm) return;
  const offset = wasm.estimateClockOffset(await timeSamples());
  if (!offset) return;
  clock.offsetMs = offset.offsetMs;
  clock.warning = wasm.driftWarning(offset.offsetMs);
  if (clock.warning) {
    $("#clock-warning").textContent = t("drift-warning", { drift: describeDrift(clock.warning) });
  }
}

/** Update every countdown element once a second with the seconds left in the time step. */
export function startCountdown(period = 30) {
  if (!wasm) return;
  const module = wasm;
  const tick = () => {
    const left = Number(module.secondsLeft(serverNow(), period));
    document.querySelectorAll(".countdown").forEach((el) => {
      el.textContent = t("countdown", { seconds: left });
    });
  };
  tick();
  setInterval(tick, 1000);
}
