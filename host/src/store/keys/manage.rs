//! Creating, listing and revoking keys: the one set of rules behind `baton keys` (on the
//! host) and the API (`/v1/admin/keys` for operators, `/v1/keys` for a tenant's manager), so
//! both accept and refuse the same requests and store the same rows. The callers say who is
//! asking ([`Authority`]) and how a tenant and its roster are known ([`Tenants`]: the CLI
//! reads the policies folder, the API the tenant versions it serves); the store is the
//! store either way.

use super::{new_key, KeyRole};
use crate::store::{KeyRow, Store, StoreError};

/// Longest lifetime a key can be given, seconds (ten years).
pub const MAX_EXPIRES_IN_SECS: u64 = 10 * 365 * 86_400;

/// Who is managing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority<'a> {
    /// Someone on the host (`baton keys`): every key, operator keys included.
    Host,
    /// An operator key, by API: keys of every tenant. It cannot make another operator key,
    /// so a leaked operator key cannot outlive its own revocation.
    Operator,
    /// A tenant's manager key, by API: agent keys of its own tenant only.
    Manager(&'a str),
}

/// How the caller knows tenants: whether a tenant exists, and who is on its roster.
pub trait Tenants: Send + Sync {
    /// `Ok` when `tenant` may have keys and, for an agent key, `agent` is on its roster;
    /// else the error to answer ([`KeyError::Invalid`] naming `tenant` or `agent_id`).
    fn check(&self, tenant: &str, agent: Option<&str>) -> Result<(), KeyError>;
}

/// A key to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateKey {
    /// Its tenant (none for an operator key).
    pub tenant: Option<String>,
    /// Its role.
    pub role: KeyRole,
    /// The agent of an agent key.
    pub agent_id: Option<String>,
    /// Seconds from now until it stops working (1 to [`MAX_EXPIRES_IN_SECS`]); none: never.
    pub expires_in_secs: Option<u64>,
}

/// A key just made: its row and the secret, shown this once.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// What the store keeps.
    pub row: KeyRow,
    /// The bearer secret; only its hash is stored.
    pub secret: String,
}

/// Why a key request was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid {
        /// The request field at fault (`tenant`, `role`, `agent_id`, `expires_in_secs`).
        field: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// No key of this id that the caller may see is live (unknown, another tenant's, not
    /// an agent key for a manager, or already revoked).
    #[error("no live key with id `{0}`")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> KeyError {
    KeyError::Invalid {
        field,
        message: message.into(),
    }
}

