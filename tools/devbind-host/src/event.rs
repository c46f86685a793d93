//! `iotx_event_post` / `iotx_event_callback` and a way for the device program to register the
//! `ITE_*` callbacks (the SDK's `IOT_RegisterCallback`).

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::Mutex;

static CALLBACKS: Mutex<Option<HashMap<c_int, usize>>> = Mutex::new(None);
static POSTED: Mutex<Vec<c_int>> = Mutex::new(Vec::new());

/// `ITE_AWSS_STATUS` of the SDK's `iotx_ioctl_event_t`.
pub const ITE_AWSS_STATUS: c_int = 0;

/// Events posted so far (oldest first).
pub fn posted() -> Vec<c_int> {
    POSTED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn event_name(event: c_int) -> &'static str {
    match event {
        0x1000 => "IOTX_AWSS_START",
        0x100F => "IOTX_AWSS_BIND_NOTIFY",
        0x3000 => "IOTX_RESET",
        _ => "?",
    }
}

/// `int iotx_event_post(int event)`: logs the event.
///
/// # Returns
/// 0.
#[no_mangle]
pub extern "C" fn iotx_event_post(event: c_int) -> c_int {
    crate::hlog!("event posted: 0x{event:04x} ({})", event_name(event));
    POSTED.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    0
}

/// `void *iotx_event_callback(int evt)`.
///
/// # Returns
/// The callback registered for `evt` with `devbind_host_register_event_callback`, or NULL.
#[no_mangle]
pub extern "C" fn iotx_event_callback(evt: c_int) -> *mut c_void {
    CALLBACKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&evt).copied())
        .unwrap_or(0) as *mut c_void
}

/// `int devbind_host_register_event_callback(int evt, void *cb)`: what
/// `IOT_RegisterCallback(evt, cb)` does in the SDK (`ITE_AWSS_STATUS` is 0 and takes an
/// `int (*)(int)`). NULL unregisters.
///
/// # Returns
/// 0, or -1 for a negative `evt`.
#[no_mangle]
pub extern "C" fn devbind_host_register_event_callback(evt: c_int, cb: *mut c_void) -> c_int {
    if evt < 0 {
        return -1;
    }
    let mut guard = CALLBACKS.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if cb.is_null() {
        map.remove(&evt);
    } else {
        map.insert(evt, cb as usize);
    }
    0
}
