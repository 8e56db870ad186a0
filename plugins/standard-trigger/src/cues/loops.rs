//! `repetition` (the customer has to repeat themselves, or the bot asks the same thing
//! again) and `low_confidence` (the bot's confidence stays low over several turns).

use super::{jaccard, Ctx};
use crate::fold;
use crate::lexicon::class;
use baton_plugin_sdk::Message;

/// Intents that are allowed to repeat (a handoff, triage or confirmation loop is not the
/// bot failing to understand).
fn may_repeat(intent: &str) -> bool {
    [
        "handoff",
        "emergency",
        "confirm",
        "closing",
        "greeting",
        "feedback",
    ]
    .iter()
    .any(|p| intent.starts_with(p))
}

/// Hashes of the stemmed words (length ≥ 3) of a bot message, sorted and deduplicated.
fn bot_words(text: &str, buf: &mut String, spans: &mut Vec<fold::Span>) -> Vec<u64> {
    fold::tokenize(text, buf, spans);
    let mut v: Vec<u64> = spans
        .iter()
        .map(|s| &buf[s.start as usize..s.end as usize])
        .filter(|w| w.len() >= 3)
        .map(|w| fold::fnv1a(&[fold::stem(w)]))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether the bot's latest question repeats an earlier one (same intent, near-same words).
fn bot_loops(ctx: &Ctx) -> bool {
    let needed = ctx.settings.config.repetition_turns;
    let bots: Vec<&Message> = ctx.bots().collect();
    let Some((last, before)) = bots.split_last() else {
        return false;
    };
    let Some(intent) = last.intent.as_deref() else {
        return false;
    };
    if may_repeat(intent) || !last.text.contains('?') {
        return false;
    }
    let (mut buf, mut spans) = (String::new(), Vec::new());
    let words = bot_words(&last.text, &mut buf, &mut spans);
    let min = if intent.starts_with("collect") {
        0.25
    } else {
        0.5
    };
    let same = before
        .iter()
        .filter(|b| b.intent.as_deref() == Some(intent))
        .filter(|b| {
            let other = bot_words(&b.text, &mut buf, &mut spans);
            jaccard(&words, &other) >= min
        })
        .count();
    same + 1 >= needed
}

/// Detect repetition in the latest turn.
pub fn repetition(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&baton_plugin_sdk::Reason::Repetition) {
        return Some(why);
    }
    // Nothing can be repeated before the bot has said anything.
    let bot_spoke = ctx
        .current()
        .first()
        .is_some_and(|m| ctx.conv.messages[..m.index].iter().any(|x| x.is_bot()));
    if !bot_spoke {
        return None;
    }
    for m in ctx.current() {
        if let Some(h) = m
            .of(class::REPEAT)
            .find(|h| !m.quoted(h) && !m.negated_at(h.clause, h.start))
        {
            let thanks_only = m.live_any(class::POSITIVE) && m.len() <= 6;
            if !thanks_only {
                return Some(format!(
                    "the customer repeats themselves (`{}`)",
                    m.phrase(h)
                ));
            }
        }
        let content = m.content();
        let earlier_overlap = ctx
            .earlier()
            .iter()
            .map(|e| jaccard(&content, &e.content()))
            .fold(0.0f32, f32::max);
        if m.has(class::CORRECTION) && earlier_overlap > 0.0 {
            return Some("the customer corrects the bot with what they said before".into());
        }
        // Rephrasing for an unsure bot is low confidence's business, not repetition.
        let bot_unsure = ctx.conv.messages[..m.index]
            .iter()
            .rev()
            .find(|x| x.is_bot())
            .and_then(|b| b.confidence)
            .is_some_and(|c| c < ctx.settings.config.low_confidence_threshold);
        if content.len() >= 3 && earlier_overlap >= 0.6 && !bot_unsure {
            return Some("the customer sends nearly the same message again".into());
        }
    }
    // The trend: the bot answered the last two turns with the same intent and the
    // customer restates an earlier message, with a sign of strain ("again", capitals).
    if let Some(m) = ctx.current().last() {
        let intents: Vec<&str> = ctx
            .bots()
            .rev()
            .take(2)
            .filter_map(|b| b.intent.as_deref())
            .collect();
        let same_intent = intents.len() == 2 && intents[0] == intents[1] && !may_repeat(intents[0]);
        let strain = m.shouted > 0
            || m.live_any(class::ANNOYANCE)
            || m.has(class::REPEAT)
            || m.has(class::CORRECTION);
        if same_intent && strain {
            let content = m.content();
            let restated = ctx
                .earlier()
                .iter()
                .any(|e| jaccard(&content, &e.content()) >= 0.2);
            if restated {
                return Some(
                    "the customer restates their need to a bot that answers the same way".into(),
                );
            }
        }
    }
    if bot_loops(ctx) {
        return Some("the bot asks the same question again".into());
    }
    None
}

/// Detect a bot that stays unsure.
pub fn low_confidence(ctx: &Ctx) -> Option<String> {
    let cfg = &ctx.settings.config;
    let recent: Vec<&Message> = ctx.bots().rev().take(cfg.low_confidence_turns).collect();
    if recent.len() < cfg.low_confidence_turns {
        return None;
    }
    let unsure = |b: &&Message| match b.confidence {
        Some(c) => c < cfg.low_confidence_threshold,
        None => b
            .intent
            .as_deref()
            .is_some_and(|i| i == "fallback" || i == "unknown"),
    };
    if recent.iter().all(unsure) {
        let worst = recent
            .iter()
            .filter_map(|b| b.confidence)
            .fold(1.0f32, f32::min);
        return Some(format!(
            "the bot's confidence stayed below {} for {} turns (lowest {worst:.2})",
            cfg.low_confidence_threshold, cfg.low_confidence_turns
        ));
    }
    None
}
