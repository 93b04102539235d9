// @moonlight/client: the TypeScript SDK of Moonlight Online.
export { MoonlightClient, type MoonlightClientOptions, type RequestOptions } from "./client.js";
export {
  GameConnection,
  type Ack,
  type ConnectionState,
  type GameConnectionOptions,
  type GameEvent,
  type GameEventType,
  type ReconnectOptions,
  type Ticket,
  type TicketProvider,
  type TicketRequest,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./connection.js";
export { actionOf, actions, type ActionKind, type PowerOptions } from "./actions.js";
export { eventsOf, type MatchEventKind, type MatchEventOf } from "./events.js";
export { AdminApi } from "./admin.js";
export { applyDelta, DeltaMismatchError } from "./delta.js";
export type * from "./admin.js";
export {
  ActionRejectedError,
  ConnectionClosedError,
  isRejectionReason,
  MoonlightError,
  REJECTION_REASONS,
  SpectatorError,
  type RejectionReason,
  type Service,
} from "./errors.js";
export type * from "./types.js";
// The wire messages (protobuf-es, generated from proto/moonlight/v1/game.proto). The
// protocol's `Error` message is also exported as `ServerError`.
export * from "./gen/moonlight/v1/game_pb.js";
export type { Error as ServerError } from "./gen/moonlight/v1/game_pb.js";
