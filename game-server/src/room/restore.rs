//! Rebuilding a room from the store: the latest snapshot, then the inputs logged after it,
//! replayed through the deterministic engine.

use std::sync::Arc;

use moonlight_engine::{Content, ContentStore, Game, Input};
use moonlight_rooms::{RoomStore, StoreError, StoredRoom};
use serde::{Deserialize, Serialize};

use crate::NodeContext;

/// A room's snapshot as stored: the engine's snapshot, plus what the room itself must
/// remember across a restore (each seat's last applied client sequence number, so a retry
/// is not applied twice). Encoded with postcard after a format number, like the engine's.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    format: u32,
    last_client_seq: Vec<u64>,
    /// [`Game::to_bytes`], which carries its own format and content version.
    game: Vec<u8>,
}

impl RoomSnapshot {
    /// The room snapshot format written now.
    const FORMAT: u32 = 1;

    pub fn of(game: &Game, last_client_seq: &[u64]) -> Self {
        Self {
            format: Self::FORMAT,
            last_client_seq: last_client_seq.to_vec(),
            game: game.to_bytes(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        // Plain data into a Vec: nothing can fail.
        postcard::to_stdvec(self).unwrap_or_else(|error| unreachable!("{error}"))
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, RestoreError> {
        let snapshot: Self =
            postcard::from_bytes(bytes).map_err(|e| RestoreError::Snapshot(e.to_string()))?;
        if snapshot.format != Self::FORMAT {
            return Err(RestoreError::Snapshot(format!(
                "room snapshot format {} is not one this server reads",
                snapshot.format
            )));
        }
        Ok(snapshot)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("the room was started with content {0}, which no store keeps")]
    ContentMissing(String),
    #[error("the content {version} kept in the store does not load: {report}")]
    ContentBroken { version: String, report: String },
    /// Not the room's fault: the store did not answer. Try again later.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the room's setup is invalid: {0}")]
    Setup(String),
    #[error("the room's snapshot is unreadable: {0}")]
    Snapshot(String),
    #[error("logged input {seq} does not replay: {reason}")]
    Replay { seq: u64, reason: String },
}

/// The content `version`: loaded here already (in `loaded`), or built from the files the
/// room store keeps (then kept in `loaded` too). A room restored after a content reload, or
/// a replay of an older match, plays on the content it began with.
pub async fn content_version(
    loaded: &ContentStore,
    store: &RoomStore,
    version: &str,
) -> Result<Arc<Content>, RestoreError> {
    if let Some(content) = loaded.version(version) {
        return Ok(content);
    }
    let sources = store
        .load_content(version)
        .await?
        .ok_or_else(|| RestoreError::ContentMissing(version.to_owned()))?;
    let content = Content::from_sources(sources).map_err(|report| RestoreError::ContentBroken {
        version: version.to_owned(),
        report: report.to_string(),
    })?;
    if content.version() != version {
        return Err(RestoreError::ContentBroken {
            version: version.to_owned(),
            report: format!("its files hash to {}", content.version()),
        });
    }
    let content = Arc::new(content);
    loaded.adopt(Arc::clone(&content));
    tracing::info!(%version, "content version restored from the store");
    Ok(content)
}

/// A restored game, its sequence number and each seat's last client sequence number.
#[derive(Debug)]
pub struct Restored {
    pub game: Game,
    pub seq: u64,
    pub last_client_seq: Vec<u64>,
}

pub(crate) async fn restore(
    ctx: &NodeContext,
    stored: &StoredRoom,
) -> Result<Restored, RestoreError> {
    // The match goes on with the content it started with, whatever is current now.
    let content = content_version(&ctx.content, &ctx.store, &stored.record.content_version).await?;
    rebuild(&content, stored)
}

/// The room's game rebuilt on `content` from what the store kept: its snapshot (or its
/// setup), then the inputs logged after it, replayed. What [`restore`] does once it has
/// the content; public for the fuzz targets (`fuzz/`).
pub fn rebuild(content: &Arc<Content>, stored: &StoredRoom) -> Result<Restored, RestoreError> {
    let record = &stored.record;
    let seats = record.setup.seats.len();
    let (mut game, mut seq, mut last_client_seq) = match &stored.snapshot {
        Some((seq, bytes)) => {
            let snapshot = RoomSnapshot::decode(bytes)?;
            let game = Game::from_bytes(Arc::clone(content), &snapshot.game)
                .map_err(|e| RestoreError::Snapshot(e.to_string()))?;
            (game, *seq, snapshot.last_client_seq)
        }
        None => {
            let game = Game::new(Arc::clone(content), &record.setup)
                .map_err(|e| RestoreError::Setup(e.to_string()))?;
            (game, 0, vec![0; seats])
        }
    };
    last_client_seq.resize(seats, 0);
    for entry in &stored.log {
        if entry.seq != seq + 1 {
            return Err(RestoreError::Replay {
                seq: entry.seq,
                reason: format!("expected {}", seq + 1),
            });
        }
        game.submit(&entry.input)
            .map_err(|e| RestoreError::Replay {
                seq: entry.seq,
                reason: e.to_string(),
            })?;
        seq = entry.seq;
        if let (Input::Act { seat, .. }, Some(client_seq)) = (&entry.input, entry.client_seq)
            && let Some(last) = last_client_seq.get_mut(seat.index())
        {
            *last = client_seq;
        }
    }
    Ok(Restored {
        game,
        seq,
        last_client_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_snapshot_round_trips_and_refuses_garbage() {
        let snapshot = RoomSnapshot {
            format: RoomSnapshot::FORMAT,
            last_client_seq: vec![3, 9],
            game: b"engine".to_vec(),
        };
        let bytes = snapshot.encode();
        assert_eq!(RoomSnapshot::decode(&bytes).unwrap(), snapshot);
        assert!(RoomSnapshot::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(RoomSnapshot::decode(&[]).is_err());
        let newer = RoomSnapshot {
            format: 2,
            ..snapshot
        }
        .encode();
        assert!(RoomSnapshot::decode(&newer).is_err());
    }
}
