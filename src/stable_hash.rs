//! Hashes whose values never change between releases or machines (unlike
//! `std`'s hasher, randomly seeded and free to change): what a name or a
//! file that must stay the same from one build to the next is made of.
//!
//! FNV-1a: tiny, and good enough for short names; nothing here resists an
//! attacker. Changing a value here renames published category feeds and
//! test tokens, so the tests pin them.

/// FNV-1a, 32 bits (a category slug for a name with nothing transliterable).
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// FNV-1a, 64 bits (the token and Message-ID part of a test send).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_published_fnv1a_ones() {
        // The reference vectors of the FNV authors.
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
