//! Reading a log as it comes from a customer: any of the usual encodings and line endings,
//! terminal escape codes, a binary or an empty file refused, one line at a time (memory stays
//! constant whatever the file's size).

use std::io::{self, Read};

/// Longest line kept, in bytes of the file; the rest of a longer line is dropped (and counted).
pub const MAX_LINE: usize = 16 * 1024;
/// Bytes looked at to tell the encoding and refuse a binary file.
const SNIFF: usize = 8 * 1024;

/// How the file's text is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (bytes that are not UTF-8 are read as Latin-1).
    Utf8 {
        bom: bool,
    },
    Utf16Le {
        bom: bool,
    },
    Utf16Be {
        bom: bool,
    },
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 { bom: false } => "UTF-8",
            Encoding::Utf8 { bom: true } => "UTF-8 with BOM",
            Encoding::Utf16Le { bom: false } => "UTF-16LE",
            Encoding::Utf16Le { bom: true } => "UTF-16LE with BOM",
            Encoding::Utf16Be { bom: false } => "UTF-16BE",
            Encoding::Utf16Be { bom: true } => "UTF-16BE with BOM",
        }
    }

    fn wide(self) -> Option<bool> {
        match self {
            Encoding::Utf8 { .. } => None,
            Encoding::Utf16Le { .. } => Some(true),
            Encoding::Utf16Be { .. } => Some(false),
        }
    }
}

/// Why a file is not analysed.
#[derive(Debug)]
pub enum Refusal {
    Empty,
    Binary(String),
    Io(io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Empty => write!(f, "the file is empty (no text at all): nothing to check"),
            Refusal::Binary(why) => write!(
                f,
                "not a text log ({why}): give doctor the device's console output, not a binary"
            ),
            Refusal::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

/// What the reader saw of the file's form.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub encoding: Option<Encoding>,
    pub lf: u64,
    pub crlf: u64,
    pub cr: u64,
    pub lfcr: u64,
    /// Bytes that were not UTF-8, read as Latin-1.
    pub latin1_bytes: u64,
    /// Escape sequences (colours, cursor moves) removed.
    pub escapes: u64,
    /// Lines longer than [`MAX_LINE`], cut.
    pub cut_lines: u64,
}

impl Form {
    /// "LF", "CRLF", "CR", "LFCR" or "mixed (..)".
    pub fn endings(&self) -> String {
        let all = [
            ("LF", self.lf),
            ("CRLF", self.crlf),
            ("CR", self.cr),
            ("LFCR", self.lfcr),
        ];
        let used: Vec<String> = all
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        match used.len() {
            0 => "none".into(),
            1 => all.iter().find(|(_, n)| *n > 0).map_or("", |x| x.0).into(),
            _ => format!("mixed ({})", used.join(", ")),
        }
    }
}

/// Reads lines of text from any reader, whatever their encoding and ending.
pub struct Lines<R: Read> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    enc: Encoding,
    /// The current line's raw bytes (8-bit) or units (UTF-16).
    bytes: Vec<u8>,
    units: Vec<u16>,
    cut: bool,
    pub form: Form,
}

fn sniff(head: &[u8]) -> Result<(Encoding, usize), Refusal> {
    if head.is_empty() {
        return Err(Refusal::Empty);
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok((Encoding::Utf8 { bom: true }, 3));
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Ok((Encoding::Utf16Le { bom: true }, 2));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Ok((Encoding::Utf16Be { bom: true }, 2));
    }
    // UTF-16 without a BOM: text that is mostly ASCII has a zero in every other byte.
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        if odd * 10 >= pairs * 4 && even * 20 <= pairs {
            return Ok((Encoding::Utf16Le { bom: false }, 0));
        }
        if even * 10 >= pairs * 4 && odd * 20 <= pairs {
            return Ok((Encoding::Utf16Be { bom: false }, 0));
        }
    }
    Ok((Encoding::Utf8 { bom: false }, 0))
}

/// Control characters that have no place in a text log (tab, line ends, form feed, backspace
/// and escape do).
fn is_junk(c: u32) -> bool {
    c == 0 || (c < 0x20 && !matches!(c, 0x09 | 0x0A | 0x0D | 0x0C | 0x08 | 0x1B))
}

