// What every screen shares: the configuration, the card catalogue and the session.
import type { Catalogue } from "./catalogue.ts";
import type { PlaygroundConfig } from "./config.ts";
import type { Session } from "./session.ts";

export interface App {
  config: PlaygroundConfig;
  catalogue: Catalogue;
  session: Session;
}
