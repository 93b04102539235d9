//! The content checker on broken files: one fixture per error kind, each on top
//! of the shipped content, with the messages (and where they point) checked.

use std::path::{Path, PathBuf};

use moonlight_engine::{CheckReport, SourceFile, check_sources};

fn engine_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_tree(dir: &Path, rel: &str, out: &mut Vec<SourceFile>) {
    let Ok(entries) = std::fs::read_dir(dir.join(rel)) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let sub = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if e.path().is_dir() {
            read_tree(dir, &sub, out);
        } else if name.ends_with(".toml") {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            out.push(SourceFile {
                name: format!("content/{sub}"),
                rel: sub,
                text,
            });
        }
    }
}

fn shipped() -> Vec<SourceFile> {
    let mut v = Vec::new();
    read_tree(&engine_dir().join("../content"), "", &mut v);
    v
}

/// Checks shipped content plus one fixture; returns the report and the fixture text.
fn check_with(fixture: &str) -> (CheckReport, String) {
    let path = engine_dir().join("tests/fixtures/bad").join(fixture);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut files = shipped();
    files.push(SourceFile {
        name: format!("fixtures/{fixture}"),
        rel: format!("zz/{fixture}"),
        text: text.clone(),
    });
    (check_sources(files), text)
}

fn expectations(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_owned)
        .collect()
}

fn assert_fixture(fixture: &str) -> CheckReport {
    let (report, text) = check_with(fixture);
    let printed = report.to_string();
    assert!(!report.is_ok(), "{fixture} should fail:\n{printed}");
    for want in expectations(&text) {
        assert!(
            printed.contains(&want),
            "{fixture}: missing `{want}` in:\n{printed}"
        );
    }
    // Every error points into the fixture, compiler style, with a hint line.
    for e in &report.errors {
        assert_eq!(e.file, format!("fixtures/{fixture}"), "{printed}");
        assert!(e.line >= 1 && e.col >= 1);
    }
    report
}

/// `file:line:col` of the first error whose message contains `msg`.
fn located(report: &CheckReport, msg: &str) -> Option<(usize, usize)> {
    report
        .errors
        .iter()
        .find(|e| e.message.contains(msg))
        .map(|e| (e.line, e.col))
}

#[test]
fn unknown_effect() {
    let r = assert_fixture("unknown_effect.toml");
    assert_eq!(located(&r, "unknown effect").map(|l| l.0), Some(13));
}

#[test]
fn unknown_keyword() {
    let r = assert_fixture("unknown_keyword.toml");
    assert_eq!(located(&r, "unknown keyword").map(|l| l.0), Some(11));
}

#[test]
fn unknown_trigger() {
    assert_fixture("unknown_trigger.toml");
}

#[test]
fn bad_target_for_effect_and_trigger() {
    let r = assert_fixture("bad_target.toml");
    assert_eq!(r.errors.len(), 2, "{r}");
}

#[test]
fn duplicate_id() {
    let r = assert_fixture("duplicate_id.toml");
    assert_eq!(located(&r, "duplicate card id"), Some((4, 6)));
}

#[test]
fn unknown_card_in_deck() {
    assert_fixture("unknown_card_in_deck.toml");
}

#[test]
fn deck_size_and_copy_limit() {
    assert_fixture("deck_size_and_copies.toml");
}

#[test]
fn value_out_of_range() {
    let r = assert_fixture("value_out_of_range.toml");
    assert_eq!(located(&r, "attack 99"), Some((10, 10)));
}

#[test]
fn mistakes_with_the_richer_vocabulary() {
    let r = assert_fixture("bad_vocabulary.toml");
    assert!(located(&r, "only a spell can be a secret").is_some());
}

#[test]
fn missing_field() {
    assert_fixture("missing_field.toml");
}

#[test]
fn unknown_field_even_inside_tagged_effects() {
    // serde's internally tagged enums are where deny_unknown_fields has gaps:
    // this fixture must keep failing.
    let r = assert_fixture("unknown_field.toml");
    assert_eq!(r.errors.len(), 2, "{r}");
}

#[test]
fn toml_syntax_error() {
    assert_fixture("toml_syntax.toml");
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut files = shipped();
    for f in [
        "unknown_effect.toml",
        "unknown_keyword.toml",
        "value_out_of_range.toml",
        "duplicate_id.toml",
    ] {
        let text = std::fs::read_to_string(engine_dir().join("tests/fixtures/bad").join(f))
            .unwrap_or_default();
        files.push(SourceFile {
            name: f.to_owned(),
            rel: format!("zz/{f}"),
            text,
        });
    }
    let report = check_sources(files);
    assert!(report.errors.len() >= 5, "{report}");
    let printed = report.to_string();
    assert!(printed.lines().any(|l| l.starts_with("  hint: ")));
    assert!(printed.ends_with("warning(s)"));
}

