//! Configuration helpers. Each service's configuration is one struct deriving `clap::Args`:
//! its flag, environment variable, default and help text are written once, in the
//! attribute; the binary flattens the structs into its command line, and
//! [`defaults`] builds a struct with every default, so no default is written twice.

use std::{num::NonZeroU64, time::Duration};

use clap::{Args, Command, FromArgMatches};

/// `T` with every default of its flags, as an empty command line (and no environment)
/// gives it.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    // The environment must not leak into defaults: drop every `env` before parsing.
    let command = T::augment_args(Command::new("defaults")).mut_args(|arg| arg.env(None::<&str>));
    let parsed = command
        .try_get_matches_from(["defaults"])
        .and_then(|matches| T::from_arg_matches(&matches));
    match parsed {
        Ok(defaults) => defaults,
        // Only a flag without a default can fail here: a bug in the struct, found by the
        // first test that builds it.
        Err(error) => panic!("a configuration's defaults do not parse: {error}"),
    }
}

/// A whole number of seconds, at least one: `--turn-secs 0` is refused, not a timer that
/// fires at once.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let secs: NonZeroU64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of seconds, at least 1"))?;
    Ok(Duration::from_secs(secs.get()))
}

/// A whole number of milliseconds, at least one.
pub fn milliseconds(text: &str) -> Result<Duration, String> {
    let millis: NonZeroU64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of milliseconds, at least 1"))?;
    Ok(Duration::from_millis(millis.get()))
}

/// A count of at least one: `--max-rooms 0` is refused, not a node that takes nobody.
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{text}` is not a whole number, at least 1")),
    }
}

/// Text that is not empty (after trimming).
pub fn non_empty(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_nonsense_are_refused() {
        assert_eq!(seconds("75"), Ok(Duration::from_secs(75)));
        assert!(seconds("0").is_err());
        assert!(seconds("-3").is_err());
        assert!(seconds("soon").is_err());
        assert_eq!(milliseconds("20"), Ok(Duration::from_millis(20)));
        assert!(milliseconds("0").is_err());
        assert_eq!(at_least_one("3"), Ok(3));
        assert!(at_least_one("0").is_err());
        assert_eq!(non_empty(" eu-1 "), Ok("eu-1".to_owned()));
        assert!(non_empty("  ").is_err());
    }
}
