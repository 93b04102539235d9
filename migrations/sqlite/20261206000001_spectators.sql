-- Who may watch a match, and who plays it. Quick and practice matches, and matches of
-- rooms their host made public, are listed in GET /v1/lobby/live for anyone to watch;
-- matches of private rooms are not, and cannot be watched. `players` holds the seats'
-- names in seat order, as a JSON array, for the list.
ALTER TABLE lobby_matches ADD COLUMN watchable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE lobby_matches ADD COLUMN players TEXT NOT NULL DEFAULT '[]';
CREATE INDEX lobby_matches_watchable ON lobby_matches (watchable, created_at);
