//! HAL timers: one timer thread with a deadline heap. `start` (re-)arms a timer, `stop` cancels
//! it, `delete` forgets it. Callbacks run on the timer thread, one at a time, never while the
//! service's lock is held, so a callback may start, stop or delete any timer (itself included).
//!
//! The C handles are opaque ids (never dereferenced), so a stale or doubly deleted handle is an
//! error code, not a crash.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A timer's callback.
pub type Callback = Arc<dyn Fn() + Send + Sync>;

struct Entry {
    name: String,
    callback: Callback,
    /// Bumped by every start/stop so stale heap entries are recognised.
    generation: u64,
    armed: bool,
}

#[derive(Default)]
struct State {
    timers: HashMap<u64, Entry>,
    /// (deadline, sequence, id, generation); the sequence keeps equal deadlines in start order.
    heap: BinaryHeap<Reverse<(Instant, u64, u64, u64)>>,
    next_id: u64,
    seq: u64,
    shutdown: bool,
}

/// The timer service: a thread and a deadline heap.
pub struct TimerService {
    state: Mutex<State>,
    wake: Condvar,
}

/// Ids start here, so a handle is never a small integer that C code could take for an error.
const FIRST_ID: u64 = 0x1000;

impl TimerService {
    /// Starts a service with its own thread.
    pub fn new() -> Arc<Self> {
        let svc = Arc::new(Self {
            state: Mutex::new(State {
                next_id: FIRST_ID,
                ..State::default()
            }),
            wake: Condvar::new(),
        });
        let runner = Arc::clone(&svc);
        std::thread::Builder::new()
            .name("hal-timer".into())
            .spawn(move || runner.run())
            .expect("spawn timer thread");
        svc
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a timer (not armed); returns its id.
    pub fn create(&self, name: &str, callback: Callback) -> u64 {
        let mut st = self.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.timers.insert(
            id,
            Entry {
                name: name.to_string(),
                callback,
                generation: 0,
                armed: false,
            },
        );
        id
    }

    /// Arms (or re-arms) timer `id` to fire once after `ms`. False if no such timer.
    pub fn start(&self, id: u64, ms: u64) -> bool {
        let deadline = Instant::now() + Duration::from_millis(ms);
        let mut st = self.lock();
        st.seq += 1;
        let seq = st.seq;
        let Some(entry) = st.timers.get_mut(&id) else {
            return false;
        };
        entry.generation += 1;
        entry.armed = true;
        let generation = entry.generation;
        st.heap.push(Reverse((deadline, seq, id, generation)));
        drop(st);
        self.wake.notify_all();
        true
    }

    /// Disarms timer `id`. False if no such timer.
    pub fn stop(&self, id: u64) -> bool {
        let mut st = self.lock();
        let Some(entry) = st.timers.get_mut(&id) else {
            return false;
        };
        entry.generation += 1;
        entry.armed = false;
        true
    }

    /// Forgets timer `id`. False if no such timer.
    pub fn delete(&self, id: u64) -> bool {
        self.lock().timers.remove(&id).is_some()
    }

    /// Whether timer `id` is armed.
    pub fn is_armed(&self, id: u64) -> bool {
        self.lock().timers.get(&id).is_some_and(|e| e.armed)
    }

    /// Number of live timers.
    pub fn count(&self) -> usize {
        self.lock().timers.len()
    }

    /// The name a timer was created with.
    pub fn name(&self, id: u64) -> Option<String> {
        self.lock().timers.get(&id).map(|e| e.name.clone())
    }

    /// Stops the thread (armed timers never fire after this returns... except one already
    /// running).
    pub fn shutdown(&self) {
        self.lock().shutdown = true;
        self.wake.notify_all();
    }

    fn run(&self) {
        let mut st = self.lock();
        loop {
            if st.shutdown {
                return;
            }
            let now = Instant::now();
            let mut due: Option<Callback> = None;
            let mut wait = None;
            while let Some(Reverse((deadline, _, id, generation))) = st.heap.peek().copied() {
                let live = st
                    .timers
                    .get(&id)
                    .is_some_and(|e| e.armed && e.generation == generation);
                if !live {
                    st.heap.pop();
                    continue;
                }
                if deadline > now {
                    wait = Some(deadline - now);
                    break;
                }
                st.heap.pop();
                if let Some(entry) = st.timers.get_mut(&id) {
                    entry.armed = false;
                    due = Some(Arc::clone(&entry.callback));
                }
                break;
            }
            if let Some(cb) = due {
                drop(st);
                cb();
                st = self.lock();
                continue;
            }
            st = match wait {
                Some(d) => {
                    self.wake
                        .wait_timeout(st, d)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

/// The process's timer service, started on first use.
pub fn global() -> &'static Arc<TimerService> {
    static SVC: OnceLock<Arc<TimerService>> = OnceLock::new();
    SVC.get_or_init(TimerService::new)
}

/// The C function and argument of a timer; the pointer is the firmware's and is only handed
/// back to it.
struct CTimer {
    func: unsafe extern "C" fn(*mut c_void),
    user: *mut c_void,
}

// SAFETY: the pointer is opaque here: it is never dereferenced, only passed back to the
// firmware's callback, which the SDK's contract says runs on a timer thread.
unsafe impl Send for CTimer {}
// SAFETY: as above; `CTimer` has no interior mutability.
unsafe impl Sync for CTimer {}

impl CTimer {
    fn fire(&self) {
        // SAFETY: the firmware registered `func` for exactly this call with `user`.
        unsafe { (self.func)(self.user) }
    }
}

fn handle_to_id(timer: *mut c_void) -> Option<u64> {
    let id = timer as usize as u64;
    (id >= FIRST_ID).then_some(id)
}

/// `void *HAL_Timer_Create(const char *name, void (*func)(void *), void *user_data)`.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string; `func` must be safe to call with
/// `user_data` from the timer thread.
///
/// # Returns
/// An opaque handle, or NULL if `func` is NULL.
#[no_mangle]
pub unsafe extern "C" fn HAL_Timer_Create(
    name: *const c_char,
    func: Option<unsafe extern "C" fn(*mut c_void)>,
    user_data: *mut c_void,
) -> *mut c_void {
    let Some(func) = func else {
        crate::hlog!("HAL_Timer_Create: NULL callback");
        return std::ptr::null_mut();
    };
    let name = if name.is_null() {
        String::from("?")
    } else {
        // SAFETY: the caller guarantees a NUL-terminated string.
        unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned()
    };
    let ct = CTimer {
        func,
        user: user_data,
    };
    let cb: Callback = Arc::new(move || ct.fire());
    let id = global().create(&name, cb);
    id as usize as *mut c_void
}

/// `int HAL_Timer_Start(void *timer, int ms)`: arm (or re-arm) to fire once after `ms`.
///
/// # Safety
/// `timer` is an opaque handle; any value is accepted.
///
/// # Returns
/// 0, or -1 for an unknown handle or a negative delay.
#[no_mangle]
pub unsafe extern "C" fn HAL_Timer_Start(timer: *mut c_void, ms: c_int) -> c_int {
    let (Some(id), Ok(ms)) = (handle_to_id(timer), u64::try_from(ms)) else {
        crate::hlog!("HAL_Timer_Start: bad handle {timer:p} or delay {ms}");
        return -1;
    };
    if global().start(id, ms) {
        0
    } else {
        crate::hlog!("HAL_Timer_Start: unknown timer {timer:p}");
        -1
    }
}

/// `int HAL_Timer_Stop(void *timer)`.
///
/// # Safety
/// `timer` is an opaque handle; any value is accepted.
///
/// # Returns
/// 0, or -1 for an unknown handle.
#[no_mangle]
pub unsafe extern "C" fn HAL_Timer_Stop(timer: *mut c_void) -> c_int {
    match handle_to_id(timer) {
        Some(id) if global().stop(id) => 0,
        _ => -1,
    }
}

/// `int HAL_Timer_Delete(void *timer)`.
///
/// # Safety
/// `timer` is an opaque handle; any value is accepted.
///
/// # Returns
/// 0, or -1 for an unknown handle.
#[no_mangle]
pub unsafe extern "C" fn HAL_Timer_Delete(timer: *mut c_void) -> c_int {
    match handle_to_id(timer) {
        Some(id) if global().delete(id) => 0,
        _ => -1,
    }
}
