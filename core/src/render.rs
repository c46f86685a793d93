//! Byte-exact payloads and topics (SPEC section 5), written without `core::fmt`.
//!
//! Every renderer appends to a [`Writer`]; a writer that runs out of room drops the excess and
//! remembers it ([`Writer::ok`] is then false), so a caller never sends a truncated payload.

use super::{json, IdEcho, IdKind, Stats, Token};

/// True when JSON string content takes `c` as it is: 0x20 to 0x7F but `"` and `\`
/// (bytes from 0x80 up are taken as they are only as part of a valid UTF-8 sequence).
fn is_plain(c: u8) -> bool {
    (0x20..0x80).contains(&c) && c != b'"' && c != b'\\'
}

/// `b` split after the run of [`is_plain`] bytes it starts with: a machine word at a time
/// while a whole word is plain (an identity from the HAL is plain throughout), then byte by
/// byte. When every whole word is plain, the last [`W`](super::words::W) bytes of `b` are
/// tested as one more word (it overlaps the one before): the whole of `b` is then plain
/// without a look at its bytes one by one.
fn split_plain(b: &[u8]) -> (&[u8], &[u8]) {
    use super::words::{at_least, below, clean_prefix, equal, W};
    let found = |x| below(x, 0x20) | at_least(x, 0x80) | equal(x, b'"') | equal(x, b'\\');
    let n = clean_prefix(b, found);
    let tail = b.get(n..).unwrap_or_default();
    let last_word = b.get(b.len().wrapping_sub(W)..).unwrap_or_default();
    if tail.len() < W && clean_prefix(last_word, found) == W {
        return (b, &[]);
    }
    let run = tail.iter().position(|&c| !is_plain(c));
    b.split_at_checked(n + run.unwrap_or(tail.len()))
        .unwrap_or((b, &[]))
}

/// `n / 100` and `n % 100`, in 32-bit arithmetic when `n` fits (every number but an uptime
/// does): a 32-bit CPU divides those in hardware, a `u64` only by a library call.
fn div100(n: u64) -> (u64, usize) {
    match u32::try_from(n) {
        Ok(m) => (u64::from(m / 100), (m % 100) as usize),
        Err(_) => (n / 100, (n % 100) as usize),
    }
}

/// The two decimal digits of every number below 100, made when the crate is compiled: a
/// number is written two digits a division (200 bytes of flash).
const DEC_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// A bounded writer into a caller's byte buffer. Writing past the end sets `overflow` and
/// drops the excess; callers check [`Writer::ok`] before sending.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

/// The two upper-case hex digits of every byte value, made when the crate is compiled: a
/// token's 32 digits are then 16 look-ups (512 bytes of flash for half the instructions of
/// taking each digit from a table of 16).
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = [[0u8; 2]; 256];
    let mut x = 0;
    while x < 256 {
        t[x] = [HEX[x >> 4], HEX[x & 0xf]];
        x += 1;
    }
    t
};

