//! The module's single HAL timer. Created lazily and race-free; its callback polls the
//! machine. Every entry re-arms it with the machine's next deadline without ever holding the
//! lock across a timer call.
//!
//! A timer that cannot be created or started (an RTOS out of timer handles, or whose timer
//! command queue is full for a moment) is an error line, tried again at once a few times, then
//! marked [`UNARMED`]: the next entry of any kind, also one that only reads the module's state,
//! arms it again. No retry loops: each arming makes at most [`START_TRIES`] calls.

use core::ffi::{c_int, c_void};
use core::ptr;
use portable_atomic::{AtomicBool, AtomicPtr, Ordering};

use super::imports::{
    HAL_Timer_Create, HAL_Timer_Delete, HAL_Timer_Start, HAL_Timer_Stop, Hal, Platform,
};
use super::log;
use super::shell::{self, SHELL};
use dev_bind_core::{Level, Msg};

static TIMER: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

/// Rounds of the arming protocol before giving up (only a pathological interleaving of many
/// threads needs more than two; the next entry or timer tick re-arms anyway).
const MAX_ROUNDS: u32 = 8;

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

/// The timer callback: poll the machine (which re-arms the timer).
unsafe extern "C" fn on_timer(_user_data: *mut c_void) {
    let _ = shell::run(shell::Event::Poll);
    #[cfg(feature = "wifi-provision")]
    let _ = super::provision::run(super::provision::Event::Poll);
}

/// The timer, created on first use; `None` (logged) when the HAL cannot create one.
fn timer() -> Option<*mut c_void> {
    let current = TIMER.load(Ordering::Acquire);
    if !current.is_null() {
        return Some(current);
    }
    // SAFETY: the name is NUL-terminated and static; `on_timer` has the callback type.
    let fresh = unsafe { HAL_Timer_Create(c"dev_bind".as_ptr(), Some(on_timer), ptr::null_mut()) };
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

/// Re-arm the timer with the machine's next deadline (or stop it when there is none).
///
/// Protocol: under the lock take `seq += 1` and the deadline; unlock; Stop (+ Start); lock
/// again and, if another thread armed meanwhile (`seq` moved), repeat with the fresh deadline.
/// The last Start therefore always uses the latest deadline. A Start that fails after its
/// retries leaves [`UNARMED`] set (see the module's text).
pub fn arm() {
    let hal = Hal;
    for _ in 0..MAX_ROUNDS {
        let (seq, delay) = {
            let Some(mut guard) = SHELL.lock() else {
                return;
            };
            guard.timer_seq = guard.timer_seq.wrapping_add(1);
            let seq = guard.timer_seq;
            let deadline = guard.machine().poll_at();
            // The provisioning deadlines ride on the same timer.
            #[cfg(feature = "wifi-provision")]
            let deadline = deadline
                .into_iter()
                .chain(super::provision::poll_at(&guard))
                .min();
            (seq, deadline.map(|at| delay_ms(hal.uptime_ms(), at)))
        };
        match delay {
            Some(ms) => {
                let Some(t) = timer() else {
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
        let Some(guard) = SHELL.lock() else {
            return;
        };
        if guard.timer_seq == seq {
            return;
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
