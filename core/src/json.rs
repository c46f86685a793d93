//! A small validating JSON scanner for the few tiny payloads the module reads (match_reply,
//! reset_reply, notify acks, phone queries).
//!
//! It follows RFC 8259 (strings must be UTF-8, escapes including `\uXXXX`, numbers, literals,
//! objects and arrays), never recurses (nesting is a bit stack, at most [`MAX_DEPTH`] levels),
//! never allocates, and reads every byte through bounds-checked accessors: any input gives an
//! answer, never a panic.

use super::{IdEcho, IdKind};

/// Deepest nesting of objects and arrays accepted (the top-level object counts as 1).
pub const MAX_DEPTH: usize = 16;

/// A JSON value found at the top level of an object: its kind and raw text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string; the content between the quotes, escapes as received.
    Str(&'a [u8]),
    /// A number, as written.
    Num(&'a [u8]),
    /// `true`, `false`, `null`, an object or an array, as written.
    Other(&'a [u8]),
}

/// Why a payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not valid JSON.
    Invalid,
    /// Valid JSON, but not an object.
    NotObject,
    /// Nested deeper than the scanner allows.
    TooDeep,
    /// The `id` is longer than [`crate::MAX_ID_LEN`] bytes.
    IdTooLong,
    /// No payload at all.
    Empty,
}

/// The members the module cares about, from the top level of an object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Top<'a> {
    /// The first top-level `id` member.
    pub id: Option<Value<'a>>,
    /// The first top-level `code` member.
    pub code: Option<Value<'a>>,
}

/// Where UTF-8 validation failed: `valid_up_to` and `error_len` as `core::str::Utf8Error`
/// reports them, its `None` (the input ends inside a sequence) as `usize::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8Error {
    /// Length of the valid prefix.
    pub valid_up_to: usize,
    /// Length of the invalid sequence at `valid_up_to`, `usize::MAX` when the input ends
    /// first (`core`'s `None`).
    pub error_len: usize,
}

/// `core::str::from_utf8` without its speed-tuned code (a fraction of its size in flash):
/// shortest forms only, no surrogates, nothing above U+10FFFF.
pub fn utf8_check(b: &[u8]) -> Result<(), Utf8Error> {
    let e = utf8_scan(b);
    if e.valid_up_to == b.len() {
        Ok(())
    } else {
        Err(e)
    }
}

/// [`utf8_check`]'s answer as one [`Utf8Error`], `valid_up_to` the whole length (and
/// `error_len` 0) for valid UTF-8.
pub fn utf8_scan(b: &[u8]) -> Utf8Error {
    // Whole words of ASCII first (every payload the module reads is ASCII, or nearly).
    let mut i = super::words::clean_prefix(b, |x| super::words::at_least(x, 0x80));
    loop {
        // A run of ASCII, the common case, in a tight loop.
        i += b
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii())
            .count();
        let rest = b.get(i..).unwrap_or(&[]);
        if rest.is_empty() {
            return Utf8Error {
                valid_up_to: i,
                error_len: 0,
            };
        }
        match utf8_seq(rest) {
            Ok(n) => i += n,
            Err(error_len) => {
                return Utf8Error {
                    valid_up_to: i,
                    error_len,
                }
            }
        }
    }
}

