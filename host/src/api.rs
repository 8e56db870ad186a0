//! The HTTP API: one uniform handoff API for channels and agent tools.

mod accept_links;
mod admin;
mod agents;
mod auth;
mod conversations;
mod error;
mod events;
mod extract;
mod handoffs;
mod headers;
mod keys;
mod limits;
mod live;
mod me;
mod metrics;
mod nul;
mod report;
mod schema_rules;
mod sms;
mod web;
mod widget;

pub use error::ApiError;

use crate::handoff::Desk;
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::Arc;
use utoipa::OpenApi;

/// Largest request body accepted, bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// How long an SSE client waits before it reconnects: each stream opens with this `retry:`
/// field, so `EventSource` clients neither hammer a restarting host nor wait its default.
pub(crate) const SSE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// A stream of SSE events, opened by the `retry:` field.
pub(crate) fn with_retry<S>(
    events: S,
) -> impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>
where
    S: futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
{
    use futures_util::StreamExt;
    let first = axum::response::sse::Event::default().retry(SSE_RETRY);
    futures_util::stream::once(async move { Ok(first) }).chain(events)
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The handoff service.
    pub desk: Desk,
    /// This host's id.
    pub host_id: Arc<str>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Baton handoff API", description = "Ingest conversation events, decide and route handoffs, and run them to a close."),
    paths(
        conversations::post_event, conversations::get_conversation,
        handoffs::list, handoffs::get, handoffs::accept, handoffs::decline, handoffs::reply, handoffs::resolve, handoffs::handback, handoffs::abandon,
        accept_links::get, accept_links::accept,
        agents::put_presence, me::me, events::stream, admin::tenants, report::get, report::html, metrics::get, healthz
    ),
    components(schemas(crate::store::EventRow)),
    modifiers(&Security)
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The channels' endpoints: the web-chat widget and the SMS bridge.
#[derive(OpenApi)]
#[openapi(paths(
    widget::open_session,
    widget::post_message,
    widget::stream,
    widget::leave::leave,
    sms::inbound
))]
struct ChannelsDoc;

/// The OpenAPI document, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(ChannelsDoc::openapi());
    doc.merge(keys::KeysDoc::openapi());
    utoipa::Modify::modify(&extract::ExtractorErrors, &mut doc);
    utoipa::Modify::modify(&schema_rules::SchemaRules, &mut doc);
    doc
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Object)))]
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}

/// A known path with a method it does not have: 405 with a JSON body (axum's is empty).
/// Routers apply it before their own layers (see `widget::routes`) so a layer such as CORS
/// still sees every request.
pub(crate) async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("`{}` does not take `{method}`", uri.path()),
    )
}

async fn fallback(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for `{}`", uri.path()),
    )
}

/// The router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi_json))
        .route(
            "/v1/conversations/{id}/events",
            post(conversations::post_event),
        )
        .route(
            "/v1/conversations/{id}",
            get(conversations::get_conversation),
        )
        .route("/v1/handoffs", get(handoffs::list))
        .route("/v1/handoffs/{id}", get(handoffs::get))
        .route("/v1/handoffs/{id}/accept", post(handoffs::accept))
        .route("/v1/handoffs/{id}/decline", post(handoffs::decline))
        .route("/v1/handoffs/{id}/messages", post(handoffs::reply))
        .route("/v1/handoffs/{id}/resolve", post(handoffs::resolve))
        .route("/v1/handoffs/{id}/handback", post(handoffs::handback))
        .route("/v1/accept-links/{token}", get(accept_links::get))
        .route(
            "/v1/accept-links/{token}/accept",
            post(accept_links::accept),
        )
        .route("/v1/handoffs/{id}/abandon", post(handoffs::abandon))
        .route("/v1/agents/{id}/presence", put(agents::put_presence))
        .route("/v1/me", get(me::me))
        .route("/v1/events", get(events::stream))
        .route("/v1/admin/tenants", get(admin::tenants))
        .route("/v1/report", get(report::get))
        .route("/v1/report/html", get(report::html))
        .route("/metrics", get(metrics::get))
        .route("/v1/sms/twilio/{tenant}", post(sms::inbound))
        .merge(widget::routes())
        .merge(keys::routes())
        .merge(web::inbox::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(fallback)
        .layer(axum::middleware::from_fn(headers::layer))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::Extension(std::sync::Arc::new(
            limits::RateLimits::new(state.desk.clock().clone()),
        )))
        .with_state(state)
}
