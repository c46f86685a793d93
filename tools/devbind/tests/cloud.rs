//! The cloud simulator: token lifecycle (ttl, bind once, unknown), replies, and binding over MQTT.

mod common;

use common::{free_tcp_port, Mosquitto};
use devbind::broker::Broker;
use devbind::cloud::{phone_bind, Cloud, CloudRunner, Device, Event};
use devbind::mqtt::Client;
use rumqttc::mqttbytes::QoS;
use serde_json::Value;
use std::sync::mpsc;
use std::time::Duration;

const TOK: &str = "4786F0F6E1CC7BF86017FD4D1429EE4F";
const TOK2: &str = "6CFD937AE0AFF0C7B1044A9AA3B5EF2E";

fn dev() -> Device {
    Device {
        pk: "pk".into(),
        dn: "dn".into(),
    }
}

#[test]
fn token_lifecycle() {
    let mut c = Cloud::new(1000);
    assert_eq!(c.bind("p1", TOK, 0).code, 404);
    assert!(!c.report(dev(), TOK, 0));
    // case does not matter
    let r = c.bind("p1", &TOK.to_lowercase(), 999);
    assert_eq!(r.code, 200, "{r:?}");
    assert_eq!(r.device, Some(dev()));
    // each token binds once
    let r = c.bind("p2", TOK, 999);
    assert_eq!(r.code, 409);
    assert!(r.message.contains("p1"));
    // expiry, counted from the last report
    c.report(dev(), TOK2, 0);
    assert!(c.report(dev(), TOK2, 800), "a re-report is seen as such");
    assert_eq!(
        c.bind("p2", TOK2, 1700).code,
        200,
        "re-report extends the life"
    );
    c.report(dev(), "00000000000000000000000000000000", 2000);
    let r = c.bind("p3", "00000000000000000000000000000000", 3000);
    assert_eq!(r.code, 410, "{r:?}");
    assert_eq!(c.bind("p3", "xyz", 0).code, 400);
    // several outstanding tokens are normal
    c.report(dev(), "11111111111111111111111111111111", 5000);
    c.report(dev(), "22222222222222222222222222222222", 5001);
    assert_eq!(c.live_tokens(5002).len(), 2);
    assert_eq!(
        c.phones_of(&dev()),
        vec!["p1".to_string(), "p2".to_string()]
    );
    assert_eq!(c.reset(&dev()), vec!["p1".to_string(), "p2".to_string()]);
    assert!(c.phones_of(&dev()).is_empty());
}

#[test]
fn replies_echo_the_id_and_bad_reports_are_refused() {
    let mut c = Cloud::new(45_000);
    let (out, ev) = c.handle(
        "/sys/pk/dn/thing/awss/enrollee/match",
        format!("{{\"id\":\"17\",\"version\":\"1.0\",\"method\":\"thing.awss.enrollee.match\",\"params\":{{\"token\":\"{TOK}\"}}}}").as_bytes(),
        0,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, "/sys/pk/dn/thing/awss/enrollee/match_reply");
    let v: Value = serde_json::from_slice(&out[0].1).unwrap();
    assert_eq!(v["id"], "17");
    assert_eq!(v["code"], 200);
    assert!(
        matches!(&ev[0], Event::TokenReported { token, id, again: false, .. } if token == TOK && id == "17")
    );

    for bad in [
        &b"not json"[..],
        b"{\"id\":\"1\",\"params\":{\"token\":\"12\"}}",
        b"[1]",
    ] {
        let (out, ev) = c.handle("/sys/pk/dn/thing/awss/enrollee/match", bad, 0);
        let v: Value = serde_json::from_slice(&out[0].1).unwrap();
        assert_eq!(v["code"], 400);
        assert!(matches!(ev[0], Event::ReportRefused { .. }));
    }

    let (out, ev) = c.handle(
        "/sys/pk/dn/thing/reset",
        b"{\"id\":\"3\", \"version\":\"1.0\", \"method\":\"thing.reset\", \"params\":{}}",
        0,
    );
    assert_eq!(out[0].0, "/sys/pk/dn/thing/reset_reply");
    let v: Value = serde_json::from_slice(&out[0].1).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["code"].as_i64()),
        (Some("3"), Some(200))
    );
    assert!(matches!(ev[0], Event::Reset { .. }));

    let (out, ev) = c.handle("/sys/pk/dn/thing/log/post", b"{\"id\":1,\"params\":{\"contents\":[\"1 BIND_TRACE dev_bind 0 [SyncToken max:1 min:1 mean:1 cnt:1 suc:1]\"]}}", 0);
    assert!(out.is_empty());
    assert!(matches!(&ev[0], Event::Stats { text, .. } if text.contains("SyncToken")));

    let (out, _) = c.handle(
        "/devbind/phone/p9/bind",
        format!("{{\"id\":\"5\",\"token\":\"{TOK}\",\"phone\":\"p9\"}}").as_bytes(),
        1,
    );
    assert_eq!(out[0].0, "/devbind/phone/p9/bind_reply");
    let v: Value = serde_json::from_slice(&out[0].1).unwrap();
    assert_eq!(
        (
            v["id"].as_str(),
            v["code"].as_i64(),
            v["deviceName"].as_str()
        ),
        (Some("5"), Some(200), Some("dn"))
    );
}

