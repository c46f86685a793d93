//! The remaining symbols of the C module: helpers the SDK's other modules (and some firmware)
//! link against. None of them is used by the bind flow itself; each keeps its C signature and
//! meaning, NULL-checked. Allocation lives apart, in `legacy_alloc.rs`.

use core::ffi::{c_char, c_int, c_void};
use core::mem::MaybeUninit;
use core::ptr;
use portable_atomic::{AtomicU32, Ordering};

use super::coap;
use super::exec::{self, Ids};
use super::exports::{lock_op, with_lock, Op};
use super::imports::{
    self, CoAPMessageId_cancel, CoAPObsServer_notify, CoAPServerMultiCast_send,
    CoAPServerResp_send, CoAPServer_register, HAL_Snprintf, HAL_Timer_Delete, HAL_Timer_Stop, Hal,
    MqttEventHandler, Platform,
};
use super::log;
use super::shell::{self, read_aes_random, Event};
use super::types::{
    CoapMessage, CoapRecvMsgHandler, CoapSendMsgHandler, MqttEventMsg, MqttTopicInfo, NetworkAddr,
    MQTT_EVENT_PUBLISH_RECEIVED,
};
use dev_bind_core::render::{self, Payload, Writer};
use dev_bind_core::{Level, Msg};

/// `AWSS_LC_INIT_SUC` and `AWSS_LC_INIT_BIND`: the stages that serve device-info queries.
const LC_INIT_SUC: c_int = 0x08;
const LC_INIT_BIND: c_int = 0x100;
/// `AWSS_NOTIFY_DEV_BIND_TOKEN`, `AWSS_NOTIFY_DEV_RAND_SIGN`, `AWSS_NOTIFY_SUCCESS`.
const NOTIFY_DEV_BIND_TOKEN: c_int = 1;
const NOTIFY_DEV_RAND_SIGN: c_int = 2;
const NOTIFY_SUCCESS: c_int = 3;
/// `AWSS_CMP_PKT_TYPE_REQ` / `_RSP`.
const PKT_TYPE_REQ: c_int = 1;
const PKT_TYPE_RSP: c_int = 2;

// ---------------------------------------------------------------- statistics

/// Zero the bind statistics (not the id counters).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// Nothing.
#[no_mangle]
pub unsafe extern "C" fn awss_bind_clear_statis() {
    lock_op(Op::ClearStats);
}

/// Log the bind statistics at debug level.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// Nothing.
#[no_mangle]
pub unsafe extern "C" fn awss_bind_disp_statis() {
    lock_op(Op::ShowStats);
}

/// Post the bind statistics to `/sys/${pk}/${dn}/thing/log/post` if a token-sync count exists.
/// The module name in the post is always `dev_bind` (`module` is ignored).
///
/// # Safety
/// `module` is never read.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_bind_report_statis(module: *const c_char) -> c_int {
    let _ = module;
    shell::run(Event::ReportStats)
}

