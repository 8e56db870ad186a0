//! The web-chat widget: one `<script src="https://baton.example/widget.js" data-key="...">`
//! tag a business pastes into its site, its stylesheet, and the `/demo` site that shows it
//! with the scripted demo bot. Embedded in the binary like the inbox.
//!
//! A widget key (role `widget`) is public by design: it can only open widget sessions. A
//! session is a fresh conversation id and a random token; the token's hash is kept in the
//! store's idempotency table under `widget-session:{conversation}` (durable, tenant-scoped,
//! write-once), and every widget call presents key and token, so a session reaches only
//! its own conversation.

use crate::api::asset::Asset;
use crate::api::AppState;
use crate::store::{hash_key, SharedStore, StoreError, StoredResponse, WriteSet};
use axum::extract::{Query, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rand::RngCore;
use serde::Deserialize;
use std::sync::OnceLock;

/// The header carrying a widget session's token.
pub const SESSION_HEADER: &str = "x-baton-session";

const WIDGET_JS: &str = include_str!("widget/widget.js");
const WIDGET_CSS: &str = include_str!("widget/widget.css");
const DEMO_HTML: &str = include_str!("widget/demo.html");
const DEMO_CSS: &str = include_str!("widget/demo.css");

/// The demo page loads only this origin's script, style and API.
const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

/// CORS for the widget API: any site may call it (with no cookies), since the widget runs
/// on the business's own origin and every call carries its key and token.
pub async fn cors(request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type, x-baton-session"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn assets() -> &'static [Asset; 3] {
    static ASSETS: OnceLock<[Asset; 3]> = OnceLock::new();
    ASSETS.get_or_init(|| {
        [
            Asset::new(WIDGET_JS, "text/javascript; charset=utf-8"),
            Asset::new(WIDGET_CSS, "text/css; charset=utf-8"),
            Asset::new(DEMO_CSS, "text/css; charset=utf-8"),
        ]
    })
}

/// A static asset any site may load.
fn serve(a: &Asset, request: &HeaderMap) -> Response {
    let mut response = a.serve(request);
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

#[derive(Deserialize)]
struct DemoQuery {
    key: Option<String>,
}

/// Whether `k` has the shape of a Baton key (so it can go into the page as it is).
fn key_shaped(k: &str) -> bool {
    (10..=200).contains(&k.len())
        && k.starts_with("bk_")
        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `/demo?key=WIDGET_KEY`: a small plumbing company's site with the widget on it.
async fn demo(Query(q): Query<DemoQuery>) -> Response {
    let key = q.key.filter(|k| key_shaped(k));
    let (widget, note) = match &key {
        Some(k) => (
            format!("<script src=\"/widget.js\" data-key=\"{k}\" data-title=\"Acme Plumbing\"></script>"),
            "",
        ),
        None => (
            String::new(),
            "<p class=\"note\" id=\"no-key\">Add <code>?key=</code> and a widget key to this page's address \
             (<code>baton keys create --tenant acme-plumbing --role widget</code>; <code>scripts/demo</code> prints the full link).</p>",
        ),
    };
    let html = DEMO_HTML
        .replace("<!--WIDGET-->", &widget)
        .replace("<!--NOTE-->", note);
    let mut response = html.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DEMO_CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// `/widget.js`, `/widget.css`, `/demo`, `/demo.css`.
pub fn asset_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/widget.js",
            get(|h: HeaderMap| async move { serve(&assets()[0], &h) }),
        )
        .route(
            "/widget.css",
            get(|h: HeaderMap| async move { serve(&assets()[1], &h) }),
        )
        .route(
            "/demo.css",
            get(|h: HeaderMap| async move { serve(&assets()[2], &h) }),
        )
        .route("/demo", get(demo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_page_has_its_slots_and_no_inline_script() {
        assert!(DEMO_HTML.contains("<!--WIDGET-->"));
        assert!(DEMO_HTML.contains("<!--NOTE-->"));
        assert!(!DEMO_HTML.contains("<script>"));
        assert!(WIDGET_JS.contains("/v1/widget/sessions"));
    }

    #[test]
    fn only_key_shaped_values_reach_the_page() {
        assert!(key_shaped("bk_0123456789ab_0123456789abcdef"));
        assert!(!key_shaped("bk_x\"><script>alert(1)</script>"));
        assert!(!key_shaped("short"));
    }
}
