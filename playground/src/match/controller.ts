// One match as the page plays it: the game connection (the SDK's: Hello or Resume,
// acknowledgements, reconnects), what the board shows (view, legal actions, the player's
// selection), the event log, emotes, and at the end the outcome and the rating change. It
// outlives the match screen (a visit to the gallery keeps the match and its log); the
// screen subscribes to it and renders.
//
// The same controller watches someone else's match (`#/watch/<id>`): a spectator's
// connection from the lobby's watch ticket (no seat, no hand, no legal actions; it reconnects
// through `watch`), read-only, disposed with its screen. And a finished one step by step
// (`#/replay/<id>`): each step from the lobby's replay, as the chosen perspective saw it.
import type { App } from "../app.ts";
import type { Catalogue } from "../catalogue.ts";
import { errorText } from "../dom.ts";
import { watchLink } from "../router.ts";
import {
  ActionRejectedError,
  ConnectionClosedError,
  MoonlightError,
  type ActionKind,
  type GameConnection,
  type GameEvent,
  type MatchRecord,
  type MatchTicket,
  type Outcome,
  type ReplayStep,
  type ReplayView,
  type View,
} from "../sdk.ts";
import { markFinished } from "./finished.ts";
import {
  awaitingChoice,
  choicesOf,
  hasTargets,
  indexLegal,
  mulliganKey,
  optionsOf,
  stillLegal,
  targetsOf,
  type ByChoice,
  type LegalIndex,
  type Selection,
} from "./legal.ts";
import { describe, type LogLine } from "./log.ts";
import { Names } from "./names.ts";

export type Phase = "loading" | "none" | "playing" | "over" | "closed";

/** How an admin watches: the public view, or every hand (with the reason the audit log keeps). */
export interface AdminWatch {
  fullView: boolean;
  reason?: string;
}

export interface RatingResult {
  kind: string;
  result: string;
  before: number | undefined;
  after: number | undefined;
}

const LOG_LIMIT = 300;

export class MatchController {
  phase: Phase = "loading";
  game: GameConnection | undefined;
  match: MatchTicket | undefined;
  view: View | undefined;
  legal: LegalIndex = indexLegal([]);
  selection: Selection | undefined;
  /** Hand handles picked to give back in the mulligan. */
  mulligan = new Set<number>();
  readonly log: LogLine[] = [];
  /** Lines dropped off the front of `log` (so a view appending lines can keep count). */
  logDropped = 0;
  /** Seat → the emote it shows now. */
  readonly emotes = new Map<number, string>();
  reconnecting = false;
  /** A short message about the last thing that went wrong (a refused action...). */
  notice: string | undefined;
  outcome: Outcome | undefined;
  rating: RatingResult | undefined | "pending" | "unknown";
  /** When the current turn (or the opening-hand choice) ends by itself: the server's turn timer. */
  turnEndsAt: number | undefined;
  readonly names: Names;
  /** Where anyone may watch this match (`#/watch/<id>`), once the lobby lists it as watchable. */
  shareUrl: string | undefined;

  private readonly listeners = new Set<() => void>();
  private ratingBefore: number | undefined;
  private emoteTimers = new Map<number, ReturnType<typeof setTimeout>>();
  private disposed = false;

  /** The replay step shown now (`#/replay/<id>`). */
  replay: ReplayStep | undefined;

  /**
   * `watching`: the id of a match to watch as a spectator; `replaying`: the id of a finished
   * match to replay; without either, the controller plays the signed-in player's own match.
   * `asAdmin`: watching through the operator's API (any match; with `fullView`, every hand).
   */
  constructor(
    private readonly app: App,
    readonly watching?: string,
    readonly replaying?: string,
    readonly asAdmin?: AdminWatch,
  ) {
    this.names = new Names(app.catalogue, undefined);
  }

  /** Watching someone else's match, or a replay: read-only. */
  get spectating(): boolean {
    return this.watching !== undefined || this.replaying !== undefined;
  }

