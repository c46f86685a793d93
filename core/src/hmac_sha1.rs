//! SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for the sign of the provisioning notifies:
//! `HMAC-SHA1(product secret, random || device name || product key)`, sent as 40 upper-case
//! hex digits.
//!
//! Written by hand, in safe Rust with no panic path (no indexing or slicing that the compiler
//! cannot prove in bounds), so the firmware links no panic code and gains no dependency tree.
//! Measured on thumbv7em-none-eabi (opt-level "z", LTO, gcc -Os, `--gc-sections`), a program
//! that calls HMAC-SHA1 grows by 1,700 bytes of text with this file, 4,264 with `sha1_smol`
//! and an HMAC on top, 4,520 with RustCrypto's `hmac` + `sha1`; both crates also link
//! `core::panicking::panic_fmt`, this file nothing of `core::panicking`.
//!
//! Unlike the SDK's HMAC, which writes nothing for a key longer than the 64-byte block and still
//! reports success, a long key is hashed first, as RFC 2104 says.

/// SHA-1's block size, in bytes (also HMAC-SHA1's key block).
pub const BLOCK_LEN: usize = 64;
/// SHA-1's digest size, in bytes.
pub const DIGEST_LEN: usize = 20;

/// Initial hash value (FIPS 180-4, 5.3.1).
const H0: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// An incremental SHA-1 hash.
#[derive(Clone, Debug)]
pub struct Sha1 {
    /// The hash value so far.
    state: [u32; 5],
    /// Bytes of the current, incomplete block.
    block: [u8; BLOCK_LEN],
    /// How many bytes of `block` are filled (always below [`BLOCK_LEN`]).
    filled: usize,
    /// Message length so far, in bytes (modulo 2^64; SHA-1 counts bits modulo 2^64).
    len: u64,
}

impl Default for Sha1 {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha1 {
    /// A hash of the empty message.
    pub const fn new() -> Self {
        Self {
            state: H0,
            block: [0; BLOCK_LEN],
            filled: 0,
            len: 0,
        }
    }

    /// Hash `data` next.
    pub fn update(&mut self, data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        let mut rest = data;
        if self.filled != 0 {
            // Top up the incomplete block first.
            let space = self.block.get_mut(self.filled..).unwrap_or(&mut []);
            let mut n = 0;
            for (dst, src) in space.iter_mut().zip(rest) {
                *dst = *src;
                n += 1;
            }
            self.filled += n;
            rest = rest.get(n..).unwrap_or(&[]);
            if self.filled < BLOCK_LEN {
                return;
            }
            compress(&mut self.state, &self.block);
            self.filled = 0;
        }
        while let Some((block, tail)) = rest.split_first_chunk::<BLOCK_LEN>() {
            compress(&mut self.state, block);
            rest = tail;
        }
        // Fewer than BLOCK_LEN bytes are left: keep them.
        for (dst, src) in self.block.iter_mut().zip(rest) {
            *dst = *src;
        }
        self.filled = rest.len();
    }

    /// The digest of everything hashed so far.
    pub fn finish(mut self) -> [u8; DIGEST_LEN] {
        let bits = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        // Zeros up to 8 bytes before the end of a block, then the length in bits.
        let pad = (BLOCK_LEN + BLOCK_LEN - 8 - self.filled) % BLOCK_LEN;
        let zeros = [0u8; BLOCK_LEN];
        self.update(zeros.get(..pad).unwrap_or(&[]));
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; DIGEST_LEN];
        for (dst, word) in out.chunks_exact_mut(4).zip(self.state) {
            for (d, s) in dst.iter_mut().zip(word.to_be_bytes()) {
                *d = s;
            }
        }
        out
    }
}

/// SHA-1 of the concatenation of `parts`.
pub fn sha1(parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let mut h = Sha1::new();
    for part in parts {
        h.update(part);
    }
    h.finish()
}