/// The UTF-8 sequence `b` starts with (`b` not empty): `Ok` with its length, or `Err` with
/// the length of the bad run as [`Utf8Error::error_len`] counts it (at least 1;
/// `usize::MAX` when `b` ends inside the sequence).
pub fn utf8_seq(b: &[u8]) -> Result<usize, usize> {
    let c = b.first().copied().unwrap_or(0);
    // Sequence length (0: a byte that cannot start one) and the range of its second byte
    // (later bytes: 0x80..=0xBF).
    let n = if c < 0x80 {
        1
    } else if c.wrapping_sub(0xC2) > 0xF4 - 0xC2 {
        // Outside 0xC2..=0xF4, in one comparison (`contains` is outlined: 66 bytes more).
        0
    } else {
        2 + usize::from(c >= 0xE0) + usize::from(c >= 0xF0)
    };
    let (mut lo, mut hi) = (0x80, 0xBF);
    match c {
        0xE0 => lo = 0xA0,
        0xED => hi = 0x9F,
        0xF0 => lo = 0x90,
        0xF4 => hi = 0x8F,
        _ => {}
    }
    let mut k = 1;
    while k < n {
        let Some(&x) = b.get(k) else {
            return Err(usize::MAX);
        };
        if x < lo || x > hi {
            break;
        }
        (lo, hi) = (0x80, 0xBF);
        k += 1;
    }
    if n == 0 || k < n {
        Err(k)
    } else {
        Ok(n)
    }
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index in `s` of the first unescaped `"` (`s.len()` when there is none), or
/// `usize::MAX` at a bad escape or a raw control byte. UTF-8 is checked by the callers.
fn content_end(s: &[u8]) -> usize {
    // The run of plain text before the first byte that needs a look, in a tight loop.
    let plain = s
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(s.len());
    if s.get(plain) == Some(&b'"') {
        return plain;
    }
    // 0: plain text, 5: after `\`, 1..=4: that many hex digits of `\u` still due.
    let mut st = 0u8;
    for (i, &c) in s.iter().enumerate().skip(plain) {
        st = match st {
            0 => match c {
                b'"' => return i,
                0..=0x1f => return usize::MAX,
                b'\\' => 5,
                _ => 0,
            },
            5 => match b"u\"\\/bfnrt".iter().position(|&e| e == c) {
                Some(0) => 4,
                Some(_) => 0,
                None => break,
            },
            _ if c.is_ascii_hexdigit() => st - 1,
            _ => break,
        };
    }
    if st == 0 {
        s.len()
    } else {
        usize::MAX
    }
}

/// True when `b` is valid JSON string content (what may stand between two quotes).
pub fn is_string_content(b: &[u8]) -> bool {
    utf8_scan(b).valid_up_to == b.len() && content_end(b) == b.len()
}

/// One state's row of [`NUMBER`]: the next state for each class, four bits each.
const fn row(next: [u32; 7]) -> u32 {
    let mut w = 0;
    let mut k = 0;
    while k < 7 {
        w |= next[k] << (4 * k);
        k += 1;
    }
    w
}

/// The number grammar as a state machine: `(NUMBER[state] >> (4 * class)) & 15` is the next
/// state (9: invalid). States: 0 start, 1 after `-`, 2 a leading 0, 3 integer digits, 4 after
/// `.`, 5 fraction digits, 6 after `e`, 7 after the exponent's sign, 8 exponent digits.
/// Classes: `-` `+` `.` `e` `E` `0` `1-9`.
const NUMBER: [u32; 9] = [
    row([1, 9, 9, 9, 9, 2, 3]),
    row([9, 9, 9, 9, 9, 2, 3]),
    row([9, 9, 4, 6, 6, 9, 9]),
    row([9, 9, 4, 6, 6, 3, 3]),
    row([9, 9, 9, 9, 9, 5, 5]),
    row([9, 9, 9, 6, 6, 5, 5]),
    row([7, 7, 9, 9, 9, 8, 8]),
    row([9, 9, 9, 9, 9, 8, 8]),
    row([9, 9, 9, 9, 9, 8, 8]),
];

/// True when `text` is a valid JSON number.
pub fn is_number(text: &[u8]) -> bool {
    let mut s = 0usize;
    for &c in text {
        let class = match c {
            b'-' => 0,
            b'+' => 1,
            b'.' => 2,
            b'e' => 3,
            b'E' => 4,
            b'0' => 5,
            b'1'..=b'9' => 6,
            _ => return false,
        };
        let Some(&next) = NUMBER.get(s) else {
            return false;
        };
        s = ((next >> (4 * class)) & 15) as usize;
    }
    matches!(s, 2 | 3 | 5 | 8)
}

// What may come next in `scan` (bits).
const VAL: u8 = 1;
const KEY: u8 = 2;
const CLOSE: u8 = 4;
const COLON: u8 = 8;
const COMMA: u8 = 16;

/// The top-level members `scan` picks, as indices into its spans.
const ID: usize = 0;
const CODE: usize = 1;
const OTHER: usize = 2;

fn value(b: &[u8], (start, end): (usize, usize)) -> Option<Value<'_>> {
    let t = b.get(start..end)?;
    Some(match t.first()? {
        b'"' => Value::Str(t.get(1..t.len() - 1)?),
        b'-' | b'0'..=b'9' => Value::Num(t),
        _ => Value::Other(t),
    })
}

