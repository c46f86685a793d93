//! KV file persistence, timer ordering / re-arm / stop / delete, and the HAL odds and ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devbind_host::kv::KvStore;
use devbind_host::timer::TimerService;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("devbind-host-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn kv_survives_a_reopen_and_rejects_bad_keys() {
    let path = tmp("kv1.txt");
    {
        let mut kv = KvStore::open(&path).unwrap();
        assert_eq!(kv.get("awss.rst"), None);
        kv.set("awss.rst", &[1]).unwrap();
        kv.set("blob", &[0, 0xff, b' ', b'\n']).unwrap();
        kv.set("blob", &[0, 0xff, b' ', b'\n', 7]).unwrap();
        assert!(kv.set("has space", b"x").is_err());
        assert!(kv.set("", b"x").is_err());
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("awss.rst 01\n"), "{text}");
    let mut kv = KvStore::open(&path).unwrap();
    assert_eq!(kv.get("awss.rst"), Some(&[1u8][..]));
    assert_eq!(kv.get("blob"), Some(&[0, 0xff, b' ', b'\n', 7][..]));
    kv.remove("awss.rst").unwrap();
    assert_eq!(KvStore::open(&path).unwrap().get("awss.rst"), None);
    // A damaged line is skipped, the rest is kept.
    std::fs::write(&path, "good 0a\nbad zz\n\nodd 123\n").unwrap();
    let kv = KvStore::open(&path).unwrap();
    assert_eq!(kv.get("good"), Some(&[10u8][..]));
    assert_eq!(kv.get("bad"), None);
    assert_eq!(kv.get("odd"), None);
}

#[test]
fn hal_kv_exports_round_trip_through_the_file() {
    let path = tmp("kv2.txt");
    devbind_host::hal::open_kv(path.to_str().unwrap()).unwrap();
    let v = [0x01u8];
    // SAFETY: valid key and value.
    let rc =
        unsafe { devbind_host::hal::HAL_Kv_Set(c"awss.rst".as_ptr(), v.as_ptr().cast(), 1, 1) };
    assert_eq!(rc, 0);
    let mut out = [0u8; 4];
    let mut len = 4i32;
    // SAFETY: valid buffers.
    let rc = unsafe {
        devbind_host::hal::HAL_Kv_Get(c"awss.rst".as_ptr(), out.as_mut_ptr().cast(), &mut len)
    };
    assert_eq!(rc, 0);
    assert_eq!((len, out[0]), (1, 1));
    let mut len = 4i32;
    // SAFETY: valid buffers.
    let rc = unsafe {
        devbind_host::hal::HAL_Kv_Get(c"absent".as_ptr(), out.as_mut_ptr().cast(), &mut len)
    };
    assert_eq!(rc, -1);
    let mut len = 0i32;
    // SAFETY: valid buffers; too small.
    let rc = unsafe {
        devbind_host::hal::HAL_Kv_Get(c"awss.rst".as_ptr(), out.as_mut_ptr().cast(), &mut len)
    };
    assert_eq!(rc, -1);
    assert_eq!(len, 1, "the needed length is reported");
    // SAFETY: NULLs are part of the contract.
    unsafe {
        assert_eq!(
            devbind_host::hal::HAL_Kv_Set(std::ptr::null(), v.as_ptr().cast(), 1, 1),
            -1
        );
        assert_eq!(
            devbind_host::hal::HAL_Kv_Get(c"awss.rst".as_ptr(), std::ptr::null_mut(), &mut len),
            -1
        );
    }
    assert_eq!(
        KvStore::open(&path).unwrap().get("awss.rst"),
        Some(&[1u8][..])
    );
}

