//! What a room spends on each seat's view after an action (`cargo bench -p
//! moonlight-game-server --bench view_deltas`): the seat's view of the game after a random
//! action of a random match of the shipped decks, and the delta from the view sent before,
//! encoded, made two ways:
//! - `from_engine_views`: as the room makes it, straight from the engine's views
//!   (`wire::view_delta`);
//! - `from_protocol_views`: by building the protocol's view and diffing it with the one
//!   kept from before (`View::delta_to`), as the room did until 2026-12-07.

use std::{hint::black_box, path::PathBuf, sync::Arc};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use moonlight_engine::{Content, Game, Seat};
use moonlight_game_server::wire;
use prost::Message;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Each state a seat sees during 40 random matches, with the game just after it.
fn states() -> Vec<(Game, Seat)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
    let content = Arc::new(Content::load(&dir).expect("the shipped content"));
    let decks = ["tide_starter", "dusk_starter", "moonwell_starter"];
    let mut states = Vec::new();
    for seed in 0..40_u64 {
        let pair = [decks[seed as usize % 3], decks[(seed as usize + 1) % 3]];
        let mut game = Game::from_decks(Arc::clone(&content), &pair, seed).expect("setup");
        let mut rng = StdRng::seed_from_u64(seed);
        while !game.is_over() {
            let seat = game.seats_to_act()[0];
            let legal = game.legal_actions(seat);
            // Conceding (the last legal action) would end most matches at once.
            let action = legal[rng.random_range(0..legal.len().saturating_sub(1).max(1))].clone();
            for viewer in [Seat(0), Seat(1)] {
                states.push((game.clone(), viewer));
            }
            game.apply(seat, action).expect("a legal action");
        }
    }
    states
}

fn benches(c: &mut Criterion) {
    let states = states();
    let mut group = c.benchmark_group("view_delta");
    group.throughput(Throughput::Elements(1));
    let mut at = 0;
    let mut next = || {
        at = (at + 1) % (states.len() - 2);
        (&states[at], &states[at + 2])
    };
    group.bench_function("from_engine_views", |b| {
        b.iter_batched(
            || {
                let ((before, seat), (after, _)) = next();
                (before.view_for(*seat), after, *seat)
            },
            |(sent, after, seat)| {
                let now = after.view_for(seat);
                let delta = wire::view_delta(&sent, &now).encode_to_vec();
                (black_box(delta), now)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("from_protocol_views", |b| {
        b.iter_batched(
            || {
                let ((before, seat), (after, _)) = next();
                (wire::view(&before.view_for(*seat)), after, *seat)
            },
            |(sent, after, seat)| {
                let now = wire::view(&after.view_for(seat));
                let delta = sent.delta_to(&now).encode_to_vec();
                (black_box(delta), now)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(view_deltas, benches);
criterion_main!(view_deltas);
