// What the browser tests share: a private moonlight server (fresh data directory, free
// ports), the system's Chromium driven by playwright-core, players (a browser context and a
// page that records every console error and page error), and screenshots.
//   MOONLIGHT_BIN          the server binary (required)
//   MOONLIGHT_CONTENT_DIR  the content directory (default ../content)
//   CHROMIUM               the browser (default /usr/bin/chromium, Debian's `chromium`)
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the screenshots go (committed: they show what the playground looks like). */
// Under target/ by default, so a test run leaves the checkout as it was; the committed
// ones in docs/playground/ come from `PLAYGROUND_SCREENSHOTS=../docs/playground npm test`.
export const SCREENSHOTS = resolve(
  packageRoot,
  process.env.PLAYGROUND_SCREENSHOTS || join("..", "target", "playground-screenshots"),
);
const BIN = process.env.MOONLIGHT_BIN ?? "";
const CONTENT = resolve(packageRoot, process.env.MOONLIGHT_CONTENT_DIR || join("..", "content"));
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const START_TIMEOUT_MS = 30_000;

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/**
 * Starts `moonlight` with every role on free ports; resolves once all three listen.
 * `contentDir`: the content it loads (default: MOONLIGHT_CONTENT_DIR, else ../content).
 */
export async function startServer({ contentDir = CONTENT } = {}) {
  if (!BIN) throw new Error("MOONLIGHT_BIN is not set: it must name the moonlight server binary");
  const dataDir = mkdtempSync(join(tmpdir(), "moonlight-playground-test-"));
  const args = [
    "--data-dir", dataDir,
    "--content-dir", contentDir,
    "--auth-addr", "127.0.0.1:0",
    "--lobby-addr", "127.0.0.1:0",
    "--game-addr", "127.0.0.1:0",
    "--auth-rate-per-minute", "100000",
    "--auth-rate-burst", "100000",
    "--shutdown-grace-secs", "5",
  ];
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" } });
  children.add(child);
  const tail = [];
  const keep = (line) => {
    tail.push(line);
    if (tail.length > 300) tail.shift();
  };
  createInterface({ input: child.stderr }).on("line", keep);
  const exited = new Promise((done) => {
    child.once("exit", (code) => {
      children.delete(child);
      done(code);
    });
    child.once("error", (error) => {
      keep(`cannot start ${BIN}: ${error.message}`);
      children.delete(child);
      done(null);
    });
  });
  const urls = new Map();
  let timer;
  try {
    await Promise.race([
      new Promise((done, fail) => {
        createInterface({ input: child.stdout }).on("line", (line) => {
          keep(line);
          const found = /^(auth|lobby|game-server) listening on (\S+)/.exec(line);
          if (found) urls.set(found[1], found[2]);
          if (urls.size === 3) done();
        });
        void exited.then((code) => fail(new Error(`${BIN} exited (${code}) before listening:\n${tail.join("\n")}`)));
      }),
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${BIN} not listening after ${START_TIMEOUT_MS} ms:\n${tail.join("\n")}`)), START_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const lobbyUrl = urls.get("lobby");
  return {
    authUrl: urls.get("auth"),
    lobbyUrl,
    /** The playground, as the lobby listener serves it. */
    pageUrl: `${lobbyUrl}/`,
    logs: () => tail.join("\n"),
    /** Sends the server a signal (`SIGHUP` reloads its content). */
    signal: (name) => child.kill(name),
    /** `moonlight admin grant NAME` against this server's database. */
    grantAdmin(name) {
      const run = spawnSync(BIN, ["admin", "grant", name, "--data-dir", dataDir], { encoding: "utf8" });
      if (run.status !== 0) throw new Error(`admin grant ${name} exited ${run.status}: ${run.stderr}${run.stdout}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(kill);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The system's Chromium, headless. playwright-core gives every launch a fresh, empty
 * user-data-dir of its own (a temporary directory, removed at close).
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A player: its own browser context (storage, cookies) and page. Every console error and
 * uncaught page error is recorded; `assertClean()` fails the test if there was any.
 */
export async function newPlayer(browser, name, options = {}) {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 }, ...options.context });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeout ?? 30_000);
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return {
    name,
    context,
    page,
    errors,
    assertClean() {
      if (errors.length > 0) throw new Error(`${name}'s page reported errors:\n${errors.join("\n")}`);
    },
  };
}

