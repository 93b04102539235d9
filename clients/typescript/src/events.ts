import type { Event } from "./gen/moonlight/v1/game_pb.js";

/**
 * The kinds of match event an `Update` carries (`Event.kind.case`): `cardPlayed`,
 * `unitSummoned`, `damaged`, ..., and `secretSet`, `secretRevealed`, `armorChanged`,
 * `frozen`, `thawed`, `controlChanged`, `powerUsed`.
 */
export type MatchEventKind = NonNullable<Event["kind"]["case"]>;

/** The message of one kind of match event: `MatchEventOf<"powerUsed">` is a `PowerUsed`. */
export type MatchEventOf<K extends MatchEventKind> = Extract<Event["kind"], { case: K }>["value"];

/**
 * The events of one kind, in order, e.g. `eventsOf(update.events, "armorChanged")` (each
 * `{ seat, armor }`).
 */
export function eventsOf<K extends MatchEventKind>(events: readonly Event[], kind: K): MatchEventOf<K>[] {
  const out: MatchEventOf<K>[] = [];
  for (const event of events) {
    if (event.kind.case === kind) out.push(event.kind.value as MatchEventOf<K>);
  }
  return out;
}

/**
 * A tiny typed event hub: listeners by event type (or "*" for all), and async iterators
 * that buffer every event from the moment they are created until the hub ends.
 */
export class EventHub<E extends { type: string }> {
  private listeners = new Map<string, Set<(event: E) => void>>();
  private iterators = new Set<Queue<E>>();
  private ended = false;

  on<T extends E["type"] | "*">(
    type: T,
    listener: (event: T extends "*" ? E : Extract<E, { type: T }>) => void,
  ): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const fn = listener as (event: E) => void;
    set.add(fn);
    return () => {
      set!.delete(fn);
    };
  }

  emit(event: E): void {
    for (const queue of this.iterators) queue.push(event);
    for (const type of [event.type, "*"]) {
      const set = this.listeners.get(type);
      if (!set) continue;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch (error) {
          // A throwing listener must not break the connection: report it asynchronously.
          setTimeout(() => {
            throw error;
          });
        }
      }
    }
  }

  /** No more events: iterators finish once they have handed out what they buffered. */
  end(): void {
    this.ended = true;
    for (const queue of this.iterators) queue.finish();
    this.iterators.clear();
  }

  iterate(): AsyncIterableIterator<E> {
    const queue = new Queue<E>(() => this.iterators.delete(queue));
    if (this.ended) queue.finish();
    else this.iterators.add(queue);
    return queue;
  }
}

class Queue<E> implements AsyncIterableIterator<E> {
  private buffer: E[] = [];
  private waiting: ((result: IteratorResult<E>) => void) | undefined;
  private done = false;

  constructor(private readonly detach: () => void) {}

  push(event: E): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else {
      this.buffer.push(event);
    }
  }

  finish(): void {
    this.done = true;
    if (this.waiting && this.buffer.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<E>> {
    const value = this.buffer.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<E>> {
    this.done = true;
    this.buffer = [];
    this.detach();
    if (this.waiting) {
      this.waiting({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this;
  }
}
