// A designer's playtest: pick the bot's deck and a seed, play; the same seed deals the same
// opening hand again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { launchBrowser, newPlayer, screenshot, sel, signUp, startServer, uniqueName, waitForBoard } from "./harness.mjs";

test("a playtest with a chosen bot deck and seed deals the same match twice", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const player = await newPlayer(browser, uniqueName("ada"));
  const { page } = player;
  await page.goto(server.pageUrl);
  await signUp(player, server);

  // A seed that cannot be played is refused on the page, before any request.
  await page.locator(sel("playtest")).locator("summary").click();
  await page.locator(sel("seed-input")).fill("1.5");
  await page.locator(sel("practice")).click();
  await page.locator(sel("lobby-error")).filter({ hasText: "whole number" }).waitFor();

  const hands = [];
  for (const round of [1, 2]) {
    await page.locator(sel("deck-select")).selectOption("tide_starter");
    if (!(await page.locator(sel("playtest")).evaluate((details) => details.open))) {
      await page.locator(sel("playtest")).locator("summary").click();
    }
    await page.locator(sel("bot-deck-select")).selectOption("moonwell_starter");
    await page.locator(sel("seed-input")).fill("2026");
    if (round === 1) await screenshot(page, "playtest.png");
    await page.locator(sel("practice")).click();
    await waitForBoard(page);
    await page.locator(sel("mulligan-confirm")).waitFor();
    hands.push(await page.locator(sel("hand-card")).evaluateAll((cards) => cards.map((c) => c.getAttribute("data-card"))));
    await page.locator(sel("concede")).click();
    await page.locator(sel("concede-confirm")).click();
    await page.locator(sel("game-over")).waitFor();
    await page.locator(sel("back-home")).click();
    await page.locator(sel("screen-home")).waitFor();
  }
  assert.ok(hands[0].length > 0);
  assert.deepEqual(hands[0], hands[1]);
});
