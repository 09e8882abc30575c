//! HTTP authentication: bearer tokens and/or basic-auth users from the
//! configuration. With none configured everything is open (the demo);
//! with `http_public_read` anyone may read (GET/HEAD) while administrative
//! endpoints (`/api/v1/admin/...`) always need credentials. Probes and
//! `/metrics` stay open so Kubernetes and Prometheus need no secrets, and
//! so do the dashboard's own static files (the page, scripts, styles: code,
//! not data), so a token-only setup can show its sign-in form.
//!
//! A refusal challenges with `Basic` when basic-auth users exist and the
//! request did not try a token (the browser then asks for a password),
//! otherwise with `Bearer` (the dashboard then asks for a token: a Basic
//! challenge would pop up the browser's password dialog instead).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::AppError;

/// Who may use the HTTP API.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    tokens: Vec<String>,
    basic: Vec<(String, String)>,
    public_read: bool,
}

/// What a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let it through.
    Allow,
    /// Credentials are missing or wrong.
    Unauthorized,
    /// An administrative endpoint while no credentials are configured.
    Forbidden,
}

impl Auth {
    /// From the configured tokens, `user:password` entries and public-read flag.
    pub fn new(tokens: &[String], basic_users: &[String], public_read: bool) -> Self {
        Self {
            tokens: tokens.to_vec(),
            basic: basic_users
                .iter()
                .filter_map(|u| u.split_once(':'))
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
            public_read,
        }
    }

    fn configured(&self) -> bool {
        !self.tokens.is_empty() || !self.basic.is_empty()
    }

    /// Decides for a request to `path` with `method` and this
    /// `Authorization` header value.
    pub fn decide(&self, method: &Method, path: &str, authorization: Option<&str>) -> Decision {
        if matches!(path, "/healthz" | "/readyz" | "/metrics") {
            return Decision::Allow;
        }
        let read = method == Method::GET || method == Method::HEAD;
        if read && super::web::file(path).is_some() {
            return Decision::Allow;
        }
        let admin = path.starts_with("/api/v1/admin/");
        if !self.configured() {
            return if admin {
                Decision::Forbidden
            } else {
                Decision::Allow
            };
        }
        if self.public_read && read && !admin {
            return Decision::Allow;
        }
        if authorization.is_some_and(|a| self.valid(a)) {
            Decision::Allow
        } else {
            Decision::Unauthorized
        }
    }

    /// The `WWW-Authenticate` challenge for a refused request.
    pub fn challenge(&self, authorization: Option<&str>) -> HeaderValue {
        let tried_token = authorization.is_some_and(|a| a.starts_with("Bearer "));
        if self.basic.is_empty() || tried_token {
            HeaderValue::from_static("Bearer realm=\"CloudRadar\"")
        } else {
            HeaderValue::from_static("Basic realm=\"CloudRadar\", charset=\"UTF-8\"")
        }
    }

    fn valid(&self, authorization: &str) -> bool {
        if let Some(token) = authorization.strip_prefix("Bearer ") {
            return self
                .tokens
                .iter()
                .any(|t| constant_time_eq(t.as_bytes(), token.trim().as_bytes()));
        }
        let Some(encoded) = authorization.strip_prefix("Basic ") else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Some((user, pass)) = std::str::from_utf8(&decoded)
            .ok()
            .and_then(|s| s.split_once(':'))
        else {
            return false;
        };
        self.basic.iter().any(|(u, p)| {
            // Both compared, always, so timing does not tell which was wrong.
            let user_ok = constant_time_eq(u.as_bytes(), user.as_bytes());
            let pass_ok = constant_time_eq(p.as_bytes(), pass.as_bytes());
            user_ok & pass_ok
        })
    }
}

