//! Agent alerts by email over SMTP (lettre, tokio): a relay named by `--smtp URL` /
//! `BATON_SMTP_URL`, e.g. `smtp://127.0.0.1:2525` (plain), `smtp://relay:587?tls=required`
//! (STARTTLS) or `smtps://user:pass@relay:465` (TLS, rustls).

use super::alert_text::AlertFacts;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Sends alert emails through one SMTP relay.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for the relay at `url`, sending as `from` (`Baton <baton@example.com>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("`--smtp` is not an SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("`{from}` is not a sender address: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// Send one plain-text email.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| format!("`{to}` is not an email address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("cannot build the email: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("the SMTP relay refused the alert: {e}"))
    }
}

/// The subject and body of an offer alert.
pub fn offer_email(f: &AlertFacts) -> (String, String) {
    let subject = format!(
        "[{}] Handoff for you: {} ({}, {})",
        f.business, f.customer, f.reason, f.priority
    );
    let mut body = format!(
        "Hi {},\n\n{} asked for a person at {} and the conversation is offered to you.\n\n",
        f.agent_first_name, f.customer, f.business
    );
    body.push_str(&format!("Why: {} ({} priority)\n", f.reason, f.priority));
    if !f.explanation.is_empty() {
        body.push_str(&format!("Policy: {}\n", f.explanation));
    }
    if let Some(t) = &f.last_customer_text {
        body.push_str(&format!("They wrote: \"{t}\"\n"));
    }
    match &f.accept_url {
        Some(url) => body.push_str(&format!(
            "\nThe offer is held for you for {} s. Accept it from this link: {url}\n(it works once, for you only, for an hour; or accept in the Baton inbox)\n",
            f.hold_secs
        )),
        None => body.push_str(&format!(
            "\nThe offer is held for you for {} s; accept it in the Baton inbox (/inbox).\n",
            f.hold_secs
        )),
    }
    body.push_str(&format!(
        "Handoff: {}\nConversation: {}\n",
        f.handoff_id, f.conversation_id
    ));
    (subject, body)
}
