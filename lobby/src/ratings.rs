//! Ratings: Glicko-2 (Glickman, 2012), one rating period per match.
//!
//! Every player starts at 1500 with a deviation of 350 (very uncertain) and a volatility
//! of 0.06. Each rated match moves both players' ratings by how surprising the result
//! was given their ratings and deviations, and shrinks the deviations; a player is
//! *provisional* while their deviation is above [`PROVISIONAL_DEVIATION`] (about the first
//! ten to fifteen games), and is left off the leaderboard until then. The arithmetic is
//! the `skillratings` crate's.

use skillratings::{
    Outcomes,
    glicko2::{Glicko2Config, Glicko2Rating, glicko2},
};

/// Above this deviation a rating is provisional.
pub const PROVISIONAL_DEVIATION: f64 = 110.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub rating: f64,
    pub deviation: f64,
    pub volatility: f64,
}

impl Default for Rating {
    fn default() -> Self {
        let start = Glicko2Rating::new();
        Self {
            rating: start.rating,
            deviation: start.deviation,
            volatility: start.volatility,
        }
    }
}

impl Rating {
    pub fn is_provisional(&self) -> bool {
        self.deviation > PROVISIONAL_DEVIATION
    }

    fn glicko(self) -> Glicko2Rating {
        Glicko2Rating {
            rating: self.rating,
            deviation: self.deviation,
            volatility: self.volatility,
        }
    }

    fn from_glicko(rating: Glicko2Rating) -> Self {
        Self {
            rating: rating.rating,
            deviation: rating.deviation,
            volatility: rating.volatility,
        }
    }
}

/// How a match ended for the first player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    Win,
    Loss,
    Draw,
}

/// Both players' new ratings after one match between them.
pub fn rate(first: Rating, second: Rating, score: Score) -> (Rating, Rating) {
    let outcome = match score {
        Score::Win => Outcomes::WIN,
        Score::Loss => Outcomes::LOSS,
        Score::Draw => Outcomes::DRAW,
    };
    let (a, b) = glicko2(
        &first.glicko(),
        &second.glicko(),
        &outcome,
        &Glicko2Config::new(),
    );
    (Rating::from_glicko(a), Rating::from_glicko(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_players_start_provisional_at_1500() {
        let start = Rating::default();
        assert!((start.rating - 1500.0).abs() < f64::EPSILON);
        assert!(start.is_provisional());
    }

    #[test]
    fn a_win_moves_points_from_loser_to_winner() {
        let (winner, loser) = rate(Rating::default(), Rating::default(), Score::Win);
        assert!(winner.rating > 1500.0 && loser.rating < 1500.0);
        assert!((winner.rating - 1500.0 - (1500.0 - loser.rating)).abs() < 1e-6);
        assert!(winner.deviation < 350.0);
    }

    #[test]
    fn an_upset_moves_more_than_an_expected_result() {
        let strong = Rating {
            rating: 1800.0,
            deviation: 80.0,
            volatility: 0.06,
        };
        let weak = Rating {
            rating: 1400.0,
            deviation: 80.0,
            volatility: 0.06,
        };
        let (expected, _) = rate(strong, weak, Score::Win);
        let (upset, _) = rate(strong, weak, Score::Loss);
        assert!(expected.rating - strong.rating < strong.rating - upset.rating);
    }

    #[test]
    fn a_dozen_games_make_a_rating_established() {
        let mut me = Rating::default();
        let opponent = Rating {
            rating: 1500.0,
            deviation: 60.0,
            volatility: 0.06,
        };
        for game in 0..15 {
            let score = if game % 2 == 0 {
                Score::Win
            } else {
                Score::Loss
            };
            me = rate(me, opponent, score).0;
        }
        assert!(!me.is_provisional(), "deviation still {}", me.deviation);
    }
}
