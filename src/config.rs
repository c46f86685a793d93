//! Build-time capacities. Defaults are documented here; `build.rs` lets a firmware build override
//! each one with an environment variable of the same name prefixed by `DEV_BIND_`
//! (for example `DEV_BIND_COAP_MSG_MAX_OPTION_NUM=16 cargo build --release`).

include!(concat!(env!("OUT_DIR"), "/config.rs"));
