//! Resource ids: 24 lowercase hex characters, time-ordered like a MongoDB ObjectId.

use rand::RngCore;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new id: 4 bytes of seconds since the epoch, 5 random bytes, a 3-byte counter.
pub fn new_id() -> String {
    let secs = chrono::Utc::now().timestamp().clamp(0, u32::MAX as i64) as u32;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    rand::thread_rng().fill_bytes(&mut bytes[4..9]);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    bytes[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    hex(&bytes)
}

/// Whether `s` has the shape of an id (24 lowercase hex characters).
pub fn is_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_hex_unique_and_ordered_within_a_second() {
        let a = new_id();
        let b = new_id();
        assert!(is_id(&a) && is_id(&b));
        assert_ne!(a, b);
        assert!(a[..8] <= b[..8]);
    }

    #[test]
    fn is_id_rejects_other_shapes() {
        assert!(!is_id("5B0CFBA4E2BB230FF8B535E6"));
        assert!(!is_id("abc"));
        assert!(is_id("5b0cfba4e2bb230ff8b535e6"));
    }
}
