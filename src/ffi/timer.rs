//! The module's single HAL timer: created lazily and race-free, started or stopped by [`set`].
//! A leaf: it knows nothing of the machine. The shell (`shell::arm`) decides the delay, without
//! ever holding the lock across a timer call, and hands in the callback that polls the machine.
//!
//! A timer that cannot be created or started (an RTOS out of timer handles, or whose timer
//! command queue is full for a moment) is an error line, tried again at once a few times, then
//! marked [`UNARMED`]: the next entry of any kind, also one that only reads the module's state,
//! arms it again. No retry loops: each arming makes at most [`START_TRIES`] calls.

use core::ffi::{c_int, c_void};
use core::ptr;
use portable_atomic::{AtomicBool, AtomicPtr, Ordering};

use super::imports::{
    HAL_Timer_Create, HAL_Timer_Delete, HAL_Timer_Start, HAL_Timer_Stop, TimerFn,
};
use super::log;
use dev_bind_core::{Level, Msg};

static TIMER: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

/// `HAL_Timer_Start` calls of one arming: the first and, when it fails, this many minus one
/// retries at once (a full timer command queue drains within a tick; a broken timer does not,
/// and the next entry tries again).
pub const START_TRIES: u32 = 4;

/// True while the machine has a deadline that no started HAL timer carries (the last create
/// or start failed): the next entry re-arms.
pub static UNARMED: AtomicBool = AtomicBool::new(false);

/// Start `t` for `ms`, retrying at once up to [`START_TRIES`] calls in all; the last result
/// (0: started).
///
/// # Safety
/// `t` must be a live HAL timer.
unsafe fn start(t: *mut c_void, ms: i32) -> c_int {
    let mut rc = -1;
    for _ in 0..START_TRIES {
        // SAFETY: `t` is live (the caller's contract).
        rc = unsafe { HAL_Timer_Start(t, ms) };
        if rc == 0 {
            break;
        }
    }
    rc
}

/// The timer, created on first use with `callback`; `None` (logged) when the HAL cannot
/// create one.
fn timer(callback: TimerFn) -> Option<*mut c_void> {
    let current = TIMER.load(Ordering::Acquire);
    if !current.is_null() {
        return Some(current);
    }
    // SAFETY: the name is NUL-terminated and static; `callback` has the callback type.
    let fresh = unsafe { HAL_Timer_Create(c"dev_bind".as_ptr(), Some(callback), ptr::null_mut()) };
    if fresh.is_null() {
        log::note(Level::Error, Msg::NoTimer);
        return None;
    }
    match TIMER.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Some(fresh),
        Err(winner) => {
            // SAFETY: `fresh` was never published or started; this thread owns it alone.
            unsafe { HAL_Timer_Delete(fresh) };
            Some(winner)
        }
    }
}

/// Milliseconds from `now` to `deadline`, clamped to `[1, i32::MAX]`.
pub fn delay_ms(now: u64, deadline: u64) -> i32 {
    let ms = deadline.saturating_sub(now).clamp(1, i32::MAX as u64);
    i32::try_from(ms).unwrap_or(i32::MAX)
}

/// Start the timer (created with `callback` if there is none yet) to fire in `delay` ms, or
/// stop it when `delay` is `None`. A timer that cannot be created or started leaves
/// [`UNARMED`] set (see the module's text).
pub fn set(delay: Option<i32>, callback: TimerFn) {
    match delay {
        Some(ms) => {
            let Some(t) = timer(callback) else {
                UNARMED.store(true, Ordering::Release);
                return;
            };
            // SAFETY: `t` is a live HAL timer (never deleted once published).
            let rc = unsafe {
                HAL_Timer_Stop(t);
                start(t, ms)
            };
            let failed = rc != 0;
            if failed {
                log::num(Level::Error, Msg::TimerStartFailed, i64::from(rc));
            }
            UNARMED.store(failed, Ordering::Release);
        }
        None => {
            UNARMED.store(false, Ordering::Release);
            let t = TIMER.load(Ordering::Acquire);
            if !t.is_null() {
                // SAFETY: `t` is a live HAL timer (never deleted once published).
                unsafe { HAL_Timer_Stop(t) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::delay_ms;

    #[test]
    fn delays_are_clamped() {
        assert_eq!(delay_ms(100, 100), 1);
        assert_eq!(delay_ms(100, 50), 1);
        assert_eq!(delay_ms(0, 250), 250);
        assert_eq!(delay_ms(0, u64::MAX), i32::MAX);
    }
}
