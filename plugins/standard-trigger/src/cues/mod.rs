//! The cues of each reason. Every detector looks at the latest customer turn (the
//! customer messages since the bot or an agent last wrote), with the earlier messages as
//! context, and returns an explanation when its reason applies.

pub mod complex;
pub mod emergency;
pub mod loops;
pub mod money;
pub mod mood;
pub mod request;
pub mod scope;

use crate::settings::Settings;
use crate::text::Msg;
use baton_plugin_sdk::{Conversation, Message, Reason};

/// The analysed conversation a detector reads.
pub struct Ctx<'a> {
    /// The conversation as the host gave it.
    pub conv: &'a Conversation,
    /// Every customer message so far, analysed.
    pub msgs: Vec<Msg>,
    /// Where the latest customer turn starts in `msgs`.
    pub turn_start: usize,
    /// The tenant's settings.
    pub settings: &'a Settings,
}

impl<'a> Ctx<'a> {
    /// The latest customer turn.
    pub fn current(&self) -> &[Msg] {
        &self.msgs[self.turn_start..]
    }

    /// Customer messages before the latest turn.
    pub fn earlier(&self) -> &[Msg] {
        &self.msgs[..self.turn_start]
    }

    /// Bot messages so far, oldest first.
    pub fn bots(&self) -> impl DoubleEndedIterator<Item = &'a Message> + 'a {
        self.conv.messages.iter().filter(|m| m.is_bot())
    }

    /// Whether any customer message so far has a live cue of class `c`.
    pub fn any_live(&self, c: u8) -> bool {
        self.msgs.iter().any(|m| m.live_any(c))
    }

    /// Tenant phrases for `reason` found live in the current turn.
    pub fn tenant_phrase(&self, reason: &Reason) -> Option<String> {
        let phrases = self.settings.extra_for(reason);
        if phrases.is_empty() {
            return None;
        }
        for m in self.current() {
            let words: Vec<&str> = m.words().collect();
            for p in phrases {
                if let Some((s, _)) = crate::lexicon::find_phrase(&words, m.spans(), p) {
                    let clause = m.spans()[s].clause;
                    if !m.negated_at(clause, s as u16) {
                        return Some(format!("the customer wrote `{}`", p.join(" ")));
                    }
                }
            }
        }
        None
    }
}

/// Jaccard overlap of two sorted, deduplicated word lists.
pub fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|w| b.binary_search(w).is_ok()).count();
    common as f32 / (a.len() + b.len() - common) as f32
}