/// HMAC-SHA1 (RFC 2104) with `key` of the concatenation of `parts`: the message may be given in
/// pieces (random, device name, product key) so that no buffer has to hold it whole. A key
/// longer than [`BLOCK_LEN`] is replaced by its SHA-1 first.
pub fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let mut k = [0u8; BLOCK_LEN];
    let hashed;
    let key = if key.len() > BLOCK_LEN {
        hashed = sha1(&[key]);
        &hashed[..]
    } else {
        key
    };
    for (dst, src) in k.iter_mut().zip(key) {
        *dst = *src;
    }

    let mut pad = [0u8; BLOCK_LEN];
    for (p, b) in pad.iter_mut().zip(&k) {
        *p = b ^ 0x36;
    }
    let mut inner = Sha1::new();
    inner.update(&pad);
    for part in parts {
        inner.update(part);
    }
    let inner = inner.finish();

    for (p, b) in pad.iter_mut().zip(&k) {
        *p = b ^ 0x5c;
    }
    let mut outer = Sha1::new();
    outer.update(&pad);
    outer.update(&inner);
    outer.finish()
}

/// `bytes` as upper-case hex digits, two per byte, into `out`: `min(bytes.len(), out.len() / 2)`
/// bytes are written, and that many pairs of `out` are returned filled.
pub fn hex_upper(bytes: &[u8], out: &mut [u8]) -> usize {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut n = 0;
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        for (d, nibble) in pair.iter_mut().zip([b >> 4, b & 0x0f]) {
            *d = DIGITS[usize::from(nibble & 0x0f)];
        }
        n += 1;
    }
    n
}

