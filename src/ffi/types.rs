//! `#[repr(C)]` mirrors of the SDK structures the shell reads or builds.
//!
//! Every mirror carries compile-time size, alignment and offset assertions for 64-bit hosts
//! (LP64) and 32-bit firmware CPUs (ILP32), asserted on whichever target the library is built
//! for. The figures were measured with gcc 12 from the C declarations the C tests use: on x86_64
//! (`tests/c/layout_check.c`, run by `tests/layout.rs`), and for Cortex-M4 and RV32 with the
//! cross compilers (`tests/c/layout_static.c`, compiled by `tests/firmware/run.sh`).

use core::ffi::{c_int, c_void};
use core::mem::{align_of, offset_of, size_of};

use crate::config::{COAP_MSG_MAX_OPTION_NUM, COAP_MSG_MAX_TOKEN_LEN};

/// Checks a mirror's layout at compile time, on every target: each figure is written
/// `LP64 / ILP32`, the first asserted where pointers are 64 bits (x86_64, AArch64 hosts), the
/// second where they are 32 bits (Cortex-M, RV32, Xtensa: the firmware targets).
macro_rules! check_layout {
    ($ty:ty, size $s64:literal / $s32:literal, align $a64:literal / $a32:literal
        $(, $field:ident @ $o64:literal / $o32:literal)* $(,)?) => {
        #[cfg(target_pointer_width = "64")]
        const _: () = {
            assert!(size_of::<$ty>() == $s64);
            assert!(align_of::<$ty>() == $a64);
            $(assert!(offset_of!($ty, $field) == $o64);)*
        };
        #[cfg(target_pointer_width = "32")]
        const _: () = {
            assert!(size_of::<$ty>() == $s32);
            assert!(align_of::<$ty>() == $a32);
            $(assert!(offset_of!($ty, $field) == $o32);)*
        };
    };
}

#[cfg(not(any(target_pointer_width = "32", target_pointer_width = "64")))]
compile_error!("the SDK structure mirrors are checked for 32- and 64-bit pointers only");

/// `iotx_mqtt_event_msg_t`: what an MQTT event handler receives.
#[repr(C)]
#[derive(Debug)]
pub struct MqttEventMsg {
    /// `iotx_mqtt_event_type_t`; 12 is `IOTX_MQTT_EVENT_PUBLISH_RECEIVED`.
    pub event_type: c_int,
    /// For event 12, an `iotx_mqtt_topic_info_t`.
    pub msg: *mut c_void,
}
check_layout!(MqttEventMsg, size 16 / 8, align 8 / 4, event_type @ 0 / 0, msg @ 8 / 4);

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
check_layout!(MqttTopicInfo, size 32 / 20, align 8 / 4, packet_id @ 0 / 0, qos @ 2 / 2,
    dup @ 3 / 3, retain @ 4 / 4, topic_len @ 6 / 6, payload_len @ 8 / 8, ptopic @ 16 / 12,
    payload @ 24 / 16);

/// `NetworkAddr`: a CoAP peer (`addr` is a NUL-terminated dotted IPv4 string).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkAddr {
    /// Host, as text.
    pub addr: [u8; 16],
    /// UDP port.
    pub port: u16,
}
check_layout!(NetworkAddr, size 18 / 18, align 2 / 2, addr @ 0 / 0, port @ 16 / 16);

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
check_layout!(CoapMsgHeader, size 4 / 4, align 2 / 2, bits @ 0 / 0, code @ 1 / 1, msgid @ 2 / 2);

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
check_layout!(CoapMsgOption, size 16 / 8, align 8 / 4, num @ 0 / 0, len @ 2 / 2, val @ 8 / 4);

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
/// `lp64` where pointers are 64 bits, `ilp32` where they are 32 (the figures of a layout check).
const fn by_width(lp64: usize, ilp32: usize) -> usize {
    if cfg!(target_pointer_width = "64") {
        lp64
    } else {
        ilp32
    }
}

// With the SDK's default capacities (token 8, options 12), as `LP64 / ILP32`; other capacities
// move every field from `options` on, and tests/layout.rs compares them with gcc's view of the
// same build.
const _: () = {
    if COAP_MSG_MAX_TOKEN_LEN == 8 && COAP_MSG_MAX_OPTION_NUM == 12 {
        assert!(size_of::<CoapMessage>() == by_width(256, 132));
        assert!(align_of::<CoapMessage>() == by_width(8, 4));
        assert!(offset_of!(CoapMessage, token) == 4);
        assert!(offset_of!(CoapMessage, options) == by_width(16, 12));
        assert!(offset_of!(CoapMessage, optcount) == by_width(208, 108));
        assert!(offset_of!(CoapMessage, optdelta) == by_width(209, 109));
        assert!(offset_of!(CoapMessage, payloadlen) == by_width(210, 110));
        assert!(offset_of!(CoapMessage, payload) == by_width(216, 112));
        assert!(offset_of!(CoapMessage, handler) == by_width(224, 116));
        assert!(offset_of!(CoapMessage, resp) == by_width(232, 120));
        assert!(offset_of!(CoapMessage, user) == by_width(240, 124));
        assert!(offset_of!(CoapMessage, keep) == by_width(248, 128));
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
check_layout!(dev_bind_config_t, size 24 / 24, align 4 / 4, report_retry_ms @ 0 / 0,
    report_attempts @ 4 / 4, token_lifetime_ms @ 8 / 8, notify_count @ 12 / 12,
    notify_step_ms @ 16 / 16, reset_retry_ms @ 20 / 20);

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