/// `0` = a token report started now, `1` = a success measured from the last start (ignored
/// when no start happened).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// Nothing.
#[no_mangle]
pub unsafe extern "C" fn awss_bind_update_statis(r#type: c_int) {
    with_lock(Op::UpdateStats, r#type, &mut []);
}

// ---------------------------------------------------------------- packets and topics

/// Write the DEVINFO members (no braces) into `dev_info`, NUL-terminated and cut to
/// `info_len - 1` characters. Type 1 adds the token (from `aes_random`), `remainTime` and
/// `"type":0`; other types give the common members only.
///
/// # Safety
/// `dev_info` must be NULL or writable for `info_len` bytes.
///
/// # Returns
/// `dev_info`, or NULL on NULL or `info_len <= 0`.
#[no_mangle]
pub unsafe extern "C" fn awss_build_dev_info(
    r#type: c_int,
    dev_info: *mut c_void,
    info_len: c_int,
) -> *mut c_void {
    let Ok(len) = usize::try_from(info_len) else {
        return ptr::null_mut();
    };
    if dev_info.is_null() || len == 0 {
        return ptr::null_mut();
    }
    // SAFETY: non-NULL and writable for `info_len` bytes, per the caller.
    let out = unsafe { core::slice::from_raw_parts_mut(dev_info.cast::<u8>(), len) };
    let mut ids = Ids::UNREAD;
    let who = ids.get(true);
    let remain = lock_op(Op::Remain);
    let token = read_aes_random();
    let (text_len, ok) = {
        let mut w = Writer::new(out.get_mut(..len - 1).unwrap_or(&mut []));
        // Provisioning: types 2 (the random and its sign) and 3 (`"type":0`).
        #[cfg(feature = "wifi-provision")]
        let provisioned = super::provision::build_dev_info(&mut w, r#type, &who);
        #[cfg(not(feature = "wifi-provision"))]
        let provisioned = false;
        if !provisioned {
            let which = if r#type == NOTIFY_DEV_BIND_TOKEN {
                Payload::DevInfo
            } else {
                Payload::DevInfoBase
            };
            render::payload(
                &mut w,
                which,
                &[remain.into()],
                &token,
                &who,
                &render::NO_ID,
            );
        }
        (w.len(), w.ok())
    };
    if let Some(nul) = out.get_mut(text_len) {
        *nul = 0;
    }
    if !ok {
        log::note(Level::Warn, Msg::BuildDevInfoCut);
    }
    dev_info
}

/// Build a request (`type` 1: `{"id":<id>,"version":"<ver>","method":"<method>","params":<data>}`)
/// or a response (`type` 2: `{"id":<id>,"code":<code>,"data":<data>}`) into `packet`, at most
/// `*packet_len - 2` characters plus a NUL (`HAL_Snprintf(packet, *packet_len - 1, ...)`).
/// `*packet_len` is left unchanged, as in the C module.
///
/// # Safety
/// Every non-NULL pointer must be a NUL-terminated string (`packet`: writable for
/// `*packet_len` bytes).
///
/// # Returns
/// `0`, or `-1` on NULL, `*packet_len <= 0`, or an unknown type.
#[no_mangle]
pub unsafe extern "C" fn awss_build_packet(
    r#type: c_int,
    id: *mut c_void,
    ver: *mut c_void,
    method: *mut c_void,
    data: *mut c_void,
    code: c_int,
    packet: *mut c_void,
    packet_len: *mut c_int,
) -> c_int {
    // SAFETY: NULL or readable, per the caller.
    let Some(&len) = (unsafe { packet_len.as_ref() }) else {
        return -1;
    };
    if data.is_null() || packet.is_null() || id.is_null() || len <= 0 {
        return -1;
    }
    let (id, data, packet) = (
        id.cast::<c_char>(),
        data.cast::<c_char>(),
        packet.cast::<c_char>(),
    );
    match r#type {
        PKT_TYPE_REQ => {
            if ver.is_null() || method.is_null() {
                return -1;
            }
            // SAFETY: every string argument is non-NULL and NUL-terminated, `packet` holds
            // `len` bytes and the format consumes exactly four `char *` arguments.
            unsafe {
                HAL_Snprintf(
                    packet,
                    len - 1,
                    c"{\"id\":%s,\"version\":\"%s\",\"method\":\"%s\",\"params\":%s}".as_ptr(),
                    id,
                    ver.cast::<c_char>(),
                    method.cast::<c_char>(),
                    data,
                )
            };
            0
        }
        PKT_TYPE_RSP => {
            // SAFETY: as above; the format consumes `char *`, `int`, `char *`.
            unsafe {
                HAL_Snprintf(
                    packet,
                    len - 1,
                    c"{\"id\":%s,\"code\":%d,\"data\":%s}".as_ptr(),
                    id,
                    code,
                    data,
                )
            };
            0
        }
        _ => -1,
    }
}

/// `HAL_Snprintf(topic, tlen - 1, topic_fmt, product_key, device_name)`.
///
/// # Safety
/// `topic_fmt` must be NULL or a format taking at most two `%s`; `topic` NULL or writable for
/// `tlen` bytes.
///
/// # Returns
/// `topic`, or NULL on NULL or `tlen == 0`.
#[no_mangle]
pub unsafe extern "C" fn awss_build_topic(
    topic_fmt: *const c_char,
    topic: *mut c_char,
    tlen: u32,
) -> *const c_char {
    if topic.is_null() || topic_fmt.is_null() || tlen == 0 {
        return ptr::null();
    }
    let mut ids = Ids::UNREAD;
    let who = ids.get(false);
    let n = c_int::try_from(tlen - 1).unwrap_or(c_int::MAX);
    // SAFETY: `topic` holds `tlen` bytes, the format is the caller's, both identity strings
    // point at NUL-terminated buffers of `ids`, which outlives the call.
    unsafe {
        HAL_Snprintf(
            topic,
            n,
            topic_fmt,
            who.product_key.as_ptr(),
            who.device_name.as_ptr(),
        )
    };
    topic
}

