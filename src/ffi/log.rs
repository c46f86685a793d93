//! Log lines through `HAL_Printf`: `[dbg]|[inf]|[wrn]|[err] dev_bind: <text>\r\n`, with a
//! run-time threshold (default Info). A line is one `HAL_Printf` call ([`LINE`]: a format of
//! its level, the tag written out, then the non-empty pieces of its text from
//! [`dev_bind_core::msg`] with the number and the bytes at their placeholders), so no line
//! buffer sits on the stack and no `core::fmt` is linked. A line whose bytes hold a byte to
//! escape (bytes from the network: non-printable ones and `\` are printed as `\xNN`) is
//! printed piece by piece instead, one call per piece.

use core::ffi::{c_int, CStr};
use core::sync::atomic::{AtomicU8, Ordering};

use super::imports::HAL_Printf;
use dev_bind_core::msg::Arg;
use dev_bind_core::render::Writer;
use dev_bind_core::{Level, Line, Msg};

/// The threshold set by `dev_bind_set_log_level` (a [`Level`] number), 0 until it is called.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Set the threshold: values below Error (2) clamp to Error, above Debug (5) to Debug.
pub fn set_level(level: i32) {
    let clamped = level.clamp(Level::Error as i32, Level::Debug as i32);
    // The clamp keeps the value within 2..=5, so the cast is exact.
    LEVEL.store(clamped as u8, Ordering::Relaxed);
}

extern "C" {
    /// The SDK's log level (its `LITE_get_loglevel()`, which `IOT_SetLogLevel` sets) when the
    /// firmware links the SDK's log, else -1: `src/ffi/sdk_log.c`, a weak reference.
    fn dev_bind_sdk_log_level() -> c_int;
}

/// The threshold in effect: the one set by `dev_bind_set_log_level` if it was called, else
/// the SDK's log level if the firmware links the SDK's log (its 0 none and 1 crit print none
/// of our lines, 6 flow is debug), else Info.
pub fn level() -> i32 {
    match LEVEL.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: a C function without arguments (src/ffi/sdk_log.c) that calls the SDK's
            // getter only when it is linked.
            let sdk = unsafe { dev_bind_sdk_log_level() };
            if sdk < 0 {
                Level::Info as i32
            } else {
                sdk.min(Level::Debug as i32)
            }
        }
        set => i32::from(set),
    }
}

/// True when a line at `level` would be printed.
pub fn enabled(level: Level) -> bool {
    (level as i32) <= self::level()
}

/// The formats of a whole line, by level and by the number of pieces of its text (1 to 5):
/// the tag written out, then each piece a `%.*s` with its length and bytes. A piece is the
/// head of the text, a placeholder's value or the text after it, and only the non-empty ones
/// are handed over: every conversion costs an embedded printf far more than the bytes it
/// copies, so a line has exactly as many as it has pieces (`update token` one,
/// `sending message to app: %s` two).
pub const LINE: [[&CStr; 5]; 4] = [
    [
        c"[err] dev_bind: %.*s\r\n",
        c"[err] dev_bind: %.*s%.*s\r\n",
        c"[err] dev_bind: %.*s%.*s%.*s\r\n",
        c"[err] dev_bind: %.*s%.*s%.*s%.*s\r\n",
        c"[err] dev_bind: %.*s%.*s%.*s%.*s%.*s\r\n",
    ],
    [
        c"[wrn] dev_bind: %.*s\r\n",
        c"[wrn] dev_bind: %.*s%.*s\r\n",
        c"[wrn] dev_bind: %.*s%.*s%.*s\r\n",
        c"[wrn] dev_bind: %.*s%.*s%.*s%.*s\r\n",
        c"[wrn] dev_bind: %.*s%.*s%.*s%.*s%.*s\r\n",
    ],
    [
        c"[inf] dev_bind: %.*s\r\n",
        c"[inf] dev_bind: %.*s%.*s\r\n",
        c"[inf] dev_bind: %.*s%.*s%.*s\r\n",
        c"[inf] dev_bind: %.*s%.*s%.*s%.*s\r\n",
        c"[inf] dev_bind: %.*s%.*s%.*s%.*s%.*s\r\n",
    ],
    [
        c"[dbg] dev_bind: %.*s\r\n",
        c"[dbg] dev_bind: %.*s%.*s\r\n",
        c"[dbg] dev_bind: %.*s%.*s%.*s\r\n",
        c"[dbg] dev_bind: %.*s%.*s%.*s%.*s\r\n",
        c"[dbg] dev_bind: %.*s%.*s%.*s%.*s%.*s\r\n",
    ],
];

/// The formats of `level`'s lines, in [`LINE`].
fn formats(level: Level) -> &'static [&'static CStr; 5] {
    match level {
        Level::Error => &LINE[0],
        Level::Warn => &LINE[1],
        Level::Info => &LINE[2],
        Level::Debug => &LINE[3],
    }
}

