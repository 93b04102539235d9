// The operator's API through the SDK: an admin sees the node's own vitals, finds a player
// and their match, watches it with every hand (audited as such), ends it, and reads the
// content and the ratings; a player gets 403 forbidden from each call.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MoonlightClient } from "@moonlight/client";
import { grantAdmin, serverPerFile } from "./server.js";
import { choose, player, refused, TestSocket, within } from "./helpers.js";

const server = serverPerFile();


/** A fresh account made admin, its token refreshed to carry the role. */
async function admin(): Promise<MoonlightClient> {
  const client = await player(server(), "op");
  grantAdmin(server(), client.tokens!.username);
  await client.refresh();
  return client;
}

test("a player is refused every admin call with 403 forbidden", { timeout: 30_000 }, async () => {
  const p = await player(server(), "nosy");
  const id = p.userId!;
  await refused(p.admin.overview(), 403, "forbidden");
  await refused(p.admin.matches(), 403, "forbidden");
  await refused(p.admin.findPlayers("a"), 403, "forbidden");
  await refused(p.admin.player(id), 403, "forbidden");
  await refused(p.admin.free(id, "why"), 403, "forbidden");
  await refused(p.admin.lock(id, "why"), 403, "forbidden");
  await refused(p.admin.endMatch("m", "why"), 403, "forbidden");
  await refused(p.admin.watch("m", { fullView: true, reason: "why" }), 403, "forbidden");
  await refused(p.admin.content(), 403, "forbidden");
  await refused(p.admin.reloadContent("why"), 403, "forbidden");
  await refused(p.admin.ratings(), 403, "forbidden");
  await refused(p.admin.audit(), 403, "forbidden");
  await refused(p.admin.replay("m"), 403, "forbidden");
});

test("an admin sees the node's vitals, watches a match with every hand, and ends it", { timeout: 60_000 }, async () => {
  const op = await admin();
  const p = await player(server(), "practising");
  const status = await p.practice("dusk_starter");
  const ticket = status.match!;
  const game = p.game(ticket, { WebSocket: TestSocket });
  await within(10_000, game.connect(), "the player's welcome");
  await within(10_000, game.act(choose(game)!), "a mulligan");

  // The node reports its actions in its heartbeats (every 2 s): the mulligan is one.
  const vitals = async () => {
    for (;;) {
      const [node] = (await op.admin.overview()).nodes;
      assert.ok(node, "one node");
      if (node.vitals.actions > 0) return node;
      await new Promise((done) => setTimeout(done, 250));
    }
  };
  const node = await within(10_000, vitals(), "a heartbeat with the action");
  assert.ok(node.vitals.p50_us > 0 && node.vitals.p99_us >= node.vitals.p50_us, JSON.stringify(node.vitals));
  assert.equal(node.vitals.failed, 0);
  assert.ok(node.connections >= 1, "the player's socket");
  assert.equal(node.rooms, 1);
  const content = await op.admin.content();
  assert.equal(node.content_version, content.loaded);
  assert.deepEqual(content.live, { [content.loaded]: 1 });
  assert.equal(content.on_disk.ok, true);
  assert.deepEqual(content.on_disk.errors, []);

  // Found by name: in this match, on this node.
  const [found] = await op.admin.findPlayers(p.tokens!.username);
  assert.equal(found?.state, "in_match");
  assert.equal(found?.match_id, ticket.room_id);
  assert.equal(found?.node_id, node.id);
  const detail = await op.admin.player(p.userId!);
  assert.equal(detail.name, p.tokens!.username);
  assert.equal(detail.locked_at, null);
  assert.deepEqual(detail.roles, []);
  const listed = (await op.admin.matches()).find((m) => m.match_id === ticket.room_id);
  assert.equal(listed?.node_id, node.id);
  assert.equal(listed?.turn, game.view!.turn, "its node's turn");
  assert.ok((listed?.last_input_ms ?? 0) > Date.now() - 60_000, "the mulligan, just now");

  // The full view needs a reason; with one, the spectator sees both hands, the player's
  // exactly as the player sees it.
  await refused(op.admin.watch(ticket.room_id, { fullView: true }), 422, "invalid_body");
  const full = await op.admin.watch(ticket.room_id, { fullView: true, reason: "a report of cheating" });
  const watching = op.spectate(full, {
    WebSocket: TestSocket,
    tickets: op.admin.ticketProvider(ticket.room_id, { fullView: true, reason: "a report of cheating" }),
  });
  const welcome = await within(10_000, watching.connect(), "the admin's welcome");
  assert.deepEqual(welcome.view?.hand, [], "a spectator's own hand is empty");
  const hands = welcome.view?.hands ?? [];
  assert.equal(hands.length, 2, "both seats' hands");
  const mine = hands.find((h) => h.seat === ticket.seat)!;
  assert.deepEqual(
    mine.cards.map((c) => c.card),
    game.view!.hand.map((c) => c.card),
  );
  // The public view carries no hand.
  const publicTicket = await op.admin.watch(ticket.room_id);
  const publicly = op.spectate(publicTicket, { WebSocket: TestSocket });
  assert.deepEqual((await within(10_000, publicly.connect(), "the public welcome")).view?.hands, []);
  publicly.close();

  // Ended as no contest: the player sees the end and is free.
  const over = new Promise((done) => game.on("gameOver", done));
  await op.admin.endMatch(ticket.room_id, "a stuck match");
  await within(10_000, over, "the player sees the end");
  watching.close();
  game.close();
  const idle = async () => {
    while ((await p.status()).state !== "idle") await new Promise((done) => setTimeout(done, 100));
  };
  await within(10_000, idle(), "the player is free");
  await refused(op.admin.endMatch(ticket.room_id, "again"), 410, "match_over");
  const replayed = await op.admin.replay(ticket.room_id, { view: "full", step: 1 });
  assert.equal(replayed.perspective, "full");
  assert.equal(replayed.hands.length, 2);
  assert.ok(replayed.steps >= 2, "the mulligan and the end");

  const actions = (await op.admin.audit()).filter((e) => e.target === ticket.room_id).map((e) => e.action);
  assert.deepEqual(actions.sort(), ["end_match", "watch", "watch_full_view"]);
});

test("an admin reloads unchanged content and reads the rating spread", { timeout: 30_000 }, async () => {
  const op = await admin();
  await refused(op.admin.reloadContent(" "), 422, "invalid_body");
  const reloaded = await op.admin.reloadContent("nothing changed");
  assert.equal(reloaded.outcome, "unchanged");
  assert.equal(reloaded.version, (await op.admin.content()).loaded);
  const spread = await op.admin.ratings();
  assert.equal(spread.bucket_width, 50);
  for (const bucket of spread.buckets) {
    assert.equal(bucket.from % 50, 0);
    assert.ok(bucket.players >= bucket.established);
  }
  const [last] = await op.admin.audit(1);
  assert.equal(last?.action, "reload_content");
  assert.equal(last?.detail.outcome, "unchanged");
});
