//! The example device's wifi-provision build (`build/host/devbind-device-wifi`, or
//! `DEVBIND_WIFI_DEVICE`) against the embedded broker and `devbind cloud switchap`'s code, beside
//! the demo's round: a request for the AP the simulated station is on (`--ap-ssid`,
//! `--ap-passwd`, `--ap-bssid`) is answered and changes nothing; one that differs only in the
//! password switches and reboots. Neither password reaches the log. Loopback only; the device
//! is killed at the end.

mod common;

use common::{wifi_device, Killed};
use devbind::broker::Broker;
use devbind::mqtt::Client;
use devbind::switchap::{self, Request};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PK: &str = "a1demoPK01";
const DN: &str = "demo_device_01";
const OLD_PASSWD: &str = "old-secret-1";
const NEW_PASSWD: &str = "new-secret-2";

/// Waits up to `limit` for a line containing `needle` in `log`; true when it came.
fn wait_line(log: &Mutex<Vec<String>>, needle: &str, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if log.lock().unwrap().iter().any(|l| l.contains(needle)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn request(id: &str, passwd: &str) -> Request {
    Request {
        pk: PK.into(),
        dn: DN.into(),
        id: id.into(),
        ssid: "office".into(),
        passwd: passwd.into(),
        bssid: "02:00:00:00:0a:09".into(),
        switch_mode: 0,
        timeout_ms: 1000,
    }
}

#[test]
fn the_wifi_build_stays_on_its_ap_and_switches_when_the_password_differs() {
    let device = wifi_device();
    let broker = Broker::start("127.0.0.1:0").unwrap().addr().to_string();
    let coap = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let kv = std::env::temp_dir().join(format!("devbind-wifi-kv-{}", std::process::id()));
    let mut child = common::command(&device)
        .args([
            "--broker",
            &broker,
            "--pk",
            PK,
            "--dn",
            DN,
            "--ip",
            "127.0.0.1",
        ])
        .args(["--coap-bind", &coap, "--notify-to", "127.0.0.1:9"])
        .args([
            "--kv",
            kv.to_str().unwrap(),
            "--log-level",
            "5",
            "--run-ms",
            "30000",
        ])
        .args(["--ap-ssid", "office", "--ap-passwd", OLD_PASSWD])
        .args(["--ap-bssid", "02:00:00:00:0A:09"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {device}: {e}"));
    let out = child.stdout.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            log2.lock().unwrap().push(line);
        }
    });
    let mut child = Killed(child);
    let text = |log: &Mutex<Vec<String>>| log.lock().unwrap().join("\n");
    assert!(
        wait_line(
            &log,
            "/thing/awss/device/switchap res:",
            Duration::from_secs(10)
        ),
        "no subscription of the switchap request:\n{}",
        text(&log)
    );
    let cloud = Client::connect(&broker, "test-cloud-switchap", Duration::from_secs(5)).unwrap();

    // The AP it is on: answered, no switch, no reboot.
    let ok = switchap::send(&cloud, &request("1", OLD_PASSWD), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}\n{}", text(&log)));
    assert_eq!(ok.reply["code"], 200, "{}", ok.reply);
    assert!(
        wait_line(&log, "switchap: already on that AP", Duration::from_secs(3)),
        "{}",
        text(&log)
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert!(child.0.try_wait().unwrap().is_none(), "{}", text(&log));
    assert!(
        !text(&log).contains("switchap: connecting"),
        "{}",
        text(&log)
    );

    // Another password for the same SSID and BSSID: switched, then the reboot (exit 3).
    let ok = switchap::send(&cloud, &request("2", NEW_PASSWD), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}\n{}", text(&log)));
    assert_eq!(ok.reply["code"], 200, "{}", ok.reply);
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "no reboot within 6 s:\n{}",
            text(&log)
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().unwrap();
    let all = text(&log);
    assert_eq!(status.code(), Some(3), "{all}");
    for want in [
        "dev_bind: switchap: connecting to office",
        "host: HAL_Awss_Connect_Ap: connecting to office (bssid 02:00:00:00:0a:09, passwd 12 bytes",
        "dev_bind: switchap: reboot",
        "host: HAL_Reboot:",
    ] {
        assert!(all.contains(want), "no `{want}`:\n{all}");
    }
    assert!(
        !all.contains(OLD_PASSWD) && !all.contains(NEW_PASSWD),
        "{all}"
    );
    let _ = std::fs::remove_file(&kv);
}
