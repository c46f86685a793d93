//! The C ABI: every exported symbol of the SDK's `dev_bind` module plus the configuration API,
//! the typed imports of the HAL, MQTT and CoAP functions, `#[repr(C)]` mirrors, the module lock,
//! the timer plumbing and the panic handler. All `unsafe` code of the library lives here.
//!
//! Layout:
//! * [`imports`] typed `extern "C"` declarations and thin safe wrappers ([`imports::Platform`]).
//! * [`types`] `#[repr(C)]` mirrors with compile-time layout checks.
//! * [`lock`] the module mutex; [`shell`] the machine behind it and the entry wrapper;
//!   [`exec`] runs the machine's actions; [`coap`] the CoAP side; [`timer`] the one HAL timer
//!   (a leaf: [`shell::arm`] decides its delay and hands in its callback); [`log`] log lines.
//! * [`exports`] the bind flow's symbols and the new API; [`legacy`] the helpers other SDK
//!   modules link against; [`legacy_alloc`] the only code that allocates.

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
