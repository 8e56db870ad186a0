//! The web-chat widget's files: one `<script src="https://baton.example/widget.js" data-key="...">`
//! tag a business pastes into its site, its stylesheet, the CORS layer of the widget API, and
//! the `/demo` site that shows it with the scripted demo bot (only for tenants that enable
//! it: `[widget] demo_page = true`). Embedded in the binary like the
//! inbox. Sessions are `channels/widget.rs`.

use super::asset::Asset;
use crate::api::AppState;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::OnceLock;

const WIDGET_JS: &str = include_str!("widget/widget.js");
const WIDGET_CSS: &str = include_str!("widget/widget.css");
const DEMO_HTML: &str = include_str!("widget/demo.html");
const DEMO_CSS: &str = include_str!("widget/demo.css");

/// The demo page loads only this origin's script, style and API.
const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

/// Whether `/demo` is served: with a key, only for a live widget key of a tenant whose file
/// says `[widget] demo_page = true`; without one (the page that says how to add one), only
/// when some tenant on this host enables it. A host whose tenants don't answers as for any
/// unknown path.
async fn demo_enabled(state: &AppState, key: Option<&str>) -> bool {
    let tenants = state.desk.tenants();
    let enables = |t: &str| tenants.get(t).is_some_and(|v| v.config.widget.demo_page);
    let Some(k) = key else {
        return tenants.ids().iter().any(|t| enables(t));
    };
    match state
        .desk
        .store()
        .key_by_hash(&crate::store::hash_key(k))
        .await
    {
        Ok(Some(row))
            if row.role == crate::store::KeyRole::Widget
                && row.state(state.desk.clock().now_ms()) == crate::store::KeyState::Live =>
        {
            row.tenant.as_deref().is_some_and(enables)
        }
        _ => false,
    }
}

/// `/demo?key=WIDGET_KEY`: a small plumbing company's site with the widget on it.
async fn demo(State(state): State<AppState>, Query(q): Query<DemoQuery>) -> Response {
    let key = q.key.filter(|k| key_shaped(k));
    if !demo_enabled(&state, key.as_deref()).await {
        return crate::api::ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no route for `/demo`",
        )
        .into_response();
    }
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