// ---------------------------------------------------------------- CoAP helpers

/// Cancel a CoAP message of the module's server.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The server's result, or `-1` when the server is not running.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_coap_cancel_packet(msgid: u16) -> c_int {
    let Some(c) = coap::ctx() else {
        return -1;
    };
    // SAFETY: `c` is the live server context.
    unsafe { CoAPMessageId_cancel(c.as_ptr(), msgid) }
}

/// Deinit the module's CoAP server (cancelling the last notify first).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_coap_deinit() -> c_int {
    coap::deinit();
    0
}

/// The module's CoAP server (started if needed) for a legacy send of `len` bytes: `None`
/// when `len > 65535`, any of the four pointers is NULL, or the server cannot start.
/// One check for the three send functions.
fn server_for(
    len: u32,
    a: *const c_void,
    b: *const c_void,
    c: *const c_void,
    d: *const c_void,
) -> Option<core::ptr::NonNull<c_void>> {
    if len > u32::from(u16::MAX) || a.is_null() || b.is_null() || c.is_null() || d.is_null() {
        return None;
    }
    exec::server(&shell::CALLBACKS)
}

/// `CoAPObsServer_notify` on the module's server (started if needed).
///
/// # Safety
/// `buf` must be NULL or readable for `len` bytes, `uri` NULL or NUL-terminated, `cb` NULL or
/// a `CoAPDataEncrypt` function. `sa` is unused (as in the C module).
///
/// # Returns
/// The server's result, or `-1` on NULL, `len > 65535`, or no server.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_coap_ob_send(
    buf: *mut c_void,
    len: u32,
    sa: *mut c_void,
    uri: *const c_char,
    cb: *mut c_void,
) -> c_int {
    let _ = sa;
    let Some(c) = server_for(len, buf, uri.cast(), buf, uri.cast()) else {
        return -1;
    };
    // SAFETY: pointers checked by `server_for` and valid per the caller; `len` fits 16 bits
    // (checked too); the server copies the payload.
    unsafe { CoAPObsServer_notify(c.as_ptr(), uri, buf.cast::<u8>(), len as u16, cb) }
}

/// Register a CoAP resource on the module's server (started if needed).
///
/// # Safety
/// `topic` must be NULL or NUL-terminated; `cb` NULL or a `CoAPRecvMsgHandler`.
///
/// # Returns
/// `0`, or `-1` on NULL `topic` or no server.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_coap_register_cb(topic: *mut c_char, cb: *mut c_void) -> c_int {
    let Some(c) = exec::server(&shell::CALLBACKS) else {
        return -1;
    };
    if topic.is_null() {
        return -1;
    }
    // SAFETY: a function pointer and a data pointer have the same size on every target the
    // SDK supports; NULL maps to `None`; the caller guarantees the handler type.
    let cb = unsafe { core::mem::transmute::<*mut c_void, Option<CoapRecvMsgHandler>>(cb) };
    // SAFETY: `c` is the server context, `topic` NUL-terminated (copied by the server).
    unsafe { CoAPServer_register(c.as_ptr(), topic, cb) };
    0
}

/// Multicast `buf` to `sa` on `uri`, cancelling the message `*msgid` first.
///
/// # Safety
/// `buf` NULL or readable for `len` bytes; `sa` NULL or a `NetworkAddr *`; `uri` NULL or
/// NUL-terminated; `cb` NULL or a `CoAPSendMsgHandler`; `msgid` NULL or a writable `uint16_t`.
///
/// # Returns
/// The server's result, or `-1` on NULL, `len > 65535` or no server.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_coap_send(
    buf: *mut c_void,
    len: u32,
    sa: *mut c_void,
    uri: *const c_char,
    cb: *mut c_void,
    msgid: *mut u16,
) -> c_int {
    let existed = coap::ctx();
    let Some(c) = server_for(len, buf, sa, uri.cast(), msgid.cast()) else {
        return -1;
    };
    if existed.is_some() {
        // SAFETY: `msgid` is non-NULL and readable, per the caller.
        let prev = unsafe { *msgid };
        // SAFETY: `c` is the live server context.
        unsafe { CoAPMessageId_cancel(c.as_ptr(), prev) };
    }
    // SAFETY: function and data pointers have the same size; the caller guarantees the type.
    let cb = unsafe { core::mem::transmute::<*mut c_void, Option<CoapSendMsgHandler>>(cb) };
    // SAFETY: every pointer is non-NULL and valid per the caller; the server copies the data.
    unsafe {
        CoAPServerMultiCast_send(
            c.as_ptr(),
            sa.cast::<NetworkAddr>(),
            uri,
            buf.cast::<u8>(),
            len as u16,
            cb,
            msgid,
        )
    }
}

