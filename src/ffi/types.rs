//! `#[repr(C)]` mirrors of the SDK structures the shell reads or builds.
//!
//! Every mirror carries compile-time size, alignment and offset assertions. The figures beside
//! them were measured with gcc 12 on x86_64 from the C declarations the C tests use
//! (`tests/c/layout_check.c`, run by `tests/layout.rs`); the 32-bit ARM (AAPCS) figures are
//! noted in comments.

use core::ffi::{c_int, c_void};
use core::mem::{align_of, offset_of, size_of};

use crate::config::{COAP_MSG_MAX_OPTION_NUM, COAP_MSG_MAX_TOKEN_LEN};

/// Checks a mirror's layout at compile time on 64-bit targets (pointer-sized fields make the
/// 32-bit figures differ; those are written in the comments).
macro_rules! check_layout {
    ($ty:ty, size $size:expr, align $align:expr $(, $field:ident @ $off:expr)* $(,)?) => {
        #[cfg(target_pointer_width = "64")]
        const _: () = {
            assert!(size_of::<$ty>() == $size);
            assert!(align_of::<$ty>() == $align);
            $(assert!(offset_of!($ty, $field) == $off);)*
        };
    };
}

/// `iotx_mqtt_event_msg_t`: what an MQTT event handler receives.
#[repr(C)]
#[derive(Debug)]
pub struct MqttEventMsg {
    /// `iotx_mqtt_event_type_t`; 12 is `IOTX_MQTT_EVENT_PUBLISH_RECEIVED`.
    pub event_type: c_int,
    /// For event 12, an `iotx_mqtt_topic_info_t`.
    pub msg: *mut c_void,
}
// x86_64: 16 / 8, msg @ 8. ARM32: 8 / 4, msg @ 4.
check_layout!(MqttEventMsg, size 16, align 8, event_type @ 0, msg @ 8);

/// `IOTX_MQTT_EVENT_PUBLISH_RECEIVED`.
pub const MQTT_EVENT_PUBLISH_RECEIVED: c_int = 12;

/// `iotx_mqtt_topic_info_t`: a received publish.
#[repr(C)]
#[derive(Debug)]
pub struct MqttTopicInfo {
    /// MQTT packet id.
    pub packet_id: u16,
    /// QoS of the publish.
    pub qos: u8,
    /// DUP flag.
    pub dup: u8,
    /// RETAIN flag.
    pub retain: u8,
    /// Length of `ptopic`.
    pub topic_len: u16,
    /// Length of `payload` (no NUL after it is promised).
    pub payload_len: u32,
    /// The topic (not NUL-terminated).
    pub ptopic: *const u8,
    /// The payload.
    pub payload: *const u8,
}
// x86_64: 32 / 8. ARM32: 20 / 4, ptopic @ 12, payload @ 16.
check_layout!(MqttTopicInfo, size 32, align 8, packet_id @ 0, qos @ 2, dup @ 3, retain @ 4,
    topic_len @ 6, payload_len @ 8, ptopic @ 16, payload @ 24);

/// `NetworkAddr`: a CoAP peer (`addr` is a NUL-terminated dotted IPv4 string).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkAddr {
    /// Host, as text.
    pub addr: [u8; 16],
    /// UDP port.
    pub port: u16,
}
// x86_64 and ARM32: 18 / 2, port @ 16.
check_layout!(NetworkAddr, size 18, align 2, addr @ 0, port @ 16);
const _: () = assert!(size_of::<NetworkAddr>() == 18 && align_of::<NetworkAddr>() == 2);

/// `CoAPMsgHeader`: `{ unsigned char version:2, type:2, tokenlen:4; unsigned char code;
/// unsigned short msgid; }`. gcc on little-endian x86 and ARM allocates bit-fields from the low
/// bit: `version` is bits 0-1 of the first byte, `type` bits 2-3, `tokenlen` bits 4-7
/// (checked by `layout_matches_gcc`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoapMsgHeader {
    /// The three bit-fields.
    pub bits: u8,
    /// CoAP code (class << 5 | detail).
    pub code: u8,
    /// Message id.
    pub msgid: u16,
}
// x86_64 and ARM32: 4 / 2, code @ 1, msgid @ 2.
check_layout!(CoapMsgHeader, size 4, align 2, bits @ 0, code @ 1, msgid @ 2);
const _: () = assert!(size_of::<CoapMsgHeader>() == 4 && align_of::<CoapMsgHeader>() == 2);

