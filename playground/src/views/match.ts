// The match screen: both heroes and boards, your hand, the turn, the event log, emotes,
// concede, and the game-over panel. It renders the controller's state; every highlight and
// every click comes from the server's legal actions (see match/legal.ts).
//
// The spectator's screen (`#/watch/<id>`) is the same screen read-only: both heroes and
// boards with each player's name, hand counts (face-down cards), the events as they happen,
// a "Spectating" badge, the end; no hand, no buttons to act.
//
// A replay (`#/replay/<id>`) is that read-only screen again, one step of a finished match at
// a time, with buttons (and the arrow keys) to step through it and a choice of perspective:
// a player's (that hand, as it was then), the public one, or everything (every hand).
import type { App } from "../app.ts";
import { h, replace } from "../dom.ts";
import { currentMatch, EMOTES, emoteText, leaveMatch, MatchController, replayViewOf, type AdminWatch } from "../match/controller.ts";
import { choicesOf, mulliganKey } from "../match/legal.ts";
import { outcomeText, reasonText } from "../match/log.ts";
import { navigate, navigateHash, replayHash, watchHash, type View } from "../router.ts";
import { choiceText, choiceTexts } from "../catalogue.ts";
import type { HandCard, Outcome, ReplayView, SeatState, Unit } from "../sdk.ts";
import { cardFace, cardLabel } from "./card.ts";

/** The player's own match (`#/play`). */
export function matchView(app: App): View {
  const match = currentMatch(app);
  return matchScreen(match, () => {
    if (match.phase === "over") leaveMatch();
  });
}

/** Watching someone else's match (`#/watch/<id>`): the connection lives as long as the screen. */
export function spectateView(app: App, matchId: string): View {
  const match = new MatchController(app, matchId);
  void match.start();
  return matchScreen(match, () => match.dispose());
}

/** An admin watching any match (`#/admin/watch/<id>`), with every hand if `fullView`. */
export function adminWatchView(app: App, matchId: string, watch: AdminWatch): View {
  const match = new MatchController(app, matchId, undefined, watch);
  void match.start();
  return matchScreen(match, () => match.dispose());
}

/**
 * A finished match, step by step (`#/replay/<id>`); `asAdmin` through the operator's API
 * (`#/admin/replay/<id>`: any match, private rooms' too).
 */
export function replayView(app: App, matchId: string, asAdmin?: AdminWatch): View {
  const match = new MatchController(app, undefined, matchId, asAdmin);
  void match.showStep(0);
  return matchScreen(match, () => match.dispose());
}

function matchScreen(match: MatchController, onDispose: () => void): View {
  const readOnly = match.spectating;
  const replaying = match.replaying !== undefined;
  const board = h("div", { class: "table" });
  const bar = h("div", { class: "match-bar" });
  const logList = h("ol", { class: "log-list", "data-test": "event-log" });
  const log = h(
    "aside",
    { class: "log panel", "aria-label": "Event log" },
    h("h2", {}, "Events"),
    h("div", { class: "log-scroll", role: "log", "aria-live": "polite" }, logList),
  );
  const overlay = h("div", { class: "overlay-host" });
  const dialog = concedeDialog(match);
  const share = h("p", { class: "share muted", "data-test": "share", hidden: true });
  const el = h(
    "section",
    {
      class: `screen screen-match${readOnly ? " spectating" : ""}`,
      "data-test": replaying ? "screen-replay" : readOnly ? "screen-spectate" : "screen-match",
      "data-match": match.watching ?? match.replaying,
    },
    h("h1", { class: "sr-only" }, replaying ? "Replay of a match" : readOnly ? "Watching a match" : "Match"),
    bar,
    h("div", { class: "match-layout" }, board, log),
    share,
    overlay,
    readOnly ? null : dialog,
  );

  let logged = 0;
  const render = () => {
    // Keep the keyboard focus on the same thing across re-renders.
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    // For tests and styling: what the screen is doing now.
    el.dataset.phase = match.phase;
    el.dataset.busy = String(match.busy);
    el.dataset.myTurn = String(match.myTurn);
    el.dataset.seq = match.game?.lastSeq !== undefined ? String(match.game.lastSeq) : "";
    renderBar(bar, match);
    if (readOnly) renderSpectatorTable(board, match);
    else renderTable(board, match, dialog);
    renderOverlay(overlay, match);
    renderShare(share, match);
    // The log only grows: append what is new, keep the newest in sight.
    const total = match.logDropped + match.log.length;
    if (logged < match.logDropped) {
      logList.replaceChildren();
      logged = match.logDropped;
    }
    for (let i = logged - match.logDropped; i < match.log.length; i++) {
      const line = match.log[i]!;
      logList.append(h("li", { class: `log-${line.side}`, "data-test": "log-entry", "data-kind": line.kind }, line.text));
    }
    if (total !== logged) logList.parentElement!.scrollTop = logList.parentElement!.scrollHeight;
    logged = total;
    while (logList.childElementCount > match.log.length) logList.firstElementChild!.remove();
    if (focusKey) el.querySelector<HTMLElement>(`[data-key="${focusKey}"]`)?.focus({ preventScroll: true });
  };
  const unsubscribe = match.subscribe(render);
  // The turn clock ticks on its own.
  const tick = setInterval(() => renderBar(bar, match), 1000);
  const onKey = (event: KeyboardEvent) => {
    if (event.key === "Escape" && match.selection) match.select(undefined);
    // A replay steps with the arrow keys (unless a control that takes them has the focus).
    const inControl = (event.target as HTMLElement | null)?.closest?.("select, input");
    if (replaying && !inControl && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      const step = match.replay?.step;
      if (step === undefined) return;
      const next = step + (event.key === "ArrowRight" ? 1 : -1);
      if (next >= 0 && next <= match.replay!.steps) void match.showStep(next);
    }
  };
  document.addEventListener("keydown", onKey);
  render();

  return {
    el,
    dispose: () => {
      unsubscribe();
      clearInterval(tick);
      document.removeEventListener("keydown", onKey);
      onDispose();
    },
  };
}

