//! The CoAP side: the server context, query registration, notify broadcasts, late answers.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::{self, NonNull};
use portable_atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering};

use super::exec::{self, Reply, TopicUse};
use super::imports::Hal;
use super::imports::{
    coap_msg, coap_payload, CoAPMessageId_cancel, CoAPServerMultiCast_send, CoAPServerResp_send,
    CoAPServer_deinit, CoAPServer_init,
};
use super::types::{CoapMessage, CoapMsgHeader, CoapMsgOption, NetworkAddr, COAP_OPTION_OBSERVE};
use super::{log, shell};
use crate::config::COAP_MSG_MAX_TOKEN_LEN;
use dev_bind_core::render::{self, Topic, Writer};
use dev_bind_core::{copy_bytes, Level, Line, Msg, QueryCtx};

/// The CoAP server context (NULL until the first registration or send).
static CTX: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

/// The last notify's CoAP message id, with bit 16 set while it may still be pending.
static NOTIFY_MSGID: AtomicU32 = AtomicU32::new(0);
const MSGID_VALID: u32 = 1 << 16;

/// UDP port of notify broadcasts.
pub const NOTIFY_PORT: u16 = 5683;
/// CoAP code returned for a NULL message (the C module's value: 3.00, no such code).
pub const NO_CODE: u8 = 0x60;

/// Longest Observe option value kept (RFC 7641: at most 3 bytes; 4 tolerated).
const OBSERVE_MAX: usize = 4;
/// `ReplyCtx::observe_len` of a request without an Observe option.
const NO_OBSERVE: u8 = u8::MAX;

/// The current context, if any (one register: a `NonNull` has a niche).
pub fn ctx() -> Option<NonNull<c_void>> {
    NonNull::new(CTX.load(Ordering::Acquire))
}

/// The result of the last server start's registration of the two query resources (0: both
/// registered).
static REGISTERED: AtomicI32 = AtomicI32::new(-1);

/// The context, initialising the server on first use. A start registers both device-info
/// resources before the context is handed out, so that no notify or answer goes out from a
/// server that cannot take the phones' queries (also when the cloud's reply, and so the first
/// notify, comes inside the call that started it). The SDK's `CoAPServer_init` returns its
/// process-wide singleton, so a racing second call yields the same pointer; the winner of the
/// compare-exchange is kept, and registers.
pub fn ctx_or_init() -> Option<NonNull<c_void>> {
    if let Some(c) = ctx() {
        return Some(c);
    }
    // SAFETY: no arguments; returns the server context or NULL.
    let Some(fresh) = NonNull::new(unsafe { CoAPServer_init() }) else {
        log::note(Level::Error, Msg::CoapInitFailed);
        return None;
    };
    match CTX.compare_exchange(
        ptr::null_mut(),
        fresh.as_ptr(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => {
            register();
            Some(fresh)
        }
        Err(winner) => NonNull::new(winner),
    }
}

/// Register both query resources on the running server and keep the result in
/// [`REGISTERED`] (a registration made again overwrites the resource's handler).
fn register() -> c_int {
    let mcast = exec::use_topic(Topic::QueryMcast, TopicUse::Register);
    let ucast = exec::use_topic(Topic::QueryUcast, TopicUse::Register);
    let rc = -c_int::from(mcast != 0 || ucast != 0);
    REGISTERED.store(rc, Ordering::Release);
    rc
}

/// Forget the context and return it (for `CoAPServer_deinit`).
fn take_ctx() -> Option<NonNull<c_void>> {
    NonNull::new(CTX.swap(ptr::null_mut(), Ordering::AcqRel))
}

/// What the shell keeps of a phone's query to answer it later: copies, never pointers into the
/// server's receive buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyCtx {
    remote: NetworkAddr,
    msgid: u16,
    token: [u8; COAP_MSG_MAX_TOKEN_LEN],
    tokenlen: u8,
    observe: [u8; OBSERVE_MAX],
    /// Length of the Observe value, or [`NO_OBSERVE`] when the request had no Observe option.
    observe_len: u8,
}

impl QueryCtx for ReplyCtx {
    #[inline(never)]
    fn same_request(&self, other: &Self) -> bool {
        self.remote == other.remote && self.msgid == other.msgid
    }
}

/// Longest token the local `CoAPMessage` can hold (the header field has 4 bits).
const TOKEN_MAX: usize = if COAP_MSG_MAX_TOKEN_LEN < 15 {
    COAP_MSG_MAX_TOKEN_LEN
} else {
    15
};