#[test]
fn cloud_over_mqtt_acks_the_device_and_binds_phones() {
    let b = Broker::start("127.0.0.1:0").unwrap();
    let a = b.addr().to_string();
    let (tx, rx) = mpsc::channel();
    let _cloud = CloudRunner::start(&a, 400, move |e, _, _| {
        let _ = tx.send(e.clone());
    })
    .unwrap();
    let device = Client::connect(&a, "pk.dn", Duration::from_secs(3)).unwrap();
    device
        .subscribe(
            "/sys/pk/dn/thing/awss/enrollee/match_reply",
            QoS::AtMostOnce,
        )
        .unwrap();
    device
        .publish(
            "/sys/pk/dn/thing/awss/enrollee/match",
            format!("{{\"id\":\"1\",\"version\":\"1.0\",\"method\":\"thing.awss.enrollee.match\",\"params\":{{\"token\":\"{TOK}\"}}}}").as_bytes(),
            QoS::AtLeastOnce,
        )
        .unwrap();
    let m = device
        .recv_timeout(Duration::from_secs(3))
        .expect("no match_reply");
    assert_eq!(m.topic, "/sys/pk/dn/thing/awss/enrollee/match_reply");
    assert!(matches!(
        rx.recv_timeout(Duration::from_secs(3)).unwrap(),
        Event::TokenReported { .. }
    ));
    let t = Duration::from_secs(3);
    assert_eq!(phone_bind(&a, "p1", TOK, t).unwrap().code, 200);
    assert_eq!(phone_bind(&a, "p2", TOK, t).unwrap().code, 409);
    assert_eq!(phone_bind(&a, "p2", TOK2, t).unwrap().code, 404);
    // ttl 400 ms
    device
        .publish(
            "/sys/pk/dn/thing/awss/enrollee/match",
            format!("{{\"id\":\"2\",\"params\":{{\"token\":\"{TOK2}\"}}}}").as_bytes(),
            QoS::AtLeastOnce,
        )
        .unwrap();
    assert!(device.recv_timeout(Duration::from_secs(3)).is_some());
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(phone_bind(&a, "p2", TOK2, t).unwrap().code, 410);
}

