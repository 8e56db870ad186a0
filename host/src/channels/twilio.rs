//! Twilio's inbound webhook: the form it posts, the `X-Twilio-Signature` it signs it with,
//! and the TwiML it expects back.
//!
//! The signature is HMAC-SHA1, keyed with the account's auth token, over the full URL
//! Twilio requested followed by every POST parameter's name and value, the parameters
//! sorted by name, all base64-encoded.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// The empty TwiML answer: nothing to send back now (replies go out through the outbox).
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/// Most parameters accepted in one webhook form.
const MAX_PARAMS: usize = 100;

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // By name, then value, so repeated names are stable (as Twilio's own helpers do).
    sorted.sort();
    let mut m = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(url.as_bytes());
    for (k, v) in sorted {
        m.update(k.as_bytes());
        m.update(v.as_bytes());
    }
    m
}

/// The signature Twilio computes for a request to `url` with form `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `presented` is the signature of the request, compared in constant time.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], presented: &str) -> bool {
    match base64::engine::general_purpose::STANDARD.decode(presented.trim()) {
        Ok(bytes) => mac(auth_token, url, params).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Parse an `application/x-www-form-urlencoded` body; `Err` says what is wrong.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    if std::str::from_utf8(body).is_err() {
        return Err("the form is not UTF-8".into());
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if params.len() > MAX_PARAMS {
        return Err(format!("the form has more than {MAX_PARAMS} fields"));
    }
    Ok(params)
}

/// The one value of `name` in `params`; `Err` when it is missing or repeated.
pub fn field<'a>(params: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    let mut found = params.iter().filter(|(k, _)| k == name);
    match (found.next(), found.next()) {
        (Some((_, v)), None) => Ok(v),
        (None, _) => Err(format!("the form has no `{name}`")),
        (Some(_), Some(_)) => Err(format!("the form has `{name}` more than once")),
    }
}

/// Whether `s` looks like a message SID (`SM`/`MM` + 32 hex digits; Twilio's test
/// credentials use the same shape).
pub fn is_message_sid(s: &str) -> bool {
    s.len() == 34
        && (s.starts_with("SM") || s.starts_with("MM"))
        && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's worked example (docs: "Secure webhooks"). Its caller is +14158675310; with
    /// +12349013030 in Caller and From the same URL and token sign as
    /// `0/KCTR6DLpKmkAf8muzZqo1nDgQ=`, not as the docs' signature.
    fn docs_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn twilios_documented_example_signs_as_the_docs_say() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let expected = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        assert_eq!(signature("12345", url, &docs_params()), expected);
        assert!(verify("12345", url, &docs_params(), expected));
        // The order the form arrives in does not matter.
        let mut shuffled = docs_params();
        shuffled.reverse();
        assert!(verify("12345", url, &shuffled, expected));
        let mut other_caller = docs_params();
        other_caller[1].1 = "+12349013030".into();
        other_caller[3].1 = "+12349013030".into();
        assert_eq!(
            signature("12345", url, &other_caller),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn a_changed_url_token_or_parameter_does_not_verify() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let good = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
        assert!(!verify("12346", url, &docs_params(), good));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &docs_params(),
            good
        ));
        let mut p = docs_params();
        p[2].1 = "1235".into();
        assert!(!verify("12345", url, &p, good));
        assert!(!verify("12345", url, &docs_params(), "not base64!"));
        assert!(!verify("12345", url, &docs_params(), ""));
    }

    #[test]
    fn forms_are_parsed_and_fields_required_once() {
        let p = parse_form(b"From=%2B15555550117&Body=hi+there&To=%2B15555550123").unwrap();
        assert_eq!(field(&p, "From").unwrap(), "+15555550117");
        assert_eq!(field(&p, "Body").unwrap(), "hi there");
        assert!(field(&p, "MessageSid").is_err());
        let twice = parse_form(b"Body=a&Body=b").unwrap();
        assert!(field(&twice, "Body").is_err());
        assert!(parse_form(&[0xff, 0xfe]).is_err());
        assert!(is_message_sid("SM0123456789abcdef0123456789abcdef"));
        assert!(!is_message_sid("SM-nope"));
    }
}
