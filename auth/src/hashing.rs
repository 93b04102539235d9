//! Password hashing: Argon2id with OWASP's parameters, on the blocking pool, bounded.
//!
//! Hashing is deliberately slow (~tens of ms of CPU), so it never runs on the async runtime:
//! at most `workers` hashes run at once on the blocking pool, at most `queue` more wait,
//! and a request beyond that is refused with [`HashError::Busy`] (503) instead of piling up
//! and starving everything else on the node.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
    password_hash::SaltString,
};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 passes, 1 lane.
pub const OWASP_M_COST_KIB: u32 = 19_456;
pub const OWASP_T_COST: u32 = 2;
pub const OWASP_P_COST: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("too many password checks in progress")]
    Busy,
    #[error("password hashing failed: {0}")]
    Internal(String),
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// The stored hash was made with other parameters and should be replaced.
    pub needs_rehash: bool,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// Permits for hashes running or waiting; `try_acquire` failing means "full".
    admitted: Arc<Semaphore>,
    /// Permits for hashes running on the blocking pool.
    running: Arc<Semaphore>,
    /// A real hash of a random password, verified against when a username is unknown so
    /// that "no such user" costs the same time as "wrong password".
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// A hasher with OWASP parameters, `workers` hashes at once and `queue` waiting.
    pub fn new(workers: usize, queue: usize) -> Result<Self, HashError> {
        let params = Params::new(OWASP_M_COST_KIB, OWASP_T_COST, OWASP_P_COST, None)
            .map_err(|e| HashError::Internal(e.to_string()))?;
        Self::with_params(params, workers, queue)
    }

    /// A hasher with explicit parameters (tests use this to exercise rehash-on-login).
    pub fn with_params(params: Params, workers: usize, queue: usize) -> Result<Self, HashError> {
        let workers = workers.max(1);
        let random_password = hex(&rand::random::<[u8; 16]>());
        let dummy_hash = hash_blocking(&params, &random_password)?;
        Ok(Self {
            params,
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let params = self.params.clone();
        let password = password.expose().to_owned();
        self.run(move || hash_blocking(&params, &password)).await?
    }

    /// Checks `password` against `stored` (a PHC string), or against a dummy hash when
    /// there is no stored hash (unknown user), which then never matches.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verification, HashError> {
        let known_user = stored.is_some();
        let phc = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.expose().to_owned();
        let params = self.params.clone();
        let verification = self
            .run(move || verify_blocking(&params, &password, &phc))
            .await??;
        Ok(Verification {
            matches: verification.matches && known_user,
            needs_rehash: verification.needs_rehash,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _admitted = self.admitted.try_acquire().map_err(|_| HashError::Busy)?;
        let _running = self
            .running
            .acquire()
            .await
            .map_err(|_| HashError::Internal("hasher closed".to_owned()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError::Internal(e.to_string()))
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| HashError::Internal(e.to_string()))?;
    argon2(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Internal(e.to_string()))
}

fn verify_blocking(params: &Params, password: &str, phc: &str) -> Result<Verification, HashError> {
    let hash = PasswordHash::new(phc).map_err(|e| HashError::Internal(e.to_string()))?;
    let matches = argon2(params)
        .verify_password(password.as_bytes(), &hash)
        .is_ok();
    let current = hash.algorithm == Algorithm::Argon2id.ident()
        && hash.version == Some(Version::V0x13.into())
        && Params::try_from(&hash).is_ok_and(|stored| {
            stored.m_cost() == params.m_cost()
                && stored.t_cost() == params.t_cost()
                && stored.p_cost() == params.p_cost()
        });
    Ok(Verification {
        matches,
        needs_rehash: !current,
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(raw: &str) -> Password {
        Password::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters() {
        let hasher = PasswordHasher::new(1, 4).unwrap();
        let phc = hasher.hash(&password("correct horse")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let ok = hasher
            .verify(&password("correct horse"), Some(&phc))
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        let wrong = hasher
            .verify(&password("wrong horse"), Some(&phc))
            .await
            .unwrap();
        assert!(!wrong.matches);
    }

    #[tokio::test]
    async fn unknown_user_never_matches() {
        let hasher = PasswordHasher::new(1, 4).unwrap();
        let result = hasher
            .verify(&password("anything at all"), None)
            .await
            .unwrap();
        assert!(!result.matches);
    }

    #[tokio::test]
    async fn old_parameters_ask_for_a_rehash() {
        let weak =
            PasswordHasher::with_params(Params::new(1024, 1, 1, None).unwrap(), 1, 4).unwrap();
        let phc = weak.hash(&password("correct horse")).await.unwrap();
        let owasp = PasswordHasher::new(1, 4).unwrap();
        let result = owasp
            .verify(&password("correct horse"), Some(&phc))
            .await
            .unwrap();
        assert_eq!(
            result,
            Verification {
                matches: true,
                needs_rehash: true
            }
        );
    }

    #[tokio::test]
    async fn full_queue_is_refused_not_queued() {
        let hasher = PasswordHasher::new(1, 0).unwrap();
        // Hold the only admission permit, as a running hash would.
        let _held = hasher.admitted.try_acquire().unwrap();
        let result = hasher.hash(&password("correct horse")).await;
        assert!(matches!(result, Err(HashError::Busy)));
    }
}
