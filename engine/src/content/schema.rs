//! The content vocabulary: the types designers' TOML files deserialise into.
//!
//! This is the whole closed vocabulary the engine understands. Every struct and
//! enum denies unknown fields, so a misspelt key is an error instead of a card
//! that silently does less than its text. The JSON Schema in `content/schema.json`
//! is generated from these types (see [`json_schema`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One content file. Any `.toml` file under the content directory may hold any
/// mix of `[rules]`, `[[card]]` and `[[deck]]`; by convention cards live in
/// `cards/`, decks in `decks/` and the rules in `rules.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentFile {
    /// The game's numbers. Exactly one file must define them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RulesDef>,
    /// Card definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub card: Vec<CardDef>,
    /// Deck lists (the starter decks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deck: Vec<DeckDef>,
}

/// The game's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesDef {
    /// Starting (and maximum) hero health.
    pub hero_health: i32,
    /// Exact number of cards in a deck.
    pub deck_size: u32,
    /// Maximum copies of one card in a deck.
    pub max_copies: u32,
    /// Maximum cards in hand; a card drawn into a full hand is burned.
    pub hand_limit: u32,
    /// Maximum units on one side of the board.
    pub board_limit: u32,
    /// The moonlight (resource) cap: it grows by one each turn up to this.
    pub moonlight_cap: i32,
    /// Cards the first player starts with.
    pub first_hand: u32,
    /// Cards every later player starts with.
    pub later_hand: u32,
    /// Before the first turn, each player may once put any of their opening
    /// cards back into the deck and draw as many (opening hands of at most 8).
    #[serde(default)]
    pub mulligan: bool,
    /// A card (usually a 0-cost spell) given to every player after the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_bonus_card: Option<String>,
    /// After this many turns (all seats counted) the game is a draw.
    pub turn_limit: u32,
    /// Actions one seat may take in one turn before only `end_turn` is legal.
    pub actions_per_turn: u32,
    /// The factions cards may belong to (decks mix one faction with `neutral`).
    pub factions: Vec<String>,
    /// Each faction's hero power: a `kind = "power"` card its decks' players may use once
    /// a turn. A faction without one (and an all-neutral deck) has no power.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hero_powers: BTreeMap<String, String>,
}

/// A card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardDef {
    /// Unique id: lowercase letters, digits and `_`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One of the factions listed in `[rules]`.
    pub faction: String,
    /// `unit` or `spell`.
    pub kind: CardKind,
    /// Moonlight cost, 0 up to the moonlight cap.
    pub cost: i32,
    /// Units only: attack, 0..=20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<i32>,
    /// Units only: health, 1..=30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<i32>,
    /// Units only: keywords the unit starts with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<Keyword>,
    /// Rules text shown to players: written from the keywords and abilities when left out
    /// (the catalogue always carries it); if given, it must say exactly that.
    #[serde(default)]
    pub text: String,
    /// `false` for tokens: cards only effects create, never in decks.
    #[serde(default = "yes")]
    pub collectible: bool,
    /// How rare the card is (its frame, and later its packs). Default `common`.
    #[serde(default)]
    pub rarity: Rarity,
    /// The card's picture: a path under the content directory (`art/shade_bat.png`; png,
    /// jpg, webp or svg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art: Option<String>,
    /// Flavour text: a line of story under the rules text, with no rules meaning.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flavor: String,
    /// The name, flavour and rules text in other languages, by language tag (`fr`,
    /// `pt-BR`). A translated rules text names the English text it translates, so a change
    /// of the abilities shows as a stale translation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
    /// Spells only: played face down, it waits for one of its abilities' triggers during
    /// an opponent's turn, then is revealed and resolves.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// What the card does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abilities: Vec<Ability>,
    /// Units only: continuous effects while the unit is on the board and not silenced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auras: Vec<Aura>,
}

fn yes() -> bool {
    true
}

/// How rare a card is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rarity {
    #[default]
    Common,
    Rare,
    Epic,
    Legendary,
}

/// Every rarity name.
pub const RARITY_NAMES: &[&str] = &["common", "rare", "epic", "legendary"];