/// `CoAPServerResp_send` on the module's server (started if needed).
///
/// # Safety
/// `buf` NULL or readable for `len` bytes; `sa` NULL or a `NetworkAddr *`; `uri` NULL or
/// NUL-terminated; `req` NULL or a live `CoAPMessage *`; `cb` NULL or a `CoAPSendMsgHandler`;
/// `msgid` NULL or writable.
///
/// # Returns
/// The server's result, or `-1` on NULL, `len > 65535` or no server.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_coap_send_resp(
    buf: *mut c_void,
    len: u32,
    sa: *mut c_void,
    uri: *const c_char,
    req: *mut c_void,
    cb: *mut c_void,
    msgid: *mut u16,
    qos: c_char,
) -> c_int {
    let Some(c) = server_for(len, buf, sa, uri.cast(), req) else {
        return -1;
    };
    // SAFETY: function and data pointers have the same size; the caller guarantees the type.
    let cb = unsafe { core::mem::transmute::<*mut c_void, Option<CoapSendMsgHandler>>(cb) };
    // SAFETY: pointers checked above and valid per the caller.
    unsafe {
        CoAPServerResp_send(
            c.as_ptr(),
            sa.cast::<NetworkAddr>(),
            buf.cast::<u8>(),
            len as u16,
            req,
            uri,
            cb,
            msgid,
            qos,
        )
    }
}

/// The CoAP code of a message.
///
/// # Safety
/// `request` must be NULL or a valid `CoAPMessage *`.
///
/// # Returns
/// The code, or `0x60` for NULL (as the C module).
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_get_coap_code(request: *mut c_void) -> u8 {
    // SAFETY: NULL or valid, per the caller.
    match unsafe { request.cast::<CoapMessage>().as_ref() } {
        Some(m) => m.header.code,
        None => coap::NO_CODE,
    }
}

/// The payload of a CoAP message; its length goes to `*payload_len` when that is non-NULL.
///
/// # Safety
/// `request` must be NULL or a valid `CoAPMessage *`; `payload_len` NULL or writable.
///
/// # Returns
/// The payload pointer (not NUL-terminated), or NULL for a NULL request.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_get_coap_payload(
    request: *mut c_void,
    payload_len: *mut c_int,
) -> *mut c_char {
    // SAFETY: NULL or valid, per the caller.
    let Some(m) = (unsafe { request.cast::<CoapMessage>().as_ref() }) else {
        return ptr::null_mut();
    };
    // SAFETY: NULL or writable, per the caller.
    if let Some(out) = unsafe { payload_len.as_mut() } {
        *out = c_int::from(m.payloadlen);
    }
    m.payload.cast::<c_char>()
}

/// Deinit the CoAP side when `force` is non-zero (after cancelling the last notify).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_local_deinit(force: c_int) -> c_int {
    // Provisioning: with a server, both provisioning notify rounds end (whatever `force`).
    #[cfg(feature = "wifi-provision")]
    if coap::ctx().is_some() {
        let _ = super::provision::run(super::provision::Event::LocalDeinit);
    }
    if coap::ctx().is_some() && force != 0 {
        coap::deinit();
    }
    0
}

/// Register the two device-info query resources when `init_stage` has the bind bit (0x100) or
/// the success bit (0x08).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the server cannot start or a registration fails.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_local_init(init_stage: c_int) -> c_int {
    // Provisioning: the wifimgr handlers, the connect-AP info resources and the bind monitor,
    // each at its stages (docs/WIFI_PROVISION.md section 8).
    #[cfg(feature = "wifi-provision")]
    let _ = super::provision::run(super::provision::Event::LocalInit(init_stage));
    if init_stage & (LC_INIT_BIND | LC_INIT_SUC) == 0 {
        return 0;
    }
    exec::register_queries(&shell::CALLBACKS)
}

