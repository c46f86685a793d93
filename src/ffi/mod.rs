//! The C ABI (to be written): exports, imports, `#[repr(C)]` mirrors, lock, timer, panic handler.

#[cfg(not(any(test, feature = "std")))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
