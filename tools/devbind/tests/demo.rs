//! `devbind demo` run for real: with the Rust stand-in device, and with the example device
//! (`build/host/devbind-device`, built from c_examples/host; set `DEVBIND_DEVICE` to use
//! another path). Each run is bounded in time and its processes are killed on the way out.

use serde_json::Value;
use std::io::Read;
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

/// Runs `devbind demo --json --device DEV`, at most 90 s; returns (exit code, JSON lines).
fn run_demo(device: &str) -> (Option<i32>, Vec<Value>, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .args(["demo", "--json", "--device", device])
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
    let deadline = Instant::now() + Duration::from_secs(90);
    let code = loop {
        if let Some(st) = k.0.try_wait().unwrap() {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = k.0.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = reader.join().unwrap();
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
