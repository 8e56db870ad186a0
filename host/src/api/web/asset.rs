//! Files embedded in the binary and served with a strong ETag: revalidated on every load
//! (`no-cache`) and answered with 304 when unchanged, so a new binary's files are picked up
//! at once and an unchanged one costs a round trip. Used by the inbox and the widget.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file with its content type and a strong ETag.
pub struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    /// An asset whose ETag is a hash of its bytes.
    pub fn new(body: &'static str, content_type: &'static str) -> Asset {
        let digest = Sha256::digest(body.as_bytes());
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Asset {
            body,
            content_type,
            etag,
        }
    }

    /// The file's ETag.
    #[cfg(test)]
    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    /// The response to `request`: the body, or 304 when the client has this version; with
    /// its content type, ETag, `no-cache` and `nosniff`. Callers add their own policy headers.
    pub fn serve(&self, request: &HeaderMap) -> Response {
        let fresh = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == self.etag));
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            self.body.into_response()
        };
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        h.insert(header::ETAG, self.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_asset_is_not_sent_again() {
        let a = Asset::new("body { color: red }", "text/css; charset=utf-8");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, a.etag().clone());
        assert_eq!(a.serve(&h).status(), StatusCode::NOT_MODIFIED);
        let full = a.serve(&HeaderMap::new());
        assert_eq!(full.status(), StatusCode::OK);
        assert_eq!(full.headers()[header::ETAG], *a.etag());
    }
}
