//! Engine benchmarks (`cargo bench -p moonlight-engine`), each for two pairings of
//! starter decks: `tide_vs_dusk` (the first set's original cards) and `ember_vs_grove`
//! (auras, armor, cost changes, choose-one, hero powers):
//! - `random_game`: a complete game of random legal play (setup included);
//!   games per second = 1 / time;
//! - `apply_and_views`: one action applied to a mid-game state, then every
//!   seat's view built (the game server's per-action work).

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use moonlight_engine::{Action, Content, Game, Seat};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn content() -> Arc<Content> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
    match Content::load(&dir) {
        Ok(c) => Arc::new(c),
        Err(r) => panic!("{r}"),
    }
}

fn random_action(g: &Game, rng: &mut ChaCha8Rng) -> (Seat, Action) {
    let seat = g.seats_to_act().first().copied().unwrap_or(g.active_seat());
    let legal = g.legal_actions(seat);
    // The last action is always `concede`: leave it out.
    let n = legal.len().saturating_sub(1).max(1);
    (seat, legal[rng.random_range(0..n)].clone())
}

/// The pairings measured: a name and two deck ids.
const PAIRINGS: [(&str, [&str; 2]); 2] = [
    ("tide_vs_dusk", ["tide_starter", "dusk_starter"]),
    ("ember_vs_grove", ["ember_starter", "grove_starter"]),
];

fn play_out(c: &Arc<Content>, decks: &[&str; 2], seed: u64) -> u32 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut g = Game::from_decks(Arc::clone(c), decks, seed).expect("setup");
    while !g.is_over() {
        let (seat, a) = random_action(&g, &mut rng);
        let _ = g.apply(seat, a);
    }
    g.turn()
}

fn benches(cr: &mut Criterion) {
    let c = content();
    for (name, decks) in PAIRINGS {
        bench_pairing(cr, &c, name, &decks);
    }
}

fn bench_pairing(cr: &mut Criterion, c: &Arc<Content>, name: &str, decks: &[&str; 2]) {
    let mut group = cr.benchmark_group(format!("engine/{name}"));
    group.throughput(Throughput::Elements(1));
    let mut seed = 0u64;
    group.bench_function("random_game", |b| {
        b.iter(|| {
            seed = seed.wrapping_add(1);
            black_box(play_out(c, decks, seed))
        })
    });

    // Mid-game states: 64 games advanced 40 random actions each.
    let mut states = Vec::new();
    for s in 0..64u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + s);
        let mut g = Game::from_decks(Arc::clone(c), decks, s).expect("setup");
        for _ in 0..40 {
            if g.is_over() {
                break;
            }
            let (seat, a) = random_action(&g, &mut rng);
            let _ = g.apply(seat, a);
        }
        if !g.is_over() {
            let mut rng = ChaCha8Rng::seed_from_u64(s);
            let (seat, a) = random_action(&g, &mut rng);
            states.push((g, seat, a));
        }
    }
    let mut i = 0usize;
    group.bench_function("apply_and_views", |b| {
        b.iter_batched(
            || {
                i = (i + 1) % states.len();
                states[i].clone()
            },
            |(mut g, seat, a)| {
                let events = g.apply(seat, a);
                let views: Vec<_> = (0..g.seat_count())
                    .map(|s| g.view_for(Seat(s as u8)))
                    .collect();
                black_box((events, views))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
