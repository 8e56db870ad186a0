//! Outbound text messages: the [`SmsSender`] interface and its Twilio REST implementation
//! (`POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json`, HTTP basic auth with the
//! account SID and auth token).

use crate::config::SmsConfig;
use async_trait::async_trait;
use baton_plugin_sdk::text::clip;
use std::time::Duration;

/// Longest text sent in one message (Twilio refuses bodies over 1,600 characters).
pub const MAX_SMS_CHARS: usize = 1600;

/// Sends a text message; `Ok` carries the provider's message id.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Send `body` to `to` (E.164).
    async fn send(&self, to: &str, body: &str) -> Result<String, String>;
}

/// Twilio's Programmable Messaging REST API for one tenant.
pub struct TwilioSender {
    client: reqwest::Client,
    api_base: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

impl TwilioSender {
    /// A sender for the tenant's `[sms]`, with the auth token read from its variable.
    pub fn from_config(client: reqwest::Client, sms: &SmsConfig) -> Result<Self, String> {
        let auth_token = std::env::var(&sms.auth_token_env).map_err(|_| {
            format!(
                "the Twilio auth token variable `{}` is not set",
                sms.auth_token_env
            )
        })?;
        Ok(TwilioSender {
            client,
            api_base: sms.api_base.clone(),
            account_sid: sms.account_sid.clone(),
            auth_token,
            from: sms.from.clone(),
        })
    }
}

/// A client for provider calls: short timeouts, no redirects.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("baton/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// `text` fitted into one SMS: as is when it fits, else cut with an ellipsis at the end.
pub fn fit_one_sms(text: &str) -> String {
    if text.chars().count() <= MAX_SMS_CHARS {
        return text.to_string();
    }
    let mut s = clip(text, MAX_SMS_CHARS - 1);
    s.push('…');
    s
}

#[async_trait]
impl SmsSender for TwilioSender {
    async fn send(&self, to: &str, body: &str) -> Result<String, String> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.api_base, self.account_sid
        );
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("To", to)
            .append_pair("From", &self.from)
            .append_pair("Body", &fit_one_sms(body))
            .finish();
        let response = self
            .client
            .post(&url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| format!("cannot reach Twilio: {e}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if status.is_success() {
            Ok(json["sid"].as_str().unwrap_or("").to_string())
        } else {
            let why = json["message"].as_str().unwrap_or("no message");
            Err(format!("Twilio answered {status}: {why}"))
        }
    }
}

/// The conversation id the SMS bridge gives a customer's number.
pub fn sms_conversation_id(number: &str) -> String {
    format!("sms:{number}")
}

/// Whether `id` is in the SMS bridge's namespace (`sms:…`): only a number that texted the
/// tenant opens such a conversation, since what an agent writes in it is texted to that
/// number. A channel key may add to one, never open one (see `api/conversations.rs`).
pub fn is_bridge_conversation(id: &str) -> bool {
    id.starts_with("sms:")
}

/// The customer's number of an SMS bridge conversation.
pub fn sms_number(conversation_id: &str) -> Option<&str> {
    conversation_id
        .strip_prefix("sms:")
        .filter(|n| n.starts_with('+'))
}