/// The payload of a received MQTT publish.
///
/// # Safety
/// `mesg` must be NULL or a valid `iotx_mqtt_event_msg_t *`; `payload` and `payload_len` NULL
/// or writable.
///
/// # Returns
/// `0` with the outputs set, or `-1` on NULL, another event type or a NULL topic info.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_mqtt_get_payload(
    mesg: *mut c_void,
    payload: *mut *mut c_char,
    payload_len: *mut u32,
) -> c_int {
    // SAFETY: each NULL or valid, per the caller.
    let (Some(ev), Some(out_p), Some(out_len)) = (unsafe {
        (
            mesg.cast::<MqttEventMsg>().as_ref(),
            payload.as_mut(),
            payload_len.as_mut(),
        )
    }) else {
        return -1;
    };
    if ev.event_type != MQTT_EVENT_PUBLISH_RECEIVED {
        return -1;
    }
    // SAFETY: for event 12 `msg` is NULL or a topic info, per the caller.
    let Some(info) = (unsafe { ev.msg.cast::<MqttTopicInfo>().as_ref() }) else {
        return -1;
    };
    *out_len = info.payload_len;
    *out_p = info.payload.cast_mut().cast::<c_char>();
    0
}

/// `IOT_MQTT_Subscribe(NULL, topic, 0, cb, NULL)`.
///
/// # Safety
/// `topic` must be NULL or NUL-terminated; `cb` NULL or an MQTT event handler.
///
/// # Returns
/// The MQTT result, or `-1` on NULL `topic`.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_mqtt_register_cb(topic: *mut c_char, cb: *mut c_void) -> c_int {
    if topic.is_null() {
        return -1;
    }
    // SAFETY: function and data pointers have the same size; the caller guarantees the type.
    let cb = unsafe { core::mem::transmute::<*mut c_void, Option<MqttEventHandler>>(cb) };
    // SAFETY: `topic` is NUL-terminated per the caller.
    unsafe { imports::IOT_MQTT_Subscribe(ptr::null_mut(), topic, 0, cb, ptr::null_mut()) }
}

/// `IOT_MQTT_Publish_Simple(NULL, topic, qos, pkt, pkt_len)`.
///
/// # Safety
/// `topic` NULL or NUL-terminated; `pkt` NULL or readable for `pkt_len` bytes.
///
/// # Returns
/// The MQTT result, or `-1` on NULL or a negative length.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_mqtt_send(
    topic: *mut c_char,
    pkt: *mut c_void,
    pkt_len: c_int,
    qos: c_int,
) -> c_int {
    if topic.is_null() || pkt.is_null() || pkt_len < 0 {
        return -1;
    }
    // SAFETY: valid per the caller.
    unsafe { imports::IOT_MQTT_Publish_Simple(ptr::null_mut(), topic, qos, pkt, pkt_len) }
}

/// `IOT_MQTT_Unsubscribe(NULL, topic)`.
///
/// # Safety
/// `topic` must be NULL or NUL-terminated.
///
/// # Returns
/// The MQTT result, or `-1` on NULL.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_mqtt_unregister_cb(topic: *mut c_char) -> c_int {
    if topic.is_null() {
        return -1;
    }
    // SAFETY: NUL-terminated per the caller.
    unsafe { imports::IOT_MQTT_Unsubscribe(ptr::null_mut(), topic) }
}

/// Subscribe `match_reply` (once; `awss_report_cloud` does this by itself).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_online_init() -> c_int {
    online(true)
}

/// The legacy online subscription on or off: the machine decides what to (un)subscribe.
fn online(on: bool) -> c_int {
    let _ = shell::run(if on {
        Event::OnlineInit
    } else {
        Event::OnlineDeinit
    });
    // Provisioning: the registrar topics and the switch-AP request, beside `match_reply`.
    #[cfg(feature = "wifi-provision")]
    let _ = super::provision::run(super::provision::Event::Online(on));
    0
}

/// Stop the notify round and unsubscribe `match_reply` (if `awss_cmp_online_init` ran).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_cmp_online_deinit() -> c_int {
    online(false)
}

// ---------------------------------------------------------------- timers and connect-AP info

/// Stop and delete a HAL timer.
///
/// # Safety
/// `timer` must be NULL or a live HAL timer the caller owns (never one of the module's).
///
/// # Returns
/// `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_stop_timer(timer: *mut c_void) -> c_int {
    if timer.is_null() {
        return 0;
    }
    // SAFETY: a live timer owned by the caller.
    unsafe {
        HAL_Timer_Stop(timer);
        HAL_Timer_Delete(timer);
    }
    0
}

