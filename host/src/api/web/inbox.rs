//! The agent inbox: a small web page at `/inbox` for taking handoffs in a browser.
//!
//! Plain HTML, CSS and JavaScript embedded in the binary (no build step, no npm at run time,
//! no second server). The page talks only to the public API with the agent's key, which it
//! keeps in `sessionStorage`; the live queue comes from `GET /v1/events` read with `fetch()`
//! so the key travels in the `Authorization` header, never in a URL.
//!
//! `/inbox/accept` is the page an agent's alert links to (`#` and a one-time token after
//! it): it shows the offer and accepts it through `/v1/accept-links/{token}`, no key needed,
//! so an on-call agent who is not signed in can take an emergency from their phone.

use super::asset::Asset;
use crate::api::AppState;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::sync::OnceLock;

const INDEX_HTML: &str = include_str!("inbox/index.html");
const INBOX_CSS: &str = include_str!("inbox/inbox.css");
const INBOX_JS: &str = include_str!("inbox/inbox.js");
const ACCEPT_HTML: &str = include_str!("inbox/accept.html");
const ACCEPT_JS: &str = include_str!("inbox/accept.js");

/// Only this origin's scripts, styles and API; no framing; inline SVG icons as data URLs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn assets() -> &'static [Asset; 5] {
    static ASSETS: OnceLock<[Asset; 5]> = OnceLock::new();
    ASSETS.get_or_init(|| {
        [
            Asset::new(INDEX_HTML, "text/html; charset=utf-8"),
            Asset::new(INBOX_CSS, "text/css; charset=utf-8"),
            Asset::new(INBOX_JS, "text/javascript; charset=utf-8"),
            Asset::new(ACCEPT_HTML, "text/html; charset=utf-8"),
            Asset::new(ACCEPT_JS, "text/javascript; charset=utf-8"),
        ]
    })
}

/// Serve an inbox asset with the page's policy: only this origin, no framing, no referrer.
fn serve(a: &Asset, request: &HeaderMap) -> Response {
    let mut response = a.serve(request);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn index(headers: HeaderMap) -> Response {
    serve(&assets()[0], &headers)
}

async fn css(headers: HeaderMap) -> Response {
    serve(&assets()[1], &headers)
}

async fn js(headers: HeaderMap) -> Response {
    serve(&assets()[2], &headers)
}

async fn accept_page(headers: HeaderMap) -> Response {
    serve(&assets()[3], &headers)
}

async fn accept_js(headers: HeaderMap) -> Response {
    serve(&assets()[4], &headers)
}

/// The inbox's routes: `/inbox` (the page), `/inbox/inbox.css`, `/inbox/inbox.js`, and the
/// accept page `/inbox/accept` with `/inbox/accept.js`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(index))
        .route("/inbox/", get(|| async { Redirect::permanent("/inbox") }))
        .route("/inbox/inbox.css", get(css))
        .route("/inbox/inbox.js", get(js))
        .route("/inbox/accept", get(accept_page))
        .route("/inbox/accept.js", get(accept_js))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn the_page_names_its_assets_by_their_routes() {
        assert!(INDEX_HTML.contains("/inbox/inbox.css"));
        assert!(INDEX_HTML.contains("/inbox/inbox.js"));
        assert!(ACCEPT_HTML.contains("/inbox/inbox.css"));
        assert!(ACCEPT_HTML.contains("/inbox/accept.js"));
    }

    #[test]
    fn inbox_assets_carry_the_page_policy() {
        let r = serve(&assets()[2], &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(r.headers()[header::X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn the_page_carries_no_inline_script() {
        // The CSP allows only 'self' scripts; an inline one would silently not run.
        for page in [INDEX_HTML, ACCEPT_HTML] {
            assert!(!page.contains("<script>"));
            assert!(!page.contains(" onclick="));
        }
    }
}