/// The shipped files and one more, `zz/extra.toml` holding `text`.
fn with_extra(text: String) -> Vec<SourceFile> {
    let mut files = shipped();
    files.push(SourceFile {
        name: "extra.toml".to_owned(),
        rel: "zz/extra.toml".to_owned(),
        text,
    });
    files
}

#[test]
fn warnings_do_not_fail() {
    let report = check_sources(with_extra(
        "[[card]]\nid = \"lonely\"\nname = \"Lonely\"\nfaction = \"neutral\"\nkind = \"unit\"\ncost = 1\nattack = 1\nhealth = 1\n".to_owned(),
    ));
    assert!(report.is_ok(), "{report}");
    let printed = report.to_string();
    assert!(
        printed.contains("extra.toml:2:6: warning: card `lonely` is in no deck"),
        "{printed}"
    );
}

/// A card's text is what its keywords and abilities say: left out, it is written (and the
/// catalogue carries it); written differently, it is flagged at its place with the text the
/// card's abilities make, and players still read that one.
#[test]
fn the_text_is_what_the_card_does() {
    let card = |text: &str| {
        with_extra(format!(
            "[[card]]\nid = \"owl\"\nname = \"Owl\"\nfaction = \"neutral\"\nkind = \"unit\"\n\
                 cost = 3\nattack = 2\nhealth = 2\nkeywords = [\"guard\"]\ncollectible = false\n{text}\n\
                 [[card.abilities]]\ntrigger = \"turn_end\"\n\
                 condition = {{ check = \"units\", side = \"enemy\", at_least = 2 }}\n\
                 effects = [\n  {{ effect = \"damage\", amount = 1, target = {{ pick = \"random\", side = \"enemy\", kind = \"unit\", count = 2 }} }},\n\
                   {{ effect = \"draw\" }},\n]\n"
        ))
    };
    let said = "Guard. At the end of your turn, if your opponent controls 2 or more units, \
                deal 1 damage to 2 random enemy units and draw a card.";
    let content = moonlight_engine::Content::from_sources(card("")).expect("loads");
    assert_eq!(content.card("owl").map(|c| c.text.as_str()), Some(said));
    assert!(check_sources(card(&format!("text = \"{said}\""))).is_ok());

    // A stale text is flagged at its place, and players read what the card does anyway.
    let stale = card("text = \"Guard. Deals 1 damage sometimes.\"");
    let printed = check_sources(stale.clone()).to_string();
    assert!(
        printed.contains("extra.toml:11:8: warning: the text does not say what the card does"),
        "{printed}"
    );
    assert!(printed.contains(&format!("say \"{said}\"")), "{printed}");
    let content = moonlight_engine::Content::from_sources(stale).expect("loads");
    assert_eq!(content.card("owl").map(|c| c.text.as_str()), Some(said));
}

/// Rarity, art, flavour and translations are the card's own fields, checked like the rest.
#[test]
fn rarity_art_flavour_and_translations() {
    let card = |fields: &str| {
        with_extra(format!(
            "[[card]]\nid = \"owl\"\nname = \"Owl\"\nfaction = \"neutral\"\nkind = \"unit\"\n\
                 cost = 3\nattack = 2\nhealth = 2\ncollectible = false\n{fields}\n"
        ))
    };
    let fine = card(
        "rarity = \"epic\"\nart = \"art/owl.webp\"\nflavor = \"It sees in the dark.\"\n\
         translations = { fr = { name = \"Hibou\", flavor = \"Il voit dans le noir.\" }, pt-BR = { name = \"Coruja\" } }",
    );
    let content = moonlight_engine::Content::from_sources(fine).expect("loads");
    let owl = content.card("owl").expect("the owl");
    assert_eq!(owl.rarity, moonlight_engine::schema::Rarity::Epic);
    assert_eq!(owl.translations["fr"].name, "Hibou");

    for (fields, says) in [
        ("rarity = \"legendery\"", "unknown rarity `legendery`"),
        (
            "art = \"../secret.png\"",
            "is not a path inside the content directory",
        ),
        ("art = \"art/owl.exe\"", "is not a picture this game shows"),
        (
            "translations = { french = { name = \"Hibou\" } }",
            "`french` is not a language tag",
        ),
        (
            "translations = { fr = { name = \" \" } }",
            "the `fr` name is empty",
        ),
        (
            "translations = { fr = { name = \"Hibou\", rules = \"x\" } }",
            "unknown field `rules`",
        ),
    ] {
        let report = check_sources(card(fields));
        let printed = report.to_string();
        assert!(
            !report.is_ok() && printed.contains(says),
            "{fields}: {printed}"
        );
        assert!(
            printed.contains("extra.toml:10:"),
            "{fields}: located: {printed}"
        );
    }
    let long_text = format!(
        "translations = {{ fr = {{ name = \"Hibou\", text = \"{}\", text_from = \"\" }} }}",
        "a".repeat(401)
    );
    assert!(
        check_sources(card(&long_text))
            .to_string()
            .contains("the `fr` rules text has 401 characters")
    );
    let long = format!("flavor = \"{}\"", "a".repeat(201));
    assert!(
        check_sources(card(&long))
            .to_string()
            .contains("flavour text of 201 characters")
    );
}

