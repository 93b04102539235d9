//! Semantic checks over everything that parsed: ranges, references, targets that
//! make no sense for their effect or trigger, duplicate ids, deck rules. The rules
//! language's checks (abilities, effects, targets, auras) are in [`abilities`], what only
//! players see (art, flavour, translations) in [`presentation`].
//!
//! Checks never stop at the first problem: each pushes a diagnostic located by a
//! path into the file's TOML tree, resolved to `line:col` at the end.

use std::collections::BTreeMap;

use super::diagnostics::{CheckReport, Severity, did_you_mean, names_hint};
use super::load::{Located, Parsed, Seg, SourceFile, diag, span_of, tpath};
use super::schema::{CardDef, CardKind, DeckDef, RulesDef, Target};
use super::text;

mod abilities;
mod presentation;

use abilities::{check_ability, check_aura};
use presentation::check_presentation;

/// A problem found by a semantic check, located by path; turned into a
/// [`super::diagnostics::Diagnostic`] once all checks ran.
struct Finding {
    file: usize,
    path: Vec<Seg>,
    severity: Severity,
    message: String,
    hint: Option<String>,
}

struct Checker<'a> {
    findings: Vec<Finding>,
    rules: &'a RulesDef,
    cards: BTreeMap<&'a str, &'a Located<CardDef>>,
}

impl<'a> Checker<'a> {
    fn err(&mut self, file: usize, path: Vec<Seg>, message: String, hint: Option<String>) {
        self.findings.push(Finding {
            file,
            path,
            severity: Severity::Error,
            message,
            hint,
        });
    }

    fn warn(&mut self, file: usize, path: Vec<Seg>, message: String, hint: Option<String>) {
        self.findings.push(Finding {
            file,
            path,
            severity: Severity::Warning,
            message,
            hint,
        });
    }

    /// A warning at the id of every card `unused` picks; `message` says why, given the id.
    fn warn_unused(
        &mut self,
        unused: impl Fn(&CardDef) -> bool,
        message: impl Fn(&str) -> String,
        hint: &str,
    ) {
        let picked: Vec<&'a Located<CardDef>> = self
            .cards
            .values()
            .copied()
            .filter(|c| unused(&c.value))
            .collect();
        for card in picked {
            let path = join(&card.path, tpath!["id"]);
            self.warn(
                card.file,
                path,
                message(&card.value.id),
                Some(hint.to_owned()),
            );
        }
    }

    fn range(&mut self, file: usize, path: Vec<Seg>, what: &str, v: i64, lo: i64, hi: i64) {
        if v < lo || v > hi {
            self.err(
                file,
                path,
                format!("{what} {v} is out of range"),
                Some(format!("use a value from {lo} to {hi}")),
            );
        }
    }
}

fn join(base: &[Seg], more: Vec<Seg>) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(more);
    p
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 48
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

/// Runs every semantic check and appends the diagnostics to `report`.
pub(crate) fn check(files: &[SourceFile], parsed: &Parsed, report: &mut CheckReport) {
    let mut findings = Vec::new();
    let Some(rules) = rules_of(files, parsed, report, &mut findings) else {
        resolve(files, findings, report);
        return;
    };
    let mut ck = Checker {
        findings,
        rules,
        cards: BTreeMap::new(),
    };
    check_rules(&mut ck, &parsed.rules[0]);

    // Ids first, so references can be checked against the full set.
    for card in &parsed.cards {
        let id = card.value.id.as_str();
        if !is_id(id) {
            ck.err(
                card.file,
                join(&card.path, tpath!["id"]),
                format!("card id `{id}` is not a valid id"),
                Some("use lowercase letters, digits and `_`, starting with a letter".to_owned()),
            );
        }
        if let Some(first) = ck.cards.get(id) {
            let (ff, fp) = (first.file, first.path.clone());
            let at = location(files, ff, &fp);
            ck.err(
                card.file,
                join(&card.path, tpath!["id"]),
                format!("duplicate card id `{id}`"),
                Some(format!("first defined at {at}; card ids must be unique")),
            );
        } else {
            ck.cards.insert(id, card);
        }
    }
    for card in &parsed.cards {
        check_card(&mut ck, card);
    }
    if let Some(bonus) = &rules.later_bonus_card
        && !ck.cards.contains_key(bonus.as_str())
    {
        let r = &parsed.rules[0];
        let hint = card_hint(&ck, bonus);
        ck.err(
            r.file,
            tpath!["rules", "later_bonus_card"],
            format!("unknown card `{bonus}`"),
            hint,
        );
    }
    check_hero_powers(&mut ck, &parsed.rules[0]);
    let mut in_deck: BTreeMap<&str, bool> = BTreeMap::new();
    let mut deck_ids: BTreeMap<&str, ()> = BTreeMap::new();
    for deck in &parsed.decks {
        if deck_ids.insert(deck.value.id.as_str(), ()).is_some() {
            ck.err(
                deck.file,
                join(&deck.path, tpath!["id"]),
                format!("duplicate deck id `{}`", deck.value.id),
                Some("deck ids must be unique".to_owned()),
            );
        }
        check_deck(&mut ck, deck);
        for e in &deck.value.cards {
            in_deck.insert(e.card.as_str(), true);
        }
    }
    ck.warn_unused(
        |card| card.collectible && !in_deck.contains_key(card.id.as_str()),
        |id| format!("card `{id}` is in no deck"),
        "add it to a starter deck, or set `collectible = false` for a token",
    );
    let findings = std::mem::take(&mut ck.findings);
    resolve(files, findings, report);
}

