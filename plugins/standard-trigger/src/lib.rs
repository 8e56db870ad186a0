//! # Baton's stock trigger policy
//!
//! Decides, after every customer message, whether a home-service business's bot must
//! hand the conversation to a person, and why: the nine stock reasons of
//! `tests/fixtures/conversations/FORMAT.md`, reported in the order a receiver needs them
//! ([`Reason::STOCK`]: emergency, explicit request, billing dispute, frustration,
//! repetition, high value, complex inquiry, customization, low confidence).
//!
//! How it reads a conversation:
//! * every customer message is folded once (lowercase, accents and apostrophes dropped,
//!   emoji to marker words), cut into words and clauses ([`fold`]), and scanned once for
//!   the cue lexicon ([`lexicon`], generated from `lexicon/*.txt` at build time);
//! * each reason's detector ([`cues`]) combines cues of the latest customer turn with
//!   scope checks (negation, quotation, past, future, what-if, reported speech, incidental
//!   mentions, targets of anger) and conversation context (bill talk, lost heat, the bot's
//!   confidence and intents, earlier messages);
//! * a naive Bayes classifier compiled in from `training/*.txt` ([`classifier`]) confirms
//!   reasons that only have weak cues.
//!
//! Segments: once a handoff of the conversation has closed (handed back, resolved,
//! abandoned), the host marks the boundary ([`SegmentMarker`]) and this policy judges only
//! the current segment, as a fresh episode: a person who talked to the customer earlier does
//! not keep the bot from escalating again, and cues from the earlier episode (its anger, its
//! repeated questions, its bill talk) do not carry over. An escalation in a later segment is
//! tagged `follow_up`.
//!
//! The config is [`Config`]; its keys are documented there and in the README.

pub mod classifier;
pub mod config;
pub mod cues;
pub mod fold;
pub mod lexicon;
pub mod settings;
pub mod text;
mod weak;

use baton_plugin_sdk::prelude::*;
pub use config::Config;
use cues::Ctx;
use settings::Settings;
use text::Msg;

/// The stock trigger policy. Build with [`TriggerPolicy::new`], ask with
/// [`TriggerPolicy::evaluate`].
#[derive(Debug, Clone)]
pub struct StandardTrigger {
    settings: Settings,
}

/// Intents with which the bot itself announces a handoff.
fn bot_handed_off(intent: &str) -> bool {
    intent == "handoff"
        || intent.starts_with("escalat")
        || intent.starts_with("transfer")
        || intent.starts_with("emergency")
}

/// Priority of a reason.
pub fn priority_of(reason: &Reason) -> Priority {
    match reason {
        Reason::Emergency => Priority::Urgent,
        Reason::ExplicitRequest | Reason::BillingDispute | Reason::Frustration => Priority::High,
        _ => Priority::Normal,
    }
}

/// Whether a message reads as Spanish (enough Spanish function words).
fn is_spanish(m: &Msg) -> bool {
    let n = m
        .words()
        .filter(|w| {
            matches!(
                *w,
                "que"
                    | "el"
                    | "la"
                    | "los"
                    | "las"
                    | "de"
                    | "del"
                    | "en"
                    | "por"
                    | "para"
                    | "es"
                    | "esta"
                    | "mi"
                    | "con"
                    | "una"
                    | "un"
                    | "pero"
                    | "hola"
                    | "gracias"
                    | "ustedes"
                    | "tengo"
                    | "se"
                    | "muy"
                    | "quiero"
                    | "necesito"
                    | "ya"
                    | "su"
                    | "le"
                    | "me"
            )
        })
        .count();
    n >= 2 && n * 5 >= m.len()
}

impl StandardTrigger {
    /// Analyse the conversation: every customer message once.
    fn context<'a>(&'a self, conversation: &'a Conversation) -> Ctx<'a> {
        let cut = conversation
            .messages
            .iter()
            .rposition(|m| !m.is_customer())
            .map_or(0, |o| o + 1);
        let mut msgs = Vec::new();
        let mut turn_start = 0;
        for (i, m) in conversation.messages.iter().enumerate() {
            if m.is_customer() {
                if i < cut {
                    turn_start += 1;
                }
                let msg = Msg::new(i, &m.text);
                if !self.settings.config.spanish && is_spanish(&msg) {
                    msgs.push(Msg::new(i, ""));
                } else {
                    msgs.push(msg);
                }
            }
        }
        Ctx {
            conv: conversation,
            msgs,
            turn_start,
            settings: &self.settings,
        }
    }

