//! Rebuilding a room from the store: the latest snapshot, then the inputs logged after it,
//! replayed through the deterministic engine.

use std::sync::Arc;

use moonlight_engine::{ContentStore, Game, Input};

use crate::store::StoredRoom;

/// A snapshot as stored: the engine's state plus what the room itself must remember across
/// a restore (each seat's last applied client sequence number, for idempotent retries).
///
/// Layout: `u8` seat count, that many little-endian `u64`s, then the engine's bytes.
pub(crate) fn encode_snapshot(last_client_seq: &[u64], state: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + last_client_seq.len() * 8 + state.len());
    bytes.push(u8::try_from(last_client_seq.len()).unwrap_or(u8::MAX));
    for seq in last_client_seq {
        bytes.extend_from_slice(&seq.to_le_bytes());
    }
    bytes.extend_from_slice(state);
    bytes
}

fn decode_snapshot(bytes: &[u8]) -> Option<(Vec<u64>, &[u8])> {
    let (&count, mut rest) = bytes.split_first()?;
    let mut seqs = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let (seq, tail) = rest.split_first_chunk::<8>()?;
        seqs.push(u64::from_le_bytes(*seq));
        rest = tail;
    }
    Some((seqs, rest))
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the room was started with content {room}, which this node has not loaded (it runs {node})"
    )]
    ContentVersion { room: String, node: String },
    #[error("the room's setup is invalid: {0}")]
    Setup(String),
    #[error("the room's snapshot is unreadable: {0}")]
    Snapshot(String),
    #[error("logged input {seq} does not replay: {reason}")]
    Replay { seq: u64, reason: String },
}

/// A restored game, its sequence number and each seat's last client sequence number.
pub(crate) struct Restored {
    pub game: Game,
    pub seq: u64,
    pub last_client_seq: Vec<u64>,
}

pub(crate) fn restore(
    contents: &ContentStore,
    stored: &StoredRoom,
) -> Result<Restored, RestoreError> {
    let record = &stored.record;
    // The match goes on with the content it started with, whatever is current now.
    let content =
        &contents
            .version(&record.content_version)
            .ok_or_else(|| RestoreError::ContentVersion {
                room: record.content_version.clone(),
                node: contents.current().version().to_owned(),
            })?;
    let seats = record.setup.seats.len();
    let (mut game, mut seq, mut last_client_seq) = match &stored.snapshot {
        Some((seq, bytes)) => {
            let (last, state) =
                decode_snapshot(bytes).ok_or_else(|| RestoreError::Snapshot("truncated".into()))?;
            let game = Game::from_bytes(Arc::clone(content), state)
                .map_err(|e| RestoreError::Snapshot(e.to_string()))?;
            (game, *seq, last)
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
    fn snapshot_envelope_round_trips_and_refuses_truncation() {
        let bytes = encode_snapshot(&[3, 9], b"engine");
        let (seqs, state) = decode_snapshot(&bytes).unwrap();
        assert_eq!(seqs, vec![3, 9]);
        assert_eq!(state, b"engine");
        assert!(decode_snapshot(&bytes[..5]).is_none());
        assert!(decode_snapshot(&[]).is_none());
    }
}
