// Two players in two browser contexts: one opens a private room and shares its code, the
// other joins with it; both play a few turns (cards, attacks, End turn, an emote), then one
// concedes and both see the game over. Then both queue for a quick match, meet, and see
// their ratings move.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  keepHand,
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

test("two players play a private room match until one concedes", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const host = await newPlayer(browser, uniqueName("host"));
  const guest = await newPlayer(browser, uniqueName("guest"), { viewport: { width: 412, height: 915 }, context: { isMobile: true, hasTouch: true } });

  await signUp(host, server);
  await signUp(guest, server);

  await host.page.locator(sel("deck-select")).selectOption("tide_starter");
  await host.page.locator(sel("room-create")).click();
  const code = (await host.page.locator(sel("room-code")).textContent()).trim();
  assert.match(code, /^[A-Z0-9]{4,8}$/);
  await screenshot(host.page, "room.png");

  // A wrong code: the lobby's message is shown, nothing else happens. (Chromium logs the
  // lobby's 404 answer to the console: that one error is expected.)
  await guest.page.locator(sel("room-code-input")).fill("ZZZZZZ");
  await guest.page.locator(sel("room-join")).click();
  await guest.page.locator(sel("lobby-error")).filter({ hasText: /\w/ }).waitFor();
  console.log(`private room: a wrong code says "${await guest.page.locator(sel("lobby-error")).textContent()}"`);
  await guest.page.waitForTimeout(200);
  assert.deepEqual(guest.errors.splice(0), ["console error: Failed to load resource: the server responded with a status of 404 (Not Found)"]);

  await guest.page.locator(sel("deck-select")).selectOption("dusk_starter");
  await guest.page.locator(sel("room-code-input")).fill(code.toLowerCase());
  await guest.page.locator(sel("room-join")).click();
  await Promise.all([waitForBoard(host.page), waitForBoard(guest.page)]);
  await Promise.all([keepHand(host.page), keepHand(guest.page)]);

  // Play until both sides have ended a turn and the match has seen a card played.
  const did = new Map([[host, new Map()], [guest, new Map()]]);
  const count = (player, step) => did.get(player).get(step) ?? 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    assert.ok(Date.now() < deadline, "both players acted within two minutes");
    const played = count(host, "play") + count(host, "play-targeted") + count(guest, "play") + count(guest, "play-targeted");
    if (count(host, "end-turn") >= 2 && count(guest, "end-turn") >= 2 && played >= 1) break;
    let acted = false;
    for (const player of [host, guest]) {
      const step = await playStep(player.page);
      if (step && step !== "over") {
        did.get(player).set(step, count(player, step) + 1);
        acted = true;
        await settle(player.page);
      }
    }
    if (!acted) await host.page.waitForTimeout(100);
  }
  console.log(`private room: host ${JSON.stringify(Object.fromEntries(did.get(host)))}, guest ${JSON.stringify(Object.fromEntries(did.get(guest)))}`);

  // Each sees the other's name, and both turns in the log.
  for (const [player, other] of [[host, guest], [guest, host]]) {
    const lines = (await logLines(player.page)).join("\n");
    assert.match(lines, new RegExp(`Joined the match against ${other.name}`));
    assert.match(lines, /your turn/);
    assert.match(lines, new RegExp(`${other.name}'s turn`));
  }

  // An emote reaches the other player.
  await host.page.locator(sel("emote-well_played")).click();
  await guest.page.locator(sel("emote-bubble-them")).filter({ hasText: "Well played!" }).waitFor();
  await host.page.locator(sel("emote-bubble-me")).waitFor();
  await screenshot(guest.page, "match-phone.png", { fullPage: true });

  // The guest concedes (after saying no once).
  await guest.page.locator(sel("concede")).click();
  await guest.page.locator(sel("concede-cancel")).click();
  assert.equal(await guest.page.locator(sel("game-over")).count(), 0);
  await guest.page.locator(sel("concede")).click();
  await guest.page.locator(sel("concede-confirm")).click();

  for (const [player, title] of [[guest, "Defeat"], [host, "Victory"]]) {
    await player.page.locator(sel("game-over")).waitFor();
    assert.equal(await player.page.locator(sel("game-over-title")).textContent(), title);
    assert.match(await player.page.locator(sel("game-over-reason")).textContent(), /conceded/);
    await player.page.locator(sel("rating-change")).filter({ hasText: "Private match: unrated" }).waitFor({ timeout: 20_000 });
  }
  await screenshot(host.page, "victory.png");

  // Then both try a quick match: they meet (the only two in the queue), and the one who
  // concedes loses rating points the other wins.
  for (const player of [host, guest]) {
    await player.page.locator(sel("back-home")).click();
    await player.page.locator(`${sel("quick-match")}:enabled`).click();
  }
  await Promise.all([waitForBoard(host.page), waitForBoard(guest.page)]);
  await Promise.all([keepHand(host.page), keepHand(guest.page)]);
  await host.page.locator(sel("concede")).click();
  await host.page.locator(sel("concede-confirm")).click();
  for (const [player, title, sign] of [[host, "Defeat", "-"], [guest, "Victory", "\\+"]]) {
    await player.page.locator(sel("game-over")).waitFor();
    assert.equal(await player.page.locator(sel("game-over-title")).textContent(), title);
    const rating = player.page.locator(sel("rating-change"));
    await rating.filter({ hasText: /^Rating \d+ → \d+/ }).waitFor({ timeout: 20_000 });
    assert.match(await rating.textContent(), new RegExp(`^Rating 1500 → \\d+ \\(${sign}\\d+\\)$`));
    console.log(`quick match: ${player.name} sees "${await rating.textContent()}"`);
  }
  host.assertClean();
  guest.assertClean();
});