/// Open the 60 s window in which connect-AP info queries are answered (no timer is used: the
/// window is a deadline checked when a query arrives).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
#[cfg_attr(feature = "wifi-provision", allow(unreachable_code))]
pub unsafe extern "C" fn awss_start_connectap_monitor() -> c_int {
    // Provisioning: the core's window, which an open window does not extend.
    #[cfg(feature = "wifi-provision")]
    {
        return super::provision::run(super::provision::Event::WindowOpen);
    }
    // 1 when opened, 0 when the module mutex cannot be created.
    lock_op(Op::ConnectapStart) as c_int - 1
}

/// Close the connect-AP info window.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`.
#[no_mangle]
#[cfg_attr(feature = "wifi-provision", allow(unreachable_code))]
pub unsafe extern "C" fn awss_stop_connectap_monitor() -> c_int {
    #[cfg(feature = "wifi-provision")]
    {
        let _ = super::provision::run(super::provision::Event::WindowClose);
        return 0;
    }
    lock_op(Op::ConnectapStop) as c_int
}

/// CoAP handler of `/sys/awss/device/connectap/info/get` (answered only inside the window).
///
/// # Safety
/// As `process_get_device_info`.
///
/// # Returns
/// `-1` outside the window, else as `process_get_device_info`.
#[no_mangle]
pub unsafe extern "C" fn awss_process_mcast_get_connectap_info(
    ctx: *mut c_void,
    resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
) -> c_int {
    let _ = (ctx, resource);
    // SAFETY: forwarded from the caller's contract.
    unsafe { device_info(remote, request, true, NOTIFY_SUCCESS, true) }
}

/// CoAP handler of `/sys/${pk}/${dn}/awss/device/connectap/info/get` (answered only inside the
/// window).
///
/// # Safety
/// As `process_get_device_info`.
///
/// # Returns
/// `-1` outside the window, else as `process_get_device_info`.
#[no_mangle]
pub unsafe extern "C" fn awss_process_ucast_get_connectap_info(
    ctx: *mut c_void,
    resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
) -> c_int {
    let _ = (ctx, resource);
    // SAFETY: forwarded from the caller's contract.
    unsafe { device_info(remote, request, false, NOTIFY_SUCCESS, true) }
}

/// Answer a device-info query at once. Type 3 (`AWSS_NOTIFY_SUCCESS`) answers
/// `{"id":<echo>,"code":200,"data":{DEVINFO base,"type":0}}` on the connect-AP path; type 2
/// (`AWSS_NOTIFY_DEV_RAND_SIGN`) needs the `wifi-provision` feature and fails here.
///
/// # Safety
/// `remote` NULL or a valid `NetworkAddr *`; `request` NULL or a valid `CoAPMessage *` (with
/// `payloadlen` readable bytes at `payload`), both for the call. `ctx`, `resource` unused.
///
/// # Returns
/// `0` when an answer was attempted; `-1` on NULL, an unsupported type, or a request whose id
/// cannot be echoed.
#[no_mangle]
pub unsafe extern "C" fn process_get_device_info(
    ctx: *mut c_void,
    resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
    is_mcast: c_char,
    r#type: c_int,
) -> c_int {
    let _ = (ctx, resource);
    // SAFETY: forwarded from the caller's contract.
    unsafe { device_info(remote, request, is_mcast != 0, r#type, false) }
}

/// [`process_get_device_info`]; with `window`, only inside the connect-AP info window (else
/// `-1`, no log line).
///
/// # Safety
/// As [`process_get_device_info`].
unsafe fn device_info(
    remote: *mut c_void,
    request: *mut c_void,
    is_mcast: bool,
    r#type: c_int,
    window: bool,
) -> c_int {
    // Provisioning: the signed answer (type 2), whatever the window.
    #[cfg(feature = "wifi-provision")]
    if r#type == NOTIFY_DEV_RAND_SIGN {
        // SAFETY: forwarded from the caller's contract.
        return unsafe { super::provision::signed_answer(remote, request, is_mcast) };
    }
    if r#type != NOTIFY_SUCCESS {
        let why = if r#type == NOTIFY_DEV_RAND_SIGN {
            Msg::DevInfoType2
        } else {
            Msg::DevInfoType
        };
        log::note(Level::Warn, why);
        return -1;
    }
    #[cfg(not(feature = "wifi-provision"))]
    if window && lock_op(Op::ConnectapOpen) == 0 {
        return -1;
    }
    #[cfg(feature = "wifi-provision")]
    if window && !super::provision::window_is_open() {
        return -1;
    }
    // SAFETY: forwarded from the caller's contract.
    unsafe { exec::answer_now(remote, request, is_mcast, &shell::CALLBACKS) }
}

