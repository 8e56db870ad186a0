//! `Baton-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Baton-Signature";

fn mac(secret: &[u8], t: i64, body: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m
}

/// The header value for `body` signed with `secret` at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &str) -> String {
    format!(
        "t={t},v1={}",
        hex::encode(mac(secret, t, body).finalize().into_bytes())
    )
}

/// Check a header value against `body`, accepting timestamps within `tolerance_secs` of
/// `now` (receivers should, to refuse replays).
pub fn verify(secret: &[u8], header: &str, body: &str, now: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    sigs.iter().any(|s| {
        hex::decode(s).is_ok_and(|bytes| mac(secret, t, body).verify_slice(&bytes).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_tampered_body_does_not() {
        let h = sign(b"s3cret", 1_700_000_000, "{\"a\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify(b"s3cret", &h, "{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify(b"s3cret", &h, "{\"a\":2}", 1_700_000_010, 300));
        assert!(!verify(b"other", &h, "{\"a\":1}", 1_700_000_010, 300));
        assert!(
            !verify(b"s3cret", &h, "{\"a\":1}", 1_700_009_999, 300),
            "too old"
        );
    }
}
