//! Conversation segments for the trigger policy: where each closed handoff of a conversation
//! ended, marked in the trigger input with the contract's `baton:segment` system message
//! (`plugin-sdk/wit/since_v0.1.0/policy.wit`, `baton_plugin_sdk::segment`), so the policy judges the
//! customer's later messages as a fresh episode.
//!
//! The markers are built when the policy is asked, from the stored messages and the
//! conversation's handoffs; they are never stored, so the transcript people read stays clean.
//! The live desk (`ingest.rs`) and `baton export` (whose fixtures `baton replay` reads) both
//! use [`marked`], so a replayed conversation carries the markers the live policy saw.

use crate::store::{HandoffRow, MessageRow};
use baton_plugin_sdk::{Message, SegmentMarker};

/// Where `h`'s segment ends, as a position in `messages` (sorted by seq): the first message
/// that came after it closed. `None` while it is open.
fn boundary(h: &HandoffRow, messages: &[MessageRow]) -> Option<usize> {
    if h.state.is_open() {
        return None;
    }
    let closed_ms = h.closed_ms?;
    let seq = match h.closed_seq {
        Some(seq) => seq,
        // Closed where the conversation's length was not at hand (or before hosts recorded
        // it): the first message after the trigger that was written after the close. Only
        // host-written messages (agents, notices) are dated by the host's clock; a channel's
        // own `at` a little behind it moves the boundary after that message, never before
        // an agent's.
        None => messages
            .iter()
            .find(|m| m.seq > h.trigger_seq && m.message.at_ms > closed_ms)
            .map_or(i64::MAX, |m| m.seq),
    };
    Some(messages.partition_point(|m| m.seq < seq))
}

/// The segment marker for closed handoff `h`.
fn marker(h: &HandoffRow) -> Message {
    SegmentMarker::new(h.id.as_str(), h.state.as_str()).message(h.closed_ms.unwrap_or(0))
}

/// The conversation as the trigger policy sees it: `messages` (oldest first) with a marker
/// where each closed handoff of `handoffs` ended, in the order the handoffs closed. Each
/// entry carries the stored message's seq (`None` for a marker).
pub fn marked(messages: &[MessageRow], handoffs: &[HandoffRow]) -> Vec<(Option<i64>, Message)> {
    let mut cuts: Vec<(usize, i64, &HandoffRow)> = handoffs
        .iter()
        .filter_map(|h| Some((boundary(h, messages)?, h.closed_ms.unwrap_or(0), h)))
        .collect();
    cuts.sort_by_key(|(at, closed_ms, _)| (*at, *closed_ms));
    let mut cuts = cuts.into_iter().peekable();
    let mut out = Vec::with_capacity(messages.len() + cuts.len());
    for (i, m) in messages.iter().enumerate() {
        while let Some((_, _, h)) = cuts.next_if(|(at, ..)| *at <= i) {
            out.push((None, marker(h)));
        }
        out.push((Some(m.seq), m.message.clone()));
    }
    out.extend(cuts.map(|(_, _, h)| (None, marker(h))));
    out
}

/// The `messages` of a trigger input, bounded: `stored` (the conversation's last stored
/// messages, oldest first) marked by `handoffs`, then `newest` (the message that prompted
/// the call), cut to the last `max_messages` entries and then, from the oldest, to at most
/// `max_bytes` of text; `newest` is always kept. When a segment marker falls before the
/// cut, the latest such marker leads the window, so the policy still knows that what it
/// sees came after a closed handoff (the stock trigger's `follow_up`).
pub fn window(
    stored: &[MessageRow],
    handoffs: &[HandoffRow],
    newest: Message,
    max_messages: usize,
    max_bytes: usize,
) -> Vec<Message> {
    let mut all = with_markers(stored, handoffs);
    all.push(newest);
    let mut start = all.len().saturating_sub(max_messages.max(1));
    let mut bytes: usize = all[start..].iter().map(|m| m.text.len()).sum();
    while start + 1 < all.len() && bytes > max_bytes {
        bytes -= all[start].text.len();
        start += 1;
    }
    let lead = all[..start]
        .iter()
        .rposition(|m| SegmentMarker::parse(m).is_some());
    let mut out = Vec::with_capacity(all.len() - start + 1);
    if let Some(i) = lead {
        out.push(all[i].clone());
    }
    out.extend(all.drain(start..));
    out
}

