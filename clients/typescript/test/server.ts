// A private moonlight server per test file: a fresh data directory, ports chosen by the
// system (or given, for a restart on the same ports), stopped with SIGTERM.
//   MOONLIGHT_BIN          the server binary (required; `npm test` checks it before building:
//                          `cargo build --release -p moonlight` at the repository root gives
//                          target/release/moonlight)
//   MOONLIGHT_CONTENT_DIR  the content directory (default ../../content from the package)
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The package directory (this file runs from build/test/). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = process.env.MOONLIGHT_BIN ?? "";
const CONTENT = resolve(packageRoot, process.env.MOONLIGHT_CONTENT_DIR || join("..", "..", "content"));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerOptions {
  /** An existing data directory (a restart); default a fresh one, removed at `stop()`. */
  dataDir?: string;
  /** `host:port` of each listener; default port 0 (any free port). */
  authAddr?: string;
  lobbyAddr?: string;
  gameAddr?: string;
  /** More flags for the server. */
  extraArgs?: string[];
}

export interface Server {
  authUrl: string;
  lobbyUrl: string;
  gameUrl: string;
  dataDir: string;
  /** The last lines the server printed. */
  logs(): string;
  /** SIGTERM, SIGKILL if it has not exited after 15 s; resolves with the exit code. */
  stop(options?: { keepData?: boolean }): Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A server for the calling test file: started before its tests, stopped after them. */
export function serverPerFile(): () => Server {
  let server: Server | undefined;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("the file's server is not started yet (call it inside a test)");
    return server;
  };
}

export async function startServer(options: ServerOptions = {}): Promise<Server> {
  if (!BIN) {
    throw new Error(
      "MOONLIGHT_BIN is not set: build the server with `cargo build --release -p moonlight` at the repository root " +
        "and set MOONLIGHT_BIN to it (from clients/typescript: MOONLIGHT_BIN=$PWD/../../target/release/moonlight)",
    );
  }
  const fresh = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "moonlight-sdk-test-"));
  const args = [
    "--data-dir", dataDir,
    "--content-dir", CONTENT,
    "--auth-addr", options.authAddr ?? "127.0.0.1:0",
    "--lobby-addr", options.lobbyAddr ?? "127.0.0.1:0",
    "--game-addr", options.gameAddr ?? "127.0.0.1:0",
    "--auth-rate-per-minute", "100000",
    "--auth-rate-burst", "100000",
    "--frames-per-second", "100000",
    "--frame-burst", "100000",
    "--shutdown-grace-secs", "5",
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" } });
  running.add(child);
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 200) tail.shift();
  };
  createInterface({ input: child.stderr! }).on("line", keep);
  const exited = new Promise<number | null>((done) => {
    child.once("exit", (code) => {
      running.delete(child);
      done(code);
    });
    // A binary that cannot start (missing, not executable) never exits: it fails here.
    child.once("error", (error) => {
      keep(`cannot start ${BIN}: ${error.message} (set MOONLIGHT_BIN)`);
      running.delete(child);
      done(null);
    });
  });

  const urls = new Map<string, string>();
  const ready = new Promise<void>((done, fail) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      keep(line);
      const found = /^(auth|lobby|game-server) listening on (\S+)/.exec(line);
      if (found) urls.set(found[1]!, found[2]!);
      if (urls.size === 3) done();
    });
    void exited.then((code) => fail(new Error(`${BIN} exited (${code}) before listening:\n${tail.join("\n")}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${BIN} not listening after ${START_TIMEOUT_MS} ms:\n${tail.join("\n")}`)), START_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    if (fresh) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }

  return {
    authUrl: urls.get("auth")!,
    lobbyUrl: urls.get("lobby")!,
    gameUrl: urls.get("game-server")!,
    dataDir,
    logs: () => tail.join("\n"),
    async stop(stopOptions) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      let timeout: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<null>((done) => {
          timeout = setTimeout(() => {
            child.kill("SIGKILL");
            done(null);
          }, STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timeout);
      await exited;
      if (fresh && !stopOptions?.keepData) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** `host:port` of a URL, for restarting a server on the same ports. */
export function hostPort(url: string): string {
  return new URL(url).host;
}

/** `moonlight admin grant NAME` against the server's database; fails with its output. */
export function grantAdmin(server: Server, username: string): void {
  const run = spawnSync(BIN, ["admin", "grant", username, "--data-dir", server.dataDir], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`admin grant ${username} exited ${run.status}: ${run.stderr}${run.stdout}`);
}
