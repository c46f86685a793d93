//! The plain HAL functions: clock, sleep, randomness, heap (counted), mutexes, identity, KV,
//! Wi-Fi address queries (the reboot and the station: `wifi`).

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::kv::KvStore;

static MALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);
static KV: Mutex<Option<KvStore>> = Mutex::new(None);

/// (`HAL_Malloc` calls, `HAL_Free` calls with a non-NULL pointer) so far.
pub fn malloc_counts() -> (u64, u64) {
    (
        MALLOCS.load(Ordering::Relaxed),
        FREES.load(Ordering::Relaxed),
    )
}

/// Opens the KV file the HAL_Kv functions use.
pub fn open_kv(path: &str) -> std::io::Result<()> {
    let store = KvStore::open(path)?;
    *KV.lock().unwrap_or_else(|e| e.into_inner()) = Some(store);
    Ok(())
}

fn with_kv<R>(f: impl FnOnce(&mut KvStore) -> R) -> Option<R> {
    let mut guard = KV.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        match KvStore::open(crate::config::get().kv_path) {
            Ok(s) => *guard = Some(s),
            Err(e) => {
                crate::hlog!("kv: cannot open: {e}");
                return None;
            }
        }
    }
    guard.as_mut().map(f)
}

/// Fills `buf` from the OS's random source (getrandom(2) on Linux, through the getrandom
/// crate); false if it failed.
pub fn os_random(buf: &mut [u8]) -> bool {
    getrandom::fill(buf).is_ok()
}

/// A uniform value in `[0, region)` (0 when `region` is 0).
pub fn random_below(region: u32) -> u32 {
    if region == 0 {
        return 0;
    }
    // Rejection sampling: no modulo bias.
    let zone = u32::MAX - (u32::MAX % region);
    loop {
        let mut b = [0u8; 4];
        if !os_random(&mut b) {
            crate::hlog!("HAL_Random: the OS random source failed");
            return 0;
        }
        let v = u32::from_ne_bytes(b);
        if v < zone {
            return v % region;
        }
    }
}

/// `uint64_t HAL_UptimeMs(void)`: milliseconds since the stand-in started (monotonic).
#[no_mangle]
pub extern "C" fn HAL_UptimeMs() -> u64 {
    crate::log::uptime_ms()
}

/// `void HAL_SleepMs(uint32_t ms)`.
#[no_mangle]
pub extern "C" fn HAL_SleepMs(ms: u32) {
    std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
}

/// `uint32_t HAL_Random(uint32_t region)`: uniform in `[0, region)` from the OS (0 for 0).
#[no_mangle]
pub extern "C" fn HAL_Random(region: u32) -> u32 {
    random_below(region)
}

/// `void HAL_Srandom(uint32_t seed)`: nothing to seed, the OS source is used.
#[no_mangle]
pub extern "C" fn HAL_Srandom(_seed: u32) {}

/// `void *HAL_Malloc(uint32_t size)`: libc `malloc`, counted.
#[no_mangle]
pub extern "C" fn HAL_Malloc(size: u32) -> *mut c_void {
    MALLOCS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: malloc has no preconditions.
    unsafe { libc::malloc(size as usize) }
}

/// `void HAL_Free(void *ptr)`: libc `free`, counted (NULL is ignored).
///
/// # Safety
/// `ptr` must be NULL or a pointer returned by `HAL_Malloc` and not freed yet.
#[no_mangle]
pub unsafe extern "C" fn HAL_Free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    FREES.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the caller guarantees `ptr` came from malloc and is live.
    unsafe { libc::free(ptr) }
}

/// A pthread mutex that never moves (boxed).
struct HalMutex(UnsafeCell<libc::pthread_mutex_t>);

/// `void *HAL_MutexCreate(void)`: a boxed, non-recursive (error-checking) pthread mutex.
///
/// # Returns
/// The mutex, or NULL if pthread refused.
#[no_mangle]
pub extern "C" fn HAL_MutexCreate() -> *mut c_void {
    let m = Box::new(HalMutex(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER)));
    // SAFETY: `attr` is initialised by pthread_mutexattr_init before use and destroyed after;
    // the mutex lives in a box whose address does not change until HAL_MutexDestroy.
    let rc = unsafe {
        let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        libc::pthread_mutexattr_init(&mut attr);
        libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_ERRORCHECK);
        let rc = libc::pthread_mutex_init(m.0.get(), &attr);
        libc::pthread_mutexattr_destroy(&mut attr);
        rc
    };
    if rc != 0 {
        crate::hlog!("HAL_MutexCreate: pthread_mutex_init failed ({rc})");
        return std::ptr::null_mut();
    }
    Box::into_raw(m).cast()
}

