//! One ordered output stream for the whole process: library lines (through `HAL_Printf`),
//! device lines and this crate's own lines. Each line starts with `[<uptime ms>] `.

use std::ffi::c_char;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();

/// Whether the next byte written starts a line.
static AT_LINE_START: Mutex<bool> = Mutex::new(true);

/// Milliseconds since the process first asked for the time (monotonic).
pub fn uptime_ms() -> u64 {
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Starts the uptime clock now if nothing has read it yet.
pub fn start_clock() {
    let _ = START.get_or_init(Instant::now);
}

/// Writes `bytes` to stdout, putting `[<uptime ms>] ` at the start of every line. Whole calls
/// are atomic with respect to each other; stdout is flushed at every newline.
pub fn write_text(bytes: &[u8]) {
    let mut at_start = AT_LINE_START.lock().unwrap_or_else(|e| e.into_inner());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let now = uptime_ms();
    for piece in bytes.split_inclusive(|&b| b == b'\n') {
        if *at_start {
            let _ = write!(out, "[{now}] ");
        }
        let _ = out.write_all(piece);
        *at_start = piece.last() == Some(&b'\n');
    }
    let _ = out.flush();
}

/// Writes one whole line (a newline first if the stream is in the middle of one).
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut text = String::new();
    {
        let at_start = AT_LINE_START.lock().unwrap_or_else(|e| e.into_inner());
        if !*at_start {
            text.push('\n');
        }
    }
    text.push_str(&args.to_string());
    text.push('\n');
    write_text(text.as_bytes());
}

/// `hlog!("...")`: one line of this crate's log, prefixed `host: `.
#[macro_export]
macro_rules! hlog {
    ($($arg:tt)*) => {
        $crate::log::line(format_args!("host: {}", format_args!($($arg)*)))
    };
}

/// Shows bytes from the network as text: printable ASCII as is, anything else as `\xNN`,
/// cut after `max` bytes.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(bytes.len().min(max) + 8);
    for &b in bytes.iter().take(max) {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    if bytes.len() > max {
        s.push_str("...");
    }
    s
}

/// A message payload as [`printable`] shows it, with the value of every `"passwd"` JSON member
/// replaced by `"(hidden)"`: the traffic log carries the cloud's and the phones' requests,
/// and a Wi-Fi password must never reach a log.
pub fn payload(bytes: &[u8], max: usize) -> String {
    const KEY: &[u8] = b"\"passwd\"";
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i..].starts_with(KEY) {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        out.extend_from_slice(KEY);
        i += KEY.len();
        let mut j = i;
        while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b':') {
            j += 1;
        }
        if j >= bytes.len() || bytes[j] != b'"' {
            continue;
        }
        out.extend_from_slice(&bytes[i..j]);
        // The string's end: the next quote not escaped by a backslash (or the payload's end).
        let mut k = j + 1;
        while k < bytes.len() && bytes[k] != b'"' {
            k += if bytes[k] == b'\\' { 2 } else { 1 };
        }
        out.extend_from_slice(b"\"(hidden)\"");
        i = k.saturating_add(1);
    }
    printable(&out, max)
}

/// Writes `len` bytes at `buf` to the process's log stream (see [`write_text`]). Used by
/// `HAL_Printf` in `hal_printf.c`.
///
/// # Safety
/// `buf` must be NULL or point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn devbind_host_write(buf: *const c_char, len: usize) {
    if buf.is_null() || len == 0 {
        return;
    }
    // SAFETY: the caller guarantees `buf` points to `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
    write_text(bytes);
}

#[cfg(test)]
mod tests {
    use super::payload;

    #[test]
    fn a_password_never_reaches_the_traffic_log() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"params":{"ssid":"a","passwd":"s3cret","timeout":1}}"#,
                r#"{"params":{"ssid":"a","passwd":"(hidden)","timeout":1}}"#,
            ),
            (r#"{"passwd" : "x\"y"}"#, r#"{"passwd" : "(hidden)"}"#),
            (r#"{"passwd":"cut"#, r#"{"passwd":"(hidden)""#),
            (r#"{"passwd":12}"#, r#"{"passwd":12}"#),
            (r#"{"ssid":"passwd"}"#, r#"{"ssid":"passwd"}"#),
        ];
        for (raw, shown) in cases {
            assert_eq!(payload(raw.as_bytes(), 400), *shown, "{raw}");
        }
    }
}
