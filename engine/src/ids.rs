//! Small value types shared by the engine, its views and its events.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::content::schema::Keyword;

/// A seat at the table, 0-based. Teams are separate (see [`crate::GameSetup`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seat(pub u8);

impl Seat {
    /// The seat as an index.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A game object (hero, unit, card in hand). Ids are allocated from a counter
/// that only grows, and a card gets a **new** id every time it changes zone, so
/// an id never lets an opponent follow a hidden card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(pub u32);

/// A card's content id (`"moon_wisp"`). Cheap to clone (shared string).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardId(Arc<str>);

impl CardId {
    /// Wraps a card id.
    pub fn new(s: &str) -> Self {
        CardId(Arc::from(s))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CardId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CardId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(CardId(Arc::from(s)))
    }
}

/// A set of keywords (a bit per keyword). Serialises as a list of names.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Keywords(pub(crate) u8);

impl Keywords {
    /// The empty set.
    pub const NONE: Keywords = Keywords(0);

    /// Whether `k` is in the set.
    pub fn has(self, k: Keyword) -> bool {
        self.0 & (1 << k as u8) != 0
    }

    /// Adds `k`.
    pub fn insert(&mut self, k: Keyword) {
        self.0 |= 1 << k as u8;
    }

    /// Removes `k`.
    pub fn remove(&mut self, k: Keyword) {
        self.0 &= !(1 << k as u8);
    }

    /// The keywords, in their fixed order.
    pub fn iter(self) -> impl Iterator<Item = Keyword> {
        Keyword::ALL.into_iter().filter(move |k| self.has(*k))
    }
}

impl FromIterator<Keyword> for Keywords {
    fn from_iter<I: IntoIterator<Item = Keyword>>(iter: I) -> Self {
        let mut s = Keywords::NONE;
        for k in iter {
            s.insert(k);
        }
        s
    }
}

impl fmt::Debug for Keywords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Keywords {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Collected first: binary formats (snapshots) need the length up front.
        s.collect_seq(self.iter().collect::<Vec<_>>())
    }
}

impl<'de> Deserialize<'de> for Keywords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Keyword>::deserialize(d)?.into_iter().collect())
    }
}