/// The format of a line's start when it is printed piece by piece: the tag.
pub const PREFIX: &CStr = c"[%.*s] dev_bind: ";
/// The format of a piece: `%.*s` with its length and its bytes.
pub const TEXT: &CStr = c"%.*s";
/// The format of an escaped byte: `\x%02X` with the byte.
pub const HEX: &CStr = c"\\x%02X";
/// The format of the line's end, `\r\n` (no argument).
pub const END: &CStr = c"\r\n";

/// The arguments of one `HAL_Printf` call: up to five (`int`, pointer) pairs, the `int` a
/// `%.*s` precision (or a `%02X` byte) and the pointer its bytes; a format ignores the pairs
/// it does not take.
pub type Args = [(c_int, *const u8); 5];

/// An empty piece: length 0 and a pointer to a NUL, so that a printf that reads the bytes of
/// a `%.*s` before looking at its precision, or takes precision 0 as "up to the NUL", prints
/// nothing too.
const EMPTY: (c_int, *const u8) = (0, c"".as_ptr().cast());

/// `b` as a `%.*s` piece.
fn piece(b: &[u8]) -> (c_int, *const u8) {
    if b.is_empty() {
        return EMPTY;
    }
    (c_int::try_from(b.len()).unwrap_or(c_int::MAX), b.as_ptr())
}

/// True when `c` is printed as it is (else as `\xNN`).
fn plain(c: u8) -> bool {
    (0x20..0x7F).contains(&c) && c != b'\\'
}

/// True when every byte of `b` is [`plain`]: a machine word of bytes at a time (the lines that
/// print payloads are a few hundred bytes long), then the last bytes one by one.
fn all_plain(b: &[u8]) -> bool {
    use dev_bind_core::words::{at_least, below, equal, found_in_words};
    let (found, tail) = found_in_words(b, |x| below(x, 0x20) | at_least(x, 0x7F) | equal(x, b'\\'));
    !found && tail.iter().all(|&c| plain(c))
}

