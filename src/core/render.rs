//! Byte-exact payloads and topics (SPEC section 5), written without `core::fmt`.
//!
//! Every renderer appends to a [`Writer`]; a writer that runs out of room drops the excess and
//! remembers it ([`Writer::ok`] is then false), so a caller never sends a truncated payload.

use super::{json, IdEcho, IdKind, Stats, Token};

/// A bounded writer into a caller's byte buffer. Writing past the end sets `overflow` and
/// drops the excess; callers check [`Writer::ok`] before sending.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

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

    /// Append `n` in decimal.
    pub fn u64(&mut self, mut n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        self.bytes(digits.get(i..).unwrap_or(&[]))
    }

    /// Append `n` in decimal, with a `-` when negative.
    pub fn i64(&mut self, n: i64) -> &mut Self {
        if n < 0 {
            self.byte(b'-');
        }
        self.u64(n.unsigned_abs())
    }

    /// Upper-case hex of `b`.
    pub fn hex(&mut self, b: &[u8]) -> &mut Self {
        for &x in b {
            self.byte(HEX[usize::from(x >> 4)]);
            self.byte(HEX[usize::from(x & 0xf)]);
        }
        self
    }

    fn escaped_utf8(&mut self, s: &[u8], upper: bool) {
        for &c in s {
            let c = if upper { c.to_ascii_uppercase() } else { c };
            // The letter of a two-character escape, 0 for `\u00XX`, or the byte as is.
            let esc = match c {
                b'"' | b'\\' => c,
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0x08 => b'b',
                0x0c => b'f',
                0..=0x1f => 0,
                _ => {
                    self.byte(c);
                    continue;
                }
            };
            self.byte(b'\\');
            if esc == 0 {
                self.bytes(b"u00").hex(&[c]);
            } else {
                self.byte(esc);
            }
        }
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
            match json::utf8_check(rest) {
                Ok(()) => {
                    self.escaped_utf8(rest, upper);
                    return self;
                }
                Err(e) => {
                    let good = e.valid_up_to;
                    self.escaped_utf8(rest.get(..good).unwrap_or(&[]), upper);
                    self.bytes(b"\\uFFFD");
                    let skip = good.saturating_add(e.error_len.unwrap_or(rest.len()).max(1));
                    rest = rest.get(skip..).unwrap_or(&[]);
                }
            }
        }
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

/// Topics and CoAP paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/match`
    MatchReport,
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/match_reply`
    MatchReply,
    /// `/sys/${pk}/${dn}/thing/reset`
    ResetReport,
    /// `/sys/${pk}/${dn}/thing/reset_reply`
    ResetReply,
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

/// Placeholder bytes of the payload templates (no fixed payload text contains a byte below
/// 0x20, so none can be mistaken for text).
mod code {
    /// The next number of [`super::Fields::nums`], in decimal.
    pub const NUM: u8 = 1;
    /// The token, 32 upper-case hex digits.
    pub const TOKEN: u8 = 2;
    /// The product key, as is (topics).
    pub const PK: u8 = 3;
    /// The device name, as is (topics).
    pub const DN: u8 = 4;
    /// The product key, JSON-escaped.
    pub const PK_ESC: u8 = 5;
    /// The device name, JSON-escaped.
    pub const DN_ESC: u8 = 6;
    /// The MAC, JSON-escaped and upper-cased.
    pub const MAC_ESC: u8 = 7;
    /// The IP, JSON-escaped.
    pub const IP_ESC: u8 = 8;
    /// The echoed query id.
    pub const ID: u8 = 9;
    /// The common DEVINFO members ([`super::BASE`]).
    pub const BASE: u8 = 10;
    /// The DEVINFO members ([`super::DEVINFO`]).
    pub const DEVINFO: u8 = 11;
    /// The `SyncToken` statistics ([`super::SYNC`]).
    pub const SYNC: u8 = 12;
    /// `,"version":"1.0","method":"` ([`super::VM`]).
    pub const VM: u8 = 13;
    /// `/sys/${pk}/${dn}/` ([`super::SYS`]).
    pub const SYS: u8 = 14;
    /// `":"2.0","` ([`super::V2`]).
    pub const V2: u8 = 15;
    /// The `match` report topic ([`super::TOPICS`]`[0]`), which `match_reply` extends.
    pub const MATCH: u8 = 16;
}

