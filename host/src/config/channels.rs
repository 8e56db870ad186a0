//! `[sms]` (the SMS bridge) and `[widget]` (the web-chat widget) of a tenant file.
//!
//! ```toml
//! [sms]
//! provider = "twilio"
//! account_sid = "AC0123456789abcdef0123456789abcdef"
//! auth_token_env = "ACME_TWILIO_TOKEN"   # the name of the variable, never the token
//! from = "+15555550123"                  # the business's Twilio number
//! # api_base = "https://api.twilio.com"  # override (tests point it at a local stub)
//! # webhook_url = "https://baton.acme.example/v1/sms/twilio/acme-plumbing"
//!
//! [widget]
//! bot_url = "https://bot.acme.example/baton"  # the integrator's bot, or:
//! # demo_bot = true                           # the built-in scripted demo bot
//! # demo_page = true                          # serve `/demo` for this tenant's widget keys
//! ```

use super::checks;
use super::diagnostic::{Diagnostic, Span};
use super::schema::S;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// `[sms]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSms {
    pub provider: S,
    pub account_sid: S,
    pub auth_token_env: S,
    pub from: S,
    pub api_base: Option<S>,
    pub webhook_url: Option<S>,
}

/// `[widget]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWidget {
    pub bot_url: Option<S>,
    #[serde(default)]
    pub demo_bot: bool,
    #[serde(default)]
    pub demo_page: bool,
}

/// Which SMS provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsProvider {
    /// Twilio's Programmable Messaging.
    Twilio,
}

/// A tenant's SMS bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsConfig {
    /// The provider.
    pub provider: SmsProvider,
    /// The Twilio account SID (`AC` + 32 hex digits).
    pub account_sid: String,
    /// The environment variable holding the account's auth token.
    pub auth_token_env: String,
    /// The business's number, E.164: messages go out from it and come in to it.
    pub from: String,
    /// The REST API's base URL (default `https://api.twilio.com`).
    pub api_base: String,
    /// The public URL Twilio posts to, when a proxy changes what the host sees; the
    /// signature covers it. Default: rebuilt from the request.
    pub webhook_url: Option<String>,
}

/// A tenant's web-chat widget.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WidgetConfig {
    /// The integrator's bot: Baton posts each customer message here while the bot has the
    /// conversation and records the answer as the bot's turn.
    pub bot_url: Option<String>,
    /// Use the built-in scripted demo bot instead (for `/demo`).
    pub demo_bot: bool,
    /// Serve `/demo` (a sample site with the widget) for this tenant's widget keys; off
    /// unless the file says so, so a real business's host shows no demo site.
    pub demo_page: bool,
}

fn at(file: &Path, text: &str, span: Span, msg: String) -> Diagnostic {
    Diagnostic::at_span(file, text, span, msg)
}

/// Whether `s` looks like a Twilio account SID.
fn is_account_sid(s: &str) -> bool {
    s.len() == 34 && s.starts_with("AC") && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn sms(
    file: &Path,
    text: &str,
    raw: Option<&Spanned<RawSms>>,
    errors: &mut Vec<Diagnostic>,
) -> Option<SmsConfig> {
    let r = raw?.get_ref();
    if r.provider.get_ref() != "twilio" {
        errors.push(
            at(
                file,
                text,
                r.provider.span(),
                format!("unknown SMS provider `{}`", r.provider.get_ref()),
            )
            .with_help("the one provider is `twilio`"),
        );
    }
    if !is_account_sid(r.account_sid.get_ref()) {
        errors.push(
            at(
                file,
                text,
                r.account_sid.span(),
                "`account_sid` is not a Twilio account SID".into(),
            )
            .with_help("it is `AC` followed by 32 hex digits, from the Twilio console"),
        );
    }
    if !checks::is_env_var_name(r.auth_token_env.get_ref()) {
        errors.push(
            at(file, text, r.auth_token_env.span(), "`auth_token_env` must be the name of an environment variable, not the token itself".into())
                .with_help("put the token in an environment variable and give its name, e.g. `auth_token_env = \"ACME_TWILIO_TOKEN\"`")
                .redact(text, r.auth_token_env.span()),
        );
    }
    if !checks::is_e164(r.from.get_ref()) {
        errors.push(
            at(
                file,
                text,
                r.from.span(),
                format!("`{}` is not a phone number in E.164 form", r.from.get_ref()),
            )
            .with_help("write `+`, the country code and the number, e.g. `+15555550123`"),
        );
    }
    for u in [&r.api_base, &r.webhook_url].into_iter().flatten() {
        if let Err(why) = checks::check_url(u.get_ref()) {
            errors.push(at(
                file,
                text,
                u.span(),
                format!("`{}` is not a URL: {why}", u.get_ref()),
            ));
        }
    }
    Some(SmsConfig {
        provider: SmsProvider::Twilio,
        account_sid: r.account_sid.get_ref().clone(),
        auth_token_env: r.auth_token_env.get_ref().clone(),
        from: r.from.get_ref().clone(),
        api_base: r
            .api_base
            .as_ref()
            .map(|u| u.get_ref().trim_end_matches('/').to_string())
            .unwrap_or_else(|| "https://api.twilio.com".into()),
        webhook_url: r.webhook_url.as_ref().map(|u| u.get_ref().clone()),
    })
}

pub(crate) fn widget(
    file: &Path,
    text: &str,
    raw: Option<&Spanned<RawWidget>>,
    errors: &mut Vec<Diagnostic>,
) -> WidgetConfig {
    let Some(w) = raw else {
        return WidgetConfig::default();
    };
    let r = w.get_ref();
    if let Some(u) = &r.bot_url {
        if let Err(why) = checks::check_url(u.get_ref()) {
            errors.push(
                at(
                    file,
                    text,
                    u.span(),
                    format!("`{}` is not a bot URL: {why}", u.get_ref()),
                )
                .with_help("e.g. `bot_url = \"https://bot.acme.example/baton\"`"),
            );
        }
        if r.demo_bot {
            errors.push(
                at(
                    file,
                    text,
                    w.span(),
                    "`bot_url` and `demo_bot = true` both name a bot".into(),
                )
                .with_help("keep one of them"),
            );
        }
    }
    WidgetConfig {
        bot_url: r.bot_url.as_ref().map(|u| u.get_ref().clone()),
        demo_bot: r.demo_bot,
        demo_page: r.demo_page,
    }
}
