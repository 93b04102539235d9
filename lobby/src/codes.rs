//! Join codes for private rooms: short, easy to read aloud and to type.

use rand::Rng;

/// No 0/O, 1/I/L, or vowels (no accidental words): 28 symbols.
const ALPHABET: &[u8] = b"23456789BCDFGHJKMNPQRSTVWXYZ";
pub const CODE_LENGTH: usize = 6;

/// A fresh random code. Six symbols give 28⁶ ≈ 480 million codes, so a collision among
/// the open rooms is rare; the database's unique constraint catches the rare one.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The code as typed, normalised (case, spaces, dashes); `None` if it cannot be a code.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_only_the_unambiguous_alphabet() {
        for _ in 0..1000 {
            let code = new_code();
            assert_eq!(normalise(&code).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn typed_codes_are_forgiving_but_strict_about_symbols() {
        assert_eq!(normalise("bcd-fg2").as_deref(), Some("BCDFG2"));
        assert_eq!(normalise(" bcd fg2 ").as_deref(), Some("BCDFG2"));
        assert_eq!(normalise("BCDFG0"), None, "0 is not in the alphabet");
        assert_eq!(normalise("BCDFG"), None);
        assert_eq!(normalise("BCDFGHJ"), None);
        assert_eq!(normalise("ÄBCDFG"), None);
    }
}
