//! Abuse limits: a per-IP request rate (GCRA) on the endpoints that cost a password hash or
//! mint tokens, and a per-account backoff after repeated failed logins.

use std::{
    hash::Hash,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
};

use crate::error::AuthError;

/// Failed logins allowed before an account's logins are paused.
pub const FREE_LOGIN_FAILURES: i64 = 5;
const FIRST_LOCK_SECS: i64 = 30;
const MAX_LOCK_SECS: i64 = 15 * 60;

/// How long logins pause after `failures` consecutive failures: none for the first few,
/// then 30 s, doubling per further failure, capped at 15 minutes.
pub fn login_lock_secs(failures: i64) -> Option<i64> {
    if failures < FREE_LOGIN_FAILURES {
        return None;
    }
    let doublings = u32::try_from((failures - FREE_LOGIN_FAILURES).min(10)).unwrap_or(10);
    Some((FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS))
}

/// Requests per minute and burst allowed per client IP.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct RateLimit {
    /// Register/login/refresh requests allowed per client IP per minute.
    #[arg(
        long = "auth-rate-per-minute",
        value_name = "N",
        env = "MOONLIGHT_AUTH_RATE_PER_MINUTE",
        default_value = "30"
    )]
    pub per_minute: NonZeroU32,
    /// Requests a client IP may make in a burst before the per-minute rate applies.
    #[arg(
        long = "auth-rate-burst",
        value_name = "N",
        env = "MOONLIGHT_AUTH_RATE_BURST",
        default_value = "10"
    )]
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        moonlight_common::config::defaults()
    }
}

/// Keeps at most this many idle client entries before pruning.
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// A request rate per client, whatever names the client: its IP address ([`IpRateLimiter`]),
/// or its account.
pub struct KeyedRateLimiter<K: Hash + Eq + Clone> {
    limiter: Arc<RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>>,
}

/// The rate per client IP address of the auth endpoints (see [`limit_by_ip`]).
pub type IpRateLimiter = KeyedRateLimiter<IpAddr>;

impl<K: Hash + Eq + Clone> Clone for KeyedRateLimiter<K> {
    fn clone(&self) -> Self {
        Self {
            limiter: Arc::clone(&self.limiter),
        }
    }
}

impl<K: Hash + Eq + Clone> KeyedRateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// Admits one request from `key`, or says how many seconds until it would be admitted.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        if self.limiter.len() > MAX_TRACKED_CLIENTS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// Middleware: refuses a request with 429 and `Retry-After` when its IP is over the limit.
pub async fn limit_by_ip(
    State(limiter): State<IpRateLimiter>,
    request: Request,
    next: Next,
) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    match limiter.check(&ip) {
        Ok(()) => next.run(request).await,
        Err(retry_after_secs) => AuthError::RateLimited { retry_after_secs }.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_lock_grows_then_caps() {
        assert_eq!(login_lock_secs(4), None);
        assert_eq!(login_lock_secs(5), Some(30));
        assert_eq!(login_lock_secs(6), Some(60));
        assert_eq!(login_lock_secs(9), Some(480));
        assert_eq!(login_lock_secs(10), Some(900));
        assert_eq!(login_lock_secs(1_000), Some(900));
    }

    #[test]
    fn burst_then_refusal_with_a_wait() {
        let limiter = IpRateLimiter::new(RateLimit {
            per_minute: NonZeroU32::new(6).unwrap(),
            burst: NonZeroU32::new(2).unwrap(),
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.check(&ip).is_ok());
        assert!(limiter.check(&ip).is_ok());
        let wait = limiter.check(&ip).unwrap_err();
        assert!((1..=10).contains(&wait), "{wait}");
        // Another client is unaffected.
        assert!(limiter.check(&"192.0.2.2".parse().unwrap()).is_ok());
    }
}
