//! `GET /v1/events`: the tenant's handoff lifecycle as Server-Sent Events, resumable with
//! `Last-Event-ID`.

use super::auth::Caller;
use super::error::ApiError;
use super::extract::Query;
use super::live::KeyCheck;
use super::AppState;
use crate::handoff::Desk;
use crate::store::{EventRow, KeyRole};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

/// Where to start.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Start after this event id (as `Last-Event-ID`); default: only new events.
    after: Option<i64>,
}

struct Cursor {
    desk: Desk,
    tenant: String,
    /// The stream's key: the stream ends when it is revoked or its agent leaves the roster.
    key: KeyCheck,
    last: i64,
    pending: VecDeque<EventRow>,
    changed: tokio::sync::watch::Receiver<u64>,
    closing: tokio::sync::watch::Receiver<bool>,
}

/// The live stream of the tenant's lifecycle events (`handoff.opened`, `handoff.offered`,
/// `handoff.accepted`, `handoff.message`, ...). Each SSE `id` is the event id. The stream
/// ends within seconds of its key's revocation (on any host), or when an agent key's agent
/// leaves the roster.
#[utoipa::path(
    get, path = "/v1/events", tag = "events", operation_id = "stream_events", params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, pattern = "^-?[0-9]{1,18}$", description = "Resume after this event id (a whole number)")),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(&[KeyRole::Agent, KeyRole::Channel])?;
    let tenant = caller.tenant()?.to_string();
    let from_header = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::invalid("Last-Event-ID", "the id must be a whole number")
                })?,
        ),
    };
    let last = match from_header.or(q.after) {
        Some(id) => id.max(0),
        // Only what happens from now on.
        None => {
            let mut last = 0;
            loop {
                let batch = state.desk.store().events_after(&tenant, last, 1000).await?;
                match batch.last() {
                    Some(e) => last = e.id,
                    None => break,
                }
            }
            last
        }
    };
    let cursor = Cursor {
        changed: state.desk.subscribe(),
        closing: state.desk.closing(),
        key: KeyCheck::new(&state.desk, &caller),
        desk: state.desk.clone(),
        tenant,
        last,
        pending: VecDeque::new(),
    };
    let events = stream::unfold(cursor, |mut c| async move {
        loop {
            // The host is shutting down: end the stream so the server can exit; clients
            // resume with Last-Event-ID on the next host. A revoked key ends it for good.
            if *c.closing.borrow() || !c.key.holds().await {
                return None;
            }
            if let Some(e) = c.pending.pop_front() {
                c.last = e.id;
                let data = serde_json::json!({"id": e.id, "type": e.kind, "handoff_id": e.handoff_id, "conversation_id": e.conversation_id, "at_ms": e.at_ms, "data": e.data});
                let event = Event::default()
                    .id(e.id.to_string())
                    .event(e.kind.clone())
                    .data(data.to_string());
                return Some((Ok(event), c));
            }
            match c.desk.store().events_after(&c.tenant, c.last, 100).await {
                Ok(batch) if !batch.is_empty() => c.pending.extend(batch),
                Ok(_) => {
                    // Wait for a commit on this host, or poll now and then for other hosts'.
                    tokio::select! {
                        _ = tokio::time::timeout(Duration::from_secs(1), c.changed.changed()) => {}
                        _ = c.closing.changed() => {}
                        _ = tokio::time::sleep_until(c.key.due()) => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event stream read failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(Sse::new(super::with_retry(events))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
