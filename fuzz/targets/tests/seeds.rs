//! The seed inputs: each passes its target, and (ignored, run by hand) they are written
//! into the corpora:
//!
//! ```sh
//! cargo test -p moonlight-fuzz-targets --test seeds -- --ignored
//! ```

use std::path::Path;

use moonlight_fuzz_targets::{TARGETS, seeds};

#[test]
fn every_seed_passes_its_target() {
    for seed in seeds::all() {
        let (_, target) = TARGETS
            .iter()
            .find(|(n, _)| *n == seed.target)
            .expect("a target");
        target(&seed.bytes);
    }
}

#[test]
#[ignore = "writes the seeds into fuzz/corpus/; run by hand"]
fn write_seeds_into_the_corpora() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    for seed in seeds::all() {
        let dir = corpus.join(seed.target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        std::fs::write(dir.join(format!("seed-{}", seed.name)), &seed.bytes).expect("seed");
    }
}
