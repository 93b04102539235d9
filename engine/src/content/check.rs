//! Semantic checks over everything that parsed: ranges, references, targets that
//! make no sense for their effect or trigger, duplicate ids, deck rules.
//!
//! Checks never stop at the first problem: each pushes a diagnostic located by a
//! path into the file's TOML tree, resolved to `line:col` at the end.

use std::collections::BTreeMap;

use super::diagnostics::{CheckReport, Severity, did_you_mean, names_hint};
use super::load::{Located, Parsed, Seg, SourceFile, diag, span_of, tpath};
use super::schema::{
    Ability, Amount, Aura, CardDef, CardFilter, CardKind, Condition, Counter, DeckDef, Effect,
    Pick, RulesDef, Side, Target, TargetKind, Trigger,
};
use super::text;

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

impl Checker<'_> {
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
    let unused: Vec<(usize, Vec<Seg>, String)> = ck
        .cards
        .values()
        .filter(|c| c.value.collectible && !in_deck.contains_key(c.value.id.as_str()))
        .map(|c| (c.file, join(&c.path, tpath!["id"]), c.value.id.clone()))
        .collect();
    for (file, p, id) in unused {
        ck.warn(
            file,
            p,
            format!("card `{id}` is in no deck"),
            Some("add it to a starter deck, or set `collectible = false` for a token".to_owned()),
        );
    }
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
    let unused: Vec<(usize, Vec<Seg>, String)> = ck
        .cards
        .values()
        .filter(|c| c.value.kind == CardKind::Power)
        .filter(|c| !r.value.hero_powers.values().any(|id| *id == c.value.id))
        .map(|c| (c.file, join(&c.path, tpath!["id"]), c.value.id.clone()))
        .collect();
    for (file, p, id) in unused {
        ck.warn(
            file,
            p,
            format!("hero power `{id}` belongs to no faction"),
            Some("name it in `[rules] hero_powers`".to_owned()),
        );
    }
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

/// Flavour text longer than this does not fit under the rules text.
const MAX_FLAVOR_CHARS: usize = 200;
const ART_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "svg"];

/// What only players see: the art's path, the flavour text, the translations (a translated
/// rules text must say which English text, `english`, it translates).
fn check_presentation(ck: &mut Checker<'_>, card: &Located<CardDef>, english: &str) {
    let c = &card.value;
    let f = card.file;
    let at = |more: Vec<Seg>| join(&card.path, more);
    if let Some(art) = &c.art {
        let extension = art.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let inside = !art.starts_with('/')
            && !art.contains('\\')
            && art.split('/').all(|part| !part.is_empty() && part != "..");
        if !inside {
            ck.err(
                f,
                at(tpath!["art"]),
                format!("art `{art}` is not a path inside the content directory"),
                Some(
                    "write it relative to the content directory, e.g. `art/shade_bat.png`"
                        .to_owned(),
                ),
            );
        } else if !extension.is_some_and(|e| ART_EXTENSIONS.contains(&e.as_str())) {
            ck.err(
                f,
                at(tpath!["art"]),
                format!("art `{art}` is not a picture this game shows"),
                Some(format!("use one of: {}", ART_EXTENSIONS.join(", "))),
            );
        }
    }
    let too_long = |text: &str| text.chars().count() > MAX_FLAVOR_CHARS;
    if too_long(&c.flavor) {
        ck.err(
            f,
            at(tpath!["flavor"]),
            format!("flavour text of {} characters", c.flavor.chars().count()),
            Some(format!(
                "keep it to {MAX_FLAVOR_CHARS} characters: a line under the rules text"
            )),
        );
    }
    for (tag, translation) in &c.translations {
        let here = |field: &str| at(tpath!["translations", tag.as_str(), field]);
        if !is_language_tag(tag) {
            ck.err(
                f,
                at(tpath!["translations", tag.as_str()]),
                format!("`{tag}` is not a language tag"),
                Some("use a tag like `fr`, `de` or `pt-BR`".to_owned()),
            );
        }
        if translation.name.trim().is_empty() {
            ck.err(f, here("name"), format!("the `{tag}` name is empty"), None);
        }
        if too_long(&translation.flavor) {
            ck.err(
                f,
                here("flavor"),
                format!("`{tag}` flavour text over {MAX_FLAVOR_CHARS} characters"),
                None,
            );
        }
        check_translated_text(ck, f, here("text"), tag, translation, english);
    }
}

