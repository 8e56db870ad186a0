//! Conversation segments: a conversation can outlive its handoffs (an SMS conversation is the
//! customer's phone number, for good), so the host cuts it into *segments* for the trigger
//! policy. A segment ends where a handoff of the conversation closed (handed back, resolved,
//! abandoned); the customer's later messages start a fresh episode, to be judged on their own.
//!
//! The host marks each boundary in the trigger input with a `system` message whose text is
//! `baton:segment handoff=<id> state=<state>` and whose `at-ms` is when the handoff closed
//! (see `wit/since_v0.1.0/policy.wit`). The markers are built at evaluation time from the conversation's
//! closed handoffs; they are never stored, so the transcript people read stays clean, and
//! `baton export` writes them into the fixtures it exports so a replay sees what the live
//! policy saw.
//!
//! ```
//! use baton_plugin_sdk::{Conversation, Message, Role, SegmentMarker};
//! # let msg = |role, text: &str| Message { role, text: text.into(), at_ms: 0, intent: None, confidence: None };
//! let mut c = Conversation { id: "c".into(), channel: "sms".into(), customer: Default::default(),
//!     messages: vec![msg(Role::Customer, "a person please"), msg(Role::Agent, "Sam here")],
//!     clock: Default::default() };
//! c.messages.push(SegmentMarker::new("h-1", "handed_back").message(0));
//! c.messages.push(msg(Role::Customer, "now I smell gas"));
//! assert_eq!(c.current_segment().len(), 1);
//! assert_eq!(c.earlier_context().len(), 3);
//! assert!(c.without_earlier_context().messages.iter().all(|m| m.role != Role::Agent));
//! ```

use crate::types::{Conversation, Message, Role};

/// The first word of a segment marker's text. The host refuses `system` messages from
/// channels that begin with it, so a marker always comes from the host.
pub const SEGMENT_MARKER: &str = "baton:segment";

/// A boundary between two segments: the handoff that closed there, and how it closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMarker {
    /// The id of the handoff that ended the earlier segment.
    pub handoff_id: String,
    /// Its final state: `handed_back`, `resolved` or `abandoned`.
    pub state: String,
}

impl SegmentMarker {
    /// A marker for handoff `handoff_id`, closed in `state`.
    pub fn new(handoff_id: impl Into<String>, state: impl Into<String>) -> Self {
        SegmentMarker {
            handoff_id: handoff_id.into(),
            state: state.into(),
        }
    }

    /// The marker's text: `baton:segment handoff=<id> state=<state>`.
    pub fn text(&self) -> String {
        format!(
            "{SEGMENT_MARKER} handoff={} state={}",
            self.handoff_id, self.state
        )
    }

    /// The `system` message that carries the marker, dated when the handoff closed.
    pub fn message(&self, closed_ms: i64) -> Message {
        Message {
            role: Role::System,
            text: self.text(),
            at_ms: closed_ms,
            intent: None,
            confidence: None,
        }
    }

    /// Read a marker from a message: `None` unless it is a `system` message whose text is
    /// `baton:segment` followed by nothing or by space-separated `key=value` fields (unknown
    /// keys are ignored, missing ones are empty, so later hosts may add fields).
    pub fn parse(m: &Message) -> Option<Self> {
        if m.role != Role::System {
            return None;
        }
        let rest = m.text.strip_prefix(SEGMENT_MARKER)?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        let mut marker = SegmentMarker::new("", "");
        for (key, value) in rest.split_whitespace().filter_map(|f| f.split_once('=')) {
            match key {
                "handoff" => marker.handoff_id = value.to_string(),
                "state" => marker.state = value.to_string(),
                _ => {}
            }
        }
        Some(marker)
    }
}

impl Message {
    /// Whether this message is a segment marker the host inserted (see [`SegmentMarker`]).
    pub fn is_segment_marker(&self) -> bool {
        SegmentMarker::parse(self).is_some()
    }
}

