//! `frustration`: anger or giving up aimed at the business. Strong words count alone
//! unless aimed at a pest, the weather or a thing ("estoy harta de estas cucarachas"),
//! reported, past, or joked about; weaker signs (sarcasm, "again", "still", shouting)
//! count when several come together without thanks or calm.

use super::Ctx;
use crate::lexicon::class;
use crate::text::Msg;
use baton_plugin_sdk::Reason;

/// Weak signs needed without a strong one.
const WEAK_NEEDED: usize = 3;

/// Whether the customer's message opens by echoing the bot's words back
/// (`"soon". wow.`, `the cancellation list. awesome.`).
fn echoes_bot(ctx: &Ctx, m: &Msg) -> bool {
    let Some(bot) = ctx.conv.messages[..m.index]
        .iter()
        .rev()
        .find(|x| x.is_bot())
    else {
        return false;
    };
    let first_clause: Vec<&str> = (0..m.len())
        .take_while(|&i| m.spans()[i].clause == 0)
        .map(|i| m.word(i))
        .collect();
    if first_clause.is_empty() || first_clause.len() > 4 || m.len() == first_clause.len() {
        return false;
    }
    let second: Vec<&str> = (first_clause.len()..m.len())
        .take_while(|&i| m.spans()[i].clause == 1)
        .map(|i| m.word(i))
        .collect();
    let sarcastic = !second.is_empty()
        && second.len() <= 3
        && second.iter().any(|w| {
            matches!(
                *w,
                "wow"
                    | "awesome"
                    | "great"
                    | "perfect"
                    | "super"
                    | "amazing"
                    | "fantastic"
                    | "lovely"
                    | "nice"
                    | "cool"
                    | "brilliant"
            )
        });
    let bot = bot.text.to_lowercase();
    let echo = first_clause.join(" ");
    sarcastic && echo.len() >= 4 && bot.contains(&echo)
}

/// Detect frustration in the latest turn.
pub fn detect(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::Frustration) {
        return Some(why);
    }
    for (k, m) in ctx.current().iter().enumerate() {
        // A pest, the weather or a thing named in this message or the customer's previous
        // one is what the feeling is about, unless the clause aims it at the business.
        let before = ctx.turn_start + k;
        let target_near = m.has(class::TARGET)
            || before
                .checked_sub(1)
                .and_then(|i| ctx.msgs.get(i))
                .is_some_and(|p| p.has(class::TARGET));
        let strong = m.of(class::FRUSTRATION).find(|h| {
            m.live(h)
                && !m.before_in_clause(class::REPORTED, h.clause, h.start)
                && !m.in_clause(class::TARGET, h.clause)
                && !m.in_clause(class::JOKING, h.clause)
                && (!target_near || m.has(class::BUSINESS))
        });
        if let Some(h) = strong {
            return Some(format!("the customer is upset: `{}`", m.phrase(h)));
        }
        if m.live_any(class::POSITIVE)
            || m.live_any(class::CALM)
            || m.has(class::JOKING)
            || (target_near && !m.has(class::BUSINESS))
        {
            continue;
        }
        let mut weak = m.count_live(class::ANNOYANCE) + usize::from(m.insistent);
        if m.caps > 0.7 && m.len() >= 3 {
            weak += 1;
        }
        if echoes_bot(ctx, m) {
            weak += 2;
        }
        if weak >= WEAK_NEEDED {
            return Some(
                "several signs of annoyance in one message (sarcasm, shouting, `again`)".into(),
            );
        }
    }
    None
}
