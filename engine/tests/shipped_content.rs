//! The content that ships loads, checks clean, and its schema is up to date.

use std::path::PathBuf;

use moonlight_engine::{Content, check_dir, json_schema};

fn content_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content")
}

#[test]
fn every_shipped_file_loads_without_errors_or_warnings() {
    let report = check_dir(&content_dir());
    assert!(report.errors.is_empty(), "{report}");
    assert!(report.warnings.is_empty(), "{report}");
    let content = match Content::load(&content_dir()) {
        Ok(c) => c,
        Err(r) => panic!("{r}"),
    };
    assert!(content.cards().len() >= 40);
    let factions: std::collections::BTreeSet<&str> = content
        .cards()
        .iter()
        .map(|c| c.faction.as_str())
        .filter(|f| *f != "neutral")
        .collect();
    assert!(factions.len() >= 2);
    let decks: Vec<_> = content.decks().collect();
    assert!(decks.len() >= 3);
    for d in decks {
        let list = content.deck_list(&d.id).unwrap_or_default();
        assert_eq!(content.validate_deck(&list), Ok(()), "deck {}", d.id);
    }
    assert_eq!(content.version().len(), 64);
}

#[test]
fn committed_schema_matches_the_content_types() {
    let path = content_dir().join("schema.json");
    let generated = json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "content/schema.json is stale: run `UPDATE_SCHEMA=1 cargo test -p moonlight-engine --test shipped_content`"
    );
}

#[test]
fn store_reload_keeps_old_content_for_running_matches() {
    let dir = std::env::temp_dir().join(format!("moonlight-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&content_dir(), &dir);
    let store = moonlight_engine::ContentStore::open(&dir).expect("open");
    let before = store.current();
    assert!(
        matches!(store.reload(), Ok(None)),
        "unchanged files: same version"
    );
    let rules = dir.join("rules.toml");
    let text = std::fs::read_to_string(&rules).unwrap_or_default();
    std::fs::write(&rules, text.replace("hero_health = 30", "hero_health = 25")).expect("edit");
    let changed = store.reload().expect("valid edit");
    assert!(changed.is_some());
    assert_eq!(
        before.rules().hero_health,
        30,
        "a running match keeps its content"
    );
    assert_eq!(store.current().rules().hero_health, 25);
    // Both versions stay reachable by their version, for rooms restored later.
    let old = store
        .version(before.version())
        .expect("the first version is kept");
    assert_eq!(old.rules().hero_health, 30);
    assert_eq!(
        store
            .version(&changed.unwrap())
            .expect("the new one too")
            .rules()
            .hero_health,
        25
    );
    assert!(store.version("no-such-version").is_none());
    assert!(store.refused().is_none());
    let good = std::fs::read_to_string(&rules).expect("rules");
    std::fs::write(&rules, "[rules]\nhero_health = \"lots\"\n").expect("break");
    let refused = store.reload().expect_err("broken content is refused");
    assert_eq!(
        store.current().rules().hero_health,
        25,
        "bad content is not picked up"
    );
    // The refusal stays for designers to read (file:line:col), until a reload succeeds.
    let kept = store.refused().expect("the refusal is kept");
    assert!(std::sync::Arc::ptr_eq(&refused, &kept));
    let first = &kept.report.errors[0];
    assert!(
        first.file.ends_with("rules.toml") && first.line == 2,
        "{first}"
    );
    std::fs::write(&rules, good).expect("mend");
    assert!(matches!(store.reload(), Ok(None)));
    assert!(
        store.refused().is_none(),
        "a good reload clears the refusal"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}
