//! The web-chat widget's API (widget keys): open a session, post the customer's messages
//! to its conversation, and stream that conversation. See `channels/widget.rs` (sessions) and `api/web/widget.rs` (its files).

pub(super) mod leave;

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::{Path, Query};
use super::limits::{ClientAddr, Limits, Refused, Scope};
use super::live::KeyCheck;
use super::AppState;
use crate::channels::widget;
use crate::handoff::{self, WidgetTurn};
use crate::store::{ConversationWatch, HandoffState, KeyRole};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::Router;
use futures_util::stream::{self, Stream};
use leave::leave;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

/// A new widget session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WidgetSession {
    /// The conversation this session may use.
    pub conversation_id: String,
    /// Its token, for the `X-Baton-Session` header (shown once).
    pub token: String,
    /// The business's name.
    pub business: String,
}

/// Open a session: a new conversation for one visitor (widget key).
#[utoipa::path(
    post, path = "/v1/widget/sessions", tag = "widget",
    responses((status = 201, body = WidgetSession), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 429, description = "This client address made more than the tenant's `[limits] widget_ip_requests_per_minute`", body = super::error::ErrorBody,
               headers(("Retry-After" = u64, description = "Seconds until it may try again"))),
              (status = 503, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn open_session(
    State(state): State<AppState>,
    axum::Extension(limits): Limits,
    ClientAddr(addr): ClientAddr,
    caller: Caller,
) -> Result<(StatusCode, axum::Json<WidgetSession>), Refused> {
    caller.require(&[KeyRole::Widget])?;
    let tenant = caller.tenant()?;
    let version = state.desk.version(tenant)?;
    if let Some(addr) = addr {
        let per_minute = version.config.limits.widget_ip_requests_per_minute;
        limits.check(Scope::Address, per_minute, tenant, &addr.to_string())?;
    }
    let (conversation_id, token) = widget::open_session(state.desk.store(), tenant).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(WidgetSession {
            conversation_id,
            token,
            business: version.config.name.clone(),
        }),
    ))
}

/// The widget key's tenant, once the session token of `id` checks out.
async fn session_tenant<'a>(
    state: &AppState,
    caller: &'a Caller,
    id: &str,
    headers: &HeaderMap,
) -> Result<&'a str, ApiError> {
    caller.require(&[KeyRole::Widget])?;
    let tenant = caller.tenant()?;
    let token = headers
        .get(widget::SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if widget::session_matches(state.desk.store(), tenant, id, token).await? {
        Ok(tenant)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this session may not use this conversation (missing or wrong `X-Baton-Session`)",
        ))
    }
}

/// Who the visitor says they are (optional, sent with a message).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Visitor {
    /// Their name (not blank; longer than 100 characters is cut).
    #[schema(pattern = "\\S")]
    pub name: String,
    /// Their email.
    #[serde(default)]
    pub email: Option<String>,
    /// Their phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// A customer's message from the widget.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetMessage {
    /// What the customer wrote (not blank; at most 8,000 bytes).
    #[schema(pattern = "\\S", max_length = 8000)]
    pub text: String,
    /// Who they are, when the page knows.
    #[serde(default)]
    pub customer: Option<Visitor>,
}

/// What happened to a message.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WidgetPosted {
    /// The stored message's position.
    pub seq: i64,
    /// Whether a person has been asked for (the stream carries the notice).
    pub handoff_open: bool,
    /// The bot's answer, when the bot has the conversation and answered.
    pub bot: Option<String>,
}

/// Post the customer's message; while the bot has the conversation, the tenant's bot hook
/// answers and its turn is recorded.
#[utoipa::path(
    post, path = "/v1/widget/conversations/{id}/messages", tag = "widget",
    params(("id" = String, Path), ("X-Baton-Session" = String, Header, description = "The session token")),
    request_body = WidgetMessage,
    responses((status = 201, body = WidgetPosted), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody),
              (status = 422, description = "A field is invalid (named in `error.field`): e.g. `text` longer than the tenant's `[limits] max_message_bytes`, or `id` when the conversation already holds `max_conversation_messages`", body = super::error::ErrorBody),
              (status = 429, description = "The session sent more than the tenant's `[limits] widget_messages_per_minute`, or its address more than `widget_ip_requests_per_minute`; nothing was stored", body = super::error::ErrorBody,
               headers(("Retry-After" = u64, description = "Seconds until it may send again"))),
              (status = 503, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn post_message(
    State(state): State<AppState>,
    axum::Extension(limits): Limits,
    ClientAddr(addr): ClientAddr,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<WidgetMessage>,
) -> Result<(StatusCode, axum::Json<WidgetPosted>), Refused> {
    let tenant = session_tenant(&state, &caller, &id, &headers).await?;
    let desk = &state.desk;
    let quota = desk.version(tenant)?.config.limits;
    if let Some(addr) = addr {
        let per_minute = quota.widget_ip_requests_per_minute;
        limits.check(Scope::Address, per_minute, tenant, &addr.to_string())?;
    }
    limits.check(
        Scope::Session,
        quota.widget_messages_per_minute,
        tenant,
        &id,
    )?;
    let turn = WidgetTurn {
        text: body.text,
        visitor: body.customer.map(|v| handoff::Visitor {
            name: v.name,
            email: v.email,
            phone: v.phone,
        }),
    };
    let taken = desk.widget_turn(tenant, &id, turn).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(WidgetPosted {
            seq: taken.seq,
            handoff_open: taken.handoff_open,
            bot: taken.bot,
        }),
    ))
}

