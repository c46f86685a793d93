//! Writes `config.rs` into OUT_DIR: the build-time capacities, each overridable from the
//! environment (`DEV_BIND_<NAME>=<value>`), as smoltcp's `build.rs` does. Compiles
//! `src/ffi/sdk_log.c` (the weak reference to the SDK's log level) with the target's C compiler
//! (the `cc` crate: `arm-none-eabi-gcc` for `thumbv7em-none-eabi`; `CC_<target>` and
//! `CFLAGS_<target>` choose another), bundled into the static library.

use std::{env, fmt::Write as _, fs, path::PathBuf};

/// (name, default, minimum, maximum, documentation)
const KNOBS: &[(&str, u32, u32, u32, &str)] = &[
    (
        "COAP_MSG_MAX_TOKEN_LEN",
        8,
        1,
        255,
        "`COAP_MSG_MAX_TOKEN_LEN` of the firmware's CoAP server (SDK default 8): length of `CoAPMessage::token`.",
    ),
    (
        "COAP_MSG_MAX_OPTION_NUM",
        12,
        1,
        255,
        "`COAP_MSG_MAX_OPTION_NUM` of the firmware's CoAP server (SDK default 12): length of `CoAPMessage::options`.",
    ),
    (
        "MAX_PENDING_QUERIES",
        4,
        1,
        32,
        "Phone queries that may wait at once for a token acknowledgement (default 4).",
    ),
];

fn main() {
    let mut out = String::new();
    for (name, default, min, max, doc) in KNOBS {
        let var = format!("DEV_BIND_{name}");
        println!("cargo:rerun-if-env-changed={var}");
        let value = match env::var(&var) {
            Ok(text) => {
                let v: u32 = text
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{var}={text:?} is not a number"));
                assert!(
                    (*min..=*max).contains(&v),
                    "{var}={v} is outside {min}..={max}"
                );
                v
            }
            Err(_) => *default,
        };
        writeln!(out, "/// {doc}").unwrap();
        writeln!(out, "pub const {name}: usize = {value};").unwrap();
    }
    let path = PathBuf::from(env::var("OUT_DIR").unwrap()).join("config.rs");
    fs::write(path, out).unwrap();
    println!("cargo:rerun-if-changed=build.rs");

    // The package's own source, or, for the test rlib (tests/rlib, which shares this file),
    // the one two directories up.
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let shim = [".", "../.."]
        .iter()
        .map(|up| manifest.join(up).join("src/ffi/sdk_log.c"))
        .find(|p| p.exists())
        .expect("src/ffi/sdk_log.c not found");
    println!("cargo:rerun-if-changed={}", shim.display());
    cc::Build::new()
        .file(shim)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag_if_supported("-ffunction-sections")
        // A non-executable stack, as the Rust object asks (arm-none-eabi-gcc leaves it out).
        .flag_if_supported("-Wa,--noexecstack")
        .compile("dev_bind_sdk_log");
}
