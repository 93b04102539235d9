// A player builds a deck from a starter deck with one change, saves it, shares its code,
// imports a code, and plays a practice match with their own deck.
import assert from "node:assert/strict";
import { test } from "node:test";
import { launchBrowser, newPlayer, screenshot, sel, signUp, startServer, uniqueName, waitForBoard } from "./harness.mjs";

test("a player builds, saves, shares and plays their own deck", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const player = await newPlayer(browser, uniqueName("wright"));
  const { page } = player;
  await page.goto(server.pageUrl);
  await signUp(player, server);

  await page.locator(sel("build-decks")).click();
  await page.locator(sel("screen-decks")).waitFor();
  await page.locator(sel("saved-decks")).filter({ hasText: "No decks yet" }).waitFor();

  // From the Dusk starter: one Shade Bat out, a Stone Sentinel in.
  await page.locator(sel("deck-start")).selectOption("dusk_starter");
  await page.locator(sel("deck-total")).filter({ hasText: "30 / 30" }).waitFor();
  const card = (id) => page.locator(`${sel("pool-card")}[data-card="${id}"]`);
  await card("shade_bat").locator(sel("pool-remove")).click();
  await page.locator(sel("deck-total")).filter({ hasText: "29 / 30" }).waitFor();
  // No third copy: the + of a card at the limit is disabled.
  assert.equal(await card("night_stalker").locator(sel("pool-add")).isDisabled(), true);
  await card("stone_sentinel").locator(sel("pool-add")).click();
  await page.locator(sel("deck-total")).filter({ hasText: "30 / 30" }).waitFor();
  await page.locator(sel("deck-name")).fill("Sentinel Dusk");
  await screenshot(page, "decks.png", { fullPage: true });
  await page.locator(sel("deck-save")).click();
  const saved = page.locator(sel("saved-deck")).filter({ hasText: "Sentinel Dusk" });
  await saved.waitFor();
  assert.equal(await saved.getAttribute("data-legal"), "true");
  const id = await saved.getAttribute("data-deck");
  const code = await saved.locator(sel("deck-copy-code")).getAttribute("data-code");
  assert.ok(code && code.length > 20, code);

  // A 31st card is refused by the page (the + is disabled at 30); a bad code by the server.
  await page.locator(sel("deck-code-input")).fill("not-a-code");
  await page.locator(sel("deck-import")).click();
  await page.locator(sel("decks-error")).filter({ hasText: "not a deck code" }).waitFor();
  // The browser logs the refused request (422): that one error is expected.
  const refusedLog = player.errors.findIndex((e) => e.includes("status of 422"));
  assert.ok(refusedLog >= 0, player.errors.join("\n"));
  player.errors.splice(refusedLog, 1);
  await page.locator(sel("deck-code-input")).fill(code);
  await page.locator(sel("deck-import-name")).fill("Shared copy");
  await page.locator(sel("deck-import")).click();
  await page.locator(sel("saved-deck")).filter({ hasText: "Shared copy" }).waitFor();
  assert.equal(await page.locator(sel("saved-deck")).count(), 2);

  // Home: the saved decks are in the deck menu; practice with one.
  await page.locator(sel("nav-home")).click();
  await page.locator(sel("screen-home")).waitFor();
  const option = page.locator(`${sel("deck-select")} option`, { hasText: "Sentinel Dusk" });
  await option.waitFor({ state: "attached" });
  const value = await option.getAttribute("value");
  assert.equal(value, id, "the saved deck's id is what the menu plays");
  await page.locator(sel("deck-select")).selectOption(value);
  await page.locator(sel("deck-info")).filter({ hasText: "30 cards" }).waitFor();
  await page.locator(sel("practice")).click();
  await waitForBoard(page);
  player.assertClean();
});
