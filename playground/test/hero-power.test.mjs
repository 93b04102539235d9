// A player's hero power is a button by their hero: a deck whose faction's power gives armor
// and needs no target (the Grove's) plays a practice match; the button is offered exactly
// when the player has the moonlight for it, once a turn; used, the hero shows its armor and
// the log says so, and the next turn it is offered again. Nothing here depends on the deal:
// the player only keeps the opening hand, ends turns and uses the power. The gallery shows
// the powers as "Hero power" cards and names each deck's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { keepHand, launchBrowser, logLines, newPlayer, screenshot, sel, settle, signUp, startServer, uniqueName, waitForBoard } from "./harness.mjs";

/** The deck and its power: a power whose only effect is armor for its own hero. */
function armorDeck(content) {
  const byId = new Map(content.cards.map((card) => [card.id, card]));
  for (const deck of content.decks) {
    const power = byId.get(content.rules.hero_powers?.[deck.faction]);
    const effects = (power?.abilities ?? []).flatMap((ability) => ability.effects ?? []);
    if (power?.kind === "power" && effects.length === 1 && effects[0].effect === "armor" && typeof effects[0].amount === "number") {
      return { deck, power, armor: effects[0].amount };
    }
  }
  return undefined;
}

/** Waits for the start of the player's own turn (idle, End turn offered); returns its moonlight. */
async function myTurn(page) {
  await page.locator(`${sel("screen-match")}[data-my-turn="true"][data-busy="false"]`).waitFor({ timeout: 60_000 });
  await page.locator(`${sel("end-turn")}:enabled`).waitFor();
  const [current] = (await page.locator(sel("moonlight-me")).textContent()).split("/").map(Number);
  return current;
}

test("the hero power: a button by the hero, offered once a turn when affordable, gives armor", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const content = await (await fetch(`${server.lobbyUrl}/v1/content`)).json();
  const found = armorDeck(content);
  assert.ok(found, "a deck whose faction's hero power gives armor and needs no target");
  const { deck, power, armor } = found;

  const player = await newPlayer(browser, uniqueName("oak"));
  const { page } = player;
  await signUp(player, server);
  await page.locator(sel("deck-select")).selectOption(deck.id);
  await page.locator(sel("practice")).click();
  await waitForBoard(page);

  // By the hero from the start: its name and cost, not offered during the opening hands.
  const button = page.locator(sel("hero-power-me"));
  await button.waitFor();
  assert.equal(await button.getAttribute("data-card"), power.id);
  assert.equal(await button.locator(sel("card-cost")).textContent(), String(power.cost));
  assert.match(await button.textContent(), new RegExp(`${power.name}.*Hero power`));
  assert.equal(await button.isDisabled(), true);
  await keepHand(page);

  // Turns go by (ending them) until the player has the moonlight: only then is it offered.
  let moonlight = await myTurn(page);
  for (let turns = 0; moonlight < power.cost; turns++) {
    assert.ok(turns < 12, "the moonlight for the hero power within 12 turns");
    assert.equal(await button.isDisabled(), true, `not offered with ${moonlight} moonlight`);
    await page.locator(sel("end-turn")).click();
    await settle(page);
    moonlight = await myTurn(page);
  }
  assert.equal(await button.isDisabled(), false, `offered with ${moonlight} moonlight`);
  assert.match(await button.getAttribute("class"), /\busable\b/);
  assert.equal(await button.getAttribute("data-used"), "false");
  assert.equal(await page.locator(`${sel("hero-me")} ${sel("hero-armor")}`).count(), 0, "no armor yet");

  // Used: no target to choose, it is done at once.
  await button.click();
  await settle(page);
  await page.locator(`${sel("hero-power-me")}[data-used="true"]`).waitFor();
  assert.equal(await button.isDisabled(), true, "once a turn");
  assert.equal(await page.locator(`${sel("hero-me")} ${sel("hero-armor")}`).getAttribute("data-armor"), String(armor));
  assert.match(await page.locator(sel("hero-me")).getAttribute("aria-label"), new RegExp(`${armor} armor`));
  assert.equal(await page.locator(sel("moonlight-me")).textContent().then((t) => Number(t.split("/")[0])), moonlight - power.cost);
  const lines = await logLines(page);
  assert.ok(lines.includes(`You used the hero power ${power.name}.`), lines.join("\n"));
  assert.ok(lines.includes(`Your hero has ${armor} armor.`), lines.join("\n"));
  await screenshot(page, "hero-power.png");

  // The next turn it is offered again.
  await page.locator(sel("end-turn")).click();
  await settle(page);
  await myTurn(page);
  await page.locator(`${sel("hero-power-me")}[data-used="false"]:enabled`).waitFor();

  // The opponent's power, if their deck has one, is shown by their hero, not as a button.
  const theirs = page.locator(sel("hero-power-them"));
  if ((await theirs.count()) > 0) {
    assert.equal(await theirs.evaluate((el) => el.tagName), "DIV");
    const id = await theirs.getAttribute("data-card");
    assert.equal(content.cards.find((card) => card.id === id)?.kind, "power", id);
  }

  await page.locator(sel("concede")).click();
  await page.locator(sel("concede-confirm")).click();
  await page.locator(sel("game-over")).waitFor();
  await page.locator(sel("back-home")).click();
  await page.locator(sel("screen-home")).waitFor();

  // The gallery: the powers under their own kind, and each deck's named with the deck.
  await page.goto(`${server.pageUrl}#/gallery`);
  await page.locator(sel("screen-gallery")).waitFor();
  const powers = content.cards.filter((card) => card.kind === "power");
  await page.locator(sel("filter-kind")).selectOption("power");
  const shown = page.locator(sel("gallery-card"));
  assert.equal(await shown.count(), powers.length);
  for (const kind of await shown.locator(sel("card-kind")).allTextContents()) assert.match(kind, /^Hero power · /);
  assert.equal(await page.locator(`${sel("deck")}[data-deck="${deck.id}"] ${sel("deck-power")}`).getAttribute("data-card"), power.id);
  player.assertClean();
});