fn binary_why(head: &[u8], enc: Encoding) -> Option<String> {
    let units: Vec<u32> = match enc.wide() {
        None => head.iter().map(|&b| b as u32).collect(),
        Some(le) => head
            .chunks_exact(2)
            .map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]]) as u32
                } else {
                    u16::from_be_bytes([p[0], p[1]]) as u32
                }
            })
            .collect(),
    };
    if units.is_empty() {
        return None;
    }
    let nul = units.iter().filter(|&&c| c == 0).count();
    let junk = units.iter().filter(|&&c| is_junk(c)).count();
    if head.starts_with(b"\x7fELF") {
        return Some("an ELF executable".into());
    }
    // A serial console can print a stray NUL or line noise at boot; a binary is full of them.
    if nul * 100 > units.len() || junk * 20 > units.len() {
        return Some(format!(
            "{junk} control bytes, {nul} of them NUL, in its first {} bytes",
            head.len()
        ));
    }
    if enc.wide().is_none() {
        let bad = String::from_utf8_lossy(head)
            .chars()
            .filter(|&c| c == '\u{FFFD}')
            .count();
        if bad * 3 > units.len() {
            return Some(format!(
                "{bad} of its first {} bytes are neither UTF-8 nor text",
                head.len()
            ));
        }
    }
    None
}

