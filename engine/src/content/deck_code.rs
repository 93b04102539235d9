//! Deck codes: a deck as a short string players can share, paste and play.
//!
//! `base64url(format, then per distinct card sorted by id: its id's 32-bit FNV-1a hash,
//! big-endian, and its count)`, no padding: a 30-card deck of 20 distinct cards is 136
//! characters. Card ids, not content indices, are hashed, so a code stays valid across
//! content versions for as long as its cards exist. Decoding needs the content (to turn
//! hashes back into ids); two ids of one content with the same hash would make a code
//! ambiguous, and a test keeps the shipped content free of that.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Content, DeckError};

const FORMAT: u8 = 1;
/// Bytes per distinct card: a 4-byte hash and a count.
const ENTRY: usize = 5;
/// Longer input is refused before decoding (a 60-card deck of 60 distinct cards is 402).
const MAX_CODE_CHARS: usize = 1_024;

/// The code of `cards` (any order; ids repeated once per copy).
pub fn encode(cards: &[String]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in cards {
        *counts.entry(id).or_default() += 1;
    }
    let mut bytes = vec![FORMAT];
    for (id, count) in counts {
        // A count above 255 cannot be in a legal deck; it saturates rather than wraps.
        let count = u8::try_from(count).unwrap_or(u8::MAX);
        bytes.extend(fnv1a(id).to_be_bytes());
        bytes.push(count);
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Content {
    /// The deck a code names, as a list of ids (one per copy), on this content. Not yet
    /// checked against the deck rules: see [`Content::validate_deck`].
    pub fn decode_deck(&self, code: &str) -> Result<Vec<String>, DeckError> {
        let bad = |why: &str| DeckError::BadCode(why.to_owned());
        if code.len() > MAX_CODE_CHARS {
            return Err(bad("too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(code.trim())
            .map_err(|_| bad("not base64url"))?;
        let Some((&format, entries)) = bytes.split_first() else {
            return Err(bad("empty"));
        };
        if format != FORMAT {
            return Err(bad(&format!(
                "format {format} (this server reads {FORMAT})"
            )));
        }
        if entries.is_empty() || !entries.len().is_multiple_of(ENTRY) {
            return Err(bad("truncated"));
        }
        let mut by_hash: HashMap<u32, Option<&str>> = HashMap::new();
        for card in self.cards() {
            by_hash
                .entry(fnv1a(&card.id))
                .and_modify(|id| *id = None)
                .or_insert(Some(&card.id));
        }
        let mut cards = Vec::new();
        for entry in entries.chunks_exact(ENTRY) {
            let hash = u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let id = match by_hash.get(&hash) {
                Some(Some(id)) => *id,
                Some(None) => return Err(bad("it names a card this content cannot tell apart")),
                None => return Err(bad("it names a card this content does not have")),
            };
            cards.extend(std::iter::repeat_n(id.to_owned(), usize::from(entry[4])));
        }
        Ok(cards)
    }
}

/// 32-bit FNV-1a: stable across versions and platforms (unlike `Hash`).
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn shipped() -> Content {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
        Content::load(&dir).unwrap_or_else(|r| panic!("{r}"))
    }

    #[test]
    fn every_shipped_deck_round_trips_through_its_code() {
        let content = shipped();
        for deck in content.decks() {
            let mut cards = content.deck_list(&deck.id).expect("listed");
            let code = encode(&cards);
            // A format byte and five bytes per distinct card: at most 30 of them.
            assert!(
                code.len() <= (1 + 5 * 30usize).div_ceil(3) * 4,
                "{}: {code}",
                deck.id
            );
            let mut decoded = content.decode_deck(&code).expect("decodes");
            cards.sort();
            decoded.sort();
            assert_eq!(decoded, cards, "{}", deck.id);
            // The same deck in any order has the same code.
            cards.reverse();
            assert_eq!(encode(&cards), code);
        }
    }

    #[test]
    fn a_choice_plays_if_it_is_a_content_deck_or_a_legal_code() {
        let content = shipped();
        let cards = content.deck_list("dusk_starter").expect("listed");
        assert!(content.plays("dusk_starter"));
        assert!(content.plays(&encode(&cards)));
        assert!(!content.plays(&encode(&cards[1..])), "29 cards");
        assert!(!content.plays("no_such_deck"));
    }

    #[test]
    fn no_two_shipped_cards_share_a_hash() {
        let content = shipped();
        let mut seen = HashMap::new();
        for card in content.cards() {
            if let Some(other) = seen.insert(fnv1a(&card.id), &card.id) {
                panic!(
                    "`{}` and `{other}` share a deck-code hash: rename one",
                    card.id
                );
            }
        }
    }

    #[test]
    fn what_is_not_a_code_is_refused_with_the_reason() {
        let content = shipped();
        let reason = |code: &str| match content.decode_deck(code) {
            Err(DeckError::BadCode(why)) => why,
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(reason(""), "empty");
        assert_eq!(reason("not a code!"), "not base64url");
        assert_eq!(
            reason(&URL_SAFE_NO_PAD.encode([2, 0, 0, 0, 0, 1])),
            "format 2 (this server reads 1)"
        );
        assert_eq!(reason(&URL_SAFE_NO_PAD.encode([1, 0, 0])), "truncated");
        assert_eq!(reason(&URL_SAFE_NO_PAD.encode([1])), "truncated");
        let stranger = encode(&["no_such_card".to_owned()]);
        assert_eq!(
            reason(&stranger),
            "it names a card this content does not have"
        );
        assert_eq!(reason(&"A".repeat(2_000)), "too long");
    }
}
