//! `devbind demo` run for real: with the Rust stand-in device, and with the example device
//! (`build/host/devbind-device`, built from c_examples/host; set `DEVBIND_DEVICE` to use
//! another path) and its wifi-provision build (`build/host/devbind-device-wifi`, `make
//! device-wifi`; `DEVBIND_WIFI_DEVICE`), which plays the switchap round. Each run is bounded in time (the demo takes about 4 s; it is killed after
//! 50 s) and runs in a process group of its own, killed whole on a timeout so no device outlives
//! the test. Traffic stays on 127.0.0.1.

mod common;

use common::{example_device, signal, wifi_device, Killed};
use devbind::flood::alive;
use serde_json::Value;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
fn run_demo(device: &str, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let child = common::command(env!("CARGO_BIN_EXE_devbind"))
        .args(["demo", "--json", "--device", device])
        .args(extra)
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
            // SIGTERM first: the demo then stops its devices (each in a group of its own).
            signal(k.0.id(), "TERM");
            std::thread::sleep(Duration::from_secs(2));
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

/// Flows 1-8 pass; the switchap round (flow 9) is played and passes when the device handles
/// switchap, or is skipped with a reason, printed (`skip_says`: a part of that reason).
fn check_all_flows(device: &str, skip_says: &str) {
    let (code, lines, text) = run_demo(device, &[]);
    let summary = lines
        .iter()
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary (exit {code:?}); output:\n{text}"));
    let flows = summary["flows"].as_array().unwrap();
    let names: Vec<u64> = flows.iter().map(|f| f["flow"].as_u64().unwrap()).collect();
    let skipped = summary["skipped"].as_array().unwrap();
    if names.len() == 9 {
        assert!(skipped.is_empty(), "{summary}");
    } else {
        assert_eq!(skipped.len(), 1, "{summary}");
        assert_eq!(skipped[0]["flow"], 9, "{summary}");
        let why = skipped[0]["reason"].as_str().unwrap();
        assert!(why.contains(skip_says), "{why}");
        // Printed in the timeline when it was skipped, not only in the summary.
        assert!(
            lines
                .iter()
                .any(|v| v["what"] == "flow_skipped" && v["flow"] == 9 && v["reason"] == why),
            "{text}"
        );
    }
    assert_eq!(names[..8], [1, 2, 3, 4, 5, 6, 7, 8], "{summary}");
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
    check_all_flows("fake", "dev_bind_core, which has no switchap");
}

#[test]
fn demo_with_the_example_device() {
    check_all_flows(&example_device(), "did not subscribe");
}

/// The switchap round (flow 9) on the real wifi-provision build: `devbind cloud switchap`'s
/// request is answered (code 200, id echoed), the library logs the switch, the stand-in's
/// `HAL_Awss_Connect_Ap` gets the new AP, the device reboots (exit status 3) and its log never
/// shows the password. Flows 1-8 on the default build pass beside it.
#[test]
fn demo_plays_the_switchap_round_on_the_wifi_provision_build() {
    let keep = std::env::temp_dir().join(format!("devbind-wifi-{}", std::process::id()));
    let dev = example_device();
    let wifi = wifi_device();
    let (code, lines, text) = run_demo(
        &dev,
        &[
            "--switchap-device",
            &wifi,
            "--keep-logs",
            keep.to_str().unwrap(),
        ],
    );
    let summary = lines
        .iter()
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary (exit {code:?}); output:\n{text}"));
    assert_eq!(summary["skipped"], serde_json::json!([]), "{summary}");
    let flows = summary["flows"].as_array().unwrap();
    let played: Vec<u64> = flows.iter().map(|f| f["flow"].as_u64().unwrap()).collect();
    assert_eq!(played, (1..=9).collect::<Vec<u64>>(), "{summary}");
    for f in flows {
        assert_eq!(f["ok"], true, "flow failed: {f}\noutput:\n{text}");
    }
    assert_eq!(code, Some(0), "{text}");
    // The round ran on the wifi build, started as such.
    assert!(
        lines.iter().any(|v| v["what"] == "device_started"
            && v["flow"] == 9
            && v["text"].as_str().unwrap_or("").contains(&wifi)),
        "{text}"
    );
    let reply = lines
        .iter()
        .find(|v| v["what"] == "switchap_reply")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(reply["reply"]["code"], 200, "{reply}");
    let exited = lines
        .iter()
        .find(|v| v["what"] == "exited" && v["flow"] == 9)
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(exited["status"], "exit status: 3", "{exited}");
    // The device log (flow 9's device last): the switch, the HAL's connect, the reboot, and
    // never the password (the demo's request carries "demo-pass-2").
    let log = std::fs::read_to_string(keep.join("device.log")).unwrap();
    let at = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` in the device log:\n{log}"))
    };
    let order = [
        at("dev_bind: switchap to demo-ap-2 in 1500 ms"),
        at("dev_bind: switchap: connecting to demo-ap-2"),
        at("host: HAL_Awss_Connect_Ap: connecting to demo-ap-2 (bssid 02:00:00:00:0a:02"),
        at("dev_bind: switchap: connect res:0, reboot in 1000 ms"),
        at("dev_bind: switchap: reboot"),
        at("host: HAL_Reboot:"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{log}");
    assert!(
        !log.contains("demo-pass-2"),
        "the password is in the log:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&keep);
}

/// A program named as the provisioning build that is none (the default build) fails flow 9,
/// saying so: never a silent skip.
#[test]
fn a_switchap_device_without_the_feature_fails_flow_9() {
    let dev = example_device();
    let (code, lines, text) = run_demo(&dev, &["--switchap-device", &dev]);
    let summary = lines
        .iter()
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary (exit {code:?}); output:\n{text}"));
    let f9 = summary["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["flow"] == 9)
        .cloned()
        .unwrap_or_else(|| panic!("flow 9 not played: {summary}"));
    assert_eq!(f9["ok"], false, "{f9}");
    assert!(
        f9["detail"]
            .as_str()
            .unwrap()
            .contains("not a build with the wifi-provision feature"),
        "{f9}"
    );
    assert_eq!(code, Some(1), "{text}");
}

/// Starts the demo, waits for its first device and its first flow, sends `sig` to the demo
/// alone; the demo must stop its device, remove its temporary directory, say "interrupted"
/// and print the summary so far.
fn interrupt_demo(device: &str, sig: &str) {
    use std::io::BufRead;
    let child = common::command(env!("CARGO_BIN_EXE_devbind"))
        .args(["demo", "--json", "--device", device])
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start devbind demo");
    let mut k = Killed(child);
    let demo_pid = k.0.id();
    let out = k.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut lines = Vec::new();
    let mut device_pid = None;
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(20)) {
        let v: Value = serde_json::from_str(&l).unwrap_or(Value::Null);
        if v["what"] == "device_started" {
            device_pid = v["pid"].as_u64().and_then(|p| u32::try_from(p).ok());
        }
        let flowing = v["what"] == "flow_start";
        lines.push(l);
        if device_pid.is_some() && flowing {
            break;
        }
    }
    let device_pid =
        device_pid.unwrap_or_else(|| panic!("no device started:\n{}", lines.join("\n")));
    assert!(alive(device_pid), "device {device_pid} not running");
    signal(demo_pid, sig);
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(20)) {
        lines.push(l);
    }
    let text = lines.join("\n");
    let code = k.0.wait().unwrap().code();
    assert_eq!(code, Some(130), "SIG{sig}: {text}");
    assert!(text.contains("interrupted"), "{text}");
    let summary = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary after SIG{sig}:\n{text}"));
    assert_eq!(summary["interrupted"], true);
    assert_nothing_left(demo_pid, device_pid, &format!("SIG{sig}"));
}

/// After the demo `demo_pid` exited: its device is gone (reaped by init once the demo exited:
/// give it a moment) and its temporary directory removed.
fn assert_nothing_left(demo_pid: u32, device_pid: u32, after: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(device_pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(device_pid),
        "device {device_pid} outlived the demo ({after})"
    );
    let dir = std::env::temp_dir().join(format!("devbind-demo-{demo_pid}"));
    assert!(!dir.exists(), "{} left behind ({after})", dir.display());
}

/// A panic inside a flow: the demo stops its device, removes its temporary directory, says
/// so and exits 2.
#[test]
fn a_panic_in_the_demo_stops_its_device_and_cleans_up() {
    use std::io::BufRead;
    let child = common::command(env!("CARGO_BIN_EXE_devbind"))
        .args(["demo", "--json", "--device", &example_device()])
        .env(devbind::demo::PANIC_AFTER_FLOW, "1")
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start devbind demo");
    let mut k = Killed(child);
    let demo_pid = k.0.id();
    let out = k.0.stdout.take().unwrap();
    let lines: Vec<String> = std::io::BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .collect();
    let text = lines.join("\n");
    assert_eq!(k.0.wait().unwrap().code(), Some(2), "{text}");
    assert!(text.contains("panicked"), "{text}");
    let device_pid = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["what"] == "device_started")
        .and_then(|v| v["pid"].as_u64())
        .and_then(|p| u32::try_from(p).ok())
        .unwrap_or_else(|| panic!("no device started:\n{text}"));
    assert_nothing_left(demo_pid, device_pid, "a panic");
}

#[test]
fn sigterm_to_the_demo_stops_its_device_and_cleans_up() {
    interrupt_demo(&example_device(), "TERM");
}

#[test]
fn sigint_to_the_demo_alone_stops_its_device_and_cleans_up() {
    interrupt_demo(&example_device(), "INT");
    interrupt_demo("fake", "INT");
}

/// A device that exits at once is reported at once, with its status and last lines, and the
/// flows that need it fail without waiting out their timeouts.
#[test]
fn a_device_that_exits_is_reported_with_its_status_and_last_lines() {
    let dir = std::env::temp_dir().join(format!("devbind-dies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("device.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"device: starting\"\necho \"device: cannot open the CoAP port\" >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // --keep-logs: the failed run's log goes here, not into a temporary directory left behind
    let keep = dir.join("logs");
    let (code, lines, text) = run_demo(
        script.to_str().unwrap(),
        &["--keep-logs", keep.to_str().unwrap()],
    );
    assert!(
        std::fs::read_to_string(keep.join("device.log"))
            .is_ok_and(|l| l.contains("cannot open the CoAP port")),
        "{text}"
    );
    assert_eq!(code, Some(1), "{text}");
    let exited = lines
        .iter()
        .find(|v| v["what"] == "exited")
        .unwrap_or_else(|| panic!("no exit reported:\n{text}"));
    assert_eq!(exited["status"], "exit status: 3");
    let last = exited["lastLines"].as_array().unwrap();
    assert!(
        last.iter()
            .any(|l| l == "device: cannot open the CoAP port"),
        "{exited}"
    );
    let summary = lines.iter().find_map(|v| v.get("summary")).unwrap();
    for f in summary["flows"].as_array().unwrap() {
        assert_eq!(f["ok"], false, "{f}");
        if [2, 3, 4, 6].contains(&f["flow"].as_u64().unwrap()) {
            assert!(
                f["detail"]
                    .as_str()
                    .unwrap()
                    .contains("not played: the device exited (exit status: 3)"),
                "{f}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--keep-logs DIR` keeps the device log; `--json` events carry structured fields.
#[test]
fn keep_logs_and_structured_json_events() {
    let keep = std::env::temp_dir().join(format!("devbind-keep-{}", std::process::id()));
    let out = common::command(env!("CARGO_BIN_EXE_devbind"))
        .args([
            "demo",
            "--json",
            "--device",
            "fake",
            "--keep-logs",
            keep.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let log = std::fs::read_to_string(keep.join("device.log")).unwrap();
    assert!(log.contains("mqtt connect success!"), "{log}");
    let evs: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let reported = evs
        .iter()
        .find(|v| v["what"] == "token_reported")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(reported["who"], "cloud");
    assert_eq!(reported["flow"], 1);
    assert_eq!(reported["token"].as_str().map(str::len), Some(32));
    assert!(
        reported["id"].is_string() || reported["id"].is_number(),
        "{reported}"
    );
    let query = evs.iter().find(|v| v["what"] == "query").unwrap();
    assert_eq!(
        (query["who"].as_str(), query["flow"].as_u64()),
        (Some("phone"), Some(2))
    );
    let answer = evs
        .iter()
        .find(|v| v["who"] == "phone" && v["what"] == "answer")
        .unwrap();
    assert_eq!(answer["token"].as_str().map(str::len), Some(32));
    // causal order: the device's answer is shown before the phone receives it
    let pos = |f: &dyn Fn(&Value) -> bool| evs.iter().position(f).unwrap();
    let t = answer["token"].clone();
    assert!(
        pos(&|v| v["who"] == "device" && v["what"] == "answer" && v["token"] == t)
            < pos(&|v| v["who"] == "phone" && v["what"] == "answer" && v["token"] == t),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&keep);
}

#[test]
fn demo_with_a_missing_device_says_so() {
    let out = common::command(env!("CARGO_BIN_EXE_devbind"))
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
