//! One HTTP/1.1 keep-alive connection to a host, on hyper's client connection (no pool, no
//! URL parsing per request: the generator's own CPU competes with the server's).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};

/// Where a host listens: `http://host:port`, nothing after it.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`, to connect to and to send as `Host`.
    pub authority: String,
    host_header: HeaderValue,
}

impl Target {
    /// Parse `http://host:port` (a trailing `/` is allowed; `https` is not supported).
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("`{url}`: only http://host:port is supported"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!(
                "`{url}`: give the host's root, e.g. http://127.0.0.1:8080"
            ));
        }
        Ok(Target {
            authority: authority.to_string(),
            host_header: HeaderValue::from_str(authority)
                .map_err(|_| format!("`{url}` is not a valid host"))?,
        })
    }
}

/// What a request came back with.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

/// Why a request has no answer.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// Connecting failed.
    #[error("connect: {0}")]
    Connect(std::io::Error),
    /// The connection broke during the request.
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// The request could not be built (a bad key or path).
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
}

impl ConnError {
    /// A short label for the error table.
    pub fn label(&self) -> &'static str {
        match self {
            ConnError::Connect(_) => "connect",
            ConnError::Http(_) => "io",
            ConnError::Request(_) => "request",
        }
    }
}

/// A connection, reopened on the next request after it breaks.
pub struct Conn {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// A connection to `target` (opened on first use).
    pub fn new(target: Target) -> Self {
        Conn {
            target,
            sender: None,
        }
    }

    async fn open(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, ConnError> {
        if let Some(s) = &self.sender {
            if s.is_closed() {
                self.sender = None;
            }
        }
        if self.sender.is_none() {
            let tcp = tokio::net::TcpStream::connect(&self.target.authority)
                .await
                .map_err(ConnError::Connect)?;
            let _ = tcp.set_nodelay(true);
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "load connection ended");
                }
            });
            self.sender = Some(sender);
        }
        let sender = self
            .sender
            .as_mut()
            .ok_or_else(|| ConnError::Connect(std::io::Error::other("no connection")))?;
        sender.ready().await?;
        Ok(sender)
    }

    /// Send one request and read the whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        bearer: Option<&HeaderValue>,
        body: Option<Bytes>,
    ) -> Result<Answer, ConnError> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.target.host_header.clone());
        if let Some(b) = bearer {
            req = req.header(AUTHORIZATION, b.clone());
        }
        if body.is_some() {
            req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let req = req.body(Full::new(body.unwrap_or_default()))?;
        let result = async {
            let sender = self.open().await?;
            let response = sender.send_request(req).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, ConnError>(Answer { status, body })
        }
        .await;
        if result.is_err() {
            // Start afresh next time rather than reuse a connection in an unknown state.
            self.sender = None;
        }
        result
    }
}

/// `Bearer <secret>` as a header value.
pub fn bearer(secret: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(&format!("Bearer {secret}"))
        .map_err(|_| "a key has characters a header cannot carry".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_plain_http_roots() {
        assert_eq!(
            Target::parse("http://127.0.0.1:8080/").unwrap().authority,
            "127.0.0.1:8080"
        );
        assert!(Target::parse("https://x").is_err());
        assert!(Target::parse("http://x/v1").is_err());
        assert!(Target::parse("127.0.0.1:8080").is_err());
    }
}