/// A translated rules text names the English text it was made from; when the card's
/// abilities make another text now, the translation is stale (a warning: the English text
/// is still right, the translation needs a translator).
fn check_translated_text(
    ck: &mut Checker<'_>,
    f: usize,
    at: Vec<Seg>,
    tag: &str,
    t: &super::schema::Translation,
    english: &str,
) {
    match (t.text.is_empty(), t.text_from.as_str()) {
        (true, "") => {}
        (true, _) => ck.err(
            f,
            at,
            format!("the `{tag}` translation has `text_from` but no `text`"),
            Some("give the translated `text`, or remove `text_from`".to_owned()),
        ),
        (false, "") => ck.err(
            f,
            at,
            format!("the `{tag}` rules text does not say what it translates"),
            Some(format!("add `text_from = \"{english}\"`")),
        ),
        (false, from) if from != english => ck.warn(
            f,
            at,
            format!("the `{tag}` rules text is stale: the card does something else now"),
            Some(format!(
                "it translates \"{from}\", the card now says \"{english}\"; translate that and update `text_from`"
            )),
        ),
        (false, _) => {}
    }
}

/// `fr`, `fil`, `pt-BR`: a language (2 or 3 lowercase letters), maybe a region (2
/// uppercase letters).
fn is_language_tag(tag: &str) -> bool {
    let (language, region) = match tag.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (tag, None),
    };
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
}

fn check_ability(
    ck: &mut Checker<'_>,
    card: &Located<CardDef>,
    ai: usize,
    ability: &Ability,
    chosen: &mut Option<Target>,
) {
    let c = &card.value;
    let f = card.file;
    let base = join(&card.path, tpath!["abilities", ai]);
    let at = |more: Vec<Seg>| join(&base, more);
    if c.secret {
        if !SECRET_TRIGGERS.contains(&ability.trigger) {
            let names: Vec<&str> = SECRET_TRIGGERS.iter().map(|t| trigger_name(*t)).collect();
            ck.err(
                f,
                at(tpath!["trigger"]),
                format!(
                    "a secret cannot wait for `{}`",
                    trigger_name(ability.trigger)
                ),
                Some(format!(
                    "a secret springs on something an opponent does: use one of {}",
                    names.join(", ")
                )),
            );
        }
    } else if c.kind != CardKind::Unit && ability.trigger != Trigger::OnPlay {
        ck.err(
            f,
            at(tpath!["trigger"]),
            "a spell's (or hero power's) abilities must use `trigger = \"on_play\"`".to_owned(),
            Some(
                "spells leave play at once, so no other trigger can fire (or make it `secret = true`)"
                    .to_owned(),
            ),
        );
    }
    if ability.effects.is_empty() {
        ck.err(
            f,
            at(tpath!["effects"]),
            "ability has no effects".to_owned(),
            Some("add at least one `{ effect = \"...\", ... }`".to_owned()),
        );
    }
    if let Some(cond) = &ability.condition {
        check_condition(ck, f, &at(tpath!["condition"]), cond);
    }
    let mut choices = 0;
    for (ei, effect) in ability.effects.iter().enumerate() {
        let ep = at(tpath!["effects", ei]);
        if let Effect::Choose { .. } = effect {
            choices += 1;
            if ability.trigger != Trigger::OnPlay || c.secret || choices > 1 {
                ck.err(
                    f,
                    ep.clone(),
                    "`choose` must be the one choice a card's `on_play` offers".to_owned(),
                    Some(
                        "the player chooses when playing the card: one `choose` per card, in an `on_play` ability"
                            .to_owned(),
                    ),
                );
            }
        }
        for inner in effect.nested() {
            if matches!(inner, Effect::Choose { .. }) {
                ck.err(
                    f,
                    ep.clone(),
                    "`choose` cannot be nested in another effect".to_owned(),
                    Some("put `choose` directly in the ability's `effects`".to_owned()),
                );
            }
        }
        if let Some(why) = self_cycle(c.kind, ability.trigger, effect) {
            ck.warn(
                f,
                ep.clone(),
                format!("this ability can trigger itself: {why}"),
                Some("the engine cuts trigger chains deeper than 12, but the card will not do what its text says; narrow the target (e.g. `other = true`)".to_owned()),
            );
        }
        check_effect(ck, card, ability.trigger, effect, &ep, chosen);
    }
}

