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
        self.bytes(&[b]);
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

    /// `b` as JSON string content: `"` `\` and control bytes escaped. Bytes that are not
    /// UTF-8 are written as `\uFFFD` so that the result is always valid JSON.
    pub fn json_escaped(&mut self, b: &[u8]) -> &mut Self {
        self.escaped(b, false)
    }

    /// [`Writer::json_escaped`], ASCII letters upper-cased when `upper`.
    fn escaped(&mut self, b: &[u8], upper: bool) -> &mut Self {
        let mut rest = b;
        loop {
            // The valid UTF-8 head of `rest`, and the bad bytes after it (`skip` of them are
            // one bad run, at least 1 as `core::str::Utf8Error`'s `error_len`: each turn moves
            // on; the rest of `rest` when it ends inside a sequence).
            let json::Utf8Error {
                valid_up_to: valid,
                error_len: skip,
            } = json::utf8_scan(rest);
            let good = rest.get(..valid).unwrap_or(&[]);
            let bad = rest.get(valid..).unwrap_or(&[]);
            for &c in good {
                let c = if upper { c.to_ascii_uppercase() } else { c };
                // The letter of a two-character escape, 0 for `\u00XX`, or the byte as is.
                let esc = match c {
                    b'"' | b'\\' => c,
                    0x08..=0x0d => b"btn\0fr".get(usize::from(c - 8)).copied().unwrap_or(0),
                    0..=0x1f => 0,
                    _ => {
                        self.byte(c);
                        continue;
                    }
                };
                if esc == 0 {
                    self.bytes(b"\\u00").hex(&[c]);
                } else {
                    self.bytes(&[b'\\', esc]);
                }
            }
            if bad.is_empty() {
                return self;
            }
            self.bytes(b"\\uFFFD");
            rest = bad.get(skip..).unwrap_or(&[]);
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

/// Topics and CoAP paths. (Their order is that of their templates, where a
/// template refers only to later ones.)
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

/// The payloads, for [`payload`]. (Their order is that of their templates.)
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

/// Placeholder bytes of the templates (their fixed text is printable ASCII, so none can be
/// mistaken for text).
mod code {
    /// The next number of [`super::Fields::nums`], in decimal.
    pub const NUM: u8 = 1;
    /// The token, 32 upper-case hex digits.
    pub const TOKEN: u8 = 2;
    /// The echoed query id.
    pub const ID: u8 = 3;
    /// `RAW + k`: identity field `k` (product key, device name, MAC, IP) as is.
    pub const RAW: u8 = 4;
    /// `ESC + k`: identity field `k` JSON-escaped (the MAC also upper-cased).
    pub const ESC: u8 = 8;
    /// `SEG + k`: template `k` of [`super::SEGS`].
    pub const SEG: u8 = 0x80;
}

// Template parts that are one placeholder.
const NUM: &[u8] = &[code::NUM];
const TOKEN: &[u8] = &[code::TOKEN];
const ID_ECHO: &[u8] = &[code::ID];
const PK: &[u8] = &[code::RAW];
const DN: &[u8] = &[code::RAW + 1];
const PK_ESC: &[u8] = &[code::ESC];
const DN_ESC: &[u8] = &[code::ESC + 1];
const MAC_ESC: &[u8] = &[code::ESC + 2];
const IP_ESC: &[u8] = &[code::ESC + 3];

/// [`code::SEG`]` + k` for every template number `k`.
const REFS: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut i = 0;
    while i < t.len() {
        t[i] = code::SEG + i as u8;
        i += 1;
    }
    t
};

/// The part that refers to template `k`.
const fn r(k: usize) -> &'static [u8] {
    let (_, rest) = REFS.split_at(k);
    let (one, _) = rest.split_at(1);
    one
}

/// The first topic's template number.
const TOPIC0: usize = 9;
// Template numbers of the fragments the others share.
const SYNC: usize = Payload::SyncToken as usize;
const DEVINFO: usize = Payload::DevInfo as usize;
const BASE: usize = Payload::DevInfoBase as usize;
const ANS: usize = 19;
const IDQ: usize = 20;
const ID: usize = 21;
const PARAMS: usize = 22;
const VM: usize = 23;
const SYST: usize = 24;
const SYS: usize = 25;
const SL: usize = 26;
const DIG: usize = 27;
const CAP: usize = 28;
const V2: usize = 29;
const DI: usize = 30;
const V10: usize = 31;
const THING: usize = 32;
const AWSS: usize = 33;
const DEV: usize = 34;
const TOK: usize = 35;
const TYPE0: usize = 36;
const QC: usize = 37;
const QCQ: usize = 38;

