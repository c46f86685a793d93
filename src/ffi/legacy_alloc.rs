//! The only heap users of the library: `os_zalloc` and the legacy CoAP session copy
//! (`awss_cpy_coap_ctx` / `awss_release_coap_ctx`), which no bind flow uses. Every
//! `HAL_Malloc` / `HAL_Free` call of the library is in this file.

use core::ffi::{c_char, c_int, c_void};
use core::mem::size_of;
use core::ptr;

use super::imports::{HAL_Free, HAL_Malloc};
use super::types::{CoapMessage, NetworkAddr};

/// `struct coap_session_ctx_t { void *request; void *remote; char is_mcast; }`.
#[repr(C)]
struct CoapSessionCtx {
    request: *mut c_void,
    remote: *mut c_void,
    is_mcast: c_char,
}
// x86_64: 24 / 8; ARM32: 12 / 4.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<CoapSessionCtx>() == 24);

/// `HAL_Malloc(size)` zero-filled.
///
/// # Safety
/// Always safe to call; the memory is released with `HAL_Free`.
///
/// # Returns
/// The zeroed block, or NULL when `HAL_Malloc` fails.
#[no_mangle]
pub unsafe extern "C" fn os_zalloc(size: u32) -> *mut c_void {
    // SAFETY: plain size argument.
    let p = unsafe { HAL_Malloc(size) };
    if !p.is_null() {
        let Ok(n) = usize::try_from(size) else {
            return p;
        };
        // SAFETY: `p` is a fresh block of `size` bytes.
        unsafe { ptr::write_bytes(p.cast::<u8>(), 0, n) };
    }
    p
}

/// One heap block holds a whole session: the C struct first (so that the block is the
/// session pointer), the request and the sender it points to, then the request's payload (plus
/// a NUL) and option values.
#[repr(C)]
struct Session {
    ctx: CoapSessionCtx,
    msg: CoapMessage,
    addr: NetworkAddr,
}

/// Free a session made by [`awss_cpy_coap_ctx`].
///
/// # Safety
/// `session` must be NULL or a value returned by `awss_cpy_coap_ctx` not yet released.
///
/// # Returns
/// `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_release_coap_ctx(session: *mut c_void) -> c_int {
    if !session.is_null() {
        // SAFETY: our single block (the request and the sender live inside it), per the caller.
        unsafe { HAL_Free(session) };
    }
    0
}