/// A condition's bounds (present, ordered, in range); `all` and `any` of two or more,
/// each checked the same way.
fn check_condition(ck: &mut Checker<'_>, f: usize, path: &[Seg], cond: &Condition) {
    let Some((lo, hi)) = cond.bounds() else {
        let (Condition::All { of } | Condition::Any { of }) = cond else {
            return;
        };
        if of.len() < 2 {
            ck.err(
                f,
                path.to_vec(),
                format!("`{}` of {} condition(s)", condition_name(cond), of.len()),
                Some("list two or more in `of` (for one, write it alone)".to_owned()),
            );
        }
        for (i, inner) in of.iter().enumerate() {
            check_condition(ck, f, &join(path, tpath!["of", i]), inner);
        }
        return;
    };
    if lo.is_none() && hi.is_none() {
        ck.err(
            f,
            path.to_vec(),
            "condition has neither `at_least` nor `at_most`".to_owned(),
            Some("add a bound, e.g. `at_least = 2`".to_owned()),
        );
    }
    if let (Some(lo), Some(hi)) = (lo, hi)
        && lo > hi
    {
        ck.err(
            f,
            path.to_vec(),
            format!("condition can never hold: at_least {lo} > at_most {hi}"),
            None,
        );
    }
    if let Condition::Units { .. } | Condition::HeroHealth { .. } = cond {
        for v in [lo, hi].into_iter().flatten() {
            ck.range(f, path.to_vec(), "condition bound", v.into(), 0, 200);
        }
    }
}

fn condition_name(cond: &Condition) -> &'static str {
    match cond {
        Condition::All { .. } => "all",
        _ => "any",
    }
}

