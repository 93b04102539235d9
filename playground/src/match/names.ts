// Names for what the wire identifies by number: seats ("You", the opponent's name), heroes
// and units (their card's name from the catalogue). Units are remembered after they leave the
// board, so the events that kill them still read well.
import { choiceText, type Catalogue } from "../catalogue.ts";
import type { Player, View } from "../sdk.ts";

export class Names {
  private units = new Map<number, { card: string; seat: number }>();
  private heroes = new Map<number, number>();
  private players = new Map<number, string>();
  /** The seat shown at the bottom of the table: the player's own, or a spectator's first seat. */
  private bottomSeat: number | undefined;

  constructor(
    private readonly catalogue: Catalogue,
    private mySeat: number | undefined,
  ) {}

  setPlayers(players: readonly Player[], mySeat: number | undefined): void {
    this.mySeat = mySeat;
    for (const player of players) this.players.set(player.seat, player.name);
    this.bottomSeat = mySeat ?? Math.min(...players.map((p) => p.seat));
  }

  absorb(view: View | undefined): void {
    for (const seat of view?.seats ?? []) {
      this.heroes.set(seat.hero, seat.seat);
      for (const unit of seat.board) this.units.set(unit.id, { card: unit.card, seat: seat.seat });
    }
  }

  /** A unit that entered the board (summoned, transformed). */
  unit(id: number, card: string, seat: number | undefined): void {
    const known = this.units.get(id);
    this.units.set(id, { card, seat: seat ?? known?.seat ?? -1 });
  }

  /** A unit that changed sides. */
  moveUnit(id: number, seat: number): void {
    const known = this.units.get(id);
    if (known) known.seat = seat;
  }

  isMe(seat: number): boolean {
    return seat === this.mySeat;
  }

  /** The colour of a seat's doings: "me" for the bottom of the table, "them" for the top. */
  side(seat: number): "me" | "them" {
    return seat === (this.mySeat ?? this.bottomSeat) ? "me" : "them";
  }

  /** "You", or the player's name. */
  seat(seat: number): string {
    if (this.isMe(seat)) return "You";
    return this.players.get(seat) ?? `Seat ${seat + 1}`;
  }

  /** "Your", or "Luna's". */
  whose(seat: number): string {
    return this.isMe(seat) ? "Your" : `${this.seat(seat)}'s`;
  }

  playerName(seat: number): string {
    return this.players.get(seat) ?? `Seat ${seat + 1}`;
  }

  card(id: string): string {
    return this.catalogue.name(id);
  }

  /** A "choose one" option of a card, in its own words ("gain 3 armor"). */
  choice(card: string, choice: number): string {
    const text = choiceText(this.catalogue.card(card), choice);
    return text.charAt(0).toLowerCase() + text.slice(1);
  }

  /** A hero ("your hero", "Luna's hero") or a unit (its card's name). */
  entity(id: number): string {
    const heroSeat = this.heroes.get(id);
    if (heroSeat !== undefined) return this.isMe(heroSeat) ? "your hero" : `${this.seat(heroSeat)}'s hero`;
    const unit = this.units.get(id);
    if (unit) return this.card(unit.card);
    return `#${id}`;
  }

  /** `entity` to start a sentence ("Your hero"; names keep their own case). */
  Entity(id: number): string {
    const text = this.entity(id);
    return text.startsWith("your ") ? `Y${text.slice(1)}` : text;
  }
}