  get catalogue(): Catalogue {
    return this.app.catalogue;
  }

  get seat(): number | undefined {
    return this.replaying !== undefined ? this.replay?.seat : this.game?.seat;
  }

  get busy(): boolean {
    return (this.game?.pendingActions ?? 0) > 0;
  }

  get myTurn(): boolean {
    return this.view !== undefined && this.view.activeSeat === this.seat && this.view.turn > 0;
  }

  /** Targets of the current selection. */
  get targets(): Set<number> {
    return targetsOf(this.legal, this.selection);
  }

  /** The selected card or hero power says "choose one" and waits for an option. */
  get choosing(): boolean {
    return awaitingChoice(this.legal, this.selection);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Asks the lobby where the player's match is, and joins it (a Hello: a Welcome comes back);
   * or, watching, asks the lobby for a spectator's ticket and opens it.
   */
  async start(): Promise<void> {
    if (this.watching !== undefined) return this.startWatching(this.watching);
    const client = this.app.session.client;
    this.phase = "loading";
    this.changed();
    let status;
    try {
      status = await client.status();
    } catch (error) {
      this.phase = "none";
      this.notice = errorText(error);
      this.changed();
      return;
    }
    if (this.disposed) return;
    if (status.state !== "in_match" || !status.match) {
      this.phase = "none";
      this.changed();
      return;
    }
    this.match = status.match;
    client.profile().then(
      (profile) => (this.ratingBefore ??= profile.rating),
      () => undefined,
    );
    const game = client.game(status.match, { clientName: "moonlight-playground" });
    this.game = game;
    game.on("*", (event) => this.onEvent(event));
    this.phase = "playing";
    this.changed();
    game.connect().catch(() => undefined); // a final failure arrives as the "closed" event
    void this.findShareUrl(status.match.room_id);
  }

  /**
   * Shows step `step` of the replay as `view` sees it (by default, the perspective shown
   * now; at first the lobby's default: the player's own seat, or the public view).
   */
  async showStep(step: number, view?: ReplayView): Promise<void> {
    const matchId = this.replaying;
    if (matchId === undefined) return;
    const current = this.replay;
    const perspective = view ?? (current ? replayViewOf(current) : undefined);
    this.phase = current ? this.phase : "loading";
    this.changed();
    let shown: ReplayStep;
    try {
      const client = this.app.session.client;
      shown = this.asAdmin
        ? await client.admin.replay(matchId, { step, view: perspective })
        : await client.replay(matchId, { step, view: perspective });
    } catch (error) {
      if (this.disposed) return;
      this.phase = "none";
      this.notice = replayRefusal(error);
      this.changed();
      return;
    }
    if (this.disposed) return;
    this.replay = shown;
    this.phase = "playing";
    this.notice = undefined;
    this.names.setPlayers(shown.players, undefined);
    this.view = shown.view;
    this.names.absorb(shown.view);
    this.outcome = shown.view?.outcome;
    // The log shows what this step did.
    this.logDropped += this.log.length;
    this.log.length = 0;
    if (shown.step === 0) this.push({ kind: "joined", text: "The deal: each player chooses an opening hand.", side: "" });
    for (const e of shown.events) {
      const line = describe(e, this.names);
      if (line) this.push(line);
    }
    this.changed();
  }

  private async startWatching(matchId: string): Promise<void> {
    const client = this.app.session.client;
    this.phase = "loading";
    this.changed();
    const admin = this.asAdmin;
    let ticket;
    try {
      ticket = admin ? await client.admin.watch(matchId, admin) : await client.watch(matchId);
    } catch (error) {
      if (this.disposed) return;
      this.phase = "none";
      this.notice = watchRefusal(error);
      this.changed();
      return;
    }
    if (this.disposed) return;
    if (!admin) this.shareUrl = watchLink(matchId);
    const game = client.spectate(ticket, {
      clientName: "moonlight-playground",
      // An admin's reconnect asks the admin API again, for the same view (audited again).
      ...(admin ? { tickets: client.admin.ticketProvider(matchId, admin) } : {}),
    });
    this.game = game;
    game.on("*", (event) => this.onEvent(event));
    this.phase = "playing";
    this.changed();
    game.connect().catch(() => undefined);
  }

  /**
   * The player's match may be watched (quick and practice matches, public rooms') if the
   * lobby lists it live: then it has a link to share. (Asking for a watch ticket would tell
   * too, but a private room's match answers 404, which the browser logs as an error.)
   */
  private async findShareUrl(roomId: string): Promise<void> {
    for (let attempt = 0; attempt < 3 && !this.disposed; attempt++) {
      try {
        const live = await this.app.session.client.liveMatches(50);
        if (this.disposed) return;
        if (live.some((m) => m.match_id === roomId)) {
          this.shareUrl = watchLink(roomId);
          this.changed();
        }
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  private onEvent(event: GameEvent): void {
    if (this.disposed) return;
    const game = this.game!;
    switch (event.type) {
      case "welcome":
        this.names.setPlayers(event.welcome.players, event.welcome.seat);
        this.reconnecting = false;
        if (this.spectating) {
          const players = event.welcome.players.map((p) => p.name).join(" vs ");
          this.push({ kind: "joined", text: event.resumed ? "Back to the match." : `Watching ${players}.`, side: "" });
        } else {
          this.push({
            kind: "joined",
            text: event.resumed ? "Back in the match." : `Joined the match against ${this.opponentName()}.`,
            side: "",
          });
        }
        break;
      case "update":
        for (const e of event.update.events) {
          const line = describe(e, this.names);
          if (line) this.push(line);
        }
        break;
      case "resumed":
        this.reconnecting = false;
        if (event.missed > 0) this.push({ kind: "resumed", text: "Reconnected.", side: "" });
        break;
      case "rejected":
        this.notice = `Refused: ${event.rejection.message || event.rejection.reason}`;
        break;
      case "emoted":
        this.showEmote(event.emoted.seat, event.emoted.emote);
        break;
      case "disconnected":
        if (event.willReconnect) this.reconnecting = true;
        break;
      case "reconnecting":
        this.reconnecting = true;
        break;
      case "serverError":
        this.notice = event.error.message || event.error.code;
        break;
      case "gameOver":
        this.finish(event.outcome);
        break;
      case "closed":
        this.reconnecting = false;
        if (!this.outcome) {
          this.phase = "closed";
          this.notice = `The connection closed: ${event.reason || event.code}`;
        }
        break;
      default:
        break;
    }
    this.adopt(game);
    this.changed();
  }

  /** The connection's current view and legal actions become the board's. */
  private adopt(game: GameConnection): void {
    if (game.view && game.view !== this.view) {
      this.view = game.view;
      this.names.absorb(game.view);
    }
    this.legal = indexLegal(game.legalActions);
    this.turnEndsAt = game.turnEndsAt;
    // A selection that is no longer legal (the turn ended, the card left the hand) goes.
    const sel = this.selection;
    if (sel && !stillLegal(this.legal, sel)) this.selection = undefined;
    if (this.legal.mulligans.size === 0) this.mulligan.clear();
    for (const handle of this.mulligan) if (!this.legal.mulliganable.has(handle)) this.mulligan.delete(handle);
  }

  private push(line: LogLine): void {
    this.log.push(line);
    if (this.log.length > LOG_LIMIT) {
      this.log.shift();
      this.logDropped++;
    }
  }

  opponentName(): string {
    const other = this.game?.players.find((p) => p.seat !== this.seat);
    return other ? other.name : "your opponent";
  }

  // ---------------------------------------------------------------- what the player does

  /** Sends one of the legal actions; one at a time. */
  act(action: ActionKind | undefined): void {
    const game = this.game;
    if (!game || !action || this.busy || this.outcome) return;
    this.selection = undefined;
    this.notice = undefined;
    game.act(action).then(
      () => this.changed(),
      (error: unknown) => {
        if (error instanceof ActionRejectedError) return; // shown by the "rejected" event
        if (error instanceof ConnectionClosedError && this.outcome) return;
        this.notice = errorText(error);
        this.changed();
      },
    );
    this.changed();
  }

  /** A click on a card in hand. */
  clickHand(handle: number): void {
    if (this.legal.mulligans.size > 0) {
      if (!this.legal.mulliganable.has(handle)) return;
      if (this.mulligan.has(handle)) this.mulligan.delete(handle);
      else this.mulligan.add(handle);
      this.changed();
      return;
    }
    const plays = this.legal.plays.get(handle);
    if (!plays || this.busy) return;
    if (this.selection?.kind === "hand" && this.selection.id === handle) {
      this.select(undefined);
      return;
    }
    this.begin({ kind: "hand", id: handle }, plays);
  }

  /** A click on the hero power. */
  clickPower(): void {
    if (this.busy || this.legal.power.size === 0) return;
    if (this.selection?.kind === "power") {
      this.select(undefined);
      return;
    }
    this.begin({ kind: "power" }, this.legal.power);
  }

  /**
   * A card or the power picked: "choose one" waits for the option; one that asks for a
   * target waits for it; anything else is done at once.
   */
  private begin(selection: Extract<Selection, { kind: "hand" | "power" }>, byChoice: ByChoice): void {
    if (choicesOf(byChoice).length > 0) {
      this.select(selection);
      return;
    }
    const plain = byChoice.get(undefined);
    if (hasTargets(plain)) this.select(selection);
    else this.act(plain?.get(undefined));
  }

  /** The option of the selected "choose one" card or power: then its target, if it has one. */
  choose(choice: number): void {
    const sel = this.selection;
    if (this.busy || !sel || sel.kind === "attacker") return;
    const picked = { ...sel, choice };
    const byTarget = optionsOf(this.legal, picked);
    if (!byTarget) return;
    if (hasTargets(byTarget)) this.select(picked);
    else this.act(byTarget.get(undefined));
  }

  /** A click on a unit or a hero. */
  clickEntity(id: number, mine: boolean): void {
    if (this.busy) return;
    const sel = this.selection;
    if (sel && this.targets.has(id)) {
      this.act(optionsOf(this.legal, sel)?.get(id));
      return;
    }
    if (mine && this.legal.attacks.has(id)) {
      this.select(sel?.kind === "attacker" && sel.id === id ? undefined : { kind: "attacker", id });
    }
  }

  /** The selected hand card (or power), played without a target (when the server lists that too). */
  playUntargeted(): void {
    const sel = this.selection;
    if (sel && sel.kind !== "attacker" && !this.choosing) this.act(optionsOf(this.legal, sel)?.get(undefined));
  }

  select(selection: Selection | undefined): void {
    this.selection = selection;
    this.notice = undefined;
    this.changed();
  }

  endTurn(): void {
    this.act(this.legal.endTurn);
  }

  confirmMulligan(): void {
    this.act(this.legal.mulligans.get(mulliganKey(this.mulligan)));
  }

  concede(): void {
    const game = this.game;
    if (!game || this.outcome) return;
    game.concede().catch((error: unknown) => {
      if (this.outcome) return;
      this.notice = errorText(error);
      this.changed();
    });
  }

  emote(name: string): void {
    if (!this.game?.emote(name)) {
      this.notice = "Not connected: the emote was not sent.";
      this.changed();
    }
  }

  private showEmote(seat: number, emote: string): void {
    this.emotes.set(seat, emote);
    this.push({ kind: "emote", text: `${this.names.seat(seat)}: “${emoteText(emote)}”`, side: this.names.side(seat) });
    clearTimeout(this.emoteTimers.get(seat));
    this.emoteTimers.set(
      seat,
      setTimeout(() => {
        this.emotes.delete(seat);
        this.changed();
      }, 4000),
    );
  }

  // ---------------------------------------------------------------- the end

  private finish(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.phase = "over";
    this.selection = undefined;
    if (this.spectating) return; // not the spectator's result: no rating to show
    if (this.match) markFinished(this.match.room_id);
    this.rating = "pending";
    void this.fetchRating();
  }

  /** The lobby records the result and settles ratings within a few seconds: ask until then. */
  private async fetchRating(): Promise<void> {
    const client = this.app.session.client;
    const roomId = this.match?.room_id;
    for (let attempt = 0; attempt < 20 && !this.disposed && roomId; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 500 : 1000));
      let record: MatchRecord | undefined;
      try {
        record = (await client.matchHistory({ limit: 5 })).matches.find((m) => m.match_id === roomId);
      } catch {
        continue;
      }
      const me = record?.players.find((p) => p.seat === this.seat);
      if (!record || !me) continue;
      const rated = record.kind === "quick" && record.reason !== "no_contest";
      if (rated && (me.rating_after === null || me.rating_after === undefined)) continue;
      this.rating = {
        kind: record.kind,
        result: me.result,
        before: me.rating_before ?? this.ratingBefore,
        after: me.rating_after ?? this.ratingBefore,
      };
      this.changed();
      return;
    }
    if (!this.disposed) {
      this.rating = "unknown";
      this.changed();
    }
  }

  /** Closes the connection for good (leaving the match screen after the end, signing out). */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.emoteTimers.values()) clearTimeout(timer);
    this.game?.close();
    this.listeners.clear();
  }
}