/// The DEVINFO members common to every variant, up to and including `"cipherType":3`.
const BASE: &[u8] = b"\"awssVer\":{\"smartconfig\x0fzconfig\x0frouter\x0fap\x0fsoftap\":\"2.0\"},\"productKey\":\"\x05\",\"deviceName\":\"\x06\",\"mac\":\"\x07\",\
\"ip\":\"\x08\",\"cipherType\":3";
/// The DEVINFO members: the common ones, the token and its remaining time.
const DEVINFO: &[u8] = b"\x0a,\"token\":\"\x02\",\"remainTime\":\x01,\"type\":0";
const REPORT: &[u8] = b"{\"id\":\"\x01\"\x0dthing.awss.enrollee.match\",\
\"params\":{\"token\":\"\x02\"}}";
const RESET: &[u8] =
    b"{\"id\":\"\x01\", \"version\":\"1.0\", \"method\":\"thing.reset\", \"params\":{}}";
const STATS: &[u8] = b"{\"id\":\x01\x0dthings.log.post\",\"params\":\
{\"template\":\"timestamp logLevel module traceContext logContent\",\"contents\":[\"\x01 BIND_TRACE \
dev_bind \x01 [\x0c]\"]}}";
/// The statistics as the statistics post and `awss_bind_disp_statis` show them.
const SYNC: &[u8] = b"SyncToken max:\x01 min:\x01 mean:\x01 cnt:\x01 suc:\x01";
const NOTIFY: &[u8] = b"{\"id\":\"\x01\"\x0ddevice.info.notify\",\"params\":{\x0b}}";
const ANSWER: &[u8] = b"{\"id\":\x09,\"code\":200,\"data\":{\x0b}}";
const CONNECTAP: &[u8] = b"{\"id\":\x09,\"code\":200,\"data\":{\x0a,\"type\":0}}";
/// Shared template fragments.
const VM: &[u8] = b",\"version\":\"1.0\",\"method\":\"";
const SYS: &[u8] = b"/sys/\x03/\x04/";
const V2: &[u8] = b"\":\"2.0\",\"";
const MATCH: &[u8] = b"\x0ething/awss/enrollee/match";
/// Topics and paths, indexed by [`Topic`].
const TOPICS: [&[u8]; 10] = [
    MATCH,
    b"\x10_reply",
    b"\x0ething/reset",
    b"\x0ething/reset_reply",
    b"\x0ething/log/post",
    b"/sys/device/info/get",
    b"\x0edevice/info/get",
    b"/sys/device/info/notify",
    b"/sys/awss/device/connectap/info/get",
    b"\x0eawss/device/connectap/info/get",
];

/// What the placeholders of a template stand for.
struct Fields<'a> {
    /// The numbers, in the order the template's [`code::NUM`]s take them.
    nums: &'a [u64],
    token: &'a Token,
    who: &'a Identity<'a>,
    id: &'a IdEcho,
}

/// Write `tpl` with its placeholders filled from `f`; `next` counts the numbers taken.
fn fill(w: &mut Writer<'_>, tpl: &[u8], f: &Fields<'_>, next: &mut usize) {
    for &c in tpl {
        match c {
            code::NUM => {
                w.u64(f.nums.get(*next).copied().unwrap_or(0));
                *next += 1;
            }
            code::TOKEN => {
                w.hex(f.token);
            }
            code::PK => {
                w.bytes(f.who.product_key);
            }
            code::DN => {
                w.bytes(f.who.device_name);
            }
            code::PK_ESC => {
                w.escaped(f.who.product_key, false);
            }
            code::DN_ESC => {
                w.escaped(f.who.device_name, false);
            }
            code::MAC_ESC => {
                w.escaped(f.who.mac, true);
            }
            code::IP_ESC => {
                w.escaped(f.who.ip, false);
            }
            code::ID => id_echo(w, f.id),
            code::BASE => fill(w, BASE, f, next),
            code::DEVINFO => fill(w, DEVINFO, f, next),
            code::SYNC => fill(w, SYNC, f, next),
            code::VM => fill(w, VM, f, next),
            code::SYS => fill(w, SYS, f, next),
            code::V2 => fill(w, V2, f, next),
            code::MATCH => fill(w, MATCH, f, next),
            _ => w.byte(c),
        }
    }
}

/// The payloads, for [`payload`].
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

/// Payload templates, indexed by [`Payload`].
const PAYLOADS: [&[u8]; 9] = [
    REPORT, RESET, STATS, NOTIFY, ANSWER, CONNECTAP, SYNC, DEVINFO, BASE,
];

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
    let tpl = PAYLOADS.get(which as usize).copied().unwrap_or(&[]);
    template(w, tpl, nums, token, who, id);
}

/// [`fill`] from the first number.
#[inline(never)]
fn template(
    w: &mut Writer<'_>,
    tpl: &[u8],
    nums: &[u64],
    token: &Token,
    who: &Identity<'_>,
    id: &IdEcho,
) {
    let f = Fields {
        nums,
        token,
        who,
        id,
    };
    fill(w, tpl, &f, &mut 0);
}

