//! Randomness from the operating system's source (`getrandom(2)` on
//! Linux), for secrets, identifiers and retry jitter. Never the clock or
//! a hash of it: two processes started in the same instant must differ.

/// The OS random source could not be read (on Linux only before the
/// kernel's pool is initialised at early boot, or under a seccomp filter
/// that forbids the call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RandomError {
    /// The source refused; the OS error says why.
    #[error("the operating system's random source failed: {0}")]
    Unavailable(getrandom::Error),
}

/// 64 random bits.
pub fn u64() -> Result<u64, RandomError> {
    getrandom::u64().map_err(RandomError::Unavailable)
}

/// `bytes` random bytes as lowercase hex (`2 * bytes` characters): a
/// password or token that is safe in URLs, config files and headers.
pub fn hex_secret(bytes: usize) -> Result<String, RandomError> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).map_err(RandomError::Unavailable)?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hex_of_the_asked_length_and_differ() {
        let a = hex_secret(16).unwrap();
        let b = hex_secret(16).unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        // 2^-128 chance of a false failure.
        assert_ne!(a, b);
        assert_eq!(hex_secret(0).unwrap(), "");
    }

    #[test]
    fn two_draws_in_a_row_differ() {
        // Seeding from the clock made draws in the same instant equal.
        let draws: Vec<u64> = (0..8).map(|_| u64().unwrap()).collect();
        for (i, a) in draws.iter().enumerate() {
            assert!(draws[i + 1..].iter().all(|b| b != a), "{draws:?}");
        }
    }
}
