//! Replays of finished matches: who may watch one, and the step they ask for, played again
//! from the match's seed and inputs on the content it was played with.

use moonlight_game_server::{
    content_version,
    replay::{Perspective, ReplayError, replay_step},
};
use moonlight_proto::v1 as pb;

use super::{Lobby, Player};
use crate::error::LobbyError;

impl Lobby {
    /// Step `step` of match `match_id`'s replay, as `view` sees it (`public`, `full` or a
    /// seat number; by default the caller's own seat, or `public` for someone who did not
    /// play). The match's players may watch its replay, and anyone may watch a match that
    /// anyone could watch live; a private room's match is nobody else's (404). An admin
    /// (`caller` `None`) may watch any.
    pub async fn replay_step(
        &self,
        caller: Option<&Player>,
        match_id: &str,
        step: usize,
        view: Option<&str>,
    ) -> Result<pb::ReplayStep, LobbyError> {
        let Some((replay, watchable)) = self.records.replay(match_id).await? else {
            return Err(if self.records.match_record(match_id).await?.is_some() {
                LobbyError::NoReplay
            } else {
                LobbyError::UnknownMatch
            });
        };
        let own_seat = replay
            .record
            .players
            .iter()
            .position(|p| caller.is_some_and(|caller| p.player_id == caller.id));
        if caller.is_some() && own_seat.is_none() && !watchable {
            return Err(LobbyError::UnknownMatch);
        }
        let perspective = match view {
            Some(text) => Perspective::parse(text).ok_or_else(|| {
                LobbyError::BadQuery(format!(
                    "view must be `public`, `full` or a seat number, not `{text}`"
                ))
            })?,
            None => own_seat
                .and_then(|seat| u8::try_from(seat).ok())
                .map_or(Perspective::Public, |seat| {
                    Perspective::Seat(moonlight_engine::Seat(seat))
                }),
        };
        let content = content_version(&self.content, &self.rooms, &replay.record.content_version)
            .await
            .map_err(|error| anyhow::anyhow!("match {match_id}'s content: {error}"))?;
        replay_step(content, &replay, step, perspective).map_err(|error| match error {
            ReplayError::NoSuchStep { .. } | ReplayError::NoSuchSeat { .. } => {
                LobbyError::BadQuery(error.to_string())
            }
            ReplayError::Broken(_) => {
                LobbyError::Internal(anyhow::anyhow!("match {match_id}: {error}"))
            }
        })
    }
}