/** The perspective a replay step was shown from, to ask for the next one the same way. */
export function replayViewOf(step: ReplayStep): ReplayView {
  return step.perspective === "seat" && step.seat !== undefined ? step.seat : step.perspective === "full" ? "full" : "public";
}

/** Why the lobby gave no replay, for people. */
function replayRefusal(error: unknown): string {
  if (error instanceof MoonlightError && error.code === "unknown_match") {
    return "There is no replay of this match: it is not over yet, there is no such match, or it is a private room's (only its players see those).";
  }
  if (error instanceof MoonlightError && error.code === "no_replay") {
    return "This match ended before anyone played: there is nothing to replay.";
  }
  return `The replay cannot be shown right now: ${errorText(error)}`;
}

/** Why the lobby gave no spectator's ticket, for people. */
function watchRefusal(error: unknown): string {
  if (error instanceof MoonlightError && error.code === "unknown_match") {
    return "This match cannot be watched: there is no such match, or it is a private room's (only its players see those).";
  }
  if (error instanceof MoonlightError && error.code === "match_over") {
    return "This match is over: there is nothing left to watch.";
  }
  return `The match cannot be watched right now: ${errorText(error)}`;
}

export const EMOTES = ["greetings", "well_played", "thanks", "oops", "threaten"] as const;

const EMOTE_TEXT: Record<string, string> = {
  greetings: "Greetings!",
  well_played: "Well played!",
  thanks: "Thanks!",
  oops: "Oops!",
  threaten: "The moon is mine!",
};

export function emoteText(emote: string): string {
  return EMOTE_TEXT[emote] ?? emote.replace(/_/g, " ");
}

// ---------------------------------------------------------------- the one match of the tab

let current: MatchController | undefined;

/** The tab's match controller, started if there is none (or the last one is done). */
export function currentMatch(app: App): MatchController {
  if (!current || current.phase === "none" || current.phase === "closed") {
    current?.dispose();
    current = new MatchController(app);
    void current.start();
  }
  return current;
}

/** Forgets the tab's match (after its end, or at sign-out). */
export function leaveMatch(): void {
  current?.dispose();
  current = undefined;
}
