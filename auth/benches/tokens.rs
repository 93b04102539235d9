//! Access-token verification throughput (what every lobby and game-server request pays)
//! and signing cost. Run: `cargo bench -p moonlight-auth --bench tokens`.

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use moonlight_auth::{AccessExtra, SigningKeys, TokenIssuer, TokenType};
use moonlight_common::time::unix_now;

fn tokens(c: &mut Criterion) {
    let issuer = TokenIssuer::new(SigningKeys::ephemeral().expect("a key"));
    let verifier = issuer.verifier();
    let extra = || AccessExtra::player("luna");
    let ttl = Duration::from_secs(900);
    let token = issuer
        .issue("user-1", TokenType::Access, unix_now(), ttl, extra())
        .expect("a token");

    let mut group = c.benchmark_group("access_token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify_access(black_box(&token)).expect("valid"));
    });
    group.bench_function("issue", |b| {
        b.iter(|| {
            issuer
                .issue("user-1", TokenType::Access, unix_now(), ttl, extra())
                .expect("signed")
        });
    });
    group.finish();
}

criterion_group!(benches, tokens);
criterion_main!(benches);