/// Check `req` against what `by` may make: the rules that depend on nothing but the request
/// (which [`create`] applies first; a caller may check before opening the store).
pub fn check(by: Authority<'_>, req: &CreateKey) -> Result<(), KeyError> {
    match (by, req.role) {
        (Authority::Host, _) => {}
        (Authority::Operator, KeyRole::Operator) => {
            return Err(invalid(
                "role",
                "an operator key is made on the host (`baton keys create --operator`), not by API",
            ))
        }
        (Authority::Operator, _) => {}
        (Authority::Manager(_), KeyRole::Agent) => {}
        (Authority::Manager(_), other) => {
            return Err(invalid(
                "role",
                format!(
                    "a manager makes agent keys only, not {} keys",
                    other.as_str()
                ),
            ))
        }
    }
    match (req.role, &req.tenant) {
        (KeyRole::Operator, Some(_)) => {
            return Err(invalid("tenant", "an operator key belongs to no tenant"))
        }
        (KeyRole::Operator, None) => {}
        (_, None) => return Err(invalid("tenant", "a tenant key needs its tenant")),
        (_, Some(_)) => {}
    }
    match (req.role, &req.agent_id) {
        (KeyRole::Agent, None) => Err(invalid(
            "agent_id",
            "an agent key needs its agent (the agent's id in the tenant file)",
        )),
        (KeyRole::Agent, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(invalid("agent_id", "an agent goes only with an agent key")),
    }?;
    match req.expires_in_secs {
        Some(s) if !(1..=MAX_EXPIRES_IN_SECS).contains(&s) => Err(invalid(
            "expires_in_secs",
            format!("{s} is outside 1 to {MAX_EXPIRES_IN_SECS} seconds"),
        )),
        _ => Ok(()),
    }
}

/// Make a key as `by` asks, at `now_ms`: checked, then stored (only its hash).
pub async fn create(
    store: &dyn Store,
    by: Authority<'_>,
    tenants: &dyn Tenants,
    req: CreateKey,
    now_ms: i64,
) -> Result<CreatedKey, KeyError> {
    check(by, &req)?;
    if let Authority::Manager(own) = by {
        if req.tenant.as_deref() != Some(own) {
            return Err(invalid(
                "tenant",
                "a manager makes keys of its own tenant only",
            ));
        }
    }
    if let Some(tenant) = &req.tenant {
        tenants.check(tenant, req.agent_id.as_deref())?;
    }
    let key = new_key();
    let expires_ms = req
        .expires_in_secs
        .map(|s| now_ms.saturating_add((s as i64).saturating_mul(1000)));
    let row = KeyRow {
        id: key.id.clone(),
        hash: key.hash,
        tenant: req.tenant,
        role: req.role,
        agent_id: req.agent_id,
        created_ms: now_ms,
        revoked_ms: None,
        expires_ms,
    };
    store.insert_key(row.clone()).await?;
    Ok(CreatedKey {
        row,
        secret: key.secret,
    })
}

/// Whether `by` may see (and revoke) `key`.
fn within(by: Authority<'_>, key: &KeyRow) -> bool {
    match by {
        Authority::Host | Authority::Operator => true,
        Authority::Manager(own) => key.role == KeyRole::Agent && key.tenant.as_deref() == Some(own),
    }
}

/// The keys `by` may see (never their secrets), of `tenant` when given, oldest first.
pub async fn list(
    store: &dyn Store,
    by: Authority<'_>,
    tenant: Option<&str>,
) -> Result<Vec<KeyRow>, KeyError> {
    let tenant = match by {
        Authority::Manager(own) => Some(own),
        Authority::Host | Authority::Operator => tenant,
    };
    let mut keys = store.keys(tenant).await?;
    keys.retain(|k| within(by, k));
    Ok(keys)
}

/// Revoke key `id` at `now_ms`, if `by` may see it and it is not revoked yet (an expired key
/// can be revoked); returns its row as revoked.
pub async fn revoke(
    store: &dyn Store,
    by: Authority<'_>,
    id: &str,
    now_ms: i64,
) -> Result<KeyRow, KeyError> {
    let not_found = || KeyError::NotFound(id.chars().take(64).collect());
    let mut key = store
        .key_by_id(id)
        .await?
        .filter(|k| within(by, k) && k.revoked_ms.is_none())
        .ok_or_else(not_found)?;
    if !store.revoke_key(id, now_ms).await? {
        return Err(not_found());
    }
    key.revoked_ms = Some(now_ms);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(role: KeyRole, tenant: Option<&str>, agent: Option<&str>) -> CreateKey {
        CreateKey {
            tenant: tenant.map(str::to_string),
            role,
            agent_id: agent.map(str::to_string),
            expires_in_secs: None,
        }
    }

    #[test]
    fn each_authority_makes_only_its_keys() {
        let field = |by, r: &CreateKey| match check(by, r) {
            Ok(()) => None,
            Err(KeyError::Invalid { field, .. }) => Some(field),
            Err(e) => panic!("{e}"),
        };
        let op = req(KeyRole::Operator, None, None);
        assert_eq!(field(Authority::Host, &op), None);
        assert_eq!(field(Authority::Operator, &op), Some("role"));
        assert_eq!(field(Authority::Manager("acme"), &op), Some("role"));
        let channel = req(KeyRole::Channel, Some("acme"), None);
        assert_eq!(field(Authority::Operator, &channel), None);
        assert_eq!(field(Authority::Manager("acme"), &channel), Some("role"));
        let agent = req(KeyRole::Agent, Some("acme"), Some("sam"));
        assert_eq!(field(Authority::Manager("acme"), &agent), None);
        assert_eq!(
            field(Authority::Host, &req(KeyRole::Agent, Some("acme"), None)),
            Some("agent_id")
        );
        assert_eq!(
            field(
                Authority::Host,
                &req(KeyRole::Widget, Some("acme"), Some("sam"))
            ),
            Some("agent_id")
        );
        assert_eq!(
            field(Authority::Host, &req(KeyRole::Manager, None, None)),
            Some("tenant")
        );
        for (secs, ok) in [(0, false), (1, true), (MAX_EXPIRES_IN_SECS, true)] {
            let r = CreateKey {
                expires_in_secs: Some(secs),
                ..channel.clone()
            };
            assert_eq!(field(Authority::Host, &r).is_none(), ok, "{secs}");
        }
    }
}
