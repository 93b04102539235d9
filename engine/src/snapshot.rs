//! Compact binary snapshots of the game state, and the state hash.
//!
//! A hand-written little-endian format (no extra dependency, stable by
//! construction): a magic, the content version the state belongs to, then every
//! field of the state in a fixed order, including the RNG's seed, stream and
//! word position, so a restored match continues the same random sequence.
//! Decoding checks every length and index and never panics on bad bytes.

use sha2::{Digest, Sha256};

use crate::content::Content;
use crate::ids::{EntityId, Keywords, Seat};
use crate::rng::GameRng;
use crate::rules::state::{CardRef, EndReason, HandCard, Outcome, SeatState, State, Unit};

const MAGIC: &[u8; 4] = b"MLS1";

/// Why a snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Not a snapshot, or truncated, or corrupt.
    #[error("snapshot is malformed: {0}")]
    Malformed(&'static str),
    /// Taken with other content.
    #[error("snapshot is for content version {found}, not {expected}")]
    ContentMismatch {
        /// The snapshot's content version.
        found: String,
        /// The content given.
        expected: String,
    },
}

struct W(Vec<u8>);

impl W {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        // Lengths are u32: no zone can come near that many cards.
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn card(&mut self, c: CardRef) {
        self.u16(c.card);
        self.u8(u8::from(c.generated));
    }
}

struct R<'a> {
    b: &'a [u8],
    at: usize,
}

type Res<T> = Result<T, SnapshotError>;

