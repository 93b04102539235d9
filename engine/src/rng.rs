//! The match's random number generator.
//!
//! ChaCha8, seeded once per match. Its **full** state (seed, stream and word
//! position, in its serde form) is part of the game state and of every snapshot, so a restored match
//! continues the same random sequence instead of replaying it from the seed.
//! Bounded draws use our own rejection sampling so results never depend on how a
//! `rand` release implements ranges or shuffles.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The match RNG. Never exposed to views; bots must use their own RNG.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct GameRng(ChaCha8Rng);

impl GameRng {
    pub(crate) fn from_seed_u64(seed: u64) -> Self {
        GameRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// The seed, for tests that check it never leaks into what players see.
    #[cfg(test)]
    pub(crate) fn seed(&self) -> [u8; 32] {
        self.0.get_seed()
    }

    /// Uniform in `0..n`; `0` when `n == 0`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let n = n as u64;
        // Reject the top partial bucket so every value is equally likely.
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_mid_stream() {
        let mut a = GameRng::from_seed_u64(7);
        for _ in 0..13 {
            a.below(10);
        }
        let bytes = postcard::to_stdvec(&a).expect("serialises");
        let mut b: GameRng = postcard::from_bytes(&bytes).expect("deserialises");
        for _ in 0..50 {
            assert_eq!(a.below(1000), b.below(1000));
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = GameRng::from_seed_u64(1);
        for n in 0..50 {
            let v = r.below(n);
            assert!(v < n.max(1));
        }
    }
}
