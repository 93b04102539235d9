//! Signed tokens: issuing (auth only, holds the private key) and verifying (any service,
//! needs only the public keys).
//!
//! Every token is an EdDSA JWT with `sub`, `iss`, `aud`, `exp`, `iat`, `jti` and a `typ` that
//! says what it is for. Verification pins the algorithm (so `alg: none` and HS256-signed
//! forgeries fail), requires `exp`/`iss`/`aud`/`sub`, allows 30 s of clock skew, and checks
//! `typ`, so a token made for one purpose is never accepted for another.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use jsonwebtoken::{
    Algorithm, DecodingKey, Header, Validation, decode, decode_header, encode, errors::ErrorKind,
    jwk::JwkSet,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::keys::SigningKeys;

/// The `iss` of every token this service signs.
pub const ISSUER: &str = "moonlight-auth";
/// The `aud` of every token this service signs: the Moonlight services.
pub const AUDIENCE: &str = "moonlight";
/// Clock skew tolerated between services when checking `exp`.
pub const LEEWAY_SECS: u64 = 30;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    /// Authenticates a player to the REST APIs.
    Access,
    /// Admits a player to one seat of one room on one game-server node.
    RoomTicket,
    /// An admin's command to the node running one room (see `moonlight_rooms::command`).
    NodeCommand,
}

/// The claims of a token; `E` holds the claims particular to its type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims<E> {
    /// The player's account id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub typ: TokenType,
    #[serde(flatten)]
    pub extra: E,
}

/// What an access token carries besides the standard claims.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessExtra {
    /// The player's display name.
    pub name: String,
    /// What the account may do besides playing; absent for a player (as in tokens signed
    /// before roles existed). Signed like every claim, so it cannot be added by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

impl AccessExtra {
    /// A player's claims: a name and no role.
    pub fn player(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            roles: Vec::new(),
        }
    }
}

/// A role an account holds besides being a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The operator's console: every `/v1/admin` endpoint.
    Admin,
}

impl Role {
    pub const ALL: [Role; 1] = [Role::Admin];

    /// The name stored in `user_roles` and written in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

pub type AccessClaims = Claims<AccessExtra>;

/// Why a token was refused. The variants are for logs and tests; clients all get the
/// same 401 so they learn nothing about which check failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token has expired")]
    Expired,
    #[error("token signature or algorithm is invalid")]
    BadSignature,
    #[error("token was signed by an unknown key")]
    UnknownKey,
    #[error("token is for another audience or issuer")]
    WrongAudienceOrIssuer,
    #[error("token is a {found:?} token, expected {expected:?}")]
    WrongType {
        expected: TokenType,
        found: TokenType,
    },
    #[error("token could not be signed: {0}")]
    Signing(String),
}

/// Why a JWKS cannot serve as a verifier's keys.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("not a JWKS document: {0}")]
    Json(serde_json::Error),
    #[error("key {kid:?} is not a valid Ed25519 public key")]
    BadKey { kid: String },
    #[error("no EdDSA key with a `kid` in the set")]
    NoKeys,
}

/// Signs tokens with the current key. Only the auth service (and, later, the lobby for room
/// tickets) holds one.
#[derive(Clone)]
pub struct TokenIssuer {
    keys: SigningKeys,
}

impl TokenIssuer {
    pub fn new(keys: SigningKeys) -> Self {
        Self { keys }
    }

    /// Signs a `typ` token for `sub`, valid for `ttl` from `now` (Unix seconds).
    pub fn issue<E: Serialize>(
        &self,
        sub: &str,
        typ: TokenType,
        now: i64,
        ttl: Duration,
        extra: E,
    ) -> Result<String, TokenError> {
        let key = self.keys.current();
        let claims = Claims {
            sub: sub.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            typ,
            extra,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        encode(&header, &claims, &key.encoding).map_err(|e| TokenError::Signing(e.to_string()))
    }

    /// The verifier for the tokens this issuer signs.
    pub fn verifier(&self) -> TokenVerifier {
        // Our own keys always form a valid JWKS.
        TokenVerifier::from_jwks(&self.keys.jwks()).unwrap_or_else(|_| TokenVerifier::empty())
    }

    pub fn jwks(&self) -> JwkSet {
        self.keys.jwks()
    }
}

/// Checks tokens against the auth service's public keys. Cheap to clone; share freely.
#[derive(Clone)]
pub struct TokenVerifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    keys: BTreeMap<String, DecodingKey>,
    validation: Validation,
}

