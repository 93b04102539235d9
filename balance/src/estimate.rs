//! A rate measured over games, with its 95 % confidence interval.

use serde::Serialize;

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_964;

/// Points scored over games: a win is 1, a draw ½, a loss 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Score {
    pub points: f64,
    pub games: u32,
}

impl Score {
    pub fn add(&mut self, points: f64) {
        self.points += points;
        self.games += 1;
    }

    pub fn merge(&mut self, other: Score) {
        self.points += other.points;
        self.games += other.games;
    }

    /// The rate and its interval; `None` without games.
    pub fn estimate(self) -> Option<Estimate> {
        (self.games > 0).then(|| Estimate::wilson(self.points, self.games))
    }
}

/// A rate in 0..1 and its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub rate: f64,
    pub low: f64,
    pub high: f64,
    pub games: u32,
}

impl Estimate {
    /// The Wilson score interval, which stays inside 0..1 and behaves near 0 and 1 and on
    /// few games (where the normal approximation does not). Draws count as half a win.
    pub fn wilson(points: f64, games: u32) -> Self {
        let n = f64::from(games.max(1));
        let p = (points / n).clamp(0.0, 1.0);
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
        Self {
            rate: p,
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
            games,
        }
    }

    /// Whether the interval excludes an even split: the difference is not chance.
    pub fn differs_from_even(&self) -> bool {
        self.high < 0.5 || self.low > 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook_values() {
        // 520 of 1,000: 0.489..0.551 (e.g. statsmodels' proportion_confint, method wilson).
        let e = Estimate::wilson(520.0, 1_000);
        assert!(
            (e.low - 0.4890).abs() < 1e-3 && (e.high - 0.5508).abs() < 1e-3,
            "{e:?}"
        );
        assert!(!e.differs_from_even());
        // All wins of 10: the interval stays below 1 and excludes an even split.
        let e = Estimate::wilson(10.0, 10);
        assert!(e.high <= 1.0 && (e.low - 0.7225).abs() < 1e-3, "{e:?}");
        assert!(e.differs_from_even());
    }

    #[test]
    fn draws_count_half() {
        let mut score = Score::default();
        score.add(1.0);
        score.add(0.5);
        score.add(0.0);
        score.add(0.5);
        assert_eq!(score.estimate().map(|e| e.rate), Some(0.5));
        assert_eq!(Score::default().estimate(), None);
    }
}
