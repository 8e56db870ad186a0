//! What the load generator sends: conversations between a customer and a bot, a few of which
//! end with a request a person must take.
//!
//! Each connection owns its conversations and walks each one in order (a channel posts a
//! conversation's messages one after another), interleaving several at once. Most scripts
//! stay with the bot (questions about hours, prices, bookings, with confident bot answers);
//! a share of the conversations (`escalate_share`) are the escalating ones: an explicit
//! request for a person or an emergency. Conversations are spread over the channel keys
//! round-robin, so with one key per tenant they are spread over the tenants.

use serde_json::json;

/// One turn of a script: `(role, text, intent, confidence)`; bots carry intent and confidence.
type Turn = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<f32>,
);

const fn customer(text: &'static str) -> Turn {
    ("customer", text, None, None)
}

const fn bot(text: &'static str, intent: &'static str, confidence: f32) -> Turn {
    ("bot", text, Some(intent), Some(confidence))
}

/// Conversations that stay with the bot.
const CALM: &[&[Turn]] = &[
    &[
        customer("hi, what are your hours on saturday?"),
        bot(
            "We're open 8 to 2 on Saturdays. Anything else I can help with?",
            "hours",
            0.97,
        ),
        customer("do you charge extra for weekend visits?"),
        bot(
            "No weekend surcharge for scheduled visits.",
            "pricing_weekend",
            0.93,
        ),
        customer("great, thanks"),
        bot("You're welcome! Have a good day.", "closing", 0.96),
    ],
    &[
        customer("my kitchen sink drains slowly, anything I can try first?"),
        bot(
            "Try hot water and a plunger; avoid chemical cleaners. Did that help?",
            "troubleshoot_drain",
            0.88,
        ),
        customer("I'll try that tonight"),
        bot(
            "Sounds good. If it's still slow, I can book a visit.",
            "offer_booking",
            0.9,
        ),
    ],
    &[
        customer("can I book a water heater checkup next week?"),
        bot("Sure. Tuesday 9-11 or Thursday 1-3?", "booking_offer", 0.95),
        customer("thursday afternoon works"),
        bot(
            "Booked for Thursday between 1 and 3. You'll get a text the day before.",
            "booking_confirm",
            0.97,
        ),
        customer("perfect"),
        bot("See you Thursday!", "closing", 0.96),
        customer("oh and is parking on the street ok?"),
        bot("Yes, our vans park on the street.", "faq_parking", 0.91),
    ],
    &[
        customer("how much is a drain cleaning?"),
        bot(
            "A standard drain cleaning is $149, including the first 30 minutes.",
            "pricing",
            0.94,
        ),
        customer("ok and do you take credit cards"),
        bot("Yes, all major cards.", "faq_payment", 0.96),
    ],
    &[
        customer("what time is my appointment tomorrow?"),
        bot(
            "Your visit is tomorrow between 10 and 12.",
            "appointment_status",
            0.97,
        ),
        customer("can the tech call when they're on the way?"),
        bot(
            "I've added a note to call 20 minutes ahead.",
            "add_appointment_note",
            0.93,
        ),
        customer("thank you!"),
        bot("Happy to help.", "closing", 0.97),
    ],
    &[
        customer("do you service the north side of town?"),
        bot("Yes, we cover the whole metro area.", "service_area", 0.95),
        customer("cool, my furnace filter needs replacing, what size do I need?"),
        bot(
            "Most filters are 16x25x1; the size is printed on the old filter's edge.",
            "faq_filter",
            0.86,
        ),
        customer("found it, thanks"),
        bot("Great!", "closing", 0.95),
    ],
];

/// Conversations that end with something a person must take, with the index of the turn that
/// escalates.
const ESCALATING: &[(&[Turn], usize)] = &[
    (
        &[
            customer("hi, my kitchen sink is draining slowly"),
            bot(
                "Sorry to hear that! Is the water backing up into the other sink too?",
                "troubleshoot_drain",
                0.82,
            ),
            customer("can I just talk to a real person please"),
            bot("Of course, let me get someone.", "handoff", 0.95),
            customer("thanks"),
        ],
        2,
    ),
    (
        &[
            customer("I smell gas near the water heater, it's really strong"),
            bot(
                "Please leave the house now and call us from outside.",
                "emergency_gas",
                0.97,
            ),
            customer("ok we are outside"),
        ],
        0,
    ),
];

/// Names the customers go by (the first event carries the profile).
const NAMES: &[&str] = &[
    "Dana Ruiz",
    "Benjamin Ross",
    "Eleanor Whitman",
    "Priya Nair",
    "Tom Becker",
    "Ana Lopes",
];

/// A conversation in progress on one connection.
#[derive(Debug, Clone)]
struct Live {
    id: String,
    key: usize,
    script: &'static [Turn],
    escalates_at: Option<usize>,
    next: usize,
}

