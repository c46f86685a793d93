//! `devbind demo` run for real: with the Rust stand-in device, and with the example device
//! (`build/host/devbind-device`, built from c_examples/host; set `DEVBIND_DEVICE` to use
//! another path). Each run is bounded in time (the demo takes about 4 s; it is killed after
//! 50 s) and runs in a process group of its own, killed whole on a timeout so no device outlives
//! the test. Traffic stays on 127.0.0.1.

use serde_json::Value;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Longest a demo run may take.
const DEMO_LIMIT: Duration = Duration::from_secs(50);

/// Kills the process group `pgid` (the demo and the devices it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Runs `devbind demo --json --device DEV`, at most `DEMO_LIMIT`; returns (exit code, JSON
/// lines, output).
fn run_demo(device: &str) -> (Option<i32>, Vec<Value>, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .args(["demo", "--json", "--device", device])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start devbind demo");
    let mut k = Killed(child);
    let mut out = k.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let mut timed_out = false;
    let code = loop {
        if let Some(st) = k.0.try_wait().unwrap() {
            break st.code();
        }
        if started.elapsed() > DEMO_LIMIT {
            kill_group(k.0.id());
            let _ = k.0.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = reader.join().unwrap();
    assert!(
        !timed_out,
        "the demo did not end within {DEMO_LIMIT:?} and was killed; output:\n{text}"
    );
    let lines = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (code, lines, text)
}

fn check_all_flows(device: &str) {
    let (code, lines, text) = run_demo(device);
    let summary = lines
        .iter()
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary (exit {code:?}); output:\n{text}"));
    let flows = summary["flows"].as_array().unwrap();
    let names: Vec<u64> = flows.iter().map(|f| f["flow"].as_u64().unwrap()).collect();
    assert_eq!(names, vec![1, 2, 3, 4, 5, 6, 7, 8], "{summary}");
    for f in flows {
        assert_eq!(f["ok"], true, "flow failed: {f}\noutput:\n{text}");
    }
    assert_eq!(code, Some(0), "{text}");
    // the timeline shows every guide checkpoint
    for step in 1..=5 {
        assert!(
            text.contains(&format!("guide step {step}")),
            "no checkpoint {step}:\n{text}"
        );
    }
}

#[test]
fn demo_with_the_rust_stand_in_device() {
    check_all_flows("fake");
}

#[test]
fn demo_with_the_example_device() {
    let path = match std::env::var_os("DEVBIND_DEVICE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../build/host/devbind-device"),
    };
    assert!(
        path.is_file(),
        "the example device {} does not exist: build it first (`make test` at the repository \
         root builds it before running these tests; by hand: see tools/README.md), or set \
         DEVBIND_DEVICE to its path",
        path.display()
    );
    check_all_flows(path.to_str().unwrap());
}

#[test]
fn demo_with_a_missing_device_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .args([
            "demo",
            "--device",
            "/nonexistent/devbind-device",
            "--no-color",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("not found"), "{s}");
}