impl ReplyCtx {
    /// Copy what an answer needs from a request the server is about to reuse. `dropped` gets
    /// the length of an Observe option that was too long to keep (and dropped); it is left
    /// alone otherwise (a dropped option is never empty).
    #[inline(always)]
    pub fn from_request(remote: &NetworkAddr, req: &CoapMessage, dropped: &mut usize) -> ReplyCtx {
        let tokenlen = req.header.tokenlen().min(TOKEN_MAX as u8);
        let mut observe = [0u8; OBSERVE_MAX];
        let mut observe_len = NO_OBSERVE;
        // The options in use (all of them when `optcount` is out of range).
        let used = usize::from(req.optcount);
        for opt in req.options.get(..used).unwrap_or(&req.options) {
            if opt.num != COAP_OPTION_OBSERVE {
                continue;
            }
            let len = usize::from(opt.len);
            if len > OBSERVE_MAX || (len > 0 && opt.val.is_null()) {
                *dropped = len;
                break;
            }
            if len > 0 {
                // SAFETY: the server's option points at `len` bytes of the request it is
                // handing us; the handler runs before the buffer is reused.
                let src = unsafe { core::slice::from_raw_parts(opt.val, len) };
                copy_bytes(&mut observe, src);
            }
            observe_len = len as u8;
            break;
        }
        ReplyCtx {
            remote: *remote,
            msgid: req.header.msgid,
            // The whole array: an answer sends only the first `tokenlen` bytes.
            token: req.token,
            tokenlen,
            observe,
            observe_len,
        }
    }
}

/// Handle a phone's query (`online_*_get_device_info` and the registered trampolines).
///
/// # Safety
/// `remote` and `request` must each be NULL or valid for the call; the request's payload
/// and option pointers must be valid for their lengths.
pub unsafe fn on_query(
    remote: *const NetworkAddr,
    request: *const CoapMessage,
    mcast: bool,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some(remote) = (unsafe { remote.as_ref() }) else {
        log::line(Line::new(Level::Warn, Msg::QueryNoRemote), &[], 0);
        return -1;
    };
    // SAFETY: guaranteed by the caller.
    let Some(req) = (unsafe { coap_msg(request) }) else {
        log::line(Line::new(Level::Warn, Msg::QueryNoMessage), &[], 0);
        return -1;
    };
    let mut dropped = 0;
    let event = shell::Event::Query {
        ctx: ReplyCtx::from_request(remote, req, &mut dropped),
        mcast,
        // SAFETY: guaranteed by the caller (payload valid for payloadlen bytes during the call).
        payload: unsafe { coap_payload(req) },
    };
    if dropped != 0 {
        log::num(Level::Warn, Msg::ObserveIgnored, dropped as i64);
    }
    shell::run(event)
}

/// The `CoAPRecvMsgHandler` registered for `/sys/device/info/get`.
pub(super) unsafe extern "C" fn query_mcast_trampoline(
    _ctx: *mut c_void,
    _paths: *const c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the CoAP server passes a valid (or NULL) remote and message for the call.
    let _ = unsafe { on_query(remote, msg, true) };
}

/// The `CoAPRecvMsgHandler` registered for `/sys/${pk}/${dn}/device/info/get`.
pub(super) unsafe extern "C" fn query_ucast_trampoline(
    _ctx: *mut c_void,
    _paths: *const c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the CoAP server passes a valid (or NULL) remote and message for the call.
    let _ = unsafe { on_query(remote, msg, false) };
}

/// Start the server if it is not running, which registers both query paths
/// (`/sys/device/info/get` and `/sys/${pk}/${dn}/device/info/get`, see [`ctx_or_init`]), or
/// register them again on a running server whose registration failed; `-1` when it cannot
/// start or a registration failed (each after its line).
pub fn register_queries(_hal: &Hal) -> c_int {
    let running = ctx().is_some();
    if ctx_or_init().is_none() {
        return -1;
    }
    let rc = REGISTERED.load(Ordering::Acquire);
    if running && rc != 0 {
        return register();
    }
    rc
}

/// Cancel the last notify's CoAP message, if any.
pub fn cancel_notify() {
    let prev = NOTIFY_MSGID.swap(0, Ordering::AcqRel);
    if prev & MSGID_VALID == 0 {
        return;
    }
    let Some(c) = ctx() else {
        return;
    };
    // SAFETY: `c` is the live server context; the message id is a plain integer.
    unsafe { CoAPMessageId_cancel(c.as_ptr(), prev as u16) };
}