impl<'a> Writer<'a> {
    /// A writer that fills `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer {
            buf,
            len: 0,
            overflow: false,
        }
    }

    fn byte(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    /// Append text.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Append bytes as they are.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        let n = match self.buf.get_mut(self.len..) {
            Some(dst) => super::copy_bytes(dst, b),
            None => 0,
        };
        self.len += n;
        if n < b.len() {
            self.overflow = true;
        }
        self
    }

    /// Append `n` in decimal, written in place (when it does not fit, none of it is written
    /// and the writer overflows).
    pub fn u64(&mut self, mut n: u64) -> &mut Self {
        // The digit count, by multiplying instead of dividing: one more for each power of ten
        // up to `n` (the 19th, the last a `u64` holds, gives the 20 digits of `u64::MAX`).
        let (mut len, mut ten_to_len) = (1, 10u64);
        while len < 20 && n >= ten_to_len {
            len += 1;
            ten_to_len = ten_to_len.wrapping_mul(10);
        }
        let end = self.len.saturating_add(len);
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            self.overflow = true;
            return self;
        };
        // The digits from the last one, two at a time; an odd count leaves the first, alone.
        let mut pairs = dst.rchunks_exact_mut(2);
        for pair in &mut pairs {
            let (q, r) = div100(n);
            pair.copy_from_slice(&DEC_PAIRS[r]);
            n = q;
        }
        if let Some(first) = pairs.into_remainder().first_mut() {
            // Below 10 now: the digits after it are written.
            *first = b'0' + (n % 10) as u8;
        }
        self.len = end;
        self
    }

    /// Append `n` in decimal, with a `-` when negative.
    pub fn i64(&mut self, n: i64) -> &mut Self {
        if n < 0 {
            self.byte(b'-');
        }
        self.u64(n.unsigned_abs())
    }

    /// Upper-case hex of `b`, written in place (when it does not fit, none of it is written
    /// and the writer overflows).
    pub fn hex(&mut self, b: &[u8]) -> &mut Self {
        let end = self.len.saturating_add(2 * b.len());
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            self.overflow = true;
            return self;
        };
        for (pair, &x) in dst.chunks_exact_mut(2).zip(b) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(x)]);
        }
        self.len = end;
        self
    }

    /// `b` as JSON string content: `"` `\` and control bytes escaped. Bytes that are not
    /// UTF-8 are written as `\uFFFD` so that the result is always valid JSON.
    pub fn json_escaped(&mut self, b: &[u8]) -> &mut Self {
        self.escaped(b, false)
    }

    /// [`Writer::json_escaped`], ASCII letters upper-cased when `upper`.
    fn escaped(&mut self, b: &[u8], upper: bool) -> &mut Self {
        let mut rest = b;
        loop {
            // The run of bytes written as they are (all of an identity from the HAL), in one
            // copy, upper-cased where it landed.
            let (plain, tail) = split_plain(rest);
            let start = self.len;
            self.bytes(plain);
            if upper {
                if let Some(text) = self.buf.get_mut(start..self.len) {
                    super::words::make_ascii_uppercase(text);
                }
            }
            if tail.is_empty() {
                return self;
            }
            rest = self.not_plain(tail);
        }
    }

    /// Write the byte `b` starts with, one that is not [`is_plain`], as JSON string content
    /// (an escape, a whole UTF-8 sequence, or `\uFFFD` for a bad run), and return the rest of
    /// `b`. Out of line, so that the loop of [`Writer::escaped`] keeps its registers for the
    /// common case, a plain identity, which never comes here.
    #[inline(never)]
    fn not_plain<'b>(&mut self, b: &'b [u8]) -> &'b [u8] {
        let Some((&c, rest)) = b.split_first() else {
            return b;
        };
        match c {
            b'"' | b'\\' => {
                self.bytes(&[b'\\', c]);
            }
            0x08 => {
                self.bytes(b"\\b");
            }
            0x09 => {
                self.bytes(b"\\t");
            }
            0x0a => {
                self.bytes(b"\\n");
            }
            0x0c => {
                self.bytes(b"\\f");
            }
            0x0d => {
                self.bytes(b"\\r");
            }
            0..=0x1f => {
                self.bytes(b"\\u00").hex(&[c]);
            }
            // Not ASCII: one whole UTF-8 sequence as it is, or `\uFFFD` for a bad run
            // (`error_len` bytes of it, all the rest when the text ends inside one).
            _ => match json::utf8_seq(b) {
                Ok(n) => {
                    let (seq, rest) = b.split_at_checked(n).unwrap_or((b, &[]));
                    self.bytes(seq);
                    return rest;
                }
                Err(skip) => {
                    self.bytes(b"\\uFFFD");
                    return b.get(skip..).unwrap_or_default();
                }
            },
        }
        rest
    }

    /// Add a NUL after the text (not counted in `len`); false if there is no room.
    pub fn nul_terminate(&mut self) -> bool {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = 0;
                true
            }
            None => false,
        }
    }

    /// The text written so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when nothing was dropped.
    pub fn ok(&self) -> bool {
        !self.overflow
    }
}

