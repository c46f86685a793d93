//! Byte-exact payloads and topics (SPEC section 5), written without `core::fmt`.
//! INTERFACE STUB: bodies to be written. Signatures are the contract with `crate::ffi`.
#![allow(unused_variables, missing_docs)]

use super::{IdEcho, Stats, Token};

/// A bounded writer into a caller's byte buffer. Writing past the end sets `overflow` and
/// drops the excess; callers check [`Writer::ok`] before sending.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self { Writer { buf, len: 0, overflow: false } }
    pub fn str(&mut self, s: &str) -> &mut Self { unimplemented!() }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self { unimplemented!() }
    pub fn u64(&mut self, n: u64) -> &mut Self { unimplemented!() }
    pub fn i64(&mut self, n: i64) -> &mut Self { unimplemented!() }
    /// Upper-case hex of `b`.
    pub fn hex(&mut self, b: &[u8]) -> &mut Self { unimplemented!() }
    /// `b` as JSON string content: `"` `\` and control bytes escaped.
    pub fn json_escaped(&mut self, b: &[u8]) -> &mut Self { unimplemented!() }
    /// Add a NUL after the text (not counted in `len`); false if there is no room.
    pub fn nul_terminate(&mut self) -> bool { unimplemented!() }
    pub fn as_bytes(&self) -> &[u8] { &self.buf[..self.len] }
    pub fn len(&self) -> usize { self.len }
    pub fn is_empty(&self) -> bool { self.len == 0 }
    /// True when nothing was dropped.
    pub fn ok(&self) -> bool { !self.overflow }
}

/// What the device says about itself in DEVINFO; each field is the HAL's string up to its NUL.
#[derive(Clone, Copy, Debug)]
pub struct Identity<'a> {
    pub product_key: &'a [u8],
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

pub fn topic(w: &mut Writer<'_>, topic: Topic, product_key: &[u8], device_name: &[u8]) { unimplemented!() }
/// `{"id":"<id>","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"<HEX>"}}`
pub fn report(w: &mut Writer<'_>, id: u32, token: &Token) { unimplemented!() }
/// `{"id":"<id>", "version":"1.0", "method":"thing.reset", "params":{}}`
pub fn reset(w: &mut Writer<'_>, id: u32) { unimplemented!() }
/// The `things.log.post` statistics payload (SPEC section 5).
pub fn stats(w: &mut Writer<'_>, id: u32, uptime_ms: u64, stats: &Stats) { unimplemented!() }
/// The DEVINFO members (no braces), in SPEC order.
pub fn dev_info(w: &mut Writer<'_>, who: &Identity<'_>, token: &Token, remain_ms: u32) { unimplemented!() }
/// `{"id":"<id>","version":"1.0","method":"device.info.notify","params":{DEVINFO}}`
pub fn notify(w: &mut Writer<'_>, id: u32, who: &Identity<'_>, token: &Token, remain_ms: u32) { unimplemented!() }
/// `{"id":<echo>,"code":200,"data":{DEVINFO}}`
pub fn answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>, token: &Token, remain_ms: u32) { unimplemented!() }
/// The notify destination host for cycle position `dest` (see `Action::Notify`).
pub fn broadcast_host(w: &mut Writer<'_>, dest: u8, ip: &[u8]) { unimplemented!() }
/// The DEVINFO members common to every variant, up to and including `"cipherType":3`.
pub fn dev_info_base(w: &mut Writer<'_>, who: &Identity<'_>) { unimplemented!() }
/// Answer to a connect-AP info query: `{"id":<echo>,"code":200,"data":{BASE,"type":0}}`.
pub fn connectap_answer(w: &mut Writer<'_>, id: &IdEcho, who: &Identity<'_>) { unimplemented!() }
