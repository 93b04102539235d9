//! Designers' content: loading, checking and the checked, immutable [`Content`]
//! a match runs on.
//!
//! - [`schema`]: the vocabulary (serde + JSON Schema types);
//! - [`load`]: files → items, syntax and shape errors;
//! - [`check`]: semantic checks (references, ranges, targets, decks);
//! - [`diagnostics`]: `file:line:col: error: ...` reports;
//! - [`ContentStore`]: the current content for new matches, with reload;
//! - [`catalogue`]: what clients render cards from (`GET /v1/content`).

pub mod catalogue;
pub(crate) mod check;
pub mod deck_code;
pub mod diagnostics;
pub(crate) mod load;
pub mod schema;
mod store;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

pub use diagnostics::{CheckReport, Diagnostic, Severity};
pub use load::SourceFile;
use schema::{Aura, CardDef, CardKind, DeckDef, Effect, Pick, RulesDef, Target, Trigger};
pub use store::{ContentStore, RefusedReload};

use crate::ids::{CardId, Keywords};

/// Checked content. Immutable: a match holds an `Arc<Content>` and keeps the
/// version it started with; loading again gives a new value for new matches.
#[derive(Debug, Clone)]
pub struct Content {
    version: String,
    sources: Vec<SourceFile>,
    rules: RulesDef,
    /// Sorted by id; a card's index here is its compact id in game state.
    cards: Vec<CardDef>,
    ids: Vec<CardId>,
    keywords: Vec<Keywords>,
    /// What each card asks of the player who plays it: a target, an option.
    asks: Vec<Asks>,
    /// Per card: the triggers its abilities listen for (bit `Trigger as u32`), so the rules
    /// pass over a card that does not listen without reading its abilities.
    listens: Vec<u32>,
    /// Per card: whether it has an attack aura, a cost aura.
    attack_aura: Vec<bool>,
    cost_aura: Vec<bool>,
    index: BTreeMap<String, u16>,
    decks: BTreeMap<String, DeckDef>,
    warnings: Vec<Diagnostic>,
}

/// Checks the content in `dir` and returns every error and warning.
pub fn check_dir(dir: &Path) -> CheckReport {
    match Content::load(dir) {
        Ok(c) => CheckReport {
            errors: Vec::new(),
            warnings: c.warnings,
        },
        Err(report) => report,
    }
}

/// Checks content given as in-memory files (names as they should appear in diagnostics).
pub fn check_sources(files: Vec<SourceFile>) -> CheckReport {
    match Content::from_sources(files) {
        Ok(c) => CheckReport {
            errors: Vec::new(),
            warnings: c.warnings,
        },
        Err(report) => report,
    }
}

impl Content {
    /// Loads and checks every `.toml` file under `dir`. Errors (and the
    /// warnings found alongside them) come back as a report.
    pub fn load(dir: &Path) -> Result<Content, CheckReport> {
        let mut report = CheckReport::default();
        let files = load::read_dir(dir, &mut report);
        if files.is_empty() && report.is_ok() {
            report.push(Diagnostic {
                file: dir.display().to_string(),
                line: 1,
                col: 1,
                severity: Severity::Error,
                message: "no .toml content files found".to_owned(),
                hint: Some("point the checker at the content directory".to_owned()),
            });
        }
        Self::build(files, report)
    }

    /// Loads content from in-memory files (tests, tools).
    pub fn from_sources(files: Vec<SourceFile>) -> Result<Content, CheckReport> {
        let mut files = files;
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        Self::build(files, CheckReport::default())
    }

