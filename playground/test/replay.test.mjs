// A player plays a practice match, concedes, and watches its replay: step by step with the
// buttons and the arrow keys, from their own view (their hand only), the public view (no
// hand) and everything (both hands); the match is also in their recent matches.
import assert from "node:assert/strict";
import { test } from "node:test";
import { launchBrowser, newPlayer, playStep, screenshot, sel, settle, signUp, startServer, uniqueName, waitForBoard } from "./harness.mjs";

test("a finished match replays step by step from each perspective", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const player = await newPlayer(browser, uniqueName("vega"));
  const { page } = player;
  await page.goto(server.pageUrl);
  await signUp(player, server);

  // A few turns against the bot, then a concession.
  await page.locator(sel("practice")).click();
  await waitForBoard(page);
  let ended = 0;
  const deadline = Date.now() + 90_000;
  while (ended < 2) {
    assert.ok(Date.now() < deadline, "two turns within 90 s");
    const step = await playStep(page);
    if (step === undefined) {
      await page.waitForTimeout(150);
      continue;
    }
    if (step === "end-turn") ended++;
    await settle(page);
  }
  await page.locator(sel("concede")).click();
  await page.locator(sel("concede-confirm")).click();
  await page.locator(sel("game-over")).waitFor();
  // Once the lobby has the match, the game-over panel offers its replay.
  await page.locator(sel("watch-replay")).click({ timeout: 30_000 });

  const screen = page.locator(sel("screen-replay"));
  await screen.waitFor();
  const stepLabel = page.locator(sel("replay-step"));
  const at = async (n) => page.locator(`${sel("replay-step")}[data-step="${n}"]`).waitFor();
  await at(0);
  const steps = Number(await stepLabel.getAttribute("data-steps"));
  assert.ok(steps >= 4, `${steps} steps: mulligans, plays, turns, the concession`);
  // The player's own view: their hand only.
  const hands = page.locator(sel("replay-hand"));
  assert.equal(await hands.count(), 1);
  assert.equal(await hands.first().getAttribute("data-seat"), "0");
  assert.ok((await hands.first().locator(sel("replay-hand-card")).count()) > 0);

  // Forward and back, by button and by key.
  await page.locator(sel("replay-next")).click();
  await at(1);
  await page.locator(sel("replay-next")).click();
  await at(2);
  await page.locator(sel("replay-prev")).click();
  await at(1);
  await page.locator("body").focus();
  await page.keyboard.press("ArrowRight");
  await at(2);
  await page.keyboard.press("ArrowLeft");
  await at(1);
  assert.equal(await page.locator(sel("replay-prev")).isDisabled(), false);
  await page.locator(sel("replay-first")).click();
  await at(0);
  assert.equal(await page.locator(sel("replay-prev")).isDisabled(), true);

  // The public view shows no hand; everything shows both.
  await page.locator(sel("replay-view")).selectOption("public");
  await page.locator(`${sel("replay-view")} option[value="public"]:checked`).waitFor({ state: "attached" });
  await hands.first().waitFor({ state: "detached" });
  assert.equal(await hands.count(), 0);
  await page.locator(sel("replay-view")).selectOption("full");
  await page.locator(`${sel("replay-hand")}[data-seat="1"]`).waitFor();
  assert.equal(await hands.count(), 2);
  await page.locator(sel("replay-next")).click();
  await at(1);
  await page.locator(sel("replay-next")).click();
  await at(2);
  await page.locator(sel("replay-next")).click();
  await at(3);
  await screenshot(page, "replay.png");

  // The end: the concession, and nowhere further to go.
  await page.locator(sel("replay-last")).click();
  await at(steps);
  assert.match(await page.locator(sel("notice")).textContent(), /concede/i);
  assert.equal(await page.locator(sel("replay-next")).isDisabled(), true);
  assert.equal(await page.locator(sel("game-over")).count(), 0, "no game-over panel over a replay");

  // The match is in the player's recent matches, with its replay.
  await page.locator(sel("nav-home")).click();
  const recent = page.locator(`${sel("recent-match")} ${sel("replay-link")}`);
  await recent.first().waitFor();
  await recent.first().click();
  await at(0);

  player.assertClean();

  // A replay that does not exist says so (Chromium logs the refused request: expected).
  await page.goto(`${server.pageUrl}#/replay/no-such-match`);
  await page.locator(sel("watch-unavailable")).filter({ hasText: "no replay" }).waitFor();
  assert.deepEqual(player.errors.splice(0), [
    "console error: Failed to load resource: the server responded with a status of 404 (Not Found)",
  ]);
  player.assertClean();
});