fn location(files: &[SourceFile], file: usize, p: &[Seg]) -> String {
    match files.get(file) {
        Some(f) => {
            let d = diag(f, span_of(f, p), Severity::Error, String::new(), None);
            format!("{}:{}:{}", d.file, d.line, d.col)
        }
        None => "?".to_owned(),
    }
}

fn resolve(files: &[SourceFile], findings: Vec<Finding>, report: &mut CheckReport) {
    for f in findings {
        if let Some(file) = files.get(f.file) {
            let span = span_of(file, &f.path);
            report.push(diag(file, span, f.severity, f.message, f.hint));
        }
    }
}

fn rules_of<'a>(
    files: &[SourceFile],
    parsed: &'a Parsed,
    report: &mut CheckReport,
    findings: &mut Vec<Finding>,
) -> Option<&'a RulesDef> {
    for extra in parsed.rules.iter().skip(1) {
        findings.push(Finding {
            file: extra.file,
            path: extra.path.clone(),
            severity: Severity::Error,
            message: "`[rules]` defined more than once".to_owned(),
            hint: Some(format!(
                "keep only the one at {}",
                location(files, parsed.rules[0].file, &parsed.rules[0].path)
            )),
        });
    }
    let first = parsed.rules.first();
    if first.is_none() && report.is_ok() {
        report.push(super::diagnostics::Diagnostic {
            file: files
                .first()
                .map_or_else(|| "rules.toml".to_owned(), |f| f.name.clone()),
            line: 1,
            col: 1,
            severity: Severity::Error,
            message: "no `[rules]` table in the content".to_owned(),
            hint: Some("add rules.toml with a `[rules]` table (see content/README.md)".to_owned()),
        });
    }
    first.map(|r| &r.value)
}

fn check_rules(ck: &mut Checker<'_>, r: &Located<RulesDef>) {
    let v = &r.value;
    let f = r.file;
    // A mulligan lists every subset of the opening hand as a legal action.
    let opening_max = if v.mulligan {
        i64::from(v.hand_limit).min(8)
    } else {
        v.hand_limit.into()
    };
    let checks: [(&str, i64, i64, i64); 10] = [
        ("hero_health", v.hero_health.into(), 1, 200),
        ("deck_size", v.deck_size.into(), 1, 100),
        ("max_copies", v.max_copies.into(), 1, v.deck_size.into()),
        ("hand_limit", v.hand_limit.into(), 1, 20),
        ("board_limit", v.board_limit.into(), 1, 12),
        ("moonlight_cap", v.moonlight_cap.into(), 1, 30),
        ("first_hand", v.first_hand.into(), 0, opening_max),
        ("later_hand", v.later_hand.into(), 0, opening_max),
        ("turn_limit", v.turn_limit.into(), 2, 1000),
        ("actions_per_turn", v.actions_per_turn.into(), 1, 500),
    ];
    for (name, val, lo, hi) in checks {
        ck.range(f, tpath!["rules", name], name, val, lo, hi);
    }
    if v.factions.is_empty() {
        ck.err(
            f,
            tpath!["rules", "factions"],
            "`factions` is empty".to_owned(),
            Some("list at least one faction, e.g. [\"tide\", \"dusk\", \"neutral\"]".to_owned()),
        );
    }
    for (i, fac) in v.factions.iter().enumerate() {
        if !is_id(fac) {
            ck.err(
                f,
                tpath!["rules", "factions", i],
                format!("faction `{fac}` is not a valid id"),
                Some("use lowercase letters, digits and `_`".to_owned()),
            );
        }
    }
}

