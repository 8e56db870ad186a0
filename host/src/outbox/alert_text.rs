//! Agent alerts by text message, through the tenant's SMS sender (`channels::sms`), and
//! the facts every alert is written from.

/// What an offer alert says.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFacts {
    /// The business's name.
    pub business: String,
    /// The agent's first name.
    pub agent_first_name: String,
    /// The customer's name.
    pub customer: String,
    /// Why the bot handed over, in words (`explicit request`).
    pub reason: String,
    /// `low` to `urgent`.
    pub priority: String,
    /// The policy's explanation.
    pub explanation: String,
    /// The customer's last words.
    pub last_customer_text: Option<String>,
    /// How long the offer is held, seconds.
    pub hold_secs: u32,
    /// The handoff.
    pub handoff_id: String,
    /// The conversation.
    pub conversation_id: String,
    /// A one-time link that accepts the handoff as this agent (`accept_link`), when the host
    /// knows its public address.
    pub accept_url: Option<String>,
}

/// A one-message alert.
pub fn offer_text(f: &AlertFacts) -> String {
    let said = match &f.last_customer_text {
        Some(t) => {
            let short = baton_plugin_sdk::text::clip(t, 120);
            let more = if short.len() < t.len() { "…" } else { "" };
            format!(" \"{short}{more}\"")
        }
        None => String::new(),
    };
    let priority = if f.priority == "urgent" {
        "URGENT "
    } else {
        ""
    };
    let accept = match &f.accept_url {
        Some(url) => format!("Accept: {url} (held for you {} s)", f.hold_secs),
        None => format!("Accept within {} s in the Baton inbox.", f.hold_secs),
    };
    format!(
        "{}: {priority}handoff for you — {}, {}.{said} {accept}",
        f.business, f.customer, f.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_names_customer_reason_and_words() {
        let f = AlertFacts {
            business: "Acme Plumbing".into(),
            agent_first_name: "Sam".into(),
            customer: "Dana Ruiz".into(),
            reason: "explicit request".into(),
            priority: "urgent".into(),
            explanation: String::new(),
            last_customer_text: Some("talk to a person".into()),
            hold_secs: 45,
            handoff_id: "h".into(),
            conversation_id: "c".into(),
            accept_url: None,
        };
        let t = offer_text(&f);
        assert!(
            t.starts_with("Acme Plumbing: URGENT handoff for you — Dana Ruiz"),
            "{t}"
        );
        assert!(t.contains("\"talk to a person\""), "{t}");
        let (subject, body) = super::super::email::offer_email(&f);
        assert!(subject.contains("Dana Ruiz"), "{subject}");
        assert!(body.starts_with("Hi Sam,"), "{body}");
        assert!(t.ends_with("Accept within 45 s in the Baton inbox."), "{t}");

        let link = "https://baton.example/inbox/accept#al.acme.00";
        let f = AlertFacts {
            accept_url: Some(link.into()),
            ..f
        };
        let t = offer_text(&f);
        assert!(
            t.ends_with(&format!("Accept: {link} (held for you 45 s)")),
            "{t}"
        );
        let (_, body) = super::super::email::offer_email(&f);
        assert!(
            body.contains(&format!("Accept it from this link: {link}")),
            "{body}"
        );
    }
}
