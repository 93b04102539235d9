// The README's guide, as code: keep `play` here and the README's in step.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { actionOf, actions, MoonlightClient, type MatchTicket, type Outcome } from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { PASSWORD, privateMatch, uniqueName, within } from "./helpers.js";

const server = serverPerFile();

// ---- from README.md, "A whole match" (only `log` differs: the test keeps quiet)
async function play(client: MoonlightClient, match: MatchTicket, log: (...args: unknown[]) => void) {
  const game = client.game(match, { WebSocket }); // browsers: leave WebSocket out
  const events = game.events(); // subscribe before connecting: the Welcome is the first event
  await game.connect(); // Hello → Welcome (view, legal actions, seq)

  const move = () => {
    if (game.pendingActions > 0 || game.isOver) return; // one action at a time
    const legal = game.legalActions.map(actionOf).filter((a) => a !== undefined);
    if (legal.length === 0) return; // not our turn
    const pick =
      legal.find((a) => a.case === "mulligan") ??
      legal.find((a) => a.case === "attack" || a.case === "playCard") ??
      actions.endTurn();
    game.act(pick).then(
      (ack) => log(`action ${ack.clientSeq} is durable (seq ${ack.seq})`),
      (error: Error) => log(error.message),
    );
  };

  let outcome: Outcome | undefined;
  for await (const event of events) {
    switch (event.type) {
      case "welcome": case "update": case "resumed": case "rejected":
        move();
        break;
      case "disconnected":
        log(`socket lost (${event.code}), reconnecting: ${event.willReconnect}`);
        break;
      case "gameOver":
        outcome = event.outcome;
        log(`winners ${event.outcome.winners} (${event.outcome.reason})`);
        game.close(); // the iterator ends after "closed"
        break;
    }
  }
  return outcome;
}
// ---- end of the guide

test("the README's guide plays a whole match", { timeout: 120_000 }, async () => {
  const players = [0, 1].map(() => new MoonlightClient({ authUrl: server().authUrl, lobbyUrl: server().lobbyUrl }));
  for (const p of players) await p.register(uniqueName("guide"), PASSWORD);
  const { matchA, matchB } = await privateMatch(players[0]!, players[1]!);
  const lines: string[] = [];
  const log = (...args: unknown[]) => lines.push(args.join(" "));
  const [a, b] = await within(90_000, Promise.all([play(players[0]!, matchA, log), play(players[1]!, matchB, log)]), "the guide's match");
  assert.ok(a && b, "both saw the game over");
  assert.deepEqual(a.winners, b.winners);
  assert.ok(lines.some((l) => l.startsWith("action 1 is durable")));
  assert.ok(!lines.some((l) => /rejected|closed/.test(l)), lines.join("\n"));
});