/// Equality whose time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The middleware.
pub async fn check(State(auth): State<std::sync::Arc<Auth>>, req: Request, next: Next) -> Response {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth.decide(req.method(), req.uri().path(), authorization) {
        Decision::Allow => next.run(req).await,
        Decision::Unauthorized => {
            let challenge = auth.challenge(authorization);
            let mut r = AppError::Unauthorized("credentials required".into()).into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
            r
        }
        Decision::Forbidden => AppError::Forbidden(
            "administrative endpoints need credentials; none are configured".into(),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn open_without_credentials_but_admin_is_forbidden() {
        let a = Auth::default();
        assert_eq!(
            a.decide(&Method::GET, "/api/v1/aircraft", None),
            Decision::Allow
        );
        assert_eq!(
            a.decide(&Method::POST, "/api/v1/admin/backup", None),
            Decision::Forbidden
        );
    }

    #[test]
    fn credentials_are_checked() {
        let a = Auth::new(
            &["0123456789abcdef-token".into()],
            &["ops:s3cret!".into()],
            false,
        );
        let get = |h: Option<&str>| a.decide(&Method::GET, "/api/v1/aircraft", h);
        assert_eq!(get(None), Decision::Unauthorized);
        assert_eq!(get(Some("Bearer 0123456789abcdef-token")), Decision::Allow);
        assert_eq!(
            get(Some("Bearer 0123456789abcdef-tokeX")),
            Decision::Unauthorized
        );
        assert_eq!(get(Some(&basic("ops:s3cret!"))), Decision::Allow);
        assert_eq!(get(Some(&basic("ops:wrong"))), Decision::Unauthorized);
        assert_eq!(get(Some(&basic("other:s3cret!"))), Decision::Unauthorized);
        assert_eq!(get(Some("Basic !!!notbase64")), Decision::Unauthorized);
        // Probes and metrics never need credentials.
        assert_eq!(a.decide(&Method::GET, "/readyz", None), Decision::Allow);
        assert_eq!(a.decide(&Method::GET, "/metrics", None), Decision::Allow);
    }

    #[test]
    fn dashboard_files_are_open_but_its_data_is_not() {
        let a = Auth::new(&["0123456789abcdef-token".into()], &[], false);
        assert_eq!(a.decide(&Method::GET, "/", None), Decision::Allow);
        assert_eq!(a.decide(&Method::GET, "/js/main.js", None), Decision::Allow);
        assert_eq!(
            a.decide(&Method::POST, "/js/main.js", None),
            Decision::Unauthorized
        );
        assert_eq!(
            a.decide(&Method::GET, "/api/v1/aircraft", None),
            Decision::Unauthorized
        );
        assert_eq!(
            a.decide(&Method::GET, "/data/aircraft.json", None),
            Decision::Unauthorized
        );
        assert_eq!(
            a.decide(&Method::GET, "/api/v1/stream", None),
            Decision::Unauthorized
        );
    }

    #[test]
    fn token_only_setups_challenge_with_bearer() {
        let tokens = Auth::new(&["0123456789abcdef-token".into()], &[], false);
        assert!(
            tokens
                .challenge(None)
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let both = Auth::new(
            &["0123456789abcdef-token".into()],
            &["ops:pw".into()],
            false,
        );
        assert!(both.challenge(None).to_str().unwrap().starts_with("Basic"));
        assert!(
            both.challenge(Some("Bearer wrong"))
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }

    #[test]
    fn public_read_opens_reads_only() {
        let a = Auth::new(&[], &["ops:pw".into()], true);
        assert_eq!(a.decide(&Method::GET, "/", None), Decision::Allow);
        assert_eq!(
            a.decide(&Method::GET, "/api/v1/flights", None),
            Decision::Allow
        );
        assert_eq!(
            a.decide(&Method::POST, "/api/v1/admin/backup", None),
            Decision::Unauthorized
        );
        assert_eq!(
            a.decide(&Method::GET, "/api/v1/admin/backup", None),
            Decision::Unauthorized
        );
        assert_eq!(
            a.decide(
                &Method::POST,
                "/api/v1/admin/backup",
                Some(&basic("ops:pw"))
            ),
            Decision::Allow
        );
    }

    /// Random Authorization headers never panic and never let anyone in.
    #[test]
    fn random_headers_are_refused_without_panicking() {
        let a = Auth::new(
            &["0123456789abcdef-token".into()],
            &["ops:pw".into()],
            false,
        );
        let mut x: u64 = 42;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (x >> (i % 56)) as u8 ^ i as u8).collect();
            let text = String::from_utf8_lossy(&bytes);
            for header in [
                format!("Basic {text}"),
                format!("Bearer {text}"),
                text.to_string(),
            ] {
                assert_eq!(
                    a.decide(&Method::GET, "/api/v1/aircraft", Some(&header)),
                    Decision::Unauthorized,
                    "{header:?}"
                );
            }
        }
    }
}
