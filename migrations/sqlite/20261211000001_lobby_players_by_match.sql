-- Settling a match deletes its players by match id (`ref_id`), and a match's seats are
-- read the same way. Without this index each of those walked every row in the state
-- ('in_match': every player in a match), so settling one match cost more the more
-- players were playing (measured: 2,000 players, 85 matches a second settling, 94,000
-- rows read a second).
CREATE INDEX lobby_players_ref ON lobby_players (ref_id);
