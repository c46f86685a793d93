//! The module lock: one `HAL_MutexCreate` mutex, created lazily and race-free, never destroyed
//! (a thread may be waiting on it at any time, so destroying it could never be safe).

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::ptr::{self, NonNull};
use portable_atomic::{AtomicPtr, Ordering};

use super::imports::{HAL_MutexCreate, HAL_MutexDestroy, HAL_MutexLock, HAL_MutexUnlock};

/// The HAL mutex, NULL until first use.
static MUTEX: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

/// The mutex, created on first use. Two threads racing here both create one; the loser of the
/// compare-exchange destroys its own. `None` when the HAL cannot create a mutex.
fn mutex() -> Option<NonNull<c_void>> {
    if let Some(current) = NonNull::new(MUTEX.load(Ordering::Acquire)) {
        return Some(current);
    }
    // SAFETY: no arguments; returns a new mutex or NULL.
    let fresh = NonNull::new(unsafe { HAL_MutexCreate() })?;
    match MUTEX.compare_exchange(
        ptr::null_mut(),
        fresh.as_ptr(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => Some(fresh),
        Err(winner) => {
            // SAFETY: `fresh` was created above, was never published, and nobody else holds it.
            unsafe { HAL_MutexDestroy(fresh.as_ptr()) };
            NonNull::new(winner)
        }
    }
}

/// Data guarded by the module lock.
pub struct Locked<T> {
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through a `Guard`, which exists only while the HAL mutex is
// held, so at most one thread accesses it at a time.
unsafe impl<T: Send> Sync for Locked<T> {}

impl<T> Locked<T> {
    /// Wrap `value`.
    pub const fn new(value: T) -> Self {
        Locked {
            data: UnsafeCell::new(value),
        }
    }

    /// Take the lock; `None` when the mutex cannot be created (the caller logs and fails).
    pub fn lock(&self) -> Option<Guard<'_, T>> {
        let m = mutex()?;
        // SAFETY: `m` is a live HAL mutex (never destroyed once published).
        unsafe { HAL_MutexLock(m.as_ptr()) };
        Some(Guard { lock: self })
    }
}

/// Proof that the module lock is held; unlocks on drop. One pointer wide (the mutex is the
/// published one in `MUTEX`), so that a guard travels in a register.
pub struct Guard<'a, T> {
    lock: &'a Locked<T>,
}

impl<T> core::ops::Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the mutex is held for the guard's lifetime; no other reference exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> core::ops::DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the mutex is held for the guard's lifetime and `&mut self` is unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: a guard exists only after `mutex()` returned the mutex published in `MUTEX`
        // (which never changes once set) and this guard locked it; it is unlocked once, here.
        unsafe { HAL_MutexUnlock(MUTEX.load(Ordering::Acquire)) };
    }
}
