-- What it takes to play a finished match again, step by step: its room as the lobby set it
-- up (seed, deck lists, content version, players; a RoomRecord as JSON) and every input in
-- order (a JSON array). Written in the transaction that records the result, so a recorded
-- match has its replay (unless its room was gone from the store by then).
CREATE TABLE match_replays (
    match_id TEXT PRIMARY KEY REFERENCES match_results (match_id) ON DELETE CASCADE,
    room     TEXT NOT NULL,
    inputs   TEXT NOT NULL
);
