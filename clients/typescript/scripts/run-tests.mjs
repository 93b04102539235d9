// `npm test`: builds the library (tsconfig.json -> dist/) and the tests (tsconfig.test.json
// -> build/test/), then runs `node --test` on build/test/*.test.js. A watchdog kills the
// whole run (the test processes and the servers they started) after 10 minutes. Exits
// non-zero when the build or any test fails.
//
// The tests start the real server: MOONLIGHT_BIN (required: the `moonlight` binary) with
// MOONLIGHT_CONTENT_DIR (default ../../content). Runs on Node 18.19 and later.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WATCHDOG_MS = 10 * 60 * 1000;
const started = Date.now();

// The server binary: no default (it lives wherever the workspace was built). Checked before
// anything is built, so a missing one fails at once rather than in every test file.
const HOW_TO_BUILD =
  "Build it at the repository root with `cargo build --release -p moonlight`, then run, from clients/typescript:\n" +
  "  MOONLIGHT_BIN=$PWD/../../target/release/moonlight npm test";
const bin = process.env.MOONLIGHT_BIN ? resolve(process.env.MOONLIGHT_BIN) : undefined;
if (!bin) {
  console.error("run-tests: MOONLIGHT_BIN is not set: it must name the moonlight server binary the tests start.");
  console.error(HOW_TO_BUILD);
  process.exit(2);
}
try {
  if (!statSync(bin).isFile()) throw new Error("not a file");
  accessSync(bin, constants.X_OK);
} catch (error) {
  console.error(`run-tests: MOONLIGHT_BIN=${bin} is not an executable file (${error.code ?? error.message}).`);
  console.error(HOW_TO_BUILD);
  process.exit(2);
}

function tsc(project) {
  const tscBin = join(packageRoot, "node_modules", "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tscBin, "-p", project], { cwd: packageRoot, stdio: "inherit" });
  if (run.error || run.status !== 0) {
    console.error(`run-tests: tsc -p ${project} failed${run.error ? `: ${run.error.message}` : ""}`);
    process.exit(1);
  }
}

// Fresh outputs: a test deleted from test/ must not keep running from build/.
rmSync(join(packageRoot, "dist"), { recursive: true, force: true });
rmSync(join(packageRoot, "build"), { recursive: true, force: true });
tsc("tsconfig.json");
tsc("tsconfig.test.json");
console.log(`run-tests: built in ${Date.now() - started} ms`);

const testDir = join(packageRoot, "build", "test");
const files = readdirSync(testDir)
  .filter((name) => name.endsWith(".test.js"))
  .sort()
  .map((name) => join("build", "test", name));
if (files.length === 0) {
  console.error("run-tests: no build/test/*.test.js");
  process.exit(1);
}

// Node 22 has a WebSocket global; Node 20 (from 20.10) only behind a flag, which the test
// of the platform's WebSocket needs; Node 18 has none and no such flag (that test then uses
// the `ws` package, like every other test).
const flags =
  typeof globalThis.WebSocket === "undefined" && process.allowedNodeEnvironmentFlags.has("--experimental-websocket")
    ? ["--experimental-websocket"]
    : [];

// Its own process group, so that the watchdog can kill it with every process under it.
const child = spawn(process.execPath, [...flags, "--test", ...files], {
  cwd: packageRoot,
  stdio: "inherit",
  detached: true,
  env: { ...process.env, MOONLIGHT_BIN: bin },
});

function killGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`run-tests: still running after ${WATCHDOG_MS / 1000} s: killing the test run`);
  killGroup("SIGKILL");
}, WATCHDOG_MS);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), 5000).unref();
  });
}

child.on("exit", (code, signal) => {
  clearTimeout(watchdog);
  // Anything the run left behind (a server whose test process died) goes with it.
  killGroup("SIGKILL");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (timedOut) {
    console.error(`run-tests: killed by the watchdog after ${seconds} s`);
    process.exit(1);
  }
  const status = code ?? 1;
  console.log(`run-tests: ${status === 0 ? "passed" : `failed (${signal ?? `exit ${code}`})`} in ${seconds} s`);
  process.exit(status);
});
