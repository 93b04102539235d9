// Two players meet in a quick match (both queue, in two browser contexts); a third opens
// Watch, sees the match listed (the list refreshes by itself), and watches it: both heroes
// and boards, hand counts only, the events as they happen, the end. At every step the
// spectator's page must show no card name from either player's hand (as the players' own
// pages show them) that the match has not made public. A fourth person follows the
// players' share link signed out, signs up, and lands on the match. Then a finished match
// (410) and an unknown one (404) say so.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  keepHand,
  launchBrowser,
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

/** Log lines that may name a card only its owner sees (a draw, a card an effect gave, a secret set). */
const PRIVATE_KINDS = new Set(["cardDrawn", "cardGenerated", "secretSet"]);

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What a player's own page shows: the names in its hand, and the card names anyone may know. */
async function playerSnapshot(page) {
  return page.evaluate((privateKinds) => {
    const texts = (selector) => [...document.querySelectorAll(selector)].map((el) => el.textContent.trim());
    return {
      seq: document.querySelector('[data-test="screen-match"]')?.dataset.seq ?? "",
      text: document.querySelector('[data-test="screen-match"]')?.innerText ?? "",
      hand: texts('[data-test="hand-card"] [data-test="card-name"]'),
      // Units on both boards, and every log line but the private ones.
      publicText: [
        ...texts('[data-test^="board-"] [data-test="card-name"]'),
        ...[...document.querySelectorAll('[data-test="log-entry"]')]
          .filter((li) => !privateKinds.includes(li.dataset.kind))
          .map((li) => li.textContent),
      ].join("\n"),
    };
  }, [...PRIVATE_KINDS]);
}

/** Everything the spectator's page shows: its text, and the labels and titles of its elements. */
async function spectatorSnapshot(page) {
  return page.evaluate(() => {
    const screen = document.querySelector('[data-test="screen-spectate"]');
    const labels = [...screen.querySelectorAll("[aria-label], [title]")].flatMap((el) => [
      el.getAttribute("aria-label") ?? "",
      el.getAttribute("title") ?? "",
    ]);
    const count = (selector) => screen.querySelectorAll(selector).length;
    return {
      seq: screen.dataset.seq ?? "",
      text: `${screen.innerText}\n${labels.join("\n")}`,
      controls: {
        handCards: count('[data-test="hand-card"]'),
        endTurn: count('[data-test="end-turn"]'),
        concede: count('[data-test="concede"]'),
        mulligan: count('[data-test="mulligan-confirm"]'),
        emotes: count('[data-test^="emote-"]:not([data-test^="emote-bubble"])'),
        enabledButtons: [...screen.querySelectorAll(".table button:enabled")].map((b) => b.dataset.test ?? b.textContent),
      },
      heroes: [...screen.querySelectorAll(".hero-row")].map((row) => ({
        name: row.querySelector(".hero-name").textContent,
        handCount: Number(row.querySelector('[data-test^="hand-count-"]').textContent),
        backs: Number(row.querySelector('[data-test^="hand-backs-"]').dataset.count),
      })),
      log: [...screen.querySelectorAll('[data-test="log-entry"]')].map((li) => li.textContent),
    };
  });
}

/**
 * Names in `text`, as whole names: not letters on either side, and not inside a longer name
 * that `allowed` lists (a hidden "Moth" is not leaked by a public "Blood Moth").
 */
function shows(text, name, allowed) {
  let rest = text;
  for (const longer of allowed) if (longer !== name && longer.includes(name)) rest = rest.split(longer).join(" ");
  return new RegExp(`(?<![A-Za-z])${escape(name)}(?![A-Za-z])`).test(rest);
}

