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
    /// Not valid JSON (with the byte offset of the problem).
    Invalid(usize),
    /// Valid JSON, but not an object.
    NotObject,
    /// Nested deeper than the scanner allows.
    TooDeep,
    /// The `id` is longer than [`crate::core::MAX_ID_LEN`] bytes.
    IdTooLong,
    /// No payload at all.
    Empty,
}

impl Error {
    /// A short description for log lines, followed by the payload's excerpt.
    pub fn reason(&self) -> super::Msg {
        use super::Msg;
        match self {
            Error::Invalid(_) => Msg::JsonInvalid,
            Error::NotObject => Msg::JsonNotObject,
            Error::TooDeep => Msg::JsonTooDeep,
            Error::IdTooLong => Msg::JsonIdTooLong,
            Error::Empty => Msg::JsonEmpty,
        }
    }
}

/// The members the module cares about, from the top level of an object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Top<'a> {
    /// The first top-level `id` member.
    pub id: Option<Value<'a>>,
    /// The first top-level `code` member.
    pub code: Option<Value<'a>>,
}

/// Where UTF-8 validation failed: `valid_up_to` and `error_len` exactly as
/// `core::str::Utf8Error` reports them (`None`: the input ends inside a sequence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8Error {
    /// Length of the valid prefix.
    pub valid_up_to: usize,
    /// Length of the invalid sequence at `valid_up_to`, `None` when the input ends first.
    pub error_len: Option<usize>,
}

/// `core::str::from_utf8` without its speed-tuned code (a fraction of its size in flash):
/// shortest forms only, no surrogates, nothing above U+10FFFF.
pub fn utf8_check(b: &[u8]) -> Result<(), Utf8Error> {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        // Sequence length and the range of its second byte (later bytes: 0x80..=0xBF).
        let (n, mut lo, mut hi) = match c {
            0x00..=0x7F => (1, 0, 0),
            0xC2..=0xDF => (2, 0x80, 0xBF),
            0xE0..=0xEF => (
                3,
                if c == 0xE0 { 0xA0 } else { 0x80 },
                if c == 0xED { 0x9F } else { 0xBF },
            ),
            0xF0..=0xF4 => (
                4,
                if c == 0xF0 { 0x90 } else { 0x80 },
                if c == 0xF4 { 0x8F } else { 0xBF },
            ),
            _ => (0, 0, 0),
        };
        let mut k = 1;
        while k < n {
            match b.get(i + k) {
                None => {
                    return Err(Utf8Error {
                        valid_up_to: i,
                        error_len: None,
                    })
                }
                Some(&x) if (lo..=hi).contains(&x) => k += 1,
                Some(_) => break,
            }
            (lo, hi) = (0x80, 0xBF);
        }
        if n == 0 || k < n {
            return Err(Utf8Error {
                valid_up_to: i,
                error_len: Some(k),
            });
        }
        i += n;
    }
    Ok(())
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if !is_ws(c) {
            break;
        }
        i += 1;
    }
    i
}

/// Scans string content from `b[i]` up to the first unescaped `"` or the end of `b`, and
/// returns that index. The content must be valid UTF-8 with valid escapes (`\uXXXX`
/// included) and no raw control bytes.
fn content_end(b: &[u8], i: usize) -> Result<usize, Error> {
    let mut j = i;
    while let Some(&c) = b.get(j) {
        match c {
            b'"' => break,
            b'\\' => {
                let n = match b.get(j + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => 2,
                    Some(b'u') => 6,
                    _ => return Err(Error::Invalid(j + 1)),
                };
                for k in 2..n {
                    if !b.get(j + k).is_some_and(u8::is_ascii_hexdigit) {
                        return Err(Error::Invalid(j + k));
                    }
                }
                j += n;
            }
            0..=0x1f => return Err(Error::Invalid(j)),
            _ => j += 1,
        }
    }
    if let Err(e) = utf8_check(b.get(i..j).unwrap_or(&[])) {
        return Err(Error::Invalid(i + e.valid_up_to));
    }
    Ok(j)
}

