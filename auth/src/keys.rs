//! The Ed25519 keys that sign tokens, kept as PKCS#8 PEM files in the data directory.
//!
//! The newest key signs; every key in the directory is published in the JWKS so tokens
//! signed just before a rotation still verify. To rotate: add a newer key file (or delete
//! the directory's newest to roll back) and restart; remove old files once their tokens
//! (15 minutes for access tokens) have expired.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding},
};
use jsonwebtoken::{
    Algorithm, EncodingKey,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
        OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
    },
};
use sha2::{Digest, Sha256};

/// One signing key: its id, the private half for signing, the public half for JWKS.
#[derive(Clone)]
pub struct KeyPair {
    pub(crate) kid: String,
    pub(crate) encoding: EncodingKey,
    public: [u8; 32],
}

impl KeyPair {
    fn from_signing_key(key: &SigningKey) -> anyhow::Result<Self> {
        let der = key.to_pkcs8_der().context("encoding the key as PKCS#8")?;
        let public = key.verifying_key().to_bytes();
        Ok(Self {
            kid: key_id(&public),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            public,
        })
    }

    /// A fresh random key that lives only in memory.
    pub fn generate() -> anyhow::Result<Self> {
        Self::from_signing_key(&SigningKey::from_bytes(&rand::random()))
    }

    fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                key_id: Some(self.kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(self.public),
            }),
        }
    }
}

/// The key id: a short fingerprint of the public key, stable across restarts.
fn key_id(public: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12])
}

/// All signing keys; the last one signs new tokens.
#[derive(Clone)]
pub struct SigningKeys {
    keys: Vec<KeyPair>,
}

impl SigningKeys {
    /// Loads every `*.pem` key in `dir` (oldest first, by file name), generating and saving
    /// one if there is none.
    pub fn load_or_generate(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut paths = key_files(dir)?;
        if paths.is_empty() {
            paths.push(generate_key_file(dir)?);
        }
        read_keys(&paths)
    }

    /// Loads the keys another process (the auth service) generated in `dir`; fails if
    /// there are none, rather than signing with keys nobody trusts.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let paths = key_files(dir)?;
        if paths.is_empty() {
            anyhow::bail!(
                "no signing keys (*.pem) in {}; start the auth service on the same data \
                 directory first, or copy its keys there",
                dir.display()
            );
        }
        read_keys(&paths)
    }

    /// A single in-memory key (for tests and throwaway nodes).
    pub fn ephemeral() -> anyhow::Result<Self> {
        Ok(Self {
            keys: vec![KeyPair::generate()?],
        })
    }

    pub fn current(&self) -> &KeyPair {
        // The constructors guarantee at least one key.
        &self.keys[self.keys.len() - 1]
    }

    /// The public keys, as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().map(KeyPair::jwk).collect(),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

fn key_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading the keys directory {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "pem"))
        .collect();
    paths.sort();
    Ok(paths)
}

fn read_keys(paths: &[PathBuf]) -> anyhow::Result<SigningKeys> {
    let keys = paths
        .iter()
        .map(|path| {
            let pem =
                fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                anyhow::anyhow!("{}: not an Ed25519 PKCS#8 key: {e}", path.display())
            })?;
            KeyPair::from_signing_key(&key)
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(SigningKeys { keys })
}

fn generate_key_file(dir: &Path) -> anyhow::Result<PathBuf> {
    let key = SigningKey::from_bytes(&rand::random());
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("encoding the new key as PEM")?;
    let path = dir.join(format!(
        "ed25519-{}.pem",
        moonlight_common::time::unix_now()
    ));
    write_private(&path, pem.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new token signing key");
    Ok(path)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_generated_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = SigningKeys::load_or_generate(dir.path()).unwrap();
        let again = SigningKeys::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.current().kid, again.current().kid);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn jwks_lists_every_key_with_its_id() {
        let keys = SigningKeys::ephemeral().unwrap();
        let jwks = serde_json::to_value(keys.jwks()).unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "OKP");
        assert_eq!(key["crv"], "Ed25519");
        assert_eq!(key["alg"], "EdDSA");
        assert_eq!(key["kid"], keys.current().kid.as_str());
        assert!(
            key.get("d").is_none(),
            "the private key must never be published"
        );
    }

    #[test]
    fn a_broken_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("bad.pem"), "not a key").unwrap();
        let error = SigningKeys::load_or_generate(dir.path()).err().unwrap();
        assert!(error.to_string().contains("bad.pem"), "{error}");
    }
}
