//! Balance simulation for designers: thousands of bot-vs-bot matches between decks, on
//! content as it is on disk, in seconds.
//!
//! A [`Plan`] names the pairings of decks, the games per pairing, the two bots and a seed;
//! [`run`] plays them on every core and returns a [`Report`]: each pairing's win rate with
//! its 95 % confidence interval, the first player's advantage, game length, each bot's
//! win rate and think time, and per card how often it is played, the win rate of the
//! games it was played in against those it was not, and the turn it comes down on. The
//! report prints as a table, serialises to JSON, and draws as an SVG ([`plot::draw`]).
//!
//! Same plan, same content, same results, whatever the number of threads: each match's
//! seed comes from the plan's seed and the match's place in the plan.

mod estimate;
mod play;
pub mod plot;
mod report;
mod tally;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use moonlight_engine::{Content, Level};

pub use estimate::Estimate;
pub use report::{BotReport, CardReport, PairingReport, Report, ThinkTime};

use play::Fixture;
use tally::Tally;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Pairs of content deck ids; each pairing plays [`Plan::games`] matches.
    pub pairings: Vec<(String, String)>,
    pub games: u32,
    /// The bot of side one and of side two. They swap decks every other game, so a
    /// strength test between two levels is not a test of the decks.
    pub bots: [Level; 2],
    pub seed: u64,
    pub threads: usize,
}

/// Why a plan cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no deck `{deck}` in this content; its decks: {}", known.join(", "))]
    UnknownDeck { deck: String, known: Vec<String> },
    #[error("a pairing needs two decks; this content or the --deck list has {0}")]
    TooFewDecks(usize),
    #[error("the number of games must be at least 1")]
    NoGames,
}

impl Plan {
    /// Every pair of distinct decks among `decks`, or among all the content's decks when
    /// `decks` is empty; each deck id checked.
    pub fn every_pair(
        content: &Content,
        decks: &[String],
    ) -> Result<Vec<(String, String)>, PlanError> {
        let known: Vec<String> = content.decks().map(|d| d.id.clone()).collect();
        let chosen = if decks.is_empty() { &known } else { decks };
        if let Some(deck) = chosen.iter().find(|d| !known.contains(d)) {
            return Err(PlanError::UnknownDeck {
                deck: deck.clone(),
                known,
            });
        }
        if chosen.len() < 2 {
            return Err(PlanError::TooFewDecks(chosen.len()));
        }
        let mut pairs = Vec::new();
        for (i, first) in chosen.iter().enumerate() {
            for second in &chosen[i + 1..] {
                pairs.push((first.clone(), second.clone()));
            }
        }
        Ok(pairs)
    }

    fn fixture(&self, index: usize) -> Fixture<'_> {
        let games = self.games as usize;
        let pairing = index / games;
        let game = index % games;
        let (first, second) = &self.pairings[pairing];
        // Side one's bot plays the first deck in even games and the second in odd ones.
        let bots = if game.is_multiple_of(2) {
            [0, 1]
        } else {
            [1, 0]
        };
        Fixture {
            pairing,
            decks: [first.as_str(), second.as_str()],
            bots,
            levels: bots.map(|b| self.bots[b]),
            seed: mix(self.seed, index as u64),
        }
    }
}

/// Plays the plan on `plan.threads` threads.
pub fn run(content: &Arc<Content>, plan: &Plan) -> Result<Report, PlanError> {
    if plan.games == 0 {
        return Err(PlanError::NoGames);
    }
    for (first, second) in &plan.pairings {
        for deck in [first, second] {
            if content.deck(deck).is_none() {
                return Err(PlanError::UnknownDeck {
                    deck: deck.clone(),
                    known: content.decks().map(|d| d.id.clone()).collect(),
                });
            }
        }
    }
    let started = Instant::now();
    let total = plan.pairings.len() * plan.games as usize;
    let next = AtomicUsize::new(0);
    let tally = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..plan.threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut tally = Tally::new(content, plan);
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= total {
                            return tally;
                        }
                        let fixture = plan.fixture(index);
                        // Content decks were checked when the content loaded, and both
                        // ids above: setting up cannot fail.
                        if let Ok(played) = play::play(content, &fixture, &mut tally) {
                            tally.add(&played);
                        }
                    }
                })
            })
            .collect();
        let mut all = Tally::new(content, plan);
        for worker in workers {
            match worker.join() {
                Ok(tally) => all.merge(tally),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    Ok(tally.report(started.elapsed()))
}

/// splitmix64 of the plan's seed and a match's index: independent seeds per match.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