/// The 80 rounds of SHA-1 over one block (FIPS 180-4, 6.1.2), with the message schedule kept
/// as a rolling window of 16 words.
fn compress(state: &mut [u32; 5], block: &[u8; BLOCK_LEN]) {
    let mut w = [0u32; 16];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        let mut be = [0u8; 4];
        for (d, s) in be.iter_mut().zip(bytes) {
            *d = *s;
        }
        *word = u32::from_be_bytes(be);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for t in 0..80 {
        let s = t & 15;
        if t >= 16 {
            let x = w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[s];
            w[s] = x.rotate_left(1);
        }
        let (f, k) = match t {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let temp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(w[s]);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (h, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *h = h.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{string::String, vec, vec::Vec};

    fn hex(bytes: &[u8]) -> String {
        let mut out = vec![0u8; bytes.len() * 2];
        assert_eq!(hex_upper(bytes, &mut out), bytes.len());
        String::from_utf8(out).unwrap().to_lowercase()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// FIPS 180 SHA-1 examples (and the empty message).
    #[test]
    fn sha1_fips_vectors() {
        assert_eq!(
            hex(&sha1(&[b""])),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            hex(&sha1(&[b"abc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(&[
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            ])),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        let mut h = Sha1::new();
        let chunk = [b'a'; 1000];
        for _ in 0..1000 {
            h.update(&chunk);
        }
        assert_eq!(hex(&h.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    /// Every message length around the padding boundaries (55, 56, 63, 64, 119, 120 bytes ...)
    /// against the reference implementation.
    #[test]
    fn sha1_every_length_matches_reference() {
        use sha1::Digest;
        let data: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(151) ^ 0x5a) as u8)
            .collect();
        for n in 0..data.len() {
            let want = sha1::Sha1::digest(&data[..n]);
            assert_eq!(sha1(&[&data[..n]])[..], want[..], "length {n}");
        }
    }

    /// RFC 2202, section 3: the seven HMAC-SHA1 test cases.
    #[test]
    fn hmac_rfc2202_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
                    .to_vec(),
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ];
        for (i, (key, data, want)) in cases.iter().enumerate() {
            assert_eq!(
                hex(&hmac_sha1(key, &[data])),
                *want,
                "RFC 2202 case {}",
                i + 1
            );
        }
        // Case 5 is also given truncated to 96 bits.
        assert_eq!(
            hex(&hmac_sha1(&[0x0c; 20], &[b"Test With Truncation"])[..12]),
            "4c1a03424b55e07fe7f27be1"
        );
    }

    /// A small deterministic generator (xorshift64*), so the differential test needs no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    fn reference(key: &[u8], msg: &[u8]) -> [u8; DIGEST_LEN] {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }

    /// Random keys and messages of every length 0..200 (so every block boundary of both, and
    /// keys on both sides of 64 bytes) against RustCrypto's `hmac` + `sha1`.
    #[test]
    fn hmac_matches_reference_for_every_length() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for n in 0..200 {
            for _ in 0..3 {
                let key = rng.bytes(n);
                let msg = rng.bytes(n);
                assert_eq!(
                    hmac_sha1(&key, &[&msg]),
                    reference(&key, &msg),
                    "key and msg {n}"
                );
                let len = (rng.next() % 200) as usize;
                let other = rng.bytes(len);
                assert_eq!(
                    hmac_sha1(&key, &[&other]),
                    reference(&key, &other),
                    "key {n}"
                );
                assert_eq!(
                    hmac_sha1(&other, &[&msg]),
                    reference(&other, &msg),
                    "msg {n}"
                );
            }
        }
        // The block boundaries, exactly.
        for &kn in &[0, 1, 20, 55, 56, 63, 64, 65, 127, 128, 129] {
            for &mn in &[0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 129, 1000] {
                let key = rng.bytes(kn);
                let msg = rng.bytes(mn);
                assert_eq!(hmac_sha1(&key, &[&msg]), reference(&key, &msg), "{kn}/{mn}");
            }
        }
    }

    /// A message split anywhere, in any number of parts, gives the same MAC as whole.
    #[test]
    fn parts_split_anywhere_give_the_same_mac() {
        let mut rng = Rng(42);
        let key = rng.bytes(16);
        for n in [0usize, 1, 63, 64, 65, 68, 150] {
            let msg = rng.bytes(n);
            let whole = hmac_sha1(&key, &[&msg]);
            assert_eq!(whole, reference(&key, &msg));
            for i in 0..=n {
                assert_eq!(
                    hmac_sha1(&key, &[&msg[..i], &msg[i..]]),
                    whole,
                    "{n} at {i}"
                );
                for j in i..=n {
                    let parts: [&[u8]; 4] = [&msg[..i], &[], &msg[i..j], &msg[j..]];
                    assert_eq!(hmac_sha1(&key, &parts), whole, "{n} at {i}, {j}");
                }
            }
        }
        // The sign source as the notify gives it: random, device name, product key.
        let random = [0x5Au8; 16];
        let (dn, pk) = (b"dev-0001".as_slice(), b"a1b2c3d4e5f".as_slice());
        let joined = [&random[..], dn, pk].concat();
        assert_eq!(
            hmac_sha1(b"secret", &[&random, dn, pk]),
            reference(b"secret", &joined)
        );
    }

    /// A key longer than the block is hashed first: it must not act as the empty key (the SDK's
    /// HMAC writes nothing for it), and it equals HMAC with its SHA-1 as the key.
    #[test]
    fn long_keys_are_hashed_first() {
        let long = [0x61u8; 100];
        let msg: &[u8] = b"message";
        let mac = hmac_sha1(&long, &[msg]);
        assert_ne!(mac, hmac_sha1(b"", &[msg]));
        assert_ne!(mac, hmac_sha1(&long[..64], &[msg]));
        assert_eq!(mac, hmac_sha1(&sha1(&[&long]), &[msg]));
        assert_eq!(mac, reference(&long, msg));
    }

    #[test]
    fn hex_upper_writes_what_fits() {
        let mut out = [b'.'; 7];
        assert_eq!(hex_upper(&[0x00, 0x9f, 0xa5, 0xff], &mut out), 3);
        assert_eq!(&out, b"009FA5.");
        let mut out = [0u8; 40];
        let d = hmac_sha1(b"Jefe", &[b"what do ya want for nothing?"]);
        assert_eq!(hex_upper(&d, &mut out), 20);
        assert_eq!(&out, b"EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79");
    }
}
