//! Log lines through `HAL_Printf`: `[dbg]|[inf]|[wrn]|[err] dev_bind: <text>\r\n`, with a
//! run-time threshold (default Info). A line is printed piece by piece, one `HAL_Printf` call
//! each (prefix, texts from the table of [`dev_bind_core::msg`], number, escaped bytes), as the
//! SDK's own log does, so no line buffer sits on the stack and no `core::fmt` is linked.

use core::ffi::{c_int, CStr};
use core::sync::atomic::{AtomicU8, Ordering};

use super::imports::HAL_Printf;
use dev_bind_core::render::Writer;
use dev_bind_core::{Level, Line, Msg, Piece};

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

/// The tags of the levels Error, Warn, Info and Debug, 3 bytes each.
const TAGS: &[u8; 12] = b"errwrninfdbg";

/// The `HAL_Printf` format of a text: `%.*s` with its length and its bytes.
pub const TEXT: &CStr = c"%.*s";
/// The format of the prefix: `[%.*s] dev_bind: ` with 3 and the level's tag.
pub const PREFIX: &CStr = c"[%.*s] dev_bind: ";
/// The format of an escaped byte: `\x%02X` with the byte.
pub const HEX: &CStr = c"\\x%02X";
/// The format of the line's end, `\r\n` (no argument).
pub const END: &CStr = c"\r\n";

/// Print the `len` bytes at `p` through `out` (as [`TEXT`]); `p` must point at `len` readable
/// bytes. Nothing is printed for `len == 0`: `p` may then be dangling (an empty slice's) or
/// one past the end of a buffer, and some embedded printf implementations read from a `%.*s`
/// argument before looking at its precision, or treat precision 0 as "up to the NUL".
fn text(out: &mut impl FnMut(&'static CStr, c_int, *const u8), p: *const u8, len: usize) {
    if len == 0 {
        return;
    }
    out(TEXT, c_int::try_from(len).unwrap_or(c_int::MAX), p);
}

/// Hand `line` to `out` as `HAL_Printf` calls, each a format and the two arguments it takes
/// (a format that takes fewer ignores the rest, as C allows): the prefix, its pieces (bytes
/// from the network with printable ASCII as is and the rest as `\xNN`, numbers in decimal)
/// and `\r\n`.
pub fn chunks(
    line: Line,
    bytes: &[u8],
    num: i64,
    out: &mut impl FnMut(&'static CStr, c_int, *const u8),
) {
    let tag = usize::from(line.level() as u8 - 2) * 3;
    out(PREFIX, 3, TAGS.get(tag..).unwrap_or(b"dbg").as_ptr());
    line.pieces(bytes, num, &mut |piece| match piece {
        Piece::Text(t) => text(out, t.as_ptr(), t.len()),
        Piece::Bytes(b) => {
            // Runs of printable bytes as they are, the others escaped one by one: `run` bytes
            // of `b` from `start` wait to be printed.
            let (mut start, mut run) = (b.as_ptr(), 0);
            for c in b {
                if (0x20..0x7F).contains(c) && *c != b'\\' {
                    run += 1;
                    continue;
                }
                text(out, start, run);
                out(HEX, c_int::from(*c), core::ptr::null());
                start = core::ptr::from_ref(c).wrapping_add(1);
                run = 0;
            }
            text(out, start, run);
        }
        Piece::Num(n) => {
            // The sign and up to 19 digits, by the payload renderer's digit loop.
            let mut digits = [0u8; 20];
            let mut w = Writer::new(&mut digits);
            w.i64(n);
            let len = w.len();
            text(out, digits.as_ptr(), len);
        }
    });
    out(END, 0, core::ptr::null());
}

/// Print `line` with `bytes` and `num` at its placeholders, if the threshold lets it through.
#[inline(never)]
pub fn line(line: Line, bytes: &[u8], num: i64) {
    if !enabled(line.level()) {
        return;
    }
    chunks(line, bytes, num, &mut |fmt, n, p| {
        // SAFETY: `fmt` is one of the four NUL-terminated formats above; `%.*s` reads an `int`
        // then at most that many bytes at `p`, which `chunks` passes with them (a text's
        // length and bytes, or 3 and a tag); `%02X` reads an `int` (a byte); the arguments a
        // format does not use are ignored.
        unsafe { HAL_Printf(fmt.as_ptr(), n, p) }
    });
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

    /// The line as `HAL_Printf` prints it: each of the four formats done by hand.
    fn rendered(line: Line, bytes: &[u8], num: i64) -> Vec<u8> {
        let mut v = Vec::new();
        chunks(line, bytes, num, &mut |fmt, n, p| {
            if fmt == HEX {
                v.extend_from_slice(format!("\\x{n:02X}").as_bytes());
            } else if fmt == END {
                v.extend_from_slice(b"\r\n");
            } else {
                assert!(n > 0, "an empty %.*s call");
                // SAFETY: `%.*s` is handed a length and that many readable bytes.
                let t = unsafe { std::slice::from_raw_parts(p, n as usize) };
                if fmt == PREFIX {
                    v.push(b'[');
                    v.extend_from_slice(t);
                    v.extend_from_slice(b"] dev_bind: ");
                } else {
                    assert_eq!(fmt, TEXT);
                    v.extend_from_slice(t);
                }
            }
        });
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
    fn no_empty_text_is_printed() {
        // `rendered` fails on a `%.*s` of length 0: an empty excerpt (a query without a
        // payload: an empty slice's dangling pointer), escapes first, last and side by side.
        for bytes in [&b""[..], b"\x00", b"\x00\x01", b"\x01a\x02", b"a\x01"] {
            let out = rendered(Line::new(Level::Warn, Msg::Bytes, Msg::None), bytes, 0);
            assert!(out.starts_with(b"[wrn] dev_bind: "));
            assert!(out.ends_with(b"\r\n"));
        }
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
