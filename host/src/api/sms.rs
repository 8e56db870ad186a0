//! `POST /v1/sms/twilio/{tenant}`: the SMS bridge's inbound webhook, in Twilio's format.
//!
//! Twilio signs, it does not carry a Baton key: the tenant is in the path and the request
//! is accepted only with a valid `X-Twilio-Signature` made with that tenant's auth token.
//! `MessageSid` is the idempotency key: a replayed message is refused with 409 and stored
//! once. The customer's number is the conversation (`sms:+15555550117`). The answer is
//! empty TwiML: replies and notices go out through the outbox (`outbox`).

use super::error::ApiError;
use super::extract::Path;
use super::AppState;
use crate::channels::sms::sms_conversation_id;
use crate::channels::twilio::{self, EMPTY_TWIML, SIGNATURE_HEADER};
use crate::config::SmsConfig;
use crate::handoff::{Desk, IngestRequest};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use baton_plugin_sdk::Customer;

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

/// The URL Twilio requested: the tenant's `webhook_url` when set (behind a proxy), else
/// rebuilt from the request's `Host` and `X-Forwarded-Proto`.
fn requested_url(configured: Option<&str>, headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    if let Some(u) = configured {
        return u.to_string();
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let proto = text("x-forwarded-proto").unwrap_or("http");
    let host = text("host").unwrap_or("localhost");
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    format!("{proto}://{host}{path}")
}

/// An E.164 number as Twilio sends one.
fn is_phone(s: &str) -> bool {
    s.len() <= 16
        && s.strip_prefix('+')
            .is_some_and(|d| d.len() >= 7 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The fields of Twilio's inbound message form that Baton reads (documentation only: the
/// handler parses the form itself, since the signature covers every field as sent).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TwilioForm {
    /// The customer's number (E.164).
    #[schema(rename = "From", pattern = "^\\+[0-9]{7,15}$")]
    from: String,
    /// The business's Twilio number.
    #[schema(rename = "To")]
    to: String,
    /// The message text.
    #[schema(rename = "Body")]
    body: String,
    /// The message's id (`SM` or `MM` and 32 hex digits): the idempotency key.
    #[schema(rename = "MessageSid", pattern = "^(SM|MM)[0-9a-fA-F]{32}$")]
    message_sid: String,
    /// How many pictures or other media came with it.
    #[schema(rename = "NumMedia")]
    num_media: Option<String>,
}

/// Receive one inbound text message.
#[utoipa::path(
    post, path = "/v1/sms/twilio/{tenant}", tag = "channels",
    params(("tenant" = String, Path, description = "The tenant id"),
           ("X-Twilio-Signature" = String, Header, description = "Twilio's request signature")),
    request_body(content = TwilioForm, content_type = "application/x-www-form-urlencoded", description = "Twilio's inbound message form (Twilio sends more fields; all are signed)"),
    responses((status = 200, description = "Empty TwiML", content_type = "text/xml"),
              (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
              (status = 409, body = super::error::ErrorBody), (status = 415, body = super::error::ErrorBody),
              (status = 422, body = super::error::ErrorBody), (status = 503, body = super::error::ErrorBody))
)]
pub async fn inbound(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            refuse(e.status(), "too_large", "the body is larger than the limit")
        } else {
            refuse(StatusCode::BAD_REQUEST, "bad_body", e.body_text())
        }
    })?;
    let desk = &state.desk;
    let version = desk
        .tenants()
        .get(&tenant)
        .ok_or_else(|| ApiError::not_found("SMS bridge"))?;
    let sms = version
        .config
        .sms
        .as_ref()
        .ok_or_else(|| ApiError::not_found("SMS bridge"))?;
    let params = signed_form(sms, &tenant, &headers, &uri, &body)?;
    let text = InboundText::read(&params, sms)?;
    ingest(desk, &tenant, text).await?;
    let mut response = (StatusCode::OK, EMPTY_TWIML).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    Ok(response)
}

