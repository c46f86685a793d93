//! ChaCha20 (RFC 8439 block function, 20 rounds) as a `rand_core` generator for tokens.
//!
//! The 256-bit key is the seed, the 96-bit nonce is zero and the 32-bit block counter starts at
//! 0. The keystream is handed out in order, one block kept as `rand_core`'s `BlockRng` keeps
//! its results: a 16-byte token takes the next 16 bytes of the current block, and a block (one
//! run of the block function) serves four tokens. Bytes handed out are wiped from the buffer,
//! so none is handed out twice nor kept after it is used. When the counter would wrap, the
//! generator rekeys itself from its own stream (forward secrecy for tokens already handed out)
//! and starts again at counter 0.

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

/// The block function's 16 output words (before serialization to little-endian bytes): the
/// initial state (constants, key, counter, nonce), twenty rounds, the initial state added.
fn block_words(out: &mut [u32; 16], key: &[u32; 8], counter: u32, nonce: &[u32; 3]) {
    let [k0, k1, k2, k3, k4, k5, k6, k7] = *key;
    let [n0, n1, n2] = *nonce;
    let [c0, c1, c2, c3] = SIGMA;
    let init = [
        c0, c1, c2, c3, k0, k1, k2, k3, k4, k5, k6, k7, counter, n0, n1, n2,
    ];
    let s = out;
    *s = init;
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
    for (w, x) in s.iter_mut().zip(init) {
        *w = w.wrapping_add(x);
    }
}

/// The little-endian serialization of `s`.
fn serialize(dst: &mut [u8; BLOCK_LEN], s: &[u32; 16]) {
    for (i, w) in s.iter().enumerate() {
        if let Some(Ok(bytes)) = dst.get_mut(4 * i..4 * i + 4).map(<&mut [u8; 4]>::try_from) {
            *bytes = w.to_le_bytes();
        }
    }
}

/// The ChaCha20 block function of RFC 8439 section 2.3: 64 bytes of keystream for `key`,
/// block `counter` and `nonce`.
pub fn block(key: &[u8; 32], counter: u32, nonce: &[u8; 12]) -> [u8; BLOCK_LEN] {
    let mut s = [0; 16];
    block_words(&mut s, &words::<8>(key), counter, &words::<3>(nonce));
    let mut out = [0u8; BLOCK_LEN];
    serialize(&mut out, &s);
    out
}

/// A ChaCha20 keystream generator; `const`-constructible so the state can live in a static.
pub struct ChaCha20 {
    /// The key, as the block function's little-endian words.
    key: [u32; 8],
    /// The counter of the next block.
    counter: u32,
    /// The current block: its last `left` bytes are keystream not handed out yet, the bytes
    /// before them are wiped.
    block: [u8; BLOCK_LEN],
    /// Keystream bytes left in `block`. Counting what is left, not what was used, makes a new
    /// generator all zeros, so the shell's static lives in `.bss` and costs no flash image.
    left: u8,
}

impl ChaCha20 {
    /// A generator keyed with `seed`, counter 0.
    pub const fn new(seed: [u8; 32]) -> Self {
        Self::with_counter(seed, 0)
    }

    /// A generator keyed with `seed` whose next block is `counter` (tests of the rekeying).
    pub const fn with_counter(seed: [u8; 32], counter: u32) -> Self {
        ChaCha20 {
            key: words::<8>(&seed),
            counter,
            block: [0; BLOCK_LEN],
            left: 0,
        }
    }

    /// The counter of the next block.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// Compute the next keystream block into [`ChaCha20::block`]. The last counter value is
    /// never used for output: it rekeys (the new key is the first 32 bytes of that block).
    fn refill(&mut self) {
        let mut s = [0; 16];
        loop {
            block_words(&mut s, &self.key, self.counter, &[0; 3]);
            let used = self.counter;
            self.counter = used.wrapping_add(1);
            if used != u32::MAX {
                break;
            }
            // The counter wrapped to 0: rekey from this block, then take block 0.
            let [k0, k1, k2, k3, k4, k5, k6, k7, ..] = s;
            self.key = [k0, k1, k2, k3, k4, k5, k6, k7];
        }
        serialize(&mut self.block, &s);
        self.left = BLOCK_LEN as u8;
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
        let mut rest = dest;
        while !rest.is_empty() {
            if self.left == 0 {
                self.refill();
            }
            let start = BLOCK_LEN - usize::from(self.left);
            let fresh = self.block.get_mut(start..).unwrap_or_default();
            let n = super::copy_bytes(rest, fresh);
            fresh.iter_mut().take(n).for_each(|b| *b = 0);
            // n is at most `left`, so the difference stays within a `u8`.
            self.left -= n as u8;
            rest = core::mem::take(&mut rest).get_mut(n..).unwrap_or_default();
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for ChaCha20 {}