/// Hand `line` to `out` as `HAL_Printf` calls, each a format and its arguments: one [`LINE`]
/// call with the non-empty pieces of the text, or, when `bytes` holds a byte to escape and the
/// text prints them, the prefix, each piece (the bytes in runs of plain bytes and escaped
/// bytes) and the end.
pub fn chunks(line: Line, bytes: &[u8], num: i64, out: &mut impl FnMut(&'static CStr, &Args)) {
    let parts = line.msg().parts();
    // Most texts have no placeholder: the whole text is the one piece.
    if let [None, None] = parts.args {
        let one = [piece(parts.head), EMPTY, EMPTY, EMPTY, EMPTY];
        return out(formats(line.level())[0], &one);
    }
    // The sign and up to 19 digits, by the payload renderer's digit loop (only for a text
    // that prints the number).
    let mut digits = [0u8; 20];
    let mut num_text: &[u8] = &[];
    if parts.args.iter().flatten().any(|(arg, _)| *arg == Arg::Num) {
        let mut w = Writer::new(&mut digits);
        w.i64(num);
        let len = w.len();
        num_text = digits.get(..len).unwrap_or(&[]);
    }
    // The non-empty pieces in order, and where the bytes are among them when they hold a
    // byte to escape.
    let mut args = [EMPTY; 5];
    let mut n = 0;
    let mut escaped_at = None;
    let mut push = |b: &[u8], n: &mut usize| {
        if let (false, Some(slot)) = (b.is_empty(), args.get_mut(*n)) {
            *slot = piece(b);
            *n += 1;
        }
    };
    push(parts.head, &mut n);
    for (arg, after) in parts.args.into_iter().flatten() {
        match arg {
            Arg::Bytes => {
                if !all_plain(bytes) {
                    escaped_at = Some(n);
                }
                push(bytes, &mut n);
            }
            Arg::Num => push(num_text, &mut n),
        }
        push(after, &mut n);
    }
    let Some(escaped_at) = escaped_at else {
        // A line without any piece (an empty `%s` alone) prints one empty piece.
        let fmts = formats(line.level());
        return out(fmts.get(n.max(1) - 1).unwrap_or(&fmts[0]), &args);
    };
    let tag = [
        piece(line.level().tag().as_bytes()),
        EMPTY,
        EMPTY,
        EMPTY,
        EMPTY,
    ];
    out(PREFIX, &tag);
    for (i, p) in args.iter().enumerate().take(n) {
        if i != escaped_at {
            out(TEXT, &[*p, EMPTY, EMPTY, EMPTY, EMPTY]);
            continue;
        }
        // Runs of plain bytes as they are, the others escaped one by one.
        let mut rest = bytes;
        while !rest.is_empty() {
            let run = rest.iter().position(|&c| !plain(c)).unwrap_or(rest.len());
            let (text, tail) = rest.split_at(run);
            if !text.is_empty() {
                out(TEXT, &[piece(text), EMPTY, EMPTY, EMPTY, EMPTY]);
            }
            let Some((&c, tail)) = tail.split_first() else {
                break;
            };
            out(
                HEX,
                &[
                    (c_int::from(c), core::ptr::null()),
                    EMPTY,
                    EMPTY,
                    EMPTY,
                    EMPTY,
                ],
            );
            rest = tail;
        }
    }
    out(END, &[EMPTY; 5]);
}

/// The most verbose level compiled in, as the cargo features `max-level-off`,
/// `max-level-error`, `max-level-warn` and `max-level-info` set it (the most restrictive one
/// enabled wins; without any, every level): `None` when no line is. Lines above it are not
/// compiled into the library (nor, with `max-level-off`, the texts and the printer).
pub const MAX_LEVEL: Option<Level> = if cfg!(feature = "max-level-off") {
    None
} else if cfg!(feature = "max-level-error") {
    Some(Level::Error)
} else if cfg!(feature = "max-level-warn") {
    Some(Level::Warn)
} else if cfg!(feature = "max-level-info") {
    Some(Level::Info)
} else {
    Some(Level::Debug)
};

/// True when lines at `level` are compiled in ([`MAX_LEVEL`]).
pub const fn compiled_in(level: Level) -> bool {
    match MAX_LEVEL {
        Some(max) => level as u8 <= max as u8,
        None => false,
    }
}

/// Print `line` with `bytes` and `num` at its placeholders, if its level is compiled in and
/// the threshold lets it through.
pub fn line(line: Line, bytes: &[u8], num: i64) {
    if !compiled_in(line.level()) || !enabled(line.level()) {
        return;
    }
    chunks(line, bytes, num, &mut |fmt, a| {
        // SAFETY: `fmt` is one of the NUL-terminated formats above; each `%.*s` reads an `int`
        // then at most that many bytes at its pointer, which `chunks` passes with them (a
        // piece's length and bytes, or 0 and a NUL); `%02X` reads an `int` (a byte); the
        // arguments a format does not use are ignored.
        unsafe {
            HAL_Printf(
                fmt.as_ptr(),
                a[0].0,
                a[0].1,
                a[1].0,
                a[1].1,
                a[2].0,
                a[2].1,
                a[3].0,
                a[3].1,
                a[4].0,
                a[4].1,
            )
        }
    });
}

/// Print the text of `msg` at `level`.
pub fn note(level: Level, msg: Msg) {
    line(Line::new(level, msg), &[], 0);
}

/// Print the text of `msg` at `level` with `n` at its placeholder.
pub fn num(level: Level, msg: Msg, n: i64) {
    line(Line::new(level, msg), &[], n);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `%.*s` argument: its bytes (an empty one must point at a NUL).
    fn text(a: (c_int, *const u8)) -> Vec<u8> {
        assert!(!a.1.is_null());
        if a.0 == 0 {
            // SAFETY: an empty piece points at a NUL.
            assert_eq!(unsafe { *a.1 }, 0, "an empty piece must point at a NUL");
            return Vec::new();
        }
        // SAFETY: `%.*s` is handed a length and that many readable bytes.
        unsafe { std::slice::from_raw_parts(a.1, a.0 as usize) }.to_vec()
    }

    /// The line as `HAL_Printf` prints it, each format done by hand, and the number of calls.
    fn printed(line: Line, bytes: &[u8], num: i64) -> (Vec<u8>, usize) {
        let mut v = Vec::new();
        let mut calls = 0;
        chunks(line, bytes, num, &mut |fmt, a| {
            calls += 1;
            if fmt == HEX {
                v.extend_from_slice(format!("\\x{:02X}", a[0].0).as_bytes());
            } else if fmt == END {
                v.extend_from_slice(b"\r\n");
            } else if fmt == TEXT {
                assert!(a[0].0 > 0, "an empty %.*s call");
                v.extend(text(a[0]));
            } else if fmt == PREFIX {
                v.push(b'[');
                v.extend(text(a[0]));
                v.extend_from_slice(b"] dev_bind: ");
            } else {
                let level = formats(line.level());
                let k = level
                    .iter()
                    .position(|l| *l == fmt)
                    .expect("a line's format of its own level");
                v.extend_from_slice(format!("[{}] dev_bind: ", line.level().tag()).as_bytes());
                for p in &a[..=k] {
                    // Each conversion prints a piece (a line has at least one, maybe empty).
                    assert!(p.0 > 0 || k == 0, "an empty piece costs a conversion");
                    v.extend(text(*p));
                }
                for p in &a[k + 1..] {
                    assert_eq!(p.0, 0, "an argument the format does not print");
                }
                v.extend_from_slice(b"\r\n");
            }
        });
        (v, calls)
    }

    fn rendered(line: Line, bytes: &[u8], num: i64) -> Vec<u8> {
        printed(line, bytes, num).0
    }

    #[test]
    fn a_line_of_plain_bytes_is_one_call() {
        let l = Line::new(Level::Info, Msg::PayloadAnswer);
        let (out, calls) = printed(l, b"{\"id\":1}", 0);
        assert_eq!(
            out,
            b"[inf] dev_bind: sending message to app: {\"id\":1}\r\n"
        );
        assert_eq!(calls, 1);
        let (out, calls) = printed(Line::new(Level::Warn, Msg::SubRes), b"/a/b", -1);
        assert_eq!(out, b"[wrn] dev_bind: sub /a/b res:-1\r\n");
        assert_eq!(calls, 1);
    }

    #[test]
    fn formats_levels_numbers_and_escapes() {
        assert_eq!(
            rendered(Line::new(Level::Info, Msg::ReportRes), &[], -12),
            b"[inf] dev_bind: report token res:-12\r\n".to_vec()
        );
        assert_eq!(
            rendered(Line::new(Level::Debug, Msg::TryFail), &[], i64::MIN),
            b"[dbg] dev_bind: try -9223372036854775808 times fail\r\n".to_vec()
        );
        assert_eq!(
            rendered(Line::new(Level::Warn, Msg::SubRes), b"a\x00\"\\\xff", 0),
            b"[wrn] dev_bind: sub a\\x00\"\\x5C\\xFF res:0\r\n".to_vec()
        );
    }

    #[test]
    fn no_empty_text_is_printed() {
        // `rendered` fails on a `%.*s` of length 0: an empty excerpt (a query without a
        // payload: an empty slice's dangling pointer), escapes first, last and side by side.
        for bytes in [&b""[..], b"\x00", b"\x00\x01", b"\x01a\x02", b"a\x01"] {
            let out = rendered(Line::new(Level::Warn, Msg::PayloadStatis), bytes, 0);
            assert!(out.starts_with(b"[wrn] dev_bind: "));
            assert!(out.ends_with(b"\r\n"));
        }
    }

    #[test]
    fn long_lines_are_printed_whole() {
        let big = [b'a'; 2000];
        let out = rendered(Line::new(Level::Error, Msg::PayloadStatis), &big, 0);
        assert_eq!(out.len(), 16 + 2000 + 2);
        assert!(out.starts_with(b"[err] dev_bind: aaa"));
        assert!(out.ends_with(b"aaa\r\n"));
    }

    #[test]
    fn max_level_features_compile_levels_out() {
        let levels = [Level::Error, Level::Warn, Level::Info, Level::Debug];
        let want = if cfg!(feature = "max-level-off") {
            0
        } else if cfg!(feature = "max-level-error") {
            1
        } else if cfg!(feature = "max-level-warn") {
            2
        } else if cfg!(feature = "max-level-info") {
            3
        } else {
            4
        };
        let n = levels.iter().filter(|l| compiled_in(**l)).count();
        assert_eq!(n, want);
        // The compiled-in levels are the least verbose ones.
        assert!(levels[..n].iter().all(|l| compiled_in(*l)));
    }

    #[test]
    fn all_plain_agrees_with_plain_on_every_byte_and_position() {
        for c in 0..=255u8 {
            for len in 0..20 {
                for at in 0..len {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    assert_eq!(all_plain(&b), plain(c), "byte {c:#x} at {at} of {len}");
                }
            }
        }
        assert!(all_plain(b""));
        assert!(all_plain(b" ~ ~ ~ ~ ~ ~ ~ ~ ~"));
        // Every plain byte next to every other in a word: no false alarm from a borrow or a
        // carry between lanes.
        let plain_bytes: Vec<u8> = (0..=255u8).filter(|&c| plain(c)).collect();
        for &a in &plain_bytes {
            for &b in &plain_bytes {
                assert!(all_plain(&[a, b, a, b, b, a, b, a, a, b]), "{a:#x} {b:#x}");
            }
        }
    }

    /// The formats write each level's tag out, a second copy of the core's `Level::tag`: every
    /// one must carry its level's tag and exactly as many `%.*s` as its pieces.
    #[test]
    fn each_format_carries_its_levels_tag_and_its_piece_count() {
        for level in [Level::Error, Level::Warn, Level::Info, Level::Debug] {
            for (k, fmt) in formats(level).iter().enumerate() {
                let want = format!("[{}] dev_bind: {}\r\n", level.tag(), "%.*s".repeat(k + 1));
                assert_eq!(fmt.to_str().ok(), Some(want.as_str()));
            }
        }
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