/// The form's fields, once the request is a form signed with the tenant's auth token.
fn signed_form(
    sms: &SmsConfig,
    tenant: &str,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Twilio posts `application/x-www-form-urlencoded`",
        ));
    }
    let params = twilio::parse_form(body).map_err(|m| ApiError::invalid("body", m))?;
    let presented = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = std::env::var(&sms.auth_token_env).map_err(|_| {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!(
                "the tenant's Twilio auth token variable `{}` is not set on this host",
                sms.auth_token_env
            ),
        )
    })?;
    let url = requested_url(sms.webhook_url.as_deref(), headers, uri);
    if presented.is_empty() || !twilio::verify(&token, &url, &params, presented) {
        tracing::warn!(tenant, %url, "refused an SMS webhook with a missing or wrong signature");
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "bad_signature",
            "the X-Twilio-Signature does not match this request",
        ));
    }
    Ok(params)
}

/// One inbound text as the desk takes it: from whom, what, and Twilio's id for it.
struct InboundText {
    from: String,
    text: String,
    sid: String,
}

impl InboundText {
    /// Read and check the fields of a signed form.
    fn read(params: &[(String, String)], sms: &SmsConfig) -> Result<Self, ApiError> {
        let field = |name: &'static str| {
            twilio::field(params, name).map_err(|m| ApiError::invalid(name, m))
        };
        let (from, to, text, sid) = (
            field("From")?,
            field("To")?,
            field("Body")?,
            field("MessageSid")?,
        );
        if !twilio::is_message_sid(sid) {
            return Err(ApiError::invalid("MessageSid", "not a Twilio message SID"));
        }
        if !is_phone(from) {
            return Err(ApiError::invalid(
                "From",
                "not a phone number in E.164 form",
            ));
        }
        if to != sms.from {
            return Err(ApiError::invalid("To", "not this tenant's SMS number"));
        }
        // A text cannot be sent again by its author, so a NUL in it (which PostgreSQL cannot
        // store) is kept as U+FFFD rather than refusing, and losing, the message.
        let text = text.replace('\0', "\u{FFFD}");
        let text = if text.trim().is_empty() {
            let media = params.iter().any(|(k, v)| k == "NumMedia" && v != "0");
            if !media {
                return Err(ApiError::invalid("Body", "the message is empty"));
            }
            "(a picture or media message; open it in the Twilio console)".to_string()
        } else {
            text
        };
        Ok(InboundText {
            from: from.to_string(),
            text,
            sid: sid.to_string(),
        })
    }
}

/// Hand the text to the desk, once per `MessageSid`, in the number's conversation (a new one
/// names the customer by their number).
async fn ingest(desk: &Desk, tenant: &str, t: InboundText) -> Result<(), ApiError> {
    let key = format!("twilio:{}", t.sid);
    let store = desk.store();
    if store.idempotent_response(tenant, &key).await?.is_some() {
        return Err(refuse(
            StatusCode::CONFLICT,
            "replayed",
            format!("message `{}` was already received", t.sid),
        ));
    }
    let id = sms_conversation_id(&t.from);
    let customer = match store.conversation(tenant, &id).await? {
        Some(_) => None,
        None => Some(Customer {
            name: t.from.clone(),
            phone: Some(t.from.clone()),
            ..Customer::default()
        }),
    };
    let request = IngestRequest {
        role: "customer".into(),
        text: t.text,
        at: None,
        intent: None,
        confidence: None,
        customer,
        channel: Some("sms".into()),
    };
    desk.ingest(tenant, &id, request, Some(key)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_rebuilt_from_the_request_unless_configured() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("baton.example"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let uri: axum::http::Uri = "/v1/sms/twilio/acme?x=1".parse().unwrap();
        assert_eq!(
            requested_url(None, &h, &uri),
            "https://baton.example/v1/sms/twilio/acme?x=1"
        );
        assert_eq!(requested_url(Some("https://a/b"), &h, &uri), "https://a/b");
        assert!(is_phone("+15555550117"));
        assert!(!is_phone("15555550117"));
        assert!(!is_phone("+1555abc"));
    }
}
