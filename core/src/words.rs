//! Tests on every byte of a machine word at once, for the scans that run over a few hundred
//! bytes per payload: the JSON reader's ASCII runs, the escaper's plain runs and the log
//! printer's check for bytes to escape; and the MAC's upper-casing ([`ascii_upper`]).
//!
//! Each test takes a word `x` read from the bytes and returns a word whose high bits (one per
//! byte, "lane": [`HIGH`]) are not all zero exactly when some byte of `x` passes the test; its
//! other bits mean nothing, so tests are ORed and the result masked once. A lane's own bit may
//! be wrong only in a word where some other lane passes, so each answers "does some byte of
//! the word ...", never "which one": a caller that finds a word looks at its bytes one by
//! one. With `ONES` a byte of 0x01 in every lane:
//! - [`below`]`(x, k)`: `(x - k * ONES) & !x`. A lane borrows only from a byte below `k` (a
//!   borrow out of a lane comes only from such a byte), and `!x` leaves out the bytes from
//!   0x80 up;
//! - [`at_least`]`(x, k)`: `x | (x + (0x80 - k) * ONES)`. A byte from 0x80 up has the bit
//!   itself, one from `k` to 0x7F gets it from the addition (a carry out of a lane comes only
//!   from a byte from 0x80 up);
//! - [`equal`]`(x, c)`: a zero byte of `x ^ (c * ONES)`, by `below(.., 1)`.

/// The bytes of a word.
pub const W: usize = core::mem::size_of::<usize>();
/// A byte of 0x01 in every lane.
const ONES: usize = usize::MAX / 0xFF;
/// The high bit of every lane.
pub const HIGH: usize = ONES * 0x80;

/// Some byte of `x` is below `k` (`k` at most 0x80).
#[inline]
pub const fn below(x: usize, k: u8) -> usize {
    x.wrapping_sub(k as usize * ONES) & !x
}

/// Some byte of `x` is `k` or above (`k` from 1 to 0x80).
#[inline]
pub const fn at_least(x: usize, k: u8) -> usize {
    x | x.wrapping_add((0x80 - k as usize) * ONES)
}

/// Some byte of `x` is `c`.
#[inline]
pub const fn equal(x: usize, c: u8) -> usize {
    below(x ^ (c as usize * ONES), 1)
}

/// `x` with each ASCII lower-case letter upper-cased, every lane at once. Unlike the tests
/// above this is exact in every lane: each lane's sums start from its own low seven bits (at
/// most 0x7F, plus at most 0x1F), so no carry leaves a lane.
#[inline]
pub const fn ascii_upper(x: usize) -> usize {
    let low = x & !HIGH;
    // The high bit of a lane: its low bits are `a` or above, above `z`, and its byte is below
    // 0x80; then that bit moved down to 0x20, the bit that makes a letter lower-case.
    let from_a = low + (0x80 - b'a' as usize) * ONES;
    let past_z = low + (0x80 - b'z' as usize - 1) * ONES;
    let lower = from_a & !past_z & !x & HIGH;
    x ^ (lower >> 2)
}

/// Upper-case the ASCII letters of `b` in place, a word at a time ([`ascii_upper`]).
pub fn make_ascii_uppercase(b: &mut [u8]) {
    let mut words = b.chunks_exact_mut(W);
    for w in &mut words {
        if let Ok(w) = <&mut [u8; W]>::try_from(w) {
            *w = ascii_upper(usize::from_ne_bytes(*w)).to_ne_bytes();
        }
    }
    words.into_remainder().make_ascii_uppercase();
}

/// Whether `found` finds something in some whole word of `b`, and the bytes after the last
/// whole word (the caller's to look at one by one).
#[inline]
pub fn found_in_words(b: &[u8], found: impl Fn(usize) -> usize) -> (bool, &[u8]) {
    let words = b.chunks_exact(W);
    let tail = words.remainder();
    let mut any = 0;
    for w in words {
        any |= found(read(w));
    }
    (any & HIGH != 0, tail)
}

/// The length of the longest start of `b` made of whole words in which `found` finds nothing
/// (a multiple of [`W`]); the caller goes on byte by byte from there.
#[inline]
pub fn clean_prefix(b: &[u8], found: impl Fn(usize) -> usize) -> usize {
    let mut n = 0;
    for w in b.chunks_exact(W) {
        if found(read(w)) & HIGH != 0 {
            break;
        }
        n += W;
    }
    n
}

/// The word of `W` bytes `w` (as the CPU loads it).
fn read(w: &[u8]) -> usize {
    usize::from_ne_bytes(w.try_into().unwrap_or([0; W]))
}
