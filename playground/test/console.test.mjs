// The operator's console in the browser: an admin (made with `moonlight admin grant`) sees
// the live node, finds a player stuck in a match, looks at every hand (audited), ends the
// match, and the player can queue again; the content checks clean and a reload is
// unchanged; the audit log shows each action. Someone signed out gets the sign-in page, and
// a player without the role is answered 403 by every admin endpoint.
import assert from "node:assert/strict";
import { test } from "node:test";
import { keepHand, launchBrowser, newPlayer, screenshot, sel, signIn, signUp, startServer, uniqueName, waitForBoard } from "./harness.mjs";

const FORBIDDEN = "console error: Failed to load resource: the server responded with a status of 403 (Forbidden)";

/** Every admin endpoint, as the page's own token calls it: the statuses and codes answered. */
async function callEveryAdminEndpoint(page) {
  return page.evaluate(async () => {
    const token = JSON.parse(localStorage.getItem("moonlight.playground.tokens")).access_token;
    const id = "someone";
    const calls = [
      ["GET", "/overview"],
      ["GET", "/matches"],
      ["GET", "/audit"],
      ["GET", "/players?q=a"],
      ["GET", `/players/${id}`],
      ["POST", `/players/${id}/free`],
      ["POST", `/players/${id}/lock`],
      ["POST", `/players/${id}/unlock`],
      ["POST", `/players/${id}/revoke-sessions`],
      ["POST", "/matches/m/end"],
      ["POST", "/matches/m/watch"],
      ["GET", "/content"],
      ["POST", "/content/reload"],
      ["GET", "/ratings"],
    ];
    const answers = [];
    for (const [method, path] of calls) {
      const response = await fetch(`/v1/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: method === "POST" ? JSON.stringify({ reason: "curious" }) : undefined,
      });
      const body = await response.json();
      answers.push(`${method} ${path} ${response.status} ${body.error?.code}`);
    }
    return answers;
  });
}

test("signed out, the console is the sign-in page; a player gets 403 from every admin endpoint", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const nosy = await newPlayer(browser, uniqueName("nosy"));
  const { page } = nosy;

  await page.goto(`${server.pageUrl}#/admin/players`);
  await page.locator(sel("screen-signin")).waitFor();
  assert.equal(await page.locator(sel("screen-console")).count(), 0);
  await page.locator(sel("signin-name")).fill(nosy.name);
  await page.locator(sel("signin-password")).fill("correct horse battery");
  await page.locator(sel("signup-submit")).click();

  // Signed in, still on the console's address: the server's refusal, and no console link.
  await page.locator(sel("screen-console")).waitFor();
  await page.locator(sel("player-search")).fill("a");
  await page.locator(sel("player-search-submit")).click();
  await page.locator(sel("console-error")).filter({ hasText: "403 forbidden" }).waitFor();
  await page.goto(`${server.pageUrl}#/admin`);
  await page.locator(sel("console-now")).locator(sel("console-error")).filter({ hasText: "403 forbidden" }).waitFor();
  assert.equal(await page.locator(sel("node-row")).count(), 0, "nothing of the system shown");
  assert.equal(await page.locator(sel("nav-admin")).count(), 0);
  await screenshot(page, "console-forbidden.png");

  const answers = await callEveryAdminEndpoint(page);
  for (const answer of answers) assert.match(answer, / 403 forbidden$/, answer);
  await page.waitForTimeout(100);
  assert.ok(nosy.errors.length >= answers.length);
  assert.deepEqual([...new Set(nosy.errors.splice(0))], [FORBIDDEN]);
  nosy.assertClean();
});

test("an admin finds a player stuck in a match, sees every hand, ends it, and the player queues again", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());

  // A player in a practice match who stopped playing.
  const luna = await newPlayer(browser, uniqueName("luna"));
  await signUp(luna, server);
  await luna.page.locator(sel("practice")).click();
  await waitForBoard(luna.page);
  await keepHand(luna.page);
  const handOf = (page) => page.locator(sel("hand-card")).evaluateAll((cards) => cards.map((c) => c.getAttribute("data-card")));

  // The operator makes their account an admin, then signs in again: the token names the role.
  const root = await newPlayer(browser, uniqueName("root"));
  await signUp(root, server);
  const { page } = root;
  assert.equal(await page.locator(sel("nav-admin")).count(), 0, "no console for a player");
  server.grantAdmin(root.name);
  await page.locator(sel("signout")).click();
  await signIn(root);
  await page.locator(sel("screen-home")).waitFor();
  await page.locator(sel("nav-admin")).click();

  // Now: the node with its own vitals, the match live.
  await page.locator(sel("node-row")).waitFor();
  await page.locator(sel("now-live-value")).filter({ hasText: /^1$/ }).waitFor();
  // The node's next heartbeat counts the practice room.
  await page.locator(sel("node-rooms")).filter({ hasText: /^1 \/ / }).waitFor();
  await page.locator(sel("chart-p99-latest")).filter({ hasText: / ms$/ }).first().waitFor();
  // Three samples in the charts, for the picture.
  await page.waitForFunction(() => document.querySelector("[data-test=chart-actions] polyline")?.getAttribute("points")?.split(" ").length >= 3);
  await screenshot(page, "console-now.png", { fullPage: true });

  // Players: found by name, in a match, on the node.
  await page.locator(sel("console-players")).click();
  await page.locator(sel("player-search")).fill(luna.name.slice(0, 6));
  await page.locator(sel("player-search-submit")).click();
  await page.locator(sel("player-link")).filter({ hasText: luna.name }).click();
  await page.locator(sel("player-state")).filter({ hasText: "In a match" }).waitFor();
  const matchId = (await page.locator(sel("player-match")).textContent()).trim();
  await screenshot(page, "console-player.png", { fullPage: true });

  // The full view asks why, then shows both hands: luna's as luna sees it.
  await page.locator(sel("player-full-view")).click();
  await page.locator(sel("full-view-reason")).fill("a report of a stuck match");
  await page.locator(sel("full-view-open")).click();
  await page.locator(sel("full-view")).waitFor();
  await page.locator(sel("replay-hand")).nth(1).waitFor();
  const hands = () =>
    page.locator(sel("replay-hand")).evaluateAll((shown) =>
      shown.map((hand) => [...hand.querySelectorAll("[data-test=replay-hand-card]")].map((c) => c.getAttribute("data-card"))),
    );
  // Both pages follow the same match (the bot may be playing its turn): until they agree.
  let shown;
  let lunaHand;
  for (const deadline = Date.now() + 10_000; ; ) {
    [shown, lunaHand] = await Promise.all([hands(), handOf(luna.page)]);
    if (shown.some((hand) => JSON.stringify(hand) === JSON.stringify(lunaHand)) || Date.now() > deadline) break;
    await page.waitForTimeout(100);
  }
  assert.equal(shown.length, 2, "both hands");
  assert.ok(lunaHand.length > 0);
  assert.ok(shown.some((hand) => JSON.stringify(hand) === JSON.stringify(lunaHand)), `luna's hand ${lunaHand} among ${JSON.stringify(shown)}`);
  await screenshot(page, "console-full-view.png", { fullPage: true });

  // Matches: listed with its node; ended as no contest from there.
  await page.locator(sel("console-matches")).click();
  const row = page.locator(`${sel("admin-match-row")}[data-key="${matchId}"]`);
  await row.waitFor();
  assert.match(await row.locator(sel("match-turn")).textContent(), /^(opening|\d+)$/, "its node says its turn");
  await row.locator(sel("match-end")).click();
  await screenshot(page, "console-matches.png", { fullPage: true });
  await row.locator(sel("match-end-reason")).fill("stuck: the player asked to be freed");
  await row.locator(sel("match-end-confirm")).click();
  await page.locator(sel("admin-match-empty")).waitFor();

  // The player sees the end, and can queue again.
  await luna.page.locator(sel("game-over")).waitFor();
  assert.match(await luna.page.locator(sel("game-over-reason")).textContent(), /called off/);
  await luna.page.locator(sel("back-home")).click();
  await luna.page.locator(`${sel("quick-match")}:enabled`).click();
  await luna.page.locator(sel("queue-status")).waitFor();

  // The player's page says so too.
  await page.goto(`${server.pageUrl}#/admin/players/${encodeURIComponent(await luna.page.evaluate(() => JSON.parse(localStorage.getItem("moonlight.playground.tokens")).user_id))}`);
  await page.locator(sel("player-state")).filter({ hasText: "In the queue" }).waitFor();
  // Its finished match opens in the replay viewer.
  await page.locator(sel("player-replay")).first().click();
  await page.locator(sel("screen-replay")).waitFor();
  await page.locator(sel("replay-step")).filter({ hasText: /^Step 0 of [1-9]/ }).waitFor();

  // Content: clean on disk; a reload changes nothing.
  await page.locator(sel("console-content")).click();
  await page.locator(`${sel("on-disk")}[data-ok="true"]`).waitFor();
  await page.locator(sel("content-reload")).click();
  await page.locator(sel("content-reload-reason")).fill("checking the reload button");
  await page.locator(sel("content-reload-confirm")).click();
  await page.locator(sel("console-notice")).filter({ hasText: "Unchanged" }).waitFor();
  await screenshot(page, "console-content.png", { fullPage: true });

  await page.locator(sel("console-ratings")).click();
  await page.locator(sel("ratings-rated")).waitFor();
  await screenshot(page, "console-ratings.png", { fullPage: true });

  // The audit log: each action, newest first, the grant by the command line.
  await page.locator(sel("console-audit")).click();
  await page.locator(sel("audit-row")).first().waitFor();
  const actions = await page.locator(sel("audit-action")).allTextContents();
  assert.deepEqual(actions, ["reload_content", "end_match", "watch_full_view", "grant_role"]);
  const targets = await page.locator(sel("audit-target")).allTextContents();
  assert.equal(targets[1], matchId);
  assert.match(await page.locator(sel("audit-row")).last().textContent(), /command line/);
  await screenshot(page, "console-audit.png", { fullPage: true });

  luna.assertClean();
  root.assertClean();
});
