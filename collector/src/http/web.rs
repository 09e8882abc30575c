//! The dashboard: static files from `collector/web/`, embedded in the
//! binary at build time (see `build.rs`), served at `/` and below.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::error;

/// Every embedded file: URL path, bytes, content type.
static FILES: &[(&str, &[u8], &str)] = include!(concat!(env!("OUT_DIR"), "/web_files.rs"));

/// Looks up an embedded file by URL path (`/` is `/index.html`).
pub fn file(path: &str) -> Option<(&'static [u8], &'static str)> {
    let path = if path == "/" { "/index.html" } else { path };
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, body, mime)| (*body, *mime))
}

/// Serves an embedded file, or the JSON 404 for anything else.
pub async fn serve(uri: Uri) -> Response {
    match file(uri.path()) {
        Some((body, mime)) => {
            // The page itself is never cached, so a new build shows at once.
            let cache = if mime.starts_with("text/html") {
                "no-cache"
            } else {
                "public, max-age=300"
            };
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
                    (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                ],
                body,
            )
                .into_response()
        }
        None => error::not_found(uri).await.into_response(),
    }
}
