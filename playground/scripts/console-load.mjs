// `node scripts/console-load.mjs LOBBY_URL NAME PASSWORD [SCREENSHOT]`: signs an admin in
// to the console of a running server, in Debian's Chromium, and times its pages five
// times each: a fresh load of Now (until the node row shows), a Players search, Matches
// (until its 200 newest rows show) and the Audit log. Prints each time and the median and
// range; saves a picture of Now. `scripts/console-under-load` runs it against 10,000 bots.
import { chromium } from "playwright-core";

const [lobby, name, password, picture] = process.argv.slice(2);
if (!password) {
  console.error("usage: node scripts/console-load.mjs LOBBY_URL NAME PASSWORD [SCREENSHOT]");
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(60_000);
const sel = (t) => `[data-test="${t}"]`;
await page.goto(`${lobby}/`);
await page.locator(sel("signin-name")).fill(name);
await page.locator(sel("signin-password")).fill(password);
await page.locator(sel("signin-submit")).click();
await page.locator(sel("screen-home")).waitFor();

const timed = async (what, go, ready) => {
  const started = performance.now();
  await go();
  await ready();
  const ms = performance.now() - started;
  console.log(`${what}: ${ms.toFixed(0)} ms`);
  return ms;
};
const results = {};
for (let i = 0; i < 5; i++) {
  (results.now ??= []).push(await timed("Now (fresh page load)", () => page.goto(`${lobby}/#/admin`, { waitUntil: "commit" }).then(() => page.reload({ waitUntil: "commit" })), () => page.locator(sel("node-row")).waitFor()));
  (results.players ??= []).push(await timed("Players search", async () => {
    await page.goto(`${lobby}/#/admin/players`);
    await page.locator(sel("player-search")).fill("loadtest-1");
    await page.locator(sel("player-search-submit")).click();
  }, () => page.locator(sel("player-row")).first().waitFor()));
  (results.matches ??= []).push(await timed("Matches (200 newest)", () => page.goto(`${lobby}/#/admin/matches`), () => page.locator(sel("admin-match-row")).nth(199).waitFor()));
  (results.audit ??= []).push(await timed("Audit", () => page.goto(`${lobby}/#/admin/audit`), () => page.locator(sel("audit-row")).first().waitFor()));
}
await page.goto(`${lobby}/#/admin`);
await page.locator(sel("node-row")).waitFor();
console.log("now connected:", await page.locator(sel("now-connected-value")).textContent(), "live:", await page.locator(sel("now-live-value")).textContent());
if (picture) {
  // A few samples in the charts first.
  await page.waitForFunction(() => document.querySelector("[data-test=chart-actions] polyline")?.getAttribute("points")?.split(" ").length >= 4);
  await page.screenshot({ path: picture, fullPage: true });
}
for (const [k, v] of Object.entries(results)) {
  const s = [...v].sort((a, b) => a - b);
  console.log(`${k}: median ${s[2].toFixed(0)} ms, range ${s[0].toFixed(0)}–${s[4].toFixed(0)} ms`);
}
await browser.close();
