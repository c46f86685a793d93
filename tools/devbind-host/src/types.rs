//! `#[repr(C)]` mirrors of the SDK structures that cross the boundary, with their sizes and
//! offsets on x86-64 / aarch64 Linux (LP64) pinned at compile time. The figures were checked
//! against gcc with a C program declaring the SDK's layouts.

use std::ffi::{c_int, c_void};
use std::mem::{offset_of, size_of};

/// `COAP_MSG_MAX_TOKEN_LEN` of the SDK's CoAP server (its default).
pub const COAP_MSG_MAX_TOKEN_LEN: usize = 8;
/// `COAP_MSG_MAX_OPTION_NUM` of the SDK's CoAP server (its default).
pub const COAP_MSG_MAX_OPTION_NUM: usize = 12;
/// `NETWORK_ADDR_LEN`: an address is kept as a dotted-quad string in 16 bytes.
pub const NETWORK_ADDR_LEN: usize = 16;

/// `NetworkAddr { unsigned char addr[16]; unsigned short port; }` (18 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkAddr {
    /// NUL-terminated dotted-quad text, e.g. `"127.0.0.1"`.
    pub addr: [u8; NETWORK_ADDR_LEN],
    /// Port, host byte order.
    pub port: u16,
}

const _: () = assert!(size_of::<NetworkAddr>() == 18);
const _: () = assert!(offset_of!(NetworkAddr, port) == 16);

/// The CoAP header as the SDK declares it: `unsigned char version:2, type:2, tokenlen:4;`
/// then `code` and `msgid`. gcc on little-endian puts the first bitfield in the low bits, so the
/// first byte is `version | type << 2 | tokenlen << 4` (checked: version 1, type 2, tokenlen 15
/// gives 0xf9).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoapMsgHeader {
    /// `version:2 | type:2 | tokenlen:4`, low bits first.
    pub bits: u8,
    /// CoAP code (`class << 5 | detail`).
    pub code: u8,
    /// Message id, host byte order.
    pub msgid: u16,
}

impl CoapMsgHeader {
    /// Packs the bitfields.
    pub fn new(version: u8, msg_type: u8, tokenlen: u8, code: u8, msgid: u16) -> Self {
        Self {
            bits: (version & 0x3) | ((msg_type & 0x3) << 2) | ((tokenlen & 0xf) << 4),
            code,
            msgid,
        }
    }
    /// `version:2`.
    pub fn version(&self) -> u8 {
        self.bits & 0x3
    }
    /// `type:2` (0 CON, 1 NON, 2 ACK, 3 RST).
    pub fn msg_type(&self) -> u8 {
        (self.bits >> 2) & 0x3
    }
    /// `tokenlen:4`.
    pub fn tokenlen(&self) -> u8 {
        self.bits >> 4
    }
}

const _: () = assert!(size_of::<CoapMsgHeader>() == 4);

/// `CoAPMsgOption { unsigned short num; unsigned short len; unsigned char *val; }` (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CoapMsgOption {
    /// Option number.
    pub num: u16,
    /// Length of the value.
    pub len: u16,
    /// The value's bytes (not NUL-terminated), inside the receive buffer.
    pub val: *mut u8,
}

impl Default for CoapMsgOption {
    fn default() -> Self {
        Self {
            num: 0,
            len: 0,
            val: std::ptr::null_mut(),
        }
    }
}

const _: () = assert!(size_of::<CoapMsgOption>() == 16);

/// `void (*)(void *ctx, int result, void *userdata, NetworkAddr *remote, CoAPMessage *msg)`.
pub type CoapSendMsgHandler = unsafe extern "C" fn(
    ctx: *mut c_void,
    result: c_int,
    userdata: *mut c_void,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
);

/// `void (*)(void *ctx, const char *paths, NetworkAddr *remote, CoAPMessage *msg)`.
pub type CoapRecvMsgHandler = unsafe extern "C" fn(
    ctx: *mut c_void,
    paths: *const std::ffi::c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
);

