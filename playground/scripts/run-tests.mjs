// `npm test`: the browser tests (test/*.test.mjs, node:test), one file at a time, against a
// real `moonlight` (MOONLIGHT_BIN, required) serving the built playground, in the system's
// Chromium (/usr/bin/chromium, or CHROMIUM). A watchdog kills the whole run (the test
// processes, their servers and browsers) after 8 minutes. Exits non-zero when a test fails.
import { spawn } from "node:child_process";
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WATCHDOG_MS = 8 * 60 * 1000;
const started = Date.now();

function executable(path, what, hint) {
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
    accessSync(path, constants.X_OK);
  } catch (error) {
    console.error(`run-tests: ${what} ${path} is not an executable file (${error.code ?? error.message}).`);
    console.error(hint);
    process.exit(2);
  }
}

const bin = process.env.MOONLIGHT_BIN ? resolve(process.env.MOONLIGHT_BIN) : undefined;
const buildHint =
  "Build the server at the repository root (`cargo build -p moonlight`), then, from playground/:\n" +
  "  MOONLIGHT_BIN=$PWD/../target/debug/moonlight npm test";
if (!bin) {
  console.error("run-tests: MOONLIGHT_BIN is not set: it must name the moonlight server binary the tests start.");
  console.error(buildHint);
  process.exit(2);
}
executable(bin, "MOONLIGHT_BIN", buildHint);
const browser = process.env.CHROMIUM || "/usr/bin/chromium";
executable(browser, "Chromium", "Install Debian's browser: apt-get install -y chromium (or set CHROMIUM).");

const files = readdirSync(join(root, "test"))
  .filter((name) => name.endsWith(".test.mjs"))
  .sort()
  .map((name) => join("test", name));
if (files.length === 0) {
  console.error("run-tests: no test/*.test.mjs");
  process.exit(1);
}
// One file at a time: each starts a server and a browser, and the machine may have 2 cores.
// (--test-concurrency came with Node 20.10; before it, node:test runs as many files at once
// as there are cores less one.)
const [major, minor] = process.versions.node.split(".").map(Number);
const flags = major > 20 || (major === 20 && minor >= 10) ? ["--test-concurrency=1"] : [];

// Its own process group, so that the watchdog can kill it with everything under it.
const child = spawn(process.execPath, ["--test", ...flags, ...files], {
  cwd: root,
  stdio: "inherit",
  detached: true,
  env: { ...process.env, MOONLIGHT_BIN: bin, CHROMIUM: browser },
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
  killGroup("SIGKILL"); // anything left behind (a server or browser of a crashed test)
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (timedOut) {
    console.error(`run-tests: killed by the watchdog after ${seconds} s`);
    process.exit(1);
  }
  const status = code ?? 1;
  console.log(`run-tests: ${status === 0 ? "passed" : `failed (${signal ?? `exit ${code}`})`} in ${seconds} s`);
  process.exit(status);
});
