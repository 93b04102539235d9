// A socket that cannot open names its node to the lobby: the connection's next ticket
// request carries the node (`unreachableNode`), the client's ticket provider asks
// `/status?unreachable=<node>`, and the lobby (which finds the node alive) answers with
// the same match; the player is back in it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LobbyStatus, MoonlightClient } from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { choose, flakySockets, player, within } from "./helpers.js";

const server = serverPerFile();


/** The options of every `status` call the client makes. */
function statusCalls(client: MoonlightClient) {
  const calls: ({ unreachable?: string } | undefined)[] = [];
  const original = client.status.bind(client);
  client.status = (options?: Parameters<MoonlightClient["status"]>[0]): Promise<LobbyStatus> => {
    calls.push(options);
    return original(options);
  };
  return calls;
}

test("a reconnect whose socket cannot open names the node to the lobby", { timeout: 60_000 }, async () => {
  const p = await player(server(), "far");
  const ticket = (await p.practice("dusk_starter")).match!;
  const Socket = flakySockets();
  const game = p.game(ticket, { WebSocket: Socket, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
  await within(10_000, game.connect(), "the welcome");
  await within(10_000, game.act(choose(game)!), "a mulligan");
  const calls = statusCalls(p);

  // The link drops, and the next socket cannot open.
  const back = new Promise<void>((done) => game.on("resumed", () => done()));
  Socket.refuse = 1;
  Socket.latest().cut();
  await within(10_000, back, "back in the match");
  assert.ok(
    calls.some((options) => options?.unreachable === ticket.node_id),
    `a status call named ${ticket.node_id}: ${JSON.stringify(calls)}`,
  );
  assert.equal(game.roomId, ticket.room_id);
  game.close();
});