fn check_effect(
    ck: &mut Checker<'_>,
    card: &Located<CardDef>,
    trigger: Trigger,
    effect: &Effect,
    ep: &[Seg],
    chosen: &mut Option<Target>,
) {
    let f = card.file;
    let name = effect.name();
    let at = |more: Vec<Seg>| join(ep, more);
    match effect {
        Effect::Damage { amount, .. }
        | Effect::Heal { amount, .. }
        | Effect::Armor { amount, .. } => check_amount(ck, f, &at(tpath!["amount"]), amount),
        Effect::Draw {
            count, matching, ..
        } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5);
            if let Some(filter) = matching {
                check_card_filter(ck, f, &at(tpath!["matching"]), filter, true);
            }
        }
        Effect::Discard { count, .. } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5)
        }
        Effect::ChangeCost {
            amount, matching, ..
        } => {
            ck.range(f, at(tpath!["amount"]), "amount", (*amount).into(), -10, 10);
            if *amount == 0 {
                ck.err(
                    f,
                    at(tpath!["amount"]),
                    "a cost change of 0 changes nothing".to_owned(),
                    Some("negative makes cards cheaper, positive dearer".to_owned()),
                );
            }
            check_card_filter(ck, f, &at(tpath!["matching"]), matching, false);
        }
        Effect::If {
            condition,
            then,
            otherwise,
        } => {
            check_condition(ck, f, &at(tpath!["condition"]), condition);
            if then.is_empty() {
                ck.err(
                    f,
                    at(tpath!["then"]),
                    "`if` has nothing in `then`".to_owned(),
                    Some("list the effects to apply when the condition holds".to_owned()),
                );
            }
            for (i, inner) in then.iter().enumerate() {
                check_effect(ck, card, trigger, inner, &at(tpath!["then", i]), chosen);
            }
            for (i, inner) in otherwise.iter().enumerate() {
                check_effect(ck, card, trigger, inner, &at(tpath!["else", i]), chosen);
            }
        }
        Effect::Choose { options } => {
            if !(2..=3).contains(&options.len()) {
                ck.err(
                    f,
                    at(tpath!["options"]),
                    format!("`choose` offers {} option(s)", options.len()),
                    Some("offer two or three options".to_owned()),
                );
            }
            for (k, option) in options.iter().enumerate() {
                if option.is_empty() {
                    ck.err(
                        f,
                        at(tpath!["options", k]),
                        "an option with no effects".to_owned(),
                        Some("give every option at least one effect".to_owned()),
                    );
                }
                // Each option asks for its own target, if any.
                let mut own_chosen = None;
                for (i, inner) in option.iter().enumerate() {
                    let p = at(tpath!["options", k, i]);
                    check_effect(ck, card, trigger, inner, &p, &mut own_chosen);
                }
            }
        }
        Effect::AddCard {
            count, card: id, ..
        } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5);
            card_ref(ck, f, at(tpath!["card"]), id, false);
        }
        Effect::GainMoonlight { amount, .. } | Effect::DrainMoonlight { amount, .. } => {
            ck.range(f, at(tpath!["amount"]), "amount", (*amount).into(), 1, 10)
        }
        Effect::Buff {
            attack,
            health,
            this_turn,
            ..
        } => {
            ck.range(f, at(tpath!["attack"]), "attack", (*attack).into(), -20, 20);
            ck.range(f, at(tpath!["health"]), "health", (*health).into(), 0, 20);
            if *this_turn && *health != 0 {
                ck.err(
                    f,
                    at(tpath!["health"]),
                    "only attack can be given for this turn".to_owned(),
                    Some("give the health in a buff of its own, without `this_turn`".to_owned()),
                );
            }
            if *attack == 0 && *health == 0 {
                ck.warn(
                    f,
                    ep.to_vec(),
                    "buff changes nothing".to_owned(),
                    Some("set `attack` and/or `health`".to_owned()),
                );
            }
        }
        Effect::Summon { card: id, count } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 7);
            card_ref(ck, f, at(tpath!["card"]), id, true);
        }
        Effect::Transform { card: id, .. } => card_ref(ck, f, at(tpath!["card"]), id, true),
        Effect::SetStats { attack, health, .. } => {
            if let Some(attack) = attack {
                ck.range(f, at(tpath!["attack"]), "attack", (*attack).into(), 0, 20);
            }
            if let Some(health) = health {
                ck.range(f, at(tpath!["health"]), "health", (*health).into(), 1, 30);
            }
            if attack.is_none() && health.is_none() {
                ck.err(
                    f,
                    ep.to_vec(),
                    "set_stats sets nothing".to_owned(),
                    Some("give `attack` and/or `health`".to_owned()),
                );
            }
        }
        Effect::Resurrect { count } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 7)
        }
        Effect::Shuffle {
            count, card: id, ..
        } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5);
            card_ref(ck, f, at(tpath!["card"]), id, false);
        }
        Effect::Destroy { .. }
        | Effect::ReturnToHand { .. }
        | Effect::Silence { .. }
        | Effect::GiveKeyword { .. }
        | Effect::Freeze { .. }
        | Effect::TakeControl { .. }
        | Effect::Copy { .. } => {}
    }
    let Some(t) = effect.target() else { return };
    let tp = at(tpath!["target"]);
    // `self` and `it` name one unit already (`it` on a hero does nothing to units only).
    let one_unit = matches!(t.pick, Pick::This | Pick::It);
    if !effect.can_hit_heroes() && t.kind != TargetKind::Unit && !one_unit {
        ck.err(
            f,
            tp.clone(),
            format!("bad target for effect `{name}`: it only works on units"),
            Some("add `kind = \"unit\"` to the target".to_owned()),
        );
    }
    match t.pick {
        Pick::Chosen => {
            if trigger != Trigger::OnPlay {
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    format!(
                        "a chosen target cannot be used with trigger `{}`",
                        trigger_name(trigger)
                    ),
                    Some(
                        "only `on_play` abilities have a player to choose; use `random` or `all`"
                            .to_owned(),
                    ),
                );
            }
            match chosen {
                Some(prev) if prev.side != t.side || prev.kind != t.kind => ck.err(
                    f,
                    tp.clone(),
                    "a card can ask for only one chosen target".to_owned(),
                    Some(
                        "give every `chosen` target of this card the same side and kind".to_owned(),
                    ),
                ),
                Some(_) => {}
                None => *chosen = Some(*t),
            }
        }
        Pick::This => {
            if card.value.kind == CardKind::Spell {
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    "a spell has no unit for `pick = \"self\"`".to_owned(),
                    Some("use `chosen`, `all` or `random`".to_owned()),
                );
            }
            if trigger == Trigger::OnDeath {
                ck.warn(
                    f,
                    join(&tp, tpath!["pick"]),
                    "`self` is already dead when `on_death` resolves; this does nothing".to_owned(),
                    None,
                );
            }
        }
        Pick::Random => ck.range(f, join(&tp, tpath!["count"]), "count", t.count.into(), 1, 5),
        Pick::All => {}
        Pick::It => {
            if !IT_TRIGGERS.contains(&trigger) {
                let names: Vec<&str> = IT_TRIGGERS.iter().map(|t| trigger_name(*t)).collect();
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    format!(
                        "trigger `{}` is about nothing `it` could be",
                        trigger_name(trigger)
                    ),
                    Some(format!("`it` works with {}", names.join(", "))),
                );
            }
        }
    }
    if t.pick != Pick::Random && t.count != 1 {
        ck.warn(
            f,
            join(&tp, tpath!["count"]),
            "`count` only matters with `pick = \"random\"`".to_owned(),
            None,
        );
    }
    check_filters(ck, f, &tp, t);
}

