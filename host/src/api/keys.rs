//! Keys by API: an operator key creates, lists and revokes any tenant's keys
//! (`/v1/admin/keys`), a tenant's manager key its own agents' keys (`/v1/keys`). Both go
//! through the rules `baton keys` uses (`store::keys`); a new key's secret is answered once,
//! and only its hash is stored. An agent key's agent must be on the roster of the tenant
//! version this host serves.

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::{Path, Query};
use super::AppState;
use crate::store::keys::{self, Authority, CreateKey, CreatedKey, KeyError};
use crate::store::{KeyRole, KeyRow};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::Router;
use serde::{Deserialize, Serialize};

/// The key routes (the route table merges them in one line).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/keys", get(admin_list).post(admin_create))
        .route("/v1/admin/keys/{id}", delete(admin_revoke))
        .route("/v1/keys", get(manager_list).post(manager_create))
        .route("/v1/keys/{id}", delete(manager_revoke))
}

/// The key operations of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    admin_create,
    admin_list,
    admin_revoke,
    manager_create,
    manager_list,
    manager_revoke
))]
pub(super) struct KeysDoc;

/// A stored key, never its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyView {
    /// Public id (the part of the secret after `bk_` up to the next `_`).
    id: String,
    /// The tenant (none for an operator key).
    tenant: Option<String>,
    /// `channel`, `agent`, `widget`, `manager` or `operator`.
    role: String,
    /// The agent of an agent key.
    agent_id: Option<String>,
    /// Created, ms since the epoch.
    created_ms: i64,
    /// When it stops working, ms since the epoch (none: never).
    expires_ms: Option<i64>,
    /// Revoked, ms since the epoch.
    revoked_ms: Option<i64>,
    /// `live`, `revoked` or `expired`, now.
    state: String,
}

impl KeyView {
    fn of(k: KeyRow, now_ms: i64) -> Self {
        KeyView {
            state: k.state(now_ms).as_str().to_string(),
            id: k.id,
            tenant: k.tenant,
            role: k.role.as_str().to_string(),
            agent_id: k.agent_id,
            created_ms: k.created_ms,
            expires_ms: k.expires_ms,
            revoked_ms: k.revoked_ms,
        }
    }
}

/// A key just made, with its secret: shown this once, never again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewKeyView {
    /// The key.
    #[serde(flatten)]
    key: KeyView,
    /// The bearer secret (`Authorization: Bearer <secret>`).
    secret: String,
}

/// The roles an operator gives a tenant's key by API (operator keys are made on the host).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantRole {
    /// A channel (web chat, SMS bridge).
    Channel,
    /// An agent or agent tool (needs `agent_id`).
    Agent,
    /// A web-chat widget's public key.
    Widget,
    /// The business owner.
    Manager,
}

impl From<TenantRole> for KeyRole {
    fn from(r: TenantRole) -> Self {
        match r {
            TenantRole::Channel => KeyRole::Channel,
            TenantRole::Agent => KeyRole::Agent,
            TenantRole::Widget => KeyRole::Widget,
            TenantRole::Manager => KeyRole::Manager,
        }
    }
}

/// Body of `POST /v1/admin/keys`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminKeyRequest {
    /// The tenant, served by this host.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    tenant: String,
    /// The key's role.
    role: TenantRole,
    /// The agent of an agent key, on the tenant's roster (only with role `agent`).
    #[schema(min_length = 1, max_length = 200)]
    agent_id: Option<String>,
    /// Seconds until the key stops working (1 to 315360000, ten years); default: never.
    #[serde(default, deserialize_with = "crate::handoff::whole::option")]
    #[schema(minimum = 1, maximum = 315360000)]
    expires_in_secs: Option<u64>,
}

/// Body of `POST /v1/keys`: an agent key of the manager's tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentKeyRequest {
    /// The agent, on the tenant's roster.
    #[schema(min_length = 1, max_length = 200)]
    agent_id: String,
    /// Seconds until the key stops working (1 to 315360000, ten years); default: never.
    #[serde(default, deserialize_with = "crate::handoff::whole::option")]
    #[schema(minimum = 1, maximum = 315360000)]
    expires_in_secs: Option<u64>,
}

/// Query of `GET /v1/admin/keys`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AdminListQuery {
    /// Only this tenant's keys (default: every key, operator keys too).
    #[param(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    tenant: Option<String>,
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Invalid { field, message } => ApiError::invalid(field, message),
            KeyError::NotFound(_) => ApiError::not_found("live key"),
            KeyError::Store(e) => e.into(),
        }
    }
}

/// Tenants as this host serves them: a key's tenant must be one, an agent key's agent on
/// the serving version's roster (the same check every agent request meets).
struct Serving<'a>(&'a crate::tenants::Tenants);

impl keys::Tenants for Serving<'_> {
    fn check(&self, tenant: &str, agent: Option<&str>) -> Result<(), KeyError> {
        let invalid = |field, message: String| KeyError::Invalid { field, message };
        let version = self
            .0
            .get(tenant)
            .ok_or_else(|| invalid("tenant", format!("no tenant `{tenant}` on this host")))?;
        match agent {
            Some(a) if version.config.agent(a).is_none() => Err(invalid(
                "agent_id",
                format!(
                    "`{}` is not on the roster of `{tenant}`",
                    a.chars().take(64).collect::<String>()
                ),
            )),
            _ => Ok(()),
        }
    }
}

