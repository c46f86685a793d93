//! The firmware's panic handler: a fixed line through `HAL_Printf`, then `HAL_Reboot()`.
//! The `PanicInfo` is never formatted, so no `core::fmt` code is linked in. No code path of
//! the library is meant to panic; this is the last line of defence, never an unwind into C.

use super::imports::{HAL_Printf, HAL_Reboot};

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: a NUL-terminated format with no conversion.
    unsafe { HAL_Printf(c"[err] dev_bind: internal error (panic), rebooting\r\n".as_ptr()) };
    // SAFETY: no arguments.
    unsafe { HAL_Reboot() };
    #[allow(clippy::empty_loop)]
    loop {}
}
