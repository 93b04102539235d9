-- What /readyz writes to: a service is ready when its database accepts writes.
CREATE TABLE readiness_probe (
    id         BIGINT PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, 0);

-- Who has a room: 'open' once a node opened it, 'void' once a lobby voided it because
-- nobody came before its join deadline; NULL while neither. The first claim wins (a
-- conditional UPDATE), so a room is never both played and voided.
ALTER TABLE game_rooms ADD COLUMN state TEXT;

-- Every content version a room was set up with (its files; the version is their hash),
-- so any node restores any room under the rules it began with, whatever the content
-- directory holds now.
CREATE TABLE content_versions (
    version   TEXT PRIMARY KEY,
    sources   TEXT NOT NULL,
    stored_at BIGINT NOT NULL
);

-- Each match's join deadline (Unix milliseconds) and whether the lobby has checked it:
-- a match nobody opened by then is void, whichever lobby or node restarted meanwhile.
ALTER TABLE lobby_matches ADD COLUMN join_by BIGINT NOT NULL DEFAULT 0;
ALTER TABLE lobby_matches ADD COLUMN join_checked BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX lobby_matches_unchecked ON lobby_matches (join_checked, join_by);