/// A target's filters: sensible bounds, and something they can match.
fn check_filters(ck: &mut Checker<'_>, f: usize, tp: &[Seg], t: &Target) {
    let cap = i64::from(ck.rules.moonlight_cap);
    let bounds = [
        (
            "cost_at_least",
            "cost_at_most",
            t.cost_at_least,
            t.cost_at_most,
            cap,
        ),
        (
            "attack_at_least",
            "attack_at_most",
            t.attack_at_least,
            t.attack_at_most,
            20,
        ),
    ];
    for (low_name, high_name, low, high, top) in bounds {
        for (name, value) in [(low_name, low), (high_name, high)] {
            if let Some(v) = value {
                ck.range(f, join(tp, tpath![name]), name, v.into(), 0, top);
            }
        }
        if let (Some(low), Some(high)) = (low, high)
            && low > high
        {
            ck.err(
                f,
                join(tp, tpath![low_name]),
                format!("`{low_name} = {low}` is above `{high_name} = {high}`: nothing matches"),
                None,
            );
        }
    }
    let filtered = t.filters_units() || t.damaged;
    if t.pick == Pick::This && filtered {
        ck.err(
            f,
            tp.to_vec(),
            "a filter on `pick = \"self\"` picks this unit or nothing".to_owned(),
            Some("to act only sometimes, give the ability a `condition`".to_owned()),
        );
    } else if t.kind == TargetKind::Hero && t.filters_units() {
        ck.err(
            f,
            tp.to_vec(),
            "heroes have no cost, attack or keywords: this target takes nothing".to_owned(),
            Some("use `kind = \"unit\"` (or drop the filter)".to_owned()),
        );
    }
}

/// The triggers a secret may wait for: things an opponent's turn brings.
const SECRET_TRIGGERS: [Trigger; 6] = [
    Trigger::EnemyUnitPlayed,
    Trigger::EnemySpellCast,
    Trigger::EnemyAttacks,
    Trigger::HeroDamaged,
    Trigger::AllyDied,
    Trigger::EnemyDied,
];

/// The triggers about a character `pick = "it"` can take.
const IT_TRIGGERS: [Trigger; 6] = [
    Trigger::AllySummoned,
    Trigger::OnAttack,
    Trigger::OnDamaged,
    Trigger::HeroDamaged,
    Trigger::EnemyUnitPlayed,
    Trigger::EnemyAttacks,
];

/// A number in 1..=20, or a count whose `plus` is within -10..=10.
fn check_amount(ck: &mut Checker<'_>, f: usize, path: &[Seg], amount: &Amount) {
    match amount {
        Amount::Fixed(n) => ck.range(f, path.to_vec(), "amount", (*n).into(), 1, 20),
        Amount::Count(c) => {
            ck.range(
                f,
                join(path, tpath!["plus"]),
                "plus",
                c.plus.into(),
                -10,
                10,
            );
            if c.side != Side::Own && c.count != Counter::Units {
                ck.err(
                    f,
                    join(path, tpath!["side"]),
                    "`side` only matters when counting units".to_owned(),
                    Some("remove `side`: the other counts are your own".to_owned()),
                );
            }
        }
    }
}