/// A card's name, flavour and rules text in one other language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flavor: String,
    /// The rules text in this language. Written by a translator from the English text the
    /// abilities make, which `text_from` repeats: when the abilities change, the English
    /// text does and the checker flags the translation as stale.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The English rules text `text` translates.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text_from: String,
}

/// The two kinds of card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// Stays on the board, attacks and can be attacked.
    Unit,
    /// Resolves its `on_play` abilities and goes to the graveyard.
    Spell,
    /// A hero power: never in a deck; its faction's players may use it once a turn.
    Power,
}

/// Every card kind name.
pub const CARD_KIND_NAMES: &[&str] = &["unit", "spell", "power"];

/// When something happens, optionally if a condition holds, do these effects in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ability {
    /// When the ability fires.
    pub trigger: Trigger,
    /// Checked when the ability resolves; if false nothing happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Applied in order.
    pub effects: Vec<Effect>,
}

/// When an ability fires. All are relative to the card that has the ability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The card is played (a unit enters from hand, a spell is cast).
    OnPlay,
    /// This unit dies.
    OnDeath,
    /// Its controller's turn starts.
    TurnStart,
    /// Its controller's turn ends.
    TurnEnd,
    /// This unit takes damage and survives it.
    OnDamaged,
    /// This unit attacks (before combat damage).
    OnAttack,
    /// Another unit enters its controller's board.
    AllySummoned,
    /// Its controller casts a spell.
    SpellCast,
    /// A unit of another team dies.
    EnemyDied,
    /// Another unit of its controller's team dies.
    AllyDied,
    /// Its controller draws a card (into the hand: not a burned card, not fatigue).
    CardDrawn,
    /// Its controller's hero takes damage.
    HeroDamaged,
    /// A player of another team plays a unit card.
    EnemyUnitPlayed,
    /// A player of another team casts a spell.
    EnemySpellCast,
    /// A unit of another team attacks (before combat damage).
    EnemyAttacks,
}

/// Every trigger name, in the order the schema lists them.
pub const TRIGGER_NAMES: &[&str] = &[
    "on_play",
    "on_death",
    "turn_start",
    "turn_end",
    "on_damaged",
    "on_attack",
    "ally_summoned",
    "spell_cast",
    "enemy_died",
    "ally_died",
    "card_drawn",
    "hero_damaged",
    "enemy_unit_played",
    "enemy_spell_cast",
    "enemy_attacks",
];

/// Unit keywords.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    /// Enemies must attack a guard unit first.
    Guard,
    /// Can attack the turn it is played.
    Swift,
    /// The first damage this unit would take is prevented, then the shield breaks.
    Shield,
    /// Damage this unit deals heals its controller's hero.
    Lifesteal,
    /// Any damage this unit deals to a unit destroys it.
    Venom,
    /// Cannot be attacked or chosen by enemies until it attacks.
    Stealth,
}

/// Every keyword name, in declaration order (also the bit order in keyword sets).
pub const KEYWORD_NAMES: &[&str] = &["guard", "swift", "shield", "lifesteal", "venom", "stealth"];

impl Keyword {
    /// All keywords, in bit order.
    pub const ALL: [Keyword; 6] = [
        Keyword::Guard,
        Keyword::Swift,
        Keyword::Shield,
        Keyword::Lifesteal,
        Keyword::Venom,
        Keyword::Stealth,
    ];

    /// The content name.
    pub fn name(self) -> &'static str {
        KEYWORD_NAMES[self as usize]
    }
}

/// Which characters an effect acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// How targets are picked.
    pub pick: Pick,
    /// Whose characters, relative to the card's controller. Default `any`.
    #[serde(default)]
    pub side: Side,
    /// Units, heroes or both. Default `character` (both).
    #[serde(default)]
    pub kind: TargetKind,
    /// `random` only: how many distinct characters, 1..=5. Default 1.
    #[serde(default = "one")]
    pub count: u32,
    /// Leave out the card's own unit (for "all other friendly units").
    #[serde(default)]
    pub other: bool,
    /// Only units whose printed cost is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_at_most: Option<i32>,
    /// Only units whose printed cost is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_at_least: Option<i32>,
    /// Only units whose attack is now at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_at_most: Option<i32>,
    /// Only units whose attack is now at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_at_least: Option<i32>,
    /// Only units with this keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<Keyword>,
    /// Only characters below their maximum health.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub damaged: bool,
}

