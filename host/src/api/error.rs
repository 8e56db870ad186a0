//! API errors: a status code and `{"error":{"code","message","field"}}`.

use crate::handoff::DeskError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    code: String,
    message: String,
    field: Option<String>,
}

impl ApiError {
    /// An error with no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
    /// A 422 naming a field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: message.into(),
            field: Some(field.into()),
        }
    }
    /// A 404 that says nothing about whether the thing exists for someone else.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is never read, so this connection cannot carry another
            // request: say so, or a client that reuses it sees its next request cut off.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::NotFound(what) => ApiError::not_found(what),
            DeskError::Invalid { field, message } => ApiError::invalid(field, message),
            DeskError::Conflict(m) | DeskError::Raced(m) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", m)
            }
            DeskError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            DeskError::Gone(m) => ApiError::new(StatusCode::GONE, "gone", m),
            e @ DeskError::TenantUnavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "tenant_unavailable",
                e.to_string(),
            ),
            DeskError::Unavailable(m) => {
                // The database's own words stay in the log: they can name tables, columns,
                // paths or the input that upset it, none of which a caller should read.
                tracing::error!(error = %m, "the store refused or failed a request");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store cannot take this request now; retry it later (with the same \
                     Idempotency-Key, where there is one)",
                )
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        DeskError::from(e).into()
    }
}

/// A JSON body extractor whose rejections are [`ApiError`]s naming the field.
pub struct Json<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => {
                return Err(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        "the body is larger than the limit",
                    )
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.body_text())
                })
            }
        };
        let _: Option<JsonRejection> = None;
        if let Some(field) = super::nul::in_json(&bytes) {
            return Err(super::nul::refused(field));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(Json(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let message = match inner.classify() {
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                        format!("the body is not valid JSON: {inner}")
                    }
                    _ => {
                        let t = inner.to_string();
                        t.rfind(" at line ")
                            .map(|i| t[..i].to_string())
                            .unwrap_or(t)
                    }
                };
                let field = if path == "." || path.is_empty() {
                    // An unknown or missing field names itself in the message.
                    field_in(&message)
                } else {
                    Some(path)
                };
                Err(ApiError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid",
                    message,
                    field,
                })
            }
        }
    }
}

/// The field a serde message names (`unknown field `x``, `missing field `y``).
pub(super) fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    (message.contains("field")).then(|| message[start..end].to_string())
}
