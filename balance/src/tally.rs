//! Counts kept while matches are played (one per thread, merged at the end) and turned
//! into the [`Report`].

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use moonlight_engine::Content;

use crate::Plan;
use crate::estimate::Score;
use crate::play::Played;
use crate::report::{BotReport, CardReport, PairingReport, Report, ThinkTime};

pub(crate) struct Tally {
    content_version: String,
    plan: Plan,
    pairings: Vec<PairingTally>,
    /// The seat that took the first turn.
    first: Score,
    /// Each bot (side one, side two).
    bots: [Score; 2],
    /// Think time per move of each bot, in microseconds.
    think: [Histogram<u64>; 2],
    /// Per (deck id, card id) of every deck in the plan.
    cards: BTreeMap<(String, String), CardTally>,
    unfinished: u32,
}

#[derive(Default)]
struct PairingTally {
    games: u32,
    /// Wins of the first deck and of the second.
    wins: [u32; 2],
    draws: u32,
    turns: u64,
}

struct CardTally {
    name: String,
    copies: u32,
    /// Games its deck played in which the card was played, and those it was not.
    played: Score,
    not_played: Score,
    plays: u64,
    /// Sum over plays of the seat's own turn number.
    turns: u64,
}

impl Tally {
    pub fn new(content: &Content, plan: &Plan) -> Self {
        let mut cards = BTreeMap::new();
        for (first, second) in &plan.pairings {
            for deck in [first, second].into_iter().filter_map(|d| content.deck(d)) {
                for entry in &deck.cards {
                    let name = content.card(&entry.card).map_or("", |c| &c.name);
                    cards.insert(
                        (deck.id.clone(), entry.card.clone()),
                        CardTally {
                            name: name.to_owned(),
                            copies: entry.count,
                            played: Score::default(),
                            not_played: Score::default(),
                            plays: 0,
                            turns: 0,
                        },
                    );
                }
            }
        }
        Self {
            content_version: content.version().to_owned(),
            plan: plan.clone(),
            pairings: plan
                .pairings
                .iter()
                .map(|_| PairingTally::default())
                .collect(),
            first: Score::default(),
            bots: [Score::default(); 2],
            think: [think_histogram(), think_histogram()],
            cards,
            unfinished: 0,
        }
    }

    pub fn think(&mut self, bot: usize, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        if let Some(h) = self.think.get_mut(bot) {
            h.saturating_record(micros.max(1));
        }
    }

    pub fn add(&mut self, played: &Played) {
        if !played.finished {
            self.unfinished += 1;
            return;
        }
        // Points of each seat: 1 a win, ½ a draw.
        let points = |seat: usize| match played.winner {
            Some(w) if w == seat => 1.0,
            Some(_) => 0.0,
            None => 0.5,
        };
        let Some(pairing) = self.pairings.get_mut(played.pairing) else {
            return;
        };
        pairing.games += 1;
        pairing.turns += u64::from(played.turns);
        match played.winner {
            Some(seat) => pairing.wins[seat.min(1)] += 1,
            None => pairing.draws += 1,
        }
        self.first.add(points(played.first));
        for seat in 0..2 {
            self.bots[played.bots[seat]].add(points(seat));
        }
        let (first, second) = &self.plan.pairings[played.pairing];
        for (seat, deck) in [first, second].into_iter().enumerate() {
            let plays = &played.plays[seat];
            for ((_, card), tally) in self.cards.range_mut(deck_range(deck)) {
                let mine: Vec<u32> = plays
                    .iter()
                    .filter(|(c, _)| c.as_str() == card)
                    .map(|(_, turn)| *turn)
                    .collect();
                if mine.is_empty() {
                    tally.not_played.add(points(seat));
                } else {
                    tally.played.add(points(seat));
                    tally.plays += mine.len() as u64;
                    tally.turns += mine.iter().map(|&t| u64::from(t)).sum::<u64>();
                }
            }
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.pairings.iter_mut().zip(other.pairings) {
            mine.games += theirs.games;
            mine.wins[0] += theirs.wins[0];
            mine.wins[1] += theirs.wins[1];
            mine.draws += theirs.draws;
            mine.turns += theirs.turns;
        }
        self.first.merge(other.first);
        for (mine, theirs) in self.bots.iter_mut().zip(other.bots) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.think.iter_mut().zip(&other.think) {
            // Both have the same bounds: adding cannot fail.
            let _ = mine.add(theirs);
        }
        for (key, theirs) in other.cards {
            if let Some(mine) = self.cards.get_mut(&key) {
                mine.played.merge(theirs.played);
                mine.not_played.merge(theirs.not_played);
                mine.plays += theirs.plays;
                mine.turns += theirs.turns;
            }
        }
        self.unfinished += other.unfinished;
    }

    pub fn report(self, took: Duration) -> Report {
        let games: u32 = self.pairings.iter().map(|p| p.games).sum();
        let turns: u64 = self.pairings.iter().map(|p| p.turns).sum();
        let pairings = self
            .plan
            .pairings
            .iter()
            .zip(&self.pairings)
            .map(|((first, second), p)| PairingReport {
                first: first.clone(),
                second: second.clone(),
                games: p.games,
                first_wins: p.wins[0],
                second_wins: p.wins[1],
                draws: p.draws,
                first_win_rate: Score {
                    points: f64::from(p.wins[0]) + f64::from(p.draws) / 2.0,
                    games: p.games,
                }
                .estimate(),
                average_turns: average(p.turns, p.games),
            })
            .collect();
        let bots = (0..2)
            .map(|b| BotReport {
                side: b + 1,
                level: self.plan.bots[b].as_str().to_owned(),
                win_rate: self.bots[b].estimate(),
                think: ThinkTime::of(&self.think[b]),
            })
            .collect();
        let cards = self
            .cards
            .into_iter()
            .map(|((deck, card), t)| {
                let games = t.played.games + t.not_played.games;
                CardReport {
                    deck,
                    card,
                    name: t.name,
                    copies: t.copies,
                    games,
                    played_in: f64::from(t.played.games) / f64::from(games.max(1)),
                    win_rate_played: t.played.estimate(),
                    win_rate_not_played: t.not_played.estimate(),
                    average_turn: (t.plays > 0).then(|| t.turns as f64 / t.plays as f64),
                }
            })
            .collect();
        Report {
            content_version: self.content_version,
            seed: self.plan.seed,
            threads: self.plan.threads,
            seconds: took.as_secs_f64(),
            games,
            unfinished: self.unfinished,
            pairings,
            first_player: self.first.estimate(),
            average_turns: average(turns, games),
            bots,
            cards,
        }
    }
}

/// The keys of `deck`'s cards in the card map.
fn deck_range(deck: &str) -> std::ops::RangeInclusive<(String, String)> {
    (deck.to_owned(), String::new())..=(deck.to_owned(), char::MAX.to_string())
}

fn average(total: u64, games: u32) -> f64 {
    total as f64 / f64::from(games.max(1))
}

fn think_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .expect("1 µs to 10 minutes, 3 figures: valid bounds")
}
