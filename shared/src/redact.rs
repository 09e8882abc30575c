//! Masking secrets in what is printed or logged: the configuration
//! (`--check-config`), log lines and error messages. One mask and one
//! reading of URL credentials for every binary.

/// What a secret is shown as.
pub const MASK: &str = "********";

/// `url` with the password in its userinfo (`scheme://user:password@host`)
/// replaced by [`MASK`]; unchanged without one. The userinfo is taken to
/// end at the last `@`, so a password holding `/` or `@` unencoded is
/// masked whole (an `@` in the path masks more than the password, never
/// less).
pub fn mask_url_password(url: &str) -> String {
    match split_userinfo(url) {
        Some((head, userinfo, tail)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{head}{user}:{MASK}@{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Whether `url` carries a userinfo part (`user[:password]@`).
pub fn url_has_userinfo(url: &str) -> bool {
    split_userinfo(url).is_some()
}

/// Splits `url` into (up to and with `://`, the userinfo, after its `@`).
fn split_userinfo(url: &str) -> Option<(&str, &str, &str)> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let (head, rest) = url.split_at(start);
    let at = rest.rfind('@')?;
    let (userinfo, tail) = rest.split_at(at);
    Some((head, userinfo, tail.strip_prefix('@').unwrap_or(tail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_url_is_masked_and_nothing_else() {
        for (url, shown) in [
            (
                "redis://:s3cret@redis:6379/0",
                "redis://:********@redis:6379/0",
            ),
            ("redis://user:s3cret@host", "redis://user:********@host"),
            (
                "https://key:secret@s3.local:9000/x",
                "https://key:********@s3.local:9000/x",
            ),
            (
                "rediss://u:p@ss/w@rd@host:6380",
                "rediss://u:********@host:6380",
            ),
            ("mqtt://u:pw@host", "mqtt://u:********@host"),
            ("u:pw@host:1883", "u:********@host:1883"),
            ("redis://redis:6379/0", "redis://redis:6379/0"),
            ("redis://user@host", "redis://user@host"),
            ("https://s3.local/a:b", "https://s3.local/a:b"),
            ("https://s3.local/a@b", "https://s3.local/a@b"),
            ("", ""),
        ] {
            assert_eq!(mask_url_password(url), shown, "{url}");
        }
    }

    #[test]
    fn userinfo_is_recognised_with_or_without_a_password() {
        assert!(url_has_userinfo("mqtt://u:p@host:1883"));
        assert!(url_has_userinfo("mqtt://u@host"));
        assert!(url_has_userinfo("u:p@host"));
        assert!(!url_has_userinfo("mqtt://host:1883"));
        assert!(!url_has_userinfo("host"));
    }
}
