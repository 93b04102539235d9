//! Simulations on the shipped content: repeatable whatever the threads, complete in what
//! they count, able to tell a stronger bot from a weaker one, and refusing bad plans.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use moonlight_balance::{Plan, PlanError, Report, plot, run};
use moonlight_engine::{Content, Level};

fn shipped() -> Arc<Content> {
    static C: OnceLock<Arc<Content>> = OnceLock::new();
    Arc::clone(C.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
        match Content::load(&dir) {
            Ok(c) => Arc::new(c),
            Err(r) => panic!("{r}"),
        }
    }))
}

/// One starter deck of each faction: every faction meets every other.
const STARTERS: [&str; 4] = [
    "tide_starter",
    "dusk_starter",
    "ember_starter",
    "grove_starter",
];

fn plan(games: u32, bots: [Level; 2], threads: usize) -> Plan {
    let starters: Vec<String> = STARTERS.iter().map(|d| d.to_string()).collect();
    Plan {
        pairings: Plan::every_pair(&shipped(), &starters).expect("the shipped decks"),
        games,
        bots,
        seed: 7,
        threads,
    }
}

/// Everything but the run's timing.
fn figures(report: &Report) -> String {
    let json = serde_json::to_value(report).expect("serialises");
    let mut json = json.as_object().cloned().expect("an object");
    for timing in ["seconds", "threads"] {
        json.remove(timing);
    }
    for bot in json["bots"].as_array_mut().into_iter().flatten() {
        bot.as_object_mut().map(|b| b.remove("think"));
    }
    serde_json::Value::Object(json).to_string()
}

#[test]
fn the_same_plan_gives_the_same_figures_on_any_number_of_threads() {
    let one = run(&shipped(), &plan(20, [Level::Easy; 2], 1)).expect("runs");
    let three = run(&shipped(), &plan(20, [Level::Easy; 2], 3)).expect("runs");
    assert_eq!(figures(&one), figures(&three));
    let other_seed = run(
        &shipped(),
        &Plan {
            seed: 8,
            ..plan(20, [Level::Easy; 2], 2)
        },
    );
    assert_ne!(figures(&one), figures(&other_seed.expect("runs")));
}

#[test]
fn every_game_and_every_card_is_counted() {
    let games = 10;
    let every_deck = Plan {
        pairings: Plan::every_pair(&shipped(), &[]).expect("the shipped decks"),
        ..plan(games, [Level::Easy; 2], 2)
    };
    let report = run(&shipped(), &every_deck).expect("runs");
    let pairings = report.pairings.len() as u32;
    let decks = shipped().decks().count() as u32;
    assert_eq!(pairings, decks * (decks - 1) / 2, "every pair of decks");
    assert_eq!(report.unfinished, 0);
    assert_eq!(report.games, pairings * games);
    for p in &report.pairings {
        assert_eq!(p.games, games);
        assert_eq!(p.first_wins + p.second_wins + p.draws, games, "{p:?}");
        assert!(p.average_turns > 2.0, "{p:?}");
    }
    assert_eq!(report.first_player.map(|e| e.games), Some(report.games));
    // Each bot sat in every game.
    for bot in &report.bots {
        assert_eq!(bot.win_rate.map(|e| e.games), Some(report.games));
        assert!(bot.think.moves > 0);
    }
    // Every card of every deck: each deck plays in a pairing with every other, `games` each.
    let shipped = shipped();
    let listed: usize = shipped.decks().map(|d| d.cards.len()).sum();
    assert_eq!(report.cards.len(), listed);
    for card in &report.cards {
        assert_eq!(card.games, (decks - 1) * games, "{card:?}");
        let played = card.win_rate_played.map_or(0, |e| e.games);
        let not = card.win_rate_not_played.map_or(0, |e| e.games);
        assert_eq!(played + not, card.games, "{card:?}");
        assert_eq!(card.average_turn.is_some(), played > 0, "{card:?}");
    }
    // Cheap cards get played: a deck's one-drops show up in most games, in its first
    // turns.
    let sprite = report
        .cards
        .iter()
        .find(|c| c.deck == "tide_starter" && c.card == "tide_sprite");
    assert!(
        sprite.is_some_and(
            |c| c.played_in > 0.5 && c.average_turn.is_some_and(|t| (1.0..8.0).contains(&t))
        ),
        "{sprite:?}"
    );
}

/// The searching bot beats the one-ply bot by more than chance: the lower end of its 95 %
/// interval is above an even split (deterministic: the same seed, the same games).
#[test]
fn the_normal_bot_beats_the_easy_bot() {
    let report = run(&shipped(), &plan(30, [Level::Normal, Level::Easy], 2)).expect("runs");
    let normal = report.bots[0].win_rate.expect("games");
    println!("normal vs easy: {normal:?}");
    assert!(normal.low > 0.5, "{normal:?}");
}

#[test]
fn bad_plans_are_refused_with_the_reason() {
    let unknown = Plan::every_pair(&shipped(), &["tide_starter".into(), "tide_startr".into()]);
    match unknown {
        Err(PlanError::UnknownDeck { deck, known }) => {
            assert_eq!(deck, "tide_startr");
            assert!(known.contains(&"tide_starter".to_owned()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Plan::every_pair(&shipped(), &["tide_starter".into()]),
        Err(PlanError::TooFewDecks(1))
    );
    let none = run(&shipped(), &plan(0, [Level::Easy; 2], 1));
    assert!(matches!(none, Err(PlanError::NoGames)), "{none:?}");
    let mut bad = plan(1, [Level::Easy; 2], 1);
    bad.pairings[0].1 = "nope".into();
    assert!(matches!(
        run(&shipped(), &bad),
        Err(PlanError::UnknownDeck { .. })
    ));
}

#[test]
fn the_report_draws_as_an_svg() {
    let report = run(&shipped(), &plan(10, [Level::Easy; 2], 2)).expect("runs");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("balance.svg");
    plot::draw(&path, &report).expect("draws");
    let svg = std::fs::read_to_string(&path).expect("written");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(
        svg.contains("tide_starter vs dusk_starter") || svg.contains("dusk_starter vs"),
        "pairing labels"
    );
    assert!(svg.contains("first player"));
}