test("a third player watches two players' quick match and never sees a card in their hands", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const content = await (await fetch(`${server.lobbyUrl}/v1/content`)).json();
  const cardNames = [...new Set(content.cards.map((card) => card.name))];

  const luna = await newPlayer(browser, uniqueName("luna"));
  const sol = await newPlayer(browser, uniqueName("sol"));
  const stella = await newPlayer(browser, uniqueName("stella"));
  for (const person of [luna, sol, stella]) await signUp(person, server);

  // Nothing is being played yet.
  await stella.page.locator(sel("nav-watch")).click();
  await stella.page.locator(sel("screen-watch")).waitFor();
  await stella.page.locator(sel("live-empty")).waitFor();
  assert.equal(await stella.page.locator(sel("nav-watch")).getAttribute("aria-current"), "page");

  // The two players queue and meet.
  await luna.page.locator(sel("deck-select")).selectOption("dusk_starter");
  await sol.page.locator(sel("deck-select")).selectOption("tide_starter");
  await luna.page.locator(sel("quick-match")).click();
  await sol.page.locator(sel("quick-match")).click();
  await Promise.all([waitForBoard(luna.page), waitForBoard(sol.page)]);

  // Their match screen offers a link to watch it.
  const share = luna.page.locator(sel("share-link"));
  await share.waitFor();
  assert.match(await luna.page.locator(sel("share")).textContent(), /^Share this match: /);
  const shareUrl = await share.getAttribute("href");
  const matchId = decodeURIComponent(/#\/watch\/(.+)$/.exec(shareUrl)[1]);
  assert.equal(await sol.page.locator(sel("share-link")).getAttribute("href"), shareUrl, "the same link for both");

  // The list on the Watch screen refreshes by itself (every 5 s) and shows the match.
  const row = stella.page.locator(`${sel("live-match")}[data-match="${matchId}"]`);
  await row.waitFor({ timeout: 10_000 });
  const players = await row.locator(sel("live-players")).textContent();
  assert.ok(players.includes(luna.name) && players.includes(sol.name), players);
  assert.match(await row.textContent(), /Quick match/);
  await stella.page.locator(sel("watch-refresh")).click();
  await stella.page.locator(`${sel("watch-refresh")}:enabled`).waitFor();
  await row.waitFor();
  await screenshot(stella.page, "watch-list.png");

  // Watch it: the spectator's screen, read-only, at the same address as the share link.
  await row.locator(sel("watch-match")).click();
  await stella.page.locator(sel("screen-spectate")).waitFor();
  await stella.page.locator(sel("spectating")).filter({ hasText: "Spectating" }).waitFor();
  await stella.page.locator(sel("hero-top")).waitFor();
  await stella.page.locator(sel("hero-bottom")).waitFor();
  assert.equal(new URL(stella.page.url()).hash, new URL(shareUrl).hash);
  assert.equal(await stella.page.locator(sel("nav-watch")).getAttribute("aria-current"), "page");
  await stella.page.locator(sel("log-entry")).filter({ hasText: /^Watching .+ vs .+\.$/ }).waitFor();

  await Promise.all([keepHand(luna.page), keepHand(sol.page)]);

  /** Once all three pages are at the same seq: the spectator's page against the players'. */
  let checks = 0;
  let hiddenChecked = 0;
  const check = async () => {
    let snaps;
    for (let i = 0; ; i++) {
      const spectator = await spectatorSnapshot(stella.page);
      const mine = await Promise.all([playerSnapshot(luna.page), playerSnapshot(sol.page)]);
      snaps = { spectator, players: mine };
      if (spectator.seq !== "" && mine.every((p) => p.seq === spectator.seq)) break;
      assert.ok(i < 100, `the three pages reach the same seq: ${spectator.seq}, ${mine.map((p) => p.seq)}`);
      await stella.page.waitForTimeout(100);
    }
    const { spectator, players: [l, s] } = snaps;
    // Read-only: no hand, nothing to click.
    assert.deepEqual(spectator.controls, { handCards: 0, endTurn: 0, concede: 0, mulligan: 0, emotes: 0, enabledButtons: [] });
    // Hand counts, and only counts: the same as the players' own hands.
    const byName = new Map(spectator.heroes.map((hero) => [hero.name, hero]));
    assert.deepEqual([...byName.keys()].sort(), [luna.name, sol.name].sort());
    for (const [person, snap] of [[luna, l], [sol, s]]) {
      const hero = byName.get(person.name);
      assert.equal(hero.handCount, snap.hand.length, `${person.name}'s hand count`);
      assert.equal(hero.backs, snap.hand.length, `${person.name}'s face-down cards`);
    }
    // No card name from either hand, unless the match made that name public (a copy on a
    // board, a card played, a unit that died...).
    const publicNames = cardNames.filter((name) => shows(`${l.publicText}\n${s.publicText}`, name, cardNames));
    const hidden = [...new Set([...l.hand, ...s.hand])].filter((name) => !publicNames.includes(name));
    for (const name of hidden) {
      // The check can see it: the owner's page shows it.
      assert.ok([l, s].some((snap) => snap.hand.includes(name) && shows(snap.text, name, publicNames)), name);
      assert.ok(!shows(spectator.text, name, publicNames), `the spectator's page shows "${name}", a card in a hand:\n${spectator.text}`);
    }
    checks++;
    hiddenChecked += hidden.length;
    return spectator;
  };
  await check();

  // They play; the spectator's page follows, checked after every step.
  const did = new Map([[luna, new Map()], [sol, new Map()]]);
  const count = (person, step) => did.get(person).get(step) ?? 0;
  const played = () => ["play", "play-targeted"].reduce((n, step) => n + count(luna, step) + count(sol, step), 0);
  const deadline = Date.now() + 120_000;
  let shot = false;
  while (!(count(luna, "end-turn") >= 2 && count(sol, "end-turn") >= 2 && played() >= 1)) {
    assert.ok(Date.now() < deadline, "both players acted within two minutes");
    let acted = false;
    for (const person of [luna, sol]) {
      const step = await playStep(person.page);
      if (!step || step === "over") continue;
      did.get(person).set(step, count(person, step) + 1);
      acted = true;
      await settle(person.page);
      await check();
      if (!shot && (await stella.page.locator(sel("unit")).count()) >= 2) {
        await screenshot(stella.page, "spectate.png");
        shot = true;
      }
    }
    if (!acted) await luna.page.waitForTimeout(100);
  }
  const seen = await check();
  if (!shot) await screenshot(stella.page, "spectate.png");
  console.log(`spectate: ${checks} checks of the spectator's page, ${hiddenChecked} hidden names looked for; luna ${JSON.stringify(Object.fromEntries(did.get(luna)))}, sol ${JSON.stringify(Object.fromEntries(did.get(sol)))}`);
  assert.ok(hiddenChecked > 0, "there were hidden cards to look for");
  // The events as they happen, in the third person.
  const log = seen.log.join("\n");
  assert.match(log, new RegExp(`Turn \\d+: ${escape(luna.name)}'s turn`));
  assert.match(log, new RegExp(`Turn \\d+: ${escape(sol.name)}'s turn`));
  assert.match(log, /(draws a card)/);
  assert.match(log, / played /);
  assert.doesNotMatch(log, /\bYou\b|\byour turn\b/);

  // Someone signed out follows the share link, signs up, and lands on the match.
  const guest = await newPlayer(browser, uniqueName("guest"));
  await guest.page.goto(shareUrl);
  await guest.page.locator(sel("screen-signin")).waitFor();
  await guest.page.locator(sel("signin-name")).fill(guest.name);
  await guest.page.locator(sel("signin-password")).fill("correct horse battery");
  await guest.page.locator(sel("signup-submit")).click();
  await guest.page.locator(sel("screen-spectate")).waitFor();
  await guest.page.locator(sel("hero-top")).waitFor();
  assert.equal(new URL(guest.page.url()).hash, new URL(shareUrl).hash);
  guest.assertClean();
  await guest.context.close();

  // Luna concedes: everyone sees the end, the spectator with the winner's name.
  await luna.page.locator(sel("concede")).click();
  await luna.page.locator(sel("concede-confirm")).click();
  await stella.page.locator(sel("game-over")).waitFor();
  assert.equal(await stella.page.locator(sel("game-over-title")).textContent(), `${sol.name} wins`);
  assert.match(await stella.page.locator(sel("game-over-reason")).textContent(), /conceded/);
  assert.equal(await stella.page.locator(sel("rating-change")).count(), 0, "no rating for a spectator");
  for (const [person, title] of [[luna, "Defeat"], [sol, "Victory"]]) {
    await person.page.locator(sel("game-over")).waitFor();
    assert.equal(await person.page.locator(sel("game-over-title")).textContent(), title);
  }

  // Back to the list: once the result is recorded, the match leaves it.
  await stella.page.locator(sel("back-watch")).click();
  await stella.page.locator(sel("screen-watch")).waitFor();
  await stella.page.locator(sel("live-empty")).waitFor({ timeout: 15_000 });

  // Its link now says it is over (410); an unknown match says it cannot be watched (404).
  // (Chromium logs each refused request to the console: those two errors are expected.)
  await stella.page.goto(shareUrl);
  await stella.page.locator(sel("watch-unavailable")).filter({ hasText: "This match is over" }).waitFor();
  await stella.page.goto(`${server.pageUrl}#/watch/no-such-match`);
  await stella.page.locator(sel("watch-unavailable")).filter({ hasText: "private room" }).waitFor();
  await stella.page.waitForTimeout(200);
  assert.deepEqual(stella.errors.splice(0), [
    "console error: Failed to load resource: the server responded with a status of 410 (Gone)",
    "console error: Failed to load resource: the server responded with a status of 404 (Not Found)",
  ]);
  await stella.page.locator(sel("back-watch")).click();
  await stella.page.locator(sel("screen-watch")).waitFor();

  for (const person of [luna, sol, stella]) person.assertClean();
});
