// The action builders, `actionOf` and the rejection reasons, without a server: every legal
// action the server can list maps to the action that performs it, "choose one" options and
// hero powers included, and the SDK knows every reason game.proto lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  actionOf,
  actions,
  EventSchema,
  eventsOf,
  isRejectionReason,
  LegalActionSchema,
  REJECTION_REASONS,
} from "@moonlight/client";
import { packageRoot } from "./server.js";

test("actions.playCard and usePower carry a target and a choice only when given", () => {
  assert.deepEqual(actions.playCard(4), { case: "playCard", value: { card: 4 } });
  assert.deepEqual(actions.playCard(4, 9), { case: "playCard", value: { card: 4, target: 9 } });
  assert.deepEqual(actions.playCard(4, undefined, 1), { case: "playCard", value: { card: 4, choice: 1 } });
  assert.deepEqual(actions.playCard(4, 9, 0), { case: "playCard", value: { card: 4, target: 9, choice: 0 } });
  assert.deepEqual(actions.usePower(), { case: "usePower", value: {} });
  assert.deepEqual(actions.usePower({ target: 7 }), { case: "usePower", value: { target: 7 } });
  assert.deepEqual(actions.usePower({ choice: 2 }), { case: "usePower", value: { choice: 2 } });
  assert.deepEqual(actions.usePower({ target: 7, choice: 0 }), { case: "usePower", value: { target: 7, choice: 0 } });
});

test("actionOf performs each legal action, its choice and target included", () => {
  const legal = (init: MessageInitShape<typeof LegalActionSchema>) => create(LegalActionSchema, init);
  assert.deepEqual(actionOf(legal({ kind: { case: "playCard", value: { card: 3 } } })), actions.playCard(3));
  assert.deepEqual(
    actionOf(legal({ kind: { case: "playCard", value: { card: 3, target: 12, choice: 1 } } })),
    actions.playCard(3, 12, 1),
  );
  assert.deepEqual(actionOf(legal({ kind: { case: "usePower", value: {} } })), actions.usePower());
  assert.deepEqual(
    actionOf(legal({ kind: { case: "usePower", value: { target: 2, choice: 0 } } })),
    actions.usePower({ target: 2, choice: 0 }),
  );
  assert.deepEqual(actionOf(legal({ kind: { case: "attack", value: { attacker: 5, target: 1 } } })), actions.attack(5, 1));
  assert.deepEqual(actionOf(legal({ kind: { case: "endTurn", value: {} } })), actions.endTurn());
  assert.deepEqual(actionOf(legal({ kind: { case: "mulligan", value: { replace: [1, 2] } } })), actions.mulligan([1, 2]));
  assert.equal(actionOf(legal({ kind: { case: "concede", value: {} } })), undefined);
});

test("eventsOf picks the events of one kind, typed", () => {
  const events = [
    create(EventSchema, { kind: { case: "armorChanged", value: { seat: 0, armor: 2 } } }),
    create(EventSchema, { kind: { case: "frozen", value: { unit: 9 } } }),
    create(EventSchema, { kind: { case: "powerUsed", value: { seat: 1, card: "tide_power", target: 9 } } }),
    create(EventSchema, { kind: { case: "armorChanged", value: { seat: 1, armor: 5 } } }),
  ];
  assert.deepEqual(
    eventsOf(events, "armorChanged").map((e) => [e.seat, e.armor]),
    [
      [0, 2],
      [1, 5],
    ],
  );
  const [power] = eventsOf(events, "powerUsed");
  assert.equal(power?.card, "tide_power");
  assert.equal(power?.target, 9);
  assert.equal(power?.choice, undefined);
  assert.deepEqual(eventsOf(events, "thawed"), []);
});

test("REJECTION_REASONS lists exactly the reasons game.proto documents", () => {
  const proto = readFileSync(join(packageRoot, "..", "..", "proto", "proto", "moonlight", "v1", "game.proto"), "utf8");
  // The comment above ActionRejected.reason: `// Stable: "game_over", ... or "malformed_action" ...`.
  const start = proto.indexOf("// Stable:", proto.indexOf("message ActionRejected"));
  assert.ok(start > 0, "the ActionRejected reasons in game.proto");
  const end = proto.indexOf("string reason", start);
  const documented = [...proto.slice(start, end).matchAll(/"([a-z_]+)"/g)].map((m) => m[1]!);
  assert.deepEqual([...REJECTION_REASONS].sort(), [...new Set(documented)].sort());
  for (const reason of ["choice_required", "invalid_choice", "no_power", "power_used"]) {
    assert.ok(isRejectionReason(reason), reason);
  }
  assert.equal(isRejectionReason("not_a_reason"), false);
});
