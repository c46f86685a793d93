//! The CoAP side, below the executor: the server context, notify broadcasts and answers. It
//! names no handler of its own: the executor starts the server (and registers the query
//! resources with the handlers the shell hands down), and passes the context and the notify's
//! send callback into each send.

use core::ffi::{c_int, c_void};
use core::ptr::{self, NonNull};
use portable_atomic::{AtomicPtr, AtomicU32, Ordering};

use super::imports::{
    CoAPMessageId_cancel, CoAPServerMultiCast_send, CoAPServerResp_send, CoAPServer_deinit,
};
use super::types::{
    CoapMessage, CoapMsgHeader, CoapMsgOption, CoapSendMsgHandler, NetworkAddr, COAP_OPTION_OBSERVE,
};
use crate::config::COAP_MSG_MAX_TOKEN_LEN;
use dev_bind_core::render::{self, Writer};
use dev_bind_core::{copy_bytes, Answer, IdEcho, QueryCtx};

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

/// Publish `fresh`, a context `CoAPServer_init` just returned, as the module's: `Ok` when
/// this call installed it (the caller then registers the query resources), else `Err` with the
/// context another thread installed first (the SDK's `CoAPServer_init` returns its
/// process-wide singleton, so both are the same server).
pub fn install(fresh: NonNull<c_void>) -> Result<NonNull<c_void>, Option<NonNull<c_void>>> {
    match CTX.compare_exchange(
        ptr::null_mut(),
        fresh.as_ptr(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => Ok(fresh),
        Err(winner) => Err(NonNull::new(winner)),
    }
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

/// Broadcast one notify on `path` from the server `c` to the broadcast address `dest` of the
/// cycle (see `render::broadcast_host`; `ip` is the device's IP text), with `ack` as its send
/// callback. Out of line: measured smaller than inlined into its one caller, `exec::deliver`,
/// and the address is built on this frame only.
///
/// # Safety
/// `c` must be the live server context; `path` must end with a NUL (as `exec::topic` writes
/// it).
#[inline(never)]
pub unsafe fn notify_send(
    c: NonNull<c_void>,
    ack: CoapSendMsgHandler,
    dest: u8,
    ip: &[u8],
    path: &[u8],
    payload: &[u8],
) -> c_int {
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
            Some(ack),
            &mut msgid,
        )
    };
    if rc == 0 {
        NOTIFY_MSGID.store(MSGID_VALID | u32::from(msgid), Ordering::Release);
    }
    rc
}

/// What an `Action::Answer(())` stands for.
pub enum Reply<'a> {
    /// The machine's answer to a query, sent from the saved copy of the request.
    Later(&'a Answer<ReplyCtx>),
    /// A connect-AP info answer (`process_get_device_info`), sent at once to a request the
    /// server still owns.
    Now {
        /// The request's sender.
        remote: &'a mut NetworkAddr,
        /// The request.
        request: &'a mut CoapMessage,
        /// True for the multicast path.
        mcast: bool,
        /// The request's id, echoed.
        id: &'a IdEcho,
    },
}

/// Send an answer from the server `c`: for a [`Reply::Later`], a zeroed `CoAPMessage` rebuilt from the saved copy
/// of the request (2.05, NON); for a [`Reply::Now`], the request the server still owns. One
/// `CoAPServerResp_send` for both; out of line, so that the message (about 260 bytes) is on
/// the stack only while an answer is sent, not in `exec::deliver`'s frame under every publish
/// and its log lines.
///
/// # Safety
/// `c` must be the live server context; `path` must end with a NUL (as `exec::topic` writes
/// it); `payload` is at most `u16::MAX` bytes (it fits `exec::PAYLOAD_MAX`).
#[inline(never)]
pub unsafe fn answer(
    c: NonNull<c_void>,
    reply: &mut Reply<'_>,
    path: &[u8],
    payload: &[u8],
) -> c_int {
    let mut remote;
    let mut observe;
    let mut req;
    let (remote, request) = match reply {
        Reply::Later(a) => {
            let ctx = &a.ctx;
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
            (&mut remote, &mut req)
        }
        Reply::Now {
            remote, request, ..
        } => (&mut **remote, &mut **request),
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
