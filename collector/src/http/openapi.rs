//! `GET /api/v1/openapi.json`: the API described in OpenAPI 3.0. The
//! document is written by hand next to the code (`openapi.json`); the
//! `openapi` integration test checks every route is in it and every
//! response matches its schema.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

/// The document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// Serves the document.
pub async fn document() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT,
    )
}