/// `void HAL_MutexDestroy(void *mutex)`.
///
/// # Safety
/// `mutex` must be NULL or a live, unlocked mutex from `HAL_MutexCreate`.
#[no_mangle]
pub unsafe extern "C" fn HAL_MutexDestroy(mutex: *mut c_void) {
    if mutex.is_null() {
        return;
    }
    // SAFETY: the caller guarantees the pointer came from HAL_MutexCreate (Box::into_raw) and
    // is not used again.
    let m = unsafe { Box::from_raw(mutex.cast::<HalMutex>()) };
    // SAFETY: the mutex was initialised and is unlocked.
    let rc = unsafe { libc::pthread_mutex_destroy(m.0.get()) };
    if rc != 0 {
        crate::hlog!(
            "HAL_MutexDestroy: pthread_mutex_destroy failed ({rc}): destroyed while locked?"
        );
    }
}

/// `void HAL_MutexLock(void *mutex)`. Locking a mutex the thread already holds would hang the
/// firmware forever; here it is reported and the process aborts, so the bug is seen.
///
/// # Safety
/// `mutex` must be NULL or a live mutex from `HAL_MutexCreate`.
#[no_mangle]
pub unsafe extern "C" fn HAL_MutexLock(mutex: *mut c_void) {
    if mutex.is_null() {
        crate::hlog!("HAL_MutexLock: NULL mutex");
        return;
    }
    // SAFETY: the caller guarantees a live mutex from HAL_MutexCreate.
    let rc = unsafe { libc::pthread_mutex_lock((*mutex.cast::<HalMutex>()).0.get()) };
    if rc == libc::EDEADLK {
        crate::hlog!("HAL_MutexLock: the thread already holds this mutex: the firmware would deadlock here; aborting");
        std::process::abort();
    } else if rc != 0 {
        crate::hlog!("HAL_MutexLock: pthread_mutex_lock failed ({rc})");
    }
}

/// `void HAL_MutexUnlock(void *mutex)`.
///
/// # Safety
/// `mutex` must be NULL or a live mutex from `HAL_MutexCreate`.
#[no_mangle]
pub unsafe extern "C" fn HAL_MutexUnlock(mutex: *mut c_void) {
    if mutex.is_null() {
        crate::hlog!("HAL_MutexUnlock: NULL mutex");
        return;
    }
    // SAFETY: the caller guarantees a live mutex from HAL_MutexCreate.
    let rc = unsafe { libc::pthread_mutex_unlock((*mutex.cast::<HalMutex>()).0.get()) };
    if rc != 0 {
        crate::hlog!("HAL_MutexUnlock: pthread_mutex_unlock failed ({rc}): not the owner?");
    }
}

/// Copies `text` into a C buffer of `cap` bytes, NUL-terminated, cut to `cap - 1` bytes.
///
/// # Safety
/// `dst` must point to `cap` writable bytes, `cap >= 1`.
unsafe fn copy_cstr(dst: *mut c_char, cap: usize, text: &str) -> usize {
    let n = text.len().min(cap.saturating_sub(1));
    // SAFETY: the caller guarantees `cap` writable bytes at `dst`; we write n + 1 <= cap.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), n);
        *dst.add(n) = 0;
    }
    n
}

/// `int HAL_GetProductKey(char product_key[IOTX_PRODUCT_KEY_LEN + 1])`.
///
/// # Safety
/// `product_key` must be NULL or point to 21 writable bytes.
///
/// # Returns
/// The key's length, or -1 for NULL.
#[no_mangle]
pub unsafe extern "C" fn HAL_GetProductKey(product_key: *mut c_char) -> c_int {
    if product_key.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees 21 writable bytes.
    let n = unsafe { copy_cstr(product_key, 21, &crate::config::get().product_key) };
    c_int::try_from(n).unwrap_or(-1)
}

/// `int HAL_GetDeviceName(char device_name[IOTX_DEVICE_NAME_LEN + 1])`.
///
/// # Safety
/// `device_name` must be NULL or point to 33 writable bytes.
///
/// # Returns
/// The name's length, or -1 for NULL.
#[no_mangle]
pub unsafe extern "C" fn HAL_GetDeviceName(device_name: *mut c_char) -> c_int {
    if device_name.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees 33 writable bytes.
    let n = unsafe { copy_cstr(device_name, 33, &crate::config::get().device_name) };
    c_int::try_from(n).unwrap_or(-1)
}

/// `int HAL_GetProductSecret(char product_secret[IOTX_PRODUCT_SECRET_LEN + 1])`: the demo has
/// no secret; writes an empty string.
///
/// # Safety
/// `product_secret` must be NULL or point to at least 1 writable byte.
///
/// # Returns
/// 0, or -1 for NULL.
#[no_mangle]
pub unsafe extern "C" fn HAL_GetProductSecret(product_secret: *mut c_char) -> c_int {
    if product_secret.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees at least one writable byte.
    unsafe { copy_cstr(product_secret, 1, "") };
    0
}

