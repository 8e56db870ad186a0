//! Figures over time, per policy version, for the HTML page.

use super::figures::{Acc, Figures};
use super::{accumulate, all_conversations, contacts, version_of, Window};
use crate::store::RecordedWindow;
use serde::Serialize;
use std::collections::BTreeMap;

/// One time bucket of one version.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Bucket start, ms since the epoch.
    pub at_ms: i64,
    /// The figures of the conversations that started in the bucket and of the handoffs that
    /// opened in it.
    pub figures: Figures,
}

/// The figures of each version over time.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Bucket width, ms (an hour for windows up to three days, else a day).
    pub bucket_ms: i64,
    /// Version → its points, oldest first (only buckets where it had conversations).
    pub versions: BTreeMap<String, Vec<Point>>,
    /// Version → its figures over the whole window.
    pub totals: BTreeMap<String, Figures>,
}

/// The bucket width for a window.
pub fn bucket_for(from_ms: i64, to_ms: i64) -> i64 {
    if to_ms.saturating_sub(from_ms) <= 3 * 86_400_000 {
        3_600_000
    } else {
        86_400_000
    }
}

/// Bucket the window's conversations by start time and its handoffs by opening time, each
/// under the conversation's version.
pub fn build(window: &RecordedWindow, from_ms: i64, to_ms: i64) -> Series {
    let bucket_ms = bucket_for(from_ms, to_ms);
    let contacts = contacts(window);
    let span = Window { from_ms, to_ms };
    let mut cells: BTreeMap<(String, i64), Acc> = BTreeMap::new();
    let mut totals: BTreeMap<String, Acc> = BTreeMap::new();
    let bucket = |ms: i64| ms.div_euclid(bucket_ms) * bucket_ms;
    for c in all_conversations(window) {
        let version = version_of(c);
        if span.counts_conversation(c) {
            let at = bucket(c.conversation.created_ms);
            cells
                .entry((version.clone(), at))
                .or_default()
                .conversation(c);
        }
        for h in span.handoffs(c) {
            let lost = !super::context_loss::detect(h, &c.conversation, &c.messages).is_empty();
            cells
                .entry((version.clone(), bucket(h.opened_ms)))
                .or_default()
                .handoff(h, c, &contacts, lost);
        }
        accumulate(totals.entry(version).or_default(), c, &contacts, span);
    }
    let mut versions: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for ((version, at_ms), acc) in cells {
        versions.entry(version).or_default().push(Point {
            at_ms,
            figures: acc.finish(),
        });
    }
    Series {
        bucket_ms,
        versions,
        totals: totals.into_iter().map(|(k, a)| (k, a.finish())).collect(),
    }
}