/// Each faction's hero power: a known faction (not neutral) and a `kind = "power"` card
/// of that faction. A power no faction uses is flagged where it is defined.
fn check_hero_powers(ck: &mut Checker<'_>, r: &Located<RulesDef>) {
    let f = r.file;
    for (faction, id) in &r.value.hero_powers {
        let p = tpath!["rules", "hero_powers", faction.as_str()];
        if faction == "neutral" || !ck.rules.factions.contains(faction) {
            let valid: Vec<&str> = ck
                .rules
                .factions
                .iter()
                .map(String::as_str)
                .filter(|f| *f != "neutral")
                .collect();
            ck.err(
                f,
                p.clone(),
                format!("`{faction}` cannot have a hero power"),
                Some(names_hint(faction, "factions with a hero power", &valid)),
            );
        }
        match ck
            .cards
            .get(id.as_str())
            .map(|c| (c.value.kind, c.value.faction.clone()))
        {
            None => {
                let hint = card_hint(ck, id);
                ck.err(f, p, format!("unknown card `{id}`"), hint);
            }
            Some((CardKind::Power, power_faction)) if power_faction == *faction => {}
            Some((CardKind::Power, power_faction)) => ck.err(
                f,
                p,
                format!("`{id}` is a {power_faction} power, given to {faction}"),
                Some("a faction's hero power is one of its own cards".to_owned()),
            ),
            Some(_) => ck.err(
                f,
                p,
                format!("`{id}` is not a hero power"),
                Some("a hero power is a card with `kind = \"power\"`".to_owned()),
            ),
        }
    }
    ck.warn_unused(
        |card| {
            card.kind == CardKind::Power && !r.value.hero_powers.values().any(|id| *id == card.id)
        },
        |id| format!("hero power `{id}` belongs to no faction"),
        "name it in `[rules] hero_powers`",
    );
}

fn card_hint(ck: &Checker<'_>, name: &str) -> Option<String> {
    Some(match did_you_mean(name, ck.cards.keys().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => "no card has a similar id; check the card files".to_owned(),
    })
}

fn check_faction(ck: &mut Checker<'_>, file: usize, p: Vec<Seg>, faction: &str) {
    if !ck.rules.factions.iter().any(|f| f == faction) {
        let valid: Vec<&str> = ck.rules.factions.iter().map(String::as_str).collect();
        ck.err(
            file,
            p,
            format!("unknown faction `{faction}`"),
            Some(names_hint(faction, "factions", &valid)),
        );
    }
}

fn check_card(ck: &mut Checker<'_>, card: &Located<CardDef>) {
    let c = &card.value;
    let f = card.file;
    let at = |more: Vec<Seg>| join(&card.path, more);
    check_faction(ck, f, at(tpath!["faction"]), &c.faction);
    if c.name.trim().is_empty() {
        ck.err(f, at(tpath!["name"]), "card name is empty".to_owned(), None);
    }
    let cap = i64::from(ck.rules.moonlight_cap);
    if c.cost < 0 || i64::from(c.cost) > cap {
        ck.err(
            f,
            at(tpath!["cost"]),
            format!("cost {} is out of range", c.cost),
            Some(format!(
                "use 0 to {cap} (the moonlight cap); a higher cost could never be paid"
            )),
        );
    }
    match c.kind {
        CardKind::Unit => {
            match c.attack {
                Some(a) => ck.range(f, at(tpath!["attack"]), "attack", a.into(), 0, 20),
                None => ck.err(
                    f,
                    card.path.clone(),
                    "unit card has no `attack`".to_owned(),
                    Some("add `attack = N` (0 to 20)".to_owned()),
                ),
            }
            match c.health {
                Some(h) => ck.range(f, at(tpath!["health"]), "health", h.into(), 1, 30),
                None => ck.err(
                    f,
                    card.path.clone(),
                    "unit card has no `health`".to_owned(),
                    Some("add `health = N` (1 to 30)".to_owned()),
                ),
            }
        }
        CardKind::Spell | CardKind::Power => {
            let kind = if c.kind == CardKind::Spell {
                "a spell"
            } else {
                "a hero power"
            };
            for (field, present) in [
                ("attack", c.attack.is_some()),
                ("health", c.health.is_some()),
                ("keywords", !c.keywords.is_empty()),
                ("auras", !c.auras.is_empty()),
            ] {
                if present {
                    ck.err(
                        f,
                        at(tpath![field]),
                        format!("`{field}` does not fit {kind}"),
                        Some(format!(
                            "remove `{field}`, or make the card `kind = \"unit\"`"
                        )),
                    );
                }
            }
            if c.abilities.is_empty() {
                ck.warn(
                    f,
                    card.path.clone(),
                    format!("{kind} `{}` has no abilities and does nothing", c.id),
                    Some("add an `[[card.abilities]]` with `trigger = \"on_play\"`".to_owned()),
                );
            }
        }
    }
    if c.kind == CardKind::Power && c.collectible {
        ck.err(
            f,
            at(tpath!["kind"]),
            "a hero power cannot be collectible".to_owned(),
            Some("add `collectible = false`: players get it from their deck's faction".to_owned()),
        );
    }
    if c.secret && c.kind != CardKind::Spell {
        ck.err(
            f,
            at(tpath!["secret"]),
            "only a spell can be a secret".to_owned(),
            Some("make the card `kind = \"spell\"`, or remove `secret`".to_owned()),
        );
    }
    for (i, aura) in c.auras.iter().enumerate() {
        check_aura(ck, f, &at(tpath!["auras", i]), aura);
    }
    for (i, k) in c.keywords.iter().enumerate() {
        if c.keywords[..i].contains(k) {
            ck.warn(
                f,
                at(tpath!["keywords", i]),
                format!("keyword `{}` listed twice", k.name()),
                None,
            );
        }
    }
    // The text players read is what the card does, written from its keywords and
    // abilities (the loaded content carries that text, whatever the file says). A file
    // whose text says anything else is stale: a warning, not an error, so content stored
    // for matches begun under an older version still loads.
    let expected = text::describe(c, &|id| ck.cards.get(id).map(|named| &named.value));
    check_presentation(ck, card, &expected);
    let mut chosen: Option<Target> = None;
    for (ai, ability) in c.abilities.iter().enumerate() {
        check_ability(ck, card, ai, ability, &mut chosen);
    }
    if !c.text.is_empty() && c.text != expected {
        let says = if expected.is_empty() {
            "nothing: the card has no keywords or abilities".to_owned()
        } else {
            format!("\"{expected}\"")
        };
        ck.warn(
            f,
            at(tpath!["text"]),
            "the text does not say what the card does; players read what it does".to_owned(),
            Some(format!(
                "its keywords and abilities say {says}; leave `text` out, or write exactly that"
            )),
        );
    }
}