    /// The first reason (in [`Reason::STOCK`] order) whose detector fires, with why.
    pub fn detect(&self, ctx: &Ctx) -> Option<(Reason, String)> {
        type Detector = fn(&Ctx) -> Option<String>;
        let detectors: [(Reason, Detector); 9] = [
            (Reason::Emergency, cues::emergency::detect),
            (Reason::ExplicitRequest, cues::request::detect),
            (Reason::BillingDispute, cues::money::detect),
            (Reason::Frustration, cues::mood::detect),
            (Reason::Repetition, cues::loops::repetition),
            (Reason::HighValue, cues::scope::high_value),
            (Reason::ComplexInquiry, cues::complex::detect),
            (Reason::Customization, cues::scope::customization),
            (Reason::LowConfidence, cues::loops::low_confidence),
        ];
        for (reason, detect) in detectors {
            if self.settings.enabled(&reason) {
                if let Some(why) = detect(ctx) {
                    return Some((reason, why));
                }
            }
        }
        if self.settings.config.classifier {
            if let Some((reason, why)) = weak::confirm(ctx) {
                if self.settings.enabled(&reason) {
                    return Some((reason, why));
                }
            }
        }
        None
    }

    /// The bot announced a handoff in its latest message and nothing else fired: follow it,
    /// naming the reason the classifier finds most likely over the customer's messages.
    fn follow_handoff(&self, ctx: &Ctx) -> Option<(Reason, String)> {
        let last_bot = ctx.conv.messages.iter().rev().find(|m| m.is_bot())?;
        let intent = last_bot.intent.as_deref()?;
        if !bot_handed_off(intent) {
            return None;
        }
        let reason = if intent.starts_with("emergency") {
            Reason::Emergency
        } else {
            weak::likely_reason(ctx)
        };
        self.settings
            .enabled(&reason)
            .then(|| (reason, format!("the bot announced a handoff (`{intent}`)")))
    }
}

impl TriggerPolicy for StandardTrigger {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        Ok(StandardTrigger {
            settings: Settings::new(config)?,
        })
    }

    fn evaluate(&self, conversation: &Conversation) -> Decision {
        // After a handoff closed, the customer's new messages are a fresh episode: judge the
        // current segment alone (an emergency in it escalates whatever happened before).
        let segment;
        let follow_up = conversation.has_earlier_segments();
        let conversation = if follow_up {
            segment = conversation.without_earlier_context();
            &segment
        } else {
            conversation
        };
        // A person is already on the conversation.
        if conversation.messages.iter().any(|m| m.role == Role::Agent) {
            return Decision::stay();
        }
        if !conversation
            .messages
            .last()
            .is_some_and(|m| m.is_customer())
        {
            return Decision::stay();
        }
        let ctx = self.context(conversation);
        let found = self.detect(&ctx).or_else(|| {
            if self.settings.config.follow_bot_handoff {
                self.follow_handoff(&ctx)
            } else {
                None
            }
        });
        let Some((reason, why)) = found else {
            return Decision::stay();
        };
        let priority = priority_of(&reason);
        let mut d = Decision::escalate(reason, priority)
            .because(truncate(why, Decision::MAX_EXPLANATION_LEN));
        if self.settings.config.spanish && ctx.msgs.iter().any(is_spanish) {
            d = d.tag("spanish");
        }
        if !conversation.clock.open {
            d = d.tag("after_hours");
        }
        if conversation.customer.repeat_customer {
            d = d.tag("repeat_customer");
        }
        if conversation.customer.tags.iter().any(|t| t == "vip") {
            d = d.tag("vip");
        }
        if follow_up {
            d = d.tag("follow_up");
        }
        d
    }
}

/// Cut `s` to at most `max` bytes on a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

baton_plugin_sdk::export_trigger!(StandardTrigger);