function renderBar(bar: HTMLElement, match: MatchController): void {
  const view = match.view;
  const parts: (HTMLElement | string)[] = [];
  if (match.replaying !== undefined) {
    parts.push(h("span", { class: "badge", "data-test": "replaying" }, "Replay"), ...replayControls(match));
  } else if (match.spectating) {
    parts.push(h("span", { class: "badge live", "data-test": "spectating" }, h("span", { class: "dot", "aria-hidden": "true" }), "Spectating"));
    if (match.asAdmin?.fullView) parts.push(h("span", { class: "badge warn", "data-test": "full-view", title: "Every hand is shown; the audit log records it" }, "Full view (audited)"));
  }
  if (view) {
    const opening = view.seats.some((s) => s.choosingOpeningHand);
    parts.push(h("span", { class: "turn", "data-test": "turn-number" }, opening ? "Opening hands" : `Turn ${view.turn}`));
    if (match.turnEndsAt !== undefined && !match.outcome) {
      const left = Math.max(0, Math.ceil((match.turnEndsAt - Date.now()) / 1000));
      const what = opening ? "Time left to choose your opening hand" : "Time left this turn";
      parts.push(h("span", { class: left <= 10 ? "timer low" : "timer", "data-test": "turn-timer", "data-left": left, title: what, "aria-label": `${what}: ${left} seconds` }, `${left} s`));
    }
    if (!opening && !match.outcome) {
      parts.push(
        h(
          "span",
          { class: match.myTurn ? "whose mine" : "whose", "data-test": "turn-owner" },
          match.myTurn ? "Your turn" : `${match.names.playerName(view.activeSeat)}'s turn`,
        ),
      );
    }
  } else if (match.phase === "loading" || match.phase === "playing") {
    parts.push(h("span", { class: "muted" }, match.spectating ? "Connecting to the match…" : "Connecting to your match…"));
  }
  if (match.reconnecting) {
    parts.push(h("span", { class: "badge warn", role: "status", "data-test": "reconnecting" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Reconnecting…"));
  }
  replace(bar, ...parts);
}

function renderTable(table: HTMLElement, match: MatchController, dialog: HTMLDialogElement): void {
  const view = match.view;
  if (match.phase === "none" || (match.phase === "closed" && !view)) {
    replace(
      table,
      h(
        "div",
        { class: "panel", "data-test": "no-match" },
        h("p", {}, match.notice ?? "You are not in a match right now."),
        h("button", { type: "button", class: "primary", "data-test": "back-home", onclick: () => { leaveMatch(); navigate("home"); } }, "Back to lobby"),
      ),
    );
    return;
  }
  if (!view) {
    replace(table, h("div", { class: "panel loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Loading the match…"));
    return;
  }
  const me = view.seats.find((s) => s.seat === match.seat);
  const them = view.seats.find((s) => s.seat !== match.seat);
  const mulligan = match.legal.mulligans.size > 0;

  const controls = h("div", { class: "controls" });
  if (mulligan) {
    const key = mulliganKey(match.mulligan);
    const n = match.mulligan.size;
    controls.append(
      h(
        "button",
        { type: "button", class: "primary", "data-test": "mulligan-confirm", "data-key": "mulligan", disabled: !match.legal.mulligans.has(key) || match.busy, onclick: () => match.confirmMulligan() },
        n === 0 ? "Keep this hand" : `Replace ${n} card${n === 1 ? "" : "s"}`,
      ),
    );
  }
  controls.append(
    h(
      "button",
      { type: "button", class: match.legal.endTurn ? "primary end-turn" : "end-turn", "data-test": "end-turn", "data-key": "end-turn", disabled: !match.legal.endTurn || match.busy || !!match.outcome, onclick: () => match.endTurn() },
      "End turn",
    ),
    h(
      "div",
      { class: "emotes", role: "group", "aria-label": "Emotes" },
      EMOTES.map((emote) =>
        h("button", { type: "button", class: "small", "data-test": `emote-${emote}`, "data-key": `emote-${emote}`, disabled: !!match.outcome, onclick: () => match.emote(emote) }, emoteText(emote)),
      ),
    ),
    h(
      "button",
      { type: "button", class: "danger small", "data-test": "concede", "data-key": "concede", disabled: !!match.outcome || !match.game, onclick: () => dialog.showModal() },
      "Concede",
    ),
  );

  const mine = me ? place(match, me, "me") : undefined;
  const theirs = them ? place(match, them, "them") : undefined;
  replace(
    table,
    theirs ? heroPanel(match, theirs) : null,
    theirs ? boardRow(match, theirs) : null,
    notice(match, me),
    mine ? boardRow(match, mine) : null,
    mine ? heroPanel(match, mine) : null,
    handRow(match, mulligan),
    controls,
  );
}

/** The step buttons and the perspective of a replay. */
function replayControls(match: MatchController): HTMLElement[] {
  const shown = match.replay;
  if (!shown) return [];
  const go = (step: number) => () => void match.showStep(step);
  const button = (label: string, test: string, step: number, disabled: boolean, title: string) =>
    h("button", { type: "button", class: "small", "data-test": test, "data-key": test, disabled, title, "aria-label": title, onclick: go(step) }, label);
  const { step, steps } = shown;
  const current = replayViewOf(shown);
  const options: [ReplayView, string][] = [
    ...shown.players.map((p): [ReplayView, string] => [p.seat, `${p.name}'s view`]),
    ["public", "Public view"],
    ["full", "Everything"],
  ];
  const select = h(
    "select",
    {
      "data-test": "replay-view",
      "data-key": "replay-view",
      "aria-label": "Whose view",
      onchange: (event: Event) => {
        const value = (event.target as HTMLSelectElement).value;
        void match.showStep(step, value === "public" || value === "full" ? value : Number(value));
      },
    },
    options.map(([value, label]) => h("option", { value: String(value), selected: value === current }, label)),
  );
  return [
    button("◀◀", "replay-first", 0, step === 0, "First step"),
    button("◀", "replay-prev", step - 1, step === 0, "Previous step"),
    h("span", { class: "replay-step", "data-test": "replay-step", "data-step": step, "data-steps": steps, role: "status" }, `Step ${step} of ${steps}`),
    button("▶", "replay-next", step + 1, step === steps, "Next step"),
    button("▶▶", "replay-last", steps, step === steps, "Last step"),
    select,
  ];
}

/**
 * The hands a read-only screen shows, by seat: a replay step's (the chosen seat's, or every
 * one for "full"), or every one in an admin's full view of a live match.
 */
function revealedHands(match: MatchController): Map<number, HandCard[]> {
  const hands = new Map<number, HandCard[]>();
  const shown = match.replay;
  if (!shown) {
    for (const hand of match.view?.hands ?? []) hands.set(hand.seat, hand.cards);
    return hands;
  }
  if (shown.perspective === "seat" && shown.seat !== undefined) hands.set(shown.seat, shown.view?.hand ?? []);
  for (const hand of shown.hands) hands.set(hand.seat, hand.cards);
  return hands;
}

function revealedHand(match: MatchController, seat: number, cards: HandCard[]): HTMLElement {
  const name = match.names.playerName(seat);
  return h(
    "ul",
    { class: "hand revealed", "data-test": "replay-hand", "data-seat": seat, "aria-label": `${name}'s hand` },
    cards.length === 0 ? h("li", { class: "empty muted" }, `${name}'s hand is empty`) : null,
    cards.map((card) =>
      h(
        "li",
        {},
        h(
          "div",
          { class: "card in-hand", "data-test": "replay-hand-card", "data-card": card.card, "aria-label": cardLabel(match.catalogue.card(card.card), card.card, { cost: card.cost }) },
          cardFace(match.catalogue.card(card.card), card.card, { cost: card.cost }),
        ),
      ),
    ),
  );
}

/**
 * The spectator's table: the second seat on top, the first below; no hand, no controls. A
 * replay shows the hands its perspective may see.
 */
function renderSpectatorTable(table: HTMLElement, match: MatchController): void {
  const view = match.view;
  const replaying = match.replaying !== undefined;
  if (match.phase === "none" || (match.phase === "closed" && !view)) {
    replace(
      table,
      h(
        "div",
        { class: "panel", "data-test": "watch-unavailable" },
        h("p", { role: "alert" }, match.notice ?? "This match cannot be watched."),
        replaying
          ? h("button", { type: "button", class: "primary", "data-test": "back-home", onclick: () => navigate("home") }, "Back to lobby")
          : h("button", { type: "button", class: "primary", "data-test": "back-watch", onclick: () => navigate("watch") }, "Back to live matches"),
      ),
    );
    return;
  }
  if (!view) {
    replace(table, h("div", { class: "panel loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Loading the match…"));
    return;
  }
  const [bottom, top] = [...view.seats].sort((a, b) => a.seat - b.seat);
  const upper = top ? place(match, top, "top") : undefined;
  const lower = bottom ? place(match, bottom, "bottom") : undefined;
  const hands = revealedHands(match);
  const hand = (seat: SeatState | undefined) => {
    const cards = seat ? hands.get(seat.seat) : undefined;
    return seat && cards ? revealedHand(match, seat.seat, cards) : null;
  };
  replace(
    table,
    hand(top),
    upper ? heroPanel(match, upper) : null,
    upper ? boardRow(match, upper) : null,
    spectatorNotice(match),
    lower ? boardRow(match, lower) : null,
    lower ? heroPanel(match, lower) : null,
    hand(bottom),
  );
}

/** One seat where the screen shows it: its `data-test` suffix, its look, whose it is. */
interface Place {
  seat: SeatState;
  /** `me` and `them` for a player; `top` and `bottom` for a spectator. */
  key: "me" | "them" | "top" | "bottom";
  /** The player's own seat (a spectator has none). */
  mine: boolean;
  /** "You", or the player's name. */
  name: string;
  look: "me" | "them";
}

function place(match: MatchController, seat: SeatState, key: Place["key"]): Place {
  const mine = key === "me";
  return { seat, key, mine, name: mine ? "You" : match.names.playerName(seat.seat), look: key === "me" || key === "bottom" ? "me" : "them" };
}

function heroPanel(match: MatchController, where: Place): HTMLElement {
  const { seat, mine, name, key: side } = where;
  const targetable = match.targets.has(seat.hero);
  const emote = match.emotes.get(seat.seat);
  const armor = seat.armor > 0 ? `, ${seat.armor} armor` : "";
  return h(
    "div",
    { class: `hero-row ${where.look}`, "data-seat": seat.seat },
    h(
      "button",
      {
        type: "button",
        class: `hero${targetable ? " target" : ""}${seat.health <= seat.maxHealth / 3 ? " low" : ""}`,
        "data-test": `hero-${side}`,
        "data-entity": seat.hero,
        "data-key": `hero-${seat.hero}`,
        disabled: !targetable,
        "aria-label": `${mine ? "Your" : `${name}'s`} hero: ${seat.health} of ${seat.maxHealth} health${armor}${targetable ? ". Target" : ""}`,
        onclick: () => match.clickEntity(seat.hero, mine),
      },
      h("span", { class: "hero-name" }, name),
      h(
        "span",
        { class: "hero-vitals" },
        h("span", { class: "hero-health", "data-test": "hero-health" }, `♥ ${seat.health}/${seat.maxHealth}`),
        seat.armor > 0
          ? h("span", { class: "hero-armor", "data-test": "hero-armor", "data-armor": seat.armor, title: "Armor: damage to the hero takes it first" }, String(seat.armor), h("span", { class: "sr-only" }, " armor"))
          : null,
      ),
    ),
    heroPower(match, where),
    h(
      "dl",
      { class: "seat-stats" },
      h("dt", {}, "Moonlight"),
      h("dd", { "data-test": `moonlight-${side}` }, `${seat.moonlight}/${seat.maxMoonlight}`),
      h("dt", {}, "Hand"),
      h("dd", { "data-test": `hand-count-${side}` }, String(seat.hand.length)),
      h("dt", {}, "Deck"),
      h("dd", { "data-test": `deck-count-${side}` }, String(seat.deckCount)),
      seat.fatigue > 0 ? [h("dt", {}, "Fatigue"), h("dd", {}, String(seat.fatigue))] : null,
      seat.secrets > 0 ? [h("dt", {}, "Secrets"), h("dd", { "data-test": `secrets-${side}`, title: "Secrets set face down" }, String(seat.secrets))] : null,
    ),
    ownSecrets(match, where),
    match.spectating ? handBacks(where) : null,
    emote ? h("div", { class: "bubble", role: "status", "data-test": `emote-bubble-${side}` }, emoteText(emote)) : null,
  );
}

/**
 * The seat's hero power by its hero: for the player, a button (name and cost) offered only
 * when the server lists it, aimed like a card when it asks for a target; for anyone else,
 * what it is and whether it was used this turn.
 */
function heroPower(match: MatchController, where: Place): HTMLElement | null {
  const id = where.seat.heroPower;
  if (id === undefined) return null;
  const def = match.catalogue.card(id);
  const name = def?.name ?? id;
  const cost = def?.cost;
  const used = where.seat.heroPowerUsed;
  const face = [
    cost !== undefined ? h("span", { class: "cost", title: "Moonlight cost", "data-test": "card-cost" }, String(cost)) : null,
    h("span", { class: "power-text" }, h("span", { class: "power-name" }, name), h("span", { class: "power-kind" }, used ? "Hero power · used" : "Hero power")),
  ];
  const label = `${where.mine ? "Your" : `${where.name}'s`} hero power: ${name}${cost !== undefined ? `, ${cost} moonlight` : ""}${def?.text ? `. ${def.text}` : ""}${used ? ". Used this turn" : ""}`;
  if (!where.mine || match.spectating) {
    return h("div", { class: `hero-power${used ? " used" : ""}`, "data-test": `hero-power-${where.key}`, "data-card": id, "data-used": String(used), title: def?.text || undefined, "aria-label": label }, face);
  }
  const usable = match.legal.power.size > 0;
  const selected = match.selection?.kind === "power";
  const classes = ["hero-power", usable ? "usable" : "", selected ? "selected" : "", used ? "used" : ""];
  return h(
    "button",
    {
      type: "button",
      class: classes.filter(Boolean).join(" "),
      "data-test": `hero-power-${where.key}`,
      "data-card": id,
      "data-used": String(used),
      "data-key": "hero-power",
      "aria-pressed": usable ? String(selected) : undefined,
      disabled: !usable || match.busy || !!match.outcome,
      title: def?.text || undefined,
      "aria-label": `${label}${usable ? ". Usable" : ""}`,
      onclick: () => match.clickPower(),
    },
    face,
  );
}

/**
 * The viewer's own secrets, by name (everyone else sees only how many); in a replay, those
 * of the seat whose view it shows.
 */
function ownSecrets(match: MatchController, where: Place): HTMLElement | null {
  const secrets = where.seat.seat === match.seat ? (match.view?.ownSecrets ?? []) : [];
  if (secrets.length === 0) return null;
  const label = where.mine ? "Your secrets" : `${where.name}'s secrets`;
  return h(
    "ul",
    { class: "own-secrets", "data-test": "own-secrets", "aria-label": label },
    h("li", { class: "muted" }, `${label}:`),
    secrets.map((card) => {
      const def = match.catalogue.card(card);
      return h("li", { class: "secret", "data-test": "own-secret", "data-card": card, title: def?.text || undefined }, def?.name ?? card);
    }),
  );
}

/** A spectator sees how many cards a player holds, never which: face-down cards. */
function handBacks(where: Place): HTMLElement {
  const count = where.seat.hand.length;
  return h(
    "ul",
    { class: "hand-backs", "data-test": `hand-backs-${where.key}`, "data-count": count, "aria-label": `${where.name}'s hand: ${count} card${count === 1 ? "" : "s"}` },
    Array.from({ length: count }, () => h("li", { class: "card-back", "aria-hidden": "true" })),
  );
}

function boardRow(match: MatchController, where: Place): HTMLElement {
  const { seat, mine, key: side } = where;
  const label = mine ? "Your board" : match.spectating ? `${where.name}'s board` : "Opponent's board";
  return h(
    "ul",
    { class: `board ${where.look}`, "data-test": `board-${side}`, "aria-label": label },
    seat.board.length === 0 ? h("li", { class: "empty muted" }, mine ? "Your board is empty" : "No units") : null,
    seat.board.map((unit) => h("li", {}, unitButton(match, unit, mine))),
  );
}

function unitButton(match: MatchController, unit: Unit, mine: boolean): HTMLElement {
  const def = match.catalogue.card(unit.card);
  const canAttack = mine && match.legal.attacks.has(unit.id);
  const target = match.targets.has(unit.id);
  const selected = match.selection?.kind === "attacker" && match.selection.id === unit.id;
  const options = { attack: unit.attack, health: unit.health, maxHealth: unit.maxHealth, keywords: unit.keywords, compact: true };
  const classes = ["card", "unit", canAttack ? "can-attack" : "", target ? "target" : "", selected ? "selected" : "", unit.silenced ? "silenced" : "", unit.frozen ? "frozen" : "", !unit.ready && mine ? "sleeping" : ""];
  return h(
    "button",
    {
      type: "button",
      class: classes.filter(Boolean).join(" "),
      "data-test": "unit",
      "data-entity": unit.id,
      "data-card": unit.card,
      "data-key": `unit-${unit.id}`,
      "data-frozen": unit.frozen ? "true" : undefined,
      "aria-pressed": mine && canAttack ? String(selected) : undefined,
      disabled: !(canAttack || target) || match.busy,
      title: def?.text || undefined,
      "aria-label": `${cardLabel(def, unit.card, options)}${unit.frozen ? ". Frozen" : ""}${canAttack ? ". Can attack" : ""}${target ? ". Target" : ""}`,
      onclick: () => match.clickEntity(unit.id, mine),
    },
    cardFace(def, unit.card, options),
    unit.frozen ? h("span", { class: "ribbon frozen-ribbon", "data-test": "frozen", "aria-hidden": "true" }, "Frozen") : null,
  );
}

function handRow(match: MatchController, mulligan: boolean): HTMLElement {
  const hand = match.view?.hand ?? [];
  return h(
    "ul",
    { class: "hand", "data-test": "hand", "aria-label": "Your hand" },
    hand.length === 0 ? h("li", { class: "empty muted" }, "Your hand is empty") : null,
    hand.map((card) => {
      const def = match.catalogue.card(card.card);
      const playable = !mulligan && match.legal.plays.has(card.handle);
      const pickable = mulligan && match.legal.mulliganable.has(card.handle);
      const selected = match.selection?.kind === "hand" && match.selection.id === card.handle;
      const giveBack = pickable && match.mulligan.has(card.handle);
      const classes = ["card", "in-hand", playable ? "playable" : "", selected ? "selected" : "", giveBack ? "give-back" : ""];
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: classes.filter(Boolean).join(" "),
            "data-test": "hand-card",
            "data-handle": card.handle,
            "data-card": card.card,
            "data-key": `hand-${card.handle}`,
            "aria-pressed": playable || pickable ? String(selected || giveBack) : undefined,
            disabled: !(playable || pickable) || match.busy,
            "aria-label": `${cardLabel(def, card.card, { cost: card.cost })}${playable ? ". Playable" : ""}${giveBack ? ". To be replaced" : ""}`,
            onclick: () => match.clickHand(card.handle),
          },
          cardFace(def, card.card, { cost: card.cost }),
          giveBack ? h("span", { class: "ribbon" }, "Replace") : null,
        ),
      );
    }),
  );
}

function notice(match: MatchController, me: SeatState | undefined): HTMLElement {
  const view = match.view!;
  let text = "";
  const extra: HTMLElement[] = [];
  const sel = match.selection;
  if (match.outcome) text = outcomeText(match.outcome, match.names);
  else if (match.legal.mulligans.size > 0) text = "Choose the cards to put back into your deck (click them), then confirm.";
  else if (me?.choosingOpeningHand === false && view.seats.some((s) => s.choosingOpeningHand)) text = `Waiting for ${match.opponentName()} to choose an opening hand…`;
  else if (sel && sel.kind !== "attacker") {
    const card = sel.kind === "hand" ? (view.hand.find((c) => c.handle === sel.id)?.card ?? "") : (me?.heroPower ?? "");
    const what = sel.kind === "hand" ? match.names.card(card) : `your hero power (${match.names.card(card)})`;
    const byChoice = sel.kind === "hand" ? match.legal.plays.get(sel.id) : match.legal.power;
    if (match.choosing) {
      text = `Choose one for ${what} (Escape cancels):`;
      extra.push(choiceButtons(match, card, choicesOf(byChoice)));
    } else {
      const chosen = sel.choice !== undefined ? ` (${choiceText(match.catalogue.card(card), sel.choice)})` : "";
      text = `Choose a target for ${what}${chosen} (Escape cancels).`;
      if (byChoice?.get(sel.choice)?.has(undefined)) {
        extra.push(h("button", { type: "button", class: "small", "data-test": "play-untargeted", onclick: () => match.playUntargeted() }, sel.kind === "hand" ? "Play without a target" : "Use without a target"));
      }
    }
  } else if (sel?.kind === "attacker") text = "Choose what to attack (Escape cancels).";
  else if (match.myTurn) text = `Your turn: play a card,${me?.heroPower !== undefined ? " use your hero power," : ""} attack with a ready unit, or end your turn.`;
  else text = `${match.names.playerName(view.activeSeat)} is playing…`;
  if (match.phase === "closed") {
    extra.push(h("button", { type: "button", class: "small primary", "data-test": "rejoin", onclick: () => { leaveMatch(); navigate("play"); } }, "Rejoin the match"));
  }
  if (sel) extra.push(h("button", { type: "button", class: "small", "data-test": "cancel-selection", onclick: () => match.select(undefined) }, "Cancel"));
  return h(
    "div",
    { class: "notice", "data-test": "notice" },
    h("p", { role: "status" }, text),
    match.notice ? h("p", { class: "warn-text", role: "alert", "data-test": "match-error" }, match.notice) : null,
    extra,
  );
}

/**
 * One button per option of a "choose one" card or power, in its own words ("Gain 3 armor");
 * an option the server does not list now (nothing to aim it at) is shown disabled.
 */
function choiceButtons(match: MatchController, card: string, offered: number[]): HTMLElement {
  const def = match.catalogue.card(card);
  const count = Math.max(choiceTexts(def).length, ...offered.map((c) => c + 1));
  return h(
    "div",
    { class: "choices", role: "group", "aria-label": "Choose one", "data-test": "choices" },
    Array.from({ length: count }, (_, choice) =>
      h(
        "button",
        {
          type: "button",
          class: offered.includes(choice) ? "small primary" : "small",
          "data-test": "choice-option",
          "data-choice": choice,
          "data-key": `choice-${choice}`,
          disabled: !offered.includes(choice) || match.busy,
          onclick: () => match.choose(choice),
        },
        choiceText(def, choice),
      ),
    ),
  );
}

function spectatorNotice(match: MatchController): HTMLElement {
  const view = match.view!;
  const choosing = view.seats.filter((s) => s.choosingOpeningHand).map((s) => match.names.playerName(s.seat));
  let text: string;
  if (match.outcome) text = outcomeText(match.outcome, match.names);
  else if (choosing.length > 0) text = `Opening hands: waiting for ${choosing.join(" and ")}…`;
  else text = `${match.names.playerName(view.activeSeat)} is playing…`;
  const extra: HTMLElement[] = [];
  if (match.phase === "closed" && match.watching !== undefined) {
    const again = watchHash(match.watching);
    extra.push(h("button", { type: "button", class: "small primary", "data-test": "rewatch", onclick: () => navigateHash(again) }, "Watch again"));
  }
  return h(
    "div",
    { class: "notice", "data-test": "notice" },
    h("p", { role: "status" }, text),
    match.notice ? h("p", { class: "warn-text", role: "alert", "data-test": "match-error" }, match.notice) : null,
    extra,
  );
}

/** "Share this match: <link>", once the lobby says anyone may watch it. */
function renderShare(host: HTMLElement, match: MatchController): void {
  const url = match.shareUrl;
  if (!url || host.dataset.url === url) return;
  host.dataset.url = url;
  host.hidden = false;
  replace(
    host,
    "Share this match: ",
    h("a", { href: url, "data-test": "share-link" }, url),
    " ",
    h(
      "button",
      { type: "button", class: "small", "data-test": "share-copy", onclick: () => navigator.clipboard?.writeText(url).catch(() => undefined) },
      "Copy link",
    ),
  );
}

function renderOverlay(host: HTMLElement, match: MatchController): void {
  const outcome = match.outcome;
  if (!outcome) {
    replace(host);
    return;
  }
  if (match.replaying !== undefined) {
    // The notice says how it ended; the steps stay in reach.
    replace(host);
    return;
  }
  if (match.spectating) {
    renderSpectatorOverlay(host, match, outcome);
    return;
  }
  if (host.querySelector("[data-test=game-over]") && host.dataset.rating === ratingKey(match)) return;
  host.dataset.rating = ratingKey(match);
  const seat = match.seat;
  const won = seat !== undefined && outcome.winners.includes(seat);
  const title = outcome.reason === "no_contest" ? "No contest" : outcome.winners.length === 0 ? "Draw" : won ? "Victory" : "Defeat";
  const first = !host.firstChild;
  const back = h(
    "button",
    { type: "button", class: "primary", "data-test": "back-home", onclick: () => { leaveMatch(); navigate("home"); } },
    "Back to lobby",
  );
  replace(
    host,
    h(
      "div",
      { class: "overlay", role: "dialog", "aria-modal": "false", "aria-labelledby": "game-over-title", "data-test": "game-over", "data-outcome": title.toLowerCase().replace(" ", "_") },
      h(
        "div",
        { class: `panel game-over ${won ? "won" : ""}` },
        h("h2", { id: "game-over-title", "data-test": "game-over-title" }, title),
        h("p", { "data-test": "game-over-reason" }, `The match is over: ${reasonText(outcome.reason)}.`),
        h("p", { class: "rating", "data-test": "rating-change" }, ratingText(match)),
        h("p", { class: "muted" }, `${match.view?.turn ?? 0} turns played.`),
        h(
          "div",
          { class: "row" },
          back,
          // Once the lobby has the match (its rating line says so), it has its replay too.
          typeof match.rating === "object" && match.match
            ? h("a", { class: "button", href: replayHash(match.match.room_id), "data-test": "watch-replay", onclick: () => leaveMatch() }, "Watch the replay")
            : null,
        ),
      ),
    ),
  );
  if (first) back.focus();
}

/** The end, for a spectator: who won, why; back to the live matches. */
function renderSpectatorOverlay(host: HTMLElement, match: MatchController, outcome: Outcome): void {
  if (host.querySelector("[data-test=game-over]")) return;
  const title =
    outcome.reason === "no_contest"
      ? "No contest"
      : outcome.winners.length === 0
        ? "Draw"
        : `${outcome.winners.map((seat) => match.names.playerName(seat)).join(" and ")} ${outcome.winners.length === 1 ? "wins" : "win"}`;
  const back = h("button", { type: "button", class: "primary", "data-test": "back-watch", onclick: () => navigate("watch") }, "Back to live matches");
  replace(
    host,
    h(
      "div",
      { class: "overlay", role: "dialog", "aria-modal": "false", "aria-labelledby": "game-over-title", "data-test": "game-over", "data-outcome": outcome.reason === "no_contest" ? "no_contest" : outcome.winners.length === 0 ? "draw" : "won" },
      h(
        "div",
        { class: "panel game-over won" },
        h("h2", { id: "game-over-title", "data-test": "game-over-title" }, title),
        h("p", { "data-test": "game-over-reason" }, `The match is over: ${reasonText(outcome.reason)}.`),
        h("p", { class: "muted" }, `${match.view?.turn ?? 0} turns played.`),
        back,
      ),
    ),
  );
  back.focus();
}

function ratingKey(match: MatchController): string {
  return typeof match.rating === "object" ? `${match.rating.before}-${match.rating.after}` : String(match.rating);
}

function ratingText(match: MatchController): string {
  const rating = match.rating;
  if (rating === "pending" || rating === undefined) return "Recording the result…";
  if (rating === "unknown") return "The result is not recorded yet; see your profile later.";
  const before = rating.before !== undefined ? Math.round(rating.before) : undefined;
  const after = rating.after !== undefined ? Math.round(rating.after) : undefined;
  if (rating.kind === "quick" && before !== undefined && after !== undefined) {
    const delta = after - before;
    return `Rating ${before} → ${after} (${delta >= 0 ? "+" : ""}${delta})`;
  }
  const kind = rating.kind === "practice" ? "Practice match" : rating.kind === "private" ? "Private match" : "This match";
  return `${kind}: unrated.${after !== undefined ? ` Your rating stays ${after}.` : ""}`;
}

function concedeDialog(match: MatchController): HTMLDialogElement {
  const dialog: HTMLDialogElement = h(
    "dialog",
    { class: "panel", "data-test": "concede-dialog", "aria-labelledby": "concede-title" },
    h("h2", { id: "concede-title" }, "Concede the match?"),
    h("p", {}, "You lose the match at once."),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", "data-test": "concede-cancel", autofocus: true, onclick: () => dialog.close() }, "Keep playing"),
      h("button", { type: "button", class: "danger", "data-test": "concede-confirm", onclick: () => { dialog.close(); match.concede(); } }, "Concede"),
    ),
  );
  return dialog;
}