/// Validate `payload` as one JSON object (surrounding white space allowed) and pick its
/// top-level `id` and `code` (the first of each, when repeated).
///
/// One pass over the tokens (after one UTF-8 check of the whole payload: outside strings
/// only ASCII is valid anyway): `want` says which tokens may come next, `stack` has a bit
/// per open container (set: an object). A string is taken whole by `content_end`; numbers
/// and literals are taken as runs of bytes up to a byte at or below the space, `,`, `]`,
/// `}` or the end (anything else after them is invalid anyway) and checked whole.
pub fn scan(b: &[u8]) -> Result<Top<'_>, Error> {
    if utf8_scan(b).valid_up_to != b.len() {
        return Err(Error::Invalid);
    }
    let mut want = VAL;
    // A 1 above one bit per open container (set: an object): 1 at the top level, 3 inside
    // the top-level object.
    let mut stack = 1u32;
    // The first byte of the top-level value.
    let mut first = 0u8;
    // The top-level member being read (ID, CODE or OTHER); where its value starts, and
    // where the values of the first `id` and `code` are in `b`.
    let mut member = OTHER;
    let mut start = 0usize;
    let mut span = [(0usize, 0usize); 2];
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let mut end = i + 1;
        if is_ws(c) {
            i = end;
            continue;
        }
        match stack {
            1 => first = c,
            3 => start = i,
            _ => {}
        }
        let in_object = stack & 1 == 1;
        match c {
            b'{' | b'[' if want & VAL != 0 => {
                if stack >> MAX_DEPTH != 0 {
                    return Err(Error::TooDeep);
                }
                let object = c == b'{';
                stack = stack << 1 | u32::from(object);
                want = CLOSE | if object { KEY } else { VAL };
                i = end;
                continue;
            }
            b'}' | b']' if want & CLOSE != 0 && (c == b'}') == in_object => stack >>= 1,
            // After `,` a key in an object, a value in an array.
            b',' if want & COMMA != 0 => {
                want = if in_object { KEY } else { VAL };
                i = end;
                continue;
            }
            b':' if want & COLON != 0 => {
                want = VAL;
                i = end;
                continue;
            }
            b'"' if want & (KEY | VAL) != 0 => {
                let s = b.get(end..).unwrap_or_default();
                let n = content_end(s);
                if n >= s.len() {
                    return Err(Error::Invalid);
                }
                end += n + 1;
                if want & KEY != 0 {
                    // Keys come only in objects: `stack` 3 is the top-level one.
                    if stack == 3 {
                        member = match s.get(..n) {
                            Some(b"id") => ID,
                            Some(b"code") => CODE,
                            _ => OTHER,
                        };
                    }
                    want = COLON;
                    i = end;
                    continue;
                }
            }
            _ if want & VAL != 0 => {
                let rest = b.get(i..).unwrap_or_default();
                let n = rest
                    .iter()
                    // Any byte up to the space ends it (a control byte that is not white
                    // space is then refused where it stands, as it would be inside the run).
                    .position(|&c| matches!(c, 0..=b' ' | b',' | b']' | b'}'))
                    .unwrap_or(rest.len());
                let t = rest.get(..n).unwrap_or_default();
                end = i + n;
                if !matches!(t, b"true" | b"false" | b"null") && !is_number(t) {
                    return Err(Error::Invalid);
                }
            }
            _ => return Err(Error::Invalid),
        }
        // A value ended at `end`.
        if stack == 3 {
            if let Some(s) = span.get_mut(member) {
                if s.1 == 0 {
                    *s = (start, end);
                }
            }
        }
        want = if stack == 1 { 0 } else { COMMA | CLOSE };
        i = end;
    }
    if want != 0 {
        return Err(Error::Invalid);
    }
    if first != b'{' {
        return Err(Error::NotObject);
    }
    Ok(Top {
        id: value(b, span[ID]),
        code: value(b, span[CODE]),
    })
}