/// Which cards: bounds within the moonlight cap and ordered; `keyword` only on units;
/// with `required`, at least one field (a draw matching everything is a plain draw).
fn check_card_filter(
    ck: &mut Checker<'_>,
    f: usize,
    path: &[Seg],
    filter: &CardFilter,
    required: bool,
) {
    let cap = i64::from(ck.rules.moonlight_cap);
    for (name, value) in [
        ("cost_at_most", filter.cost_at_most),
        ("cost_at_least", filter.cost_at_least),
    ] {
        if let Some(v) = value {
            ck.range(f, join(path, tpath![name]), name, v.into(), 0, cap);
        }
    }
    if let (Some(low), Some(high)) = (filter.cost_at_least, filter.cost_at_most)
        && low > high
    {
        ck.err(
            f,
            path.to_vec(),
            format!("`cost_at_least = {low}` is above `cost_at_most = {high}`: nothing matches"),
            None,
        );
    }
    if filter.keyword.is_some() && filter.kind.is_some_and(|k| k != CardKind::Unit) {
        ck.err(
            f,
            join(path, tpath!["keyword"]),
            "only units have keywords".to_owned(),
            Some("use `kind = \"unit\"` with `keyword`".to_owned()),
        );
    }
    if filter.kind == Some(CardKind::Power) {
        ck.err(
            f,
            join(path, tpath!["kind"]),
            "hero powers are never in a deck or a hand".to_owned(),
            Some("use `unit` or `spell`".to_owned()),
        );
    }
    if required && filter.is_empty() {
        ck.err(
            f,
            path.to_vec(),
            "`matching` matches every card".to_owned(),
            Some("give `kind`, a cost bound or a `keyword`, or remove `matching`".to_owned()),
        );
    }
}

/// An aura: a sensible amount; an attack aura takes `all` of some units.
fn check_aura(ck: &mut Checker<'_>, f: usize, path: &[Seg], aura: &Aura) {
    match aura {
        Aura::Attack { amount, target } => {
            ck.range(
                f,
                join(path, tpath!["amount"]),
                "amount",
                (*amount).into(),
                1,
                5,
            );
            let tp = join(path, tpath!["target"]);
            if target.pick != Pick::All {
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    "an aura applies to `all` the units it names".to_owned(),
                    Some("use `pick = \"all\"`".to_owned()),
                );
            }
            if target.kind != TargetKind::Unit {
                ck.err(
                    f,
                    tp.clone(),
                    "an attack aura applies to units".to_owned(),
                    Some("add `kind = \"unit\"` to the target".to_owned()),
                );
            }
            check_filters(ck, f, &tp, target);
        }
        Aura::Cost {
            amount, matching, ..
        } => {
            ck.range(
                f,
                join(path, tpath!["amount"]),
                "amount",
                (*amount).into(),
                -5,
                5,
            );
            if *amount == 0 {
                ck.err(
                    f,
                    join(path, tpath!["amount"]),
                    "a cost aura of 0 changes nothing".to_owned(),
                    Some("negative makes cards cheaper, positive dearer".to_owned()),
                );
            }
            check_card_filter(ck, f, &join(path, tpath!["matching"]), matching, false);
        }
    }
}

fn trigger_name(t: Trigger) -> &'static str {
    super::schema::TRIGGER_NAMES[t as usize]
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

/// A trivial self-trigger cycle: the ability's own effect re-fires its trigger.
fn self_cycle(kind: CardKind, trigger: Trigger, effect: &Effect) -> Option<&'static str> {
    if kind != CardKind::Unit {
        return None;
    }
    let hits_self = |t: &Target| match t.pick {
        Pick::This => true,
        Pick::All | Pick::Random => {
            !t.other
                && t.kind != TargetKind::Hero
                && matches!(
                    t.side,
                    super::schema::Side::Own | super::schema::Side::Ally | super::schema::Side::Any
                )
        }
        Pick::Chosen | Pick::It => false,
    };
    match (trigger, effect) {
        (Trigger::OnDamaged, Effect::Damage { target, .. }) if hits_self(target) => {
            Some("`on_damaged` deals damage that can hit this unit")
        }
        (Trigger::AllySummoned, Effect::Summon { .. } | Effect::Resurrect { .. }) => {
            Some("`ally_summoned` summons a unit, which fires `ally_summoned` again")
        }
        (Trigger::CardDrawn, Effect::Draw { player, .. })
            if *player != super::schema::Side::Enemy =>
        {
            Some("`card_drawn` draws a card, which fires `card_drawn` again")
        }
        (Trigger::HeroDamaged, Effect::Damage { target, .. })
            if target.kind != TargetKind::Unit && target.side != super::schema::Side::Enemy =>
        {
            Some("`hero_damaged` deals damage that can hit your hero, which fires it again")
        }
        _ => None,
    }
}
