// The gallery shows every card of the catalogue (tokens included) and every deck, filters by
// faction and kind, needs no sign-in, and fits a phone's screen.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { launchBrowser, newPlayer, packageRoot, screenshot, sel, startServer } from "./harness.mjs";

test("the gallery shows every card and deck of the catalogue", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());

  const response = await fetch(`${server.lobbyUrl}/v1/content`);
  assert.equal(response.status, 200);
  const catalogue = await response.json();
  assert.ok(catalogue.cards.length > 0 && catalogue.decks.length > 0);

  const player = await newPlayer(browser, "visitor");
  const { page } = player;
  await page.goto(`${server.pageUrl}#/gallery`);
  await page.locator(sel("screen-gallery")).waitFor();
  const cards = page.locator(sel("gallery-card"));
  assert.equal(await cards.count(), catalogue.cards.length);
  assert.equal(await page.locator(sel("gallery-count")).getAttribute("data-count"), String(catalogue.cards.length));
  const shown = await cards.evaluateAll((items) => items.map((item) => item.getAttribute("data-card")).sort());
  assert.deepEqual(shown, catalogue.cards.map((card) => card.id).sort());

  // Each card shows its name, cost and (units) stats from the catalogue.
  for (const card of catalogue.cards) {
    const el = page.locator(`${sel("gallery-card")}[data-card="${card.id}"]`);
    assert.equal(await el.locator(sel("card-name")).textContent(), card.name);
    assert.equal(await el.locator(sel("card-cost")).textContent(), String(card.cost));
    if (card.kind === "unit") {
      assert.equal(await el.locator(sel("attack")).textContent(), String(card.attack));
      assert.equal(await el.locator(sel("health")).textContent(), String(card.health));
    }
    assert.equal(await el.locator(sel("keyword")).count(), (card.keywords ?? []).length);
    // Its text (written from its abilities), rarity and flavour, as the catalogue says.
    assert.equal(await el.locator(sel("card-text")).count(), card.text ? 1 : 0);
    if (card.text) assert.equal(await el.locator(sel("card-text")).textContent(), card.text);
    assert.equal(await el.getAttribute("data-rarity"), card.rarity ?? "common");
    assert.equal(await el.locator(sel("card-flavor")).count(), card.flavor ? 1 : 0);
  }
  assert.ok(catalogue.cards.some((card) => card.rarity === "legendary" && card.flavor), "a legendary card with flavour");

  await screenshot(page, "gallery.png");

  await page.locator(sel("filter-faction")).selectOption("dusk");
  assert.equal(await cards.count(), catalogue.cards.filter((c) => c.faction === "dusk").length);
  await page.locator(sel("filter-kind")).selectOption("spell");
  assert.equal(await cards.count(), catalogue.cards.filter((c) => c.faction === "dusk" && c.kind === "spell").length);
  // The keyboard works the filters too.
  await page.locator(sel("filter-faction")).focus();
  await page.keyboard.press("Home");
  await page.locator(sel("filter-kind")).selectOption("");
  assert.equal(await cards.count(), catalogue.cards.length);
  // By cost and by keyword, together with the others.
  await page.locator(sel("filter-cost")).selectOption("2");
  assert.equal(await cards.count(), catalogue.cards.filter((c) => c.cost === 2).length);
  await page.locator(sel("filter-cost")).selectOption("");
  const guarded = catalogue.cards.filter((c) => (c.keywords ?? []).includes("guard"));
  assert.ok(guarded.length > 0);
  await page.locator(sel("filter-keyword")).selectOption("guard");
  assert.equal(await cards.count(), guarded.length);
  await page.locator(sel("filter-faction")).selectOption("tide");
  assert.equal(await cards.count(), guarded.filter((c) => c.faction === "tide").length);
  await page.locator(sel("filter-faction")).selectOption("");
  await page.locator(sel("filter-keyword")).selectOption("");
  assert.equal(await cards.count(), catalogue.cards.length);

  const decks = page.locator(sel("deck"));
  assert.equal(await decks.count(), catalogue.decks.length);
  for (const deck of catalogue.decks) {
    const el = page.locator(`${sel("deck")}[data-deck="${deck.id}"]`);
    assert.equal(await el.locator(sel("deck-entry")).count(), deck.cards.length);
  }

  // A phone.
  const phone = await newPlayer(browser, "phone", { viewport: { width: 390, height: 844 }, context: { isMobile: true, hasTouch: true } });
  await phone.page.goto(`${server.pageUrl}#/gallery`);
  await phone.page.locator(sel("gallery-card")).first().waitFor();
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow} px too wide)`);
  await screenshot(phone.page, "gallery-phone.png");

  player.assertClean();
  phone.assertClean();
});

test("after a content reload the gallery shows the new version; a refused one, the checker's messages", async (t) => {
  const content = mkdtempSync(join(tmpdir(), "moonlight-playground-content-"));
  t.after(() => rmSync(content, { recursive: true, force: true }));
  cpSync(process.env.MOONLIGHT_CONTENT_DIR || join(packageRoot, "..", "content"), content, { recursive: true });
  const server = await startServer({ contentDir: content });
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const designer = await newPlayer(browser, "designer");
  const { page } = designer;
  await page.goto(`${server.pageUrl}#/gallery`);
  const bat = page.locator(`${sel("gallery-card")}[data-card="shade_bat"]`);
  assert.equal(await bat.locator(sel("card-name")).textContent(), "Shade Bat");
  const first = await page.locator(sel("content-version")).getAttribute("data-version");

  // A designer renames a card and reloads: the open gallery shows it, under a new version.
  const cards = join(content, "cards", "dusk.toml");
  const dusk = readFileSync(cards, "utf8");
  writeFileSync(cards, dusk.replace('name = "Shade Bat"', 'name = "Shade Bat Reborn"'));
  server.signal("SIGHUP");
  await bat.locator(sel("card-name")).filter({ hasText: "Shade Bat Reborn" }).waitFor();
  const second = await page.locator(sel("content-version")).getAttribute("data-version");
  assert.notEqual(second, first);

  // A broken edit is refused: the page says where, and keeps the version in use.
  const rules = join(content, "rules.toml");
  const good = readFileSync(rules, "utf8");
  writeFileSync(rules, good.replace(/hero_health = \d+/, 'hero_health = "lots"'));
  server.signal("SIGHUP");
  const refused = page.locator(sel("reload-refused"));
  await refused.waitFor();
  const diagnostic = await refused.locator(sel("reload-diagnostic")).first().textContent();
  assert.match(diagnostic, /^rules\.toml:\d+:\d+ /);
  assert.equal(await page.locator(sel("content-version")).getAttribute("data-version"), second);
  assert.equal(await bat.locator(sel("card-name")).textContent(), "Shade Bat Reborn");
  await screenshot(page, "gallery-reload-refused.png");

  // Mended: the message goes away by itself.
  writeFileSync(rules, good);
  server.signal("SIGHUP");
  await refused.waitFor({ state: "hidden" });
  designer.assertClean();
});
