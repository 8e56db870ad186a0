//! One-time accept links: what an agent's page (SMS or email alert) carries so that an
//! on-call agent who is not signed in to the inbox can take the handoff from their phone.
//!
//! A link is `{public_url}/inbox/accept#al.{tenant}.{64 hex}`: 32 random bytes (unguessable),
//! minted when the alert is sent, for one handoff and one agent. The store keeps only its
//! SHA-256 (under `accept-link:{hash}` in the idempotency table, with the handoff, the agent
//! and the expiry), never the secret; it is good for [`LINK_TTL_MS`] and for one accept:
//! using it writes `accept-link-used:{hash}` in the same transaction as the accept, a key
//! the store takes only once. The secret sits in the URL's fragment, which browsers never
//! send to a server, so it stays out of access logs and `Referer` headers; the inbox's
//! accept page reads it and calls `/v1/accept-links/{token}`.

use crate::clock::SharedClock;
use crate::config::is_valid_tenant_id;
use crate::store::{hash_key, SharedStore, StoreError, StoredResponse, WriteSet};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// How long a link may be used after it is sent: long enough for someone woken by a page to
/// find their phone, short enough that an old message is no standing credential.
pub const LINK_TTL_MS: i64 = 60 * 60 * 1000;

const PREFIX: &str = "al.";

/// What a link stands for, as stored under its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// The handoff it accepts.
    pub handoff_id: String,
    /// The agent it accepts as.
    pub agent_id: String,
    /// When it was sent.
    pub issued_ms: i64,
    /// After this it is refused.
    pub expires_ms: i64,
}

/// Where the idempotency table keeps a link's record.
pub(crate) fn record_key(hash: &str) -> String {
    format!("accept-link:{hash}")
}

/// Where the idempotency table marks a link used (inserted once, by the accept).
pub(crate) fn used_key(hash: &str) -> String {
    format!("accept-link-used:{hash}")
}

/// The tenant and the hash of a well-formed token, `None` for anything else.
pub fn parse(token: &str) -> Option<(&str, String)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (tenant, secret) = rest.rsplit_once('.')?;
    let well_formed = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    (well_formed && is_valid_tenant_id(tenant)).then(|| (tenant, hash_key(token)))
}

/// Makes accept links for outgoing alerts.
#[derive(Clone)]
pub struct LinkMinter {
    store: SharedStore,
    clock: SharedClock,
    /// The host's public address, without a trailing `/`.
    public_url: String,
}

impl LinkMinter {
    /// A minter writing to `store`, stamping from `clock`, for links under `public_url`.
    pub fn new(store: SharedStore, clock: SharedClock, public_url: &str) -> Self {
        LinkMinter {
            store,
            clock,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    /// A new link to accept `handoff_id` as `agent_id`, durable before it is returned.
    pub async fn mint(
        &self,
        tenant: &str,
        handoff_id: &str,
        agent_id: &str,
    ) -> Result<String, StoreError> {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let token = format!("{PREFIX}{tenant}.{}", hex::encode(secret));
        let now = self.clock.now_ms();
        let record = LinkRecord {
            handoff_id: handoff_id.to_string(),
            agent_id: agent_id.to_string(),
            issued_ms: now,
            expires_ms: now + LINK_TTL_MS,
        };
        let body = serde_json::to_string(&record)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode a link: {e}")))?;
        let stored = StoredResponse {
            status: 0,
            body,
            request: String::new(),
        };
        let w = WriteSet {
            idempotency: Some((record_key(&hash_key(&token)), stored)),
            ..WriteSet::default()
        };
        self.store.apply(tenant, w).await?;
        Ok(format!("{}/inbox/accept#{token}", self.public_url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_parse() {
        let secret = "ab".repeat(32);
        let token = format!("al.acme-plumbing.{secret}");
        let (tenant, hash) = parse(&token).expect("parses");
        assert_eq!(tenant, "acme-plumbing");
        assert_eq!(hash, hash_key(&token));
        for bad in [
            format!("al.acme-plumbing.{}", &secret[1..]),
            format!("al.acme-plumbing.{}zz", &secret[2..]),
            format!("al.Acme.{secret}"),
            format!("al..{secret}"),
            format!("bk.acme-plumbing.{secret}"),
            format!("al.acme-plumbing{secret}"),
            String::new(),
        ] {
            assert!(parse(&bad).is_none(), "{bad}");
        }
    }
}
