//! One error type for every handler: JSON `{"code": …, "message": …}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error.
#[derive(Debug)]
pub enum AppError {
    /// A bad parameter (named).
    BadRequest(String),
    /// Nothing there.
    NotFound(String),
    /// Credentials missing or wrong.
    Unauthorized(String),
    /// Not allowed in this configuration.
    Forbidden(String),
    /// A dependency is not available (e.g. backup not configured).
    Unavailable(String),
    /// Every history-query slot is taken: retry in a second.
    Busy,
    /// A failure on our side.
    Internal(anyhow::Error),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            Self::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            Self::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            Self::Busy => {
                let body = json!({ "code": "busy", "message": crate::store::Busy.to_string() });
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "1")],
                    Json(body),
                )
                    .into_response();
            }
            Self::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_string(),
                )
            }
        };
        (status, Json(json!({ "code": code, "message": message }))).into_response()
    }
}

impl From<crate::store::Busy> for AppError {
    fn from(_: crate::store::Busy) -> Self {
        Self::Busy
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        if e.is::<crate::store::Busy>() {
            Self::Busy
        } else {
            Self::Internal(e)
        }
    }
}

/// The fallback for unknown paths.
pub async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("no route for {}", uri.path()))
}
