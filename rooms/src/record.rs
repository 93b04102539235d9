//! The records that cross from the lobby to the game servers and back: a room as the
//! lobby sets it up, the inputs a room logs, and a finished match's result.

use moonlight_engine::{Content, GameSetup, Input, Level, Outcome, Seat, SeatSetup};
use serde::{Deserialize, Serialize};

/// Everything needed to start a room, written by the lobby before it hands out tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRecord {
    pub room_id: String,
    /// The content version the match is played with.
    pub content_version: String,
    pub setup: GameSetup,
    /// Who sits in each seat, by seat index.
    pub players: Vec<PlayerRecord>,
    /// Unix seconds.
    pub created_at: i64,
    /// When a seat that has not played yet stops being waited for, in Unix milliseconds:
    /// set by the lobby when it creates the match, so it holds from the match's creation,
    /// whoever has the room (the lobby, or any node) and across restarts.
    pub join_by_ms: i64,
}

impl RoomRecord {
    /// A room where each player brings a deck (a deck id of `content`, or a deck code legal
    /// on it) and plays on a team of their own (1v1 with two players). `None` if a deck
    /// is neither.
    pub fn new(
        room_id: &str,
        content: &Content,
        seats: Vec<(PlayerRecord, &str)>,
        seed: u64,
        created_at: i64,
        join_by_ms: i64,
    ) -> Option<Self> {
        let mut players = Vec::with_capacity(seats.len());
        let mut setups = Vec::with_capacity(seats.len());
        for ((player, deck), team) in seats.into_iter().zip(0u8..) {
            setups.push(SeatSetup {
                deck: content.resolve_deck(deck).ok()?,
                team,
            });
            players.push(player);
        }
        Some(Self {
            room_id: room_id.to_owned(),
            content_version: content.version().to_owned(),
            setup: GameSetup {
                seats: setups,
                seed,
            },
            players,
            created_at,
            join_by_ms,
        })
    }

    /// The result of this match ending void (nobody came in time, or the room cannot be
    /// played): no winner, `no_contest` for every seat.
    pub fn void_result(&self, turns: u32, finished_at: i64) -> MatchResult {
        MatchResult {
            match_id: self.room_id.clone(),
            content_version: self.content_version.clone(),
            outcome: Outcome {
                winners: Vec::new(),
                reason: moonlight_engine::EndReason::NoContest,
            },
            teams: self.setup.seats.iter().map(|s| s.team).collect(),
            players: self.players.clone(),
            turns,
            started_at: self.created_at,
            finished_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerRecord {
    pub player_id: String,
    pub name: String,
    /// A practice bot plays this seat: the room plays it by itself, and no connection may
    /// take it. Absent in records written before bots (hence the default).
    #[serde(default)]
    pub bot: bool,
    /// How well that bot plays (bots only). Absent in records written before levels: the
    /// easy bot, which was the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_level: Option<Level>,
}

impl PlayerRecord {
    /// What every practice bot's player id starts with; no account id (a UUID) does, so
    /// no ticket names a bot's seat.
    pub const BOT_ID_PREFIX: &str = "bot:";

    /// A person's seat.
    pub fn human(player_id: &str, name: &str) -> Self {
        Self {
            player_id: player_id.to_owned(),
            name: name.to_owned(),
            bot: false,
            bot_level: None,
        }
    }

    /// A practice bot's seat, playing at `level`.
    pub fn practice_bot(name: &str, level: Level) -> Self {
        Self {
            player_id: format!("{}{name}", Self::BOT_ID_PREFIX),
            name: name.to_owned(),
            bot: true,
            bot_level: Some(level),
        }
    }

    /// The level of the bot on this seat; `None` for a person.
    pub fn bot(&self) -> Option<Level> {
        self.bot.then(|| self.bot_level.unwrap_or_default())
    }

    /// Whether `player_id` is a practice bot's (see [`Self::BOT_ID_PREFIX`]).
    pub fn is_bot_id(player_id: &str) -> bool {
        player_id.starts_with(Self::BOT_ID_PREFIX)
    }
}

/// One accepted input, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// 1 for the first input of the room, then +1 each.
    pub seq: u64,
    pub input: Input,
    /// The client's own sequence number for a player action, so a retry is recognised.
    pub client_seq: Option<u64>,
}

/// A match as it can be played again: its room and every input it took, in order (the
/// engine is deterministic, so these give every state and every seat's view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    pub record: RoomRecord,
    pub inputs: Vec<Input>,
}

/// A finished match, waiting in the outbox until it is in `match_results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchResult {
    pub match_id: String,
    pub content_version: String,
    pub outcome: Outcome,
    /// Team of each seat, by seat index.
    pub teams: Vec<u8>,
    pub players: Vec<PlayerRecord>,
    pub turns: u32,
    pub started_at: i64,
    pub finished_at: i64,
}