#[test]
fn timers_fire_in_deadline_order_rearm_stop_and_delete() {
    let svc = TimerService::new();
    let order: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let mk = |name: &'static str| {
        let o = Arc::clone(&order);
        svc.create(name, Arc::new(move || o.lock().unwrap().push(name)))
    };
    let a = mk("a");
    let b = mk("b");
    let c = mk("c");
    let d = mk("d");
    assert!(svc.start(a, 90));
    assert!(svc.start(b, 30));
    assert!(svc.start(c, 60));
    assert!(svc.start(d, 40));
    assert!(svc.start(d, 120), "re-arm replaces the first deadline");
    assert!(svc.stop(c));
    assert!(!svc.is_armed(c));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(*order.lock().unwrap(), vec!["b", "a", "d"]);
    assert!(!svc.is_armed(a), "one-shot");
    assert!(svc.delete(a));
    assert!(!svc.delete(a));
    assert!(!svc.start(a, 1));
    assert_eq!(svc.count(), 3);
    assert_eq!(svc.name(b).as_deref(), Some("b"));
    svc.shutdown();
}

#[test]
fn a_callback_may_rearm_its_own_timer() {
    let svc = TimerService::new();
    let hits = Arc::new(AtomicUsize::new(0));
    let id_cell: Arc<Mutex<u64>> = Arc::default();
    let (h, s, idc) = (Arc::clone(&hits), Arc::clone(&svc), Arc::clone(&id_cell));
    let id = svc.create(
        "self",
        Arc::new(move || {
            if h.fetch_add(1, Ordering::SeqCst) < 4 {
                s.start(*idc.lock().unwrap(), 5);
            }
        }),
    );
    *id_cell.lock().unwrap() = id;
    svc.start(id, 5);
    let end = Instant::now() + Duration::from_secs(2);
    while hits.load(Ordering::SeqCst) < 5 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(hits.load(Ordering::SeqCst), 5);
    svc.shutdown();
}

static C_HITS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn c_timer(user: *mut std::ffi::c_void) {
    C_HITS.fetch_add(user as usize, Ordering::SeqCst);
}

#[test]
fn hal_timer_exports_and_hal_basics() {
    use devbind_host::timer::{
        HAL_Timer_Create, HAL_Timer_Delete, HAL_Timer_Start, HAL_Timer_Stop,
    };
    // SAFETY: valid name and callback; handles are opaque.
    unsafe {
        let t = HAL_Timer_Create(c"t".as_ptr(), Some(c_timer), 3 as *mut _);
        assert!(!t.is_null());
        assert_eq!(HAL_Timer_Start(t, 10), 0);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(C_HITS.load(Ordering::SeqCst), 3);
        assert_eq!(HAL_Timer_Start(t, 50), 0);
        assert_eq!(HAL_Timer_Stop(t), 0);
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(C_HITS.load(Ordering::SeqCst), 3, "stopped");
        assert_eq!(HAL_Timer_Delete(t), 0);
        assert_eq!(
            HAL_Timer_Delete(t),
            -1,
            "a stale handle is an error, not a crash"
        );
        assert_eq!(HAL_Timer_Start(std::ptr::null_mut(), 1), -1);
        assert!(HAL_Timer_Create(std::ptr::null(), None, std::ptr::null_mut()).is_null());
    }
    // Uptime is monotonic, Random stays in range.
    let t0 = devbind_host::hal::HAL_UptimeMs();
    devbind_host::hal::HAL_SleepMs(20);
    assert!(devbind_host::hal::HAL_UptimeMs() >= t0 + 20);
    assert!((0..1000).all(|_| devbind_host::hal::HAL_Random(7) < 7));
    assert_eq!(devbind_host::hal::HAL_Random(0), 0);
    // Mutex create / lock / unlock / destroy; malloc counting.
    let m = devbind_host::hal::HAL_MutexCreate();
    assert!(!m.is_null());
    // SAFETY: a live mutex used by one thread in order.
    unsafe {
        devbind_host::hal::HAL_MutexLock(m);
        devbind_host::hal::HAL_MutexUnlock(m);
        devbind_host::hal::HAL_MutexDestroy(m);
    }
    let (m0, f0) = devbind_host::hal::malloc_counts();
    let p = devbind_host::hal::HAL_Malloc(16);
    assert!(!p.is_null());
    // SAFETY: `p` came from HAL_Malloc.
    unsafe { devbind_host::hal::HAL_Free(p) };
    let (m1, f1) = devbind_host::hal::malloc_counts();
    assert_eq!((m1 - m0, f1 - f0), (1, 1));
}
