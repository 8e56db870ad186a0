//! Shape checks for values the loader accepts as text: ids, addresses, numbers, URLs.

/// `[a-z0-9_-]`, 1 to 64 bytes: agent ids.
pub(crate) fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A plausible email address: `local@domain.tld`, no spaces.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && s.len() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';')
}

/// An E.164 phone number: `+` then 8 to 15 digits, the first not 0.
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A phone number written with spaces, dashes, dots or parentheses, made E.164 if it
/// becomes one, for a "did you mean" hint.
pub(crate) fn as_e164(s: &str) -> Option<String> {
    let kept: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let only_separators = s
        .chars()
        .all(|c| c.is_ascii_digit() || "+ -.()".contains(c));
    let candidate = match kept.strip_prefix('+') {
        Some(_) => kept,
        // Ten digits: a North American number without its country code.
        None if kept.len() == 10 => format!("+1{kept}"),
        None if kept.len() == 11 && kept.starts_with('1') => format!("+{kept}"),
        None => return None,
    };
    (only_separators && is_e164(&candidate)).then_some(candidate)
}

/// An `http://` or `https://` URL with a host and no spaces. `Err` says what is wrong.
pub(crate) fn check_url(s: &str) -> Result<(), &'static str> {
    let rest = if let Some(r) = s.strip_prefix("https://") {
        r
    } else if let Some(r) = s.strip_prefix("http://") {
        r
    } else {
        return Err("a webhook URL must start with `https://` or `http://`");
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL can't contain spaces");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, rest)) => (h, rest.strip_prefix(':')),
            None => return Err("the URL's IPv6 host has no closing `]`"),
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if port.is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_err()) {
        return Err("the URL's port is not a number from 0 to 65535");
    }
    if host.is_empty() {
        return Err("the URL has no host");
    }
    Ok(())
}

/// An environment variable name by convention: `[A-Z_][A-Z0-9_]*`, at most 128 bytes.
/// Lowercase is refused: a lowercase value is far more likely a secret pasted in by mistake.
pub(crate) fn is_env_var_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_id("sam") && is_id("a_b-9") && !is_id("Sam") && !is_id("") && !is_id("a b"));
        assert!(is_email("sam@acme.example"));
        for bad in [
            "sam",
            "sam@",
            "@acme.example",
            "sam@acme",
            "s m@acme.example",
            "a@b@c.d",
            "a@.b",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_e164("+15555550100"));
        for bad in [
            "15555550100",
            "+1555",
            "+1 555 555 0100",
            "+0123456789",
            "+1555555010x",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
        assert_eq!(as_e164("(555) 555-0100").as_deref(), Some("+15555550100"));
        assert_eq!(as_e164("+1 555.555.0100").as_deref(), Some("+15555550100"));
        assert_eq!(as_e164("call me"), None);
        assert!(check_url("https://crm.acme.example/baton").is_ok());
        assert!(check_url("http://localhost:8080/hook").is_ok());
        assert!(check_url("https://[::1]:8443/x").is_ok());
        for bad in [
            "crm.acme.example",
            "ftp://x",
            "https://",
            "https:///x",
            "https://a b",
            "http://h:99999/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(is_env_var_name("ACME_WEBHOOK_SECRET") && is_env_var_name("_X1"));
        for bad in ["", "1ABC", "ACME-SECRET", "whsec_abc", "s3cr3t!"] {
            assert!(!is_env_var_name(bad), "{bad}");
        }
    }
}
