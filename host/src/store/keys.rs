//! API keys: generated once, shown once, stored only as a hash; live until revoked or
//! expired. What may create, list and revoke which keys is in `keys/manage.rs`.

mod manage;

pub use manage::{
    check, create, list, revoke, Authority, CreateKey, CreatedKey, KeyError, Tenants,
    MAX_EXPIRES_IN_SECS,
};

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// A channel (web chat, SMS bridge): posts customer and bot events, reads its conversations.
    Channel,
    /// An agent or agent tool: reads handoffs, accepts, replies, resolves.
    Agent,
    /// The SaaS operator: tenant status across the host, and every tenant's keys.
    Operator,
    /// The business owner: reads every handoff of its tenant and its report, and manages
    /// its own agents' keys; never accepts a handoff, never another tenant.
    Manager,
    /// A web-chat widget's public key, pasted into the business's site: opens widget
    /// sessions; with a session's token it posts customer messages to, reads and streams
    /// only that session's conversation (`api/widget.rs`).
    Widget,
}

impl KeyRole {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Channel => "channel",
            KeyRole::Agent => "agent",
            KeyRole::Operator => "operator",
            KeyRole::Widget => "widget",
            KeyRole::Manager => "manager",
        }
    }

    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "channel" => Some(KeyRole::Channel),
            "agent" => Some(KeyRole::Agent),
            "operator" => Some(KeyRole::Operator),
            "widget" => Some(KeyRole::Widget),
            "manager" => Some(KeyRole::Manager),
            _ => None,
        }
    }
}

/// What to create a key for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// The tenant (none for an operator key).
    pub tenant: Option<String>,
    /// The role.
    pub role: KeyRole,
    /// The agent an agent key belongs to.
    pub agent_id: Option<String>,
}

/// A freshly made key: the secret to show once, and its id.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Public id (for revoking and listing).
    pub id: String,
    /// The bearer secret, `bk_<id>_<random>`; never stored.
    pub secret: String,
    /// Its SHA-256, hex: what the store keeps.
    pub hash: String,
}

/// Make a new random key.
pub fn new_key() -> NewKey {
    let mut rng = rand::rng();
    let mut id = [0u8; 6];
    let mut secret = [0u8; 24];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let id = hex::encode(id);
    let secret = format!("bk_{id}_{}", hex::encode(secret));
    let hash = hash_key(&secret);
    NewKey { id, secret, hash }
}

/// The hash under which a presented secret is looked up.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a stored key works at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// It works.
    Live,
    /// Revoked (`DELETE /v1/admin/keys/{id}`, `baton keys revoke`).
    Revoked,
    /// Its expiry has passed.
    Expired,
}

impl KeyState {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Live => "live",
            KeyState::Revoked => "revoked",
            KeyState::Expired => "expired",
        }
    }
}

impl super::KeyRow {
    /// The key's state at `now_ms`: a revoked key stays revoked whatever its expiry; a key
    /// expires at its `expires_ms` (a key expiring now no longer works).
    pub fn state(&self, now_ms: i64) -> KeyState {
        if self.revoked_ms.is_some() {
            KeyState::Revoked
        } else if self.expires_ms.is_some_and(|e| e <= now_ms) {
            KeyState::Expired
        } else {
            KeyState::Live
        }
    }
}
