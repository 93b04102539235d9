-- The lobby: who is doing what, private rooms, the matches it placed, and ratings.

-- One row per player who is queued, in a private room or in a match (idle players have
-- none). The primary key is what keeps a player out of two queues or rooms at once, for
-- every lobby process sharing this database; matching moves rows from 'queued' to
-- 'in_match' with a conditional UPDATE, so no player is matched twice.
CREATE TABLE lobby_players (
    player_id TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    -- 'queued', 'in_room' or 'in_match'
    state     TEXT NOT NULL,
    -- the queue ticket, the private room's id, or the match id (the game room)
    ref_id    TEXT NOT NULL,
    deck      TEXT NOT NULL,
    -- the rating the player was queued with
    rating    DOUBLE PRECISION NOT NULL,
    -- when this state began, in Unix milliseconds
    since_ms  BIGINT NOT NULL,
    -- the seat in the match, once in_match
    seat      BIGINT
);

CREATE INDEX lobby_players_state ON lobby_players (state, since_ms);

-- Private rooms waiting for their second player. Their members are the lobby_players
-- rows in state 'in_room' pointing here.
CREATE TABLE lobby_rooms (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    host_id    TEXT NOT NULL,
    host_name  TEXT NOT NULL,
    -- 1 if listed to everyone, 0 if joinable by code only
    public     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT lobby_rooms_code UNIQUE (code)
);

-- Every match the lobby placed, and the node it runs on (the room itself is in the room
-- store, written before the match starts).
CREATE TABLE lobby_matches (
    id         TEXT PRIMARY KEY,
    -- 'quick' (rated), 'private' or 'practice'
    kind       TEXT NOT NULL,
    node_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Glicko-2 ratings. A player without a row has the starting rating.
CREATE TABLE ratings (
    player_id  TEXT PRIMARY KEY,
    rating     DOUBLE PRECISION NOT NULL,
    deviation  DOUBLE PRECISION NOT NULL,
    volatility DOUBLE PRECISION NOT NULL,
    wins       BIGINT NOT NULL,
    losses     BIGINT NOT NULL,
    draws      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX ratings_rating ON ratings (rating);

-- Each rated match's effect on each player, for history and the match record.
CREATE TABLE rating_changes (
    match_id  TEXT NOT NULL REFERENCES match_results (match_id) ON DELETE CASCADE,
    player_id TEXT NOT NULL,
    rating_before DOUBLE PRECISION NOT NULL,
    rating_after  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (match_id, player_id)
);

-- NULL until a lobby has settled the match (ratings, records, the players' presence);
-- settling sets it in the same transaction, which is what makes it happen exactly once.
ALTER TABLE match_results ADD COLUMN settled_at BIGINT;

CREATE INDEX match_results_unsettled ON match_results (settled_at, finished_at);
CREATE INDEX match_results_finished ON match_results (finished_at);
