//! `devbind cloud switchap` on loopback: the embedded broker, a scripted device that answers
//! the request (or does not), and the cloud tool's request and its checks of the reply.

use devbind::broker::Broker;
use devbind::mqtt::Client;
use devbind::switchap::{self, judge, Failure, Request, Verdict};
use rumqttc::mqttbytes::QoS;
use serde_json::{json, Value};
use std::process::Command;
use std::thread::{self, JoinHandle};
use std::time::Duration;

const PK: &str = "a1testPK01";
const DN: &str = "switch_dev";
const SECRET: &str = "s3cret-pass";

fn broker() -> String {
    Broker::start("127.0.0.1:0").unwrap().addr().to_string()
}

/// A device that takes one switchap request and answers it with what `script` makes of it
/// (each payload published in turn on the reply topic); returns the request it got.
fn device(broker: &str, script: fn(&Value) -> Vec<Vec<u8>>) -> JoinHandle<Option<Value>> {
    let c = Client::connect(broker, "scripted-device", Duration::from_secs(5)).unwrap();
    c.subscribe(&switchap::request_topic(PK, DN), QoS::AtLeastOnce)
        .unwrap();
    thread::spawn(move || {
        let m = c.recv_timeout(Duration::from_secs(10))?;
        let req: Value = serde_json::from_slice(&m.payload).unwrap();
        for p in script(&req) {
            c.publish(&switchap::reply_topic(PK, DN), &p, QoS::AtLeastOnce)
                .unwrap();
        }
        // Let the broker forward the replies before this client goes away.
        thread::sleep(Duration::from_millis(300));
        Some(req)
    })
}

fn request(id: &str) -> Request {
    Request {
        pk: PK.into(),
        dn: DN.into(),
        id: id.into(),
        ssid: "office".into(),
        passwd: SECRET.into(),
        bssid: "11:22:33:AA:BB:CC".into(),
        switch_mode: 0,
        timeout_ms: 3000,
    }
}

fn reply(id: Value, code: Value) -> Vec<u8> {
    json!({"id": id, "code": code, "data": {}})
        .to_string()
        .into_bytes()
}

fn cloud(broker: &str) -> Client {
    Client::connect(broker, "cloud-tool", Duration::from_secs(5)).unwrap()
}

#[test]
fn the_request_carries_the_sdk_fields_and_a_200_reply_is_accepted() {
    let b = broker();
    let dev = device(&b, |req| {
        // The C module echoes the id as a number.
        let id: u64 = req["id"].as_str().unwrap().parse().unwrap();
        vec![reply(json!(id), json!(200))]
    });
    let ok = switchap::send(&cloud(&b), &request("41"), Duration::from_secs(5)).unwrap();
    assert_eq!(ok.reply["code"], 200);
    assert_eq!(ok.others, 0);
    let req = dev.join().unwrap().expect("the device got no request");
    assert_eq!(req["id"], "41");
    assert_eq!(req["version"], "1.0");
    assert_eq!(req["method"], "thing.awss.device.switchap");
    let p = &req["params"];
    assert_eq!(p["ssid"], "office");
    assert_eq!(p["passwd"], SECRET);
    assert_eq!(p["bssid"], "11:22:33:AA:BB:CC");
    assert_eq!(p["switchMode"], 0);
    assert_eq!(p["timeout"], 3000);
}

#[test]
fn replies_to_other_requests_are_skipped() {
    let b = broker();
    let _dev = device(&b, |req| {
        let id = req["id"].as_str().unwrap().to_string();
        vec![
            reply(json!("999"), json!(200)),
            reply(json!(id), json!("200")),
        ]
    });
    let ok = switchap::send(&cloud(&b), &request("7"), Duration::from_secs(5)).unwrap();
    assert_eq!(ok.others, 1);
    assert_eq!(ok.reply["id"], "7");
}

