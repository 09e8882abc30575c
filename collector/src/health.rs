//! Readiness of the collector's dependencies, shared between the parts
//! that observe them and `/readyz`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Dependency states.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    broker: AtomicBool,
    redis: AtomicBool,
    redis_used: AtomicBool,
    sqlite: AtomicBool,
}

impl Health {
    /// Starts with SQLite ready (it opened) and nothing else.
    pub fn new(redis_used: bool) -> Self {
        let h = Self::default();
        h.0.redis_used.store(redis_used, Ordering::Relaxed);
        h.0.sqlite.store(true, Ordering::Relaxed);
        h
    }

    /// Records the broker connection state.
    pub fn set_broker(&self, ok: bool) {
        self.0.broker.store(ok, Ordering::Relaxed);
    }

    /// Records the Redis state.
    pub fn set_redis(&self, ok: bool) {
        self.0.redis.store(ok, Ordering::Relaxed);
    }

    /// Records whether the last SQLite commit worked.
    pub fn set_sqlite(&self, ok: bool) {
        self.0.sqlite.store(ok, Ordering::Relaxed);
    }

    /// `(broker, redis (None when not used), sqlite)`.
    pub fn states(&self) -> (bool, Option<bool>, bool) {
        let redis = self
            .0
            .redis_used
            .load(Ordering::Relaxed)
            .then(|| self.0.redis.load(Ordering::Relaxed));
        (
            self.0.broker.load(Ordering::Relaxed),
            redis,
            self.0.sqlite.load(Ordering::Relaxed),
        )
    }

    /// Everything the collector needs is reachable.
    pub fn ready(&self) -> bool {
        let (b, r, s) = self.states();
        b && r.unwrap_or(true) && s
    }
}