impl R<'_> {
    fn take(&mut self, n: usize) -> Res<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(SnapshotError::Malformed("length overflow"))?;
        let s = self
            .b
            .get(self.at..end)
            .ok_or(SnapshotError::Malformed("truncated"))?;
        self.at = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Res<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Res<u8> {
        Ok(self.arr::<1>()?[0])
    }
    fn bool(&mut self) -> Res<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(SnapshotError::Malformed("bad flag")),
        }
    }
    fn u16(&mut self) -> Res<u16> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn i32(&mut self) -> Res<i32> {
        Ok(i32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Res<u64> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn u128(&mut self) -> Res<u128> {
        Ok(u128::from_le_bytes(self.arr()?))
    }
    fn card(&mut self, cards: usize) -> Res<CardRef> {
        let card = self.u16()?;
        if usize::from(card) >= cards {
            return Err(SnapshotError::Malformed("card index out of range"));
        }
        Ok(CardRef {
            card,
            generated: self.bool()?,
        })
    }
}

pub(crate) fn encode(content: &Content, st: &State) -> Vec<u8> {
    let mut w = W(Vec::with_capacity(768));
    w.0.extend_from_slice(MAGIC);
    let v = content.version().as_bytes();
    w.len(v.len());
    w.0.extend_from_slice(v);
    w.u8(st.seats.len() as u8);
    for s in &st.seats {
        w.u8(s.team);
        w.u32(s.hero.0);
        for v in [
            s.health,
            s.max_health,
            s.moonlight,
            s.max_moonlight,
            s.fatigue,
        ] {
            w.i32(v);
        }
        w.u8(u8::from(s.out));
        w.u8(u8::from(s.mulligan));
        w.u32(s.brought);
        w.len(s.deck.len());
        for c in &s.deck {
            w.card(*c);
        }
        w.len(s.hand.len());
        for h in &s.hand {
            w.u32(h.id.0);
            w.card(h.card);
        }
        w.len(s.board.len());
        for u in &s.board {
            w.u32(u.id.0);
            w.card(u.card);
            w.i32(u.attack);
            w.i32(u.health);
            w.i32(u.max_health);
            w.u8(u.keywords.0);
            w.u8(u8::from(u.silenced) | u8::from(u.sleeping) << 1 | u8::from(u.doomed) << 2);
            w.u8(u.attacks_left);
        }
        w.len(s.graveyard.len());
        for c in &s.graveyard {
            w.card(*c);
        }
    }
    w.u8(st.active);
    w.u32(st.turn);
    w.u32(st.actions_this_turn);
    w.u32(st.next_id);
    let (seed, stream, word_pos) = st.rng.parts();
    w.0.extend_from_slice(&seed);
    w.0.extend_from_slice(&stream.to_le_bytes());
    w.0.extend_from_slice(&word_pos.to_le_bytes());
    match &st.outcome {
        None => w.u8(0),
        Some(o) => {
            w.u8(1);
            w.u8(match o.reason {
                EndReason::HeroDefeated => 0,
                EndReason::Concession => 1,
                EndReason::TurnLimit => 2,
                EndReason::NoContest => 3,
            });
            w.u8(o.winners.len() as u8);
            for s in &o.winners {
                w.u8(s.0);
            }
        }
    }
    w.0
}

pub(crate) fn decode(content: &Content, bytes: &[u8]) -> Res<State> {
    let mut r = R { b: bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(SnapshotError::Malformed("not a Moonlight snapshot"));
    }
    let vlen = r.u32()? as usize;
    let found = String::from_utf8_lossy(r.take(vlen)?).into_owned();
    if found != content.version() {
        return Err(SnapshotError::ContentMismatch {
            found,
            expected: content.version().to_owned(),
        });
    }
    let cards = content.cards().len();
    let n = usize::from(r.u8()?);
    if !(2..=8).contains(&n) {
        return Err(SnapshotError::Malformed("seat count"));
    }
    let mut seats = Vec::with_capacity(n);
    for _ in 0..n {
        let team = r.u8()?;
        let hero = EntityId(r.u32()?);
        let (health, max_health, moonlight, max_moonlight, fatigue) =
            (r.i32()?, r.i32()?, r.i32()?, r.i32()?, r.i32()?);
        let out = r.bool()?;
        let mulligan = r.bool()?;
        let brought = r.u32()?;
        let mut deck = Vec::new();
        for _ in 0..r.u32()? {
            deck.push(r.card(cards)?);
        }
        let mut hand = Vec::new();
        for _ in 0..r.u32()? {
            let id = EntityId(r.u32()?);
            hand.push(HandCard {
                id,
                card: r.card(cards)?,
            });
        }
        let mut board = Vec::new();
        for _ in 0..r.u32()? {
            let id = EntityId(r.u32()?);
            let card = r.card(cards)?;
            let (attack, health, max_health) = (r.i32()?, r.i32()?, r.i32()?);
            let keywords = Keywords(r.u8()?);
            let flags = r.u8()?;
            if flags > 7 || keywords.0 >= 1 << 6 {
                return Err(SnapshotError::Malformed("unit flags"));
            }
            board.push(Unit {
                id,
                card,
                attack,
                health,
                max_health,
                keywords,
                silenced: flags & 1 != 0,
                sleeping: flags & 2 != 0,
                doomed: flags & 4 != 0,
                attacks_left: r.u8()?,
            });
        }
        let mut graveyard = Vec::new();
        for _ in 0..r.u32()? {
            graveyard.push(r.card(cards)?);
        }
        seats.push(SeatState {
            team,
            hero,
            health,
            max_health,
            moonlight,
            max_moonlight,
            fatigue,
            deck,
            hand,
            board,
            graveyard,
            out,
            brought,
            mulligan,
        });
    }
    let active = r.u8()?;
    if usize::from(active) >= n {
        return Err(SnapshotError::Malformed("active seat"));
    }
    let (turn, actions_this_turn, next_id) = (r.u32()?, r.u32()?, r.u32()?);
    let seed: [u8; 32] = r.arr()?;
    let (stream, word_pos) = (r.u64()?, r.u128()?);
    let outcome = match r.u8()? {
        0 => None,
        1 => {
            let reason = match r.u8()? {
                0 => EndReason::HeroDefeated,
                1 => EndReason::Concession,
                2 => EndReason::TurnLimit,
                3 => EndReason::NoContest,
                _ => return Err(SnapshotError::Malformed("end reason")),
            };
            let mut winners = Vec::new();
            for _ in 0..r.u8()? {
                let s = r.u8()?;
                if usize::from(s) >= n {
                    return Err(SnapshotError::Malformed("winner seat"));
                }
                winners.push(Seat(s));
            }
            Some(Outcome { winners, reason })
        }
        _ => return Err(SnapshotError::Malformed("outcome tag")),
    };
    if r.at != bytes.len() {
        return Err(SnapshotError::Malformed("trailing bytes"));
    }
    Ok(State {
        seats,
        active,
        turn,
        actions_this_turn,
        next_id,
        rng: GameRng::from_parts(seed, stream, word_pos),
        outcome,
    })
}

/// SHA-256 of bytes, hex.
pub(crate) fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