/// Every template, as parts: the payloads in [`Payload`] order, the topics in [`Topic`]
/// order, then the fragments they share.
const SEGS: [&[&[u8]]; 39] = [
    // Payload::Report
    &[
        r(IDQ),
        r(VM),
        r(THING),
        b".",
        r(AWSS),
        b".enrollee.match",
        r(PARAMS),
        r(TOK),
        b"\"}}",
    ],
    // Payload::Reset
    &[
        r(IDQ),
        b", ",
        r(V10),
        b" \"method",
        r(QC),
        r(THING),
        b".reset\", \"params\":{}}",
    ],
    // Payload::Stats
    &[
        r(ID),
        NUM,
        r(VM),
        r(THING),
        b"s.log.post",
        r(PARAMS),
        b"\"template",
        r(QC),
        b"timestamp logLevel module traceContext logContent",
        r(QCQ),
        b"contents\":[\"",
        NUM,
        b" BIND_TRACE dev_bind ",
        NUM,
        b" [",
        r(SYNC),
        b"]\"]}}",
    ],
    // Payload::Notify
    &[
        r(IDQ),
        r(VM),
        r(DEV),
        b".info.notify",
        r(PARAMS),
        r(DEVINFO),
        b"}}",
    ],
    // Payload::Answer
    &[r(ANS), r(DEVINFO), b"}}"],
    // Payload::ConnectAp
    &[r(ANS), r(BASE), r(TYPE0), b"}}"],
    // Payload::SyncToken
    &[
        b"SyncToken max:",
        NUM,
        b" min:",
        NUM,
        b" mean:",
        NUM,
        b" cnt:",
        NUM,
        b" suc:",
        NUM,
    ],
    // Payload::DevInfo
    &[
        r(BASE),
        b",",
        r(TOK),
        r(QCQ),
        b"remainTime\":",
        NUM,
        r(TYPE0),
    ],
    // Payload::DevInfoBase
    &[
        b"\"",
        r(AWSS),
        b"Ver\":{\"smartconfig",
        r(V2),
        b"zconfig",
        r(V2),
        b"router",
        r(V2),
        b"ap",
        r(V2),
        b"softap",
        r(QC),
        b"2.0\"},\"productKey",
        r(QC),
        PK_ESC,
        r(QCQ),
        r(DEV),
        b"Name",
        r(QC),
        DN_ESC,
        r(QCQ),
        b"mac",
        r(QC),
        MAC_ESC,
        r(QCQ),
        b"ip",
        r(QC),
        IP_ESC,
        r(QCQ),
        b"cipherType\":3",
    ],
    // Topic::MatchReply
    &[r(TOPIC0 + 1), b"_reply"],
    // Topic::MatchReport
    &[r(SYST), r(AWSS), b"/enrollee/match"],
    // Topic::ResetReply
    &[r(TOPIC0 + 3), b"_reply"],
    // Topic::ResetReport
    &[r(SYST), b"reset"],
    // Topic::LogPost
    &[r(SYST), b"log/post"],
    // Topic::QueryMcast
    &[r(SL), r(DIG)],
    // Topic::QueryUcast
    &[r(SYS), r(DIG)],
    // Topic::Notify
    &[r(SL), r(DI), b"notify"],
    // Topic::ConnectApMcast
    &[r(SL), r(CAP)],
    // Topic::ConnectApUcast
    &[r(SYS), r(CAP)],
    // ANS
    &[r(ID), ID_ECHO, b",\"code\":200,\"data\":{"],
    // IDQ
    &[r(ID), b"\"", NUM, b"\""],
    // ID
    &[b"{\"id\":"],
    // PARAMS
    &[r(QCQ), b"params\":{"],
    // VM
    &[b",", r(V10), b"\"method", r(QC)],
    // SYST
    &[r(SYS), r(THING), b"/"],
    // SYS
    &[r(SL), PK, b"/", DN, b"/"],
    // SL
    &[b"/sys/"],
    // DIG
    &[r(DI), b"get"],
    // CAP
    &[r(AWSS), b"/", r(DEV), b"/connectap/info/get"],
    // V2
    &[r(QC), b"2.0", r(QCQ)],
    // DI
    &[r(DEV), b"/info/"],
    // V10
    &[b"\"version", r(QC), b"1.0\","],
    // THING
    &[b"thing"],
    // AWSS
    &[b"awss"],
    // DEV
    &[b"device"],
    // TOK
    &[b"\"token", r(QC), TOKEN],
    // TYPE0
    &[b",\"type\":0"],
    // QC
    &[b"\":\""],
    // QCQ
    &[b"\",\""],
];

/// Bytes of all templates, each with its NUL.
const BLOB_LEN: usize = {
    let mut n = 0;
    let mut k = 0;
    while k < SEGS.len() {
        let mut p = 0;
        while p < SEGS[k].len() {
            n += SEGS[k][p].len();
            p += 1;
        }
        n += 1;
        k += 1;
    }
    n
};

