//! Headers every answer of the API carries, set in one layer so no handler can forget them:
//! a `WWW-Authenticate` challenge on a 401 (RFC 6750: `error="invalid_token"` when a key was
//! presented), and `Cache-Control: no-store` on everything under `/v1/`, where answers hold
//! conversations, customers' details and keys' secrets that no browser or proxy may keep.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The challenge of a request that presented no key.
const CHALLENGE: &str = "Bearer realm=\"baton\"";
/// The challenge of a request whose key is unknown, revoked or no longer valid.
const CHALLENGE_INVALID: &str = "Bearer realm=\"baton\", error=\"invalid_token\"";

/// The layer (`axum::middleware::from_fn`).
pub(crate) async fn layer(request: Request, next: Next) -> Response {
    let presented = request.headers().contains_key(header::AUTHORIZATION);
    let private = request.uri().path().starts_with("/v1/");
    let mut response = next.run(request).await;
    let unauthorized = response.status() == StatusCode::UNAUTHORIZED;
    let h = response.headers_mut();
    if unauthorized && !h.contains_key(header::WWW_AUTHENTICATE) {
        let challenge = if presented {
            CHALLENGE_INVALID
        } else {
            CHALLENGE
        };
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
