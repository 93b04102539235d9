-- Whether a match's result is recorded, on the match itself: the live matches (the
-- players' watch list, the operator's console) are then found through an index in time
-- proportional to the matches being played, not to every match ever played (the
-- anti-join with match_results this replaces read them all once none was live).
ALTER TABLE lobby_matches ADD COLUMN finished BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE lobby_matches SET finished = TRUE
 WHERE EXISTS (SELECT 1 FROM match_results r WHERE r.match_id = lobby_matches.id);
DROP INDEX lobby_matches_watchable;
CREATE INDEX lobby_matches_live ON lobby_matches (finished, created_at);
CREATE INDEX lobby_matches_watchable ON lobby_matches (finished, watchable, created_at);
