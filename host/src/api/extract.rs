//! Query-string and path extractors whose rejections are JSON [`ApiError`]s (422 naming the
//! parameter), like the body's [`super::error::Json`]: axum's own answer 400 in plain text.

use super::error::{field_in, ApiError};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// The query string, deserialized; a bad or unknown parameter (or one holding a NUL) is a 422
/// naming it.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(field) = parts.uri.query().and_then(super::nul::in_query) {
            return Err(super::nul::refused(field));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(query_error(&e)),
        }
    }
}

/// axum reports `Failed to deserialize query string: <param>: <what>` (or, for an unknown
/// or missing parameter, a message that names it in backquotes).
fn query_error(e: &QueryRejection) -> ApiError {
    let text = e.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    let (field, message) = match detail.split_once(": ") {
        Some((name, what)) if is_param_name(name) => (Some(name.to_string()), what.to_string()),
        _ => (field_in(detail), detail.to_string()),
    };
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid",
        message: format!("bad query string: {message}"),
        field,
    }
}

fn is_param_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One path parameter; one that is not valid (percent-encoded bytes that are not UTF-8, or a
/// NUL) is a 422 naming it.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // (Undecodable parameters are left for the typed extraction below to name.)
        if let Ok(raw) = axum::extract::RawPathParams::from_request_parts(parts, state).await {
            if let Some(field) = super::nul::in_path(raw.iter()) {
                return Err(super::nul::refused(field));
            }
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let field = match e.kind() {
                    ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::DeserializeError { key, .. } => key.clone(),
                    _ => "path".to_string(),
                };
                Err(ApiError::invalid(field, e.kind().to_string()))
            }
            // A route without the parameter its handler reads: the host's bug, not the caller's.
            Err(e) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                e.body_text(),
            )),
        }
    }
}

/// Documents what the shared extractors answer on every operation that uses them, so no
/// handler's annotation can forget one: 401 where a key is required ([`super::auth::Caller`]),
/// 400 and 413 where there is a body (unreadable, too large), 422 where there is a JSON body,
/// a path parameter or a query string. Statuses a handler documents itself are kept.
pub(crate) struct ExtractorErrors;

impl utoipa::Modify for ExtractorErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for item in openapi.paths.paths.values_mut() {
            for op in super::schema_rules::operations_mut(item) {
                let mut add = Vec::new();
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add.push((401, "No key, or a key that is unknown or revoked"));
                }
                if let Some(body) = &op.request_body {
                    add.push((400, "The body could not be read"));
                    add.push((413, "The body is larger than the limit"));
                    if body.content.contains_key("application/json") {
                        add.push((422, "A field is missing or not valid (`field` names it)"));
                    }
                }
                let params = op.parameters.iter().flatten();
                if params
                    .filter(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query))
                    .count()
                    > 0
                {
                    add.push((422, "A parameter is not valid (`field` names it)"));
                }
                for (status, description) in add {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description));
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}