impl Target {
    /// `pick` among `side`'s `kind`, one of them, with no filter.
    pub fn unfiltered(pick: Pick, side: Side, kind: TargetKind) -> Self {
        Self {
            pick,
            side,
            kind,
            count: 1,
            other: false,
            cost_at_most: None,
            cost_at_least: None,
            attack_at_most: None,
            attack_at_least: None,
            keyword: None,
            damaged: false,
        }
    }

    /// Whether it filters on something only units have (cost, attack, a keyword).
    pub fn filters_units(&self) -> bool {
        self.cost_at_most.is_some()
            || self.cost_at_least.is_some()
            || self.attack_at_most.is_some()
            || self.attack_at_least.is_some()
            || self.keyword.is_some()
    }
}

fn one() -> u32 {
    1
}

/// How targets are picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// The player chooses one when playing the card (`on_play` only).
    Chosen,
    /// Every matching character.
    All,
    /// `count` distinct matching characters at random.
    Random,
    /// The card's own unit.
    #[serde(rename = "self")]
    This,
    /// The character the trigger is about (the unit summoned, attacked, attacking, or
    /// that dealt the damage).
    It,
}

/// Every pick name.
pub const PICK_NAMES: &[&str] = &["chosen", "all", "random", "self", "it"];

/// Whose characters or which players, relative to the card's controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The controller only.
    Own,
    /// The controller and teammates.
    Ally,
    /// Every other team.
    Enemy,
    /// Everyone.
    #[default]
    Any,
}

/// Every side name.
pub const SIDE_NAMES: &[&str] = &["own", "ally", "enemy", "any"];

/// Units, heroes or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Units on the board.
    Unit,
    /// Heroes.
    Hero,
    /// Units and heroes.
    #[default]
    Character,
}

/// Every target kind name.
pub const TARGET_KIND_NAMES: &[&str] = &["unit", "hero", "character"];

/// An amount: a number, or a count of something in the game when the effect resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Amount {
    /// This many.
    Fixed(i32),
    /// As many as there are of something (plus `plus`).
    Count(Count),
}

impl From<i32> for Amount {
    fn from(n: i32) -> Self {
        Amount::Fixed(n)
    }
}

/// "Equal to the number of …".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    /// What is counted.
    pub count: Counter,
    /// `units` only: whose units, relative to the controller. Default `own`.
    #[serde(default = "own")]
    pub side: Side,
    /// Added to the count, -10..=10. Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub plus: i32,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// What a computed amount counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// Units on `side`'s boards.
    Units,
    /// Cards in the controller's hand.
    HandSize,
    /// The controller's maximum moonlight.
    Moonlight,
    /// The controller's hero's armor.
    Armor,
    /// Units in the controller's graveyard.
    DeadUnits,
}

/// Every counter name.
pub const COUNTER_NAMES: &[&str] = &["units", "hand_size", "moonlight", "armor", "dead_units"];

/// Which cards (in a deck or a hand): every field given must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CardFilter {
    /// Units or spells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CardKind>,
    /// Printed cost at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_at_most: Option<i32>,
    /// Printed cost at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_at_least: Option<i32>,
    /// Units with this keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<Keyword>,
}

impl CardFilter {
    /// Whether `card` passes.
    pub fn accepts(&self, card: &CardDef) -> bool {
        self.kind.is_none_or(|k| k == card.kind)
            && self.cost_at_most.is_none_or(|c| card.cost <= c)
            && self.cost_at_least.is_none_or(|c| card.cost >= c)
            && self.keyword.is_none_or(|k| card.keywords.contains(&k))
    }

    /// Whether it lets every card through.
    pub fn is_empty(&self) -> bool {
        *self == CardFilter::default()
    }
}

/// Where a copy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CopyTo {
    /// Into the controller's hand.
    #[default]
    Hand,
    /// Summoned for the controller.
    Board,
}

