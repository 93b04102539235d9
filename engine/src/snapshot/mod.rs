//! Snapshots of the game state, and the state hash.
//!
//! A snapshot is the state's own serde form (every field, the RNG's seed, stream and word
//! position included, so a restored match continues the same random sequence) encoded
//! with postcard, behind a format number and the content version it belongs to. Decoding
//! checks every index against that content, so bad bytes give an error, never a panic or
//! a state the rules could trip on.
//!
//! When `State` changes shape, a snapshot written before must still restore (a match
//! survives an upgrade): freeze the current types in a module of their own, bump
//! [`FORMAT`], and decode the old format by converting it. The committed fixture in
//! `tests/snapshot_fixture.rs` fails until that is done.

mod v1;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::content::Content;
use crate::rules::state::{CardRef, State};

/// The snapshot format written now. Format 1 (before armor, freezing, temporary and aura
/// attack, cost changes, secrets and hero powers) is still read: [`v1`].
pub const FORMAT: u32 = 2;

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Not a snapshot, or truncated, or corrupt.
    #[error("snapshot is malformed: {0}")]
    Malformed(String),
    /// Written by a newer server (or not a snapshot at all).
    #[error("snapshot format {0} is not one this server reads (it writes {FORMAT})")]
    UnknownFormat(u32),
    /// Taken with other content.
    #[error("snapshot is for content version {found}, not {expected}")]
    ContentMismatch {
        /// The snapshot's content version.
        found: String,
        /// The content given.
        expected: String,
    },
}

/// What is written: the format number first, so a reader knows how to read the rest.
#[derive(Serialize)]
struct Encode<'a> {
    format: u32,
    content_version: &'a str,
    state: &'a State,
}

/// What follows the format number in format 2.
#[derive(Deserialize)]
struct DecodeV2 {
    content_version: String,
    state: State,
}

pub(crate) fn encode(content: &Content, state: &State) -> Vec<u8> {
    let snapshot = Encode {
        format: FORMAT,
        content_version: content.version(),
        state,
    };
    // Serialising plain data into a Vec has no way to fail: no I/O, no size limit, and
    // every type in `State` serialises infallibly.
    match postcard::to_stdvec(&snapshot) {
        Ok(bytes) => bytes,
        Err(error) => unreachable!("a state always serialises: {error}"),
    }
}

pub(crate) fn decode(content: &Content, bytes: &[u8]) -> Result<State, SnapshotError> {
    let malformed = |error: postcard::Error| SnapshotError::Malformed(error.to_string());
    let (format, rest) = postcard::take_from_bytes::<u32>(bytes).map_err(malformed)?;
    let (content_version, state, rest) = match format {
        1 => {
            let (old, rest) = postcard::take_from_bytes::<v1::Snapshot>(rest).map_err(malformed)?;
            (old.content_version, old.state.upgrade(), rest)
        }
        FORMAT => {
            let (new, rest) = postcard::take_from_bytes::<DecodeV2>(rest).map_err(malformed)?;
            (new.content_version, new.state, rest)
        }
        other => return Err(SnapshotError::UnknownFormat(other)),
    };
    if !rest.is_empty() {
        return Err(SnapshotError::Malformed("trailing bytes".into()));
    }
    if content_version != content.version() {
        return Err(SnapshotError::ContentMismatch {
            found: content_version,
            expected: content.version().to_owned(),
        });
    }
    validate(&state, content)?;
    Ok(state)
}

/// What the rules take for granted about a state and the bytes could break: seat counts,
/// seat numbers and card indices within range.
fn validate(state: &State, content: &Content) -> Result<(), SnapshotError> {
    let bad = |what: &str| Err(SnapshotError::Malformed(what.to_owned()));
    let seats = state.seats.len();
    if !(2..=8).contains(&seats) {
        return bad("seat count");
    }
    if usize::from(state.active) >= seats {
        return bad("active seat");
    }
    let known = |card: &CardRef| usize::from(card.card) < content.cards().len();
    for seat in &state.seats {
        let all_known = seat.deck.iter().all(known)
            && seat.graveyard.iter().all(known)
            && seat.hand.iter().all(|h| known(&h.card))
            && seat.secrets.iter().all(|h| known(&h.card))
            && seat.board.iter().all(|u| known(&u.card))
            && seat
                .power
                .is_none_or(|card| usize::from(card) < content.cards().len());
        if !all_known {
            return bad("card index out of range");
        }
    }
    if let Some(outcome) = &state.outcome
        && outcome.winners.iter().any(|s| s.index() >= seats)
    {
        return bad("winner seat");
    }
    Ok(())
}

/// SHA-256 of bytes, hex.
pub(crate) fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
