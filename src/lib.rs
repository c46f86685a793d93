//! Drop-in Rust replacement for the device-bind module (`libiot_dev_bind.a`) of Alibaba's IoT
//! device SDK (iotkit-embedded 3.x, "Link Kit"): the C shell around the protocol core.
//!
//! * [`dev_bind_core`] (the `core/` crate) is the bind protocol: a sans-IO state machine in
//!   safe, `no_std` Rust. Time and random seeds go in, actions come out. It never touches a raw
//!   pointer, a clock or the network.
//! * `ffi` is the C ABI: the legacy `awss_*` exports, the HAL/MQTT/CoAP imports, the lock and
//!   the timer plumbing. It is the only module that touches raw pointers.
//!
//! The firmware library is `no_std`, has no heap and aborts on panic; only its unit tests
//! (`cargo test`) link std.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(clippy::undocumented_unsafe_blocks)]

#[cfg(all(not(panic = "abort"), not(any(test, doc))))]
compile_error!(
    "iot_dev_bind must be built with `panic = \"abort\"`: a panic must never unwind into C"
);

pub mod config;
pub mod ffi;
