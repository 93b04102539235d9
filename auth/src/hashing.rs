//! Password hashing: Argon2id with OWASP's parameters, on threads of its own, bounded.
//!
//! Hashing is deliberately slow (~tens of ms of CPU), so it never runs on the async runtime:
//! at most `workers` hashes run at once, each on its own thread with its own Argon2 memory,
//! at most `queue` more wait, and a request beyond that is refused with
//! [`HashError::Busy`] (503) instead of piling up and starving everything else on the node.

use std::sync::{Arc, Mutex, mpsc};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, Salt, SaltString},
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
    /// The threads hashes run on.
    threads: Arc<HashThreads>,
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
        let dummy_hash = Memory::default().hash_phc(&params, &random_password)?;
        Ok(Self {
            params,
            admitted: Arc::new(Semaphore::new(workers + queue)),
            threads: Arc::new(HashThreads::start(workers)?),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let params = self.params.clone();
        let password = password.expose().to_owned();
        self.run(move |memory| memory.hash_phc(&params, &password))
            .await?
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
            .run(move |memory| memory.verify_phc(&params, &password, &phc))
            .await??;
        Ok(Verification {
            matches: verification.matches && known_user,
            needs_rehash: verification.needs_rehash,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _admitted = self.admitted.try_acquire().map_err(|_| HashError::Busy)?;
        self.threads.run(work).await
    }
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// The threads that hash, each with its own Argon2 memory, used again for every hash.
///
/// Each hash needs 19 MiB. Allocated and freed per hash on the blocking pool, glibc kept
/// the freed memory spread over its per-thread arenas: a node sat on half a gigabyte
/// after a burst of logins. Here it holds `workers` × 19 MiB, however many logins it
/// serves, and no hash pays for faulting in fresh pages.
struct HashThreads {
    jobs: mpsc::Sender<Job>,
}

impl HashThreads {
    /// Starts `workers` threads; they end when the last hasher sharing them is dropped.
    fn start(workers: usize) -> Result<Self, HashError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    let mut memory = Memory::default();
                    // The lock is held only while waiting for the next job.
                    while let Ok(Ok(job)) = queue.lock().map(|q| q.recv()) {
                        job(&mut memory);
                    }
                })
                .map_err(|e| HashError::Internal(format!("starting a hashing thread: {e}")))?;
        }
        Ok(Self { jobs })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |memory| {
                let _ = done.send(work(memory));
            }))
            .map_err(|_| HashError::Internal("the hashing threads are gone".to_owned()))?;
        result
            .await
            .map_err(|_| HashError::Internal("a hashing thread panicked".to_owned()))
    }
}

/// One thread's Argon2 working memory, grown to the largest parameters it has met (an
/// old, heavier hash being checked, say) and kept.
#[derive(Default)]
struct Memory(Vec<Block>);

impl Memory {
    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password` with a fresh
    /// random salt.
    fn hash_phc(&mut self, params: &Params, password: &str) -> Result<String, HashError> {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(internal)?;
        self.hash(
            Algorithm::Argon2id,
            Version::V0x13,
            params,
            password,
            salt.as_salt(),
        )
        .map(|hash| hash.to_string())
        .map_err(internal)
    }

    /// Whether `password` is the one `phc` was made from, and whether `phc` was made with
    /// other parameters than `params`.
    fn verify_phc(
        &mut self,
        params: &Params,
        password: &str,
        phc: &str,
    ) -> Result<Verification, HashError> {
        let stored = PasswordHash::new(phc).map_err(internal)?;
        // What the stored hash says it is; anything unreadable simply does not match.
        let mut recomputed = || -> Result<bool, argon2::password_hash::Error> {
            let algorithm = Algorithm::try_from(stored.algorithm)?;
            let version = stored
                .version
                .map(Version::try_from)
                .transpose()?
                .unwrap_or_default();
            let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
                return Ok(false);
            };
            let again = self.hash(
                algorithm,
                version,
                &Params::try_from(&stored)?,
                password,
                salt,
            )?;
            // `Output`'s equality is constant-time.
            Ok(again.hash == Some(expected))
        };
        let matches = recomputed().unwrap_or(false);
        let current = stored.algorithm == Algorithm::Argon2id.ident()
            && stored.version == Some(Version::V0x13.into())
            && Params::try_from(&stored).is_ok_and(|old| {
                old.m_cost() == params.m_cost()
                    && old.t_cost() == params.t_cost()
                    && old.p_cost() == params.p_cost()
            });
        Ok(Verification {
            matches,
            needs_rehash: !current,
        })
    }

    /// What argon2's own `PasswordHasher::hash_password` does, with this memory instead of
    /// a fresh allocation.
    fn hash<'a>(
        &mut self,
        algorithm: Algorithm,
        version: Version,
        params: &Params,
        password: &str,
        salt: Salt<'a>,
    ) -> Result<PasswordHash<'a>, argon2::password_hash::Error> {
        if self.0.len() < params.block_count() {
            self.0.resize(params.block_count(), Block::default());
        }
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = Output::init_with(output_len, |out| {
            Ok(argon2.hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                &mut self.0,
            )?)
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: params.try_into()?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

fn internal(error: impl std::fmt::Display) -> HashError {
    HashError::Internal(error.to_string())
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

    /// Accounts hashed before this hasher reused its memory (by argon2's own hasher) still
    /// log in, and what it makes now argon2's own verifier accepts.
    #[tokio::test]
    async fn hashes_match_argon2s_own() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(OWASP_M_COST_KIB, OWASP_T_COST, OWASP_P_COST, None).unwrap();
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let theirs = reference
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let hasher = PasswordHasher::new(1, 4).unwrap();
        let checked = hasher
            .verify(&password("correct horse"), Some(&theirs))
            .await
            .unwrap();
        assert!(checked.matches && !checked.needs_rehash);

        let ours = hasher.hash(&password("correct horse")).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(reference.verify_password(b"correct horse", &parsed).is_ok());
        assert!(reference.verify_password(b"wrong horse", &parsed).is_err());
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
