//! Log lines through `HAL_Printf`: `[dbg]|[inf]|[wrn]|[err] dev_bind: <parts>\r\n`, with a
//! run-time threshold (default Info). Lines are built in a stack buffer without `core::fmt`.

use core::sync::atomic::{AtomicU8, Ordering};

use super::imports::Platform;
use crate::core::{Level, Part};

/// The current threshold (a [`Level`] number); lines above it are dropped.
static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Longest line, NUL included; longer lines are cut and end with `...`.
const LINE_MAX: usize = 600;

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

/// A bounded line buffer that never fails: excess is dropped and marked.
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
    cut: bool,
}

/// Room kept at the end for `...\r\n\0`.
const TAIL: usize = 6;

impl Line {
    /// An empty line.
    pub const fn new() -> Self {
        Line {
            buf: [0; LINE_MAX],
            len: 0,
            cut: false,
        }
    }

    /// Append one byte (dropped, and the line marked as cut, when full).
    pub fn push(&mut self, b: u8) {
        if self.len + TAIL >= LINE_MAX {
            self.cut = true;
            return;
        }
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// Append text as is.
    pub fn text(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }

    /// Append bytes from the network: printable ASCII as is, the rest as `\xNN`.
    pub fn escaped(&mut self, s: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in s {
            if (0x20..0x7F).contains(&b) && b != b'\\' {
                self.push(b);
            } else {
                self.text(b"\\x");
                self.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'?'));
                self.push(HEX.get(usize::from(b & 0x0F)).copied().unwrap_or(b'?'));
            }
        }
    }

    /// Append a signed decimal number.
    pub fn num(&mut self, n: i64) {
        if n < 0 {
            self.push(b'-');
        }
        let mut v = n.unsigned_abs();
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 || i == 0 {
                break;
            }
        }
        self.text(digits.get(i..).unwrap_or(&[]));
    }

    /// Close the line with `\r\n` and a NUL (and `...` before them if it was cut).
    pub fn finish(&mut self) -> &[u8] {
        let tail: &[u8] = if self.cut { b"...\r\n\0" } else { b"\r\n\0" };
        for &b in tail {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

/// The `[xxx] dev_bind: ` prefix of a level.
fn prefix(level: Level) -> &'static [u8] {
    match level {
        Level::Error => b"[err] dev_bind: ",
        Level::Warn => b"[wrn] dev_bind: ",
        Level::Info => b"[inf] dev_bind: ",
        Level::Debug => b"[dbg] dev_bind: ",
    }
}

/// Render `parts` into `line` (prefix included, not finished).
pub fn render(line: &mut Line, level: Level, parts: &[Part<'_>]) {
    line.text(prefix(level));
    for part in parts {
        match *part {
            Part::Str(s) => line.text(s.as_bytes()),
            Part::Bytes(b) => line.escaped(b),
            Part::Num(n) => line.num(n),
        }
    }
}

/// Print a line made of `parts` at `level` if the threshold lets it through.
pub fn log(hal: &impl Platform, level: Level, parts: &[Part<'_>]) {
    if !enabled(level) {
        return;
    }
    let mut line = Line::new();
    render(&mut line, level, parts);
    hal.print_cstr(line.finish());
}

/// Print `<text><n>` at `level` (the common shape of a result line), out of line.
#[inline(never)]
pub fn num(hal: &impl Platform, level: Level, text: &str, n: i64) {
    log(hal, level, &[Part::Str(text), Part::Num(n)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(level: Level, parts: &[Part<'_>]) -> Vec<u8> {
        let mut line = Line::new();
        render(&mut line, level, parts);
        line.finish().to_vec()
    }

    #[test]
    fn formats_levels_numbers_and_escapes() {
        assert_eq!(
            rendered(
                Level::Info,
                &[Part::Str("report token res:"), Part::Num(-12)]
            ),
            b"[inf] dev_bind: report token res:-12\r\n\0".to_vec()
        );
        assert_eq!(
            rendered(Level::Debug, &[Part::Num(i64::MIN)]),
            b"[dbg] dev_bind: -9223372036854775808\r\n\0".to_vec()
        );
        assert_eq!(
            rendered(Level::Warn, &[Part::Bytes(b"a\x00\"\\\xff"), Part::Num(0)]),
            b"[wrn] dev_bind: a\\x00\"\\x5C\\xFF0\r\n\0".to_vec()
        );
    }

    #[test]
    fn long_lines_are_cut_and_terminated() {
        let big = [b'a'; 2000];
        let out = rendered(Level::Error, &[Part::Bytes(&big)]);
        assert!(out.len() <= LINE_MAX);
        assert!(out.ends_with(b"...\r\n\0"));
        assert!(out.starts_with(b"[err] dev_bind: aaa"));
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
