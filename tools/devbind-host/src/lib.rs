//! Linux stand-in for the parts of Alibaba's IoT device SDK that the device-bind module imports
//! (SPEC section 4): HAL timers, mutexes, clock, randomness, KV store, identity, a real MQTT 3.1.1
//! client and a real CoAP server on UDP, and the event hooks; and, for a library built with
//! `wifi-provision`, a simulated Wi-Fi station, the reboot and the provisioning module's
//! handlers ([`wifi`]).
//!
//! The crate builds as `libdevbind_host.so` (exports with the SDK's C names and signatures) and
//! as an rlib, whose safe Rust parts ([`mqtt::MqttClient`], [`coap::CoapServer`],
//! [`timer::TimerService`], [`kv::KvStore`]) the tools and the tests use directly.
//!
//! The variadic `HAL_Printf` / `HAL_Snprintf` live in C (`c_examples/host/hal_printf.c`); they
//! format with `vsnprintf` and hand the text to [`log::devbind_host_write`], which also carries
//! this crate's own log lines, so the whole process writes one ordered, line-prefixed stream.
//!
//! Every `extern "C"` export NULL-checks its pointers and never lets a panic cross into C (the
//! exports take poisoned locks as they are and do not index or unwrap on foreign input).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod coap;
pub mod config;
pub mod event;
pub mod hal;
pub mod kv;
pub mod log;
pub mod mqtt;
pub mod mqtt_ffi;
pub mod timer;
pub mod types;
pub mod wifi;