/// Where to start the stream.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Send messages from this position on (default 0: all of them).
    from: Option<i64>,
}

struct Cursor {
    state: AppState,
    tenant: String,
    id: String,
    next: i64,
    shown: Option<serde_json::Value>,
    pending: VecDeque<Event>,
    /// The stream's key: the stream ends when it is revoked.
    key: KeyCheck,
    /// Commits on this host to this conversation (and no other).
    watch: ConversationWatch,
    /// Whether something may have changed since the last look.
    stale: bool,
    /// A shared store: other hosts' writes are not watched, so look again at every key
    /// check too.
    shared: bool,
    closing: tokio::sync::watch::Receiver<bool>,
}

impl Cursor {
    /// Queue what changed since the last look: new messages, and who has the conversation.
    async fn look(&mut self) -> Result<(), ApiError> {
        let desk = &self.state.desk;
        let store = desk.store();
        let version = desk.version(&self.tenant)?;
        let config = &version.config;
        desk.metrics().widget_stream_read(&self.tenant);
        for m in store
            .messages_from(&self.tenant, &self.id, self.next)
            .await?
        {
            if m.seq < self.next {
                continue;
            }
            self.next = m.seq + 1;
            let agent_name = m
                .agent_id
                .as_deref()
                .and_then(|a| config.agent(a))
                .map(|a| a.first_name().to_string());
            let notice = m
                .message
                .intent
                .as_deref()
                .filter(|_| m.message.role == baton_plugin_sdk::Role::System)
                .and_then(|i| i.strip_prefix("notice."));
            let data = serde_json::json!({"seq": m.seq, "role": m.message.role, "text": m.message.text,
                "at_ms": m.message.at_ms, "agent_name": agent_name, "notice": notice});
            self.pending.push_back(
                Event::default()
                    .id(m.seq.to_string())
                    .event("message")
                    .data(data.to_string()),
            );
        }
        let open = store.open_handoff(&self.tenant, &self.id).await?;
        let now = match &open {
            None => serde_json::json!({"with": "bot"}),
            Some(h) if h.state == HandoffState::Accepted => {
                let name = h.accepted_by.as_deref().and_then(|a| config.agent(a));
                serde_json::json!({"with": "agent", "agent_name": name.map(|a| a.first_name()), "business": config.name})
            }
            Some(_) => serde_json::json!({"with": "waiting"}),
        };
        if self.shown.as_ref() != Some(&now) {
            self.pending
                .push_back(Event::default().event("state").data(now.to_string()));
            self.shown = Some(now);
        }
        Ok(())
    }
}

/// The session's conversation, live: `message` events (customer, bot, agent and notice
/// messages; agents by first name), each once and in order from `from`, and `state` events
/// (`bot`, `waiting`, `agent`) when who has the conversation changes. The stream wakes only
/// for commits to this conversation and ends within seconds of the widget key's revocation.
#[utoipa::path(
    get, path = "/v1/widget/conversations/{id}/stream", tag = "widget", operation_id = "stream_widget_conversation",
    params(("id" = String, Path), StreamQuery, ("X-Baton-Session" = String, Header, description = "The session token")),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let tenant = session_tenant(&state, &caller, &id, &headers)
        .await?
        .to_string();
    let cursor = Cursor {
        key: KeyCheck::new(&state.desk, &caller),
        watch: state.desk.watch_conversation(&tenant, &id),
        stale: true,
        shared: state.desk.store().backend() != "sqlite",
        closing: state.desk.closing(),
        state,
        tenant,
        id,
        next: q.from.unwrap_or(0).max(0),
        shown: None,
        pending: VecDeque::new(),
    };
    let events = stream::unfold(cursor, |mut c| async move {
        loop {
            if *c.closing.borrow() || !c.key.holds().await {
                return None;
            }
            if let Some(e) = c.pending.pop_front() {
                return Some((Ok(e), c));
            }
            if c.stale {
                // Seen before reading: a commit after this wakes the wait below at once.
                c.watch.mark_seen();
                c.stale = false;
                if let Err(e) = c.look().await {
                    tracing::warn!(error = %e.message, "widget stream read failed; retrying");
                    c.stale = true;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                continue;
            }
            c.stale = tokio::select! {
                _ = c.watch.changed() => true,
                _ = c.closing.changed() => false,
                _ = tokio::time::sleep_until(c.key.due()) => c.shared,
            };
        }
    });
    Ok(Sse::new(super::with_retry(events))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The widget's routes: its API (open to any origin) and its assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/widget/sessions", post(open_session))
        .route("/v1/widget/conversations/{id}/messages", post(post_message))
        .route("/v1/widget/conversations/{id}/stream", get(stream))
        .route("/v1/widget/conversations/{id}/leave", post(leave))
        .method_not_allowed_fallback(super::method_not_allowed)
        .layer(axum::middleware::from_fn(super::web::widget::cors))
        .merge(super::web::widget::asset_routes())
}
