//! Which conversations a commit touched, told to whoever watches them on this host: a live
//! widget stream waits for *its* conversation instead of waking (and re-reading) on every
//! commit anywhere. Each backend tells its feed after a write set is durable, so every write
//! path is seen, whichever module made it. Other hosts' commits on a shared store are not
//! seen here; their watchers also poll (see `api/widget.rs`).
//!
//! A watch is a `tokio::sync::watch` counter per `(tenant, conversation)`: marking it seen
//! before reading the store and waiting for a change after means a commit between the read
//! and the wait is never missed (the wait returns at once). Entries live only while
//! someone watches: the last watch to go removes its entry.

use super::WriteSet;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

type Key = (String, String);
type Watched = Arc<Mutex<HashMap<Key, watch::Sender<u64>>>>;

/// The conversations being watched on this host, and their commit counters.
#[derive(Debug, Default)]
pub struct CommitFeed {
    watched: Watched,
}

/// The conversations a write set writes to (its header, its messages and handoffs, its
/// events).
pub fn touched(w: &WriteSet) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    ids.extend(w.conversation.iter().map(|c| c.id.clone()));
    ids.extend(w.new_handoffs.iter().map(|h| h.conversation_id.clone()));
    ids.extend(
        w.handoff_updates
            .iter()
            .map(|u| u.row.conversation_id.clone()),
    );
    ids.extend(w.events.iter().filter_map(|e| e.conversation_id.clone()));
    ids
}

impl CommitFeed {
    /// Watch `(tenant, conversation)`: the watch changes after every commit that touches it.
    pub fn watch(&self, tenant: &str, conversation: &str) -> ConversationWatch {
        let key = (tenant.to_string(), conversation.to_string());
        let mut map = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        let rx = map
            .entry(key.clone())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        ConversationWatch {
            rx,
            key,
            watched: self.watched.clone(),
        }
    }

    /// Tell the watchers of `conversations` (of `tenant`) that a commit touched them; call
    /// after the commit is durable.
    pub fn committed(&self, tenant: &str, conversations: &BTreeSet<String>) {
        let map = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        if map.is_empty() {
            return;
        }
        for id in conversations {
            if let Some(tx) = map.get(&(tenant.to_string(), id.clone())) {
                tx.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// How many conversations are watched now.
    pub fn watched(&self) -> usize {
        self.watched.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// One watcher of one conversation.
#[derive(Debug)]
pub struct ConversationWatch {
    rx: watch::Receiver<u64>,
    key: Key,
    watched: Watched,
}

impl ConversationWatch {
    /// Take everything committed so far as seen: call *before* reading the store.
    pub fn mark_seen(&mut self) {
        self.rx.borrow_and_update();
    }

    /// Wait for a commit to the conversation since the last [`Self::mark_seen`] (at once if
    /// one already happened).
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            // The sender is never dropped while a watch holds its entry; wait forever
            // rather than spin if it were.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for ConversationWatch {
    fn drop(&mut self) {
        let mut map = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        // This watch's receiver still counts: the entry goes with the last one.
        if map
            .get(&self.key)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ids(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn a_watch_wakes_only_for_its_conversation_and_misses_nothing() {
        let feed = CommitFeed::default();
        let mut a = feed.watch("t", "a");
        a.mark_seen();
        feed.committed("t", &ids(&["b"]));
        feed.committed("u", &ids(&["a"]));
        let waited = tokio::time::timeout(Duration::from_millis(50), a.changed()).await;
        assert!(waited.is_err(), "another conversation's commit woke it");
        // A commit after marking seen and before waiting: the wait returns at once.
        a.mark_seen();
        feed.committed("t", &ids(&["a", "b"]));
        tokio::time::timeout(Duration::from_millis(50), a.changed())
            .await
            .expect("the commit between the read and the wait was missed");
    }

    #[test]
    fn entries_go_with_their_last_watch() {
        let feed = CommitFeed::default();
        let one = feed.watch("t", "a");
        let two = feed.watch("t", "a");
        let other = feed.watch("t", "b");
        assert_eq!(feed.watched(), 2);
        drop(one);
        assert_eq!(feed.watched(), 2);
        drop(two);
        assert_eq!(feed.watched(), 1);
        drop(other);
        assert_eq!(feed.watched(), 0);
    }
}
