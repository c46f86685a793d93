//! `IOT_MQTT_Subscribe` / `IOT_MQTT_Unsubscribe` / `IOT_MQTT_Publish_Simple` on the default
//! client (handle NULL; any other handle is treated the same: there is one client).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Arc;

use crate::mqtt::Message;
use crate::types::{
    IotxMqttEventMsg, IotxMqttTopicInfo, MqttEventHandler, IOTX_MQTT_EVENT_PUBLISH_RECEIVED,
};

/// Bytes put after the payload: not NUL, so firmware that wrongly reads the payload as a C
/// string sees garbage at once instead of passing by luck; then a NUL so it stops there.
const PAYLOAD_GUARD: &[u8] = b"\xa5\xa5\xa5\xa5\0";

struct CHandler {
    cb: MqttEventHandler,
    ctx: *mut c_void,
}

// SAFETY: `ctx` is opaque here: it is only handed back to the firmware's callback, which the
// SDK's contract says runs on the MQTT thread.
unsafe impl Send for CHandler {}
// SAFETY: as above; no interior mutability.
unsafe impl Sync for CHandler {}

impl CHandler {
    fn deliver(&self, m: &Message<'_>) {
        let (Ok(topic_len), Ok(payload_len)) =
            (u16::try_from(m.topic.len()), u32::try_from(m.payload.len()))
        else {
            crate::hlog!("mqtt: message on {} too long to deliver", m.topic);
            return;
        };
        // The SDK hands topic and payload inside its receive buffer, topic first, neither
        // NUL-terminated; do the same.
        let mut buf = Vec::with_capacity(m.topic.len() + m.payload.len() + PAYLOAD_GUARD.len());
        buf.extend_from_slice(m.topic.as_bytes());
        buf.extend_from_slice(m.payload);
        buf.extend_from_slice(PAYLOAD_GUARD);
        let base = buf.as_ptr().cast::<c_char>();
        let mut info = IotxMqttTopicInfo {
            packet_id: m.pkid,
            qos: m.qos,
            dup: u8::from(m.dup),
            retain: u8::from(m.retain),
            topic_len,
            payload_len,
            ptopic: base,
            payload: base.wrapping_add(m.topic.len()),
        };
        let mut event = IotxMqttEventMsg {
            event_type: IOTX_MQTT_EVENT_PUBLISH_RECEIVED,
            msg: std::ptr::addr_of_mut!(info).cast(),
        };
        // SAFETY: the firmware registered `cb` with `ctx` for exactly this call; `event`, `info`
        // and `buf` outlive it.
        unsafe { (self.cb)(self.ctx, std::ptr::null_mut(), &mut event) };
        drop(buf);
    }
}

/// # Safety
/// `p` must be NULL or NUL-terminated.
unsafe fn c_text<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees a NUL-terminated string that outlives 'a.
    unsafe { CStr::from_ptr(p) }.to_str().ok()
}

/// `int IOT_MQTT_Subscribe(void *handle, const char *topic_filter, int qos,
/// void (*cb)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg), void *pcontext)`.
/// Incoming PUBLISHes on a matching topic call `cb(pcontext, NULL, msg)` with
/// `msg->event_type == 12` and `msg->msg` an `iotx_mqtt_topic_info_t *` (payload not
/// NUL-terminated).
///
/// # Safety
/// `topic_filter` must be NULL or NUL-terminated; `cb` must be safe to call with `pcontext`
/// from the MQTT thread.
///
/// # Returns
/// The SUBSCRIBE's packet id (0 if sent at the next connect), or -1.
#[no_mangle]
pub unsafe extern "C" fn IOT_MQTT_Subscribe(
    _handle: *mut c_void,
    topic_filter: *const c_char,
    qos: c_int,
    cb: Option<MqttEventHandler>,
    pcontext: *mut c_void,
) -> c_int {
    // SAFETY: the caller guarantees a NUL-terminated filter.
    let (Some(filter), Some(cb)) = (unsafe { c_text(topic_filter) }, cb) else {
        crate::hlog!("IOT_MQTT_Subscribe: NULL or non-UTF-8 filter, or NULL callback");
        return -1;
    };
    let Some(client) = crate::config::mqtt() else {
        crate::hlog!(
            "IOT_MQTT_Subscribe {filter}: no MQTT client (devbind_host_connect not called)"
        );
        return -1;
    };
    // Like the SDK's default client, refuse until the first connection is up: a module that
    // subscribes at boot (a factory reset reported before MQTT connects) must retry.
    if !client.is_connected() {
        crate::hlog!("IOT_MQTT_Subscribe {filter}: not connected yet");
        return -1;
    }
    let handler = Arc::new(CHandler { cb, ctx: pcontext });
    match client.subscribe(
        filter,
        u8::try_from(qos.clamp(0, 2)).unwrap_or(1),
        Arc::new(move |m: &Message<'_>| handler.deliver(m)),
    ) {
        Ok(id) => c_int::from(id),
        Err(e) => {
            crate::hlog!("IOT_MQTT_Subscribe {filter}: {e}");
            -1
        }
    }
}

/// `int IOT_MQTT_Unsubscribe(void *handle, const char *topic_filter)`.
///
/// # Safety
/// `topic_filter` must be NULL or NUL-terminated.
///
/// # Returns
/// 0, or -1.
#[no_mangle]
pub unsafe extern "C" fn IOT_MQTT_Unsubscribe(
    _handle: *mut c_void,
    topic_filter: *const c_char,
) -> c_int {
    // SAFETY: the caller guarantees a NUL-terminated filter.
    let Some(filter) = (unsafe { c_text(topic_filter) }) else {
        return -1;
    };
    let Some(client) = crate::config::mqtt() else {
        return -1;
    };
    match client.unsubscribe(filter) {
        Ok(()) => 0,
        Err(e) => {
            crate::hlog!("IOT_MQTT_Unsubscribe {filter}: {e}");
            -1
        }
    }
}

/// `int IOT_MQTT_Publish_Simple(void *handle, const char *topic, int qos, void *data, int len)`.
///
/// # Safety
/// `topic` must be NULL or NUL-terminated; `data` NULL or `len` readable bytes.
///
/// # Returns
/// The packet id for qos 1, 0 for qos 0, -1 on error (bad arguments, not connected).
#[no_mangle]
pub unsafe extern "C" fn IOT_MQTT_Publish_Simple(
    _handle: *mut c_void,
    topic: *const c_char,
    qos: c_int,
    data: *mut c_void,
    len: c_int,
) -> c_int {
    // SAFETY: the caller guarantees a NUL-terminated topic.
    let Some(topic) = (unsafe { c_text(topic) }) else {
        crate::hlog!("IOT_MQTT_Publish_Simple: NULL or non-UTF-8 topic");
        return -1;
    };
    let Ok(len) = usize::try_from(len) else {
        return -1;
    };
    if data.is_null() && len > 0 {
        return -1;
    }
    let payload = if len == 0 {
        &[][..]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `data`.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }
    };
    let Some(client) = crate::config::mqtt() else {
        crate::hlog!("IOT_MQTT_Publish_Simple {topic}: no MQTT client");
        return -1;
    };
    match client.publish(topic, u8::try_from(qos.clamp(0, 2)).unwrap_or(1), payload) {
        Ok(id) => c_int::from(id),
        Err(e) => {
            crate::hlog!("IOT_MQTT_Publish_Simple {topic}: {e}");
            -1
        }
    }
}
