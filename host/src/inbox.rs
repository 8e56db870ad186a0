//! The agent inbox: a small web page at `/inbox` for taking handoffs in a browser.
//!
//! Plain HTML, CSS and JavaScript embedded in the binary (no build step, no npm at run time,
//! no second server). The page talks only to the public API with the agent's key, which it
//! keeps in `sessionStorage`; the live queue comes from `GET /v1/events` read with `fetch()`
//! so the key travels in the `Authorization` header, never in a URL.

use crate::api::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const INDEX_HTML: &str = include_str!("inbox/index.html");
const INBOX_CSS: &str = include_str!("inbox/inbox.css");
const INBOX_JS: &str = include_str!("inbox/inbox.js");

/// Only this origin's scripts, styles and API; no framing; inline SVG icons as data URLs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file with its content type and a strong ETag.
struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: HeaderValue,
}

fn asset(body: &'static str, content_type: &'static str) -> Asset {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..12]));
    Asset {
        body,
        content_type,
        etag: HeaderValue::from_str(&etag).expect("hex is a valid header value"),
    }
}

fn assets() -> &'static [Asset; 3] {
    static ASSETS: OnceLock<[Asset; 3]> = OnceLock::new();
    ASSETS.get_or_init(|| {
        [
            asset(INDEX_HTML, "text/html; charset=utf-8"),
            asset(INBOX_CSS, "text/css; charset=utf-8"),
            asset(INBOX_JS, "text/javascript; charset=utf-8"),
        ]
    })
}

/// Serve an asset; revalidated on every load (`no-cache`) and answered with 304 when unchanged,
/// so a new binary's page is picked up at once and an unchanged one costs a round trip.
fn serve(a: &Asset, request: &HeaderMap) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        a.body.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(header::ETAG, a.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
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

/// The inbox's routes: `/inbox` (the page), `/inbox/inbox.css`, `/inbox/inbox.js`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(index))
        .route("/inbox/", get(|| async { Redirect::permanent("/inbox") }))
        .route("/inbox/inbox.css", get(css))
        .route("/inbox/inbox.js", get(js))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_assets_by_their_routes() {
        assert!(INDEX_HTML.contains("/inbox/inbox.css"));
        assert!(INDEX_HTML.contains("/inbox/inbox.js"));
    }

    #[test]
    fn an_unchanged_asset_is_not_sent_again() {
        let a = &assets()[1];
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, a.etag.clone());
        assert_eq!(serve(a, &h).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve(a, &HeaderMap::new()).status(), StatusCode::OK);
    }

    #[test]
    fn the_page_carries_no_inline_script() {
        // The CSP allows only 'self' scripts; an inline one would silently not run.
        assert!(!INDEX_HTML.contains("<script>"));
        assert!(!INDEX_HTML.contains(" onclick="));
    }
}