/// What the device says about itself in DEVINFO; each field is the HAL's string up to its NUL.
#[derive(Clone, Copy, Debug)]
pub struct Identity<'a> {
    /// `HAL_GetProductKey`.
    pub product_key: &'a [u8],
    /// `HAL_GetDeviceName`.
    pub device_name: &'a [u8],
    /// As `HAL_Wifi_Get_Mac` gives it; rendered upper-case.
    pub mac: &'a [u8],
    /// As `HAL_Wifi_Get_IP` gives it.
    pub ip: &'a [u8],
}

/// What a placeholder `${name}` of a template stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `${token}`: 32 upper-case hex digits.
    Token,
    /// `${echo}`: the query's id (see [`id_echo`]).
    Echo,
    /// `${devinfo}`: the device-info members ([`Payload::DevInfoBase`]).
    DevInfo,
    /// `${pk}`: the product key.
    ProductKey,
    /// `${dn}`: the device name.
    DeviceName,
    /// `${mac}`: the MAC, upper-cased.
    Mac,
    /// `${ip}`: the IP.
    Ip,
    /// `${id}`, `${remain}`, `${uptime}`, `${trace}`, `${max}`, `${min}`, `${mean}`, `${cnt}`,
    /// `${suc}`: the next number, in decimal.
    Number,
    /// `${sign}`: the 20-byte HMAC-SHA1 sign, 40 upper-case hex digits (the provisioning
    /// payloads of [`wifi`]; their `${random}` is [`Field::Token`]).
    #[cfg(feature = "wifi-provision")]
    Sign,
}

/// A placeholder of a template, `${name}`, and the text before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hole {
    /// The text from the end of the placeholder before it (or from the start) to its `${`:
    /// the template's own bytes, found when the crate is compiled, so that filling the
    /// template copies them without slicing its text.
    pub before: &'static [u8],
    /// Just after the `}`.
    pub end: u16,
    /// What it stands for.
    pub field: Field,
}

/// A template: its whole text, and its placeholders, found when the crate is compiled (so
/// that filling one copies the text between them and never scans it).
#[derive(Debug)]
pub struct Template {
    /// The text, placeholders included.
    pub text: &'static str,
    /// Its placeholders, in order.
    pub holes: &'static [Hole],
}

/// `a == b`, in a `const fn`.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The field a placeholder's name stands for; an unknown name fails the build.
const fn field(name: &[u8]) -> Field {
    const NUMBERS: [&[u8]; 9] = [
        b"id", b"remain", b"uptime", b"trace", b"max", b"min", b"mean", b"cnt", b"suc",
    ];
    const NAMED: [(&[u8], Field); 7] = [
        (b"token", Field::Token),
        (b"echo", Field::Echo),
        (b"devinfo", Field::DevInfo),
        (b"pk", Field::ProductKey),
        (b"dn", Field::DeviceName),
        (b"mac", Field::Mac),
        (b"ip", Field::Ip),
    ];
    #[cfg(feature = "wifi-provision")]
    {
        // `aes_random`, the token the phone looks for, is the sign's random.
        if same(name, b"random") {
            return Field::Token;
        }
        if same(name, b"sign") {
            return Field::Sign;
        }
    }
    let mut i = 0;
    while i < NAMED.len() {
        if same(NAMED[i].0, name) {
            return NAMED[i].1;
        }
        i += 1;
    }
    let mut i = 0;
    while i < NUMBERS.len() {
        if same(NUMBERS[i], name) {
            return Field::Number;
        }
        i += 1;
    }
    panic!("a template has an unknown placeholder")
}

