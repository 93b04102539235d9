-- When a queued player last asked about their wait (enqueue, or GET /v1/lobby/status), in
-- Unix milliseconds. A client that stops asking has gone (closed, crashed, lost its
-- network): its entry leaves the queue rather than be matched with someone who then waits
-- out the join window. Players queued at the upgrade count as seen now.
ALTER TABLE lobby_players ADD COLUMN seen_ms BIGINT NOT NULL DEFAULT 0;
UPDATE lobby_players SET seen_ms = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT;