/// The templates back to back, each ended by a NUL. Checked at compile time: no part holds a
/// NUL, and a template refers only to later templates (so filling one always ends).
static BLOB: [u8; BLOB_LEN] = {
    let mut b = [0u8; BLOB_LEN];
    let mut i = 0;
    let mut k = 0;
    while k < SEGS.len() {
        let mut p = 0;
        while p < SEGS[k].len() {
            let part = SEGS[k][p];
            let mut j = 0;
            while j < part.len() {
                let x = part[j];
                assert!(x != 0 && (x < 0x0c || (x >= 0x20 && x < 0x7f) || x >= code::SEG));
                if x >= code::SEG {
                    let to = (x - code::SEG) as usize;
                    assert!(to > k && to < SEGS.len());
                }
                b[i] = x;
                i += 1;
                j += 1;
            }
            p += 1;
        }
        i += 1;
        k += 1;
    }
    b
};

/// What the placeholders of a template stand for.
struct Fields<'a> {
    /// The numbers not taken yet, in the order of the templates' [`code::NUM`]s.
    nums: &'a [u64],
    token: &'a [u8],
    /// Product key, device name, MAC, IP.
    who: [&'a [u8]; 4],
    id: &'a IdEcho,
}

/// Write template `k` with its placeholders filled from `f` (the numbers it takes leave
/// `f.nums`).
fn fill(w: &mut Writer<'_>, k: u8, f: &mut Fields<'_>) {
    // Skip the `k` templates before it, then write up to its NUL.
    let mut skip = k;
    for &c in BLOB.iter() {
        if skip > 0 {
            if c == 0 {
                skip -= 1;
            }
            continue;
        }
        match c {
            0 => break,
            code::NUM => {
                let mut n = 0;
                if let Some((&first, rest)) = f.nums.split_first() {
                    n = first;
                    f.nums = rest;
                }
                w.u64(n);
            }
            code::TOKEN => {
                w.hex(f.token);
            }
            code::ID => id_echo(w, f.id),
            code::RAW..=0x0b => {
                let s = f.who[usize::from(c & 3)];
                if c < code::ESC {
                    w.bytes(s);
                } else {
                    w.escaped(s, c == code::ESC + 2);
                }
            }
            code::SEG.. => fill(w, c - code::SEG, f),
            _ => w.byte(c),
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
#[inline(always)]
pub fn payload(
    w: &mut Writer<'_>,
    which: Payload,
    nums: &[u64],
    token: &Token,
    who: &Identity<'_>,
    id: &IdEcho,
) {
    put(w, which as u8, nums, token, who, id);
}

/// Template `k` with its fields (one out-of-line step for payloads and topics).
#[inline(never)]
fn put(w: &mut Writer<'_>, k: u8, nums: &[u64], token: &[u8], who: &Identity<'_>, id: &IdEcho) {
    let mut f = Fields {
        nums,
        token,
        who: [who.product_key, who.device_name, who.mac, who.ip],
        id,
    };
    fill(w, k, &mut f);
}

/// The topic or CoAP path `topic` for this device (`who`'s product key and device name; the
/// MAC and IP are not used).
pub fn topic(w: &mut Writer<'_>, topic: Topic, who: &Identity<'_>) {
    put(w, TOPIC0 as u8 + topic as u8, &[], &[], who, &NO_ID);
}

/// `{"id":"<id>","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"<HEX>"}}`
pub fn report(w: &mut Writer<'_>, id: u32, token: &Token) {
    payload(w, Payload::Report, &[id.into()], token, &NOBODY, &NO_ID);
}

/// `{"id":"<id>", "version":"1.0", "method":"thing.reset", "params":{}}`
pub fn reset(w: &mut Writer<'_>, id: u32) {
    payload(w, Payload::Reset, &[id.into()], &[0; 16], &NOBODY, &NO_ID);
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
#[inline(always)]
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
    const ALL: &[u8] = b".255.255.255.255";
    let keep = usize::from(dest % 4);
    // The kept parts and the `.255`s after them, or all four parts without the first dot.
    let (head, from) = match quad_prefix(ip, keep) {
        Some(end) if keep > 0 => (ip.get(..end).unwrap_or(&[]), 4 * keep),
        _ => (&[][..], 1),
    };
    w.bytes(head).bytes(ALL.get(from..).unwrap_or(&[]));
}

/// Answer to a connect-AP info query: `{"id":<echo>,"code":200,"data":{BASE,"type":0}}`.
pub fn connectap_answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>) {
    payload(w, Payload::ConnectAp, &[], &[0; 16], who, id);
}
