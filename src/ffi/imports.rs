//! Typed declarations of every C function the module takes from the firmware (SPEC section 4),
//! and a few thin safe wrappers for the calls the shell makes often.
//!
//! Only `legacy_alloc.rs` calls `HAL_Malloc` / `HAL_Free`.

use core::ffi::{c_char, c_int, c_void};
use core::mem::MaybeUninit;

use super::types::{CoapMessage, CoapRecvMsgHandler, CoapSendMsgHandler, NetworkAddr};

/// An MQTT event handler: `void (*)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg)`.
/// (The message is declared `void *`, as the exported handlers declare it.)
pub type MqttEventHandler =
    unsafe extern "C" fn(pcontext: *mut c_void, pclient: *mut c_void, msg: *mut c_void);

/// A HAL timer callback.
pub type TimerFn = unsafe extern "C" fn(user_data: *mut c_void);

// Each declaration is the SDK function of the same name, with its C types (SPEC section 4).
#[allow(missing_docs)]
extern "C" {
    // --- the C library ---
    /// The firmware libc's `strlen` (its word-at-a-time scan, not one of ours).
    pub fn strlen(s: *const c_char) -> usize;

    // --- HAL (dev_bind_wrapper.h) ---
    pub fn HAL_Printf(fmt: *const c_char, ...);
    pub fn HAL_Snprintf(str: *mut c_char, len: c_int, fmt: *const c_char, ...) -> c_int;
    pub fn HAL_GetProductKey(product_key: *mut c_char) -> c_int;
    pub fn HAL_GetDeviceName(device_name: *mut c_char) -> c_int;
    pub fn HAL_Timer_Create(
        name: *const c_char,
        func: Option<TimerFn>,
        user_data: *mut c_void,
    ) -> *mut c_void;
    pub fn HAL_Timer_Start(timer: *mut c_void, ms: c_int) -> c_int;
    pub fn HAL_Timer_Stop(timer: *mut c_void) -> c_int;
    pub fn HAL_Timer_Delete(timer: *mut c_void) -> c_int;
    pub fn HAL_Wifi_Get_Mac(mac_str: *mut c_char) -> *mut c_char;
    pub fn HAL_Wifi_Get_IP(ip_str: *mut c_char, ifname: *const c_char) -> u32;
    pub fn HAL_Random(region: u32) -> u32;
    pub fn HAL_MutexCreate() -> *mut c_void;
    pub fn HAL_MutexDestroy(mutex: *mut c_void);
    pub fn HAL_MutexLock(mutex: *mut c_void);
    pub fn HAL_MutexUnlock(mutex: *mut c_void);
    pub fn HAL_Malloc(size: u32) -> *mut c_void;
    pub fn HAL_Free(ptr: *mut c_void);
    pub fn HAL_UptimeMs() -> u64;
    pub fn HAL_Reboot();
    pub fn HAL_Kv_Set(key: *const c_char, val: *const c_void, len: c_int, sync: c_int) -> c_int;
    pub fn HAL_Kv_Get(key: *const c_char, val: *mut c_void, buffer_len: *mut c_int) -> c_int;

    // --- MQTT (mqtt_api.h) ---
    pub fn IOT_MQTT_Subscribe(
        handle: *mut c_void,
        topic_filter: *const c_char,
        qos: c_int,
        cb: Option<MqttEventHandler>,
        pcontext: *mut c_void,
    ) -> c_int;
    pub fn IOT_MQTT_Unsubscribe(handle: *mut c_void, topic_filter: *const c_char) -> c_int;
    pub fn IOT_MQTT_Publish_Simple(
        handle: *mut c_void,
        topic: *const c_char,
        qos: c_int,
        data: *mut c_void,
        len: c_int,
    ) -> c_int;

    // --- CoAP server (CoAPServer.h / CoAPExport.h) ---
    pub fn CoAPServer_init() -> *mut c_void;
    pub fn CoAPServer_deinit(ctx: *mut c_void);
    pub fn CoAPServer_register(
        ctx: *mut c_void,
        uri: *const c_char,
        cb: Option<CoapRecvMsgHandler>,
    ) -> c_int;
    pub fn CoAPServerMultiCast_send(
        ctx: *mut c_void,
        remote: *mut NetworkAddr,
        uri: *const c_char,
        buf: *mut u8,
        len: u16,
        cb: Option<CoapSendMsgHandler>,
        msgid: *mut u16,
    ) -> c_int;
    pub fn CoAPServerResp_send(
        ctx: *mut c_void,
        remote: *mut NetworkAddr,
        buf: *mut u8,
        len: u16,
        req: *mut c_void,
        paths: *const c_char,
        cb: Option<CoapSendMsgHandler>,
        msgid: *mut u16,
        qos: c_char,
    ) -> c_int;
    pub fn CoAPMessageId_cancel(ctx: *mut c_void, msgid: u16) -> c_int;
    pub fn CoAPObsServer_notify(
        ctx: *mut c_void,
        path: *const c_char,
        payload: *mut u8,
        payloadlen: u16,
        handler: *mut c_void,
    ) -> c_int;

    // --- Events (infra) ---
    pub fn iotx_event_post(event: c_int) -> c_int;
    pub fn iotx_event_callback(evt: c_int) -> *mut c_void;
}