/// The placeholders of `text`, as many as `N` of them (`count_holes`); a `$` that starts
/// none, or a placeholder left open, fails the build.
const fn holes<const N: usize>(text: &'static str) -> [Hole; N] {
    let b = text.as_bytes();
    let mut out = [Hole {
        before: &[],
        end: 0,
        field: Field::Number,
    }; N];
    let (mut i, mut k, mut after) = (0, 0, 0);
    while i < b.len() {
        if b[i] == b'$' {
            assert!(
                i + 1 < b.len() && b[i + 1] == b'{',
                "a lone $ in a template"
            );
            let mut end = i + 2;
            while end < b.len() && b[end] != b'}' {
                end += 1;
            }
            assert!(end < b.len(), "a placeholder left open");
            let (_, tail) = b.split_at(i + 2);
            let (name, _) = tail.split_at(end - i - 2);
            assert!(end < u16::MAX as usize, "a template too long");
            let (head, _) = b.split_at(i);
            let (_, before) = head.split_at(after);
            after = end + 1;
            out[k] = Hole {
                before,
                end: (end + 1) as u16,
                field: field(name),
            };
            k += 1;
            i = end;
        }
        i += 1;
    }
    out
}

/// The number of placeholders of `text` (its `$`s).
const fn count_holes(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == b'$' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// A `&'static Template` of the literal `$text`, its placeholders found at compile time.
macro_rules! template {
    ($text:expr) => {
        &{
            const TEXT: &str = $text;
            const HOLES: [Hole; count_holes(TEXT)] = holes::<{ count_holes(TEXT) }>(TEXT);
            const T: Template = Template {
                text: TEXT,
                holes: &HOLES,
            };
            T
        }
    };
}

/// Topics and CoAP paths, each one whole template ([`Topic::template`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/match_reply`
    MatchReply,
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/match`
    MatchReport,
    /// `/sys/${pk}/${dn}/thing/reset_reply`
    ResetReply,
    /// `/sys/${pk}/${dn}/thing/reset`
    ResetReport,
    /// `/sys/${pk}/${dn}/thing/log/post`
    LogPost,
    /// `/sys/device/info/get`
    QueryMcast,
    /// `/sys/${pk}/${dn}/device/info/get`
    QueryUcast,
    /// `/sys/device/info/notify`
    Notify,
    /// `/sys/awss/device/connectap/info/get`
    ConnectApMcast,
    /// `/sys/${pk}/${dn}/awss/device/connectap/info/get`
    ConnectApUcast,
}

impl Topic {
    /// Every topic and path, in declaration order (for the tests that check each of them).
    pub const ALL: [Topic; 10] = [
        Topic::MatchReply,
        Topic::MatchReport,
        Topic::ResetReply,
        Topic::ResetReport,
        Topic::LogPost,
        Topic::QueryMcast,
        Topic::QueryUcast,
        Topic::Notify,
        Topic::ConnectApMcast,
        Topic::ConnectApUcast,
    ];

    /// The topic or path as SPEC section 5 writes it: `${pk}` and `${dn}` stand for the
    /// product key and the device name, written as they are.
    pub const fn template(self) -> &'static Template {
        match self {
            Topic::MatchReply => template!("/sys/${pk}/${dn}/thing/awss/enrollee/match_reply"),
            Topic::MatchReport => template!("/sys/${pk}/${dn}/thing/awss/enrollee/match"),
            Topic::ResetReply => template!("/sys/${pk}/${dn}/thing/reset_reply"),
            Topic::ResetReport => template!("/sys/${pk}/${dn}/thing/reset"),
            Topic::LogPost => template!("/sys/${pk}/${dn}/thing/log/post"),
            Topic::QueryMcast => template!("/sys/device/info/get"),
            Topic::QueryUcast => template!("/sys/${pk}/${dn}/device/info/get"),
            Topic::Notify => template!("/sys/device/info/notify"),
            Topic::ConnectApMcast => template!("/sys/awss/device/connectap/info/get"),
            Topic::ConnectApUcast => template!("/sys/${pk}/${dn}/awss/device/connectap/info/get"),
        }
    }
}

/// The payloads, for [`payload`], each one whole template ([`Payload::template`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// [`report`]: numbers `[id]`.
    Report,
    /// [`reset`]: numbers `[id]`.
    Reset,
    /// [`stats`]: numbers `[id, uptime, trace_id, max, min, mean, cnt, suc]`.
    Stats,
    /// [`notify`]: numbers `[id, remain_ms]`.
    Notify,
    /// [`answer`]: numbers `[remain_ms]`.
    Answer,
    /// [`connectap_answer`]: no number.
    ConnectAp,
    /// `SyncToken max:<max> min:<min> mean:<mean> cnt:<cnt> suc:<suc>` (a log line's text):
    /// numbers `[max, min, mean, cnt, suc]`.
    SyncToken,
    /// [`dev_info`]: numbers `[remain_ms]`.
    DevInfo,
    /// [`dev_info_base`]: no number.
    DevInfoBase,
}

/// The device-info members every DEVINFO variant starts with (the one template that others
/// take in, as `${devinfo}`): the identity JSON-escaped, the MAC also upper-cased.
const DEVINFO: &Template = template!(
    r#""awssVer":{"smartconfig":"2.0","zconfig":"2.0","router":"2.0","ap":"2.0","softap":"2.0"},"productKey":"${pk}","deviceName":"${dn}","mac":"${mac}","ip":"${ip}","cipherType":3"#
);

impl Payload {
    /// The payload as SPEC section 5 writes it. Placeholders: `${token}` (32 upper-case hex
    /// digits), `${echo}` (the query's id, see [`id_echo`]), `${devinfo}` (the members of
    /// [`Payload::DevInfoBase`]), `${pk}`, `${dn}`, `${mac}`, `${ip}` (the identity,
    /// JSON-escaped), and numbers
    /// in decimal, each taking the next of the numbers [`Payload`] lists (`${id}`,
    /// `${remain}`, `${uptime}`, `${trace}`, `${max}`, `${min}`, `${mean}`, `${cnt}`,
    /// `${suc}`).
    pub const fn template(self) -> &'static Template {
        match self {
            Payload::Report => {
                template!(
                    r#"{"id":"${id}","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"${token}"}}"#
                )
            }
            Payload::Reset => {
                template!(r#"{"id":"${id}", "version":"1.0", "method":"thing.reset", "params":{}}"#)
            }
            Payload::Stats => {
                template!(
                    r#"{"id":${id},"version":"1.0","method":"things.log.post","params":{"template":"timestamp logLevel module traceContext logContent","contents":["${uptime} BIND_TRACE dev_bind ${trace} [SyncToken max:${max} min:${min} mean:${mean} cnt:${cnt} suc:${suc}]"]}}"#
                )
            }
            Payload::Notify => {
                template!(
                    r#"{"id":"${id}","version":"1.0","method":"device.info.notify","params":{${devinfo},"token":"${token}","remainTime":${remain},"type":0}}"#
                )
            }
            Payload::Answer => {
                template!(
                    r#"{"id":${echo},"code":200,"data":{${devinfo},"token":"${token}","remainTime":${remain},"type":0}}"#
                )
            }
            Payload::ConnectAp => {
                template!(r#"{"id":${echo},"code":200,"data":{${devinfo},"type":0}}"#)
            }
            Payload::SyncToken => {
                template!("SyncToken max:${max} min:${min} mean:${mean} cnt:${cnt} suc:${suc}")
            }
            Payload::DevInfo => {
                template!(r#"${devinfo},"token":"${token}","remainTime":${remain},"type":0"#)
            }
            Payload::DevInfoBase => DEVINFO,
        }
    }
}

/// What the placeholders of a template stand for.
struct Fields<'a> {
    /// The numbers not taken yet, in the order of the template's number placeholders.
    nums: &'a [u64],
    token: &'a [u8],
    who: &'a Identity<'a>,
    id: &'a IdEcho,
    /// Identity fields are JSON-escaped (payloads), else written as they are (topics).
    json: bool,
    /// The sign of the provisioning payloads.
    #[cfg(feature = "wifi-provision")]
    sign: &'a [u8],
}

impl Fields<'_> {
    /// Write `template` with its placeholders filled: each placeholder's text before it is
    /// copied, the placeholder is replaced by its field, and the text after the last one is
    /// copied.
    fn fill(&mut self, w: &mut Writer<'_>, template: &Template) {
        let mut end = 0;
        for hole in template.holes {
            w.bytes(hole.before);
            self.put(w, hole.field);
            end = hole.end;
        }
        let text = template.text.as_bytes();
        w.bytes(text.get(usize::from(end)..).unwrap_or(&[]));
    }

    /// Write `field`.
    fn put(&mut self, w: &mut Writer<'_>, field: Field) {
        let who = self.who;
        let ident = |w: &mut Writer<'_>, s: &[u8], json: bool, upper: bool| {
            if json {
                w.escaped(s, upper);
            } else {
                w.bytes(s);
            }
        };
        match field {
            Field::Token => {
                w.hex(self.token);
            }
            Field::Echo => id_echo(w, self.id),
            Field::DevInfo => self.fill(w, DEVINFO),
            Field::ProductKey => ident(w, who.product_key, self.json, false),
            Field::DeviceName => ident(w, who.device_name, self.json, false),
            Field::Mac => ident(w, who.mac, self.json, true),
            Field::Ip => ident(w, who.ip, self.json, false),
            Field::Number => {
                let mut n = 0;
                if let Some((&first, rest)) = self.nums.split_first() {
                    n = first;
                    self.nums = rest;
                }
                w.u64(n);
            }
            #[cfg(feature = "wifi-provision")]
            Field::Sign => {
                w.hex(self.sign);
            }
        }
    }
}

/// "No id": the echo of a query without one.
pub static NO_ID: IdEcho = IdEcho {
    kind: IdKind::Missing,
    text: heapless::Vec::new(),
};

/// An identity with every field empty (for payloads that name no device).
pub static NOBODY: Identity<'static> = Identity {
    product_key: &[],
    device_name: &[],
    mac: &[],
    ip: &[],
};

/// One payload, its fields taken from `nums` (in the order [`Payload`] lists), `token`, `who`
/// and `id` (each used only by the payloads that carry it).
pub fn payload(
    w: &mut Writer<'_>,
    which: Payload,
    nums: &[u64],
    token: &Token,
    who: &Identity<'_>,
    id: &IdEcho,
) {
    let mut f = Fields {
        nums,
        token,
        who,
        id,
        json: true,
        #[cfg(feature = "wifi-provision")]
        sign: &[],
    };
    f.fill(w, which.template());
}

/// The topic or CoAP path `topic` for this device (`who`'s product key and device name; the
/// MAC and IP are not used).
pub fn topic(w: &mut Writer<'_>, topic: Topic, who: &Identity<'_>) {
    let mut f = Fields {
        nums: &[],
        token: &[],
        who,
        id: &NO_ID,
        json: false,
        #[cfg(feature = "wifi-provision")]
        sign: &[],
    };
    f.fill(w, topic.template());
}

/// `{"id":"<id>","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"<HEX>"}}`
pub fn report(w: &mut Writer<'_>, id: u32, token: &Token) {
    payload(w, Payload::Report, &[id.into()], token, &NOBODY, &NO_ID);
}

/// `{"id":"<id>", "version":"1.0", "method":"thing.reset", "params":{}}`
pub fn reset(w: &mut Writer<'_>, id: u32) {
    payload(w, Payload::Reset, &[id.into()], &[0; 16], &NOBODY, &NO_ID);
}

/// The numbers of [`Payload::Stats`], in its template's order: `${id}`, `${uptime}`,
/// `${trace}`, `${max}`, `${min}`, `${mean}`, `${cnt}`, `${suc}`.
pub fn stats_nums(id: u32, uptime_ms: u64, stats: &Stats) -> [u64; 8] {
    [
        id.into(),
        uptime_ms,
        stats.trace_id.into(),
        stats.max_ms.into(),
        stats.min_ms.into(),
        stats.mean_ms.into(),
        stats.cnt.into(),
        stats.suc.into(),
    ]
}

/// The `things.log.post` statistics payload (SPEC section 5).
pub fn stats(w: &mut Writer<'_>, id: u32, uptime_ms: u64, stats: &Stats) {
    let nums = stats_nums(id, uptime_ms, stats);
    payload(w, Payload::Stats, &nums, &[0; 16], &NOBODY, &NO_ID);
}

/// The DEVINFO members common to every variant, up to and including `"cipherType":3`.
pub fn dev_info_base(w: &mut Writer<'_>, who: &Identity<'_>) {
    payload(w, Payload::DevInfoBase, &[], &[0; 16], who, &NO_ID);
}

/// The DEVINFO members (no braces), in SPEC order.
pub fn dev_info(w: &mut Writer<'_>, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    payload(w, Payload::DevInfo, &[remain_ms.into()], token, who, &NO_ID);
}

/// `{"id":"<id>","version":"1.0","method":"device.info.notify","params":{DEVINFO}}`
pub fn notify(w: &mut Writer<'_>, id: u32, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    let nums = [id.into(), remain_ms.into()];
    payload(w, Payload::Notify, &nums, token, who, &NO_ID);
}

/// The echoed `id` of an answer, written as its kind says. The text is trusted: an [`IdEcho`]
/// comes from [`json::id_echo`], which keeps only what its scanner validated as a number,
/// string content or value (or is [`NO_ID`]); one built by hand must keep that promise.
pub fn id_echo(w: &mut Writer<'_>, id: &IdEcho) {
    let quote = &b"\""[..usize::from(id.kind == IdKind::String)];
    let text: &[u8] = if id.kind == IdKind::Missing {
        b"null"
    } else {
        &id.text
    };
    w.bytes(quote).bytes(text).bytes(quote);
}

/// `{"id":<echo>,"code":200,"data":{DEVINFO}}`
pub fn answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    payload(w, Payload::Answer, &[remain_ms.into()], token, who, id);
}

/// The end of the first `keep` dotted parts of `ip` when it is a dotted quad (four parts of
/// one to three digits, each at most 255).
fn quad_prefix(ip: &[u8], keep: usize) -> Option<usize> {
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let mut parts = 0;
    let mut end = 0;
    // Where the part starts.
    let mut at = 0;
    for part in ip.split(|&c| c == b'.') {
        let value = match *part {
            [a] => digit(a)?,
            [a, b] => digit(a)? * 10 + digit(b)?,
            [a, b, c] => digit(a)? * 100 + digit(b)? * 10 + digit(c)?,
            _ => return None,
        };
        if value > 255 {
            return None;
        }
        parts += 1;
        if parts == keep {
            end = at + part.len();
        }
        at += part.len() + 1;
    }
    (parts == 4).then_some(end)
}

/// The notify destination host for cycle position `dest` (see `Action::Notify`): the first
/// `dest % 4` parts of `ip` then `.255` for each other part, or `255.255.255.255` when that
/// keeps no part or `ip` is not a dotted quad.
pub fn broadcast_host(w: &mut Writer<'_>, dest: u8, ip: &[u8]) {
    const ALL: &[u8] = b".255.255.255.255";
    let keep = usize::from(dest % 4);
    // The kept parts and the `.255`s after them, or all four parts without the first dot (the
    // IP is not read when no part of it is kept).
    let prefix = if keep > 0 {
        quad_prefix(ip, keep)
    } else {
        None
    };
    let (head, from) = match prefix {
        Some(end) => (ip.get(..end).unwrap_or(&[]), 4 * keep),
        None => (&[][..], 1),
    };
    w.bytes(head).bytes(ALL.get(from..).unwrap_or(&[]));
}

/// Answer to a connect-AP info query: `{"id":<echo>,"code":200,"data":{BASE,"type":0}}`.
pub fn connectap_answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>) {
    payload(w, Payload::ConnectAp, &[], &[0; 16], who, id);
}

// The provisioning topics and payloads: a child module, so that its whole templates are
// compiled by the same `template!` as the ones above.
#[cfg(feature = "wifi-provision")]
#[path = "render_wifi.rs"]
pub mod wifi;
