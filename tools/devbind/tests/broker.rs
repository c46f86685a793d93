//! The embedded MQTT broker (rumqttd) with the tools' client: wildcards, QoS 1, unsubscribe,
//! takeover. (rumqttd delivers a message once per matching subscription: the tools never
//! subscribe to overlapping filters.)

use devbind::broker::Broker;
use devbind::mqtt::Client;
use rumqttc::mqttbytes::matches;
use rumqttc::mqttbytes::QoS;
use std::time::Duration;

const T: Duration = Duration::from_secs(3);

fn recv_topics(c: &Client, wait: Duration) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(m) = c.recv_timeout(wait) {
        v.push(m.topic);
    }
    v.sort();
    v
}

#[test]
fn matching_rules() {
    assert!(matches("/sys/pk/dn/thing/reset", "/sys/+/+/thing/reset"));
    assert!(!matches(
        "/sys/pk/dn/thing/reset_reply",
        "/sys/+/+/thing/reset"
    ));
    assert!(!matches("/sys/pk/dn/thing/reset", "/sys/+/thing/reset"));
    assert!(matches("/sys/pk/dn/x", "/sys/#"));
    assert!(matches("/a", "#"));
    assert!(matches("a/b", "a/b"));
    assert!(!matches("a/b/c", "a/b"));
}

#[test]
fn pub_sub_with_wildcards_and_qos1() {
    let b = Broker::start("127.0.0.1:0").unwrap();
    let a = b.addr().to_string();
    let plus = Client::connect(&a, "plus", T).unwrap();
    let hash = Client::connect(&a, "hash", T).unwrap();
    let exact = Client::connect(&a, "exact", T).unwrap();
    let publisher = Client::connect(&a, "pub", T).unwrap();
    plus.subscribe("/sys/+/+/thing/awss/enrollee/match", QoS::AtLeastOnce)
        .unwrap();
    hash.subscribe("/sys/pk1/#", QoS::AtMostOnce).unwrap();
    exact
        .subscribe("/sys/pk2/dn2/thing/reset", QoS::AtLeastOnce)
        .unwrap();

    publisher
        .publish(
            "/sys/pk1/dn1/thing/awss/enrollee/match",
            b"{\"a\":1}",
            QoS::AtLeastOnce,
        )
        .unwrap();
    publisher
        .publish("/sys/pk2/dn2/thing/reset", b"r", QoS::AtMostOnce)
        .unwrap();
    publisher.publish("/other", b"x", QoS::AtLeastOnce).unwrap();

    let m = plus.recv_timeout(T).expect("plus got nothing");
    assert_eq!(m.topic, "/sys/pk1/dn1/thing/awss/enrollee/match");
    assert_eq!(m.payload, b"{\"a\":1}");
    assert_eq!(
        recv_topics(&hash, Duration::from_millis(300)),
        vec!["/sys/pk1/dn1/thing/awss/enrollee/match"]
    );
    assert_eq!(
        recv_topics(&exact, Duration::from_millis(300)),
        vec!["/sys/pk2/dn2/thing/reset"]
    );
    assert!(plus.recv_timeout(Duration::from_millis(200)).is_none());

    // unsubscribe stops delivery
    plus.unsubscribe("/sys/+/+/thing/awss/enrollee/match")
        .unwrap();
    publisher
        .publish(
            "/sys/pk9/dn9/thing/awss/enrollee/match",
            b"y",
            QoS::AtLeastOnce,
        )
        .unwrap();
    assert!(plus.recv_timeout(Duration::from_millis(300)).is_none());
}

#[test]
fn same_client_id_takes_over() {
    let b = Broker::start("127.0.0.1:0").unwrap();
    let a = b.addr().to_string();
    let first = Client::connect(&a, "dev", T).unwrap();
    let sub = Client::connect(&a, "sub", T).unwrap();
    sub.subscribe("/x/#", QoS::AtLeastOnce).unwrap();
    let second = Client::connect(&a, "dev", T).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        !first.is_connected(),
        "the first connection should have been closed"
    );
    second.publish("/x/y", b"1", QoS::AtLeastOnce).unwrap();
    assert_eq!(recv_topics(&sub, Duration::from_millis(300)), vec!["/x/y"]);
}

#[test]
fn garbage_before_connect_is_dropped_without_harm() {
    use std::io::{Read, Write};
    let b = Broker::start("127.0.0.1:0").unwrap();
    let mut s = std::net::TcpStream::connect(b.addr()).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    s.write_all(&[0x30, 0x02, 0x00, 0x00]).unwrap(); // a PUBLISH before CONNECT
    let mut buf = [0u8; 8];
    assert_eq!(
        s.read(&mut buf).unwrap_or(0),
        0,
        "broker must close the connection"
    );
    // still serving
    let c = Client::connect(&b.addr().to_string(), "ok", T).unwrap();
    c.subscribe("a", QoS::AtMostOnce).unwrap();
}
