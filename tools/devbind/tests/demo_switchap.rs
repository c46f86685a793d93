//! The demo's switchap round (flow 9) played for real, against a scripted provisioning device:
//! this test program itself, started by the demo as its `--device`. In device mode (the
//! environment variable [`MODE`] set) it runs `devbind fake-device` with the demo's flags for
//! flows 1-8 and, beside it, answers the cloud's switchap request as a provisioning build does:
//! it subscribes the request topic (and logs it as the library does), replies, logs the switch
//! after max(timeout, 1 s) and exits 1 s later with the stand-in's reboot status (3). `leak` logs the password too,
//! which the round must catch. (No test harness: `main` is the test, or the device.)

use devbind::demo::switchap_expect;
use devbind::mqtt::Client;
use devbind::switchap;
use rumqttc::mqttbytes::QoS;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODE: &str = "DEVBIND_TEST_SWITCHAP_DEVICE";

fn main() {
    match std::env::var(MODE) {
        Ok(mode) => device(&mode),
        Err(_) => {
            for (mode, ok) in [("good", true), ("leak", false)] {
                check_round(mode, ok);
                println!("demo_switchap: the {mode} device: ok");
            }
        }
    }
}

fn arg(args: &[String], name: &str) -> String {
    let at = args.iter().position(|a| a == name).expect(name);
    args[at + 1].clone()
}

/// The scripted provisioning device.
fn device(mode: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let start = Instant::now();
    let say = |text: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "[{}] {text}", start.elapsed().as_millis());
        let _ = out.flush();
    };
    let mut fake = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .arg("fake-device")
        .args(&args)
        .spawn()
        .expect("cannot start devbind fake-device");
    let (broker, pk, dn) = (
        arg(&args, "--broker"),
        arg(&args, "--pk"),
        arg(&args, "--dn"),
    );
    let c = Client::connect(&broker, &format!("{dn}.switchap"), Duration::from_secs(5))
        .expect("the scripted device cannot reach the broker");
    let topic = switchap::request_topic(&pk, &dn);
    c.subscribe(&topic, QoS::AtMostOnce).expect("subscribe");
    say(&format!("[dbg] dev_bind: sub {topic} res:0"));
    // The first well-formed request is switched to; the device then reboots.
    while let Some(m) = c.recv_timeout(Duration::from_secs(120)) {
        let Ok(req) = serde_json::from_slice::<Value>(&m.payload) else {
            continue;
        };
        let p = &req["params"];
        let reply = json!({"id": req["id"], "code": 200, "data": {}}).to_string();
        let _ = c.publish(
            &switchap::reply_topic(&pk, &dn),
            reply.as_bytes(),
            QoS::AtLeastOnce,
        );
        let ssid = p["ssid"].as_str().unwrap_or("");
        let timeout = p["timeout"].as_u64().unwrap_or(0) as u32;
        // The lines of the library and the Linux stand-in, as the demo expects them.
        let lines = switchap_expect::switch_lines(ssid, timeout);
        say(&format!("[inf] dev_bind: {}", lines[0]));
        if mode == "leak" {
            say(&format!("[dbg] dev_bind: passwd {}", p["passwd"]));
        }
        std::thread::sleep(Duration::from_millis(u64::from(timeout.max(1000))));
        say(&format!("[inf] dev_bind: {}", lines[1]));
        say(&format!("host: {}(passwd not shown): connected", lines[2]));
        say(&format!("[inf] dev_bind: {}", lines[3]));
        std::thread::sleep(Duration::from_millis(1000));
        say(&format!("[wrn] dev_bind: {}", lines[4]));
        say("host: HAL_Reboot: the firmware asked for a reboot; exiting with status 3");
        let _ = fake.kill();
        let _ = fake.wait();
        std::process::exit(3);
    }
    let _ = fake.kill();
    let _ = fake.wait();
}

/// Runs the demo against the scripted device in `mode`: flow 9 is played and passes (`ok`),
/// or fails naming the password.
fn check_round(mode: &str, ok: bool) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .args(["demo", "--json", "--device"])
        .arg(&exe)
        .env(MODE, mode)
        .process_group(0)
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot start devbind demo");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("the demo did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = reader.join().unwrap();
    let summary = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary (exit {code:?}):\n{text}"));
    assert_eq!(summary["skipped"], json!([]), "{summary}");
    let flows = summary["flows"].as_array().unwrap();
    let f9 = flows
        .iter()
        .find(|f| f["flow"] == 9)
        .unwrap_or_else(|| panic!("flow 9 not played: {summary}"));
    let detail = f9["detail"].as_str().unwrap();
    if ok {
        assert_eq!(f9["ok"], true, "{f9}\n{text}");
        assert!(
            detail.contains("accepted") && detail.contains("reboot"),
            "{detail}"
        );
        assert_eq!(code, Some(0), "{text}");
    } else {
        assert_eq!(f9["ok"], false, "{f9}");
        assert!(detail.contains("password"), "{detail}");
        assert_eq!(code, Some(1), "{text}");
    }
    for f in flows.iter().filter(|f| f["flow"] != 9) {
        assert_eq!(f["ok"], true, "{f}\n{text}");
    }
    assert!(text.contains("\"what\":\"switchap_request\""), "{text}");
    assert!(text.contains("\"what\":\"switchap_reply\""), "{text}");
    assert!(
        !text.contains("demo-pass-2\""),
        "the demo printed the password:\n{text}"
    );
}