impl CoapMsgHeader {
    /// The `version` bit-field.
    pub const fn version(&self) -> u8 {
        self.bits & 0x03
    }
    /// The `type` bit-field.
    pub const fn msg_type(&self) -> u8 {
        (self.bits >> 2) & 0x03
    }
    /// The `tokenlen` bit-field.
    pub const fn tokenlen(&self) -> u8 {
        self.bits >> 4
    }
    /// Packs the three bit-fields (each masked to its width).
    pub const fn pack(version: u8, msg_type: u8, tokenlen: u8) -> u8 {
        (version & 0x03) | ((msg_type & 0x03) << 2) | ((tokenlen & 0x0F) << 4)
    }
}

/// `CoAPMsgOption`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CoapMsgOption {
    /// Option number (6 = Observe).
    pub num: u16,
    /// Length of `val`.
    pub len: u16,
    /// Option value bytes.
    pub val: *mut u8,
}
// x86_64: 16 / 8, val @ 8. ARM32: 8 / 4, val @ 4.
check_layout!(CoapMsgOption, size 16, align 8, num @ 0, len @ 2, val @ 8);

impl CoapMsgOption {
    /// An empty option slot.
    pub const EMPTY: CoapMsgOption = CoapMsgOption {
        num: 0,
        len: 0,
        val: core::ptr::null_mut(),
    };
}

/// The CoAP Observe option number.
pub const COAP_OPTION_OBSERVE: u16 = 6;

/// `CoAPSendMsgHandler`: `void (*)(CoAPContext *, CoAPReqResult, void *userdata, NetworkAddr *,
/// CoAPMessage *)`.
pub type CoapSendMsgHandler = unsafe extern "C" fn(
    ctx: *mut c_void,
    result: c_int,
    userdata: *mut c_void,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
);

/// `CoAPRecvMsgHandler`: `void (*)(CoAPContext *, const char *paths, NetworkAddr *,
/// CoAPMessage *)`.
pub type CoapRecvMsgHandler = unsafe extern "C" fn(
    ctx: *mut c_void,
    paths: *const core::ffi::c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
);

/// `CoAPRespMsgHandler`: `void (*)(void *data, void *message)`.
pub type CoapRespMsgHandler = unsafe extern "C" fn(data: *mut c_void, msg: *mut c_void);

/// `struct CoAPMessage`, sized by the build-time `COAP_MSG_MAX_TOKEN_LEN` and
/// `COAP_MSG_MAX_OPTION_NUM` (SDK defaults 8 and 12; override with `DEV_BIND_*` at build time
/// when the firmware's CoAP server uses other values).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CoapMessage {
    /// Version, type, token length, code and message id.
    pub header: CoapMsgHeader,
    /// Token bytes (`tokenlen` of them are used).
    pub token: [u8; COAP_MSG_MAX_TOKEN_LEN],
    /// Options (`optcount` of them are used).
    pub options: [CoapMsgOption; COAP_MSG_MAX_OPTION_NUM],
    /// Number of used `options`.
    pub optcount: u8,
    /// Delta state of the option encoder.
    pub optdelta: u8,
    /// Length of `payload`.
    pub payloadlen: u16,
    /// Payload bytes.
    pub payload: *mut u8,
    /// Send callback.
    pub handler: Option<CoapSendMsgHandler>,
    /// Response callback.
    pub resp: Option<CoapRespMsgHandler>,
    /// User data.
    pub user: *mut c_void,
    /// Keep flag.
    pub keep: c_int,
}
// SDK defaults (token 8, options 12). x86_64: 256 / 8, token @ 4, options @ 16,
// optcount @ 208, payloadlen @ 210, payload @ 216, handler @ 224, resp @ 232, user @ 240,
// keep @ 248. ARM32: 132 / 4, options @ 12, optcount @ 108, payloadlen @ 110, payload @ 112,
// handler @ 116, resp @ 120, user @ 124, keep @ 128.
#[cfg(target_pointer_width = "64")]
const _: () = {
    if COAP_MSG_MAX_TOKEN_LEN == 8 && COAP_MSG_MAX_OPTION_NUM == 12 {
        assert!(size_of::<CoapMessage>() == 256);
        assert!(align_of::<CoapMessage>() == 8);
        assert!(offset_of!(CoapMessage, token) == 4);
        assert!(offset_of!(CoapMessage, options) == 16);
        assert!(offset_of!(CoapMessage, optcount) == 208);
        assert!(offset_of!(CoapMessage, optdelta) == 209);
        assert!(offset_of!(CoapMessage, payloadlen) == 210);
        assert!(offset_of!(CoapMessage, payload) == 216);
        assert!(offset_of!(CoapMessage, handler) == 224);
        assert!(offset_of!(CoapMessage, resp) == 232);
        assert!(offset_of!(CoapMessage, user) == 240);
        assert!(offset_of!(CoapMessage, keep) == 248);
    }
};

