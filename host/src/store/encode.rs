//! How both backends turn records into columns and back: JSON text, enum names, the
//! webhook body. One place, so a row written by one backend reads the same in the other.

use super::{NewEvent, StoreError};

/// Encode a value as the JSON text a column keeps.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Database(format!("cannot encode: {e}")))
}

/// Decode a JSON column.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("cannot decode a stored row: {e}")))
}

/// The `snake_case` name a unit enum serialises to (a message role, a presence).
pub(crate) fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Parse a stored `snake_case` name back into its enum.
pub(crate) fn from_name<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|e| StoreError::Database(format!("unknown stored name `{name}`: {e}")))
}

/// A priority as a sortable number.
pub(crate) fn priority_rank(p: baton_plugin_sdk::Priority) -> i64 {
    p as i64
}

/// The exact body posted to a webhook for an event.
pub fn webhook_body(tenant: &str, event: &NewEvent, id: i64) -> String {
    serde_json::json!({
        "id": id,
        "type": event.kind,
        "tenant": tenant,
        "handoff_id": event.handoff_id,
        "conversation_id": event.conversation_id,
        "at_ms": event.at_ms,
        "data": event.data,
    })
    .to_string()
}