#[test]
fn a_refusal_is_reported_with_its_code() {
    let b = broker();
    let _dev = device(&b, |req| vec![reply(req["id"].clone(), json!(400))]);
    match switchap::send(&cloud(&b), &request("8"), Duration::from_secs(5)) {
        Err(Failure::Refused { code, .. }) => assert_eq!(code, 400),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_padded_reply_is_unusable() {
    let b = broker();
    // The C module's reply: the JSON, then NULs up to its 64-byte buffer.
    let _dev = device(&b, |req| {
        let mut p = reply(req["id"].clone(), json!(200));
        p.resize(64, 0);
        vec![p]
    });
    match switchap::send(&cloud(&b), &request("9"), Duration::from_secs(5)) {
        Err(e @ Failure::BadReply { .. }) => {
            let text = e.to_string();
            assert!(text.contains("not one JSON value"), "{text}");
            assert!(text.contains("\\x00"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn silence_is_a_timeout_that_says_what_to_check() {
    let b = broker();
    let _dev = device(&b, |_| Vec::new());
    let wait = Duration::from_millis(400);
    match switchap::send(&cloud(&b), &request("10"), wait) {
        Err(e @ Failure::NoReply { .. }) => {
            let text = e.to_string();
            assert!(text.contains("within 400 ms"), "{text}");
            assert!(text.contains("thing/awss/device/switchap"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn judge_checks_id_code_and_data() {
    let ok = |p: &str| matches!(judge(p.as_bytes(), "5"), Verdict::Accepted(_));
    assert!(ok(r#"{"id":"5","code":200,"data":{}}"#));
    assert!(ok(r#"{"id":5,"code":"200","data":{"x":1}}"#));
    assert!(matches!(
        judge(br#"{"id":"6","code":200,"data":{}}"#, "5"),
        Verdict::OtherId
    ));
    assert!(matches!(
        judge(br#"{"id":"5","code":500,"data":{}}"#, "5"),
        Verdict::Refused { .. }
    ));
    for (bad, why) in [
        (&br#"{"code":200,"data":{}}"#[..], "no id"),
        (br#"{"id":"5","data":{}}"#, "no code"),
        (br#"{"id":"5","code":200}"#, "data"),
        (br#"{"id":[5],"code":200,"data":{}}"#, "neither"),
        (br#"[1]"#, "not a JSON object"),
        (b"", "not one JSON value"),
        (
            br#"{"id":"5","code":200,"data":{}} x"#,
            "not one JSON value",
        ),
    ] {
        match judge(bad, "5") {
            Verdict::Bad(w) => assert!(w.contains(why), "{bad:?}: {w}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn field_checks() {
    assert!(switchap::check_fields("office", SECRET, "").is_none());
    assert!(switchap::check_fields("office", "", "aa:bb:cc:dd:ee:ff").is_none());
    assert!(switchap::check_fields("", "", "")
        .unwrap()
        .contains("--ssid"));
    assert!(switchap::check_fields(&"s".repeat(33), "", "")
        .unwrap()
        .contains("--ssid"));
    assert!(switchap::check_fields("a", &"p".repeat(65), "")
        .unwrap()
        .contains("--passwd"));
    for bssid in [
        "11:22:33:44:55",
        "11:22:33:44:55:6G",
        "112233445566",
        "11-22-33-44-55-66",
    ] {
        assert!(switchap::check_fields("a", "", bssid).is_some(), "{bssid}");
    }
    assert!(!request("1").describe().contains(SECRET));
}

fn devbind(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_command_prints_the_result_and_never_the_password() {
    let b = broker();
    let dev = device(&b, |req| vec![reply(req["id"].clone(), json!(200))]);
    let args = [
        "cloud", "switchap", "--broker", &b, "--pk", PK, "--dn", DN, "--ssid", "office",
        "--passwd", SECRET, "--id", "77",
    ];
    let (code, out, err) = devbind(&args);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("accepted"), "{out}");
    assert!(out.contains("switches to \"office\" in 3000 ms"), "{out}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}{err}");
    assert_eq!(dev.join().unwrap().unwrap()["params"]["passwd"], SECRET);

    let _dev = device(&b, |_| Vec::new());
    let mut json_args = args.to_vec();
    json_args.extend(["--wait-ms", "300", "--json"]);
    let (code, out, err) = devbind(&json_args);
    assert_eq!(code, Some(1), "{out}{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap().contains("no switchap_reply"),
        "{v}"
    );
    assert!(err.starts_with("devbind: switchap: "), "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}{err}");
}
