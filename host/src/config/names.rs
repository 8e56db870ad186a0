//! Tenant ids from file names, which files in `policies/` are tenants, and "did you mean".

use super::diagnostic::Diagnostic;
use std::path::Path;

/// Longest tenant id, in bytes.
pub const MAX_TENANT_ID_LEN: usize = 64;

/// Whether `id` is a valid tenant id: `[a-z0-9][a-z0-9_-]{0,63}`.
pub fn is_valid_tenant_id(id: &str) -> bool {
    (1..=MAX_TENANT_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Whether a file name in the policies folder is a tenant file at all.
///
/// A tenant file ends in `.toml` and is not hidden. Editors' temporary and backup files are
/// not tenant files: `.acme.toml.swp`, `acme.toml~`, `#acme.toml#`, `acme.toml.tmp`, vim's
/// `4913` probe, `.#acme.toml` lock links. Takes a bare file name (use the last path
/// component); a name with a path separator is not a tenant file name.
pub fn is_tenant_file_name(file_name: &str) -> bool {
    file_name.ends_with(".toml")
        && file_name.len() > ".toml".len()
        && !file_name.starts_with('.')
        && !file_name.starts_with('#')
        && !file_name.starts_with('~')
        && !file_name.contains(['/', '\\'])
}

/// The tenant id a tenant file stands for: its file stem, which must be a valid id.
///
/// `policies/acme-plumbing.toml` is tenant `acme-plumbing`. A stem that is not a valid id is
/// an error whose help suggests a valid name.
pub fn tenant_id_from_path(path: &Path) -> Result<String, Diagnostic> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !is_tenant_file_name(&name) {
        return Err(
            Diagnostic::whole_file(path, format!("`{name}` is not a tenant file name"))
                .with_help("tenant files are named `<tenant-id>.toml`, e.g. `acme-plumbing.toml`"),
        );
    }
    let stem = &name[..name.len() - ".toml".len()];
    if is_valid_tenant_id(stem) {
        return Ok(stem.to_string());
    }
    let suggestion = suggest_tenant_id(stem);
    let mut d = Diagnostic::whole_file(
        path,
        format!("`{stem}` is not a valid tenant id (the file name without `.toml`)"),
    );
    let rule = "lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters";
    d = match suggestion {
        Some(s) => d.with_help(format!("rename the file to `{s}.toml`: {rule}")),
        None => d.with_help(format!("use {rule}")),
    };
    Err(d)
}

/// A valid tenant id close to `stem`, if one can be made.
fn suggest_tenant_id(stem: &str) -> Option<String> {
    let mut out = String::new();
    for c in stem.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(['-', '_']).to_string();
    let out = baton_plugin_sdk::text::clip(&out, MAX_TENANT_ID_LEN);
    is_valid_tenant_id(&out).then_some(out)
}

/// The candidate closest to `word` by edit distance, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            let folded = c.to_lowercase();
            let d = if folded == lower
                || folded.replace(['_', '-'], "") == lower.replace(['_', '-', ' '], "")
            {
                0
            } else {
                strsim::levenshtein(&lower, &folded)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `a`, `b` and `c` — a list of names in backticks.
pub(crate) fn backticked(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_file_filter() {
        for yes in [
            "acme.toml",
            "acme-plumbing.toml",
            "Bad Name.toml",
            "a.b.toml",
        ] {
            assert!(is_tenant_file_name(yes), "{yes}");
        }
        for no in [
            ".acme.toml.swp",
            ".acme.toml",
            "acme.toml~",
            "#acme.toml#",
            ".#acme.toml",
            "acme.toml.tmp",
            "acme.toml.bak",
            "acme.toml.orig",
            "4913",
            "acme.swp",
            "README.md",
            ".toml",
            "~acme.toml",
            "",
        ] {
            assert!(!is_tenant_file_name(no), "{no}");
        }
    }

    #[test]
    fn tenant_ids() {
        let ok = |p: &str| tenant_id_from_path(Path::new(p));
        assert_eq!(
            ok("policies/acme-plumbing.toml").ok().as_deref(),
            Some("acme-plumbing")
        );
        assert_eq!(ok("0x_1.toml").ok().as_deref(), Some("0x_1"));
        let long = format!("{}.toml", "a".repeat(65));
        assert!(ok(&long).is_err());
        let err = ok("policies/Acme Plumbing.toml")
            .err()
            .map(|d| d.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "error: policies/Acme Plumbing.toml: `Acme Plumbing` is not a valid tenant id (the file name without `.toml`)\n  = help: rename the file to `acme-plumbing.toml`: lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters"
            )
        );
        assert!(ok("policies/-x.toml").is_err());
        assert!(ok("policies/acme.yaml").is_err());
    }

    #[test]
    fn suggestions() {
        let keys = ["name", "queues", "time_zone", "secret_env"];
        assert_eq!(did_you_mean("queus", keys), Some("queues"));
        assert_eq!(did_you_mean("timezone", keys), Some("time_zone"));
        assert_eq!(did_you_mean("Name", keys), Some("name"));
        assert_eq!(did_you_mean("secret", keys), None);
        assert_eq!(did_you_mean("zzzzzz", keys), None);
        assert_eq!(backticked(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
