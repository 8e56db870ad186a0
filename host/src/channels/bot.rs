//! The bot hook of the web-chat widget. The bot itself is the integrator's: while the bot
//! has a widget conversation (no handoff open), Baton posts each customer message to the
//! tenant's `[widget] bot_url` and records the answer as the bot's turn, with its intent
//! and confidence, so the trigger policy sees them.
//!
//! The hook: `POST bot_url` with `{"tenant", "conversation_id", "text"}`; the bot answers
//! `200 {"text": "...", "intent": "booking", "confidence": 0.88}` (intent and confidence
//! optional) or `204` to stay silent. `demo_bot = true` uses [`demo_reply`] instead: a few
//! canned answers so `/demo` works with nothing else running.

use crate::config::WidgetConfig;
use serde::Deserialize;

/// The bot's answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotReply {
    /// What the bot says.
    pub text: String,
    /// Its intent label.
    #[serde(default)]
    pub intent: Option<String>,
    /// Its confidence, 0.0 to 1.0.
    #[serde(default)]
    pub confidence: Option<f32>,
}

/// Ask the tenant's bot for its answer to `text`; `Ok(None)` when there is no bot or it
/// stays silent.
pub async fn ask(
    client: &reqwest::Client,
    widget: &WidgetConfig,
    tenant: &str,
    business: &str,
    conversation_id: &str,
    text: &str,
) -> Result<Option<BotReply>, String> {
    if widget.demo_bot {
        return Ok(Some(demo_reply(text, business)));
    }
    let Some(url) = &widget.bot_url else {
        return Ok(None);
    };
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"tenant": tenant, "conversation_id": conversation_id, "text": text})
                .to_string(),
        )
        .send()
        .await
        .map_err(|e| format!("cannot reach the bot: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::NO_CONTENT {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(format!("the bot answered {status}"));
    }
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    let reply: BotReply = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the bot's answer is not `{{text, intent, confidence}}`: {e}"))?;
    if reply.text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(reply))
}

/// The scripted demo bot: a handful of canned answers with intents and confidences.
pub fn demo_reply(text: &str, business: &str) -> BotReply {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let (text, intent, confidence) = if has(&["hour", "open", "close"]) {
        (
            format!("{business} is open Monday to Friday 7am–7pm and Saturday 8am–2pm."),
            "hours",
            0.95,
        )
    } else if has(&["drain", "sink", "clog", "toilet"]) {
        (
            "Sorry to hear that! Is the water backing up into another sink or tub too?".into(),
            "troubleshoot_drain",
            0.82,
        )
    } else if has(&["book", "appointment", "schedule", "visit"]) {
        (
            "I can book a visit. Which day works best for you?".into(),
            "booking",
            0.88,
        )
    } else if has(&["price", "cost", "quote", "how much"]) {
        (
            "A standard service call is $89; the technician quotes the job before starting.".into(),
            "pricing",
            0.74,
        )
    } else if has(&["hi", "hello", "hey"]) && t.len() < 20 {
        (
            format!("Hi! I'm {business}'s virtual assistant. I can help with hours, booking and common plumbing questions."),
            "greeting",
            0.93,
        )
    } else {
        (
            "Sorry, I didn't quite get that. Could you say it another way?".into(),
            "fallback",
            0.31,
        )
    };
    BotReply {
        text,
        intent: Some(intent.into()),
        confidence: Some(confidence),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_bot_answers_with_intents_and_confidences() {
        let r = demo_reply("my kitchen sink drains slowly", "Acme");
        assert_eq!(r.intent.as_deref(), Some("troubleshoot_drain"));
        assert_eq!(r.confidence, Some(0.82));
        assert_eq!(
            demo_reply("qwerty", "Acme").intent.as_deref(),
            Some("fallback")
        );
        assert!(demo_reply("what are your hours?", "Acme")
            .text
            .contains("Acme"));
    }
}