/// `--ack-delay-ms`: each reply leaves that long after its report, and the reports that come
/// meanwhile are handled at once (their events) and answered in turn, each with its own id.
#[test]
fn a_delayed_cloud_answers_every_report_late_and_in_order() {
    let b = Broker::start("127.0.0.1:0").unwrap();
    let a = b.addr().to_string();
    let (tx, rx) = mpsc::channel();
    let delay = Duration::from_millis(300);
    let _cloud = CloudRunner::start_with_delay(&a, 45_000, delay, move |e, _, _| {
        let _ = tx.send((std::time::Instant::now(), e.clone()));
    })
    .unwrap();
    let device = Client::connect(&a, "pk.dn", Duration::from_secs(3)).unwrap();
    device
        .subscribe(
            "/sys/pk/dn/thing/awss/enrollee/match_reply",
            QoS::AtMostOnce,
        )
        .unwrap();
    for (id, tok) in [("1", TOK), ("2", TOK2)] {
        device
            .publish(
                "/sys/pk/dn/thing/awss/enrollee/match",
                format!(r#"{{"id":"{id}","params":{{"token":"{tok}"}}}}"#).as_bytes(),
                QoS::AtLeastOnce,
            )
            .unwrap();
    }
    let mut handled = Vec::new();
    for _ in 0..2 {
        let (at, e) = rx.recv_timeout(Duration::from_secs(3)).expect("no event");
        assert!(matches!(e, Event::TokenReported { .. }), "{e:?}");
        handled.push(at);
    }
    for (i, id) in ["1", "2"].into_iter().enumerate() {
        let m = device
            .recv_timeout(Duration::from_secs(3))
            .expect("no match_reply");
        let now = std::time::Instant::now();
        let v: Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(
            (v["id"].as_str(), v["code"].as_i64()),
            (Some(id), Some(200))
        );
        assert!(
            now >= handled[i] + delay,
            "reply {id} came {:?} after its report was handled",
            now - handled[i]
        );
    }
}

#[test]
fn cli_phone_bind_polls_until_the_token_arrives() {
    let b = Broker::start("127.0.0.1:0").unwrap();
    let a = b.addr().to_string();
    let _cloud = CloudRunner::start(&a, 10_000, |_, _, _| {}).unwrap();
    let bin = env!("CARGO_BIN_EXE_devbind");
    let child = std::process::Command::new(bin)
        .args([
            "phone",
            "bind",
            "--broker",
            &a,
            "--token",
            TOK,
            "--phone",
            "pc",
            "--wait-ms",
            "4000",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let device = Client::connect(&a, "pk.dn", Duration::from_secs(3)).unwrap();
    device
        .publish(
            "/sys/pk/dn/thing/awss/enrollee/match",
            format!("{{\"id\":\"1\",\"params\":{{\"token\":\"{TOK}\"}}}}").as_bytes(),
            QoS::AtLeastOnce,
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], 200, "{v}");
    assert!(v["polls"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(out.status.code(), Some(0));
}

/// A device reports `token` on broker `a`; the cloud's match_reply, if any came.
fn report_and_reply(a: &str, id: &str, token: &str) -> Option<String> {
    let device = Client::connect(a, &format!("pk.dn.{id}"), Duration::from_secs(3)).unwrap();
    device
        .subscribe(
            "/sys/pk/dn/thing/awss/enrollee/match_reply",
            QoS::AtMostOnce,
        )
        .unwrap();
    device
        .publish(
            "/sys/pk/dn/thing/awss/enrollee/match",
            format!("{{\"id\":\"{id}\",\"params\":{{\"token\":\"{token}\"}}}}").as_bytes(),
            QoS::AtLeastOnce,
        )
        .unwrap();
    device
        .recv_timeout(Duration::from_secs(3))
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
}

/// `devbind cloud` went silently deaf after a broker restart.
#[test]
fn the_cloud_reconnects_and_resubscribes_after_a_broker_restart() {
    let dir = std::env::temp_dir().join(format!("devbind-cloud-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_tcp_port();
    let a = format!("127.0.0.1:{port}");
    let broker = Mosquitto::start(port, &dir);
    let (tx, rx) = mpsc::channel();
    let _cloud = CloudRunner::start(&a, 60_000, move |e, _, _| {
        let _ = tx.send(e.clone());
    })
    .unwrap();
    assert!(report_and_reply(&a, "1", TOK).is_some_and(|r| r.contains("\"code\":200")));
    drop(broker);
    let next = |want: &dyn Fn(&Event) -> bool| {
        while let Ok(e) = rx.recv_timeout(Duration::from_secs(10)) {
            if want(&e) {
                return Some(e);
            }
        }
        None
    };
    let lost = next(&|e| matches!(e, Event::BrokerLost { .. })).expect("no BrokerLost");
    assert!(lost.line().contains("reconnecting"), "{}", lost.line());
    let broker = Mosquitto::start(port, &dir);
    let back = next(&|e| matches!(e, Event::BrokerBack { .. })).expect("no BrokerBack");
    assert!(
        back.line().contains("4 topics subscribed again"),
        "{}",
        back.line()
    );
    // subscribed again: a new report is answered; the tokens held before are kept
    assert!(report_and_reply(&a, "2", TOK2).is_some_and(|r| r.contains("\"code\":200")));
    assert_eq!(
        phone_bind(&a, "p1", TOK, Duration::from_secs(3))
            .unwrap()
            .code,
        200
    );
    drop(broker);
    let _ = std::fs::remove_dir_all(&dir);
}
