// Lobby calls and their typed errors (unknown deck, busy, unknown room, ...).
import { test } from "node:test";
import assert from "node:assert/strict";
import { type BotLevel, MoonlightError } from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { player, refused as refusedBy, TestSocket, within } from "./helpers.js";

const server = serverPerFile();

/** Refused by the lobby. */
const refused = (promise: Promise<unknown>, status: number, code: string) => refusedBy(promise, status, code, "lobby");


test("an unknown deck is 422 unknown_deck everywhere a deck is named", { timeout: 30_000 }, async () => {
  const p = await player(server());
  await refused(p.enqueue("no_such_deck"), 422, "unknown_deck");
  await refused(p.openRoom("no_such_deck"), 422, "unknown_deck");
  await refused(p.practice("no_such_deck"), 422, "unknown_deck");
  assert.equal((await p.status()).state, "idle", "nothing changed");
});

test("rooms: open, list, join rules, leave", { timeout: 30_000 }, async () => {
  const host = await player(server(), "host");
  const guest = await player(server(), "guest");
  const open = await host.openRoom("dusk_starter", { public: true });
  assert.equal(open.state, "in_room");
  const code = open.room!.code;
  assert.match(code, /^[A-Z0-9]{6}$/);
  assert.ok((await guest.publicRooms()).some((r) => r.code === code));

  await refused(host.joinRoom(code, "dusk_starter"), 409, "own_room");
  await refused(host.enqueue("dusk_starter"), 409, "busy");
  await refused(guest.joinRoom("ZZZZZZ", "tide_starter"), 404, "unknown_room");

  const left = await host.leaveRoom();
  assert.equal(left.state, "idle");
  await refused(host.leaveRoom(), 404, "not_in_room");
  await refused(guest.joinRoom(code, "tide_starter"), 404, "unknown_room");
});

test("queue: enqueue, cancel, and waitForMatch when idle", { timeout: 30_000 }, async () => {
  const p = await player(server(), "q");
  const queued = await p.enqueue("moonwell_starter");
  assert.equal(queued.state, "queued");
  assert.equal(queued.queue!.deck, "moonwell_starter");
  await refused(p.enqueue("moonwell_starter"), 409, "busy");
  assert.equal((await p.cancelQueue()).state, "idle");
  await refused(p.cancelQueue(), 404, "not_queued");
  const error = await p.waitForMatch({ wait: 1 }).catch((e: unknown) => e);
  assert.ok(error instanceof MoonlightError && error.code === "not_waiting");
});

test("a practice match comes with a ticket; status long-polls", { timeout: 30_000 }, async () => {
  const p = await player(server(), "solo");
  const status = await p.practice("tide_starter");
  assert.equal(status.state, "in_match");
  const match = status.match!;
  assert.ok(match.url.startsWith("ws://") && match.ticket && match.room_id);
  const again = await p.status({ wait: 1 });
  assert.equal(again.match!.room_id, match.room_id);
  assert.ok(await p.ticketProvider(match.room_id)({ roomId: match.room_id, closeCode: 1006, reason: "" }));
  assert.equal(await p.ticketProvider("another-room")({ roomId: "another-room", closeCode: 1006, reason: "" }), null);
});

test("a playtest picks the bot's deck, the seed and the level: the same seed deals the same hand", { timeout: 30_000 }, async () => {
  const hands: string[][] = [];
  for (const [name, level] of [["ada", undefined], ["bea", "hard"]] as const) {
    const p = await player(server(), name);
    const status = await p.practice("dusk_starter", { playtest: { botDeck: "moonwell_starter", seed: 2_026 }, level });
    const game = p.game(status.match!, { WebSocket: TestSocket });
    const welcome = await within(15_000, game.connect(), "welcome");
    assert.equal(welcome.players[1]?.name, "Practice bot");
    hands.push(welcome.view!.hand.map((card) => card.card));
    game.close();
  }
  assert.ok(hands[0]!.length > 0);
  assert.deepEqual(hands[0], hands[1]);

  const p = await player(server(), "eve");
  await refused(p.practice("dusk_starter", { playtest: { botDeck: "no_such_deck" } }), 422, "unknown_deck");
  await refused(p.practice("dusk_starter", { playtest: { seed: 2 ** 53 } }), 422, "invalid_body");
  await refused(p.practice("dusk_starter", { level: "expert" as BotLevel }), 422, "invalid_body");
  assert.equal((await p.status()).state, "idle", "nothing changed");
});

test("decks: save from cards, share by code, play it, and refusals naming the card", { timeout: 30_000 }, async () => {
  const ada = await player(server(), "deckwright");
  const starter = ["shade_bat", "venom_spider", "night_stalker", "dark_dart", "blood_moth", "howling_wolf", "grave_whisperer", "pack_alpha", "dusk_assassin"]
    .map((card) => ({ card, count: 2 }))
    .concat(["dark_pact", "midnight_frenzy", "blood_rain", "ghoul_host", "night_terror", "eclipse", "full_moon_howler", "eclipse_drinker", "vampire_lord", "stone_sentinel", "lantern_bearer", "hollow_wolf"].map((card) => ({ card, count: 1 })));
  const saved = await ada.saveDeck({ name: "Night", cards: starter });
  assert.equal(saved.legal, true);
  assert.equal(saved.faction, "dusk");
  assert.ok(saved.code.length > 0);

  const bea = await player(server(), "borrower");
  const copy = await bea.saveDeck({ name: "Borrowed", code: saved.code });
  assert.deepEqual(copy.cards, saved.cards);
  const renamed = await ada.updateDeck(saved.id, { name: "Nightfall", code: saved.code });
  assert.equal(renamed.name, "Nightfall");
  assert.deepEqual((await ada.decks()).map((d) => d.name), ["Nightfall"]);

  // A saved deck's id plays (practice deals it); another player cannot use that id.
  const status = await ada.practice(saved.id);
  assert.equal(status.state, "in_match");
  await refused(bea.enqueue(saved.id), 422, "unknown_deck");

  const tooMany = starter.map((line, i) => (i === 0 ? { ...line, count: 3 } : i === 1 ? { ...line, count: 1 } : line));
  const error = await bea.saveDeck({ name: "x", cards: tooMany }).catch((e: unknown) => e);
  assert.ok(error instanceof MoonlightError && error.code === "illegal_deck" && error.message.includes("`shade_bat`"), String(error));
  await refused(bea.saveDeck({ name: "", code: saved.code }), 422, "invalid_body");
  await refused(bea.updateDeck(saved.id, { name: "mine", code: saved.code }), 404, "deck_not_found");
  await bea.deleteDeck(copy.id);
  await refused(bea.deleteDeck(copy.id), 404, "deck_not_found");
  assert.deepEqual(await bea.decks(), []);
});

test("profile, history, match records and the leaderboard", { timeout: 30_000 }, async () => {
  const p = await player(server(), "stats");
  const profile = await p.profile();
  assert.equal(profile.player_id, p.userId);
  assert.equal(profile.provisional, true);
  assert.deepEqual((await p.matchHistory({ limit: 5 })).matches, []);
  const board = await p.leaderboard({ limit: 10 });
  assert.ok(Array.isArray(board.top));
  assert.equal(board.me.provisional, true);
  await refused(p.matchRecord("00000000-0000-0000-0000-000000000000"), 404, "unknown_match");
  await refused(p.matchHistory({ before: "not-a-cursor" }), 400, "bad_request");
});
