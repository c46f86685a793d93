//! The C ABI: every exported symbol of the SDK's `dev_bind` module plus the configuration API,
//! the typed imports of the HAL, MQTT and CoAP functions, `#[repr(C)]` mirrors, the module lock,
//! the timer plumbing and the panic handler. All `unsafe` code of the library lives here.
//!
//! Layers, top to bottom; a module uses only modules below it (`tests/module_graph.rs` fails
//! on any cycle):
//! 1. Entry points. [`exports`] the bind flow's symbols and the new API; [`legacy`] the
//!    helpers other SDK modules link against; `provision` the `wifi-provision` exports and
//!    the execution of the provisioning core's actions.
//! 2. [`shell`] every entry goes through it: lock, run the machine, mirror the C data symbols,
//!    unlock, execute the actions in order, re-arm the timer. It also holds the entries C
//!    calls back (the timer's, the MQTT reply handlers, the CoAP query handlers, the notify's
//!    send callback) and hands them down as values ([`exec::Callbacks`], and the timer's to
//!    [`timer::set`]); the provisioning entries hand it their poll the same way.
//! 3. [`exec`] renders and calls C, deciding nothing: MQTT publishes and subscriptions, the
//!    CoAP server's start and its query resources, notifies and answers.
//! 4. [`coap`] the server context and the CoAP sends (a notify, an answer).
//! 5. Leaves: [`imports`] typed `extern "C"` declarations and thin safe wrappers
//!    ([`imports::Platform`]); [`types`] `#[repr(C)]` mirrors with compile-time layout
//!    checks; [`lock`] the module mutex; [`timer`] the one HAL timer; [`log`] log lines;
//!    [`legacy_alloc`] the only code that allocates.

pub mod coap;
pub mod exec;
pub mod exports;
pub mod imports;
pub mod legacy;
pub mod legacy_alloc;
pub mod lock;
pub mod log;
#[cfg(feature = "wifi-provision")]
pub mod provision;
pub mod shell;
pub mod timer;
pub mod types;

#[cfg(not(test))]
mod panic;

pub use coap::ReplyCtx;
pub use types::dev_bind_config_t;