/// `ITE_AWSS_STATUS`, the first entry of the SDK's event-callback enum.
pub const ITE_AWSS_STATUS: c_int = 0;

/// The SDK's `ITE_AWSS_STATUS` callback type.
pub type AwssStatusCb = unsafe extern "C" fn(event: c_int) -> c_int;

/// The HAL calls the shell makes, behind a trait so that the calling code reads as plain Rust.
/// [`Hal`] is the firmware's implementation.
pub trait Platform {
    /// `HAL_UptimeMs()`.
    fn uptime_ms(&self) -> u64;
    /// `HAL_Random(0xFFFFFFFF)`.
    fn random_u32(&self) -> u32;
    /// Fill `buf` (zeroed first) with the MAC text; returns the text up to its NUL (which
    /// `buf` holds).
    fn mac<'a>(&self, buf: &'a mut MaybeUninit<[u8; 19]>) -> &'a [u8];
    /// `HAL_Kv_Get("awss.rst")`: `Ok(byte)` or `Err(rc)`.
    fn kv_get_reset(&self) -> Result<u8, i32>;
    /// `HAL_Kv_Set("awss.rst", &b, 1, 0)`.
    fn kv_set_reset(&self, value: u8) -> i32;
}

/// The firmware's HAL.
pub struct Hal;

/// The bytes of `buf` up to the first NUL (all of it when none).
pub fn until_nul(buf: &[u8]) -> &[u8] {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.get(..end).unwrap_or(&[])
}

const KV_RST: &[u8] = b"awss.rst\0";

impl Platform for Hal {
    fn uptime_ms(&self) -> u64 {
        // SAFETY: no arguments; the HAL contract says it may be called from any thread.
        unsafe { HAL_UptimeMs() }
    }
    fn random_u32(&self) -> u32 {
        // SAFETY: no pointer arguments.
        unsafe { HAL_Random(0xFFFF_FFFF) }
    }
    fn mac<'a>(&self, buf: &'a mut MaybeUninit<[u8; 19]>) -> &'a [u8] {
        let buf = buf.write([0; 19]);
        // SAFETY: the HAL writes at most HAL_MAC_LEN (18) bytes including the NUL; the buffer
        // has one spare byte.
        unsafe { HAL_Wifi_Get_Mac(buf.as_mut_ptr().cast()) };
        until_nul(buf.get(..18).unwrap_or(&[]))
    }
    fn kv_get_reset(&self) -> Result<u8, i32> {
        let mut byte: u8 = 0;
        let mut len: c_int = 1;
        // SAFETY: the key is NUL-terminated; `byte` has room for `len` = 1 byte.
        let rc = unsafe {
            HAL_Kv_Get(
                KV_RST.as_ptr().cast(),
                (&mut byte as *mut u8).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            Ok(byte)
        } else {
            Err(rc)
        }
    }
    fn kv_set_reset(&self, value: u8) -> i32 {
        // SAFETY: the key is NUL-terminated; one byte is read from `value`.
        unsafe { HAL_Kv_Set(KV_RST.as_ptr().cast(), (&value as *const u8).cast(), 1, 0) }
    }
}

/// `iotx_event_post(event)`, then the `ITE_AWSS_STATUS` callback if one is registered.
/// Returns the callback's result if it ran, else `iotx_event_post`'s.
pub fn post_event(event: c_int) -> c_int {
    // SAFETY: plain integer arguments.
    let mut rc = unsafe { iotx_event_post(event) };
    // SAFETY: plain integer argument; returns a function pointer or NULL.
    let cb = unsafe { iotx_event_callback(ITE_AWSS_STATUS) };
    if !cb.is_null() {
        // SAFETY: the SDK registers `ITE_AWSS_STATUS` callbacks as `int (*)(int)`
        // (DECLARE_EVENT_CALLBACK); a non-NULL value is such a function.
        let f: AwssStatusCb = unsafe { core::mem::transmute::<*mut c_void, AwssStatusCb>(cb) };
        // SAFETY: calling the registered callback with its declared signature.
        rc = unsafe { f(event) };
    }
    rc
}

/// A raw `CoAPMessage *` from the CoAP server, for the few reads the shell makes.
///
/// # Safety
/// `msg` must be NULL or point to a valid `CoAPMessage` for the duration of the borrow.
pub unsafe fn coap_msg<'a>(msg: *const CoapMessage) -> Option<&'a CoapMessage> {
    // SAFETY: guaranteed by the caller.
    unsafe { msg.as_ref() }
}

/// The payload of a CoAP message: `payloadlen` bytes at `payload` (None when NULL).
///
/// # Safety
/// `msg.payload` must be NULL or point to `msg.payloadlen` readable bytes for `'a`.
pub unsafe fn coap_payload<'a>(msg: &CoapMessage) -> Option<&'a [u8]> {
    if msg.payload.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller guarantees `payloadlen` readable bytes.
    Some(unsafe { core::slice::from_raw_parts(msg.payload, usize::from(msg.payloadlen)) })
}