async fn created(
    state: &AppState,
    by: Authority<'_>,
    req: CreateKey,
) -> Result<(StatusCode, axum::Json<NewKeyView>), ApiError> {
    let now = state.desk.clock().now_ms();
    let tenants = Serving(state.desk.tenants());
    let CreatedKey { row, secret } =
        keys::create(state.desk.store().as_ref(), by, &tenants, req, now).await?;
    let key = KeyView::of(row, now);
    tracing::info!(key = %key.id, role = %key.role, tenant = ?key.tenant, "key created by API");
    Ok((StatusCode::CREATED, axum::Json(NewKeyView { key, secret })))
}

async fn revoked(
    state: &AppState,
    by: Authority<'_>,
    id: &str,
) -> Result<axum::Json<KeyView>, ApiError> {
    let now = state.desk.clock().now_ms();
    let row = keys::revoke(state.desk.store().as_ref(), by, id, now).await?;
    tracing::info!(key = %row.id, "key revoked by API");
    Ok(axum::Json(KeyView::of(row, now)))
}

async fn listed(
    state: &AppState,
    by: Authority<'_>,
    tenant: Option<&str>,
) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    let now = state.desk.clock().now_ms();
    let rows = keys::list(state.desk.store().as_ref(), by, tenant).await?;
    Ok(axum::Json(
        rows.into_iter().map(|k| KeyView::of(k, now)).collect(),
    ))
}

/// The manager's tenant.
fn manager(caller: &Caller) -> Result<&str, ApiError> {
    caller.require(&[KeyRole::Manager])?;
    caller.tenant()
}

/// Create a key for a tenant (operator key); the answer carries its secret, once.
/// `agent_id` goes with role `agent` only, and names an agent on the tenant's roster;
/// the tenant must be one this host serves (else 422 naming the field).
#[utoipa::path(
    post, path = "/v1/admin/keys", tag = "keys", operation_id = "create_key",
    request_body = AdminKeyRequest,
    responses((status = 201, body = NewKeyView), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["operator"]))
)]
pub async fn admin_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<AdminKeyRequest>,
) -> Result<(StatusCode, axum::Json<NewKeyView>), ApiError> {
    caller.require(&[KeyRole::Operator])?;
    let req = CreateKey {
        tenant: Some(body.tenant),
        role: body.role.into(),
        agent_id: body.agent_id,
        expires_in_secs: body.expires_in_secs,
    };
    created(&state, Authority::Operator, req).await
}

/// Every key, or one tenant's (operator key); never a secret.
#[utoipa::path(
    get, path = "/v1/admin/keys", tag = "keys", operation_id = "list_keys", params(AdminListQuery),
    responses((status = 200, body = Vec<KeyView>), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["operator"]))
)]
pub async fn admin_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AdminListQuery>,
) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    caller.require(&[KeyRole::Operator])?;
    listed(&state, Authority::Operator, q.tenant.as_deref()).await
}

/// Revoke a key (operator key): it answers 401 `key_revoked` from then on, on every host
/// sharing the store, and its live streams end. 404 when no live key has this id.
#[utoipa::path(
    delete, path = "/v1/admin/keys/{id}", tag = "keys", operation_id = "revoke_key",
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 200, body = KeyView), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
              (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["operator"]))
)]
pub async fn admin_revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<KeyView>, ApiError> {
    caller.require(&[KeyRole::Operator])?;
    revoked(&state, Authority::Operator, &id).await
}

/// Create an agent key for one of the manager's own agents (manager key); the answer
/// carries its secret, once. The agent must be on the tenant's roster (else 422 naming
/// `agent_id`).
#[utoipa::path(
    post, path = "/v1/keys", tag = "keys", operation_id = "create_agent_key",
    request_body = AgentKeyRequest,
    responses((status = 201, body = NewKeyView), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["manager"]))
)]
pub async fn manager_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<AgentKeyRequest>,
) -> Result<(StatusCode, axum::Json<NewKeyView>), ApiError> {
    let tenant = manager(&caller)?;
    let req = CreateKey {
        tenant: Some(tenant.to_string()),
        role: KeyRole::Agent,
        agent_id: Some(body.agent_id),
        expires_in_secs: body.expires_in_secs,
    };
    created(&state, Authority::Manager(tenant), req).await
}

/// The agent keys of the manager's tenant (manager key); never a secret.
#[utoipa::path(
    get, path = "/v1/keys", tag = "keys", operation_id = "list_agent_keys",
    responses((status = 200, body = Vec<KeyView>), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody)),
    security(("bearer" = ["manager"]))
)]
pub async fn manager_list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    let tenant = manager(&caller)?;
    listed(&state, Authority::Manager(tenant), None).await
}

/// Revoke one of the tenant's agent keys (manager key). 404 when no live agent key of the
/// tenant has this id (another tenant's key, or any other role, is not found).
#[utoipa::path(
    delete, path = "/v1/keys/{id}", tag = "keys", operation_id = "revoke_agent_key",
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 200, body = KeyView), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
              (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["manager"]))
)]
pub async fn manager_revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<KeyView>, ApiError> {
    let tenant = manager(&caller)?;
    revoked(&state, Authority::Manager(tenant), &id).await
}