/// Target filters: bounds in range and in order, and a target that can match something.
#[test]
fn target_filters_that_can_never_match_are_refused() {
    let spell = |target: &str| {
        with_extra(format!(
            "[[card]]\nid = \"zap\"\nname = \"Zap\"\nfaction = \"neutral\"\nkind = \"unit\"\n\
                 cost = 1\nattack = 1\nhealth = 1\ncollectible = false\n\
                 [[card.abilities]]\ntrigger = \"turn_end\"\n\
                 effects = [{{ effect = \"damage\", amount = 1, target = {target} }}]\n"
        ))
    };
    let fine = spell(
        "{ pick = \"all\", side = \"enemy\", kind = \"unit\", keyword = \"guard\", damaged = true }",
    );
    let content = moonlight_engine::Content::from_sources(fine).expect("loads");
    assert_eq!(
        content.card("zap").map(|c| c.text.as_str()),
        Some("At the end of your turn, deal 1 damage to all damaged enemy units with Guard.")
    );
    for (target, says) in [
        (
            "{ pick = \"all\", kind = \"hero\", keyword = \"guard\" }",
            "heroes have no cost, attack or keywords",
        ),
        (
            "{ pick = \"self\", damaged = true }",
            "a filter on `pick = \"self\"`",
        ),
        (
            "{ pick = \"all\", attack_at_least = 3, attack_at_most = 1 }",
            "`attack_at_least = 3` is above `attack_at_most = 1`",
        ),
        (
            "{ pick = \"all\", kind = \"unit\", cost_at_most = 99 }",
            "cost_at_most 99 is out of range",
        ),
        (
            "{ pick = \"all\", keyword = \"gaurd\" }",
            "unknown keyword `gaurd`",
        ),
    ] {
        let printed = check_sources(spell(target)).to_string();
        assert!(
            printed.contains(says) && printed.contains("extra.toml:"),
            "{target}: {printed}"
        );
    }
}

/// `all` and `any` conditions: written as "and"/"or", each part checked at its place, and
/// two parts at least.
#[test]
fn all_and_any_conditions_are_checked_part_by_part() {
    let unit = |condition: &str| {
        with_extra(format!(
            "[[card]]\nid = \"sage\"\nname = \"Sage\"\nfaction = \"neutral\"\nkind = \"unit\"\n\
                 cost = 1\nattack = 1\nhealth = 1\ncollectible = false\n\
                 [[card.abilities]]\ntrigger = \"on_play\"\ncondition = {condition}\n\
                 effects = [{{ effect = \"draw\" }}]\n"
        ))
    };
    let both = "{ check = \"any\", of = [{ check = \"units\", side = \"enemy\", at_least = 3 }, { check = \"hand_size\", at_most = 1 }] }";
    let content = moonlight_engine::Content::from_sources(unit(both)).expect("loads");
    assert_eq!(
        content.card("sage").map(|c| c.text.as_str()),
        Some(
            "On play: if your opponent controls 3 or more units or you have 1 or fewer cards in hand, draw a card."
        )
    );
    for (condition, says) in [
        (
            "{ check = \"all\", of = [{ check = \"units\", at_least = 1 }] }",
            "`all` of 1 condition(s)",
        ),
        (
            "{ check = \"any\", of = [{ check = \"units\", at_least = 1 }, { check = \"hand_size\" }] }",
            "condition has neither `at_least` nor `at_most`",
        ),
        (
            "{ check = \"every\", of = [] }",
            "unknown condition `every`",
        ),
    ] {
        let printed = check_sources(unit(condition)).to_string();
        assert!(
            printed.contains(says) && printed.contains("extra.toml:12:"),
            "{condition}: {printed}"
        );
    }
}

#[test]
fn missing_directory_is_an_error_not_a_panic() {
    let report = moonlight_engine::check_dir(Path::new("/nonexistent/moonlight/content"));
    assert!(!report.is_ok());
}

#[test]
fn self_cycles_and_texts_that_promise_otherwise_are_warned_about() {
    let (report, text) = check_with("self_cycle.toml");
    let printed = report.to_string();
    for want in expectations(&text) {
        assert!(printed.contains(&want), "missing `{want}` in:\n{printed}");
    }
}

#[test]
fn fields_that_do_not_fit_the_card_kind() {
    assert_fixture("kind_mismatch.toml");
}