/// True when `text` is exactly one valid JSON value (any kind, no surrounding white space).
pub fn is_value(text: &[u8]) -> bool {
    !text.first().is_some_and(|c| is_ws(*c))
        && !text.last().is_some_and(|c| is_ws(*c))
        && matches!(scan(text), Ok(_) | Err(Error::NotObject))
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    let mut n: u64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
        if n > u64::from(u32::MAX) {
            return None;
        }
    }
    if digits.is_empty() {
        return None;
    }
    Some(n as u32)
}

impl<'a> Value<'a> {
    /// The value as an unsigned integer: a JSON number or a string of digits, no sign, no
    /// fraction, fitting in u32.
    pub fn as_u32(&self) -> Option<u32> {
        // Any other value starts with a byte that is not a digit.
        parse_u32(self.text())
    }

    /// The raw text of the value (a string's content without its quotes).
    pub fn text(&self) -> &'a [u8] {
        match self {
            Value::Str(s) | Value::Num(s) | Value::Other(s) => s,
        }
    }
}

/// True for a string that can be written as a JSON number: digits, no leading zero.
fn is_plain_digits(s: &[u8]) -> bool {
    let leading_zero = s.len() > 1 && s.first() == Some(&b'0');
    !s.is_empty() && !leading_zero && s.iter().all(u8::is_ascii_digit)
}

/// The `id` of a phone's query, ready to echo (SPEC section 6, "Answering queries"):
/// `Err` when the payload is missing, not a JSON object, or its `id` is too long.
///
/// A string of digits is echoed as a JSON number, except when it has a leading zero (`"007"`):
/// a number may not, so it stays a string and the answer stays valid JSON.
pub fn id_echo(payload: Option<&[u8]>) -> Result<IdEcho, Error> {
    let payload = match payload {
        Some(p) if !p.is_empty() => p,
        _ => return Err(Error::Empty),
    };
    let top = scan(payload)?;
    let (kind, text) = match top.id {
        None => (IdKind::Missing, &[][..]),
        Some(Value::Str(s)) if is_plain_digits(s) => (IdKind::Number, s),
        Some(v) => (
            match v {
                Value::Str(_) => IdKind::String,
                Value::Num(_) => IdKind::Number,
                Value::Other(_) => IdKind::Raw,
            },
            v.text(),
        ),
    };
    let mut echo = IdEcho {
        kind,
        text: heapless::Vec::new(),
    };
    echo.text
        .extend_from_slice(text)
        .map_err(|_| Error::IdTooLong)?;
    Ok(echo)
}

#[cfg(test)]
mod tests {
    use super::utf8_check;
    use std::{vec, vec::Vec};

    /// `utf8_check` reports exactly what `core::str::from_utf8` does.
    fn same(b: &[u8]) {
        let ours = utf8_check(b);
        match core::str::from_utf8(b) {
            Ok(_) => assert_eq!(ours, Ok(()), "{b:x?}"),
            Err(e) => {
                let ours = ours.expect_err("accepted invalid UTF-8");
                assert_eq!(ours.valid_up_to, e.valid_up_to(), "{b:x?}");
                assert_eq!(
                    ours.error_len,
                    e.error_len().unwrap_or(usize::MAX),
                    "{b:x?}"
                );
            }
        }
    }

    #[test]
    fn utf8_check_matches_core() {
        // Every sequence of up to two bytes, and three- and four-byte sequences built from
        // the boundary values of each byte class.
        let edges: Vec<u8> = vec![
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ];
        for a in 0..=255u8 {
            same(&[a]);
            for b in 0..=255u8 {
                same(&[a, b]);
                same(&[b'x', a, b, b'y']);
            }
        }
        for &a in &edges {
            for &b in &edges {
                for &c in &edges {
                    same(&[a, b, c]);
                    for &d in &edges {
                        same(&[a, b, c, d]);
                        same(&[a, b, c, d, 0xE2, 0x82]);
                    }
                }
            }
        }
    }
}