// ---------------------------------------------------------------- os_* helpers

/// Whether this CPU is big-endian.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `1` on big-endian, `0` on little-endian.
#[no_mangle]
pub unsafe extern "C" fn os_is_big_endian() -> c_int {
    c_int::from(cfg!(target_endian = "big"))
}

/// Host to big-endian, 16 bits.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The converted value.
#[no_mangle]
pub unsafe extern "C" fn os_htobe16(data: u16) -> u16 {
    data.to_be()
}

/// Host to little-endian, 16 bits.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The converted value.
#[no_mangle]
pub unsafe extern "C" fn os_htole16(data: u16) -> u16 {
    data.to_le()
}

/// Big-endian to host, 16 bits.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The converted value.
#[no_mangle]
pub unsafe extern "C" fn os_be16toh(data: u16) -> u16 {
    u16::from_be(data)
}

/// Little-endian to host, 16 bits.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The converted value.
#[no_mangle]
pub unsafe extern "C" fn os_le16toh(data: u16) -> u16 {
    u16::from_le(data)
}

/// Read a big-endian `uint16_t` at any alignment.
///
/// # Safety
/// `ptr` must be NULL or readable for 2 bytes.
///
/// # Returns
/// The value, or `0` for NULL.
#[no_mangle]
pub unsafe extern "C" fn os_get_unaligned_be16(ptr: *mut u8) -> u16 {
    // SAFETY: NULL or 2 readable bytes, per the caller; `[u8; 2]` has alignment 1.
    unsafe { ptr.cast::<[u8; 2]>().as_ref() }.map_or(0, |b| u16::from_be_bytes(*b))
}

/// Read a little-endian `uint16_t` at any alignment.
///
/// # Safety
/// `ptr` must be NULL or readable for 2 bytes.
///
/// # Returns
/// The value, or `0` for NULL.
#[no_mangle]
pub unsafe extern "C" fn os_get_unaligned_le16(ptr: *mut u8) -> u16 {
    // SAFETY: NULL or 2 readable bytes, per the caller; `[u8; 2]` has alignment 1.
    unsafe { ptr.cast::<[u8; 2]>().as_ref() }.map_or(0, |b| u16::from_le_bytes(*b))
}

/// Offset making `os_get_time_ms` start near `0xFFFF0000` (so that wrap-around bugs show
/// early), fixed at the first call.
static TIME_DELTA: AtomicU32 = AtomicU32::new(0);

/// Milliseconds on a 32-bit clock that wraps about 65 s after boot (as the C module's).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The clock value.
#[no_mangle]
pub unsafe extern "C" fn os_get_time_ms() -> u32 {
    let now = Hal.uptime_ms() as u32;
    let mut delta = TIME_DELTA.load(Ordering::Relaxed);
    if delta == 0 {
        let fresh = now.wrapping_sub(0xFFFF_0000).max(1);
        delta = match TIME_DELTA.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => fresh,
            Err(winner) => winner,
        };
    }
    now.wrapping_sub(delta)
}

/// Milliseconds since an `os_get_time_ms` value.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The elapsed time (modulo 2^32).
#[no_mangle]
pub unsafe extern "C" fn time_elapsed_ms_since(start_timestamp: u32) -> u32 {
    // SAFETY: no preconditions.
    unsafe { os_get_time_ms() }.wrapping_sub(start_timestamp)
}

/// The MAC text from `HAL_Wifi_Get_Mac`, upper-cased in place.
///
/// # Safety
/// `mac_str` must be NULL or writable for 18 bytes.
///
/// # Returns
/// `mac_str`, or NULL for NULL.
#[no_mangle]
pub unsafe extern "C" fn os_wifi_get_mac_str(mac_str: *mut c_char) -> *mut c_char {
    // SAFETY: NULL or 18 writable bytes, per the caller.
    let Some(out) = (unsafe { mac_str.cast::<[u8; 18]>().as_mut() }) else {
        return ptr::null_mut();
    };
    let mut buf = MaybeUninit::uninit();
    let text = Hal.mac(&mut buf);
    *out = [0; 18];
    for (dst, src) in out.iter_mut().zip(text).take(17) {
        *dst = src.to_ascii_uppercase();
    }
    mac_str
}