    fn build(files: Vec<SourceFile>, mut report: CheckReport) -> Result<Content, CheckReport> {
        let parsed = load::parse_files(&files, &mut report);
        check::check(&files, &parsed, &mut report);
        report.sort();
        if !report.is_ok() {
            return Err(report);
        }
        let Some(rules) = parsed.rules.into_iter().next().map(|r| r.value) else {
            return Err(report);
        };
        let mut cards: Vec<CardDef> = parsed.cards.into_iter().map(|c| c.value).collect();
        cards.sort_by(|a, b| a.id.cmp(&b.id));
        // Every card's text is what it does (the checker refused any other).
        let texts: Vec<String> = cards
            .iter()
            .map(|card| {
                // `cards` is sorted by id.
                text::describe(card, &|id| {
                    let at = cards.binary_search_by(|c| c.id.as_str().cmp(id)).ok()?;
                    cards.get(at)
                })
            })
            .collect();
        for (card, text) in cards.iter_mut().zip(texts) {
            card.text = text;
        }
        if cards.len() > usize::from(u16::MAX) {
            report.push(Diagnostic {
                file: files.first().map(|f| f.name.clone()).unwrap_or_default(),
                line: 1,
                col: 1,
                severity: Severity::Error,
                message: format!("too many cards ({})", cards.len()),
                hint: None,
            });
            return Err(report);
        }
        let index = cards
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i as u16))
            .collect();
        let ids = cards.iter().map(|c| CardId::new(&c.id)).collect();
        let keywords = cards
            .iter()
            .map(|c| c.keywords.iter().copied().collect())
            .collect();
        let asks = cards.iter().map(Asks::of).collect();
        let listens = cards
            .iter()
            .map(|c| {
                c.abilities
                    .iter()
                    .fold(0, |bits, a| bits | 1 << a.trigger as u32)
            })
            .collect();
        let has_aura = |kind: fn(&Aura) -> bool| -> Vec<bool> {
            cards.iter().map(|c| c.auras.iter().any(kind)).collect()
        };
        let attack_aura = has_aura(|a| matches!(a, Aura::Attack { .. }));
        let cost_aura = has_aura(|a| matches!(a, Aura::Cost { .. }));
        let decks = parsed
            .decks
            .into_iter()
            .map(|d| (d.value.id.clone(), d.value))
            .collect();
        Ok(Content {
            version: load::version_of(&files),
            rules,
            cards,
            ids,
            keywords,
            asks,
            listens,
            attack_aura,
            cost_aura,
            index,
            decks,
            warnings: report.warnings,
            sources: files,
        })
    }

    /// The content version: a SHA-256 (hex) of every file's path and bytes.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The files this content was built from (its version is their hash): what to keep
    /// so the same content can be built again elsewhere.
    pub fn sources(&self) -> &[SourceFile] {
        &self.sources
    }

    /// The game's numbers.
    pub fn rules(&self) -> &RulesDef {
        &self.rules
    }

    /// Warnings found while loading (content with warnings still loads).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// A card by id.
    pub fn card(&self, id: &str) -> Option<&CardDef> {
        self.index
            .get(id)
            .and_then(|&i| self.cards.get(usize::from(i)))
    }

    /// All cards, sorted by id.
    pub fn cards(&self) -> &[CardDef] {
        &self.cards
    }

    /// A deck by id.
    pub fn deck(&self, id: &str) -> Option<&DeckDef> {
        self.decks.get(id)
    }

    /// All decks, in id order.
    pub fn decks(&self) -> impl Iterator<Item = &DeckDef> {
        self.decks.values()
    }

    /// A deck's cards as a flat list of ids (each repeated `count` times).
    pub fn deck_list(&self, id: &str) -> Option<Vec<String>> {
        let d = self.decks.get(id)?;
        Some(
            d.cards
                .iter()
                .flat_map(|e| std::iter::repeat_n(e.card.clone(), e.count as usize))
                .collect(),
        )
    }

    /// The cards of a deck choice: one of this content's deck ids, or a deck code
    /// ([`deck_code`]) whose cards are legal here.
    pub fn resolve_deck(&self, choice: &str) -> Result<Vec<String>, DeckError> {
        if let Some(cards) = self.deck_list(choice) {
            return Ok(cards);
        }
        let cards = self.decode_deck(choice)?;
        self.validate_deck(&cards)?;
        Ok(cards)
    }

    /// Whether a deck choice can be played on this content ([`Content::resolve_deck`]
    /// would give its cards), without listing a content deck's cards.
    pub fn plays(&self, choice: &str) -> bool {
        self.decks.contains_key(choice) || self.resolve_deck(choice).is_ok()
    }

    /// Checks a player-supplied deck list against the deck rules: size, copy
    /// limit, known and collectible cards, at most one faction besides neutral.
    pub fn validate_deck(&self, cards: &[String]) -> Result<(), DeckError> {
        if cards.len() != self.rules.deck_size as usize {
            return Err(DeckError::Size {
                have: cards.len(),
                need: self.rules.deck_size as usize,
            });
        }
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        let mut faction: Option<&str> = None;
        for id in cards {
            let Some(card) = self.card(id) else {
                return Err(DeckError::UnknownCard(id.clone()));
            };
            if !card.collectible {
                return Err(DeckError::NotCollectible(id.clone()));
            }
            let n = counts.entry(id.as_str()).or_insert(0);
            *n += 1;
            if *n > self.rules.max_copies {
                return Err(DeckError::TooManyCopies {
                    card: id.clone(),
                    limit: self.rules.max_copies,
                });
            }
            if card.faction != "neutral" {
                match faction {
                    Some(f) if f != card.faction => {
                        return Err(DeckError::MixedFactions {
                            card: id.clone(),
                            faction: card.faction.clone(),
                            deck_faction: f.to_owned(),
                        });
                    }
                    _ => faction = Some(&card.faction),
                }
            }
        }
        Ok(())
    }

    // ----- compact access for the rules engine -----

    pub(crate) fn idx(&self, id: &str) -> Option<u16> {
        self.index.get(id).copied()
    }

    pub(crate) fn def(&self, idx: u16) -> Option<&CardDef> {
        self.cards.get(usize::from(idx))
    }

    pub(crate) fn id_of(&self, idx: u16) -> CardId {
        self.ids
            .get(usize::from(idx))
            .cloned()
            .unwrap_or_else(|| CardId::new("?"))
    }

    pub(crate) fn keywords_of(&self, idx: u16) -> Keywords {
        self.keywords
            .get(usize::from(idx))
            .copied()
            .unwrap_or_default()
    }

    /// The target the player chooses when playing card `idx` with option `choice`.
    pub(crate) fn chosen_of(&self, idx: u16, choice: Option<u32>) -> Option<Target> {
        let asks = self.asks.get(usize::from(idx))?;
        match choice {
            Some(c) => asks
                .per_option
                .get(c as usize)
                .copied()
                .flatten()
                .or(asks.chosen),
            None => asks.chosen,
        }
    }

    /// How many options card `idx` offers ("choose one"); 0 if it offers none.
    pub(crate) fn choices_of(&self, idx: u16) -> u32 {
        // The checker allows at most three options.
        self.asks
            .get(usize::from(idx))
            .map_or(0, |a| a.per_option.len() as u32)
    }

    /// Whether card `idx` has an ability for `trig`.
    pub(crate) fn listens(&self, idx: u16, trig: Trigger) -> bool {
        self.listens
            .get(usize::from(idx))
            .is_some_and(|bits| bits & 1 << trig as u32 != 0)
    }

    /// Whether card `idx` has an attack aura.
    pub(crate) fn has_attack_aura(&self, idx: u16) -> bool {
        self.attack_aura
            .get(usize::from(idx))
            .copied()
            .unwrap_or(false)
    }

    /// Whether card `idx` has a cost aura.
    pub(crate) fn has_cost_aura(&self, idx: u16) -> bool {
        self.cost_aura
            .get(usize::from(idx))
            .copied()
            .unwrap_or(false)
    }

    /// The hero power of a deck: its faction's (the faction of its first non-neutral card).
    pub(crate) fn power_for(&self, deck: &[u16]) -> Option<u16> {
        let faction = deck
            .iter()
            .filter_map(|&c| self.def(c))
            .map(|d| d.faction.as_str())
            .find(|f| *f != "neutral")?;
        self.idx(self.rules.hero_powers.get(faction)?)
    }

    pub(crate) fn is_unit(&self, idx: u16) -> bool {
        self.def(idx).is_some_and(|c| c.kind == CardKind::Unit)
    }
}