/// `int HAL_GetDeviceSecret(char device_secret[IOTX_DEVICE_SECRET_LEN + 1])`: empty, as above.
///
/// # Safety
/// `device_secret` must be NULL or point to at least 1 writable byte.
///
/// # Returns
/// 0, or -1 for NULL.
#[no_mangle]
pub unsafe extern "C" fn HAL_GetDeviceSecret(device_secret: *mut c_char) -> c_int {
    if device_secret.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees at least one writable byte.
    unsafe { copy_cstr(device_secret, 1, "") };
    0
}

/// `char *HAL_Wifi_Get_Mac(char mac_str[HAL_MAC_LEN])`: the configured MAC
/// (`AA:BB:CC:DD:EE:FF`, as configured; the library upper-cases it).
///
/// # Safety
/// `mac_str` must be NULL or point to 18 writable bytes.
///
/// # Returns
/// `mac_str` (NULL for NULL).
#[no_mangle]
pub unsafe extern "C" fn HAL_Wifi_Get_Mac(mac_str: *mut c_char) -> *mut c_char {
    if mac_str.is_null() {
        return mac_str;
    }
    // SAFETY: the caller guarantees 18 writable bytes.
    unsafe { copy_cstr(mac_str, 18, &crate::config::get().mac) };
    mac_str
}

/// `uint32_t HAL_Wifi_Get_IP(char ip_str[NETWORK_ADDR_LEN], const char *ifname)`: the
/// configured IPv4 address.
///
/// # Safety
/// `ip_str` must be NULL or point to 16 writable bytes; `ifname` is not read.
///
/// # Returns
/// The address in network byte order (as `inet_addr` gives it), 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn HAL_Wifi_Get_IP(ip_str: *mut c_char, _ifname: *const c_char) -> u32 {
    let ip = crate::config::get().ip;
    let parsed: std::net::Ipv4Addr = ip.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    if ip_str.is_null() {
        return 0;
    }
    // SAFETY: the caller guarantees 16 writable bytes.
    unsafe { copy_cstr(ip_str, 16, &ip) };
    u32::from_ne_bytes(parsed.octets())
}

/// `int HAL_Kv_Set(const char *key, const void *val, int len, int sync)`: stores and writes the
/// file (always synchronously).
///
/// # Safety
/// `key` must be NULL or NUL-terminated; `val` must be NULL or point to `len` readable bytes.
///
/// # Returns
/// 0, or -1 for bad arguments or a write error.
#[no_mangle]
pub unsafe extern "C" fn HAL_Kv_Set(
    key: *const c_char,
    val: *const c_void,
    len: c_int,
    _sync: c_int,
) -> c_int {
    let Ok(len) = usize::try_from(len) else {
        return -1;
    };
    if key.is_null() || (val.is_null() && len > 0) {
        return -1;
    }
    // SAFETY: the caller guarantees a NUL-terminated key.
    let Ok(key) = unsafe { CStr::from_ptr(key) }.to_str() else {
        return -1;
    };
    let value = if len == 0 {
        &[][..]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `val`.
        unsafe { std::slice::from_raw_parts(val.cast::<u8>(), len) }
    };
    match with_kv(|kv| kv.set(key, value)) {
        Some(Ok(())) => {
            crate::hlog!("kv: set {key} = {}", crate::log::printable(value, 64));
            0
        }
        Some(Err(e)) => {
            crate::hlog!("kv: set {key}: {e}");
            -1
        }
        None => -1,
    }
}

/// `int HAL_Kv_Get(const char *key, void *val, int *buffer_len)`: copies the value and sets
/// `*buffer_len` to its length.
///
/// # Safety
/// `key` must be NULL or NUL-terminated; `buffer_len` NULL or valid; `val` NULL or `*buffer_len`
/// writable bytes.
///
/// # Returns
/// 0; -1 if the key is absent, an argument is NULL, or the buffer is too small (then
/// `*buffer_len` is set to the length needed).
#[no_mangle]
pub unsafe extern "C" fn HAL_Kv_Get(
    key: *const c_char,
    val: *mut c_void,
    buffer_len: *mut c_int,
) -> c_int {
    if key.is_null() || val.is_null() || buffer_len.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees a NUL-terminated key.
    let Ok(key) = unsafe { CStr::from_ptr(key) }.to_str() else {
        return -1;
    };
    // SAFETY: the caller guarantees `buffer_len` is valid.
    let cap = usize::try_from(unsafe { *buffer_len }).unwrap_or(0);
    let Some(Some(value)) = with_kv(|kv| kv.get(key).map(<[u8]>::to_vec)) else {
        return -1;
    };
    let Ok(needed) = c_int::try_from(value.len()) else {
        return -1;
    };
    if value.len() > cap {
        // SAFETY: as above.
        unsafe { *buffer_len = needed };
        return -1;
    }
    // SAFETY: the caller guarantees `cap >= value.len()` writable bytes at `val`, and that
    // `buffer_len` is valid.
    unsafe {
        std::ptr::copy_nonoverlapping(value.as_ptr(), val.cast::<u8>(), value.len());
        *buffer_len = needed;
    }
    0
}
