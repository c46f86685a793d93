//! The `#[repr(C)]` mirrors of `iot_dev_bind::ffi::types` against gcc's view of the same C
//! declarations (the compile-time asserts in `types.rs` pin the x86_64 and ARM32 layouts; this
//! checks them against a real C compiler, with the build's CoAP capacities).

use std::mem::{align_of, offset_of, size_of};
use std::process::Command;

// The staticlib cannot be linked into a Rust test: the mirrors and the capacities they use are
// compiled in from their sources (`crate::config` in types.rs is this module).
#[allow(dead_code)]
#[path = "../src/config.rs"]
mod config;
#[allow(dead_code)]
#[path = "../src/ffi/types.rs"]
mod types;

use config::{COAP_MSG_MAX_OPTION_NUM, COAP_MSG_MAX_TOKEN_LEN};
use types::{
    dev_bind_config_t, CoapMessage, CoapMsgHeader, CoapMsgOption, MqttEventMsg, MqttTopicInfo,
    NetworkAddr,
};

/// Compiles `tests/c/layout_check.c` with gcc against the C declarations the C tests use (the
/// SDK mirrors of `c_examples/mock/mock_sdk.h`, the generated header for `dev_bind_config_t`)
/// and compares every size, alignment, offset and the bit-field packing with the Rust mirrors.
#[test]
fn layout_matches_gcc() {
    let dir = std::env::temp_dir().join(format!("dev_bind_layout_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let exe = dir.join("layout_check");
    let repo = env!("CARGO_MANIFEST_DIR");
    let status = Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg(format!("{repo}/tests/c/layout_check.c"))
        .arg(format!("-I{repo}/c_examples/mock"))
        .arg(format!("-I{repo}/include"))
        .arg(format!("-DCOAP_MSG_MAX_TOKEN_LEN={COAP_MSG_MAX_TOKEN_LEN}"))
        .arg(format!(
            "-DCOAP_MSG_MAX_OPTION_NUM={COAP_MSG_MAX_OPTION_NUM}"
        ))
        .status()
        .expect("gcc must be installed to check the struct layouts");
    assert!(status.success(), "gcc failed on layout_check.c");
    let out = Command::new(&exe).output().expect("run layout_check");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let get = |key: &str| -> usize {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{key} missing in:\n{text}"))
            .trim()
            .parse()
            .expect("number")
    };
    macro_rules! same {
        ($key:literal, $rust:expr) => {
            assert_eq!(get($key), $rust, "{}", $key);
        };
    }
    // Bit-field packing: version=1, type=2, tokenlen=15.
    same!("hdr_byte", CoapMsgHeader::pack(1, 2, 15) as usize);
    let h = CoapMsgHeader {
        bits: get("hdr_byte") as u8,
        code: 0,
        msgid: 0,
    };
    assert_eq!((h.version(), h.msg_type(), h.tokenlen()), (1, 2, 15));
    same!("hdr_v3t0l5", CoapMsgHeader::pack(3, 0, 5) as usize);

    same!("NetworkAddr.size", size_of::<NetworkAddr>());
    same!("NetworkAddr.align", align_of::<NetworkAddr>());
    same!("NetworkAddr.port", offset_of!(NetworkAddr, port));
    same!("CoAPMsgHeader.size", size_of::<CoapMsgHeader>());
    same!("CoAPMsgHeader.align", align_of::<CoapMsgHeader>());
    same!("CoAPMsgHeader.code", offset_of!(CoapMsgHeader, code));
    same!("CoAPMsgHeader.msgid", offset_of!(CoapMsgHeader, msgid));
    same!("CoAPMsgOption.size", size_of::<CoapMsgOption>());
    same!("CoAPMsgOption.align", align_of::<CoapMsgOption>());
    same!("CoAPMsgOption.len", offset_of!(CoapMsgOption, len));
    same!("CoAPMsgOption.val", offset_of!(CoapMsgOption, val));
    same!("CoAPMessage.size", size_of::<CoapMessage>());
    same!("CoAPMessage.align", align_of::<CoapMessage>());
    same!("CoAPMessage.token", offset_of!(CoapMessage, token));
    same!("CoAPMessage.options", offset_of!(CoapMessage, options));
    same!("CoAPMessage.optcount", offset_of!(CoapMessage, optcount));
    same!("CoAPMessage.optdelta", offset_of!(CoapMessage, optdelta));
    same!(
        "CoAPMessage.payloadlen",
        offset_of!(CoapMessage, payloadlen)
    );
    same!("CoAPMessage.payload", offset_of!(CoapMessage, payload));
    same!("CoAPMessage.handler", offset_of!(CoapMessage, handler));
    same!("CoAPMessage.resp", offset_of!(CoapMessage, resp));
    same!("CoAPMessage.user", offset_of!(CoapMessage, user));
    same!("CoAPMessage.keep", offset_of!(CoapMessage, keep));
    same!("iotx_mqtt_topic_info_t.size", size_of::<MqttTopicInfo>());
    same!("iotx_mqtt_topic_info_t.align", align_of::<MqttTopicInfo>());
    same!(
        "iotx_mqtt_topic_info_t.topic_len",
        offset_of!(MqttTopicInfo, topic_len)
    );
    same!(
        "iotx_mqtt_topic_info_t.payload_len",
        offset_of!(MqttTopicInfo, payload_len)
    );
    same!(
        "iotx_mqtt_topic_info_t.ptopic",
        offset_of!(MqttTopicInfo, ptopic)
    );
    same!(
        "iotx_mqtt_topic_info_t.payload",
        offset_of!(MqttTopicInfo, payload)
    );
    same!("iotx_mqtt_event_msg_t.size", size_of::<MqttEventMsg>());
    same!("iotx_mqtt_event_msg_t.msg", offset_of!(MqttEventMsg, msg));
    same!("dev_bind_config_t.size", size_of::<dev_bind_config_t>());
    same!("dev_bind_config_t.align", align_of::<dev_bind_config_t>());
    same!(
        "dev_bind_config_t.token_lifetime_ms",
        offset_of!(dev_bind_config_t, token_lifetime_ms)
    );
    same!(
        "dev_bind_config_t.notify_count",
        offset_of!(dev_bind_config_t, notify_count)
    );
    same!(
        "dev_bind_config_t.notify_step_ms",
        offset_of!(dev_bind_config_t, notify_step_ms)
    );
    same!(
        "dev_bind_config_t.reset_retry_ms",
        offset_of!(dev_bind_config_t, reset_retry_ms)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