/// Cancel the last notify and deinit the server.
pub fn deinit() {
    cancel_notify();
    if let Some(c) = take_ctx() {
        // SAFETY: `c` was the server context; it is forgotten first so no new use starts.
        unsafe { CoAPServer_deinit(c.as_ptr()) };
    }
}

/// The send callback of notify broadcasts: a phone's acknowledgement (or a timeout).
unsafe extern "C" fn notify_resp_cb(
    _ctx: *mut c_void,
    result: c_int,
    _userdata: *mut c_void,
    _remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the server passes a valid (or NULL) message for the call.
    let msg = unsafe { coap_msg(msg) };
    let code = msg.map_or(NO_CODE, |m| m.header.code);
    // SAFETY: a message from the server has `payloadlen` bytes at `payload` for the call.
    let payload = msg.and_then(|m| unsafe { coap_payload(m) });
    let _ = shell::run(shell::Event::NotifyAck {
        result,
        code,
        payload,
    });
}

/// Broadcast one notify on `path` to the broadcast address `dest` of the cycle (see
/// `render::broadcast_host`; `ip` is the device's IP text). Out of line: measured smaller than
/// inlined into its one caller, `exec::deliver`, and the address is built on this frame only.
///
/// # Safety
/// `path` must end with a NUL (as `exec::topic` writes it).
#[inline(never)]
pub unsafe fn notify_send(dest: u8, ip: &[u8], path: &[u8], payload: &[u8]) -> c_int {
    let Ok(len) = u16::try_from(payload.len()) else {
        return -1;
    };
    let mut addr = NetworkAddr {
        addr: [0; 16],
        port: NOTIFY_PORT,
    };
    // The host text (a dotted quad: at most 15 bytes) and its NUL in 16 zeroed bytes, the
    // last of which the writer never reaches.
    let (text, _nul) = addr.addr.split_at_mut(15);
    render::broadcast_host(&mut Writer::new(text), dest, ip);
    let Some(c) = ctx_or_init() else {
        return -1;
    };
    cancel_notify();
    let mut msgid: u16 = 0;
    // SAFETY: every pointer is valid for the call; the server copies the payload and the
    // address; `payload` is not written (the C prototype lacks `const`); `path` is
    // NUL-terminated (guaranteed by the caller).
    let rc = unsafe {
        CoAPServerMultiCast_send(
            c.as_ptr(),
            &mut addr,
            path.as_ptr().cast(),
            payload.as_ptr() as *mut u8,
            len,
            Some(notify_resp_cb),
            &mut msgid,
        )
    };
    if rc == 0 {
        NOTIFY_MSGID.store(MSGID_VALID | u32::from(msgid), Ordering::Release);
    }
    rc
}