/// The SDK's `CoAPMessage` (256 bytes with the default capacities).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CoapMessage {
    /// Header bitfields, code, message id.
    pub header: CoapMsgHeader,
    /// Token bytes (`header.tokenlen` of them count).
    pub token: [u8; COAP_MSG_MAX_TOKEN_LEN],
    /// Options in wire order.
    pub options: [CoapMsgOption; COAP_MSG_MAX_OPTION_NUM],
    /// How many `options` are used.
    pub optcount: u8,
    /// Last option number (the SDK's running delta base).
    pub optdelta: u8,
    /// Payload length.
    pub payloadlen: u16,
    /// Payload bytes (not NUL-terminated), inside the receive buffer.
    pub payload: *mut u8,
    /// Send handler (unused by this server on received messages).
    pub handler: Option<CoapSendMsgHandler>,
    /// Response handler (unused).
    pub resp: *mut c_void,
    /// User data.
    pub user: *mut c_void,
    /// Keep flag.
    pub keep: c_int,
}

impl Default for CoapMessage {
    fn default() -> Self {
        Self {
            header: CoapMsgHeader::default(),
            token: [0; COAP_MSG_MAX_TOKEN_LEN],
            options: [CoapMsgOption::default(); COAP_MSG_MAX_OPTION_NUM],
            optcount: 0,
            optdelta: 0,
            payloadlen: 0,
            payload: std::ptr::null_mut(),
            handler: None,
            resp: std::ptr::null_mut(),
            user: std::ptr::null_mut(),
            keep: 0,
        }
    }
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<CoapMessage>() == 256);
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
};

/// `iotx_mqtt_topic_info_t` (32 bytes on LP64).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct IotxMqttTopicInfo {
    /// Packet id (0 for qos 0).
    pub packet_id: u16,
    /// QoS of the delivery.
    pub qos: u8,
    /// DUP flag.
    pub dup: u8,
    /// RETAIN flag.
    pub retain: u8,
    /// Length of `ptopic`.
    pub topic_len: u16,
    /// Length of `payload`.
    pub payload_len: u32,
    /// Topic bytes (not NUL-terminated).
    pub ptopic: *const std::ffi::c_char,
    /// Payload bytes (not NUL-terminated).
    pub payload: *const std::ffi::c_char,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<IotxMqttTopicInfo>() == 32);
    assert!(offset_of!(IotxMqttTopicInfo, topic_len) == 6);
    assert!(offset_of!(IotxMqttTopicInfo, payload_len) == 8);
    assert!(offset_of!(IotxMqttTopicInfo, ptopic) == 16);
    assert!(offset_of!(IotxMqttTopicInfo, payload) == 24);
};

/// `IOTX_MQTT_EVENT_PUBLISH_RECEIVED` of the SDK's `iotx_mqtt_event_type_t`.
pub const IOTX_MQTT_EVENT_PUBLISH_RECEIVED: c_int = 12;

/// `iotx_mqtt_event_msg_t { int event_type; void *msg; }` (16 bytes on LP64).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct IotxMqttEventMsg {
    /// Event type (12 = publish received).
    pub event_type: c_int,
    /// For event 12, an `iotx_mqtt_topic_info_t *`.
    pub msg: *mut c_void,
}

#[cfg(target_pointer_width = "64")]
const _: () =
    assert!(size_of::<IotxMqttEventMsg>() == 16 && offset_of!(IotxMqttEventMsg, msg) == 8);

/// `void (*)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg)`.
pub type MqttEventHandler =
    unsafe extern "C" fn(pcontext: *mut c_void, pclient: *mut c_void, msg: *mut IotxMqttEventMsg);

/// Reads the NUL-terminated dotted quad and port of a `NetworkAddr`.
pub fn network_addr_to_socket(addr: &NetworkAddr) -> Option<std::net::SocketAddr> {
    let end = addr
        .addr
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(NETWORK_ADDR_LEN);
    let text = std::str::from_utf8(addr.addr.get(..end)?).ok()?;
    let ip: std::net::Ipv4Addr = text.parse().ok()?;
    Some(std::net::SocketAddr::from((ip, addr.port)))
}

/// Builds a `NetworkAddr` from an IPv4 socket address (None for IPv6).
pub fn socket_to_network_addr(sa: &std::net::SocketAddr) -> Option<NetworkAddr> {
    let std::net::SocketAddr::V4(v4) = sa else {
        return None;
    };
    let text = v4.ip().to_string();
    let mut addr = NetworkAddr {
        port: v4.port(),
        ..NetworkAddr::default()
    };
    let bytes = text.as_bytes();
    addr.addr.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(addr)
}
