//! Validated account inputs. Anything that reaches the store has been through `parse`.

use std::fmt;

/// A player's name: 3 to 20 characters of ASCII letters, digits, `_` or `-`, starting with
/// a letter. ASCII only, so two names that look the same are the same name; uniqueness is
/// case-insensitive (see [`Username::key`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 20;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(format!(
                "username must be {} to {} characters long (got {len})",
                Self::MIN_LEN,
                Self::MAX_LEN
            ));
        }
        if !raw.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err("username must start with a letter".to_owned());
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "username may contain only letters, digits, '_' and '-' (found {bad:?})"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness and lookups use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: 8 to 128 characters (not bytes), never truncated, never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(format!(
                "password must be {} to {} characters long (got {len})",
                Self::MIN_LEN,
                Self::MAX_LEN
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_reasonable_usernames() {
        for name in [
            "luna",
            "Selene_2",
            "moon-walker",
            "abc",
            "a1234567890123456789",
        ] {
            assert!(Username::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn rejects_bad_usernames_with_a_reason() {
        let cases = [
            ("", "3 to 20"),
            ("ab", "3 to 20"),
            ("a12345678901234567890", "3 to 20"),
            ("1luna", "start with a letter"),
            ("_luna", "start with a letter"),
            ("lu na", "only letters"),
            ("lüna", "only letters"),
            ("luna\0", "only letters"),
        ];
        for (name, reason) in cases {
            let error = Username::parse(name).expect_err(name);
            assert!(error.contains(reason), "{name}: {error}");
        }
    }

    #[test]
    fn username_key_is_case_insensitive() {
        let a = Username::parse("Luna").unwrap();
        let b = Username::parse("lUNA").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Luna");
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        // 8 characters, 16 bytes
        assert!(Password::parse("éééééééé").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let password = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