/// Parse `"AA:BB:CC:DD:EE:FF"` (any one-byte separators, hex digits in either case) into 6
/// bytes. `mac` is written only on success.
///
/// # Safety
/// `mac_str` must be NULL or a NUL-terminated string (at most 18 bytes are read); `mac` NULL or
/// writable for 6 bytes.
///
/// # Returns
/// `mac`, or NULL when `mac_str` is NULL or holds fewer than 6 numbers.
#[no_mangle]
pub unsafe extern "C" fn os_wifi_str2mac(mac_str: *mut c_char, mac: *mut c_char) -> *mut c_char {
    if mac_str.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: NUL-terminated, per the caller; `mac` NULL or 6 writable bytes.
    unsafe { write_mac(mac_str.cast(), mac.cast()) }.cast()
}

/// Six hex numbers, each followed by one separator byte (the last one optionally).
fn parse_mac(text: &[u8]) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut bytes = text.iter();
    for slot in out.iter_mut() {
        // `None` until the first digit.
        let mut v: Option<u32> = None;
        // Digits up to the separator (or the end), which is consumed.
        while let Some(d) = bytes.next().and_then(|&b| (b as char).to_digit(16)) {
            v = Some(v.unwrap_or(0).saturating_mul(16).saturating_add(d));
        }
        *slot = v? as u8;
    }
    Some(out)
}

/// Parse the text at `text` (up to its NUL, at most 18 bytes) into the 6 bytes at `mac`:
/// `mac`, or NULL when it is NULL or the text holds fewer than 6 numbers (`mac` is then left
/// alone).
///
/// # Safety
/// `text` must be NUL-terminated or readable for 18 bytes; `mac` NULL or writable for 6 bytes.
unsafe fn write_mac(text: *const u8, mac: *mut u8) -> *mut u8 {
    // SAFETY: reading stops at the NUL or after 18 bytes, per the caller.
    let len = (0..18)
        .take_while(|&i| unsafe { *text.add(i) } != 0)
        .count();
    // SAFETY: the `len` bytes just read.
    let Some(parsed) = parse_mac(unsafe { core::slice::from_raw_parts(text, len) }) else {
        return ptr::null_mut();
    };
    // SAFETY: NULL or 6 writable bytes, per the caller.
    if let Some(out) = unsafe { mac.cast::<[u8; 6]>().as_mut() } {
        *out = parsed;
    }
    mac
}

/// The MAC address as 6 bytes.
///
/// # Safety
/// `mac` must be NULL or writable for 6 bytes.
///
/// # Returns
/// `mac`, or NULL when the HAL's MAC text cannot be parsed (or `mac` is NULL).
#[no_mangle]
pub unsafe extern "C" fn os_wifi_get_mac(mac: *mut u8) -> *mut u8 {
    let mut buf = MaybeUninit::uninit();
    let text = Hal.mac(&mut buf);
    // SAFETY: `text` points at `buf`, which holds a NUL after it; `mac` NULL or 6 writable
    // bytes, per the caller.
    unsafe { write_mac(text.as_ptr(), mac) }
}

#[cfg(test)]
mod tests {
    use super::parse_mac;

    #[test]
    fn mac_parsing() {
        assert_eq!(
            parse_mac(b"aa:BB:0c:dd:ee:f0"),
            Some([0xAA, 0xBB, 0x0C, 0xDD, 0xEE, 0xF0])
        );
        assert_eq!(parse_mac(b"1-2-3-4-5-6"), Some([1, 2, 3, 4, 5, 6]));
        assert_eq!(parse_mac(b"aa:bb:cc:dd:ee"), None);
        assert_eq!(parse_mac(b""), None);
        assert_eq!(parse_mac(b"aa::bb:cc:dd:ee:ff"), None);
        assert_eq!(parse_mac(b"g1:2:3:4:5:6"), None);
        // Numbers saturate (as strtol does) before the cast to a byte.
        assert_eq!(
            parse_mac(b"123456789:1:2:3:4:5"),
            Some([0xFF, 1, 2, 3, 4, 5])
        );
        assert_eq!(parse_mac(b"123:1:2:3:4:5"), Some([0x23, 1, 2, 3, 4, 5]));
        assert_eq!(parse_mac(b"1:2:3:4:5:6:7"), Some([1, 2, 3, 4, 5, 6]));
    }
}
