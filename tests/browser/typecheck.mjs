#!/usr/bin/env node
// Type-check of the pages' modules (web/*.js, each `// @ts-check`) with TypeScript
// against the declarations wasm-bindgen writes (web/pkg/wasm_client.d.ts), as
// configured in web/tsconfig.json. Run from the repository root after the browser
// module is built:  node tests/browser/typecheck.mjs
// Prints "N passed, M failed" last, like the other browser scripts; exits 1 on failure.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const tsc = fileURLToPath(new URL("./node_modules/typescript/bin/tsc", import.meta.url));
const declarations = "web/pkg/wasm_client.d.ts";
let ok = false;
if (!existsSync(tsc)) {
  console.log("not ok - TypeScript is missing (npm ci in tests/browser)");
} else if (!existsSync(declarations)) {
  console.log(`not ok - ${declarations} is missing (build the browser module first)`);
} else {
  const run = spawnSync(process.execPath, [tsc, "-p", "web", "--pretty", "false"], { encoding: "utf8" });
  ok = run.status === 0;
  if (!ok) console.log(`${run.stdout}${run.stderr}`.trim());
  console.log(`${ok ? "ok" : "not ok"} - web/*.js type-check against ${declarations}`);
}
console.log(`${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
process.exit(ok ? 0 : 1);
