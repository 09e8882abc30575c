//! Helpers for Comm-B fields: a status bit guarding a value, and
//! sign-magnitude (two's complement) numbers. Bits are MB bits 1–56.

use crate::bits::field;

/// A value guarded by a status bit. `Err(())` when the status is 0 but the
/// value bits are not all zero: that is what makes a register implausible.
#[inline]
pub(super) fn guarded(
    mb: &[u8; 7],
    status: usize,
    first: usize,
    last: usize,
) -> Result<Option<u64>, ()> {
    let value = field(mb, first, last);
    if field(mb, status, status) == 0 {
        if value != 0 { Err(()) } else { Ok(None) }
    } else {
        Ok(Some(value))
    }
}

/// A two's complement number whose sign is bit `sign` and magnitude bits
/// `sign+1..=last`.
#[inline]
pub(super) fn signed(raw: u64, bits: u32) -> i64 {
    let raw = raw as i64;
    if raw & (1 << (bits - 1)) != 0 {
        raw - (1 << bits)
    } else {
        raw
    }
}
