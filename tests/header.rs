//! The checked-in header `include/iot_dev_bind.h` must be exactly what the pinned cbindgen
//! generates from the sources. Regenerate with `UPDATE_HEADER=1 cargo test --test header`.

use std::path::PathBuf;

fn generate() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("utf-8 header")
}

#[test]
fn header_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/iot_dev_bind.h");
    let fresh = generate();
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &fresh).expect("write header");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != fresh {
        let first = current
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(fresh.lines().count()));
        panic!(
            "include/iot_dev_bind.h is out of date (first difference at line {}).\n\
             Run `UPDATE_HEADER=1 cargo test --test header` and commit the result.",
            first + 1
        );
    }
}

#[test]
fn header_declares_every_export_and_no_sdk_type() {
    let header = generate();
    let exports = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/abi/exports.txt"
    ))
    .expect("tests/abi/exports.txt");
    for name in exports.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let declared = [" ", "*"].iter().any(|pre| {
            ["(", "[", ";"]
                .iter()
                .any(|post| header.contains(&format!("{pre}{name}{post}")))
        });
        assert!(declared, "{name} is not declared in the header");
    }
    for new_api in [
        "dev_bind_set_config(",
        "dev_bind_get_config(",
        "dev_bind_set_token(",
        "dev_bind_set_log_level(",
        "dev_bind_get_log_level(",
        "} dev_bind_config_t;",
    ] {
        assert!(header.contains(new_api), "{new_api} missing");
    }
    for sdk_type in [
        "NetworkAddr",
        "CoAPMessage",
        "CoapMessage",
        "iotx_mqtt",
        "MqttEventMsg",
        "MqttTopicInfo",
        "ReplyCtx",
    ] {
        for definition in [
            format!("}} {sdk_type};"),
            format!("struct {sdk_type} "),
            format!("struct {sdk_type}{{"),
        ] {
            assert!(
                !header.contains(&definition),
                "the header must not define {sdk_type}"
            );
        }
    }
    assert!(header.contains("#ifdef __cplusplus") && header.contains("extern \"C\""));
    let imports = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/abi/imports.txt"
    ))
    .expect("tests/abi/imports.txt");
    for name in imports.lines().map(str::trim).filter(|l| !l.is_empty()) {
        assert!(
            !header.contains(&format!(" {name}(")),
            "the header must not re-declare the import {name}"
        );
    }
    let defines: Vec<&str> = header
        .lines()
        .filter(|l| l.starts_with("#define") && l.trim() != "#define IOT_DEV_BIND_H")
        .collect();
    assert!(
        defines.is_empty(),
        "the header must not define constants that may clash: {defines:?}"
    );
}
