//! Rate limits on what callers send (issue 16): a burst of `n`, refilled evenly over a
//! minute, per channel key (`[limits] messages_per_minute`), per widget session
//! (`widget_messages_per_minute`) and per client address on the widget's API
//! (`widget_ip_requests_per_minute`). Over a limit the answer is `429` with `Retry-After`
//! (whole seconds) and the usual JSON error body; nothing of the refused request is stored.
//!
//! The limiters are `governor`'s GCRA cells, read against the desk's [`Clock`] (time is an
//! input: a test moves a manual clock instead of sleeping). They count per host: each host
//! of a multi-host deployment allows the quota on its own (documented in the README).

use super::error::ApiError;
use crate::clock::SharedClock;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The desk's clock as `governor` reads it: nanoseconds since the Unix epoch.
#[derive(Clone, Debug)]
struct DeskTime(SharedClock);

impl governor::clock::Clock for DeskTime {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        Nanos::from(u64::try_from(self.0.now().as_nanosecond()).unwrap_or(0))
    }
}

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DeskTime, NoOpMiddleware<Nanos>>;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// One channel key's posted events.
    Key,
    /// One widget session's posted messages.
    Session,
    /// One client address's widget requests.
    Address,
}

impl Scope {
    fn says(self) -> &'static str {
        match self {
            Scope::Key => "this key has posted",
            Scope::Session => "this chat has sent",
            Scope::Address => "this address has made",
        }
    }
}

/// How many checks between sweeps of keys whose cells have refilled (bounds the memory a
/// flood of one-off sessions or addresses can take).
const SWEEP_EVERY: u64 = 4096;

/// The host's limiters, one per scope and quota (a tenant whose quota changes on reload
/// moves to a fresh one), keyed by tenant and subject.
pub(crate) struct RateLimits {
    clock: DeskTime,
    limiters: Mutex<HashMap<(Scope, NonZeroU32), Arc<Keyed>>>,
    checks: AtomicU64,
}

impl RateLimits {
    /// Limiters on `clock` (the desk's).
    pub(crate) fn new(clock: SharedClock) -> Self {
        RateLimits {
            clock: DeskTime(clock),
            limiters: Mutex::default(),
            checks: AtomicU64::new(0),
        }
    }

    fn limiter(&self, scope: Scope, per_minute: NonZeroU32) -> Arc<Keyed> {
        let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for l in map.values() {
                l.retain_recent();
            }
        }
        map.entry((scope, per_minute))
            .or_insert_with(|| {
                Arc::new(RateLimiter::new(
                    Quota::per_minute(per_minute),
                    DefaultKeyedStateStore::default(),
                    self.clock.clone(),
                ))
            })
            .clone()
    }

    /// Count one request of `subject` in `tenant` against `per_minute` (0: no limit).
    pub(crate) fn check(
        &self,
        scope: Scope,
        per_minute: u32,
        tenant: &str,
        subject: &str,
    ) -> Result<(), Limited> {
        let Some(per_minute) = NonZeroU32::new(per_minute) else {
            return Ok(());
        };
        let limiter = self.limiter(scope, per_minute);
        match limiter.check_key(&format!("{tenant}/{subject}")) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(Limited {
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    message: format!(
                        "{} more than {per_minute} requests in a minute; retry after the \
                         `Retry-After` seconds",
                        scope.says()
                    ),
                })
            }
        }
    }
}

/// A request over a rate limit: `429`, `Retry-After` and the usual error body.
#[derive(Debug)]
pub(crate) struct Limited {
    retry_after_secs: u64,
    message: String,
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        let secs = self.retry_after_secs.max(1);
        let mut response =
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", self.message)
                .into_response();
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
        response
    }
}

/// What a rate-limited handler answers when it refuses: an [`ApiError`] or a [`Limited`].
#[derive(Debug)]
pub(crate) enum Refused {
    Api(ApiError),
    Limited(Limited),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused::Api(e)
    }
}

impl From<Limited> for Refused {
    fn from(e: Limited) -> Self {
        Refused::Limited(e)
    }
}

impl From<crate::handoff::DeskError> for Refused {
    fn from(e: crate::handoff::DeskError) -> Self {
        Refused::Api(e.into())
    }
}

impl From<crate::store::StoreError> for Refused {
    fn from(e: crate::store::StoreError) -> Self {
        Refused::Api(e.into())
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Api(e) => e.into_response(),
            Refused::Limited(l) => l.into_response(),
        }
    }
}

/// The client's address, as the listener saw the connection (a proxy in front of Baton
/// is one address; see the README). `None` when the server was started without it.
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The host's [`RateLimits`], as handlers take them (the router adds them).
pub(crate) type Limits = axum::Extension<Arc<RateLimits>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_burst_then_refills_on_the_desk_clock() {
        let clock = ManualClock::new(jiff::Timestamp::from_second(1_800_000_000).unwrap());
        let limits = RateLimits::new(clock.clone());
        for _ in 0..3 {
            assert!(limits.check(Scope::Session, 3, "t", "a").is_ok());
        }
        let refused = limits.check(Scope::Session, 3, "t", "a").unwrap_err();
        // One cell refills every 20 s.
        assert_eq!(refused.retry_after_secs, 20);
        // Another subject, another tenant and "no limit" are not affected.
        assert!(limits.check(Scope::Session, 3, "t", "b").is_ok());
        assert!(limits.check(Scope::Session, 3, "u", "a").is_ok());
        assert!(limits.check(Scope::Key, 0, "t", "a").is_ok());
        clock.advance_ms(19_000);
        let refused = limits.check(Scope::Session, 3, "t", "a").unwrap_err();
        assert_eq!(refused.retry_after_secs, 1);
        clock.advance_ms(1_000);
        assert!(limits.check(Scope::Session, 3, "t", "a").is_ok());
        assert!(limits.check(Scope::Session, 3, "t", "a").is_err());
    }
}
