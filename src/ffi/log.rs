//! Log lines through `HAL_Printf`: `[dbg]|[inf]|[wrn]|[err] dev_bind: <text>\r\n`, with a
//! run-time threshold (default Info). A line is printed piece by piece (prefix, texts from the
//! table of [`crate::core::msg`], number, escaped bytes), as the SDK's own log does, so no line
//! buffer sits on the stack and no `core::fmt` is linked.

use core::sync::atomic::{AtomicU8, Ordering};

use super::imports::{Hal, Platform};
use crate::core::render::Writer;
use crate::core::{Level, Line, Msg, Piece};

/// The current threshold (a [`Level`] number); lines above it are dropped.
static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Set the threshold: values below Error (2) clamp to Error, above Debug (5) to Debug.
pub fn set_level(level: i32) {
    let clamped = level.clamp(Level::Error as i32, Level::Debug as i32);
    // The clamp keeps the value within 2..=5, so the cast is exact.
    LEVEL.store(clamped as u8, Ordering::Relaxed);
}

/// The threshold.
pub fn level() -> i32 {
    i32::from(LEVEL.load(Ordering::Relaxed))
}

/// True when a line at `level` would be printed.
pub fn enabled(level: Level) -> bool {
    (level as u8) <= LEVEL.load(Ordering::Relaxed)
}

/// The tags of the levels Error, Warn, Info and Debug.
const TAGS: [[u8; 3]; 4] = [*b"err", *b"wrn", *b"inf", *b"dbg"];

/// Hand `line` to `out` as printable chunks: the prefix, its pieces (bytes from the network
/// with printable ASCII as is and the rest as `\xNN`, numbers in decimal) and `\r\n`.
pub fn chunks(line: Line, bytes: &[u8], num: i64, out: &mut impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut prefix = *b"[dbg] dev_bind: ";
    if let Some(&[a, b, c]) = TAGS.get(usize::from(line.level() as u8 - 2)) {
        prefix[1] = a;
        prefix[2] = b;
        prefix[3] = c;
    }
    out(&prefix);
    line.pieces(bytes, num, &mut |piece| match piece {
        Piece::Text(t) => out(t),
        Piece::Bytes(mut rest) => {
            while !rest.is_empty() {
                let run = rest
                    .iter()
                    .position(|&b| !(0x20..0x7F).contains(&b) || b == b'\\')
                    .unwrap_or(rest.len());
                let (text, tail) = rest.split_at_checked(run).unwrap_or((rest, &[]));
                if run > 0 {
                    out(text);
                }
                rest = match tail.split_first() {
                    Some((&b, after)) => {
                        let hex = |n: u8| HEX.get(usize::from(n & 0x0F)).copied().unwrap_or(b'?');
                        out(&[b'\\', b'x', hex(b >> 4), hex(b)]);
                        after
                    }
                    None => &[],
                };
            }
        }
        Piece::Num(n) => {
            // The sign and up to 19 digits, by the payload renderer's digit loop.
            let mut digits = [0u8; 20];
            let mut w = Writer::new(&mut digits);
            w.i64(n);
            out(w.as_bytes());
        }
    });
    out(b"\r\n");
}

/// Print `line` with `bytes` and `num` at its placeholders, if the threshold lets it through.
#[inline(never)]
pub fn line(line: Line, bytes: &[u8], num: i64) {
    if !enabled(line.level()) {
        return;
    }
    chunks(line, bytes, num, &mut |t| Hal.print(t));
}

/// Print the text of `msg` at `level` (one out-of-line call per site).
#[inline(never)]
pub fn note(level: Level, msg: Msg) {
    line(Line::new(level, msg, Msg::None), &[], 0);
}

/// Print the text of `msg` at `level` with `n` at its placeholder.
#[inline(never)]
pub fn num(level: Level, msg: Msg, n: i64) {
    line(Line::new(level, msg, Msg::None), &[], n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(line: Line, bytes: &[u8], num: i64) -> Vec<u8> {
        let mut v = Vec::new();
        chunks(line, bytes, num, &mut |t| v.extend_from_slice(t));
        v
    }

    #[test]
    fn formats_levels_numbers_and_escapes() {
        assert_eq!(
            rendered(Line::new(Level::Info, Msg::ReportRes, Msg::None), &[], -12),
            b"[inf] dev_bind: report token res:-12\r\n".to_vec()
        );
        assert_eq!(
            rendered(
                Line::new(Level::Debug, Msg::TryFail, Msg::None),
                &[],
                i64::MIN
            ),
            b"[dbg] dev_bind: try -9223372036854775808 times fail\r\n".to_vec()
        );
        assert_eq!(
            rendered(
                Line::new(Level::Warn, Msg::SubRes, Msg::None),
                b"a\x00\"\\\xff",
                0
            ),
            b"[wrn] dev_bind: sub a\\x00\"\\x5C\\xFF res:0\r\n".to_vec()
        );
    }

    #[test]
    fn long_lines_are_printed_whole() {
        let big = [b'a'; 2000];
        let out = rendered(Line::new(Level::Error, Msg::Bytes, Msg::None), &big, 0);
        assert_eq!(out.len(), 16 + 2000 + 2);
        assert!(out.starts_with(b"[err] dev_bind: aaa"));
        assert!(out.ends_with(b"aaa\r\n"));
    }

    #[test]
    fn level_is_clamped() {
        set_level(99);
        assert_eq!(level(), 5);
        set_level(-3);
        assert_eq!(level(), 2);
        assert!(!enabled(Level::Info));
        set_level(4);
        assert!(enabled(Level::Info) && !enabled(Level::Debug));
    }
}