/// [`marked`] without the seqs: the `messages` of a trigger input.
pub fn with_markers(messages: &[MessageRow], handoffs: &[HandoffRow]) -> Vec<Message> {
    marked(messages, handoffs)
        .into_iter()
        .map(|(_, m)| m)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::HandoffState;
    use baton_plugin_sdk::{Priority, Role};

    fn row(seq: i64, role: Role, at_ms: i64) -> MessageRow {
        MessageRow {
            seq,
            message: Message {
                role,
                text: format!("m{seq}"),
                at_ms,
                intent: None,
                confidence: None,
            },
            agent_id: None,
        }
    }

    fn handoff(
        id: &str,
        trigger_seq: i64,
        state: HandoffState,
        closed: Option<(i64, Option<i64>)>,
    ) -> HandoffRow {
        HandoffRow {
            id: id.into(),
            conversation_id: "c".into(),
            state,
            reason: "explicit_request".into(),
            priority: Priority::High,
            tags: vec![],
            queue: "general".into(),
            route: vec![],
            declined_by: vec![],
            offered_to: None,
            offer_expires_ms: None,
            accepted_by: Some("sam".into()),
            opened_ms: 0,
            accepted_ms: None,
            closed_ms: closed.map(|c| c.0),
            closed_seq: closed.and_then(|c| c.1),
            outcome: None,
            csat: None,
            note: None,
            policy_version: "v".into(),
            trigger_seq,
            explanation: String::new(),
            after_hours: false,
            routing_note: String::new(),
        }
    }

    fn shape(list: &[(Option<i64>, Message)]) -> String {
        list.iter()
            .map(|(seq, m)| match seq {
                Some(s) => s.to_string(),
                None => format!("|{}", SegmentMarker::parse(m).unwrap().handoff_id),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn markers_sit_where_each_closed_handoff_ended() {
        // 0 customer, 1 notice, 2 agent, 3 hand-back notice | 4 customer, 5 agent | 6 customer
        let messages: Vec<MessageRow> = [
            (Role::Customer, 10),
            (Role::System, 11),
            (Role::Agent, 12),
            (Role::System, 13),
            (Role::Customer, 20),
            (Role::Agent, 21),
            (Role::Customer, 30),
        ]
        .iter()
        .enumerate()
        .map(|(i, (role, at))| row(i as i64, *role, *at))
        .collect();
        let first = handoff("a", 0, HandoffState::HandedBack, Some((13, Some(4))));
        let second = handoff("b", 4, HandoffState::Resolved, Some((22, Some(6))));
        assert_eq!(
            shape(&marked(&messages, &[first.clone(), second.clone()])),
            "0 1 2 3 |a 4 5 |b 6"
        );
        // An open handoff is no boundary.
        let open = handoff("o", 6, HandoffState::Accepted, None);
        assert_eq!(
            shape(&marked(&messages, &[first.clone(), open])),
            "0 1 2 3 |a 4 5 6"
        );
        // Without the recorded length, the close time places it (here: after seq 5, dated 21).
        let unrecorded = handoff("b", 4, HandoffState::Abandoned, Some((22, None)));
        assert_eq!(shape(&marked(&messages, &[unrecorded])), "0 1 2 3 4 5 |b 6");
        // Closed after everything stored: the marker comes last, before the next message.
        let last = handoff("z", 6, HandoffState::Resolved, Some((40, None)));
        assert_eq!(
            shape(&marked(&messages, &[first, second, last])),
            "0 1 2 3 |a 4 5 |b 6 |z"
        );
        let plain = with_markers(&messages, &[]);
        assert_eq!(plain.len(), messages.len());
        assert!(plain.iter().all(|m| !m.is_segment_marker()));
    }

    fn texts(list: &[Message]) -> String {
        list.iter()
            .map(|m| match SegmentMarker::parse(m) {
                Some(marker) => format!("|{}", marker.handoff_id),
                None => m.text.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_window_keeps_the_newest_messages_and_the_latest_cut_marker() {
        let messages: Vec<MessageRow> = (0..6).map(|i| row(i, Role::Customer, i * 10)).collect();
        let newest = || row(6, Role::Customer, 60).message;
        // No handoffs: the last three, the prompting message among them.
        assert_eq!(
            texts(&window(&messages, &[], newest(), 3, 1 << 20)),
            "m4 m5 m6"
        );
        // A handoff closed before the window: its marker leads what is left.
        let closed = handoff("a", 0, HandoffState::Resolved, Some((15, Some(2))));
        assert_eq!(
            texts(&window(
                &messages,
                std::slice::from_ref(&closed),
                newest(),
                3,
                1 << 20
            )),
            "|a m4 m5 m6"
        );
        // Inside the window, the marker stays where it is (and counts).
        assert_eq!(
            texts(&window(&messages, &[closed], newest(), 7, 1 << 20)),
            "m1 |a m2 m3 m4 m5 m6"
        );
        // The byte cap cuts from the oldest; the prompting message always stays.
        assert_eq!(texts(&window(&messages, &[], newest(), 50, 4)), "m5 m6");
        assert_eq!(texts(&window(&messages, &[], newest(), 50, 1)), "m6");
    }
}