/// Copy a CoAP request and its sender into one heap session (legacy; used by no bind flow).
/// Unlike the C module, the copy is deep: the payload (plus a NUL) and every option value are
/// copied into the session's block, so nothing points into the server's receive buffer.
///
/// # Safety
/// `request` must be NULL or a valid `CoAPMessage *` (payload and option pointers valid for
/// their lengths); `remote` NULL or a valid `NetworkAddr *`.
///
/// # Returns
/// The session (release it with `awss_release_coap_ctx`), or NULL on NULL or out of memory.
#[no_mangle]
pub unsafe extern "C" fn awss_cpy_coap_ctx(
    request: *mut c_void,
    remote: *mut c_void,
    mcast: c_char,
) -> *mut c_void {
    // SAFETY: NULL or valid, per the caller.
    let (Some(req), Some(addr)) = (unsafe {
        (
            request.cast::<CoapMessage>().as_ref(),
            remote.cast::<NetworkAddr>().as_ref(),
        )
    }) else {
        return ptr::null_mut();
    };
    // The options in use (all of them when `optcount` is out of range).
    let used = usize::from(req.optcount);
    let payload_len = usize::from(req.payloadlen);
    // The session, the payload and its NUL, then the option values: at most
    // 1 KiB + 65,536 + COAP_MSG_MAX_OPTION_NUM x 65,535 bytes, far below 4 GiB. Every length
    // is counted (a NULL payload or option value leaves its bytes unused).
    let mut total = size_of::<Session>() + payload_len + 1;
    for o in req.options.get(..used).unwrap_or(&req.options) {
        total += usize::from(o.len);
    }
    // SAFETY: plain size argument.
    let block = unsafe { os_zalloc(total as u32) }.cast::<Session>();
    // SAFETY: NULL or a fresh zeroed block of `total` bytes; `HAL_Malloc` returns blocks
    // aligned for any type, and all-zero bytes are a valid `Session` (pointers and optional
    // callbacks only).
    let Some(s) = (unsafe { block.as_mut() }) else {
        return ptr::null_mut();
    };
    s.msg = *req;
    s.addr = *addr;
    // SAFETY: the bytes after the `Session` in the block: the payload and its NUL, then the
    // option values, `total` bytes in all; the sources are valid for their lengths per the
    // caller.
    unsafe {
        let mut tail = block.add(1).cast::<u8>();
        let msg = &mut s.msg;
        if msg.payload.is_null() {
            msg.payloadlen = 0;
        } else {
            ptr::copy_nonoverlapping(msg.payload, tail, payload_len);
            msg.payload = tail;
        }
        tail = tail.add(payload_len + 1);
        let opts = &mut msg.options;
        let opts = match opts.get_mut(..used) {
            Some(o) => o,
            None => opts,
        };
        for opt in opts {
            if opt.val.is_null() {
                continue;
            }
            let n = usize::from(opt.len);
            ptr::copy_nonoverlapping(opt.val, tail, n);
            opt.val = tail;
            tail = tail.add(n);
        }
    }
    s.ctx = CoapSessionCtx {
        request: ptr::addr_of_mut!(s.msg).cast(),
        remote: ptr::addr_of_mut!(s.addr).cast(),
        is_mcast: mcast,
    };
    block.cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::types::CoapMsgOption;

    extern "C" {
        fn malloc(size: usize) -> *mut c_void;
        fn free(p: *mut c_void);
    }

    /// Blocks from `HAL_Malloc` not yet freed (only this file's test allocates).
    static LIVE: core::sync::atomic::AtomicIsize = core::sync::atomic::AtomicIsize::new(0);

    // The test binary's heap for the two HAL imports this file uses.
    #[no_mangle]
    extern "C" fn HAL_Malloc(size: u32) -> *mut c_void {
        LIVE.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
        // SAFETY: plain libc allocation.
        unsafe { malloc(size as usize) }
    }
    #[no_mangle]
    extern "C" fn HAL_Free(p: *mut c_void) {
        if !p.is_null() {
            LIVE.fetch_sub(1, core::sync::atomic::Ordering::SeqCst);
        }
        // SAFETY: NULL or a block from `HAL_Malloc`.
        unsafe { free(p) }
    }

    #[test]
    fn session_copy_is_deep() {
        let mut payload = *b"{\"id\":7}";
        let mut uri = *b"sys";
        let mut req = CoapMessage::ZERO;
        req.header.msgid = 0x4242;
        req.payload = payload.as_mut_ptr();
        req.payloadlen = payload.len() as u16;
        req.options[0] = CoapMsgOption {
            num: 11,
            len: 3,
            val: uri.as_mut_ptr(),
        };
        req.options[1] = CoapMsgOption {
            num: 12,
            len: 5,
            val: ptr::null_mut(),
        };
        req.optcount = 2;
        let mut addr = NetworkAddr {
            addr: *b"10.0.0.9\0\0\0\0\0\0\0\0",
            port: 5683,
        };
        let req_ptr = (&mut req as *mut CoapMessage).cast();
        let addr_ptr = (&mut addr as *mut NetworkAddr).cast();
        // SAFETY: a valid request (payload and option bytes live here) and address.
        let session = unsafe { awss_cpy_coap_ctx(req_ptr, addr_ptr, 1) };
        assert!(!session.is_null());
        // The originals change (the server reuses its buffer): the copy must not.
        payload.fill(b'x');
        uri.fill(b'y');
        // SAFETY: the session and its blocks are ours until released below.
        unsafe {
            let s = &*session.cast::<CoapSessionCtx>();
            assert_eq!(s.is_mcast, 1);
            let m = &*s.request.cast::<CoapMessage>();
            assert_eq!(m.header.msgid, 0x4242);
            assert_eq!(m.optcount, 2);
            assert_eq!(usize::from(m.payloadlen), payload.len());
            let p = core::slice::from_raw_parts(m.payload, payload.len() + 1);
            assert_eq!(p, b"{\"id\":7}\0");
            assert_eq!(core::slice::from_raw_parts(m.options[0].val, 3), b"sys");
            assert!(m.options[1].val.is_null());
            assert_ne!(s.remote, addr_ptr);
            let a = &*s.remote.cast::<NetworkAddr>();
            assert_eq!(a.port, 5683);
            assert_eq!(&a.addr[..8], b"10.0.0.9");
            assert_eq!(LIVE.load(core::sync::atomic::Ordering::SeqCst), 1);
            assert_eq!(awss_release_coap_ctx(session), 0);
            assert_eq!(LIVE.load(core::sync::atomic::Ordering::SeqCst), 0);
            assert_eq!(awss_release_coap_ctx(ptr::null_mut()), 0);
            assert!(awss_cpy_coap_ctx(ptr::null_mut(), addr_ptr, 0).is_null());
            // A NULL payload stays NULL with length 0, whatever length the request claims.
            (*req_ptr.cast::<CoapMessage>()).payload = ptr::null_mut();
            let session = awss_cpy_coap_ctx(req_ptr, addr_ptr, 0);
            assert!(!session.is_null());
            let m = &*(*session.cast::<CoapSessionCtx>())
                .request
                .cast::<CoapMessage>();
            assert!(m.payload.is_null());
            assert_eq!(m.payloadlen, 0);
            assert_eq!(core::slice::from_raw_parts(m.options[0].val, 3), b"yyy");
            assert_eq!(awss_release_coap_ctx(session), 0);
            assert_eq!(LIVE.load(core::sync::atomic::Ordering::SeqCst), 0);
        }
    }
}
