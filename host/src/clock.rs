//! Time as an input. Everything that stamps, waits for or schedules handoff work asks the
//! clock it was given, never the system directly, so tests and `baton simulate` can run a
//! business day on simulated time instead of sleeping through it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Where the desk and its background work read "now".
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now, as a UTC timestamp.
    fn now(&self) -> jiff::Timestamp;

    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }
}

/// A shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// The system's wall clock: what a serving host uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// A clock that moves only when told: tests and simulations set and advance it.
#[derive(Debug)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: jiff::Timestamp) -> Arc<Self> {
        Arc::new(ManualClock {
            ms: AtomicI64::new(start.as_millisecond()),
        })
    }

    /// Move the clock forward by `ms` milliseconds (a negative step is ignored: time
    /// never runs backwards).
    pub fn advance_ms(&self, ms: i64) {
        self.ms.fetch_add(ms.max(0), Ordering::SeqCst);
    }

    /// Set the clock to `ms` since the epoch, if that is not earlier than now.
    pub fn set_ms(&self, ms: i64) {
        self.ms.fetch_max(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        // In range by construction: it starts from a Timestamp and only moves by whole
        // milliseconds a caller asked for; clamp rather than panic if one overshot.
        let ms = self.ms.load(Ordering::SeqCst);
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward() {
        let start = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let c = ManualClock::new(start);
        assert_eq!(c.now_ms(), start.as_millisecond());
        c.advance_ms(1_500);
        assert_eq!(c.now_ms(), start.as_millisecond() + 1_500);
        c.advance_ms(-10_000);
        c.set_ms(start.as_millisecond());
        assert_eq!(c.now_ms(), start.as_millisecond() + 1_500);
        c.set_ms(start.as_millisecond() + 60_000);
        assert_eq!(c.now_ms(), start.as_millisecond() + 60_000);
    }
}
