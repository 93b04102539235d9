//! A fixed signing key, so tokens in the corpora stay valid from one run to the next: an
//! Ed25519 key from a constant seed, written as the PKCS#8 PEM file the auth service keeps
//! and loaded the way the services load theirs (`SigningKeys::load`).

use std::sync::OnceLock;

use ed25519_dalek::{
    SigningKey,
    pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding},
};
use moonlight_auth::{SigningKeys, TokenIssuer, TokenVerifier};

/// The key's seed. A fuzzing key, for nothing else.
const SEED: [u8; 32] = *b"moonlight-fuzz-fixed-signing-key";

/// The issuer (the auth service's and the lobby's role) of the fixed key.
pub(crate) fn issuer() -> &'static TokenIssuer {
    static ISSUER: OnceLock<TokenIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| {
        let pem = SigningKey::from_bytes(&SEED)
            .to_pkcs8_pem(LineEnding::LF)
            .expect("the fixed key encodes");
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("ed25519-fuzz.pem"), pem.as_bytes()).expect("key file");
        let keys = SigningKeys::load(dir.path()).expect("the fixed key loads");
        TokenIssuer::new(keys)
    })
}

/// The verifier every service builds from the auth service's public keys.
pub(crate) fn verifier() -> &'static TokenVerifier {
    static VERIFIER: OnceLock<TokenVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| issuer().verifier())
}