export async function screenshot(page, file, options = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A whole-page picture from the top (the sticky header belongs there).
  if (options.fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: options.fullPage ?? false, animations: "disabled" });
}

/** A fresh player name, unique per run (names are 3 to 32 letters, digits, `_`). */
export function uniqueName(prefix) {
  return `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
}

export const PASSWORD = "correct horse battery";

const sel = (test) => `[data-test="${test}"]`;
export { sel };

/** Opens the playground and creates an account: lands on home. */
export async function signUp(player, server, name = player.name) {
  const { page } = player;
  await page.goto(server.pageUrl);
  await page.locator(sel("screen-signin")).waitFor();
  await page.locator(sel("signin-name")).fill(name);
  await page.locator(sel("signin-password")).fill(PASSWORD);
  await page.locator(sel("signup-submit")).click();
  await page.locator(sel("screen-home")).waitFor();
}

/** Signs in to an existing account from the sign-in page: lands on home. */
export async function signIn(player, name = player.name) {
  const { page } = player;
  await page.locator(sel("screen-signin")).waitFor();
  await page.locator(sel("signin-name")).fill(name);
  await page.locator(sel("signin-password")).fill(PASSWORD);
  await page.locator(sel("signin-submit")).click();
}

/** The match screen, once the match is loaded (a view is shown). */
export async function waitForBoard(page) {
  await page.locator(sel("screen-match")).waitFor();
  await page.locator(`${sel("hand")}`).waitFor();
}

/** Keeps the opening hand when the mulligan is offered (it may already be chosen). */
export async function keepHand(page) {
  const confirm = page.locator(sel("mulligan-confirm"));
  await confirm.waitFor();
  await confirm.click();
  await confirm.waitFor({ state: "detached" });
}

/**
 * Plays one step of the current turn the way a person would, only through what the page
 * offers: a playable card (then its first option if it says "choose one", then a target if
 * it asks for one), else an attack with a ready unit (the enemy hero when it is a legal
 * target), else End turn. Returns what it did, or `undefined` when it is not this player's
 * turn (or the screen is busy).
 */
export async function playStep(page) {
  const screen = page.locator(sel("screen-match"));
  if ((await screen.getAttribute("data-busy")) === "true") return undefined;
  if ((await page.locator(sel("game-over")).count()) > 0) return "over";
  const mulligan = page.locator(`${sel("mulligan-confirm")}:enabled`);
  if ((await mulligan.count()) > 0) {
    await mulligan.click();
    return "mulligan";
  }
  if ((await screen.getAttribute("data-my-turn")) !== "true") return undefined;
  const endTurn = page.locator(`${sel("end-turn")}:enabled`);
  if ((await endTurn.count()) === 0) return undefined;

  const card = page.locator(`${sel("hand-card")}.playable:enabled`).first();
  if ((await card.count()) > 0) {
    await card.click();
    await chooseOption(page);
    if (await chooseTarget(page)) return "play-targeted";
    return "play";
  }
  const attacker = page.locator(`${sel("unit")}.can-attack:enabled`).first();
  if ((await attacker.count()) > 0) {
    await attacker.click();
    if (await chooseTarget(page)) return "attack";
  }
  await endTurn.click();
  return "end-turn";
}

/** After a click on a card (or the hero power): if it says "choose one", picks its first offered option. */
export async function chooseOption(page) {
  const option = page.locator(`${sel("choice-option")}:enabled`).first();
  if ((await option.count()) === 0) return false;
  await option.click();
  return true;
}

/** After a click on a card or an attacker: if it is now selected (it needs a target), aim it at
 * the enemy hero when that is a legal target, else at an enemy unit, else at any target. */
export async function chooseTarget(page) {
  if ((await page.locator(".selected").count()) === 0) return false; // played at once: no target needed
  const hero = page.locator(`${sel("hero-them")}.target:enabled`);
  const enemyUnit = page.locator(`${sel("board-them")} .target:enabled`);
  if ((await hero.count()) > 0) await hero.click();
  else if ((await enemyUnit.count()) > 0) await enemyUnit.first().click();
  else await page.locator(".target:enabled").first().click();
  return true;
}

/** Waits until the screen is idle (the last action acknowledged). */
export async function settle(page) {
  await page.waitForFunction(() => document.querySelector('[data-test="screen-match"]')?.getAttribute("data-busy") !== "true");
}

/** Lines of the event log. */
export async function logLines(page) {
  return page.locator(sel("log-entry")).allTextContents();
}
