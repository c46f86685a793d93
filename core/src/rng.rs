//! ChaCha20 (RFC 8439 block function, 20 rounds) as a `rand_core` generator for tokens.
//!
//! The 256-bit key is the seed, the 96-bit nonce is zero and the 32-bit block counter starts at
//! 0. Each request for bytes takes fresh keystream blocks; the unused tail of a block is thrown
//! away, so no keystream is ever kept in RAM and none is handed out twice. When the counter
//! would wrap, the generator rekeys itself from its own stream (forward secrecy for tokens
//! already handed out) and starts again at counter 0.

use rand_core::{CryptoRng, RngCore};

/// Bytes in one ChaCha20 block.
pub const BLOCK_LEN: usize = 64;

/// "expand 32-byte k", little-endian words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The quarter round of RFC 8439 section 2.1 on the state words `a`, `b`, `c` and `d`.
/// Inlined into the double round, where its indices are constants.
#[inline(always)]
fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

const fn words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut out = [0u32; N];
    let mut i = 0;
    while i < N && i * 4 + 3 < bytes.len() {
        out[i] = u32::from_le_bytes([
            bytes[i * 4],
            bytes[i * 4 + 1],
            bytes[i * 4 + 2],
            bytes[i * 4 + 3],
        ]);
        i += 1;
    }
    out
}

/// Add the initial state for `key` and `tail` (the counter and the nonce) to `s`, word by word
/// (the block function does so before and after the rounds).
fn add_init(s: &mut [u32; 16], key: &[u8; 32], tail: &[u32; 4]) {
    for (i, w) in s.iter_mut().enumerate() {
        let x = match i {
            0..4 => SIGMA[i % 4],
            4..12 => {
                let k = 4 * (i - 4) % 32;
                match key.get(k..k + 4) {
                    Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
                    _ => 0,
                }
            }
            _ => tail[i % 4],
        };
        *w = w.wrapping_add(x);
    }
}

/// The block function's 16 output words (before serialization to little-endian bytes).
fn block_words(s: &mut [u32; 16], key: &[u8; 32], counter: u32, nonce: &[u32; 3]) {
    let [n0, n1, n2] = *nonce;
    let tail = [counter, n0, n1, n2];
    *s = [0; 16];
    add_init(s, key, &tail);
    // Ten double rounds: a column round, then a diagonal round (RFC 8439 section 2.3).
    for _ in 0..10 {
        quarter(s, 0, 4, 8, 12);
        quarter(s, 1, 5, 9, 13);
        quarter(s, 2, 6, 10, 14);
        quarter(s, 3, 7, 11, 15);
        quarter(s, 0, 5, 10, 15);
        quarter(s, 1, 6, 11, 12);
        quarter(s, 2, 7, 8, 13);
        quarter(s, 3, 4, 9, 14);
    }
    add_init(s, key, &tail);
}

/// Byte `i` of the little-endian serialization of `s` (`i % 64`, so never out of bounds).
fn byte_of(s: &[u32; 16], i: usize) -> u8 {
    (s[(i / 4) % 16] >> (8 * (i % 4))) as u8
}

/// The first `dst.len()` bytes (at most 64) of the little-endian serialization of `s`.
fn serialize(dst: &mut [u8], s: &[u32; 16]) {
    for (i, d) in dst.iter_mut().enumerate() {
        *d = byte_of(s, i);
    }
}

/// The ChaCha20 block function of RFC 8439 section 2.3: 64 bytes of keystream for `key`,
/// block `counter` and `nonce`.
pub fn block(key: &[u8; 32], counter: u32, nonce: &[u8; 12]) -> [u8; BLOCK_LEN] {
    let mut s = [0; 16];
    block_words(&mut s, key, counter, &words::<3>(nonce));
    let mut out = [0u8; BLOCK_LEN];
    serialize(&mut out, &s);
    out
}

/// A ChaCha20 keystream generator; `const`-constructible so the state can live in a static.
pub struct ChaCha20 {
    key: [u8; 32],
    counter: u32,
}

impl ChaCha20 {
    /// A generator keyed with `seed`, counter 0.
    pub const fn new(seed: [u8; 32]) -> Self {
        Self::with_counter(seed, 0)
    }

    /// A generator keyed with `seed` whose next block is `counter` (tests of the rekeying).
    pub const fn with_counter(seed: [u8; 32], counter: u32) -> Self {
        ChaCha20 { key: seed, counter }
    }

    /// The counter of the next block.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// The next keystream block, as words, into `out`. The last counter value is never used
    /// for output: it rekeys (the new key is the first 32 bytes of that block).
    fn next_block(&mut self, out: &mut [u32; 16]) {
        loop {
            block_words(out, &self.key, self.counter, &[0; 3]);
            let used = self.counter;
            self.counter = used.wrapping_add(1);
            if used != u32::MAX {
                return;
            }
            // The counter wrapped to 0: rekey from this block, then take block 0.
            serialize(&mut self.key, out);
        }
    }
}

impl RngCore for ChaCha20 {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let mut s = [0; 16];
        for chunk in dest.chunks_mut(BLOCK_LEN) {
            self.next_block(&mut s);
            serialize(chunk, &s);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ChaCha20 {}