impl TokenVerifier {
    /// A verifier trusting the EdDSA keys of a JWKS (as served by auth at
    /// `/.well-known/jwks.json`). Keys without a `kid` or of another kind are skipped; a set
    /// with no usable key is refused, since such a verifier would admit nobody.
    pub fn from_jwks(jwks: &JwkSet) -> Result<Self, JwksError> {
        let mut keys = BTreeMap::new();
        for jwk in &jwks.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if let jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(okp) = &jwk.algorithm {
                let key = DecodingKey::from_ed_components(&okp.x)
                    .map_err(|_| JwksError::BadKey { kid: kid.clone() })?;
                keys.insert(kid, key);
            }
        }
        if keys.is_empty() {
            return Err(JwksError::NoKeys);
        }
        Ok(Self::with_keys(keys))
    }

    /// A verifier trusting the keys of a JWKS document (JSON text).
    pub fn from_jwks_json(json: &str) -> Result<Self, JwksError> {
        let jwks: JwkSet = serde_json::from_str(json).map_err(JwksError::Json)?;
        Self::from_jwks(&jwks)
    }

    fn empty() -> Self {
        Self::with_keys(BTreeMap::new())
    }

    fn with_keys(keys: BTreeMap<String, DecodingKey>) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Self {
            inner: Arc::new(VerifierInner { keys, validation }),
        }
    }

    /// Verifies `token` as a `typ` token and returns its claims.
    pub fn verify<E: DeserializeOwned>(
        &self,
        token: &str,
        typ: TokenType,
    ) -> Result<Claims<E>, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::BadSignature);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.inner.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        let data =
            decode::<Claims<E>>(token, key, &self.inner.validation).map_err(|error| match error
                .kind()
            {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidAlgorithmName
                | ErrorKind::InvalidEddsaKey => TokenError::BadSignature,
                ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer => {
                    TokenError::WrongAudienceOrIssuer
                }
                _ => TokenError::Malformed,
            })?;
        if data.claims.typ != typ {
            return Err(TokenError::WrongType {
                expected: typ,
                found: data.claims.typ,
            });
        }
        Ok(data.claims)
    }

    /// Verifies an access token.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.verify(token, TokenType::Access)
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use jsonwebtoken::EncodingKey;
    use moonlight_common::time::unix_now;

    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(SigningKeys::ephemeral().unwrap())
    }

    fn access(issuer: &TokenIssuer, now: i64) -> String {
        let extra = AccessExtra::player("luna");
        issuer
            .issue(
                "user-1",
                TokenType::Access,
                now,
                Duration::from_secs(900),
                extra,
            )
            .unwrap()
    }

    #[test]
    fn a_fresh_access_token_verifies() {
        let issuer = issuer();
        let claims = issuer
            .verifier()
            .verify_access(&access(&issuer, unix_now()))
            .unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.extra.name, "luna");
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn expiry_allows_only_the_leeway() {
        let issuer = issuer();
        let verifier = issuer.verifier();
        // Expired 10 s ago: within the 30 s leeway.
        let recent = access(&issuer, unix_now() - 910);
        assert!(verifier.verify_access(&recent).is_ok());
        // Expired 60 s ago: refused.
        let stale = access(&issuer, unix_now() - 960);
        assert_eq!(
            verifier.verify_access(&stale).err(),
            Some(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_of_another_type_is_refused() {
        let issuer = issuer();
        let ticket = issuer
            .issue(
                "user-1",
                TokenType::RoomTicket,
                unix_now(),
                Duration::from_secs(60),
                AccessExtra::player("x"),
            )
            .unwrap();
        assert!(matches!(
            issuer.verifier().verify_access(&ticket),
            Err(TokenError::WrongType { .. })
        ));
    }

    #[test]
    fn another_issuers_key_is_refused() {
        let token = access(&issuer(), unix_now());
        assert_eq!(
            issuer().verifier().verify_access(&token).err(),
            Some(TokenError::UnknownKey)
        );
    }

    #[test]
    fn tampered_claims_are_refused() {
        let issuer = issuer();
        let token = access(&issuer, unix_now());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["sub"] = "someone-else".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(
            issuer.verifier().verify_access(&parts.join(".")).err(),
            Some(TokenError::BadSignature)
        );
    }

    #[test]
    fn alg_none_is_refused() {
        let issuer = issuer();
        let token = access(&issuer, unix_now());
        let payload = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let forged = format!("{header}.{payload}.");
        assert!(issuer.verifier().verify_access(&forged).is_err());
    }

    #[test]
    fn hs256_signed_with_the_public_key_is_refused() {
        let issuer = issuer();
        let jwks = serde_json::to_value(issuer.jwks()).unwrap();
        let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
        let public = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["x"].as_str().unwrap())
            .unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid);
        let now = unix_now();
        let claims = Claims {
            sub: "user-1".to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now + 900,
            iat: now,
            jti: "x".to_owned(),
            typ: TokenType::Access,
            extra: AccessExtra::player("luna"),
        };
        let forged = encode(&header, &claims, &EncodingKey::from_secret(&public)).unwrap();
        assert_eq!(
            issuer.verifier().verify_access(&forged).err(),
            Some(TokenError::BadSignature)
        );
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let issuer = issuer();
        let now = unix_now();
        let key = issuer.keys.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        for (iss, aud) in [(ISSUER, "someone-else"), ("evil-auth", AUDIENCE)] {
            let claims = Claims {
                sub: "user-1".to_owned(),
                iss: iss.to_owned(),
                aud: aud.to_owned(),
                exp: now + 900,
                iat: now,
                jti: "x".to_owned(),
                typ: TokenType::Access,
                extra: AccessExtra::player("luna"),
            };
            let token = encode(&header, &claims, &key.encoding).unwrap();
            assert_eq!(
                issuer.verifier().verify_access(&token).err(),
                Some(TokenError::WrongAudienceOrIssuer),
                "iss={iss} aud={aud}"
            );
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let verifier = issuer().verifier();
        for token in [
            "",
            ".",
            "..",
            "a.b.c",
            "not a token",
            "😀.😀.😀",
            &"x".repeat(10_000),
        ] {
            assert!(verifier.verify_access(token).is_err(), "{token:?}");
        }
    }
}
