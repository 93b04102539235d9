-- Players' own decks (the lobby's /v1/lobby/decks). `cards` is a JSON array of card ids,
-- one per copy: ids, not content indices, so a deck outlives content versions, and is
-- checked against the content in use whenever it is listed or chosen.
CREATE TABLE player_decks (
    id         TEXT PRIMARY KEY,
    player_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    cards      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX player_decks_by_player ON player_decks (player_id, updated_at);
