-- The embedded room store (used when no REDIS_URL is set) and match results.

-- One row per room the lobby set up: who sits where, with which deck and seed.
CREATE TABLE game_rooms (
    id         TEXT PRIMARY KEY,
    record     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every accepted input of a room, in order. The log is the truth: a room is its record
-- plus these inputs replayed through the deterministic engine.
CREATE TABLE game_inputs (
    room_id TEXT NOT NULL REFERENCES game_rooms (id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    entry   TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
);

-- The latest snapshot of a room's state, to replay fewer inputs on restore.
CREATE TABLE game_snapshots (
    room_id TEXT PRIMARY KEY REFERENCES game_rooms (id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    state   BYTEA NOT NULL
);

-- Results of finished matches not yet written to match_results (the outbox).
CREATE TABLE pending_results (
    match_id TEXT PRIMARY KEY,
    result   TEXT NOT NULL
);

-- Every finished match, exactly once (match_id is the room id).
CREATE TABLE match_results (
    match_id        TEXT PRIMARY KEY,
    content_version TEXT NOT NULL,
    -- the winning team, NULL for a draw
    winner_team     BIGINT,
    reason          TEXT NOT NULL,
    turns           BIGINT NOT NULL,
    started_at      BIGINT NOT NULL,
    finished_at     BIGINT NOT NULL
);

CREATE TABLE match_players (
    match_id  TEXT NOT NULL REFERENCES match_results (match_id) ON DELETE CASCADE,
    seat      BIGINT NOT NULL,
    player_id TEXT NOT NULL,
    -- 'win', 'loss' or 'draw'
    result    TEXT NOT NULL,
    PRIMARY KEY (match_id, seat)
);

CREATE INDEX match_players_player ON match_players (player_id);