impl MatchResult {
    /// How the match ended for `seat`.
    pub fn result_for(&self, seat: Seat) -> SeatResult {
        if self.outcome.is_void() {
            SeatResult::NoContest
        } else if self.outcome.is_draw() {
            SeatResult::Draw
        } else if self.outcome.winners.contains(&seat) {
            SeatResult::Win
        } else {
            SeatResult::Loss
        }
    }

    /// Each seat with its player and result, in seat order.
    pub fn seats(&self) -> impl Iterator<Item = (Seat, &PlayerRecord, SeatResult)> {
        (0..=u8::MAX)
            .map(Seat)
            .zip(&self.players)
            .map(|(seat, player)| (seat, player, self.result_for(seat)))
    }

    /// The winning team, or `None` for a draw or a void match.
    pub fn winner_team(&self) -> Option<u8> {
        let seat = self.outcome.winners.first()?;
        self.teams.get(usize::from(seat.0)).copied()
    }
}

/// How a finished match ended for one seat, as `match_players.result` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatResult {
    Win,
    Loss,
    Draw,
    /// The match was void (a seat never showed up): it counts as nothing.
    NoContest,
}

impl SeatResult {
    pub const ALL: [SeatResult; 4] = [
        SeatResult::Win,
        SeatResult::Loss,
        SeatResult::Draw,
        SeatResult::NoContest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SeatResult::Win => "win",
            SeatResult::Loss => "loss",
            SeatResult::Draw => "draw",
            SeatResult::NoContest => "no_contest",
        }
    }

    pub fn parse(text: &str) -> Option<SeatResult> {
        SeatResult::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_results_parse_back_from_their_names_and_serde_agrees() {
        for result in SeatResult::ALL {
            assert_eq!(SeatResult::parse(result.as_str()), Some(result));
            let json = serde_json::to_value(result).unwrap();
            assert_eq!(json.as_str(), Some(result.as_str()));
        }
        assert_eq!(SeatResult::parse("won"), None);
    }

    #[test]
    fn a_practice_bot_is_told_apart_by_its_id() {
        let bot = PlayerRecord::practice_bot("Moonbot", Level::Hard);
        assert!(bot.bot && PlayerRecord::is_bot_id(&bot.player_id));
        assert!(!PlayerRecord::is_bot_id(
            "6f1c1a52-3d0e-4c1e-9f55-2b1e2c3d4e5f"
        ));
        assert_eq!(bot.bot(), Some(Level::Hard));
        assert_eq!(PlayerRecord::human("p", "Ann").bot(), None);
    }

    /// Records written before levels (or before bots) still read, as the easy bot.
    #[test]
    fn a_bot_recorded_before_levels_is_the_easy_bot() {
        let old: PlayerRecord =
            serde_json::from_str(r#"{"player_id":"bot:Moonbot","name":"Moonbot","bot":true}"#)
                .unwrap();
        assert_eq!(old.bot(), Some(Level::Easy));
        let older: PlayerRecord =
            serde_json::from_str(r#"{"player_id":"p","name":"Ann"}"#).unwrap();
        assert_eq!(older.bot(), None);
        // A person's record is written as before.
        let json = serde_json::to_string(&PlayerRecord::human("p", "Ann")).unwrap();
        assert!(!json.contains("bot_level"), "{json}");
    }
}
