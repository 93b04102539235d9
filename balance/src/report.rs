//! What a simulation found: serialisable (JSON), and printable as tables.

use std::fmt;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::Estimate;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub content_version: String,
    pub seed: u64,
    pub threads: usize,
    /// Wall-clock time of the run.
    pub seconds: f64,
    /// Finished games (every statistic below counts only these).
    pub games: u32,
    /// Games that hit the simulator's action cap without ending (a rules loop).
    pub unfinished: u32,
    pub pairings: Vec<PairingReport>,
    /// The win rate of the seat that took the first turn, over every game.
    pub first_player: Option<Estimate>,
    /// Turns started per game, both seats' counted.
    pub average_turns: f64,
    /// Side one's bot and side two's.
    pub bots: Vec<BotReport>,
    /// Every card of every deck in the plan, by deck then card id.
    pub cards: Vec<CardReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairingReport {
    pub first: String,
    pub second: String,
    pub games: u32,
    pub first_wins: u32,
    pub second_wins: u32,
    pub draws: u32,
    /// The first deck's win rate (a draw counts half).
    pub first_win_rate: Option<Estimate>,
    pub average_turns: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BotReport {
    /// 1 or 2.
    pub side: usize,
    pub level: String,
    pub win_rate: Option<Estimate>,
    pub think: ThinkTime,
}

/// Time a bot took to choose a move.
#[derive(Debug, Clone, Serialize)]
pub struct ThinkTime {
    pub moves: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl ThinkTime {
    pub(crate) fn of(micros: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1_000.0;
        Self {
            moves: micros.len(),
            mean_ms: micros.mean() / 1_000.0,
            p50_ms: ms(micros.value_at_quantile(0.5)),
            p99_ms: ms(micros.value_at_quantile(0.99)),
            max_ms: ms(micros.max()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CardReport {
    pub deck: String,
    pub card: String,
    pub name: String,
    /// Copies in the deck.
    pub copies: u32,
    /// Games its deck played.
    pub games: u32,
    /// Share of those games in which it was played at least once.
    pub played_in: f64,
    /// The deck's win rate in the games the card was played in...
    pub win_rate_played: Option<Estimate>,
    /// ...and in those it was not (stuck in hand or deck).
    pub win_rate_not_played: Option<Estimate>,
    /// The seat's own turn it is played on, on average (1 = its first turn).
    pub average_turn: Option<f64>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bots: Vec<&str> = self.bots.iter().map(|b| b.level.as_str()).collect();
        writeln!(
            f,
            "{} games ({} pairings), bots {}, seed {}, content {}: {:.1} s on {} threads",
            self.games,
            self.pairings.len(),
            bots.join(" vs "),
            self.seed,
            short(&self.content_version),
            self.seconds,
            self.threads,
        )?;
        if self.unfinished > 0 {
            writeln!(
                f,
                "warning: {} games never ended (left out of every figure)",
                self.unfinished
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<40} {:>6} {:>6} {:>6} {:>6}  {:<24} {:>6}",
            "pairing (first vs second)",
            "games",
            "1st",
            "2nd",
            "draws",
            "1st win rate (95% CI)",
            "turns"
        )?;
        for p in &self.pairings {
            writeln!(
                f,
                "{:<40} {:>6} {:>6} {:>6} {:>6}  {:<24} {:>6.1}",
                format!("{} vs {}", p.first, p.second),
                p.games,
                p.first_wins,
                p.second_wins,
                p.draws,
                rate(p.first_win_rate.as_ref()),
                p.average_turns,
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "first player: {} | average game: {:.1} turns (both seats' counted)",
            rate(self.first_player.as_ref()),
            self.average_turns
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<16} {:<24} {:>9} {:>10} {:>10} {:>10}",
            "bot", "win rate (95% CI)", "moves", "think p50", "p99", "max"
        )?;
        for b in &self.bots {
            writeln!(
                f,
                "{:<16} {:<24} {:>9} {:>8.2}ms {:>8.2}ms {:>8.2}ms",
                format!("side {}: {}", b.side, b.level),
                rate(b.win_rate.as_ref()),
                b.think.moves,
                b.think.p50_ms,
                b.think.p99_ms,
                b.think.max_ms,
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<18} {:<22} {:>2} {:>7}  {:<24} {:<24} {:>5}",
            "deck", "card", "n", "played", "win when played", "win when not", "turn"
        )?;
        for c in &self.cards {
            let turn = c.average_turn.map_or("-".to_owned(), |t| format!("{t:.1}"));
            writeln!(
                f,
                "{:<18} {:<22} {:>2} {:>6.1}%  {:<24} {:<24} {:>5}",
                c.deck,
                c.name,
                c.copies,
                100.0 * c.played_in,
                rate(c.win_rate_played.as_ref()),
                rate(c.win_rate_not_played.as_ref()),
                turn,
            )?;
        }
        Ok(())
    }
}

/// `52.0% (48.9–55.1)`, or `-` without games.
fn rate(estimate: Option<&Estimate>) -> String {
    estimate.map_or("-".to_owned(), |e| {
        format!(
            "{:.1}% ({:.1}–{:.1})",
            100.0 * e.rate,
            100.0 * e.low,
            100.0 * e.high
        )
    })
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}
