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
            let esc: &[u8] = match c {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => {
                    self.bytes(b"\\u00").hex(&[c]);
                    continue;
                }
                _ => {
                    self.byte(c);
                    continue;
                }
            };
            self.bytes(esc);
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
}

/// The topic or CoAP path `topic` for this device.
pub fn topic(w: &mut Writer<'_>, topic: Topic, product_key: &[u8], device_name: &[u8]) {
    let tail = match topic {
        Topic::QueryMcast => {
            w.str("/sys/device/info/get");
            return;
        }
        Topic::Notify => {
            w.str("/sys/device/info/notify");
            return;
        }
        Topic::MatchReport => "/thing/awss/enrollee/match",
        Topic::MatchReply => "/thing/awss/enrollee/match_reply",
        Topic::ResetReport => "/thing/reset",
        Topic::ResetReply => "/thing/reset_reply",
        Topic::LogPost => "/thing/log/post",
        Topic::QueryUcast => "/device/info/get",
    };
    w.str("/sys/")
        .bytes(product_key)
        .str("/")
        .bytes(device_name)
        .str(tail);
}

/// `{"id":"<id>","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"<HEX>"}}`
pub fn report(w: &mut Writer<'_>, id: u32, token: &Token) {
    w.str("{\"id\":\"")
        .u64(id.into())
        .str("\",\"version\":\"1.0\",\"method\":\"thing.awss.enrollee.match\",\"params\":{\"token\":\"")
        .hex(token)
        .str("\"}}");
}

/// `{"id":"<id>", "version":"1.0", "method":"thing.reset", "params":{}}`
pub fn reset(w: &mut Writer<'_>, id: u32) {
    w.str("{\"id\":\"")
        .u64(id.into())
        .str("\", \"version\":\"1.0\", \"method\":\"thing.reset\", \"params\":{}}");
}

/// The `things.log.post` statistics payload (SPEC section 5).
pub fn stats(w: &mut Writer<'_>, id: u32, uptime_ms: u64, stats: &Stats) {
    w.str("{\"id\":")
        .u64(id.into())
        .str(
            ",\"version\":\"1.0\",\"method\":\"things.log.post\",\"params\":{\"template\":\
             \"timestamp logLevel module traceContext logContent\",\"contents\":[\"",
        )
        .u64(uptime_ms)
        .str(" BIND_TRACE dev_bind ")
        .u64(stats.trace_id.into())
        .str(" [SyncToken max:")
        .u64(stats.max_ms.into())
        .str(" min:")
        .u64(stats.min_ms.into())
        .str(" mean:")
        .u64(stats.mean_ms.into())
        .str(" cnt:")
        .u64(stats.cnt.into())
        .str(" suc:")
        .u64(stats.suc.into())
        .str("]\"]}}");
}

/// The DEVINFO members common to every variant, up to and including `"cipherType":3`.
pub fn dev_info_base(w: &mut Writer<'_>, who: &Identity<'_>) {
    w.str(
        "\"awssVer\":{\"smartconfig\":\"2.0\",\"zconfig\":\"2.0\",\"router\":\"2.0\",\
         \"ap\":\"2.0\",\"softap\":\"2.0\"},\"productKey\":\"",
    )
    .json_escaped(who.product_key)
    .str("\",\"deviceName\":\"")
    .json_escaped(who.device_name)
    .str("\",\"mac\":\"");
    w.escaped(who.mac, true);
    w.str("\",\"ip\":\"")
        .json_escaped(who.ip)
        .str("\",\"cipherType\":3");
}

/// The DEVINFO members (no braces), in SPEC order.
pub fn dev_info(w: &mut Writer<'_>, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    dev_info_base(w, who);
    w.str(",\"token\":\"")
        .hex(token)
        .str("\",\"remainTime\":")
        .u64(remain_ms.into())
        .str(",\"type\":0");
}

/// `{"id":"<id>","version":"1.0","method":"device.info.notify","params":{DEVINFO}}`
pub fn notify(w: &mut Writer<'_>, id: u32, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    w.str("{\"id\":\"")
        .u64(id.into())
        .str("\",\"version\":\"1.0\",\"method\":\"device.info.notify\",\"params\":{");
    dev_info(w, who, token, remain_ms);
    w.str("}}");
}

/// The echoed `id` of an answer. Text that is not what its kind promises (an [`IdEcho`] built
/// by hand) is written as an escaped JSON string, so the answer is always valid JSON.
pub fn id_echo(w: &mut Writer<'_>, id: &IdEcho) {
    let text = id.text.as_slice();
    match id.kind {
        IdKind::Number if json::is_number(text) => {
            w.bytes(text);
        }
        IdKind::String if json::is_string_content(text) => {
            w.str("\"").bytes(text).str("\"");
        }
        IdKind::Raw if json::is_value(text) => {
            w.bytes(text);
        }
        IdKind::Missing => {
            w.str("null");
        }
        _ => {
            w.str("\"").json_escaped(text).str("\"");
        }
    }
}

/// `{"id":<echo>,"code":200,"data":{DEVINFO}}`
pub fn answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>, token: &Token, remain_ms: u32) {
    w.str("{\"id\":");
    id_echo(w, id);
    w.str(",\"code\":200,\"data\":{");
    dev_info(w, who, token, remain_ms);
    w.str("}}");
}

/// Up to the first `keep` dotted parts of `ip` when it is a dotted quad (four parts of one to
/// three digits, each at most 255).
fn dotted_quad(ip: &[u8]) -> Option<[&[u8]; 4]> {
    let mut parts: [&[u8]; 4] = [&[]; 4];
    let mut n = 0;
    for part in ip.split(|c| *c == b'.') {
        let slot = parts.get_mut(n)?;
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = part
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        if v > 255 {
            return None;
        }
        *slot = part;
        n += 1;
    }
    (n == 4).then_some(parts)
}

/// The notify destination host for cycle position `dest` (see `Action::Notify`).
pub fn broadcast_host(w: &mut Writer<'_>, dest: u8, ip: &[u8]) {
    let keep = usize::from(dest % 4);
    match dotted_quad(ip) {
        Some(parts) if keep > 0 => {
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    w.str(".");
                }
                if i < keep {
                    w.bytes(part);
                } else {
                    w.str("255");
                }
            }
        }
        _ => {
            w.str("255.255.255.255");
        }
    }
}

/// Answer to a connect-AP info query: `{"id":<echo>,"code":200,"data":{BASE,"type":0}}`.
pub fn connectap_answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>) {
    w.str("{\"id\":");
    id_echo(w, id);
    w.str(",\"code\":200,\"data\":{");
    dev_info_base(w, who);
    w.str(",\"type\":0}}");
}