fn card_ref(ck: &mut Checker<'_>, file: usize, p: Vec<Seg>, id: &str, must_be_unit: bool) {
    match ck.cards.get(id).map(|c| c.value.kind) {
        None => {
            let hint = card_hint(ck, id);
            ck.err(file, p, format!("unknown card `{id}`"), hint);
        }
        Some(CardKind::Spell) if must_be_unit => ck.err(
            file,
            p,
            format!("`{id}` is a spell, but this effect needs a unit card"),
            None,
        ),
        Some(_) => {}
    }
}

fn check_deck(ck: &mut Checker<'_>, deck: &Located<DeckDef>) {
    let d = &deck.value;
    let f = deck.file;
    let at = |more: Vec<Seg>| join(&deck.path, more);
    if !is_id(&d.id) {
        ck.err(
            f,
            at(tpath!["id"]),
            format!("deck id `{}` is not a valid id", d.id),
            Some("use lowercase letters, digits and `_`".to_owned()),
        );
    }
    check_faction(ck, f, at(tpath!["faction"]), &d.faction);
    let max = ck.rules.max_copies;
    let mut total: u64 = 0;
    for (i, e) in d.cards.iter().enumerate() {
        total += u64::from(e.count);
        let ep = at(tpath!["cards", i]);
        if d.cards[..i].iter().any(|o| o.card == e.card) {
            ck.err(
                f,
                join(&ep, tpath!["card"]),
                format!("card `{}` is listed twice in deck `{}`", e.card, d.id),
                Some("merge the lines and add up `count`".to_owned()),
            );
        }
        if e.count == 0 || e.count > max {
            ck.err(
                f,
                join(&ep, tpath!["count"]),
                format!(
                    "copy limit: {} copies of `{}` (at most {max})",
                    e.count, e.card
                ),
                Some(format!("use a count from 1 to {max}")),
            );
        }
        let Some(card) = ck.cards.get(e.card.as_str()).map(|c| &c.value) else {
            let hint = card_hint(ck, &e.card);
            ck.err(
                f,
                join(&ep, tpath!["card"]),
                format!("unknown card `{}` in deck `{}`", e.card, d.id),
                hint,
            );
            continue;
        };
        if !card.collectible {
            ck.err(
                f,
                join(&ep, tpath!["card"]),
                format!(
                    "`{}` is a token (collectible = false) and cannot be in a deck",
                    e.card
                ),
                None,
            );
        }
        if card.faction != d.faction && card.faction != "neutral" {
            ck.err(
                f,
                join(&ep, tpath!["card"]),
                format!(
                    "`{}` is a {} card; deck `{}` may hold only {} and neutral cards",
                    e.card, card.faction, d.id, d.faction
                ),
                None,
            );
        }
    }
    let size = u64::from(ck.rules.deck_size);
    if total != size {
        ck.err(
            f,
            at(tpath!["cards"]),
            format!(
                "deck size: deck `{}` has {total} cards, it must have exactly {size}",
                d.id
            ),
            Some(if total < size {
                format!("add {} card(s)", size - total)
            } else {
                format!("remove {} card(s)", total - size)
            }),
        );
    }
}