/// The topic or CoAP path `topic` for this device.
pub fn topic(w: &mut Writer<'_>, topic: Topic, product_key: &[u8], device_name: &[u8]) {
    let who = Identity {
        product_key,
        device_name,
        mac: &[],
        ip: &[],
    };
    let tpl = TOPICS.get(topic as usize).copied().unwrap_or(&[]);
    template(w, tpl, &[], &[0; 16], &who, &NO_ID);
}

/// `{"id":"<id>","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"<HEX>"}}`
pub fn report(w: &mut Writer<'_>, id: u32, token: &Token) {
    template(w, REPORT, &[id.into()], token, &NOBODY, &NO_ID);
}

/// `{"id":"<id>", "version":"1.0", "method":"thing.reset", "params":{}}`
pub fn reset(w: &mut Writer<'_>, id: u32) {
    template(w, RESET, &[id.into()], &[0; 16], &NOBODY, &NO_ID);
}

/// The `things.log.post` statistics payload (SPEC section 5).
pub fn stats(w: &mut Writer<'_>, id: u32, uptime_ms: u64, stats: &Stats) {
    let nums = [
        id.into(),
        uptime_ms,
        stats.trace_id.into(),
        stats.max_ms.into(),
        stats.min_ms.into(),
        stats.mean_ms.into(),
        stats.cnt.into(),
        stats.suc.into(),
    ];
    template(w, STATS, &nums, &[0; 16], &NOBODY, &NO_ID);
}

/// The DEVINFO members common to every variant, up to and including `"cipherType":3`.
pub fn dev_info_base(w: &mut Writer<'_>, who: &Identity<'_>) {
    template(w, BASE, &[], &[0; 16], who, &NO_ID);
}

/// The DEVINFO members (no braces), in SPEC order.
pub fn dev_info(w: &mut Writer<'_>, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    template(w, DEVINFO, &[remain_ms.into()], token, who, &NO_ID);
}

/// `{"id":"<id>","version":"1.0","method":"device.info.notify","params":{DEVINFO}}`
pub fn notify(w: &mut Writer<'_>, id: u32, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    template(
        w,
        NOTIFY,
        &[id.into(), remain_ms.into()],
        token,
        who,
        &NO_ID,
    );
}

/// The echoed `id` of an answer, written as its kind says. The text is trusted: an [`IdEcho`]
/// comes from [`json::id_echo`], which keeps only what its scanner validated as a number,
/// string content or value (or is [`NO_ID`]); one built by hand must keep that promise.
pub fn id_echo(w: &mut Writer<'_>, id: &IdEcho) {
    let (quote, text): (&[u8], &[u8]) = match id.kind {
        IdKind::String => (b"\"", &id.text),
        IdKind::Missing => (b"", b"null"),
        IdKind::Number | IdKind::Raw => (b"", &id.text),
    };
    w.bytes(quote).bytes(text).bytes(quote);
}

/// `{"id":<echo>,"code":200,"data":{DEVINFO}}`
pub fn answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    template(w, ANSWER, &[remain_ms.into()], token, who, id);
}

/// The end of the first `keep` dotted parts of `ip` when it is a dotted quad (four parts of
/// one to three digits, each at most 255).
fn quad_prefix(ip: &[u8], keep: usize) -> Option<usize> {
    let mut parts = 0;
    let mut digits = 0;
    let mut value = 0u32;
    let mut end = 0;
    let mut i = 0;
    while i <= ip.len() {
        // The end of the text closes the fourth part, as a '.' closes the others.
        let c = ip.get(i).copied().unwrap_or(b'.');
        if c == b'.' {
            if digits == 0 || value > 255 {
                return None;
            }
            parts += 1;
            if parts == keep {
                end = i;
            }
            digits = 0;
            value = 0;
        } else if c.is_ascii_digit() && digits < 3 {
            digits += 1;
            value = value * 10 + u32::from(c - b'0');
        } else {
            return None;
        }
        i += 1;
    }
    (parts == 4).then_some(end)
}

/// The notify destination host for cycle position `dest` (see `Action::Notify`): the first
/// `dest % 4` parts of `ip` then `.255` for each other part, or `255.255.255.255` when that
/// keeps no part or `ip` is not a dotted quad.
pub fn broadcast_host(w: &mut Writer<'_>, dest: u8, ip: &[u8]) {
    let keep = usize::from(dest % 4);
    let (head, tail) = match quad_prefix(ip, keep) {
        Some(end) if keep > 0 => (ip.get(..end).unwrap_or(&[]), 4 - keep),
        _ => (&b"255"[..], 3),
    };
    w.bytes(head);
    for _ in 0..tail {
        w.str(".255");
    }
}

/// Answer to a connect-AP info query: `{"id":<echo>,"code":200,"data":{BASE,"type":0}}`.
pub fn connectap_answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>) {
    template(w, CONNECTAP, &[], &[0; 16], who, id);
}
