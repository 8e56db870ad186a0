//! Reading a policy's config table.

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The config of a policy that takes none: any key in its table is an error.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// Parse a config table handed over as JSON into `T`.
///
/// The error names the offending key the way a TOML author wrote it, without JSON line
/// and column numbers (the author never saw the JSON).
pub fn parse_config<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    serde_json::from_str(json).map_err(|e| {
        let text = e.to_string();
        match text.rfind(" at line ") {
            Some(cut) => text[..cut].to_string(),
            None => text,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct C {
        threshold: f64,
    }

    #[test]
    fn unknown_key_is_named_without_json_position() {
        let err = parse_config::<C>(r#"{"treshold": 1}"#).unwrap_err();
        assert!(err.contains("unknown field `treshold`"), "{err}");
        assert!(!err.contains("line"), "{err}");
    }

    #[test]
    fn empty_config_is_an_empty_table() {
        parse_config::<NoConfig>("").unwrap();
        assert!(parse_config::<NoConfig>(r#"{"x":1}"#).is_err());
    }
}
