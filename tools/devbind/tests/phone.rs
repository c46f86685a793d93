//! The phone's CoAP messages: encode/decode round trips and real UDP exchanges on loopback.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use devbind::phone::{self, parse_answer, parse_notify, query_packet, Listener};
use serde_json::{json, Value};
use std::net::UdpSocket;
use std::time::Duration;

#[test]
fn query_packet_round_trip() {
    let b = query_packet("/sys/pk/dn/device/info/get", "42", 7, &[1, 2, 3, 4]);
    let p = Packet::from_bytes(&b).unwrap();
    assert_eq!(p.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(p.header.code, MessageClass::Request(RequestType::Get));
    assert_eq!(p.header.message_id, 7);
    assert_eq!(p.get_token(), &[1, 2, 3, 4]);
    assert_eq!(phone::path_of(&p), "/sys/pk/dn/device/info/get");
    let v: Value = serde_json::from_slice(&p.payload).unwrap();
    assert_eq!(v, json!({"id":"42","version":"1.0","params":{}}));
    assert_eq!(
        p.get_first_option(CoapOption::ContentFormat),
        Some(&vec![50u8])
    );
}

fn answer_bytes(token: &[u8], body: &str) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::Response(ResponseType::Content);
    p.set_token(token.to_vec());
    p.payload = body.as_bytes().to_vec();
    p.to_bytes().unwrap()
}

#[test]
fn answer_parsing_checks_the_token() {
    let body = r#"{"id":123,"code":200,"data":{"productKey":"pk","deviceName":"dn","token":"AA","remainTime":5}}"#;
    let b = answer_bytes(&[9, 9], body);
    assert!(parse_answer(&b, &[9, 8]).is_none());
    let v = parse_answer(&b, &[9, 9]).unwrap();
    let info = phone::DevInfo::from_json(&v["data"]).unwrap();
    assert_eq!((info.token.as_str(), info.remain_ms), ("AA", 5));
    assert!(parse_answer(b"\x00garbage", &[9, 9]).is_none());
}

#[test]
fn notify_and_ack_round_trip() {
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::Request(RequestType::Post);
    p.header.message_id = 77;
    p.set_token(vec![5, 6, 7, 8]);
    for s in ["sys", "device", "info", "notify"] {
        p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
    }
    p.payload = br#"{"id":"7","version":"1.0","method":"device.info.notify","params":{"productKey":"pk","deviceName":"dn","token":"B52C577E55DE6B3CAF5B0C882410D8BF","remainTime":43603}}"#.to_vec();
    let from = "127.0.0.1:5683".parse().unwrap();
    let n = parse_notify(&p.to_bytes().unwrap(), from).unwrap();
    assert_eq!(n.id_text(), "7");
    assert_eq!(n.info.as_ref().unwrap().remain_ms, 43603);
    let ack = Packet::from_bytes(&phone::notify_ack(&n, 1000)).unwrap();
    assert_eq!(ack.get_token(), &[5, 6, 7, 8]);
    assert_eq!(ack.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(
        ack.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    let v: Value = serde_json::from_slice(&ack.payload).unwrap();
    assert_eq!(v, json!({"id":7,"code":200}));
    // a request on another path is not a notify
    let q = query_packet("/sys/device/info/get", "1", 1, &[1]);
    assert!(parse_notify(&q, from).is_none());
}

#[test]
fn query_over_udp_waits_for_a_late_answer() {
    let dev = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = dev.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        dev.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (n, from) = dev.recv_from(&mut buf).unwrap();
        let req = Packet::from_bytes(&buf[..n]).unwrap();
        assert_eq!(phone::path_of(&req), "/sys/device/info/get");
        // an unrelated response first (other token), then the real one, late
        dev.send_to(&answer_bytes(&[0xEE], "{}"), from).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let body = r#"{"id":123,"code":200,"data":{"productKey":"pk","deviceName":"dn","token":"CC","remainTime":9}}"#;
        dev.send_to(&answer_bytes(req.get_token(), body), from)
            .unwrap();
    });
    let a = phone::query(
        target,
        phone::MCAST_PATH,
        "123",
        false,
        Duration::from_secs(3),
    )
    .unwrap();
    assert_eq!(a.info.unwrap().token, "CC");
    assert!(a.elapsed >= Duration::from_millis(250));
    t.join().unwrap();
    // and a silent device times out
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let e = phone::query(
        silent.local_addr().unwrap(),
        "/x",
        "1",
        false,
        Duration::from_millis(200),
    )
    .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn listener_receives_and_acks() {
    let mut l = Listener::bind("127.0.0.1:0").unwrap();
    let dev = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::Request(RequestType::Post);
    p.set_token(vec![1, 2]);
    for s in ["sys", "device", "info", "notify"] {
        p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
    }
    p.payload = br#"{"id":"3","method":"device.info.notify","params":{"productKey":"pk","deviceName":"dn","token":"DD"}}"#.to_vec();
    dev.send_to(b"junk", l.local_addr().unwrap()).unwrap();
    dev.send_to(&p.to_bytes().unwrap(), l.local_addr().unwrap())
        .unwrap();
    let n = l.recv(Duration::from_secs(3)).unwrap().expect("no notify");
    assert_eq!(n.info.as_ref().unwrap().token, "DD");
    l.ack(&n).unwrap();
    let mut buf = [0u8; 512];
    dev.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let (k, _) = dev.recv_from(&mut buf).unwrap();
    let ack = Packet::from_bytes(&buf[..k]).unwrap();
    assert_eq!(ack.get_token(), &[1, 2]);
    assert_eq!(
        serde_json::from_slice::<Value>(&ack.payload).unwrap(),
        json!({"id":3,"code":200})
    );
    assert!(l.recv(Duration::from_millis(100)).unwrap().is_none());
}

/// The SDK's CoAP server drops packets whose source is its own IP: a phone on the device's
/// host sends from another loopback address.
#[test]
fn a_phone_on_the_devices_host_sends_from_another_loopback_address() {
    let dev = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = dev.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        dev.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut sources = Vec::new();
        while sources.len() < 2 {
            let (n, from) = dev.recv_from(&mut buf).unwrap();
            sources.push(from.ip());
            if from.ip() == target.ip() {
                continue; // its own IP: dropped, as the SDK does
            }
            let req = Packet::from_bytes(&buf[..n]).unwrap();
            let body = r#"{"id":123,"code":200,"data":{"productKey":"pk","deviceName":"dn","token":"EE","remainTime":9}}"#;
            dev.send_to(&answer_bytes(req.get_token(), body), from)
                .unwrap();
        }
        sources
    });
    let from_own = phone::query(
        target,
        "/sys/device/info/get",
        "1",
        false,
        Duration::from_millis(300),
    );
    assert_eq!(from_own.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    let o = phone::QueryOptions {
        broadcast: false,
        timeout: Duration::from_secs(3),
        bind: Some("127.0.0.2:0".parse().unwrap()),
    };
    let a = phone::query_with(target, "/sys/device/info/get", "1", &o).unwrap();
    assert_eq!(a.info.unwrap().token, "EE");
    let sources = t.join().unwrap();
    assert_eq!(sources[1].to_string(), "127.0.0.2");
}