impl CoapMessage {
    /// An all-zero message (what `memset(&msg, 0, sizeof msg)` gives in C).
    pub const ZERO: CoapMessage = CoapMessage {
        header: CoapMsgHeader {
            bits: 0,
            code: 0,
            msgid: 0,
        },
        token: [0; COAP_MSG_MAX_TOKEN_LEN],
        options: [CoapMsgOption::EMPTY; COAP_MSG_MAX_OPTION_NUM],
        optcount: 0,
        optdelta: 0,
        payloadlen: 0,
        payload: core::ptr::null_mut(),
        handler: None,
        resp: None,
        user: core::ptr::null_mut(),
        keep: 0,
    };
}

/// The run-time tunables (SPEC section 6), as C sees them.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct dev_bind_config_t {
    /// Wait for `match_reply` before re-reporting (30000).
    pub report_retry_ms: u32,
    /// Report publishes per token, in all (2).
    pub report_attempts: u8,
    /// Token lifetime from its last report (45000).
    pub token_lifetime_ms: u32,
    /// Broadcasts per notify round (30).
    pub notify_count: u8,
    /// The gap after the k-th broadcast is k * step (100).
    pub notify_step_ms: u32,
    /// First reset re-report delay, doubling to 60000 (3000).
    pub reset_retry_ms: u32,
}
// x86_64 and ARM32: 24 / 4, report_attempts @ 4, token_lifetime_ms @ 8, notify_count @ 12,
// notify_step_ms @ 16, reset_retry_ms @ 20.
const _: () = {
    assert!(size_of::<dev_bind_config_t>() == 24);
    assert!(align_of::<dev_bind_config_t>() == 4);
    assert!(offset_of!(dev_bind_config_t, report_attempts) == 4);
    assert!(offset_of!(dev_bind_config_t, token_lifetime_ms) == 8);
    assert!(offset_of!(dev_bind_config_t, notify_count) == 12);
    assert!(offset_of!(dev_bind_config_t, notify_step_ms) == 16);
    assert!(offset_of!(dev_bind_config_t, reset_retry_ms) == 20);
};

impl From<dev_bind_core::Config> for dev_bind_config_t {
    fn from(c: dev_bind_core::Config) -> Self {
        dev_bind_config_t {
            report_retry_ms: c.report_retry_ms,
            report_attempts: c.report_attempts,
            token_lifetime_ms: c.token_lifetime_ms,
            notify_count: c.notify_count,
            notify_step_ms: c.notify_step_ms,
            reset_retry_ms: c.reset_retry_ms,
        }
    }
}

impl From<dev_bind_config_t> for dev_bind_core::Config {
    fn from(c: dev_bind_config_t) -> Self {
        dev_bind_core::Config {
            report_retry_ms: c.report_retry_ms,
            report_attempts: c.report_attempts,
            token_lifetime_ms: c.token_lifetime_ms,
            notify_count: c.notify_count,
            notify_step_ms: c.notify_step_ms,
            reset_retry_ms: c.reset_retry_ms,
        }
    }
}