impl Conversation {
    /// The index of the first message of the current segment: just after the last segment
    /// marker, or 0 when no handoff of this conversation has closed.
    pub fn current_segment_start(&self) -> usize {
        self.messages
            .iter()
            .rposition(Message::is_segment_marker)
            .map_or(0, |i| i + 1)
    }

    /// The messages of the current segment: what the customer said (and was told) since the
    /// last handoff closed. The whole conversation when none has.
    pub fn current_segment(&self) -> &[Message] {
        &self.messages[self.current_segment_start()..]
    }

    /// Everything before the current segment, its markers included (the last message is the
    /// marker that opened the current segment): earlier episodes, already handled by a
    /// person. Empty when no handoff of this conversation has closed.
    pub fn earlier_context(&self) -> &[Message] {
        &self.messages[..self.current_segment_start()]
    }

    /// The segment markers, oldest first: one per closed handoff.
    pub fn segment_markers(&self) -> impl Iterator<Item = SegmentMarker> + '_ {
        self.messages.iter().filter_map(SegmentMarker::parse)
    }

    /// Whether an earlier segment exists: a handoff of this conversation has closed.
    pub fn has_earlier_segments(&self) -> bool {
        self.messages.iter().any(Message::is_segment_marker)
    }

    /// This conversation with only its current segment's messages: what a policy that judges
    /// each episode on its own evaluates (the stock trigger does).
    pub fn without_earlier_context(&self) -> Conversation {
        Conversation {
            messages: self.current_segment().to_vec(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, text: &str) -> Message {
        Message {
            role,
            text: text.into(),
            at_ms: 0,
            intent: None,
            confidence: None,
        }
    }

    fn conversation(messages: Vec<Message>) -> Conversation {
        Conversation {
            id: "c".into(),
            channel: "sms".into(),
            customer: Default::default(),
            messages,
            clock: Default::default(),
        }
    }

    #[test]
    fn a_marker_round_trips_and_only_the_host_form_counts() {
        let m = SegmentMarker::new("0190-abc", "resolved");
        assert_eq!(m.text(), "baton:segment handoff=0190-abc state=resolved");
        assert_eq!(SegmentMarker::parse(&m.message(5)), Some(m.clone()));
        assert_eq!(
            SegmentMarker::parse(&msg(Role::System, "baton:segment")),
            Some(SegmentMarker::new("", ""))
        );
        let later = msg(Role::System, "baton:segment state=handed_back reopened=1");
        assert_eq!(SegmentMarker::parse(&later).unwrap().state, "handed_back");
        for not_a_marker in [
            msg(Role::Customer, &m.text()),
            msg(Role::Bot, &m.text()),
            msg(Role::System, "baton:segments are fun"),
            msg(Role::System, "An agent has joined"),
        ] {
            assert!(!not_a_marker.is_segment_marker(), "{not_a_marker:?}");
        }
    }

    #[test]
    fn segments_split_at_the_last_marker() {
        let plain = conversation(vec![msg(Role::Customer, "hi"), msg(Role::Bot, "hello")]);
        assert_eq!(plain.current_segment_start(), 0);
        assert_eq!(plain.current_segment().len(), 2);
        assert!(plain.earlier_context().is_empty());
        assert!(!plain.has_earlier_segments());

        let c = conversation(vec![
            msg(Role::Customer, "a person please"),
            msg(Role::Agent, "Sam here"),
            SegmentMarker::new("h1", "handed_back").message(1),
            msg(Role::Customer, "thanks"),
            SegmentMarker::new("h2", "resolved").message(2),
            msg(Role::Customer, "now I smell gas"),
        ]);
        assert_eq!(c.current_segment_start(), 5);
        assert_eq!(c.current_segment()[0].text, "now I smell gas");
        assert_eq!(c.earlier_context().len(), 5);
        assert!(c.earlier_context()[4].is_segment_marker());
        let ids: Vec<String> = c.segment_markers().map(|m| m.handoff_id).collect();
        assert_eq!(ids, ["h1", "h2"]);
        let fresh = c.without_earlier_context();
        assert_eq!(fresh.messages.len(), 1);
        assert_eq!(fresh.id, "c");
    }
}