impl<R: Read> Lines<R> {
    /// Looks at the start of the file: its encoding, or why it is refused.
    pub fn open(mut r: R) -> Result<Lines<R>, Refusal> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0;
        while len < SNIFF {
            match r.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Refusal::Io(e)),
            }
        }
        let (enc, skip) = sniff(&buf[..len])?;
        if let Some(why) = binary_why(&buf[skip..len], enc) {
            return Err(Refusal::Binary(why));
        }
        Ok(Lines {
            r,
            buf,
            pos: skip,
            len,
            eof: false,
            enc,
            bytes: Vec::new(),
            units: Vec::new(),
            cut: false,
            form: Form {
                encoding: Some(enc),
                ..Form::default()
            },
        })
    }

    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.r.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next byte (8-bit text) or UTF-16 unit, as a number.
    fn next_unit(&mut self) -> io::Result<Option<u32>> {
        match self.enc.wide() {
            None => {
                if !self.fill()? {
                    return Ok(None);
                }
                let b = self.buf[self.pos];
                self.pos += 1;
                Ok(Some(b as u32))
            }
            Some(le) => {
                let mut two = [0u8; 2];
                for slot in &mut two {
                    if !self.fill()? {
                        // An odd last byte: drop it.
                        return Ok(None);
                    }
                    *slot = self.buf[self.pos];
                    self.pos += 1;
                }
                Ok(Some(if le {
                    u16::from_le_bytes(two) as u32
                } else {
                    u16::from_be_bytes(two) as u32
                }))
            }
        }
    }

    /// Looks at the next unit without taking it.
    fn peek_unit(&mut self) -> io::Result<Option<u32>> {
        match self.enc.wide() {
            None => {
                if !self.fill()? {
                    return Ok(None);
                }
                Ok(Some(self.buf[self.pos] as u32))
            }
            Some(le) => {
                // Two bytes may straddle a refill: keep the first one.
                if !self.fill()? {
                    return Ok(None);
                }
                if self.pos + 1 < self.len {
                    let p = [self.buf[self.pos], self.buf[self.pos + 1]];
                    return Ok(Some(if le {
                        u16::from_le_bytes(p) as u32
                    } else {
                        u16::from_be_bytes(p) as u32
                    }));
                }
                let first = self.buf[self.pos];
                self.buf[0] = first;
                let got = loop {
                    match self.r.read(&mut self.buf[1..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.pos = 0;
                self.len = 1 + got;
                if got == 0 {
                    self.eof = true;
                    return Ok(None);
                }
                let p = [self.buf[0], self.buf[1]];
                Ok(Some(if le {
                    u16::from_le_bytes(p) as u32
                } else {
                    u16::from_be_bytes(p) as u32
                }))
            }
        }
    }

    fn push(&mut self, u: u32) {
        match self.enc.wide() {
            None if self.bytes.len() < MAX_LINE => self.bytes.push(u as u8),
            Some(_) if self.units.len() * 2 < MAX_LINE => self.units.push(u as u16),
            _ => self.cut = true,
        }
    }

    /// Reads the next line into `out` (escape codes and control characters removed). False at
    /// the end of the file.
    pub fn next_line(&mut self, out: &mut String) -> io::Result<bool> {
        out.clear();
        self.bytes.clear();
        self.units.clear();
        self.cut = false;
        let mut any = false;
        loop {
            let Some(u) = self.next_unit()? else {
                if !any {
                    return Ok(false);
                }
                break;
            };
            any = true;
            if u == 0x0A || u == 0x0D {
                let pair = if u == 0x0A { 0x0D } else { 0x0A };
                if self.peek_unit()? == Some(pair) {
                    let _ = self.next_unit()?;
                    if u == 0x0A {
                        self.form.lfcr += 1;
                    } else {
                        self.form.crlf += 1;
                    }
                } else if u == 0x0A {
                    self.form.lf += 1;
                } else {
                    self.form.cr += 1;
                }
                break;
            }
            self.push(u);
        }
        if self.cut {
            self.form.cut_lines += 1;
        }
        let mut text = String::new();
        match self.enc.wide() {
            None => {
                let mut rest = &self.bytes[..];
                loop {
                    match std::str::from_utf8(rest) {
                        Ok(s) => {
                            text.push_str(s);
                            break;
                        }
                        Err(e) => {
                            let good = e.valid_up_to();
                            text.push_str(std::str::from_utf8(&rest[..good]).unwrap_or(""));
                            let bad = e.error_len().unwrap_or(rest.len() - good);
                            for &b in &rest[good..good + bad] {
                                text.push(char::from(b));
                                self.form.latin1_bytes += 1;
                            }
                            rest = &rest[good + bad..];
                        }
                    }
                }
            }
            Some(_) => {
                for c in char::decode_utf16(self.units.iter().copied()) {
                    text.push(c.unwrap_or('\u{FFFD}'));
                }
            }
        }
        self.form.escapes += strip_escapes(&text, out);
        Ok(true)
    }
}

/// Copies `s` to `out` without terminal escape sequences (CSI such as colours, OSC such as
/// titles, other two-character escapes, the caret form `^[[0m` that `cat -v` leaves) and
/// without other control characters. Returns how many sequences were removed.
pub fn strip_escapes(s: &str, out: &mut String) -> u64 {
    let mut n = 0;
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        let csi = match c {
            '\x1b' => match it.peek() {
                Some('[') => {
                    it.next();
                    true
                }
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    // A string up to BEL or ST (ESC \).
                    it.next();
                    n += 1;
                    while let Some(d) = it.next() {
                        if d == '\x07' {
                            break;
                        }
                        if d == '\x1b' {
                            if it.peek() == Some(&'\\') {
                                it.next();
                            }
                            break;
                        }
                    }
                    continue;
                }
                Some(_) => {
                    // ESC, intermediates, a final character.
                    while it.peek().is_some_and(|d| ('\x20'..='\x2f').contains(d)) {
                        it.next();
                    }
                    it.next();
                    n += 1;
                    continue;
                }
                None => {
                    n += 1;
                    continue;
                }
            },
            '\u{9b}' => true,
            '^' if it.peek() == Some(&'[') => {
                let mut ahead = it.clone();
                ahead.next();
                if ahead.peek() == Some(&'[') {
                    it.next();
                    it.next();
                    true
                } else {
                    out.push(c);
                    continue;
                }
            }
            _ => false,
        };
        if csi {
            n += 1;
            // Parameters and intermediates, then one final byte.
            while let Some(&d) = it.peek() {
                it.next();
                if ('\x40'..='\x7e').contains(&d) {
                    break;
                }
                if !('\x20'..='\x3f').contains(&d) {
                    break;
                }
            }
            continue;
        }
        let u = c as u32;
        if (u < 0x20 && c != '\t') || u == 0x7f || (0x80..0xa0).contains(&u) {
            continue;
        }
        out.push(c);
    }
    n
}