/// What a card asks of the player who plays it (the checker allows at most one chosen
/// target outside its options and one `choose` per card).
#[derive(Debug, Clone, Default)]
struct Asks {
    /// The chosen target of its `on_play` effects outside any option.
    chosen: Option<Target>,
    /// One entry per option of its `choose`: that option's chosen target.
    per_option: Vec<Option<Target>>,
}

impl Asks {
    fn of(c: &CardDef) -> Asks {
        let mut asks = Asks::default();
        let on_play = c
            .abilities
            .iter()
            .filter(|a| a.trigger == Trigger::OnPlay)
            .flat_map(|a| a.effects.iter());
        for effect in on_play {
            if let Effect::Choose { options } = effect {
                asks.per_option = options.iter().map(|o| chosen_in(o)).collect();
            } else if asks.chosen.is_none() {
                asks.chosen = chosen_in(std::slice::from_ref(effect));
            }
        }
        asks
    }
}

/// The first chosen target among `effects` and everything nested in them.
fn chosen_in(effects: &[Effect]) -> Option<Target> {
    effects
        .iter()
        .flat_map(Effect::walk)
        .filter_map(Effect::target)
        .find(|t| t.pick == Pick::Chosen)
        .copied()
}

/// Why a player-supplied deck list is not legal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum DeckError {
    /// Wrong number of cards.
    #[error("a deck must have exactly {need} cards, this one has {have}")]
    Size {
        /// Cards in the list.
        have: usize,
        /// Cards required.
        need: usize,
    },
    /// No such card.
    #[error("unknown card `{0}`")]
    UnknownCard(String),
    /// A token.
    #[error("`{0}` cannot be put in a deck")]
    NotCollectible(String),
    /// Over the copy limit.
    #[error("too many copies of `{card}`: at most {limit}")]
    TooManyCopies {
        /// The card.
        card: String,
        /// Copies allowed.
        limit: u32,
    },
    /// Cards from two factions.
    #[error(
        "`{card}` is a {faction} card in a {deck_faction} deck: a deck holds one faction \
         plus neutral cards"
    )]
    MixedFactions {
        /// The first card of a second faction.
        card: String,
        /// Its faction.
        faction: String,
        /// The faction of the cards before it.
        deck_faction: String,
    },
    /// Not a deck code (see [`deck_code`]).
    #[error("not a deck code: {0}")]
    BadCode(String),
}