/// Send an answer: for a [`Reply::Later`], a zeroed `CoAPMessage` rebuilt from the saved copy
/// of the request (2.05, NON; `-1` after a warning when the server is gone); for a
/// [`Reply::Now`], the request the server still owns (the server started if needed). One
/// `CoAPServerResp_send` for both; out of line, so that the message (about 260 bytes) is on
/// the stack only while an answer is sent, not in `exec::deliver`'s frame under every publish
/// and its log lines.
///
/// # Safety
/// `path` must end with a NUL (as `exec::topic` writes it); `payload` is at most
/// `u16::MAX` bytes (it fits `exec::PAYLOAD_MAX`).
#[inline(never)]
pub unsafe fn answer(reply: &mut Reply<'_>, path: &[u8], payload: &[u8]) -> c_int {
    let mut remote;
    let mut observe;
    let mut req;
    let (c, remote, request) = match reply {
        Reply::Later(a) => {
            let ctx = &a.ctx;
            let Some(c) = self::ctx() else {
                log::note(Level::Warn, Msg::AnswerNoServer);
                return -1;
            };
            remote = ctx.remote;
            observe = ctx.observe;
            req = CoapMessage::ZERO;
            req.header.bits = CoapMsgHeader::pack(1, 0, ctx.tokenlen);
            req.header.msgid = ctx.msgid;
            req.token = ctx.token;
            let olen = ctx.observe_len;
            if olen != NO_OBSERVE {
                if let Some(slot) = req.options.get_mut(0) {
                    *slot = CoapMsgOption {
                        num: COAP_OPTION_OBSERVE,
                        len: u16::from(olen),
                        val: observe.as_mut_ptr(),
                    };
                    req.optcount = 1;
                }
            }
            (c, &mut remote, &mut req)
        }
        Reply::Now {
            remote, request, ..
        } => {
            let Some(c) = ctx_or_init() else {
                return -1;
            };
            (c, &mut **remote, &mut **request)
        }
    };
    // SAFETY: `remote` and `request` (and the Observe bytes a rebuilt request points at) live
    // for the whole call, on this frame or behind the caller's references; the server copies
    // what it keeps; `payload` is not written (the C prototype lacks `const`) and its length
    // fits a u16, `path` is NUL-terminated (both guaranteed by the caller).
    unsafe {
        CoAPServerResp_send(
            c.as_ptr(),
            remote,
            payload.as_ptr() as *mut u8,
            payload.len() as u16,
            ptr::from_mut(request).cast(),
            path.as_ptr().cast(),
            None,
            ptr::null_mut(),
            0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tokenlen: u8, msgid: u16, observe: Option<&mut [u8]>) -> CoapMessage {
        let mut m = CoapMessage::ZERO;
        m.header.bits = CoapMsgHeader::pack(1, 1, tokenlen);
        m.header.msgid = msgid;
        for (i, b) in m.token.iter_mut().enumerate() {
            *b = 0xA0 + i as u8;
        }
        m.options[0] = CoapMsgOption {
            num: 11,
            len: 3,
            val: ptr::null_mut(),
        };
        m.optcount = 1;
        if let Some(v) = observe {
            m.options[1] = CoapMsgOption {
                num: COAP_OPTION_OBSERVE,
                len: v.len() as u16,
                val: v.as_mut_ptr(),
            };
            m.optcount = 2;
        }
        m
    }

    #[test]
    fn reply_ctx_copies_token_msgid_and_observe() {
        let peer = || NetworkAddr {
            addr: *b"10.0.0.2\0\0\0\0\0\0\0\0",
            port: 5683,
        };
        let mut remote = peer();
        let mut obs = [0x2Au8];
        let mut req = request(4, 0x1234, Some(&mut obs));
        let obs = req.options[1].val;
        let ctx = ReplyCtx::from_request(&remote, &req, &mut 0);
        // The server reuses its buffers for the next packet as soon as the handler returns:
        // scribble over every byte the copy was taken from. A copy taken now sees the new
        // bytes; the first one must keep the originals.
        req.header.msgid = 0x9999;
        req.token = [0xEE; COAP_MSG_MAX_TOKEN_LEN];
        remote.addr = [0xEE; 16];
        remote.port = 1;
        // SAFETY: `obs` points at the request's one-byte Observe value, alive here.
        unsafe { *obs = 0x55 };
        let later = ReplyCtx::from_request(&remote, &req, &mut 0);
        assert_eq!(later.msgid, 0x9999);
        assert_eq!(later.token[0], 0xEE);
        assert_eq!(later.observe[0], 0x55);
        assert_eq!(later.remote.port, 1);
        assert_eq!(ctx.msgid, 0x1234);
        assert_eq!(ctx.tokenlen, 4);
        assert_eq!(&ctx.token[..4], &[0xA0, 0xA1, 0xA2, 0xA3]);
        assert_eq!(ctx.observe_len, 1);
        assert_eq!(
            ctx.observe[0], 0x2A,
            "the copy's Observe value followed the buffer"
        );
        assert_eq!(&ctx.remote.addr[..8], b"10.0.0.2");
        assert_eq!(ctx.remote.port, 5683);
        let again = ReplyCtx::from_request(&peer(), &request(2, 0x1234, None), &mut 0);
        assert!(ctx.same_request(&again));
        let other = ReplyCtx::from_request(&peer(), &request(4, 0x1235, None), &mut 0);
        assert!(!ctx.same_request(&other));
        assert_eq!(other.observe_len, NO_OBSERVE);
    }

    #[test]
    fn token_length_is_clamped_and_long_observe_dropped() {
        let remote = NetworkAddr {
            addr: [0; 16],
            port: 1,
        };
        let mut long = [1u8, 2, 3, 4, 5];
        let mut dropped = 0;
        let ctx = ReplyCtx::from_request(&remote, &request(15, 7, Some(&mut long)), &mut dropped);
        assert_eq!(usize::from(ctx.tokenlen), COAP_MSG_MAX_TOKEN_LEN.min(15));
        assert_eq!(ctx.observe_len, NO_OBSERVE);
        assert_eq!(dropped, 5);
    }
}
