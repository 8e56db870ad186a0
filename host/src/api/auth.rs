//! Who is calling: the bearer key decides the tenant and the role. A request's tenant comes
//! from its key, never from the path or the body. A key that was revoked or has expired
//! (on the desk's clock) answers 401 `key_revoked` or `key_expired`.

use super::error::ApiError;
use super::AppState;
use crate::handoff::DeskError;
use crate::store::{hash_key, KeyRole, KeyState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's tenant (none for operators).
    pub tenant: Option<String>,
    /// The key's role.
    pub role: KeyRole,
    /// The agent, for agent keys.
    pub agent_id: Option<String>,
    /// The key's public id (scopes what the caller stores, e.g. its idempotency keys).
    pub key_id: String,
    /// The key's hash, for live streams to look it up again (see `api/live.rs`).
    pub key_hash: String,
}

impl Caller {
    /// The tenant of a tenant key, or 403 for an operator key.
    pub fn tenant(&self) -> Result<&str, ApiError> {
        self.tenant.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "an operator key has no access to tenant data",
            )
        })
    }

    /// Require one of `roles`.
    pub fn require(&self, roles: &[KeyRole]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "a {} key cannot do this; it needs a {} key",
                    self.role.as_str(),
                    names.join(" or ")
                ),
            ))
        }
    }

    /// The agent of an agent key.
    pub fn agent(&self) -> Result<&str, ApiError> {
        self.require(&[KeyRole::Agent])?;
        self.agent_id.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this agent key names no agent",
            )
        })
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// An agent key works only while its agent is on its tenant's roster (the serving tenant
/// file): removing the agent from the file ends every key of theirs at the next request,
/// with no revocation to forget.
fn on_roster(state: &AppState, tenant: Option<&str>, agent: Option<&str>) -> Result<(), ApiError> {
    let (Some(tenant), Some(agent)) = (tenant, agent) else {
        return Err(unauthorized("this agent key names no tenant or agent"));
    };
    let version = state
        .desk
        .tenants()
        .get(tenant)
        .ok_or_else(|| ApiError::from(DeskError::TenantUnavailable(tenant.to_string())))?;
    if version.config.agent(agent).is_some() {
        Ok(())
    } else {
        Err(unauthorized(
            "the key's agent is not on the tenant's roster (any more); it no longer works",
        ))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("missing `Authorization: Bearer <key>`"))?;
        let value = header
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text"))?;
        let secret = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <key>`"))?
            .trim();
        if secret.is_empty() || secret.len() > 200 {
            return Err(unauthorized("the key is not valid"));
        }
        let hash = hash_key(secret);
        let key = state
            .desk
            .store()
            .key_by_hash(&hash)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| unauthorized("the key is not valid (unknown)"))?;
        match key.state(state.desk.clock().now_ms()) {
            KeyState::Live => {}
            KeyState::Revoked => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "key_revoked",
                    "the key was revoked; it no longer works",
                ))
            }
            KeyState::Expired => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "key_expired",
                    "the key has expired; it no longer works",
                ))
            }
        }
        if key.role == KeyRole::Agent {
            on_roster(state, key.tenant.as_deref(), key.agent_id.as_deref())?;
        }
        Ok(Caller {
            tenant: key.tenant,
            role: key.role,
            agent_id: key.agent_id,
            key_id: key.id,
            key_hash: hash,
        })
    }
}