/// Scans a string starting at the opening quote `b[i]`; returns the index after the closing
/// quote.
fn string_end(b: &[u8], i: usize) -> Result<usize, Error> {
    let j = content_end(b, i + 1)?;
    if b.get(j) != Some(&b'"') {
        return Err(Error::Invalid(j));
    }
    Ok(j + 1)
}

/// True when `b` is valid JSON string content (what may stand between two quotes).
pub fn is_string_content(b: &[u8]) -> bool {
    content_end(b, 0) == Ok(b.len())
}

fn digits_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
    }
    i
}

/// Scans a number starting at `b[i]`; returns the index after it.
fn number_end(b: &[u8], i: usize) -> Result<usize, Error> {
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits_end(b, j),
        _ => return Err(Error::Invalid(j)),
    }
    if b.get(j) == Some(&b'.') {
        let k = digits_end(b, j + 1);
        if k == j + 1 {
            return Err(Error::Invalid(k));
        }
        j = k;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits_end(b, j);
        if k == j {
            return Err(Error::Invalid(k));
        }
        j = k;
    }
    Ok(j)
}

fn literal_end(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, Error> {
    let end = i + lit.len();
    if b.get(i..end) == Some(lit) {
        Ok(end)
    } else {
        Err(Error::Invalid(i))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A value.
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key or `}` (just after `{`).
    KeyOrClose,
    /// A key (after a `,` in an object).
    Key,
    /// The `:` after a key.
    Colon,
    /// A `,` or the closing bracket of the current container.
    CommaOrClose,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    None,
    Id,
    Code,
}

/// Scans one whole JSON text. Returns whether the top value is an object, and the top-level
/// `id`/`code` members when it is.
fn parse(b: &[u8]) -> Result<(bool, Top<'_>), Error> {
    let mut top = Top::default();
    // Bit d-1 set: the container at depth d is an object.
    let mut stack: u32 = 0;
    let mut depth: usize = 0;
    let mut want = Want::Value;
    let mut member = Member::None;
    let mut member_start = 0usize;
    let mut top_is_object = false;
    let mut i = skip_ws(b, 0);
    loop {
        let Some(&c) = b.get(i) else {
            return Err(Error::Invalid(i));
        };
        // The end of a complete value, if this step finished one.
        let mut value_end: Option<usize> = None;
        let in_object = depth > 0 && stack & (1 << (depth - 1)) != 0;
        match want {
            Want::Value | Want::ValueOrClose => {
                if want == Want::ValueOrClose && c == b']' {
                    depth -= 1;
                    value_end = Some(i + 1);
                } else {
                    if depth == 1 && member != Member::None {
                        member_start = i;
                    }
                    match c {
                        b'{' | b'[' => {
                            if depth >= MAX_DEPTH {
                                return Err(Error::TooDeep);
                            }
                            if depth == 0 {
                                top_is_object = c == b'{';
                            }
                            if c == b'{' {
                                stack |= 1 << depth;
                                want = Want::KeyOrClose;
                            } else {
                                stack &= !(1 << depth);
                                want = Want::ValueOrClose;
                            }
                            depth += 1;
                            i += 1;
                        }
                        b'"' => value_end = Some(string_end(b, i)?),
                        b'-' | b'0'..=b'9' => value_end = Some(number_end(b, i)?),
                        b't' => value_end = Some(literal_end(b, i, b"true")?),
                        b'f' => value_end = Some(literal_end(b, i, b"false")?),
                        b'n' => value_end = Some(literal_end(b, i, b"null")?),
                        _ => return Err(Error::Invalid(i)),
                    }
                }
            }
            Want::KeyOrClose | Want::Key => {
                if want == Want::KeyOrClose && c == b'}' {
                    depth -= 1;
                    value_end = Some(i + 1);
                } else if c == b'"' {
                    let end = string_end(b, i)?;
                    if depth == 1 {
                        member = match b.get(i + 1..end - 1) {
                            Some(b"id") if top.id.is_none() => Member::Id,
                            Some(b"code") if top.code.is_none() => Member::Code,
                            _ => Member::None,
                        };
                    }
                    i = end;
                    want = Want::Colon;
                } else {
                    return Err(Error::Invalid(i));
                }
            }
            Want::Colon => {
                if c != b':' {
                    return Err(Error::Invalid(i));
                }
                i += 1;
                want = Want::Value;
            }
            Want::CommaOrClose => match c {
                b',' => {
                    i += 1;
                    want = if in_object { Want::Key } else { Want::Value };
                }
                b'}' if in_object => {
                    depth -= 1;
                    value_end = Some(i + 1);
                }
                b']' if !in_object => {
                    depth -= 1;
                    value_end = Some(i + 1);
                }
                _ => return Err(Error::Invalid(i)),
            },
        }
        if let Some(end) = value_end {
            if depth == 1 && member != Member::None {
                let text = b.get(member_start..end).unwrap_or(&[]);
                let value = match text.first() {
                    Some(b'"') => Value::Str(text.get(1..text.len() - 1).unwrap_or(&[])),
                    Some(b'-' | b'0'..=b'9') => Value::Num(text),
                    _ => Value::Other(text),
                };
                match member {
                    Member::Id => top.id = Some(value),
                    Member::Code => top.code = Some(value),
                    Member::None => {}
                }
                member = Member::None;
            }
            i = skip_ws(b, end);
            if depth == 0 {
                if i != b.len() {
                    return Err(Error::Invalid(i));
                }
                return Ok((top_is_object, top));
            }
            want = Want::CommaOrClose;
        } else {
            i = skip_ws(b, i);
        }
    }
}

/// Validate `payload` as one JSON object (surrounding white space allowed) and pick its
/// top-level `id` and `code` (the first of each, when repeated).
pub fn scan(payload: &[u8]) -> Result<Top<'_>, Error> {
    match parse(payload)? {
        (true, top) => Ok(top),
        (false, _) => Err(Error::NotObject),
    }
}

/// True when `text` is exactly one valid JSON value (any kind, no surrounding white space).
pub fn is_value(text: &[u8]) -> bool {
    !text.first().is_some_and(|c| is_ws(*c))
        && !text.last().is_some_and(|c| is_ws(*c))
        && parse(text).is_ok()
}

/// True when `text` is a valid JSON number.
pub fn is_number(text: &[u8]) -> bool {
    matches!(text.first(), Some(b'-' | b'0'..=b'9')) && number_end(text, 0) == Ok(text.len())
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(n)
}

impl<'a> Value<'a> {
    /// The value as an unsigned integer: a JSON number or a string of digits, no sign, no
    /// fraction, fitting in u32.
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Value::Str(s) | Value::Num(s) => parse_u32(s),
            Value::Other(_) => None,
        }
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
    !s.is_empty() && s.iter().all(u8::is_ascii_digit) && (s.len() == 1 || s.first() != Some(&b'0'))
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
        Some(Value::Str(s)) => (IdKind::String, s),
        Some(Value::Num(n)) => (IdKind::Number, n),
        Some(Value::Other(o)) => (IdKind::Raw, o),
    };
    let text = heapless::Vec::from_slice(text).map_err(|_| Error::IdTooLong)?;
    Ok(IdEcho { kind, text })
}

#[cfg(test)]
mod tests {
    use super::utf8_check;

    /// `utf8_check` reports exactly what `core::str::from_utf8` does.
    fn same(b: &[u8]) {
        let ours = utf8_check(b);
        match core::str::from_utf8(b) {
            Ok(_) => assert_eq!(ours, Ok(()), "{b:x?}"),
            Err(e) => {
                let ours = ours.expect_err("accepted invalid UTF-8");
                assert_eq!(ours.valid_up_to, e.valid_up_to(), "{b:x?}");
                assert_eq!(ours.error_len, e.error_len(), "{b:x?}");
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
