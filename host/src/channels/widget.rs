//! Widget sessions: a widget key (role `widget`) is public by design: it can only open
//! widget sessions. A session is a fresh conversation id and a random token; the token's hash
//! is kept in the store's idempotency table under `widget-session:{conversation}` (durable,
//! tenant-scoped, write-once), and every widget call presents key and token, so a session
//! reaches only its own conversation. The widget's HTTP side (its script, stylesheet, CORS
//! and the `/demo` site) is `api/web/widget.rs`; its API is `api/widget.rs`.

use crate::store::{hash_key, SharedStore, StoreError, StoredResponse, WriteSet};
use rand::RngCore;

/// The header carrying a widget session's token.
pub const SESSION_HEADER: &str = "x-baton-session";

fn session_record(conversation_id: &str) -> String {
    format!("widget-session:{conversation_id}")
}

/// Open a session: a new conversation id and its token (shown once).
pub async fn open_session(
    store: &SharedStore,
    tenant: &str,
) -> Result<(String, String), StoreError> {
    let conversation_id = format!("web-{}", uuid::Uuid::now_v7().simple());
    let mut secret = [0u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("ws_{}", hex::encode(secret));
    let record = StoredResponse {
        status: 0,
        body: hash_key(&token),
        request: String::new(),
    };
    store
        .apply(
            tenant,
            WriteSet {
                idempotency: Some((session_record(&conversation_id), record)),
                ..WriteSet::default()
            },
        )
        .await?;
    Ok((conversation_id, token))
}

/// Whether `token` is the session token of `conversation_id`.
pub async fn session_matches(
    store: &SharedStore,
    tenant: &str,
    conversation_id: &str,
    token: &str,
) -> Result<bool, StoreError> {
    if token.is_empty() || token.len() > 200 || conversation_id.len() > 128 {
        return Ok(false);
    }
    let stored = store
        .idempotent_response(tenant, &session_record(conversation_id))
        .await?;
    Ok(stored.is_some_and(|s| s.status == 0 && s.body == hash_key(token)))
}
