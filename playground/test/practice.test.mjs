// A player signs up and plays a whole practice match against the bot, only by clicking what
// the page offers (cards, targets, attacks, End turn), until the game-over screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  launchBrowser,
  logLines,
  newPlayer,
  playStep,
  screenshot,
  sel,
  settle,
  signUp,
  startServer,
  uniqueName,
  waitForBoard,
} from "./harness.mjs";

const MATCH_LIMIT_MS = 5 * 60 * 1000;

test("a player signs up and plays a practice match to the end by clicking", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const player = await newPlayer(browser, uniqueName("luna"));
  const { page } = player;

  await page.goto(server.pageUrl);
  await page.locator(sel("screen-signin")).waitFor();
  await screenshot(page, "signin.png");
  await signUp(player, server);
  assert.equal(await page.locator(sel("username")).textContent(), player.name);
  await page.locator(sel("profile")).filter({ hasText: "Rating" }).waitFor();
  await screenshot(page, "home.png");

  // The queue: waiting shows, and Cancel leaves it.
  await page.locator(sel("quick-match")).click();
  await page.locator(sel("queue-status")).filter({ hasText: "Looking for an opponent" }).waitFor();
  await page.locator(sel("queue-cancel")).click();
  await page.locator(sel("queue-status")).waitFor({ state: "detached" });

  await page.locator(sel("deck-select")).selectOption("dusk_starter");
  // Against the searching bot: the player picks its level.
  await page.locator(sel("bot-level-select")).selectOption("normal");
  await page.locator(sel("practice")).click();
  await waitForBoard(page);
  assert.match(page.url(), /#\/play$/);

  // The opening hand: give one card back (the mulligan is the server's to offer).
  await page.locator(`${sel("mulligan-confirm")}`).waitFor();
  // The opening-hand choice is timed like a turn (75 s on this server).
  const left = Number(await page.locator(sel("turn-timer")).getAttribute("data-left"));
  assert.ok(left > 0 && left <= 75, `${left} s to choose`);
  await page.locator(`${sel("hand-card")}:enabled`).first().click();
  assert.match(await page.locator(sel("mulligan-confirm")).textContent(), /Replace 1 card/);
  await page.locator(sel("mulligan-confirm")).click();

  const done = new Map();
  let keyboardTurn = false;
  let shot = false;
  const deadline = Date.now() + MATCH_LIMIT_MS;
  for (;;) {
    assert.ok(Date.now() < deadline, `the match did not end within ${MATCH_LIMIT_MS / 1000} s`);
    if ((await page.locator(sel("game-over")).count()) > 0) break;
    const screen = page.locator(sel("screen-match"));
    // Once, end a turn with the keyboard only: focus the button, press Enter.
    if (!keyboardTurn && (await screen.getAttribute("data-my-turn")) === "true" && (await screen.getAttribute("data-busy")) === "false") {
      const units = await page.locator(`${sel("unit")}.can-attack:enabled`).count();
      const cards = await page.locator(`${sel("hand-card")}.playable:enabled`).count();
      if (units === 0 && cards === 0 && (await page.locator(`${sel("end-turn")}:enabled`).count()) > 0) {
        await page.locator(sel("end-turn")).focus();
        await page.keyboard.press("Enter");
        keyboardTurn = true;
        done.set("keyboard-end-turn", 1);
        await settle(page);
        continue;
      }
    }
    const step = await playStep(page);
    if (step === "over") break;
    if (step === undefined) {
      await page.waitForTimeout(150);
      continue;
    }
    done.set(step, (done.get(step) ?? 0) + 1);
    await settle(page);
    // A picture of a match in progress: a few turns in, on the player's turn.
    const turn = Number((await page.locator(sel("turn-number")).textContent().catch(() => "")).replace(/\D/g, "") || 0);
    if (!shot && turn >= 7 && (await page.locator(sel("unit")).count()) >= 2 && (await screen.getAttribute("data-my-turn")) === "true") {
      await screenshot(page, "match.png");
      shot = true;
    }
  }
  if (!shot) await screenshot(page, "match.png");
  console.log(`practice: the player did ${JSON.stringify(Object.fromEntries(done))}`);

  const over = page.locator(sel("game-over"));
  await over.waitFor();
  assert.match(await page.locator(sel("game-over-title")).textContent(), /^(Victory|Defeat|Draw)$/);
  assert.match(await page.locator(sel("game-over-reason")).textContent(), /hero was defeated|turn limit|conceded/);
  // The lobby records a practice match as unrated.
  await page.locator(sel("rating-change")).filter({ hasText: "Practice match: unrated" }).waitFor({ timeout: 20_000 });
  await screenshot(page, "gameover.png");

  const lines = await logLines(page);
  const kinds = await page.locator(sel("log-entry")).evaluateAll((items) => items.map((item) => item.getAttribute("data-kind")));
  for (const kind of ["mulligan", "turnStarted", "cardDrawn", "cardPlayed", "damaged", "gameOver"]) {
    assert.ok(kinds.includes(kind), `the event log shows a ${kind} event:\n${lines.join("\n")}`);
  }
  assert.ok(done.get("end-turn") >= 1 && done.get("keyboard-end-turn") === 1, "turns were ended by click and by keyboard");

  await page.locator(sel("back-home")).click();
  await page.locator(sel("screen-home")).waitFor();
  await page.locator(sel("practice")).and(page.locator(":enabled")).waitFor();
  player.assertClean();
});
