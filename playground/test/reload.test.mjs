// Mid-match, a reload of the tab lands back in the match (the lobby's status names it and
// the SDK joins again) and play goes on; a lost network shows "Reconnecting…" until the SDK
// is back by itself. Then sign out and back in (a wrong password first).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  keepHand,
  launchBrowser,
  logLines,
  newPlayer,
  PASSWORD,
  playStep,
  screenshot,
  sel,
  settle,
  signUp,
  startServer,
  uniqueName,
  waitForBoard,
} from "./harness.mjs";

/** Plays until `n` of this player's turns have ended (or the match is over). */
async function playTurns(page, n) {
  let ended = 0;
  const deadline = Date.now() + 90_000;
  while (ended < n) {
    assert.ok(Date.now() < deadline, `${n} turns within 90 s`);
    const step = await playStep(page);
    if (step === "over") return;
    if (step === undefined) {
      await page.waitForTimeout(150);
      continue;
    }
    if (step === "end-turn") ended++;
    await settle(page);
  }
}

test("a reload mid-match resumes the match, a lost network reconnects, and the session signs out and in", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const player = await newPlayer(browser, uniqueName("sol"));
  const { page } = player;

  await signUp(player, server);
  await page.locator(sel("practice")).click();
  await waitForBoard(page);
  await keepHand(page);
  await playTurns(page, 2);

  // Wait for our turn, then reload.
  await page.locator(`${sel("screen-match")}[data-my-turn="true"]`).waitFor({ timeout: 60_000 });
  const turn = await page.locator(sel("turn-number")).textContent();
  const hand = await page.locator(sel("hand-card")).evaluateAll((cards) => cards.map((c) => c.getAttribute("data-card")));
  const timeLeft = Number(await page.locator(sel("turn-timer")).getAttribute("data-left"));
  await page.reload();
  await waitForBoard(page);
  await page.locator(`${sel("screen-match")}[data-my-turn="true"]`).waitFor();
  assert.equal(await page.locator(sel("turn-number")).textContent(), turn);
  // The turn timer is the server's: a reload does not give the turn its time back.
  const leftAfter = Number(await page.locator(sel("turn-timer")).getAttribute("data-left"));
  assert.ok(leftAfter > 0 && leftAfter <= timeLeft, `${leftAfter} s left after the reload, ${timeLeft} s before`);
  assert.deepEqual(await page.locator(sel("hand-card")).evaluateAll((cards) => cards.map((c) => c.getAttribute("data-card"))), hand);
  assert.match((await logLines(page)).join("\n"), /Joined the match/);
  // Playing goes on after the reload (new actions are numbered after the old ones).
  await playTurns(page, 1);

  // Lose the network: the SDK notices the silent link, shows it, and comes back by itself.
  // Failing fetches and sockets log console errors meanwhile: those are expected here.
  const before = player.errors.length;
  await page.context().setOffline(true);
  await page.locator(sel("reconnecting")).waitFor({ timeout: 30_000 });
  await screenshot(page, "reconnecting.png");
  await page.context().setOffline(false);
  await page.locator(sel("reconnecting")).waitFor({ state: "detached", timeout: 30_000 });
  const offline = player.errors.splice(before);
  for (const error of offline) assert.match(error, /ERR_INTERNET_DISCONNECTED|WebSocket|Failed to load resource|Failed to fetch/, error);
  await playTurns(page, 1);

  await page.locator(sel("concede")).click();
  await page.locator(sel("concede-confirm")).click();
  await page.locator(sel("game-over")).waitFor();
  assert.equal(await page.locator(sel("game-over-title")).textContent(), "Defeat");
  // Reloading after the end does not send the player back into the match.
  await page.locator(sel("back-home")).click();
  await page.reload();
  await page.locator(sel("screen-home")).waitFor();
  await page.waitForTimeout(1500);
  assert.ok(page.url().endsWith("#/"), `still home: ${page.url()}`);

  // Sign out, then back in: a wrong password says so (Chromium logs the 401: expected).
  await page.locator(sel("signout")).click();
  await page.locator(sel("screen-signin")).waitFor();
  await page.reload();
  await page.locator(sel("screen-signin")).waitFor();
  await page.locator(sel("signin-name")).fill(player.name);
  await page.locator(sel("signin-password")).fill("not the password");
  await page.locator(sel("signin-submit")).click();
  await page.locator(sel("form-error")).filter({ hasText: /\w/ }).waitFor();
  await page.waitForTimeout(200);
  assert.deepEqual(player.errors.splice(0), ["console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)"]);
  await page.locator(sel("signin-password")).fill(PASSWORD);
  await page.keyboard.press("Enter");
  await page.locator(sel("screen-home")).waitFor();
  assert.equal(await page.locator(sel("username")).textContent(), player.name);
  player.assertClean();
});