/// One event to post.
#[derive(Debug, Clone)]
pub struct Event {
    /// Which channel key (index into the key list) posts it.
    pub key: usize,
    /// The conversation id.
    pub conversation: String,
    /// The request body (JSON).
    pub body: String,
    /// The message text, for checking the store afterwards.
    pub text: &'static str,
    /// Whether the script expects this event to escalate the conversation.
    pub escalates: bool,
}

/// The shape of the generated traffic.
#[derive(Debug, Clone)]
pub struct Mix {
    /// How many channel keys (tenants) to spread conversations over.
    pub keys: usize,
    /// Share of conversations that escalate, 0.0 to 1.0.
    pub escalate_share: f64,
    /// Conversations each connection interleaves.
    pub interleave: usize,
    /// Prefix of every conversation id of this run (unique per run).
    pub run_id: String,
}

/// The conversations of one connection.
#[derive(Debug)]
pub struct Conversations {
    mix: Mix,
    connection: usize,
    started: u64,
    live: Vec<Live>,
    turn: usize,
}

/// A small deterministic mixer (splitmix64), so a run's traffic is repeatable.
fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Conversations {
    /// The conversations of connection `connection` (of `connections`).
    pub fn new(mix: Mix, connection: usize) -> Self {
        Conversations {
            mix,
            connection,
            started: 0,
            live: Vec::new(),
            turn: 0,
        }
    }

    fn start(&mut self) -> Live {
        let n = self.started;
        self.started += 1;
        let h = mix64(((self.connection as u64) << 40) ^ n);
        // Whether this conversation escalates: `escalate_share` of them, spread evenly.
        let escalates = ((h >> 11) as f64 / (1u64 << 53) as f64) < self.mix.escalate_share;
        let (script, escalates_at) = if escalates {
            let (s, at) = ESCALATING[(h % ESCALATING.len() as u64) as usize];
            (s, Some(at))
        } else {
            (CALM[(h % CALM.len() as u64) as usize], None)
        };
        Live {
            id: format!("{}-{}-{}", self.mix.run_id, self.connection, n),
            key: (mix64(h) % self.mix.keys.max(1) as u64) as usize,
            script,
            escalates_at,
            next: 0,
        }
    }

    /// The next event of this connection.
    pub fn next_event(&mut self) -> Event {
        let interleave = self.mix.interleave.max(1);
        while self.live.len() < interleave {
            let c = self.start();
            self.live.push(c);
        }
        self.turn = (self.turn + 1) % interleave;
        let slot = self.turn;
        if self.live[slot].next >= self.live[slot].script.len() {
            self.live[slot] = self.start();
        }
        let c = &mut self.live[slot];
        let (role, text, intent, confidence) = c.script[c.next];
        let first = c.next == 0;
        c.next += 1;
        let mut body = json!({"role": role, "text": text});
        if let (Some(i), Some(conf)) = (intent, confidence) {
            body["intent"] = json!(i);
            body["confidence"] = json!(conf);
        }
        if first {
            let h = mix64(c.id.len() as u64 ^ self.started);
            let name = NAMES[(h % NAMES.len() as u64) as usize];
            body["customer"] = json!({
                "name": name,
                "phone": format!("+1555{:07}", h % 10_000_000),
            });
            body["channel"] = json!(if h.is_multiple_of(3) {
                "sms"
            } else {
                "web_chat"
            });
        }
        Event {
            key: c.key,
            conversation: c.id.clone(),
            body: body.to_string(),
            text,
            escalates: c.escalates_at == Some(c.next - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(share: f64) -> Mix {
        Mix {
            keys: 3,
            escalate_share: share,
            interleave: 4,
            run_id: "t".into(),
        }
    }

    #[test]
    fn conversations_walk_their_scripts_in_order_and_spread_over_keys() {
        let mut c = Conversations::new(mix(0.0), 0);
        let mut seen: std::collections::HashMap<String, Vec<&str>> = Default::default();
        let mut keys = std::collections::HashSet::new();
        for _ in 0..400 {
            let e = c.next_event();
            assert!(!e.escalates);
            keys.insert(e.key);
            seen.entry(e.conversation).or_default().push(e.text);
        }
        assert_eq!(keys.len(), 3);
        for texts in seen.values() {
            let script = CALM
                .iter()
                .find(|s| s[0].1 == texts[0])
                .expect("a calm script");
            for (t, turn) in texts.iter().zip(script.iter()) {
                assert_eq!(*t, turn.1);
            }
        }
    }

    #[test]
    fn the_escalating_share_is_about_what_was_asked() {
        let mut c = Conversations::new(mix(0.1), 1);
        let escalations = (0..20_000).filter(|_| c.next_event().escalates).count();
        // ~20,000 / ~5.5 events per conversation * 0.1.
        assert!((200..=600).contains(&escalations), "{escalations}");
        let mut none = Conversations::new(mix(0.0), 1);
        assert!((0..2_000).all(|_| !none.next_event().escalates));
    }
}