/// How long a cost change lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duration {
    /// Until the player plays one matching card (whenever that is).
    #[default]
    Next,
    /// Every matching card until the end of the current turn.
    ThisTurn,
}

/// A continuous effect of a unit on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "aura", rename_all = "snake_case", deny_unknown_fields)]
pub enum Aura {
    /// Matching units have `amount` more attack.
    Attack {
        /// -5..=5, not 0.
        amount: i32,
        /// `pick = "all"`, units only.
        target: Target,
    },
    /// Matching cards in the players' hands cost `amount` more (less if negative).
    Cost {
        /// -5..=5, not 0.
        amount: i32,
        /// Which cards. Default: all.
        #[serde(default, skip_serializing_if = "CardFilter::is_empty")]
        matching: CardFilter,
        /// Whose hands. Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
}

/// Every aura name.
pub const AURA_NAMES: &[&str] = &["attack", "cost"];

/// The effects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "effect", rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// Deal `amount` damage to each target.
    Damage {
        /// 1..=20, or a count.
        amount: Amount,
        /// Who takes it.
        target: Target,
    },
    /// Restore up to `amount` health to each target (never above its maximum).
    Heal {
        /// 1..=20, or a count.
        amount: Amount,
        /// Who is healed.
        target: Target,
    },
    /// The player(s) draw `count` cards.
    Draw {
        /// 1..=5. Default 1.
        #[serde(default = "one_i")]
        count: i32,
        /// Which players, relative to the controller. Default `own`.
        #[serde(default = "own")]
        player: Side,
        /// Draw only cards that match (random among them): a tutor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        matching: Option<CardFilter>,
    },
    /// The player(s) discard `count` random cards from hand.
    Discard {
        /// 1..=5. Default 1.
        #[serde(default = "one_i")]
        count: i32,
        /// Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
    /// Gain moonlight this turn, or (permanent) raise the maximum.
    GainMoonlight {
        /// 1..=10.
        amount: i32,
        /// Raise the maximum (filled) instead of gaining for this turn only.
        #[serde(default)]
        permanent: bool,
        /// Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
    /// Destroy maximum moonlight.
    DrainMoonlight {
        /// 1..=10.
        amount: i32,
        /// Default `enemy`.
        #[serde(default = "enemy")]
        player: Side,
    },
    /// Add attack and health (negative attack weakens; attack never below 0).
    Buff {
        /// -20..=20. Default 0.
        #[serde(default)]
        attack: i32,
        /// 0..=20. Default 0; raises maximum health too.
        #[serde(default)]
        health: i32,
        /// The attack lasts until the end of this turn (no `health` then).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        this_turn: bool,
        /// Units only.
        target: Target,
    },
    /// Summon `count` copies of a unit card for the controller.
    Summon {
        /// A unit card id.
        card: String,
        /// 1..=7. Default 1.
        #[serde(default = "one_i")]
        count: i32,
    },
    /// Destroy each target unit.
    Destroy {
        /// Units only.
        target: Target,
    },
    /// Return each target unit to its owner's hand (burned if the hand is full).
    ReturnToHand {
        /// Units only.
        target: Target,
    },
    /// Remove each target unit's keywords and abilities.
    Silence {
        /// Units only.
        target: Target,
    },
    /// Give each target unit a keyword.
    GiveKeyword {
        /// The keyword.
        keyword: Keyword,
        /// Units only.
        target: Target,
    },
    /// Turn each target unit into a fresh copy of another unit card.
    Transform {
        /// A unit card id.
        card: String,
        /// Units only.
        target: Target,
    },
    /// Set each target unit's attack and/or health (health sets its maximum too).
    SetStats {
        /// 0..=20.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attack: Option<i32>,
        /// 1..=30.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        health: Option<i32>,
        /// Units only.
        target: Target,
    },
    /// Summon fresh copies of `count` random units from the controller's graveyard (distinct
    /// graveyard cards; fewer if it holds fewer units).
    Resurrect {
        /// 1..=7. Default 1.
        #[serde(default = "one_i")]
        count: i32,
    },
    /// Shuffle `count` copies of a card into the player(s)' deck, each at a random place.
    Shuffle {
        /// Any card id (tokens welcome).
        card: String,
        /// 1..=5. Default 1.
        #[serde(default = "one_i")]
        count: i32,
        /// Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
    /// Put `count` copies of a card into the player(s)' hand.
    AddCard {
        /// Any card id (tokens welcome).
        card: String,
        /// 1..=5. Default 1.
        #[serde(default = "one_i")]
        count: i32,
        /// Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
    /// The player(s)' hero gains armor: damage to a hero takes armor first.
    Armor {
        /// 1..=20, or a count.
        amount: Amount,
        /// Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
    /// Each target unit cannot attack until the end of its controller's next turn.
    Freeze {
        /// Units only.
        target: Target,
    },
    /// Each target unit moves to the controller's board (asleep), while there is room.
    TakeControl {
        /// Units only.
        target: Target,
    },
    /// A fresh copy of each target unit's card, into the controller's hand or board.
    Copy {
        /// Units only.
        target: Target,
        /// `hand` (default) or `board`.
        #[serde(default)]
        to: CopyTo,
    },
    /// Cards cost more or less for the player(s).
    ChangeCost {
        /// -10..=10, not 0: negative is cheaper. Costs never go below 0.
        amount: i32,
        /// Which cards. Default: all.
        #[serde(default, skip_serializing_if = "CardFilter::is_empty")]
        matching: CardFilter,
        /// `next` (default): the next matching card played; `this_turn`: until the turn ends.
        #[serde(default)]
        duration: Duration,
        /// Default `own`.
        #[serde(default = "own")]
        player: Side,
    },
    /// Some effects only if a condition holds, others otherwise.
    If {
        /// Checked when this effect resolves.
        condition: Condition,
        /// Applied if it holds.
        then: Vec<Effect>,
        /// Applied if it does not. Default: nothing.
        #[serde(default, rename = "else", skip_serializing_if = "Vec::is_empty")]
        otherwise: Vec<Effect>,
    },
    /// Choose one: the player picks one option (a list of effects) when playing the card.
    Choose {
        /// Two or three options.
        options: Vec<Vec<Effect>>,
    },
}

fn one_i() -> i32 {
    1
}
fn own() -> Side {
    Side::Own
}
fn enemy() -> Side {
    Side::Enemy
}

/// The `target` field of the effects that have one, by reference or mutably.
macro_rules! the_target {
    ($effect:expr) => {
        match $effect {
            Effect::Damage { target, .. }
            | Effect::Heal { target, .. }
            | Effect::Buff { target, .. }
            | Effect::Destroy { target }
            | Effect::ReturnToHand { target }
            | Effect::Silence { target }
            | Effect::GiveKeyword { target, .. }
            | Effect::Transform { target, .. }
            | Effect::SetStats { target, .. }
            | Effect::Freeze { target }
            | Effect::TakeControl { target }
            | Effect::Copy { target, .. } => Some(target),
            _ => None,
        }
    };
}

/// Every effect name.
pub const EFFECT_NAMES: &[&str] = &[
    "damage",
    "heal",
    "draw",
    "discard",
    "gain_moonlight",
    "drain_moonlight",
    "buff",
    "summon",
    "destroy",
    "return_to_hand",
    "silence",
    "give_keyword",
    "transform",
    "set_stats",
    "resurrect",
    "shuffle",
    "add_card",
    "armor",
    "freeze",
    "take_control",
    "copy",
    "change_cost",
    "if",
    "choose",
];

impl Effect {
    /// The content name of the effect.
    pub fn name(&self) -> &'static str {
        let i = match self {
            Effect::Damage { .. } => 0,
            Effect::Heal { .. } => 1,
            Effect::Draw { .. } => 2,
            Effect::Discard { .. } => 3,
            Effect::GainMoonlight { .. } => 4,
            Effect::DrainMoonlight { .. } => 5,
            Effect::Buff { .. } => 6,
            Effect::Summon { .. } => 7,
            Effect::Destroy { .. } => 8,
            Effect::ReturnToHand { .. } => 9,
            Effect::Silence { .. } => 10,
            Effect::GiveKeyword { .. } => 11,
            Effect::Transform { .. } => 12,
            Effect::SetStats { .. } => 13,
            Effect::Resurrect { .. } => 14,
            Effect::Shuffle { .. } => 15,
            Effect::AddCard { .. } => 16,
            Effect::Armor { .. } => 17,
            Effect::Freeze { .. } => 18,
            Effect::TakeControl { .. } => 19,
            Effect::Copy { .. } => 20,
            Effect::ChangeCost { .. } => 21,
            Effect::If { .. } => 22,
            Effect::Choose { .. } => 23,
        };
        EFFECT_NAMES[i]
    }

    /// The effect's target selector, if it has one.
    pub fn target(&self) -> Option<&Target> {
        the_target!(self)
    }

    /// The effect's target selector, to change it.
    pub fn target_mut(&mut self) -> Option<&mut Target> {
        the_target!(self)
    }

    /// The effects nested in this one (`if`'s branches, `choose`'s options).
    pub fn nested(&self) -> Box<dyn Iterator<Item = &Effect> + '_> {
        match self {
            Effect::If {
                then, otherwise, ..
            } => Box::new(then.iter().chain(otherwise)),
            Effect::Choose { options } => Box::new(options.iter().flatten()),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// This effect and every effect nested in it, depth first.
    pub fn walk(&self) -> Vec<&Effect> {
        let mut all = vec![self];
        for inner in self.nested() {
            all.extend(inner.walk());
        }
        all
    }

    /// Whether the effect can act on heroes (otherwise units only).
    pub fn can_hit_heroes(&self) -> bool {
        matches!(self, Effect::Damage { .. } | Effect::Heal { .. })
    }
}

/// Conditions, checked when an ability resolves, relative to its controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Count the units on a side (the card's own unit included).
    Units {
        /// Default `own`.
        #[serde(default = "own")]
        side: Side,
        /// Inclusive lower bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<i32>,
        /// Inclusive upper bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<i32>,
    },
    /// Cards in the controller's hand.
    HandSize {
        /// Inclusive lower bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<i32>,
        /// Inclusive upper bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<i32>,
    },
    /// Health of a hero on a side (true if any such hero matches).
    HeroHealth {
        /// Default `own`.
        #[serde(default = "own")]
        side: Side,
        /// Inclusive lower bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<i32>,
        /// Inclusive upper bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<i32>,
    },
    /// The controller's maximum moonlight ("when the moon is full").
    Moonlight {
        /// Inclusive lower bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<i32>,
        /// Inclusive upper bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<i32>,
    },
    /// Every one of these holds.
    All {
        /// Two or more conditions.
        of: Vec<Condition>,
    },
    /// At least one of these holds.
    Any {
        /// Two or more conditions.
        of: Vec<Condition>,
    },
}

/// Every condition name.
pub const CONDITION_NAMES: &[&str] = &[
    "units",
    "hand_size",
    "hero_health",
    "moonlight",
    "all",
    "any",
];

impl Condition {
    /// The bounds of a counting condition (`None` for `all` and `any`).
    pub fn bounds(&self) -> Option<(Option<i32>, Option<i32>)> {
        match self {
            Condition::Units {
                at_least, at_most, ..
            }
            | Condition::HandSize { at_least, at_most }
            | Condition::HeroHealth {
                at_least, at_most, ..
            }
            | Condition::Moonlight { at_least, at_most } => Some((*at_least, *at_most)),
            Condition::All { .. } | Condition::Any { .. } => None,
        }
    }
}

/// A deck list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckDef {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The deck's faction; its cards must be of this faction or `neutral`.
    pub faction: String,
    /// The cards and how many copies of each.
    pub cards: Vec<DeckEntry>,
}

/// One line of a deck list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckEntry {
    /// A collectible card id.
    pub card: String,
    /// Copies, 1..=max_copies. Default 1.
    #[serde(default = "one")]
    pub count: u32,
}

/// The JSON Schema of a content file, pretty-printed, as committed in `content/schema.json`.
pub fn json_schema() -> String {
    // Draft-07: the draft editors' TOML tooling (Taplo) understands best.
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<ContentFile>();
    // Serialising a schema built from our own types cannot fail; fall back to an
    // empty object rather than panic in a library.
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}
